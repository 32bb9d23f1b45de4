// The functional builder: build a graph (graph/spec.ts) by applying layers and ops to symbolic tensors, as
// with Keras' functional API:
//
//   const story = input('story', [50, 6], { dtype: 'i32' }), query = input('query', [6], { dtype: 'i32' });
//   const A = layers.embedding(vocab, 32);        // a layer object; applying it twice shares its table
//   const m = ops.sum(A(story), { axis: 1 }), u = ops.sum(A(query), { axis: 0 });
//   ...
//   const spec = graph({ outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, answer)] });
//
// Every application checks its attributes and shapes at once (errors name the op or layer and both
// shapes), so a bad model fails where it is written. graph() walks back from the outputs and losses,
// names what the user left unnamed (layers `<kind>_<i>` in first-use order, their parameters
// `<layer>/<slot>`, other nodes `<op>_<i>`) and returns plain data.
import { arrayOf, boolean, check, checkArg, checkFields, int, nullish, number, oneOf, optional, show, type Check, type Fields } from '../core/check.js';
import { initializer, type Initializer } from './init.js';
import type { Activation } from './ops/activation.js';
import { LOSSES, OPS } from './ops/index.js';
import { sizeOf, showShape, type DType, type OpDecl, type ValueType } from './op.js';
import { compileGraph, GRAPH_FORMAT, type GraphLoss, type GraphNode, type GraphParam, type GraphSpec } from './spec.js';
import { MAX_UNITS } from './limits.js';
import { MAX_CGRU_CUTOFF } from './ops/recurrent.js';

/** A parameter tensor: made by a layer (its slot) or by layers.parameter(), shareable by reference. */
export class Param {
  /** @internal */
  constructor(readonly shape: readonly number[], readonly init: Initializer, readonly fan: readonly [number, number] | undefined,
              readonly activation: Activation | undefined, readonly owner: Layer | null, readonly slot: string, readonly explicitName: string | undefined) {}
}

interface InputSource { readonly kind: 'input'; readonly name: string; readonly dtype: DType }
interface NodeSource {
  readonly kind: 'node';
  readonly op: OpDecl;
  readonly inputs: readonly (Tensor | null)[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly params: Readonly<Record<string, Param>>;
  readonly name: string | undefined;
  readonly layer: Layer | null;
}

/** A symbolic value of a graph under construction: its type, and how it is computed. */
export class Tensor {
  /** @internal */
  constructor(readonly type: ValueType, /** @internal */ readonly source: InputSource | NodeSource) {}
  /** Shape per example (of the whole value when static). */
  get shape(): readonly number[] { return this.type.shape; }
  get dtype(): DType { return this.type.dtype; }
  /** Whether it holds one value per example (inputs and what is computed from them) or one for the batch. */
  get batched(): boolean { return this.type.batched; }
  toString(): string { return `Tensor${showShape(this.type)}`; }
}

const isTensor = (v: unknown): v is Tensor => v instanceof Tensor;

function tensorArg(where: string, what: string, v: unknown): Tensor {
  if (!isTensor(v)) throw new Error(`${where}: ${what} must be a Tensor (from input(), a layer or an op), got ${show(v)}`);
  return v;
}

/** A graph input: `shape` per example, f32 features or i32 ids / labels. */
const valueName = check('letters, digits or _ . - / :', (v) => typeof v === 'string' && /^[A-Za-z0-9_.\-/:]{1,200}$/.test(v));
const nodeName = check('letters, digits or _ . - :', (v) => typeof v === 'string' && /^[A-Za-z0-9_.\-:]{1,200}$/.test(v));
const shapeOf = (minLength: number) => arrayOf(int(1, MAX_UNITS), { minLength, maxLength: 8 });
const tensor: Check = check('a Tensor (from input(), a layer or an op)', (v) => v instanceof Tensor);

/** A graph input: `shape` per example ([] for one value per example), f32 features or i32 ids / labels. */
export function input(name: string, shape: readonly number[], options: { readonly dtype?: DType } = {}): Tensor {
  checkArg('input', 'name', name, valueName);
  checkArg(`input "${name}"`, 'shape', shape, shapeOf(0));
  const o = checkFields<{ dtype?: DType | null }>(`input "${name}"`, options, { dtype: nullish(oneOf(['f32', 'i32'])) });
  const dtype = o.dtype ?? 'f32';
  return new Tensor({ shape: [...shape], dtype, batched: true }, { kind: 'input', name, dtype });
}

// Applies an op: checks the attributes and the shapes now, and returns the symbolic output.
function apply(op: string, where: string, inputs: readonly (Tensor | null)[], attrs: Record<string, unknown>,
               params: Record<string, Param>, name: string | undefined, layer: Layer | null): Tensor {
  const decl = OPS[op]!;
  const a = decl.attrs(where, attrs);
  const shapes: Record<string, readonly number[]> = Object.fromEntries(Object.entries(params).map(([s, p]) => [s, p.shape]));
  const inferred = decl.infer(where, a, inputs.map((t) => t?.type ?? null), shapes);
  for (const slot of inferred.params ?? []) {
    const p = params[slot.slot];
    if (p && (p.shape.length !== slot.shape.length || !p.shape.every((d, i) => d === slot.shape[i]))) {
      throw new Error(`${where}: its ${slot.slot} parameter is [${p.shape.join(', ')}], but this input needs [${slot.shape.join(', ')}]`);
    }
  }
  return new Tensor(inferred.out, { kind: 'node', op: decl, inputs, attrs: a as Record<string, unknown>, params, name, layer });
}


/** A layer: parameters, and an op applied with them. Call it on a tensor; calling it again shares them. */
export interface Layer {
  (x: Tensor): Tensor;
  readonly kind: string;
  /** The name given, or undefined until graph() names it. */
  readonly name: string | undefined;
  /** A parameter of the layer by slot (kernel, bias, embeddings, ...), once it exists (after the first call
   *  for shapes that depend on the input). */
  param(slot: string): Param;
}

function makeLayer(kind: string, name: string | undefined, call: (self: Layer, x: Tensor, ...rest: unknown[]) => Tensor, params: Record<string, Param>): Layer {
  const layer = ((x: Tensor, ...rest: unknown[]) => call(layer, tensorArg(`layers.${kind}${name ? ` "${name}"` : ''}`, 'its input', x), ...rest)) as Layer & { params: Record<string, Param> };
  Object.defineProperties(layer, {
    kind: { value: kind, enumerable: true },
    name: { value: name, enumerable: true },
    params: { value: params },
    param: {
      value: (slot: string) => {
        const p = params[slot];
        if (!p) throw new Error(`layers.${kind}${name ? ` "${name}"` : ''}: no parameter "${slot}" yet (have: ${Object.keys(params).join(', ') || 'none until the layer is applied'})`);
        return p;
      },
    },
  });
  return layer;
}

export interface DenseOptions {
  readonly activation?: Activation;
  readonly alpha?: number;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
  readonly useBias?: boolean;
  /** Use this parameter as the kernel (tied weights), e.g. an embedding's table with transposeKernel. */
  readonly kernel?: Param;
  /** The kernel is [units, inputs] (an embedding table [vocab, dim] as the output layer over the vocabulary). */
  readonly transposeKernel?: boolean;
  readonly name?: string;
}

const DENSE_FIELDS: Fields = {
  activation: nullish(oneOf(['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'])), alpha: nullish(number({ min: 0, minOpen: true })),
  kernelInit: optional(initializer), biasInit: optional(initializer), useBias: nullish(boolean), transposeKernel: nullish(boolean),
  kernel: optional(check('a Param (layer.param(slot) or a layer\'s parameter)', (v) => v instanceof Param)), name: nullish(nodeName),
};

function dense(units: number, options: DenseOptions = {}): Layer {
  const o = checkFields<DenseOptions>('layers.dense', options, DENSE_FIELDS);
  const where = `layers.dense${o.name ? ` "${o.name}"` : ''}`;
  checkArg(where, 'units', units, int(1, MAX_UNITS));
  const params: Record<string, Param> = {};
  const activation = o.activation ?? 'linear', useBias = o.useBias ?? true, transposeKernel = o.transposeKernel ?? false;
  return makeLayer('dense', o.name ?? undefined, (self, x) => {
    const IN = x.shape[x.shape.length - 1] ?? 0;
    const fan = [IN, units] as const;
    if (!params.kernel) params.kernel = o.kernel ?? new Param(transposeKernel ? [units, IN] : [IN, units], o.kernelInit ?? 'glorotUniform', fan, activation, self, 'kernel', undefined);
    if (useBias && !params.bias) params.bias = new Param([units], o.biasInit ?? 'zeros', fan, activation, self, 'bias', undefined);
    return apply('dense', where, [x], { units, activation, alpha: o.alpha ?? undefined, useBias, transposeKernel }, params, undefined, self);
  }, params);
}

function dropout(rate: number, options: { readonly name?: string } = {}): Layer {
  const o = checkFields<{ name?: string }>('layers.dropout', options, { name: nullish(nodeName) });
  const where = `layers.dropout${o.name ? ` "${o.name}"` : ''}`;
  checkArg(where, 'rate', rate, number({ min: 0, max: 1, maxOpen: true }));
  return makeLayer('dropout', o.name ?? undefined, (self, x) => apply('dropout', where, [x], { rate }, {}, undefined, self), {});
}

export interface EmbeddingOptions {
  /** Ids equal to it read as zero vectors and get no gradient (padding). Default: none. */
  readonly paddingId?: number;
  /** Default N(0, 1), as torch.nn.Embedding. */
  readonly init?: Initializer;
  readonly name?: string;
}

/** An embedding layer: call it on ids for their rows; bag() sums the rows of each last axis of ids. */
export interface EmbeddingLayer extends Layer {
  /**
   * ids [..., L] -> [..., dim]: the sum of the rows of each bag of L ids, each times its row of `weights`
   * (a static [L, dim] value: a constant position encoding, or a parameter); padding ids are skipped. The
   * table is this layer's, shared with its other uses.
   */
  bag(ids: Tensor, options?: { readonly weights?: Tensor; readonly name?: string }): Tensor;
}

function embedding(vocab: number, dim: number, options: EmbeddingOptions = {}): EmbeddingLayer {
  const o = checkFields<EmbeddingOptions>('layers.embedding', options, { paddingId: nullish(int(0, (1 << 24) - 1)), init: optional(initializer), name: nullish(nodeName) });
  const where = `layers.embedding${o.name ? ` "${o.name}"` : ''}`;
  checkArg(where, 'vocab', vocab, int(1, 1 << 24));
  checkArg(where, 'dim', dim, int(1, MAX_UNITS));
  if (o.paddingId != null && o.paddingId >= vocab) throw new Error(`${where}: paddingId ${o.paddingId} is outside the vocabulary [0, ${vocab})`);
  const params: Record<string, Param> = {};
  const layer = makeLayer('embedding', o.name ?? undefined, (self, ids) =>
    apply('embedding', where, [ids], { vocab, dim, paddingId: o.paddingId ?? null }, params, undefined, self), params);
  params.embeddings = new Param([vocab, dim], o.init ?? { kind: 'normal', std: 1 }, [vocab, dim], undefined, layer, 'embeddings', undefined);
  const bag = (ids: Tensor, bagOptions?: { readonly weights?: Tensor; readonly name?: string }): Tensor => {
    const b = checkFields<{ weights?: Tensor | null; name?: string | null }>(`${where}.bag`, bagOptions, { weights: nullish(tensor), name: nullish(nodeName) });
    const inputs = [tensorArg(`${where}.bag`, 'ids', ids), ...(b.weights ? [b.weights] : [])];
    return apply('embeddingBag', `${where}.bag`, inputs, { vocab, dim, paddingId: o.paddingId ?? null }, params, b.name ?? undefined, layer);
  };
  Object.defineProperty(layer, 'bag', { value: bag, enumerable: true });
  return layer as EmbeddingLayer;
}

/**
 * A parameter used as a value (the same for every example): added to a batched value (temporal encodings),
 * or multiplied with matmul. Use the returned tensor wherever it is needed: every use shares it.
 */
function parameter(shape: readonly number[], options: { readonly name?: string; readonly init?: Initializer } = {}): Tensor {
  const o = checkFields<{ name?: string; init?: Initializer }>('layers.parameter', options, { name: nullish(valueName), init: optional(initializer) });
  checkArg('layers.parameter', 'shape', shape, shapeOf(1));
  const p = new Param([...shape], o.init ?? (shape.length > 1 ? 'glorotUniform' : 'zeros'), undefined, undefined, null, 'value', o.name ?? undefined);
  return apply('param', 'layers.parameter', [], {}, { value: p }, o.name ?? undefined, null);
}

const sizeOrPair = (n: 1 | 2) => check(`a positive integer or a list of ${n}`, (v) => (Number.isSafeInteger(v) && (v as number) >= 1) ||
  (Array.isArray(v) && v.length === n && v.every((p) => Number.isSafeInteger(p) && p >= 1)));
const paddingField = check('"valid", "same" or [top, left]', (v) => v === 'valid' || v === 'same' || (Array.isArray(v) && v.length <= 2 && v.every((p) => Number.isSafeInteger(p) && p >= 0)));
const pairOf = (n: 1 | 2, v: number | readonly number[]): number[] => (typeof v === 'number' ? Array<number>(n).fill(v) : [...v]);

export interface ConvOptions {
  readonly kernelSize: number | readonly number[];
  readonly strides?: number | readonly number[];
  readonly dilation?: number | readonly number[];
  /** 'valid' (default), 'same' (TensorFlow's) or explicit [top, left] (PyTorch's symmetric padding). */
  readonly padding?: 'valid' | 'same' | readonly number[];
  readonly activation?: Activation;
  readonly alpha?: number;
  readonly useBias?: boolean;
  readonly kernelInit?: Initializer;
  readonly biasInit?: Initializer;
  readonly name?: string;
}

function conv(rank: 1 | 2) {
  return (filters: number, options: ConvOptions): Layer => {
    const kind = rank === 2 ? 'conv2d' : 'conv1d';
    const o = checkFields<ConvOptions>(`layers.${kind}`, options, {
      kernelSize: sizeOrPair(rank), strides: nullish(sizeOrPair(rank)), dilation: nullish(sizeOrPair(rank)), padding: nullish(paddingField),
      activation: nullish(oneOf(['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'])), alpha: nullish(number({ min: 0, minOpen: true })),
      useBias: nullish(boolean), kernelInit: optional(initializer), biasInit: optional(initializer), name: nullish(nodeName),
    }, { optional: false });
    const where = `layers.${kind}${o.name ? ` "${o.name}"` : ''}`;
    checkArg(where, 'filters', filters, int(1, MAX_UNITS));
    const params: Record<string, Param> = {};
    const k = pairOf(rank, o.kernelSize), useBias = o.useBias ?? true, activation = o.activation ?? 'linear';
    return makeLayer(kind, o.name ?? undefined, (self, x) => {
      const C = x.shape[x.shape.length - 1] ?? 0, area = k.reduce((a, b) => a * b, 1);
      // Keras' fans for a convolution: the window times the channels in and out.
      const fan = [area * C, area * filters] as const;
      if (!params.kernel) params.kernel = new Param([...k, C, filters], o.kernelInit ?? 'glorotUniform', fan, activation, self, 'kernel', undefined);
      if (useBias && !params.bias) params.bias = new Param([filters], o.biasInit ?? 'zeros', fan, activation, self, 'bias', undefined);
      return apply(kind, where, [x], {
        filters, kernelSize: k, strides: o.strides ?? undefined, dilation: o.dilation ?? undefined, padding: o.padding ?? undefined,
        activation, alpha: o.alpha ?? undefined, useBias,
      }, params, undefined, self);
    }, params);
  };
}

export interface PoolOptions {
  /** Default: the pool size. */
  readonly strides?: number | readonly number[];
  readonly padding?: 'valid' | 'same' | readonly number[];
  /** Average pooling: count padding positions in the divisor (PyTorch's count_include_pad). Default false. */
  readonly countPad?: boolean;
  readonly name?: string;
}

function pooling(kind: 'max' | 'avg', rank: 1 | 2) {
  return (poolSize: number | readonly number[], options: PoolOptions = {}): Layer => {
    const op = `${kind}Pool${rank}d`;
    const o = checkFields<PoolOptions>(`layers.${op}`, options, {
      strides: nullish(sizeOrPair(rank)), padding: nullish(paddingField), countPad: nullish(boolean), name: nullish(nodeName),
    });
    const where = `layers.${op}${o.name ? ` "${o.name}"` : ''}`;
    checkArg(where, 'poolSize', poolSize, sizeOrPair(rank));
    return makeLayer(op, o.name ?? undefined, (self, x) => apply(op, where, [x], {
      poolSize, strides: o.strides ?? undefined, padding: o.padding ?? undefined, countPad: o.countPad ?? undefined,
    }, {}, undefined, self), {});
  };
}

/** A recurrent layer: call it on x [T, features] and, optionally, a mask [T] (0 = padding step). */
export interface RecurrentLayer extends Layer {
  (x: Tensor, mask?: Tensor): Tensor;
}

export interface RecurrentOptions {
  /** The whole sequence [T, units] (true) or the last state [units] (false, the default). */
  readonly returnSequences?: boolean;
  /** Stacked layers (each but the last returns its sequence to the next). Default 1. */
  readonly layers?: number;
  /** Default PyTorch's U(-1/sqrt(units), 1/sqrt(units)) for every weight and bias. */
  readonly init?: Initializer;
  readonly name?: string;
}

function recurrent(kind: 'lstm' | 'gru') {
  return (units: number, options: RecurrentOptions = {}): RecurrentLayer => {
    const o = checkFields<RecurrentOptions>(`layers.${kind}`, options, {
      returnSequences: nullish(boolean), layers: nullish(int(1, 64)), init: optional(initializer), name: nullish(nodeName),
    });
    const where = `layers.${kind}${o.name ? ` "${o.name}"` : ''}`;
    checkArg(where, 'units', units, int(1, MAX_UNITS));
    const G = kind === 'lstm' ? 4 : 3, depth = o.layers ?? 1, bound = 1 / Math.sqrt(units);
    const init: Initializer = o.init ?? { kind: 'uniform', low: -bound, high: bound };
    const params: Record<string, Param> = {};
    const layer = makeLayer(kind, o.name ?? undefined, (self, x, ...rest: unknown[]) => {
      const mask = rest[0] === undefined ? null : tensorArg(where, 'the mask', rest[0]);
      let h = x;
      for (let l = 0; l < depth; l++) {
        const IN = h.shape[h.shape.length - 1] ?? 0;
        const own = (slot: string, shape: number[]) => (params[`${slot}_l${l}`] ??= new Param(shape, init, [shape[1] ?? shape[0]!, shape[0]!], undefined, self, `${slot}_l${l}`, undefined));
        const p = {
          weight_ih: own('weight_ih', [G * units, IN]), weight_hh: own('weight_hh', [G * units, units]),
          bias_ih: own('bias_ih', [G * units]), bias_hh: own('bias_hh', [G * units]),
        };
        const seq = l < depth - 1 || (o.returnSequences ?? false);
        h = apply(kind, where, mask ? [h, mask] : [h], { units, returnSequences: seq }, p, undefined, self);
      }
      return h;
    }, params);
    return layer as RecurrentLayer;
  };
}

export interface CgruOptions {
  /** Odd kernel size (default 3). */
  readonly kernelSize?: number;
  /** The gates' sigmoid cutoff c >= 1 (default 1, the plain sigmoid; the released Neural GPU code: 1.2). */
  readonly cutoff?: number;
  /**
   * Diagonal gates (Freivalds & Liepins 2017): channels moved one position along the state's first axis
   * each way before the update gate mixes the state in (default 0, the plain CGRU; they move a third each way).
   */
  readonly diagonal?: number;
  /** Both convolutions' kernels (default glorotUniform). */
  readonly init?: Initializer;
  /** The gate biases (default zeros). */
  readonly gatesBias?: Initializer;
  readonly name?: string;
}

/** One step of the Neural GPU's convolutional GRU; apply the same layer again and again to share it. */
function cgruLayer(options: CgruOptions = {}): Layer {
  const o = checkFields<CgruOptions>('layers.cgru', options, {
    kernelSize: nullish(int(1, 15)), cutoff: nullish(number({ min: 1, max: MAX_CGRU_CUTOFF })), diagonal: nullish(int(0, 1 << 20)),
    init: optional(initializer), gatesBias: optional(initializer), name: nullish(nodeName),
  });
  const where = `layers.cgru${o.name ? ` "${o.name}"` : ''}`;
  const ks = o.kernelSize ?? 3;
  const params: Record<string, Param> = {};
  return makeLayer('cgru', o.name ?? undefined, (self, s) => {
    const C = s.shape[s.shape.length - 1] ?? 0, fan = [ks * ks * C, ks * ks * C] as const;
    params.gates ??= new Param([ks, ks, C, 2 * C], o.init ?? 'glorotUniform', fan, undefined, self, 'gates', undefined);
    params.gatesBias ??= new Param([2 * C], o.gatesBias ?? 'zeros', fan, undefined, self, 'gatesBias', undefined);
    params.candidate ??= new Param([ks, ks, C, C], o.init ?? 'glorotUniform', fan, undefined, self, 'candidate', undefined);
    params.candidateBias ??= new Param([C], 'zeros', fan, undefined, self, 'candidateBias', undefined);
    const attrs = { kernelSize: ks, ...(o.cutoff != null && o.cutoff !== 1 ? { cutoff: o.cutoff } : {}), ...(o.diagonal ? { diagonal: o.diagonal } : {}) };
    return apply('cgru', where, [s], attrs, params, undefined, self);
  }, params);
}

export const layers = {
  dense, dropout, embedding, parameter,
  conv2d: conv(2), conv1d: conv(1),
  maxPool2d: pooling('max', 2), maxPool1d: pooling('max', 1), avgPool2d: pooling('avg', 2), avgPool1d: pooling('avg', 1),
  lstm: recurrent('lstm'), gru: recurrent('gru'), cgru: cgruLayer,
};

type OpOptions = { readonly name?: string };

function op(kind: string, inputs: readonly (Tensor | null)[], attrs: Record<string, unknown>, name: string | undefined): Tensor {
  return apply(kind, `ops.${kind}`, inputs, attrs, {}, name, null);
}

// An op's options: its attributes (the op checks them) and the node's name.
function split(where: string, options: object | undefined, fields: Fields): { attrs: Record<string, unknown>; name: string | undefined } {
  const o = checkFields<Record<string, unknown>>(where, options, { ...fields, name: nullish(nodeName) });
  const { name, ...attrs } = o;
  return { attrs, name: (name as string | null | undefined) ?? undefined };
}
const anyTensor = nullish(tensor);

const unary = (kind: string) => (x: Tensor, options?: OpOptions): Tensor => {
  const { name } = split(`ops.${kind}`, options, {});
  return op(kind, [tensorArg(`ops.${kind}`, 'x', x)], {}, name);
};
const binary = (kind: string) => (a: Tensor, b: Tensor, options?: OpOptions): Tensor => {
  const { name } = split(`ops.${kind}`, options, {});
  return op(kind, [tensorArg(`ops.${kind}`, 'a', a), tensorArg(`ops.${kind}`, 'b', b)], {}, name);
};

export const ops = {
  /** a + b, b broadcast over a's leading axes (b's shape a suffix of a's). */
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  /** x * factor. */
  scale(x: Tensor, factor: number, options?: OpOptions): Tensor {
    const { name } = split('ops.scale', options, {});
    return op('scale', [tensorArg('ops.scale', 'x', x)], { factor }, name);
  },
  relu: unary('relu'),
  tanh: unary('tanh'),
  sigmoid: unary('sigmoid'),
  leakyRelu(x: Tensor, options?: OpOptions & { readonly alpha?: number }): Tensor {
    const { attrs, name } = split('ops.leakyRelu', options, { alpha: nullish(number({ min: 0, minOpen: true })) });
    return op('leakyRelu', [tensorArg('ops.leakyRelu', 'x', x)], attrs, name);
  },
  /** Softmax over the last axis; entries where the mask is 0 get probability 0. */
  softmax(x: Tensor, options?: OpOptions & { readonly mask?: Tensor }): Tensor {
    const { attrs: { mask }, name } = split('ops.softmax', options, { mask: anyTensor });
    return op('softmax', mask ? [tensorArg('ops.softmax', 'x', x), mask as Tensor] : [tensorArg('ops.softmax', 'x', x)], {}, name);
  },
  /** 1 where ids differ from paddingId (default 0), else 0; reduce 'any': per row of the last axis. */
  tokenMask(ids: Tensor, options?: OpOptions & { readonly paddingId?: number; readonly reduce?: 'none' | 'any' }): Tensor {
    const { attrs, name } = split('ops.tokenMask', options, { paddingId: nullish(int(-(2 ** 31), 2 ** 31 - 1)), reduce: nullish(oneOf(['none', 'any'])) });
    return op('tokenMask', [tensorArg('ops.tokenMask', 'ids', ids)], attrs, name);
  },
  /** Matrix products over the last two axes, batched over the leading ones. */
  matmul(a: Tensor, b: Tensor, options?: OpOptions & { readonly transposeA?: boolean; readonly transposeB?: boolean }): Tensor {
    const { attrs, name } = split('ops.matmul', options, { transposeA: nullish(boolean), transposeB: nullish(boolean) });
    return op('matmul', [tensorArg('ops.matmul', 'a', a), tensorArg('ops.matmul', 'b', b)], attrs, name);
  },
  /** Joins values along the last axis. */
  concat(values: readonly Tensor[], options?: OpOptions): Tensor {
    const { name } = split('ops.concat', options, {});
    if (!Array.isArray(values) || values.length === 0) throw new Error(`ops.concat: values is ${show(values)} (need a non-empty array of Tensors)`);
    return op('concat', values.map((v, i) => tensorArg('ops.concat', `values[${i}]`, v)), {}, name);
  },
  /** Elements [start, start + size) of the last axis. */
  slice(x: Tensor, start: number, size: number, options?: OpOptions): Tensor {
    const { name } = split('ops.slice', options, {});
    return op('slice', [tensorArg('ops.slice', 'x', x)], { start, size }, name);
  },
  /** The same values in another shape per example (one dimension may be -1); free. */
  reshape(x: Tensor, shape: readonly number[], options?: OpOptions): Tensor {
    const { name } = split('ops.reshape', options, {});
    return op('reshape', [tensorArg('ops.reshape', 'x', x)], { shape }, name);
  },
  sum(x: Tensor, options?: OpOptions & { readonly axis?: number }): Tensor {
    const { attrs, name } = split('ops.sum', options, { axis: nullish(int(-8, 7)) });
    return op('sum', [tensorArg('ops.sum', 'x', x)], attrs, name);
  },
  mean(x: Tensor, options?: OpOptions & { readonly axis?: number }): Tensor {
    const { attrs, name } = split('ops.mean', options, { axis: nullish(int(-8, 7)) });
    return op('mean', [tensorArg('ops.mean', 'x', x)], attrs, name);
  },
  /** Zeros before and after the last axis: [..., W] -> [..., before + W + after]. */
  pad(x: Tensor, before: number, after: number, options?: OpOptions): Tensor {
    const { name } = split('ops.pad', options, {});
    return op('pad', [tensorArg('ops.pad', 'x', x)], { before, after }, name);
  },
  /** The values of each example as one axis: reshape(x, [-1]). */
  flatten(x: Tensor, options?: OpOptions): Tensor {
    const { name } = split('ops.flatten', options, {});
    return op('reshape', [tensorArg('ops.flatten', 'x', x)], { shape: [-1] }, name);
  },
  /** Values fixed in the graph (the same for every example): position encodings. */
  constant(values: ArrayLike<number>, shape: readonly number[], options?: OpOptions): Tensor {
    const { name } = split('ops.constant', options, {});
    return op('constant', [], { shape, values: Array.from(values ?? []) }, name);
  },
};

/** A loss of the graph: what training minimises (graph() collects them). */
export interface Loss {
  /** @internal */
  readonly spec: { readonly op: string; readonly input: Tensor; readonly target: Tensor; readonly mask: Tensor | null; readonly weight: number; readonly attrs: Record<string, unknown> };
}

function makeLoss(kind: string, input: Tensor, target: Tensor, options: object | undefined, extra: Fields): Loss {
  const where = `losses.${kind}`;
  const o = checkFields<Record<string, unknown>>(where, options, { ...extra, mask: anyTensor, weight: nullish(number({ min: 0, minOpen: true })) });
  const { mask, weight, ...attrs } = o;
  const x = tensorArg(where, 'the prediction', input), t = tensorArg(where, 'the target', target);
  if (t.source.kind !== 'input') throw new Error(`${where}: the target must be a graph input (input(name, shape)), got a computed ${t}`);
  const decl = LOSSES[kind]!;
  const a = decl.attrs(where, attrs);
  decl.check(where, a, x.type, t.type, (mask as Tensor | null)?.type ?? null);
  return { spec: { op: kind, input: x, target: t, mask: (mask as Tensor | null) ?? null, weight: (weight as number | null) ?? 1, attrs } };
}

export const losses = {
  /** Softmax cross-entropy of logits [C] (labels []) or [..., T, C] (labels [..., T], per position). */
  softmaxCrossEntropy(logits: Tensor, labels: Tensor, options?: { readonly mask?: Tensor; readonly weight?: number; readonly ignoreIndex?: number; readonly reduction?: 'mean' | 'sum' }): Loss {
    return makeLoss('softmaxCrossEntropy', logits, labels, options, { ignoreIndex: nullish(int(-(2 ** 31), 2 ** 31 - 1)), reduction: nullish(oneOf(['mean', 'sum'])) });
  },
  meanSquaredError(prediction: Tensor, target: Tensor, options?: { readonly weight?: number }): Loss {
    return makeLoss('meanSquaredError', prediction, target, options, {});
  },
  /** Binary cross-entropy with logits (the sigmoid inside, computed stably); targets in [0, 1]. */
  binaryCrossEntropy(logits: Tensor, target: Tensor, options?: { readonly weight?: number }): Loss {
    return makeLoss('binaryCrossEntropy', logits, target, options, {});
  },
};

export interface GraphOptions {
  /** The inputs, in the order the graph declares them. Default: in the order the graph first reads them. */
  readonly inputs?: readonly Tensor[];
  /** The values predict() returns. */
  readonly outputs: readonly Tensor[];
  readonly losses: readonly Loss[];
}

/** The graph that computes `outputs` and `losses`, as plain data (checked completely). */
export function graph(options: GraphOptions): GraphSpec {
  const o = checkFields<GraphOptions>('graph', options, {
    inputs: optional(arrayOf(tensor)), outputs: arrayOf(tensor, { minLength: 1 }),
    losses: arrayOf(check('a loss from losses.*', (l) => typeof l === 'object' && l !== null && 'spec' in l), { minLength: 1 }),
  }, { optional: false });

  // Every tensor the outputs and losses depend on, inputs before their users (depth first, in input order).
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const visit = (t: Tensor) => {
    if (seen.has(t)) return;
    seen.add(t);
    if (t.source.kind === 'node') for (const x of t.source.inputs) if (x) visit(x);
    order.push(t);
  };
  for (const t of o.inputs ?? []) visit(tensorArg('graph', 'inputs[]', t));
  for (const l of o.losses) { visit(l.spec.input); visit(l.spec.target); if (l.spec.mask) visit(l.spec.mask); }
  for (const t of o.outputs) visit(t);
  if (o.inputs) {
    for (const t of order) {
      if (t.source.kind === 'input' && !o.inputs.includes(t)) throw new Error(`graph: input "${t.source.name}" is read but not listed in inputs`);
    }
  }

  // Names: explicit ones first (so that generated ones never take them), then generated in order.
  const taken = new Set<string>();
  const claim = (name: string, what: string) => {
    if (taken.has(name)) throw new Error(`graph: the name "${name}" is used twice (${what})`);
    taken.add(name);
    return name;
  };
  const inputs = (o.inputs ?? order.filter((t) => t.source.kind === 'input'));
  for (const t of inputs) claim((t.source as InputSource).name, 'an input');
  const layerNames = new Map<Layer, string>();
  const counters = new Map<string, number>();
  const fresh = (base: string) => {
    let i = counters.get(base) ?? 0;
    while (taken.has(`${base}_${i}`)) i++;
    counters.set(base, i + 1);
    return claim(`${base}_${i}`, 'generated');
  };
  for (const t of order) {
    if (t.source.kind !== 'node') continue;
    const { layer, name } = t.source;
    if (layer?.name && !layerNames.has(layer)) layerNames.set(layer, claim(layer.name, `layer ${layer.kind}`));
    else if (name) claim(name, `node ${t.source.op.op}`);
  }
  const nodeNames = new Map<Tensor, string>();
  const uses = new Map<Layer, number>();
  for (const t of order) {
    if (t.source.kind !== 'node') continue;
    const { layer, name, op } = t.source;
    if (layer) {
      if (!layerNames.has(layer)) layerNames.set(layer, fresh(layer.kind));
      const n = uses.get(layer) ?? 0;
      uses.set(layer, n + 1);
      nodeNames.set(t, n === 0 ? layerNames.get(layer)! : claim(`${layerNames.get(layer)!}:${n}`, 'a layer applied again'));
    } else {
      nodeNames.set(t, name ?? fresh(op.op));
    }
  }
  const valueName = (t: Tensor) => (t.source.kind === 'input' ? t.source.name : nodeNames.get(t)!);

  // Parameters, in first-use order.
  const params: GraphParam[] = [];
  const paramNames = new Map<Param, string>();
  const paramTaken = new Set<string>();
  for (const t of order) {
    if (t.source.kind !== 'node') continue;
    for (const p of Object.values(t.source.params)) {
      if (paramNames.has(p)) continue;
      const name = p.explicitName ?? (p.owner ? `${layerNames.get(p.owner as Layer) ?? fresh(p.owner.kind)}/${p.slot}` : `${nodeNames.get(t)}`);
      if (paramTaken.has(name)) throw new Error(`graph: the parameter name "${name}" is used twice`);
      paramTaken.add(name);
      paramNames.set(p, name);
      params.push({ name, shape: p.shape, init: p.init, ...(p.fan ? { fan: p.fan } : {}), ...(p.activation ? { activation: p.activation } : {}) });
    }
  }

  const nodes: GraphNode[] = order.filter((t) => t.source.kind === 'node').map((t) => {
    const s = t.source as NodeSource;
    return {
      name: nodeNames.get(t)!, op: s.op.op, inputs: s.inputs.map((x) => (x ? valueName(x) : '')), attrs: s.attrs,
      params: Object.fromEntries(Object.entries(s.params).map(([slot, p]) => [slot, paramNames.get(p)!])),
    };
  });
  const lossSpecs: GraphLoss[] = o.losses.map((l) => ({
    op: l.spec.op, input: valueName(l.spec.input), target: valueName(l.spec.target), ...(l.spec.mask ? { mask: valueName(l.spec.mask) } : {}),
    weight: l.spec.weight, attrs: l.spec.attrs,
  }));
  const spec: GraphSpec = {
    format: GRAPH_FORMAT,
    inputs: inputs.map((t) => ({ name: (t.source as InputSource).name, shape: t.shape, dtype: t.dtype })),
    params, nodes, outputs: o.outputs.map(valueName), losses: lossSpecs,
  };
  compileGraph(spec); // every check once more, on the data as it will be stored
  return spec;
}

/** Elements per example of a tensor (for callers that size data). */
export const elementsPerExample = (t: Tensor): number => sizeOf(t.shape);
