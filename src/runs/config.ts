// A training run as plain data: the config that `gradnoise train` builds from its flags, that a sweep
// varies and hashes, and that every runtime (Node, Bun, Deno, workerd, browsers) turns into the same
// model, so one config gives one weights hash everywhere. Runtime-agnostic: no file system, no workers,
// hashing through WebCrypto (crypto.subtle), which every one of those runtimes has.
import {
  anything, boolean, check, checkFields, checkOptions, custom, int, nullable, number, oneOf, show, type FieldsOf,
} from '../core/check.js';
import { compileGraph, type GraphSpec } from '../graph/spec.js';
import { MAX_UNITS, mlp, PAPER_INITS, type Initializer, type ModelSpec } from '../model/spec.js';
import { cosineDecay, exponentialDecay, linearWarmup, stepDecay, type LearningRate } from '../optim/schedules.js';
import {
  adagrad, adam, adamw, addNoise, chain, clipByGlobalNorm, clipByValue, rmsprop, sgd, type GradientTransformation,
} from '../optim/transforms.js';
import { createModel, type Model, type ModelOptions } from '../runtime/model.js';

export const INITS = ['simple', 'sussilloAbbott', 'he', 'zero', 'glorot', 'simpleVar'] as const;
export const ACTIVATIONS = ['relu', 'leakyRelu', 'tanh', 'sigmoid', 'linear'] as const;
export const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'] as const;
export const SCHEDULES = ['constant', 'cosine', 'exponential', 'step'] as const;

/** Everything that decides a run's bits (workers do not: any count gives the same weights). */
export interface TrainConfig {
  readonly depth: number;
  readonly width: number;
  readonly activation: (typeof ACTIVATIONS)[number];
  /**
   * The weights' init: simple = N(0, 0.1²), the paper's "simple" init read as standard deviation 0.1;
   * simpleVar = N(0, 0.1), read as variance 0.1 (std 0.316); sussilloAbbott, he (normal), zero, glorot (uniform).
   * paperNet's 'simpleBias' (std 0.1, biases 0.1) is init 'simple' with biasInit 0.1.
   */
  readonly init: (typeof INITS)[number];
  /** The biases' init: a constant (0 by default), or 'kernel': drawn as the weights of the same layer. */
  readonly biasInit: number | 'kernel';
  readonly dropout: number;
  readonly optimizer: (typeof OPTIMIZERS)[number];
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly schedule: (typeof SCHEDULES)[number];
  /** cosine: steps to reach minLr 0; step: steps between decays. */
  readonly decaySteps: number;
  /** exponential and step: the factor per step / per decay. */
  readonly decayRate: number;
  readonly warmupSteps: number;
  /** Global-norm clip (null: none). */
  readonly clip: number | null;
  /** Clip by value (null: none). */
  readonly clipValue: number | null;
  readonly noise: boolean;
  readonly eta: number;
  readonly gamma: number;
  readonly noiseBeforeClip: boolean;
  readonly batchSize: number;
  readonly epochs: number;
  /** Train exactly this many steps instead of whole epochs (null: epochs). */
  readonly steps: number | null;
  readonly seed: number;
  readonly shards: number;
  /**
   * The network as a graph (graph/spec.ts, plain data: a run id hashes it, a run record replays it), in
   * place of the MLP that depth, width, activation, init, biasInit and dropout describe, which must then keep their
   * defaults. null: that MLP. A run id leaves a null model out, so the ids of MLP runs stay as they were.
   */
  readonly model: GraphSpec | null;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  depth: 20, width: 50, activation: 'relu', init: 'he', biasInit: 0, dropout: 0,
  optimizer: 'sgd', lr: 0.01, momentum: 0, weightDecay: 0, schedule: 'constant', decaySteps: 1000, decayRate: 0.5, warmupSteps: 0,
  clip: null, clipValue: null, noise: false, eta: 0.01, gamma: 0.55, noiseBeforeClip: false,
  batchSize: 100, epochs: 1, steps: null, seed: 1, shards: 4, model: null,
};

/** The fields that describe the MLP of a config without a model. */
export const MLP_FIELDS = ['depth', 'width', 'activation', 'init', 'biasInit', 'dropout'] as const;

// compileGraph's `where`, replaced in its messages by the field's own place.
const GRAPH_WHERE = '\u0000model';

/** A graph compileGraph accepts: its first problem as a message tail (`: nodes[2] ("h"): unknown op ...`). */
const GRAPH_NEED = 'a graph (format "gradnoise.graph": inputs, params, nodes, outputs, losses)';
const graphSpec = custom(GRAPH_NEED, (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ` is ${show(v)} (need ${GRAPH_NEED})`;
  try {
    compileGraph(v as GraphSpec, GRAPH_WHERE);
    return undefined;
  } catch (e) {
    const m = (e as Error).message;
    return m.startsWith(GRAPH_WHERE) ? m.slice(GRAPH_WHERE.length) : `: ${m}`;
  }
});

const positive = number({ min: 0, minOpen: true });
const biasInit = check('a finite number (a constant) or "kernel"', (v) => v === 'kernel' || (typeof v === 'number' && Number.isFinite(v)));
const nonNegative = number({ min: 0 });

// The same ranges as the CLI's flags (src/cli/train.ts).
const FIELDS: FieldsOf<TrainConfig> = {
  depth: int(0, 1000), width: int(1, 65536), activation: oneOf(ACTIVATIONS), init: oneOf(INITS), biasInit, dropout: number({ min: 0, max: 0.999 }),
  optimizer: oneOf(OPTIMIZERS), lr: positive, momentum: number({ min: 0, max: 0.999999 }), weightDecay: nonNegative, schedule: oneOf(SCHEDULES),
  decaySteps: int(1), decayRate: number({ min: 0, minOpen: true, max: 1 }), warmupSteps: int(0),
  clip: nullable(positive), clipValue: nullable(positive), noise: boolean, eta: nonNegative, gamma: nonNegative, noiseBeforeClip: boolean,
  batchSize: int(1, 65536), epochs: int(0), steps: nullable(int(0)), seed: int(0), shards: int(1, 64),
  model: nullable(graphSpec),
};

/**
 * A complete, checked config from a partial one (missing fields take DEFAULT_TRAIN_CONFIG's values). Unknown
 * keys, wrong types, values out of range and settings that cannot take effect are errors naming the
 * field and the value: a config names a run, so it must say what really runs.
 */
export function resolveTrainConfig(partial: unknown, where = 'config'): TrainConfig {
  checkOptions(where, partial, TRAIN_CONFIG_FIELDS, false);
  return checkTrainConfig(where, { ...DEFAULT_TRAIN_CONFIG, ...(partial as object) });
}

/** Checks a complete config (every field, as resolveTrainConfig returns it); returns it. */
export function checkTrainConfig(where: string, config: unknown): TrainConfig {
  const c = checkFields<TrainConfig>(where, config, FIELDS, { optional: false });
  if (c.noiseBeforeClip && !c.noise) throw new Error(`${where}: noiseBeforeClip is true but noise is false`);
  if (c.noiseBeforeClip && c.clip === null && c.clipValue === null) throw new Error(`${where}: noiseBeforeClip needs a clip (clip or clipValue)`);
  if (c.depth === 0 && c.dropout > 0) throw new Error(`${where}: dropout ${show(c.dropout)} needs hidden layers (depth is 0)`);
  if (c.model !== null) {
    for (const f of MLP_FIELDS) {
      if (c[f] !== DEFAULT_TRAIN_CONFIG[f]) {
        throw new Error(`${where}: ${f} ${show(c[f])} does not go with a model (the graph names its own layers; ${f} describes the MLP of a config without one)`);
      }
    }
  }
  return c;
}

/** The weights' Initializer of each named init (those of the paper's net are paperNet's, model/spec.ts). */
const kernelInit = (init: TrainConfig['init']): Initializer => (init === 'glorot' ? 'glorotUniform' : PAPER_INITS[init].kernel);

function learningRate(c: TrainConfig): LearningRate {
  const base: LearningRate = c.schedule === 'cosine' ? cosineDecay({ lr: c.lr, steps: c.decaySteps })
    : c.schedule === 'exponential' ? exponentialDecay({ lr: c.lr, gamma: c.decayRate })
    : c.schedule === 'step' ? stepDecay({ lr: c.lr, stepSize: c.decaySteps, gamma: c.decayRate })
    : c.lr;
  return c.warmupSteps > 0 ? linearWarmup({ steps: c.warmupSteps, schedule: base }) : base;
}

/** The optax-style chain of a config: clip, noise (after the clip unless noiseBeforeClip), optimizer. */
export function optimizerOfConfig(c: TrainConfig): GradientTransformation {
  checkTrainConfig('optimizerOfConfig: config', c);
  const lr = learningRate(c);
  const opt = c.optimizer === 'sgd' ? sgd({ lr, momentum: c.momentum, weightDecay: c.weightDecay })
    : c.optimizer === 'adam' ? adam({ lr, weightDecay: c.weightDecay })
    : c.optimizer === 'adamw' ? adamw({ lr, weightDecay: c.weightDecay })
    : c.optimizer === 'adagrad' ? adagrad({ lr, weightDecay: c.weightDecay })
    : rmsprop({ lr, momentum: c.momentum, weightDecay: c.weightDecay });
  const clips = [...(c.clip !== null ? [clipByGlobalNorm(c.clip)] : []), ...(c.clipValue !== null ? [clipByValue(c.clipValue)] : [])];
  const noise = c.noise ? [addNoise({ eta: c.eta, gamma: c.gamma })] : [];
  return chain(...(c.noiseBeforeClip ? [...noise, ...clips] : [...clips, ...noise]), opt);
}

/** The shape of the data a config trains on. */
export interface DataShape {
  readonly features: number;
  readonly classes: number;
}

/**
 * The network a config describes: its graph, or without one `depth` dense layers of `width` units, then a
 * softmax over the classes of `data` (which only that MLP reads).
 */
export function specOfConfig(c: TrainConfig, data?: DataShape): ModelSpec {
  checkTrainConfig('specOfConfig: config', c);
  if (c.model !== null) return c.model;
  checkFields('specOfConfig: data', data, DATA_SHAPE_FIELDS, { optional: false, open: true });
  return mlp({
    inputs: data!.features, hidden: Array<number>(c.depth).fill(c.width), outputs: data!.classes, activation: c.activation,
    init: kernelInit(c.init), biasInit: c.biasInit === 'kernel' ? kernelInit(c.init) : c.biasInit === 0 ? 'zeros' : { kind: 'constant', value: c.biasInit },
    dropout: c.dropout || undefined,
  });
}

// A DataShape is data, not options: a RunData passes as one (other keys allowed).
const DATA_SHAPE_FIELDS: FieldsOf<DataShape> = { features: int(1, MAX_UNITS), classes: int(1, MAX_UNITS) };

/** What may vary between runs of one config without changing its bits. */
export type RunModelOptions = Pick<ModelOptions, 'workers' | 'onWarning' | 'build' | 'wasm'>;

// Their values are createModel's to check; here only which ones may vary (not seed, batchSize, ...).
const RUN_MODEL_FIELDS: FieldsOf<RunModelOptions> = { workers: anything, onWarning: anything, build: anything, wasm: anything };

/**
 * The model a config describes (on data of this shape, for the MLP of a config without a model): the same
 * bits in every runtime and for any workers.
 */
export async function createModelFromConfig(config: TrainConfig, data?: DataShape, options: RunModelOptions = {}): Promise<Model> {
  checkFields('createModelFromConfig', options, RUN_MODEL_FIELDS);
  checkTrainConfig('createModelFromConfig: config', config);
  if (config.model === null) checkFields('createModelFromConfig: data', data, DATA_SHAPE_FIELDS, { optional: false, open: true });
  return createModel(specOfConfig(config, data), {
    batchSize: config.batchSize, seed: config.seed, optimizer: optimizerOfConfig(config), shards: config.shards, ...options,
  });
}

/** SHA-256 (hex) of the parameters' bytes, tensor after tensor in layout order (no padding). */
export async function weightsSha256(model: Model): Promise<string> {
  const parts = [...model.getWeights().values()];
  const all = new Uint8Array(parts.reduce((n, w) => n + w.byteLength, 0));
  let at = 0;
  for (const w of parts) {
    all.set(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), at);
    at += w.byteLength;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The fields of a TrainConfig, in DEFAULT_TRAIN_CONFIG's order. */
export const TRAIN_CONFIG_FIELDS = Object.keys(FIELDS) as readonly (keyof TrainConfig)[];

/**
 * What `value` would need to be to fill config field `field` (for example "a finite number > 0"), or null
 * when it can: for specs that name the place of a value themselves (a sweep's `spec.grid.lr[2]`).
 */
export function configFieldProblem(field: keyof TrainConfig, value: unknown): string | null {
  return FIELDS[field](value) === undefined ? null : FIELDS[field].need;
}

/**
 * What is wrong with `value` in config field `field`, as the tail of a message after the field's place
 * (` is 0 (need ...)`, or for a model `: nodes[2] ("h"): unknown op ...`), or undefined when it fits.
 */
export function configFieldError(field: keyof TrainConfig, value: unknown): string | undefined {
  return FIELDS[field](value);
}
