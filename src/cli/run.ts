// One training run as the CLI describes it: a plain-data config (hashable: it names a run in a sweep),
// turned into a model spec and an optimizer chain, trained with progress callbacks, and summarised with
// the SHA-256 of the final parameters. `gradnoise train` runs one; `reproduce table1` runs many.
import { createHash } from 'node:crypto';
import {
  adagrad, adam, adamw, addNoise, chain, clipByGlobalNorm, clipByValue, cosineDecay, createModel, exponentialDecay,
  linearWarmup, mlp, rmsprop, sgd, stepDecay, type Initializer, type Model,
} from '../index.js';
import type { GradientTransformation } from '../optim/transforms.js';
import type { LearningRate } from '../optim/schedules.js';
import type { EpochInfo, StepInfo } from '../runtime/loop.js';
import { decodeCheckpoint } from '../runtime/checkpoint.js';
import { NonFiniteError } from '../runtime/engine.js';
import { firstDifference } from '../runtime/snapshot.js';
import type { LoadedData } from './data.js';

export const INITS = ['simple', 'sussilloAbbott', 'he', 'zero', 'glorot'] as const;
export const ACTIVATIONS = ['relu', 'leakyRelu', 'tanh', 'sigmoid', 'linear'] as const;
export const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'] as const;
export const SCHEDULES = ['constant', 'cosine', 'exponential', 'step'] as const;

/** Everything that decides a run's bits (workers do not: any count gives the same weights). */
export interface TrainConfig {
  readonly depth: number;
  readonly width: number;
  readonly activation: (typeof ACTIVATIONS)[number];
  readonly init: (typeof INITS)[number];
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
}

export const DEFAULT_CONFIG: TrainConfig = {
  depth: 20, width: 50, activation: 'relu', init: 'he', dropout: 0,
  optimizer: 'sgd', lr: 0.01, momentum: 0, weightDecay: 0, schedule: 'constant', decaySteps: 1000, decayRate: 0.5, warmupSteps: 0,
  clip: null, clipValue: null, noise: false, eta: 0.01, gamma: 0.55, noiseBeforeClip: false,
  batchSize: 100, epochs: 1, steps: null, seed: 1, shards: 4,
};

const kernelInit = (init: TrainConfig['init']): Initializer =>
  init === 'simple' ? { kind: 'normal', std: 0.1 } : init === 'he' ? 'heNormal' : init === 'zero' ? 'zeros' : init === 'glorot' ? 'glorotUniform' : 'sussilloAbbott';

function learningRate(c: TrainConfig): LearningRate {
  const base: LearningRate = c.schedule === 'cosine' ? cosineDecay({ lr: c.lr, steps: c.decaySteps })
    : c.schedule === 'exponential' ? exponentialDecay({ lr: c.lr, gamma: c.decayRate })
    : c.schedule === 'step' ? stepDecay({ lr: c.lr, stepSize: c.decaySteps, gamma: c.decayRate })
    : c.lr;
  return c.warmupSteps > 0 ? linearWarmup({ steps: c.warmupSteps, schedule: base }) : base;
}

/** The optax-style chain of a config: clip, noise (after the clip unless noiseBeforeClip), optimizer. */
export function optimizerOf(c: TrainConfig): GradientTransformation {
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

/** SHA-256 (hex) of the parameters' bytes, tensor after tensor in layout order (no padding). */
export function weightsSha256(model: Model): string {
  const h = createHash('sha256');
  for (const w of model.getWeights().values()) h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  return h.digest('hex');
}

/** A stable id of a config (and anything else that decides a run): 16 hex digits of SHA-256. */
export function configId(value: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex').slice(0, 16);
}

export interface EpochRecord {
  readonly epoch: number;
  readonly complete: boolean;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  /** Examples trained on in the epoch (in this run: a resumed epoch counts from where it resumed). */
  readonly examples: number;
  readonly examplesPerSecond: number;
}

export interface StepRecord {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly gradNorm: number;
  readonly clipScale: number;
  readonly sigma: number;
  readonly lr: number | null;
}

export interface RunSummary {
  readonly steps: number;
  readonly epochs: number;
  readonly trainLoss: number | null;
  readonly trainAccuracy: number | null;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  readonly examplesPerSecond: number;
  readonly seconds: number;
  readonly weightsSha256: string;
  readonly aborted: boolean;
  readonly workers: number;
  readonly build: string;
  /** Set when a loss or gradient turned NaN or Infinity (only with `diverge: 'record'`): training stopped there. */
  readonly diverged: { readonly step: number; readonly layer: string; readonly message: string } | null;
}

export interface RunHooks {
  onStep?(s: StepInfo, total: number): void;
  onEpoch?(e: EpochRecord): void;
  onWarning?(message: string): void;
  /** After each checkpoint is written. */
  onCheckpoint?(path: string, step: number): void;
}

export interface RunOptions {
  /** Worker threads (any count gives the same bits). */
  readonly workers: number;
  readonly hooks?: RunHooks;
  readonly signal?: AbortSignal;
  /** Keep every step's record (default true). */
  readonly keepSteps?: boolean;
  /**
   * A NaN or Infinity stops the run: `throw` (default) rethrows the NonFiniteError, `record` returns what
   * was measured with `diverged` set (the weights and test figures are then those before the refused step).
   */
  readonly diverge?: 'throw' | 'record';
  /**
   * Checkpoints to `path`, atomically: every `every` steps (Infinity: only at the end), and when the run
   * stops for the signal. A diverged run writes none after the last good one.
   */
  readonly checkpoint?: { readonly path: string; readonly every: number };
  /** A checkpoint of this same config to continue from: the run then trains the steps it still lacks. */
  readonly resume?: string;
  /**
   * With `resume`: the records the interrupted run wrote. Those up to the checkpoint are kept, and the
   * epoch it cut continues in the same record.
   */
  readonly previous?: { readonly epochs: readonly EpochRecord[]; readonly steps: readonly StepRecord[] };
}

export interface RunResult {
  readonly summary: RunSummary;
  readonly epochs: EpochRecord[];
  readonly steps: StepRecord[];
}

/** The model a config describes, built on `data`'s shape. */
export function createRunModel(c: TrainConfig, data: LoadedData, workers: number, onWarning: (m: string) => void): Promise<Model> {
  const spec = mlp({
    inputs: data.features, hidden: Array<number>(c.depth).fill(c.width), outputs: data.classes, activation: c.activation,
    init: kernelInit(c.init), biasInit: 'zeros', dropout: c.dropout || undefined,
  });
  return createModel(spec, { batchSize: c.batchSize, seed: c.seed, optimizer: optimizerOf(c), workers, shards: c.shards, onWarning });
}

// --resume: the checkpoint must come from this very config (same model, seed, optimizer and shards), or
// the resumed run would not be the run its config names.
async function resumeFrom(model: Model, path: string, c: TrainConfig, data: LoadedData): Promise<void> {
  const { readFileSync } = await import('node:fs');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`--resume ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const ck = decodeCheckpoint(bytes, path);
  const mine = decodeCheckpoint(model.toBytes()).meta;
  for (const field of ['spec', 'seed', 'optimizer', 'shards', 'batchSize'] as const) {
    const d = firstDifference(ck.meta[field], mine[field], field);
    if (d) throw new Error(`--resume ${path}: the checkpoint comes from another configuration (${d}; checkpoint vs this command): run the command that wrote it`);
  }
  const pos = ck.meta.position;
  if (pos.batch > 0 && pos.count !== data.train.count) {
    throw new Error(`--resume ${path}: the checkpoint stopped mid-epoch in ${pos.count} training examples; this command has ${data.train.count} ` +
      '(the same --train-x, --train-y and --train-limit continue it)');
  }
  const total = c.steps ?? Math.ceil(data.train.count / c.batchSize) * c.epochs;
  if (ck.meta.step > total) {
    throw new Error(`--resume ${path}: the checkpoint is at step ${ck.meta.step}, past the ${total} steps this command trains ` +
      `(${c.steps !== null ? `--steps ${c.steps}` : `--epochs ${c.epochs}`})`);
  }
  model.restoreCheckpoint(ck, path);
}

/** Trains one config on loaded data, with per-epoch test figures when there is a test split. */
export async function runTraining(c: TrainConfig, data: LoadedData, o: RunOptions): Promise<RunResult> {
  const hooks = o.hooks ?? {};
  const keepSteps = o.keepSteps ?? true;
  const model = await createRunModel(c, data, o.workers, hooks.onWarning ?? ((m) => process.stderr.write(`${m}\n`)));
  try {
    if (o.resume) await resumeFrom(model, o.resume, c, data);
    const perEpoch = Math.ceil(data.train.count / c.batchSize);
    const total = c.steps ?? perEpoch * c.epochs;
    const kept = o.resume && o.previous ? o.previous : { epochs: [], steps: [] };
    const steps: StepRecord[] = kept.steps.filter((s) => s.step <= model.step);
    const epochs: EpochRecord[] = kept.epochs.filter((e) => e.epoch < model.epoch || (e.epoch === model.epoch && !e.complete));
    let examples = 0;
    const t0 = performance.now();
    let diverged: RunSummary['diverged'] = null;
    let aborted = false, saved = -1;
    const save = async () => {
      if (!o.checkpoint) return;
      try {
        await model.save(o.checkpoint.path);
      } catch (e) {
        // Parameters that overflowed in the last update: the step's loss was finite, but no checkpoint
        // may hold them. The run has diverged; the last good checkpoint stays.
        if (!(e instanceof NonFiniteError) || (o.diverge ?? 'throw') === 'throw') throw e;
        diverged = { step: e.step, layer: e.layer, message: e.message };
        return;
      }
      saved = model.step;
      hooks.onCheckpoint?.(o.checkpoint.path, model.step);
    };
    // A run is a sequence of fit({ steps }) calls, one per checkpoint interval: a cut epoch continues in
    // the next call, so the bits are those of one call (docs/checkpoints.md).
    while (model.step < total && !aborted && !diverged) {
      const chunk = Math.min(o.checkpoint?.every ?? Infinity, total - model.step);
      const history = await model.fit(data.train.x, data.train.y, {
        steps: chunk,
        ...(data.test ? { validation: { x: data.test.x, y: data.test.y } } : {}),
        signal: o.signal,
        onStep: (s) => {
          examples += s.examples;
          if (keepSteps) steps.push({ step: s.step, epoch: s.epoch, loss: s.loss, accuracy: s.accuracy, gradNorm: s.gradNorm, clipScale: s.clipScale, sigma: s.sigma, lr: s.lr ?? null });
          hooks.onStep?.(s, total);
        },
        onEpoch: (e: EpochInfo) => {
          // An epoch split over two calls (a checkpoint in between) is one record.
          const last = epochs[epochs.length - 1];
          const merge = last !== undefined && last.epoch === e.epoch && !last.complete && e.fromBatch > 0;
          const seen = (merge ? last.examples : 0) + e.examples;
          const mean = (a: number, b: number) => (merge ? (a * last.examples + b * e.examples) / seen : b);
          const r: EpochRecord = {
            epoch: e.epoch, complete: e.complete, trainLoss: mean(last?.trainLoss ?? 0, e.loss), trainAccuracy: mean(last?.trainAccuracy ?? 0, e.accuracy),
            testLoss: e.validation?.loss ?? null, testAccuracy: e.validation?.accuracy ?? null, examples: seen,
            examplesPerSecond: seen / ((merge ? last.examples / last.examplesPerSecond : 0) + e.examples / e.examplesPerSecond),
          };
          if (merge) epochs[epochs.length - 1] = r;
          else epochs.push(r);
          if (e.complete) hooks.onEpoch?.(r);
        },
      }).catch((e: unknown) => {
        if (!(e instanceof NonFiniteError) || (o.diverge ?? 'throw') === 'throw') throw e;
        diverged = { step: e.step, layer: e.layer, message: e.message };
        return null;
      });
      if (history === null) break; // diverged: the last checkpoint stays as it is
      aborted = history.aborted;
      await save();
    }
    if (saved !== model.step && !diverged) await save(); // a run with nothing left to train still leaves its checkpoint
    const cut = epochs[epochs.length - 1];
    if (cut && !cut.complete) hooks.onEpoch?.(cut);
    const seconds = (performance.now() - t0) / 1000;
    const last = epochs[epochs.length - 1];
    const test = data.test ? model.evaluate(data.test.x, data.test.y) : null;
    const summary: RunSummary = {
      steps: model.step, epochs: model.epoch,
      trainLoss: last?.trainLoss ?? null, trainAccuracy: last?.trainAccuracy ?? null,
      testLoss: test?.loss ?? null, testAccuracy: test?.accuracy ?? null,
      examplesPerSecond: examples / seconds, seconds, weightsSha256: weightsSha256(model), aborted,
      workers: model.workers, build: model.build, diverged,
    };
    return { summary, epochs, steps };
  } finally {
    await model.dispose();
  }
}
