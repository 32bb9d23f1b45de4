// How each op of the graph becomes ONNX nodes (opset 17), for inference: one lowering per op kind, the only
// place where the exporter asks which kind an op is. docs/export.md has the table and the reasons.
//
// Values. A batched gradnoise value of shape S per example is an ONNX tensor [batch, ...S]; a static one
// (a parameter, a constant, what is computed from them alone) is S itself. Per-example axes therefore move
// by one in batched values (axisOf), and broadcasting, which gradnoise does over leading axes (b's shape a
// suffix of a's), needs b's missing axes inserted after the batch axis when b is batched (ONNX aligns
// shapes from the right). Images are NHWC in gradnoise and NCHW in ONNX's Conv and pooling: each such node
// transposes in and out (ONNX Runtime's optimizer removes the pairs that cancel).
//
// Parameters become initializers under their own names; where ONNX wants another layout (Conv's OIHW,
// LSTM/GRU's gate order, a transposed dense kernel) a derived initializer is written once, named
// `<param>:<layout>`. Dropout is the identity (inference). Losses and the targets they read are left out.
import { windowOf } from '../../graph/ops/conv.js';
import type { ValueType } from '../../graph/op.js';
import type { CompiledNode } from '../../graph/spec.js';
import { DataType, type Attr, type OnnxBuilder } from './builder.js';

/** A derived layout of a parameter: its key (part of the initializer's name), dims and values. */
export interface Layout {
  readonly key: string;
  apply(data: Float32Array, shape: readonly number[]): { dims: number[]; data: Float32Array };
}

export interface LowerContext {
  readonly b: OnnxBuilder;
  readonly node: CompiledNode;
  /** `node "<name>" (<op>)`, for error messages. */
  readonly where: string;
  /** The ONNX value of input i ('' when the optional input is absent). */
  input(i: number): string;
  /** The initializer of the parameter in `slot`, as it is or in a derived layout. */
  param(slot: string, layout?: Layout): string;
  /** The name and the values of the parameter in `slot`. */
  paramName(slot: string): string;
  paramData(slot: string): Float32Array;
  /** Emits an intermediate node; returns its outputs (`count` of them). */
  emit(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, Attr>>, count?: number): string[];
  /** Emits one intermediate node with one output. */
  op(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, Attr>>): string;
  /** Emits the node whose output is this gradnoise node's value (named after it). */
  result(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, Attr>>): string;
}

/** Lowers one node; returns the ONNX value that holds its output. */
export type Lowering = (c: LowerContext) => string;

// ---------------------------------------------------------------- helpers

/** The ONNX axis of per-example axis `a` of a value of type t (negative axes count from the end either way). */
const axisOf = (t: ValueType, a: number): number => (a < 0 || !t.batched ? a : a + 1);
/** Rank of the ONNX tensor. */
const rankOf = (t: ValueType): number => t.shape.length + (t.batched ? 1 : 0);

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** `b` broadcast against `a` the gradnoise way: a batched b of lower rank gets its axes after the batch axis. */
function broadcastTo(c: LowerContext, a: ValueType, b: ValueType, bName: string): string {
  const missing = a.shape.length - b.shape.length;
  if (!b.batched || missing === 0) return bName;
  return c.op('Unsqueeze', [bName, c.b.i64(range(1, 1 + missing))]);
}

const ACTIVATION_OPS: Readonly<Record<string, string | null>> = { linear: null, relu: 'Relu', leakyRelu: 'LeakyRelu', tanh: 'Tanh', sigmoid: 'Sigmoid' };

/** Applies an activation: as an intermediate, or (final) as the node's result. */
function activate(c: LowerContext, x: string, activation: string, alpha: number, final: boolean): string {
  const op = ACTIVATION_OPS[activation];
  if (op === undefined) throw new Error(`${c.where}: activation "${activation}" has no ONNX operator here`);
  if (op === null) return final ? c.result('Identity', [x]) : x;
  const attrs: Record<string, Attr> = op === 'LeakyRelu' ? { alpha: { float: Math.fround(alpha) } } : {};
  return final ? c.result(op, [x], attrs) : c.op(op, [x], attrs);
}

/** 1 where ids differ from `pad`, else 0 (f32), with the ids' shape. */
function notPadding(c: LowerContext, ids: string, pad: number): string {
  const same = c.op('Equal', [ids, c.b.i32(pad)]);
  return c.op('Cast', [c.op('Not', [same])], { to: DataType.FLOAT });
}

// Parameter layouts.
const transposed: Layout = {
  key: 'T',
  apply(data, [a, b]) {
    const out = new Float32Array(data.length);
    for (let i = 0; i < a!; i++) for (let j = 0; j < b!; j++) out[j * a! + i] = data[i * b! + j]!;
    return { dims: [b!, a!], data: out };
  },
};

/** HWIO [KH, KW, C, F] (or WIO [KW, C, F]) -> ONNX's OIHW [F, C, KH, KW] (OIW [F, C, KW]). */
const oihw: Layout = {
  key: 'OIHW',
  apply(data, shape) {
    const [KH, KW, C, F] = shape.length === 4 ? shape as [number, number, number, number] : [1, shape[0]!, shape[1]!, shape[2]!];
    const out = new Float32Array(data.length);
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) for (let ch = 0; ch < C; ch++) for (let f = 0; f < F; f++) {
      out[((f * C + ch) * KH + kh) * KW + kw] = data[((kh * KW + kw) * C + ch) * F + f]!;
    }
    return { dims: shape.length === 4 ? [F, C, KH, KW] : [F, C, KW], data: out };
  },
};

/** Gate blocks of a PyTorch recurrent weight [G·H, ...] reordered to ONNX's order, with ONNX's leading direction axis. */
function gateOrder(name: string, perm: readonly number[]): Layout {
  return {
    key: name,
    apply(data, shape) {
      const G = perm.length, rowsPer = shape[0]! / G, cols = shape.length > 1 ? shape[1]! : 1, block = rowsPer * cols;
      const out = new Float32Array(data.length);
      perm.forEach((from, to) => out.set(data.subarray(from * block, (from + 1) * block), to * block));
      return { dims: [1, ...shape], data: out };
    },
  };
}

// ONNX LSTM gates i, o, f, c from PyTorch's i, f, g, o; ONNX GRU z, r, h from PyTorch's r, z, n.
const LSTM_ORDER = [0, 3, 1, 2];
const GRU_ORDER = [1, 0, 2];

// ---------------------------------------------------------------- the lowerings

const binary = (op: string): Lowering => (c) => {
  const [a, b] = c.node.inputTypes as [ValueType, ValueType];
  return c.result(op, [c.input(0), broadcastTo(c, a, b, c.input(1))]);
};

const unary = (kind: string): Lowering => (c) => activate(c, c.input(0), kind, (c.node.attrs as { alpha?: number }).alpha ?? 0.01, true);

const dense: Lowering = (c) => {
  const a = c.node.attrs as { activation: string; alpha: number; useBias: boolean; transposeKernel: boolean };
  const x = c.node.inputTypes[0]!;
  let y: string;
  if (rankOf(x) === 2) {
    // One row per example: Gemm, with the bias and the kernel's orientation as attributes.
    y = c.op('Gemm', [c.input(0), c.param('kernel'), ...(a.useBias ? [c.param('bias')] : [])], a.transposeKernel ? { transB: 1 } : {});
  } else {
    y = c.op('MatMul', [c.input(0), a.transposeKernel ? c.param('kernel', transposed) : c.param('kernel')]);
    if (a.useBias) y = c.op('Add', [y, c.param('bias')]);
  }
  return activate(c, y, a.activation, a.alpha, true);
};

const reshape: Lowering = (c) => {
  const out = c.node.out;
  // 0 copies the batch dimension from the input (allowzero = 0, and every other dimension is >= 1).
  return c.result('Reshape', [c.input(0), c.b.i64(out.batched ? [0, ...out.shape] : [...out.shape])]);
};

const reduce = (kind: 'sum' | 'mean'): Lowering => (c) => {
  const x = c.node.inputTypes[0]!, axis = axisOf(x, (c.node.attrs as { axis: number }).axis);
  // Opset 17: ReduceSum takes its axes as an input, ReduceMean still as an attribute.
  return kind === 'sum'
    ? c.result('ReduceSum', [c.input(0), c.b.i64([axis])], { keepdims: 0 })
    : c.result('ReduceMean', [c.input(0)], { axes: [axis], keepdims: 0 });
};

const softmax: Lowering = (c) => {
  const [x, m] = c.node.inputTypes;
  if (!m || !c.input(1)) return c.result('Softmax', [c.input(0)], { axis: -1 });
  // Masked entries (mask 0) get probability 0; a row with every entry masked is all zeros (not NaN): the
  // masked scores become the lowest f32, and the mask clears them again after the softmax.
  const keep = c.op('Not', [c.op('Equal', [broadcastTo(c, x!, m, c.input(1)), c.b.f32(0)])]);
  const scores = c.op('Where', [keep, c.input(0), c.b.f32(-3.4028234663852886e38)]);
  return c.result('Where', [keep, c.op('Softmax', [scores], { axis: -1 }), c.b.f32(0)]);
};

const tokenMask: Lowering = (c) => {
  const a = c.node.attrs as { paddingId: number; reduce: 'none' | 'any' };
  const m = notPadding(c, c.input(0), a.paddingId);
  return a.reduce === 'any' ? c.result('ReduceMax', [m], { axes: [-1], keepdims: 0 }) : c.result('Identity', [m]);
};

const matmul: Lowering = (c) => {
  const a = c.node.attrs as { transposeA: boolean; transposeB: boolean };
  const swapLast = (t: ValueType, v: string) => {
    const r = rankOf(t);
    return c.op('Transpose', [v], { perm: [...range(0, r - 2), r - 1, r - 2] });
  };
  const [ta, tb] = c.node.inputTypes as [ValueType, ValueType];
  const A = a.transposeA ? swapLast(ta, c.input(0)) : c.input(0), B = a.transposeB ? swapLast(tb, c.input(1)) : c.input(1);
  return c.result('MatMul', [A, B]);
};

const embedding: Lowering = (c) => {
  const a = c.node.attrs as { paddingId: number | null };
  const rows = c.op('Gather', [c.param('embeddings'), c.input(0)], { axis: 0 });
  if (a.paddingId === null) return c.result('Identity', [rows]);
  // A padding id reads as zeros, whatever the table holds in its row.
  return c.result('Mul', [rows, c.op('Unsqueeze', [notPadding(c, c.input(0), a.paddingId), c.b.i64([-1])])]);
};

const embeddingBag: Lowering = (c) => {
  const a = c.node.attrs as { paddingId: number | null };
  let rows = c.op('Gather', [c.param('embeddings'), c.input(0)], { axis: 0 }); // [..., L, dim]
  if (a.paddingId !== null) rows = c.op('Mul', [rows, c.op('Unsqueeze', [notPadding(c, c.input(0), a.paddingId), c.b.i64([-1])])]);
  if (c.input(1)) rows = c.op('Mul', [rows, c.input(1)]); //                       weights [L, dim], static
  return c.result('ReduceSum', [rows, c.b.i64([-2])], { keepdims: 0 });
};

// Convolution and pooling: NHWC in, NCHW for ONNX, NHWC out.
interface Conv { readonly x: string; readonly rank: 1 | 2; readonly pads: number[]; readonly g: ReturnType<typeof windowOf> }

function toNchw(c: LowerContext, rank: 1 | 2, kernel: readonly number[], strides: readonly number[], dilation: readonly number[], padding: unknown): Conv {
  const x = c.node.inputTypes[0]!;
  const g = windowOf(c.where, x, rank, kernel, strides, dilation, padding as 'valid');
  // ONNX's output size is floor((H + begin + end - extent) / S) + 1: the end padding that gives gradnoise's
  // OH (TensorFlow's 'same' puts the odd pixel at the end; explicit padding is symmetric, where the last
  // window may stop short of the end).
  const end = (O: number, S: number, K: number, D: number, I: number, P: number) => Math.max(0, (O - 1) * S + D * (K - 1) + 1 - I - P);
  const eh = end(g.OH, g.SH, g.KH, g.DH, g.H, g.PH), ew = end(g.OW, g.SW, g.KW, g.DW, g.W, g.PW);
  const xt = c.op('Transpose', [c.input(0)], { perm: rank === 2 ? [0, 3, 1, 2] : [0, 2, 1] });
  return { x: xt, rank, pads: rank === 2 ? [g.PH, g.PW, eh, ew] : [g.PW, ew], g };
}

const fromNchw = (c: LowerContext, rank: 1 | 2, y: string) => c.result('Transpose', [y], { perm: rank === 2 ? [0, 2, 3, 1] : [0, 2, 1] });

const conv = (rank: 1 | 2): Lowering => (c) => {
  const a = c.node.attrs as { kernelSize: number[]; strides: number[]; dilation: number[]; padding: unknown; activation: string; alpha: number; useBias: boolean };
  const { x, pads, g } = toNchw(c, rank, a.kernelSize, a.strides, a.dilation, a.padding);
  const attrs = rank === 2
    ? { kernel_shape: [g.KH, g.KW], strides: [g.SH, g.SW], dilations: [g.DH, g.DW], pads }
    : { kernel_shape: [g.KW], strides: [g.SW], dilations: [g.DW], pads };
  const y = c.op('Conv', [x, c.param('kernel', oihw), ...(a.useBias ? [c.param('bias')] : [])], attrs);
  return fromNchw(c, rank, activate(c, y, a.activation, a.alpha, false));
};

const pool = (kind: 'max' | 'avg', rank: 1 | 2): Lowering => (c) => {
  const a = c.node.attrs as { poolSize: number[]; strides: number[]; padding: unknown; countPad: boolean };
  const { x, pads, g } = toNchw(c, rank, a.poolSize, a.strides, [1, 1], a.padding);
  const attrs: Record<string, Attr> = rank === 2 ? { kernel_shape: [g.KH, g.KW], strides: [g.SH, g.SW], pads } : { kernel_shape: [g.KW], strides: [g.SW], pads };
  // gradnoise's average divides by the window (countPad) or by the positions inside the input, as ONNX's.
  if (kind === 'avg') attrs.count_include_pad = a.countPad ? 1 : 0;
  return fromNchw(c, rank, c.op(kind === 'max' ? 'MaxPool' : 'AveragePool', [x], attrs));
};

/**
 * LSTM and GRU. Without a mask: ONNX's own LSTM (gates reordered to i, o, f, c) and GRU (z, r, h, with
 * linear_before_reset = 1, which is PyTorch's n = tanh(W_in x + b_in + r (W_hn h + b_hn))), time-major
 * inside. With a mask, unrolled: ONNX's sequence_lens only drops steps at the end and zeroes their
 * outputs, while a gradnoise mask may drop any step and carries the state through it; the unrolled steps
 * (the input side of all steps one MatMul, then per step the recurrent MatMul, the gates, and a Where that
 * keeps the state on masked steps) compute exactly that.
 */
const recurrent = (kind: 'lstm' | 'gru'): Lowering => (c) => {
  const a = c.node.attrs as { units: number; returnSequences: boolean };
  const H = a.units, G = kind === 'lstm' ? 4 : 3, [T] = c.node.inputTypes[0]!.shape as [number, number];
  if (c.input(1)) return unrolled(c, kind, H, G, T!, a.returnSequences);
  const order = kind === 'lstm' ? LSTM_ORDER : GRU_ORDER;
  const W = c.param('weight_ih', gateOrder(`${kind}_W`, order)), R = c.param('weight_hh', gateOrder(`${kind}_R`, order));
  // B = [Wb, Rb]: the two biases, each in ONNX's gate order, one initializer [1, 2·G·H].
  const bih = c.node.params.bias_ih!, bhh = c.node.params.bias_hh!;
  const B = c.b.constant(`param:${bih}+${bhh}:${kind}_B`, () => {
    const w = gateOrder('', order).apply(c.paramData('bias_ih'), [G * H]).data, r = gateOrder('', order).apply(c.paramData('bias_hh'), [G * H]).data;
    const both = new Float32Array(2 * G * H);
    both.set(w);
    both.set(r, G * H);
    return c.b.initializer(`${c.paramName('bias_ih')}+bias_hh:${kind}_B`, [1, 2 * G * H], both);
  });
  const X = c.op('Transpose', [c.input(0)], { perm: [1, 0, 2] }); //                      [T, batch, IN]
  const attrs: Record<string, Attr> = { hidden_size: H, ...(kind === 'gru' ? { linear_before_reset: 1 } : {}) };
  const op = kind === 'lstm' ? 'LSTM' : 'GRU';
  if (a.returnSequences) {
    const [Y] = c.emit(op, [X, W, R, B], attrs, 1); //                                   [T, 1, batch, H]
    return c.result('Transpose', [c.op('Squeeze', [Y!, c.b.i64([1])])], { perm: [1, 0, 2] });
  }
  const [, Yh] = c.emit(op, [X, W, R, B], attrs, 2); //                                  [1, batch, H]
  return c.result('Squeeze', [Yh!, c.b.i64([0])]);
};

function unrolled(c: LowerContext, kind: 'lstm' | 'gru', H: number, G: number, T: number, seq: boolean): string {
  const { b } = c;
  const WihT = c.param('weight_ih', transposed), WhhT = c.param('weight_hh', transposed); // [IN, G·H], [H, G·H]
  let gx = c.op('Add', [c.op('MatMul', [c.input(0), WihT]), c.param('bias_ih')]); //        [batch, T, G·H]
  if (kind === 'lstm') gx = c.op('Add', [gx, c.param('bias_hh')]);
  const keep = c.op('Not', [c.op('Equal', [c.input(1), b.f32(0)])]); //                        [batch, T]
  // The zero initial state [batch, H].
  const shape = c.op('Concat', [c.op('Slice', [c.op('Shape', [c.input(0)]), b.i64([0]), b.i64([1])]), b.i64([H])], { axis: 0 });
  let h = c.op('Expand', [b.constant(`zeros:${H}`, () => b.initializer(`const_zeros_${H}`, [1, H], new Float32Array(H))), shape]);
  let cell = h;
  const split = b.i64(Array<number>(G).fill(H));
  const steps: string[] = [];
  for (let t = 0; t < T; t++) {
    const gxt = c.op('Gather', [gx, b.i64([t], true)], { axis: 1 }); //                    [batch, G·H]
    const k = c.op('Unsqueeze', [c.op('Gather', [keep, b.i64([t], true)], { axis: 1 }), b.i64([1])]); // [batch, 1]
    let gh = c.op('MatMul', [h, WhhT]);
    if (kind === 'lstm') {
      const [i, f, g, o] = c.emit('Split', [c.op('Add', [gxt, gh]), split], { axis: 1 }, 4) as [string, string, string, string];
      const cNew = c.op('Add', [c.op('Mul', [c.op('Sigmoid', [f]), cell]), c.op('Mul', [c.op('Sigmoid', [i]), c.op('Tanh', [g])])]);
      const hNew = c.op('Mul', [c.op('Sigmoid', [o]), c.op('Tanh', [cNew])]);
      cell = c.op('Where', [k, cNew, cell]);
      h = c.op('Where', [k, hNew, h]);
    } else {
      gh = c.op('Add', [gh, c.param('bias_hh')]);
      const [xr, xz, xn] = c.emit('Split', [gxt, split], { axis: 1 }, 3) as [string, string, string];
      const [hr, hz, hn] = c.emit('Split', [gh, split], { axis: 1 }, 3) as [string, string, string];
      const r = c.op('Sigmoid', [c.op('Add', [xr, hr])]), z = c.op('Sigmoid', [c.op('Add', [xz, hz])]);
      const n = c.op('Tanh', [c.op('Add', [xn, c.op('Mul', [r, hn])])]);
      const hNew = c.op('Add', [c.op('Mul', [c.op('Sub', [b.f32(1), z]), n]), c.op('Mul', [z, h])]);
      h = c.op('Where', [k, hNew, h]);
    }
    if (seq) steps.push(c.op('Unsqueeze', [h, b.i64([1])]));
  }
  return seq ? c.result('Concat', steps, { axis: 1 }) : c.result('Identity', [h]);
}

/** One step of the Neural GPU's CGRU, unrolled into Conv, Sigmoid, Tanh, Mul and Add (NCHW inside). */
const cgru: Lowering = (c) => {
  const [KH, KW] = (c.node.attrs as { kernelSize: number[] }).kernelSize as [number, number];
  const C = c.node.inputTypes[0]!.shape[2]!;
  const attrs = { kernel_shape: [KH, KW], pads: [(KH - 1) / 2, (KW - 1) / 2, (KH - 1) / 2, (KW - 1) / 2] };
  const s = c.op('Transpose', [c.input(0)], { perm: [0, 3, 1, 2] });
  const gates = c.op('Conv', [s, c.param('gates', oihw), c.param('gatesBias')], attrs); //  u' then u'' on the channels
  const [gu, gr] = c.emit('Split', [gates, c.b.i64([C, C])], { axis: 1 }, 2) as [string, string];
  // The gates' cutoff c (graph/ops/recurrent.ts): min(1, max(0, c·σ − (c − 1)/2)), the plain sigmoid at c = 1.
  const cutoff = (c.node.attrs as { cutoff?: number }).cutoff ?? 1;
  const gate = (x: string) => cutoff === 1 ? c.op('Sigmoid', [x])
    : c.op('Clip', [c.op('Sub', [c.op('Mul', [c.op('Sigmoid', [x]), c.b.f32(cutoff)]), c.b.f32((cutoff - 1) / 2)]), c.b.f32(0), c.b.f32(1)]);
  const u = gate(gu), r = gate(gr);
  const cand = c.op('Tanh', [c.op('Conv', [c.op('Mul', [r, s]), c.param('candidate', oihw), c.param('candidateBias')], attrs)]);
  // Diagonal gates: the last 2d channels move one position along H (before, then after), zeros at the edges.
  const d = (c.node.attrs as { diagonal?: number }).diagonal ?? 0, H = c.node.inputTypes[0]!.shape[0]!;
  const part = (c0: number, c1: number, h0: number, h1: number) => c.op('Slice', [s, c.b.i64([c0, h0]), c.b.i64([c1, h1]), c.b.i64([1, 2])]);
  const kept = d === 0 ? s : c.op('Concat', [
    part(0, C - 2 * d, 0, H),
    c.op('Pad', [part(C - 2 * d, C - d, 0, H - 1), c.b.i64([0, 0, 1, 0, 0, 0, 0, 0])], { mode: 'constant' }),
    c.op('Pad', [part(C - d, C, 1, H), c.b.i64([0, 0, 0, 0, 0, 0, 1, 0])], { mode: 'constant' }),
  ], { axis: 1 });
  const out = c.op('Add', [c.op('Mul', [u, kept]), c.op('Mul', [c.op('Sub', [c.b.f32(1), u]), cand])]);
  return fromNchw(c, 2, out);
};

/** Every op kind with its lowering (test/ts/export/onnx.test.ts checks that none of graph/ops is missing). */
export const LOWERINGS: Readonly<Record<string, Lowering>> = {
  dense,
  dropout: (c) => c.result('Identity', [c.input(0)]),
  relu: unary('relu'), leakyRelu: unary('leakyRelu'), tanh: unary('tanh'), sigmoid: unary('sigmoid'),
  add: binary('Add'), sub: binary('Sub'), mul: binary('Mul'),
  scale: (c) => c.result('Mul', [c.input(0), c.b.f32((c.node.attrs as { factor: number }).factor)]),
  reshape,
  concat: (c) => c.result('Concat', c.node.inputs.map((_, i) => c.input(i)), { axis: -1 }),
  slice: (c) => {
    const { start, size } = c.node.attrs as { start: number; size: number };
    return c.result('Slice', [c.input(0), c.b.i64([start]), c.b.i64([start + size]), c.b.i64([-1])]);
  },
  pad: (c) => {
    const { before, after } = c.node.attrs as { before: number; after: number }, r = rankOf(c.node.inputTypes[0]!);
    const pads = Array<number>(2 * r).fill(0);
    pads[r - 1] = before;
    pads[2 * r - 1] = after;
    return c.result('Pad', [c.input(0), c.b.i64(pads)], { mode: 'constant' });
  },
  sum: reduce('sum'), mean: reduce('mean'),
  softmax, tokenMask, matmul, embedding, embeddingBag,
  param: (c) => c.param('value'),
  constant: (c) => {
    const a = c.node.attrs as { shape: number[]; values: number[] };
    return c.b.initializer(c.node.name, a.shape, Float32Array.from(a.values));
  },
  conv2d: conv(2), conv1d: conv(1),
  maxPool2d: pool('max', 2), maxPool1d: pool('max', 1), avgPool2d: pool('avg', 2), avgPool1d: pool('avg', 1),
  lstm: recurrent('lstm'), gru: recurrent('gru'), cgru,
};

/** The ONNX element type of a value. */
export const elemTypeOf = (t: ValueType): number => (t.dtype === 'i32' ? DataType.INT32 : DataType.FLOAT);
