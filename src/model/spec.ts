// Model specs: plain, serialisable data (they cross into workers and into checkpoints), their validation,
// and small builders. A spec says what to build; model/layers.ts says which kernels run it.

import { checkOptions, show } from '../core/check.js';

export type Activation = 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid';

/**
 * Weight initialisers. Fan-in/fan-out are the layer's input and output sizes.
 * - zeros; constant; normal (mean, std: the paper's "simple" init is normal std 0.1); uniform [low, high)
 * - glorotUniform U(-a, a), a = sqrt(6 / (fanIn + fanOut)); glorotNormal N(0, 2 / (fanIn + fanOut))
 * - heNormal N(0, 2 / fanIn); heUniform U(-a, a), a = sqrt(6 / fanIn)   (He et al. 2015)
 * - sussilloAbbott: N(0, g^2 / fanIn), Sussillo & Abbott 2014 (model/init.ts has the formula for g)
 */
export type Initializer =
  | 'zeros' | 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'sussilloAbbott'
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'normal'; readonly mean?: number; readonly std: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number };

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

export interface ModelSpec {
  /** Features per example. */
  readonly inputs: number;
  readonly layers: readonly LayerSpec[];
  /** softmaxCrossEntropy takes integer class labels; meanSquaredError takes float targets. */
  readonly loss: Loss;
}

const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'];
const NAMED_INITS = ['zeros', 'glorotUniform', 'glorotNormal', 'heNormal', 'heUniform', 'sussilloAbbott'];
const LOSSES: readonly Loss[] = ['softmaxCrossEntropy', 'meanSquaredError'];
/** Widest layer and input the planner accepts: keeps every GEMM dimension far inside i32 byte offsets. */
export const MAX_UNITS = 1 << 20;

const isPosInt = (v: unknown, max = MAX_UNITS): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function checkInit(where: string, init: unknown): void {
  if (init === undefined) return;
  if (typeof init === 'string') {
    if (!NAMED_INITS.includes(init)) {
      throw new Error(`${where}: unknown initializer "${init}" (allowed: ${NAMED_INITS.join(', ')}, or { kind: 'normal' | 'uniform' | 'constant', ... })`);
    }
    return;
  }
  const o = init as { kind?: unknown; [k: string]: unknown };
  if (typeof o !== 'object' || o === null) throw new Error(`${where}: initializer must be a name or an object, got ${show(init)}`);
  if (o.kind === 'constant') {
    checkOptions(where, o, ['kind', 'value'], false);
    if (!isFiniteNum(o.value)) throw new Error(`${where}: constant initializer value is ${show(o.value)} (need a finite number)`);
  } else if (o.kind === 'normal') {
    checkOptions(where, o, ['kind', 'mean', 'std'], false);
    if (o.mean !== undefined && !isFiniteNum(o.mean)) throw new Error(`${where}: normal initializer mean is ${show(o.mean)} (need a finite number)`);
    if (!isFiniteNum(o.std) || o.std < 0) throw new Error(`${where}: normal initializer std is ${show(o.std)} (need a finite number >= 0)`);
  } else if (o.kind === 'uniform') {
    checkOptions(where, o, ['kind', 'low', 'high'], false);
    if (!isFiniteNum(o.low) || !isFiniteNum(o.high) || !(o.low <= o.high)) {
      throw new Error(`${where}: uniform initializer needs finite low <= high, got low=${show(o.low)} high=${show(o.high)}`);
    }
  } else {
    throw new Error(`${where}: unknown initializer kind ${show(o.kind)} (allowed: normal, uniform, constant)`);
  }
}

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

export function normalizeSpec(spec: ModelSpec): NormalizedSpec {
  if (typeof spec !== 'object' || spec === null) throw new Error('model spec must be an object');
  checkOptions('model spec', spec, ['inputs', 'layers', 'loss'], false);
  if (!isPosInt(spec.inputs)) throw new Error(`model spec: inputs is ${show(spec.inputs)} (need an integer from 1 to ${MAX_UNITS})`);
  if (!LOSSES.includes(spec.loss)) throw new Error(`model spec: unknown loss ${show(spec.loss)} (allowed: ${LOSSES.join(', ')})`);
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
    if (!ACTIVATIONS.includes(activation)) throw new Error(`${where}: unknown activation ${show(activation)} (allowed: ${ACTIVATIONS.join(', ')})`);
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

/** Inverted dropout with drop probability `rate`. */
export function dropout(rate: number, options: { name?: string } = {}): DropoutSpec {
  return { kind: 'dropout', rate, ...options };
}

/** A dense (fully connected) layer: y = activation(x W + b). */
export function dense(units: number, options: Omit<DenseSpec, 'kind' | 'units'> = {}): DenseSpec {
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
export function mlp(o: MlpOptions): ModelSpec {
  const layers: LayerSpec[] = o.hidden.flatMap((units): LayerSpec[] => {
    const d = dense(units, { activation: o.activation ?? 'relu', kernelInit: o.init, biasInit: o.biasInit });
    return o.dropout ? [d, dropout(o.dropout)] : [d];
  });
  layers.push(dense(o.outputs, { kernelInit: o.init, biasInit: o.biasInit }));
  return { inputs: o.inputs, layers, loss: o.loss ?? 'softmaxCrossEntropy' };
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
  simpleVar: { kernel: { kind: 'normal', std: Math.sqrt(0.1) }, bias: 'zeros' },
  simpleBias: { kernel: { kind: 'normal', std: 0.1 }, bias: { kind: 'constant', value: 0.1 } },
  sussilloAbbott: { kernel: 'sussilloAbbott', bias: 'zeros' },
  he: { kernel: 'heNormal', bias: 'zeros' },
  zero: { kernel: 'zeros', bias: 'zeros' },
} as const satisfies Record<string, { readonly kernel: Initializer; readonly bias: Initializer }>;

/**
 * The network of the paper's MNIST experiment (Table 1): 784 inputs, 20 hidden layers of 50 ReLU units,
 * 10 softmax outputs. `init` picks the paper's settings (PAPER_INITS): simple N(0, 0.1^2), simpleVar
 * N(0, 0.1), simpleBias N(0, 0.1^2) with biases 0.1, sussilloAbbott, he, zero; `dropout` adds a dropout
 * layer after every hidden layer (Table 1, row 1b).
 */
export function paperNet(init: keyof typeof PAPER_INITS = 'he',
                         options: { depth?: number; width?: number; dropout?: number } = {}): ModelSpec {
  const { depth = 20, width = 50, dropout: rate } = options;
  if (!Object.hasOwn(PAPER_INITS, init)) throw new Error(`paperNet: unknown init ${show(init)} (allowed: ${Object.keys(PAPER_INITS).join(', ')})`);
  const { kernel, bias } = PAPER_INITS[init];
  return mlp({ inputs: 784, hidden: Array<number>(depth).fill(width), outputs: 10, activation: 'relu', init: kernel, biasInit: bias, dropout: rate });
}
