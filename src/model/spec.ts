// Sequential model specs (a stack of dense and dropout layers over one float input, the form before the
// graph), their validation, and the sugar that builds the common networks: mlp() and paperNet() return
// graphs (src/graph/spec.ts) whose nodes and parameters keep the names of the layers (`dense_0/kernel`).
// A sequential spec given to createModel() becomes the same graph (toGraph).

import {
  arrayOf, checkArg, checkFields, checkOptions, custom, didYouMean, int, nullish, number, oneOf, optional, show, type FieldsOf,
} from '../core/check.js';
import { ACTIVATIONS, type Activation } from '../graph/ops/activation.js';
import { checkInit, initializer, type Initializer } from '../graph/init.js';
import { MAX_UNITS } from '../graph/limits.js';
import { GRAPH_FORMAT, isGraphSpec, type GraphNode, type GraphParam, type GraphSpec } from '../graph/spec.js';

export type { Activation } from '../graph/ops/activation.js';
export type { Initializer } from '../graph/init.js';
export { initializer } from '../graph/init.js';

export interface DenseSpec {
  readonly kind: 'dense';
  readonly units: number;
  readonly activation?: Activation;
  /** Negative slope of leakyRelu (default 0.01, must be > 0). */
  readonly alpha?: number;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
  /** Unique layer name; default `dense_<index>`. Parameters are `<name>/kernel` and `<name>/bias`. */
  readonly name?: string;
}

/**
 * Inverted dropout (Srivastava et al. 2014): while training, each activation is zeroed with probability
 * `rate` and the survivors are scaled by 1 / (1 - rate); evaluate() and predict() pass activations
 * through. Masks come from the counter-based RNG, a pure function of (seed, step, layer, element).
 */
export interface DropoutSpec {
  readonly kind: 'dropout';
  /** Probability of dropping an activation, in [0, 1). */
  readonly rate: number;
  /** Unique layer name; default `dropout_<index>`. */
  readonly name?: string;
}

export type LayerSpec = DenseSpec | DropoutSpec;

/** A layer spec with every default filled in (normalizeSpec's output). */
export type NormalizedLayer = Required<DenseSpec> | Required<DropoutSpec>;

export type Loss = 'softmaxCrossEntropy' | 'meanSquaredError';

/** A stack of layers over one float input (the form before graphs). */
export interface SequentialSpec {
  /** Features per example. */
  readonly inputs: number;
  readonly layers: readonly LayerSpec[];
  /** softmaxCrossEntropy takes integer class labels; meanSquaredError takes float targets. */
  readonly loss: Loss;
}

const LOSSES: readonly Loss[] = ['softmaxCrossEntropy', 'meanSquaredError'];
export { MAX_UNITS };

const isPosInt = (v: unknown, max = MAX_UNITS): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Throws an Error naming the first problem in the spec; returns the spec with every default filled in. */
export interface NormalizedSpec {
  readonly inputs: number;
  readonly loss: Loss;
  readonly layers: readonly NormalizedLayer[];
}

function checkName(where: string, name: unknown, names: Set<string>): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`${where}: name ${show(name)} must be non-empty and use only letters, digits, _ . -`);
  if (names.has(name)) throw new Error(`${where}: layer name "${name}" is used twice`);
  names.add(name);
  return name;
}

/** What createModel() takes: a graph, or a sequential stack of layers. */
export type ModelSpec = GraphSpec | SequentialSpec;

export function normalizeSpec(spec: SequentialSpec): NormalizedSpec {
  if (typeof spec !== 'object' || spec === null) throw new Error('model spec must be an object');
  checkOptions('model spec', spec, ['inputs', 'layers', 'loss'], false);
  if (!isPosInt(spec.inputs)) throw new Error(`model spec: inputs is ${show(spec.inputs)} (need an integer from 1 to ${MAX_UNITS})`);
  if (!LOSSES.includes(spec.loss)) throw new Error(`model spec: unknown loss ${show(spec.loss)} (allowed: ${LOSSES.join(', ')})${didYouMean(String(spec.loss), LOSSES)}`);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new Error('model spec: layers must be a non-empty array');
  const names = new Set<string>();
  const layers = spec.layers.map((l, i): NormalizedLayer => {
    const where = `model spec: layers[${i}]`;
    if (typeof l === 'object' && l !== null && l.kind === 'dropout') {
      checkOptions(where, l, ['kind', 'rate', 'name'], false);
      if (typeof l.rate !== 'number' || !(l.rate >= 0 && l.rate < 1)) throw new Error(`${where}: dropout rate is ${show(l.rate)} (need a number in [0, 1))`);
      return { kind: 'dropout', rate: l.rate, name: checkName(where, l.name ?? `dropout_${i}`, names) };
    }
    if (typeof l !== 'object' || l === null || l.kind !== 'dense') {
      throw new Error(`${where}: unknown layer kind ${show((l as { kind?: unknown })?.kind)} (allowed: dense, dropout)`);
    }
    checkOptions(where, l, ['kind', 'units', 'activation', 'alpha', 'kernelInit', 'biasInit', 'name'], false);
    if (!isPosInt(l.units)) throw new Error(`${where}: units is ${show(l.units)} (need an integer from 1 to ${MAX_UNITS})`);
    const activation = l.activation ?? 'linear';
    if (!ACTIVATIONS.includes(activation)) throw new Error(`${where}: unknown activation ${show(activation)} (allowed: ${ACTIVATIONS.join(', ')})${didYouMean(String(activation), ACTIVATIONS)}`);
    const alpha = l.alpha ?? 0.01;
    if (!isFiniteNum(alpha) || alpha <= 0) throw new Error(`${where}: alpha is ${show(alpha)} (need a finite number > 0)`);
    checkInit(`${where}.kernelInit`, l.kernelInit);
    checkInit(`${where}.biasInit`, l.biasInit);
    const name = checkName(where, l.name ?? `dense_${i}`, names);
    return { kind: 'dense', units: l.units, activation, alpha, kernelInit: l.kernelInit ?? 'glorotUniform', biasInit: l.biasInit ?? 'zeros', name };
  });
  const last = layers[layers.length - 1]!;
  if (last.kind !== 'dense') throw new Error(`model spec: the last layer must be dense (got ${last.kind})`);
  if (spec.loss === 'softmaxCrossEntropy') {
    if (last.activation !== 'linear') throw new Error(`model spec: softmaxCrossEntropy applies the softmax itself, so the last layer's activation must be linear (got ${last.activation})`);
    if (last.units < 2) throw new Error(`model spec: softmaxCrossEntropy needs at least 2 output units (got ${last.units})`);
  }
  return { inputs: spec.inputs, loss: spec.loss, layers };
}

// ---------------------------------------------------------------- builders
// Each builder checks its arguments when it is called (core/check.ts field schemas), so that a typo or a
// wrong value fails where it is written, not later in createModel; normalizeSpec checks again, since specs
// also come from JSON files. The two agree (test/ts/fuzz/configs.fuzz.test.ts).

const units = int(1, MAX_UNITS);
const layerName = custom('letters, digits, _ . - only', (v) =>
  (typeof v === 'string' && /^[A-Za-z0-9_.-]+$/.test(v) ? undefined : ` is ${show(v)} (need a non-empty name of letters, digits, _ . -)`));
const dropoutRate = number({ min: 0, max: 1, maxOpen: true });

// Options read with `??` take their default for null too (nullish), as normalizeSpec does.
const DROPOUT_FIELDS: FieldsOf<{ name?: string }> = { name: nullish(layerName) };
const DENSE_FIELDS: FieldsOf<Omit<DenseSpec, 'kind' | 'units'>> = {
  activation: nullish(oneOf(ACTIVATIONS)), alpha: nullish(number({ min: 0, minOpen: true })),
  kernelInit: optional(initializer), biasInit: optional(initializer), name: nullish(layerName),
};
const MLP_FIELDS: FieldsOf<MlpOptions> = {
  inputs: units, hidden: arrayOf(units), outputs: units, activation: nullish(oneOf(ACTIVATIONS)),
  init: optional(initializer), biasInit: optional(initializer), loss: nullish(oneOf(LOSSES)), dropout: nullish(dropoutRate),
};
const PAPER_NET_FIELDS: FieldsOf<PaperNetOptions> = { depth: optional(int(0)), width: optional(units), dropout: optional(dropoutRate) };

/** Inverted dropout with drop probability `rate`. */
export function dropout(rate: number, options: { name?: string } = {}): DropoutSpec {
  checkArg('dropout', 'rate', rate, dropoutRate);
  checkFields('dropout', options, DROPOUT_FIELDS);
  return { kind: 'dropout', rate, ...options };
}

/** A dense (fully connected) layer: y = activation(x W + b). */
export function dense(units: number, options: Omit<DenseSpec, 'kind' | 'units'> = {}): DenseSpec {
  checkArg('dense', 'units', units, int(1, MAX_UNITS));
  checkFields('dense', options, DENSE_FIELDS);
  return { kind: 'dense', units, ...options };
}

export interface MlpOptions {
  readonly inputs: number;
  readonly hidden: readonly number[];
  readonly outputs: number;
  readonly activation?: Activation;
  readonly init?: Initializer;
  readonly biasInit?: Initializer;
  readonly loss?: Loss;
  /** Dropout rate after every hidden layer (none when 0 or absent). */
  readonly dropout?: number;
}

/** A multilayer perceptron: hidden layers with one activation, a linear output layer. */
export function mlp(o: MlpOptions): GraphSpec {
  checkFields('mlp', o, MLP_FIELDS, { optional: false });
  if ((o.loss ?? 'softmaxCrossEntropy') === 'softmaxCrossEntropy' && o.outputs < 2) {
    throw new Error(`mlp: outputs is ${o.outputs} (need at least 2 for softmaxCrossEntropy; one output takes meanSquaredError)`);
  }
  const layers: LayerSpec[] = o.hidden.flatMap((units): LayerSpec[] => {
    const d = dense(units, { activation: o.activation ?? 'relu', kernelInit: o.init, biasInit: o.biasInit });
    return o.dropout ? [d, dropout(o.dropout)] : [d];
  });
  layers.push(dense(o.outputs, { kernelInit: o.init, biasInit: o.biasInit }));
  return toGraph({ inputs: o.inputs, layers, loss: o.loss ?? 'softmaxCrossEntropy' });
}

export interface PaperNetOptions {
  /** Hidden layers (default 20). */
  readonly depth?: number;
  /** Units per hidden layer (default 50). */
  readonly width?: number;
  /** Dropout rate after every hidden layer (none when 0 or absent). */
  readonly dropout?: number;
}

/**
 * The inits of the paper's MNIST experiment (Table 1) by name: the weights' and the biases' initializers.
 * The paper's "simple" init is "a Gaussian of 0.1" and says nothing of the biases. It reads as standard
 * deviation 0.1 with zero biases ('simple'), as variance 0.1 ('simpleVar', std sqrt(0.1) = 0.316), or as
 * the convention of TensorFlow's MNIST tutorials of 2015, std 0.1 with biases 0.1 ('simpleBias');
 * docs/EXPERIMENTS.md measures the three. The other inits have zero biases.
 */
export const PAPER_INITS = {
  simple: { kernel: { kind: 'normal', std: 0.1 }, bias: 'zeros' },
  sussilloAbbott: { kernel: 'sussilloAbbott', bias: 'zeros' },
  he: { kernel: 'heNormal', bias: 'zeros' },
  zero: { kernel: 'zeros', bias: 'zeros' },
  simpleVar: { kernel: { kind: 'normal', std: Math.sqrt(0.1) }, bias: 'zeros' },
  simpleBias: { kernel: { kind: 'normal', std: 0.1 }, bias: { kind: 'constant', value: 0.1 } },
} as const satisfies Record<string, { readonly kernel: Initializer; readonly bias: Initializer }>;
export type PaperInit = keyof typeof PAPER_INITS;
const paperInit = oneOf(Object.keys(PAPER_INITS));

/**
 * The network of the paper's MNIST experiment (Table 1): 784 inputs, 20 hidden layers of 50 ReLU units,
 * 10 softmax outputs. `init` picks the paper's settings (PAPER_INITS): simple N(0, 0.1^2), sussilloAbbott,
 * he, zero, simpleVar N(0, 0.1), simpleBias N(0, 0.1^2) with biases 0.1; `dropout` adds a dropout layer
 * after every hidden layer (Table 1, row 1b).
 */
export function paperNet(init: PaperInit = 'he', options: PaperNetOptions = {}): GraphSpec {
  checkArg('paperNet', 'init', init, paperInit);
  checkFields('paperNet', options, PAPER_NET_FIELDS);
  const { depth = 20, width = 50, dropout: rate } = options;
  const { kernel, bias } = PAPER_INITS[init];
  return mlp({ inputs: 784, hidden: Array<number>(depth).fill(width), outputs: 10, activation: 'relu', init: kernel, biasInit: bias, dropout: rate });
}

/**
 * The graph of a spec: a graph as it is, a sequential stack as input `x` [inputs] (f32), one node per layer
 * named as the layer (dense: parameters `<name>/kernel` [inputs, units] and `<name>/bias` [units]), the
 * last layer as the output, and the loss against input `y` (class ids [] for softmaxCrossEntropy, float
 * targets [units] for meanSquaredError).
 */
export function toGraph(spec: ModelSpec): GraphSpec {
  if (isGraphSpec(spec)) return spec;
  const n = normalizeSpec(spec);
  const params: GraphParam[] = [];
  const nodes: GraphNode[] = [];
  let prev = 'x', width = n.inputs;
  for (const l of n.layers) {
    if (l.kind === 'dropout') {
      nodes.push({ name: l.name, op: 'dropout', inputs: [prev], attrs: { rate: l.rate } });
    } else {
      const fan = [width, l.units] as const;
      params.push({ name: `${l.name}/kernel`, shape: [width, l.units], init: l.kernelInit, fan, activation: l.activation });
      params.push({ name: `${l.name}/bias`, shape: [l.units], init: l.biasInit, fan, activation: l.activation });
      nodes.push({
        name: l.name, op: 'dense', inputs: [prev], attrs: { units: l.units, activation: l.activation, alpha: l.alpha },
        params: { kernel: `${l.name}/kernel`, bias: `${l.name}/bias` },
      });
      width = l.units;
    }
    prev = l.name;
  }
  const ce = n.loss === 'softmaxCrossEntropy';
  return {
    format: GRAPH_FORMAT,
    inputs: [{ name: 'x', shape: [n.inputs], dtype: 'f32' }, { name: 'y', shape: ce ? [] : [width], dtype: ce ? 'i32' : 'f32' }],
    params, nodes, outputs: [prev], losses: [{ op: n.loss, input: prev, target: 'y' }],
  };
}
