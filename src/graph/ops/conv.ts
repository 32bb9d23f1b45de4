// Convolution and pooling over NHWC values: conv2d, conv1d, maxPool2d/1d, avgPool2d/1d.
//
// conv2d: x [H, W, C] -> y [OH, OW, filters] = activation(im2col(x) · kernel + bias), kernel [KH, KW, C,
//   filters] (TensorFlow's HWIO; PyTorch's [filters, C, KH, KW] maps onto it), one GEMM over every output
//   position of every row (M = rows x OH x OW). The backward recomputes im2col (cheap, memory-bound) instead
//   of keeping it from the forward: dW = colsᵀ · dy, dcols = dy · Wᵀ, dx = col2im(dcols) in the fixed order
//   of kernels/conv.ts. A 1x1 convolution of stride 1 without padding skips im2col (x is already [M, C]).
// conv1d: x [L, C] -> [OL, filters], the same with H = 1, KH = 1.
// Padding: 'valid', 'same' (TensorFlow's: OH = ceil(H / SH), the odd pixel at the bottom/right), or explicit
//   [top, left] (PyTorch's symmetric padding p is [p, p] with OH = floor((H + 2p - DH (KH - 1) - 1) / SH) + 1).
// Pooling: max (first maximum in window order wins ties; its position saved for the backward) and average
//   (the divisor counts padding positions or not: countPad, PyTorch's count_include_pad).
import { boolean, check, int, nullish, oneOf, withDefaults } from '../../core/check.js';
import { activationKernels, ACTIVATIONS, type Activation } from './activation.js';
import { batchedF32 } from './dense.js';
import { showShape, type OpDecl, type ValueType } from '../op.js';
import { MAX_UNITS } from '../limits.js';

type Padding = 'valid' | 'same' | readonly [number, number];

interface Window {
  readonly H: number; readonly W: number; readonly C: number;
  readonly KH: number; readonly KW: number; readonly SH: number; readonly SW: number;
  readonly PH: number; readonly PW: number; readonly DH: number; readonly DW: number;
  readonly OH: number; readonly OW: number;
}

const pair = (v: number | readonly number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);

/** The geometry of a window over x; throws naming the shapes when it does not fit. */
function windowOf(where: string, x: ValueType, rank: 1 | 2, k: readonly number[], s: readonly number[], d: readonly number[], padding: Padding): Window {
  const [H, W, C] = rank === 2 ? x.shape as [number, number, number] : [1, x.shape[0]!, x.shape[1]!];
  const [KH, KW] = rank === 2 ? [k[0]!, k[1]!] : [1, k[0]!];
  const [SH, SW] = rank === 2 ? [s[0]!, s[1]!] : [1, s[0]!];
  const [DH, DW] = rank === 2 ? [d[0]!, d[1]!] : [1, d[0]!];
  const extent = (K: number, D: number) => D * (K - 1) + 1;
  let PH: number, PW: number, OH: number, OW: number;
  if (padding === 'same') {
    OH = Math.ceil(H / SH); OW = Math.ceil(W / SW);
    PH = Math.floor(Math.max((OH - 1) * SH + extent(KH, DH) - H, 0) / 2);
    PW = Math.floor(Math.max((OW - 1) * SW + extent(KW, DW) - W, 0) / 2);
  } else {
    [PH, PW] = padding === 'valid' ? [0, 0] : rank === 2 ? [padding[0], padding[1]] : [0, padding[0]];
    OH = Math.floor((H + 2 * PH - extent(KH, DH)) / SH) + 1;
    OW = Math.floor((W + 2 * PW - extent(KW, DW)) / SW) + 1;
  }
  if (OH < 1 || OW < 1) {
    throw new Error(`${where}: a window of ${rank === 2 ? `${KH}x${KW}` : KW}${DH > 1 || DW > 1 ? ` (dilation ${rank === 2 ? `${DH}x${DW}` : DW})` : ''} ` +
      `does not fit the input ${showShape(x)} with padding ${JSON.stringify(padding)}`);
  }
  return { H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW };
}

const paddingCheck = check('"valid", "same" or [top, left] padding', (v) => v === 'valid' || v === 'same' ||
  (Array.isArray(v) && (v.length === 1 || v.length === 2) && v.every((p) => Number.isSafeInteger(p) && p >= 0 && p <= MAX_UNITS)));
const sizes = (n: 1 | 2) => check(`a positive integer or a list of ${n}`, (v) => (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_UNITS) ||
  (Array.isArray(v) && v.length === n && v.every((p) => Number.isSafeInteger(p) && p >= 1 && p <= MAX_UNITS)));
const list = (n: 1 | 2, v: unknown): number[] => (typeof v === 'number' ? Array<number>(n).fill(v) : [...(v as number[])]);

export interface ConvAttrs {
  readonly filters: number;
  readonly kernelSize: readonly number[];
  readonly strides: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: Padding;
  readonly activation: Activation;
  readonly alpha: number;
  readonly useBias: boolean;
}

// Whether the convolution is a plain GEMM over x (1x1, stride 1, no padding).
const pointwise = (g: Window) => g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.PH === 0 && g.PW === 0;

function conv(rank: 1 | 2): OpDecl<ConvAttrs> {
  const geom = (where: string, a: ConvAttrs, x: ValueType) => windowOf(where, x, rank, a.kernelSize, a.strides, a.dilation, a.padding);
  const im2col = (n: Parameters<OpDecl['forward']>[0], g: Window, cols: number, x: number, rows: number) =>
    n.k.im2col_f32(cols, x, rows, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, g.OH, g.OW);
  return {
    op: rank === 2 ? 'conv2d' : 'conv1d',
    family: 'conv',
    arity: 1,
    inputNames: ['x'],
    attrs(where, raw) {
      const a = withDefaults<ConvAttrs>(where, raw, {
        filters: int(1, MAX_UNITS), kernelSize: sizes(rank), strides: nullish(sizes(rank)), dilation: nullish(sizes(rank)),
        padding: nullish(paddingCheck), activation: nullish(oneOf(ACTIVATIONS)), alpha: nullish(check('a finite number > 0', (v) => typeof v === 'number' && v > 0 && Number.isFinite(v))),
        useBias: nullish(boolean),
      }, { strides: 1, dilation: 1, padding: 'valid', activation: 'linear', alpha: 0.01, useBias: true });
      const padding = typeof a.padding === 'string' ? a.padding : list(rank, a.padding);
      return { ...a, kernelSize: list(rank, a.kernelSize), strides: list(rank, a.strides), dilation: list(rank, a.dilation), padding: padding as Padding };
    },
    infer(where, a, [x]) {
      const t = batchedF32(where, 'its input', x!, rank + 1);
      if (t.shape.length !== rank + 1) throw new Error(`${where}: its input must be [${rank === 2 ? 'H, W' : 'L'}, channels] per example, got ${showShape(t)}`);
      const g = geom(where, a, t);
      return {
        out: { shape: rank === 2 ? [g.OH, g.OW, a.filters] : [g.OW, a.filters], dtype: 'f32', batched: true },
        params: [
          { slot: 'kernel', shape: rank === 2 ? [g.KH, g.KW, g.C, a.filters] : [g.KW, g.C, a.filters] },
          ...(a.useBias ? [{ slot: 'bias', shape: [a.filters] }] : []),
        ],
      };
    },
    saves: (a) => ({ inputs: [0], output: a.activation !== 'linear' }),
    workspace(a, [x]) {
      const g = geom('', a, x!);
      if (pointwise(g)) return [];
      const per = g.OH * g.OW * g.KH * g.KW * g.C;
      return [{ name: 'cols', elements: per, batched: true, lifetime: 'forward' }, { name: 'colsB', elements: per, batched: true, lifetime: 'backward' },
        { name: 'dcols', elements: per, batched: true, lifetime: 'backward' }];
    },
    scratch(k, a, [x], _out, rows) {
      const g = geom('', a, x!), M = rows * g.OH * g.OW, KK = g.KH * g.KW * g.C;
      return Math.max(k.gemm_scratch_bytes(M, KK, a.filters), k.gemm_scratch_bytes(KK, M, a.filters), k.gemm_scratch_bytes(M, a.filters, KK));
    },
    accumulatesInput: () => true,
    accumulatesParam: (slot) => slot === 'kernel',
    forward(n, { rows }) {
      const { k, attrs: a } = n, g = geom('', a, n.inputs[0]!);
      const M = rows * g.OH * g.OW, KK = g.KH * g.KW * g.C, F = a.filters;
      let cols = n.x[0]!;
      if (!pointwise(g)) { cols = n.ws.cols!; im2col(n, g, cols, n.x[0]!, rows); }
      k.gemm_nn_f32(n.y, cols, n.p.kernel!, M, KK, F, 0, n.scratch);
      if (a.useBias) k.bias_forward_f32(n.y, n.p.bias!, M, F);
      activationKernels(a.activation, a.alpha).forward(k, n.y, n.y, M * F);
    },
    backward(n, { rows }) {
      const { k, attrs: a } = n, g = geom('', a, n.inputs[0]!);
      const M = rows * g.OH * g.OW, KK = g.KH * g.KW * g.C, F = a.filters;
      activationKernels(a.activation, a.alpha).backward(k, n.dy, n.y, n.dy, M * F);
      if (a.useBias && n.dp.bias) k.bias_backward_f32(n.dp.bias, n.dy, M, F);
      const pw = pointwise(g);
      let cols = n.x[0]!;
      if (!pw) { cols = n.ws.colsB!; im2col(n, g, cols, n.x[0]!, rows); }
      if (n.dp.kernel) k.gemm_tn_f32(n.dp.kernel, cols, n.dy, KK, M, F, n.accP.kernel!, n.scratch);
      if (!n.dx[0]) return;
      if (pw) { k.gemm_nt_f32(n.dx[0], n.dy, n.p.kernel!, M, F, KK, n.accX[0]!, n.scratch); return; }
      k.gemm_nt_f32(n.ws.dcols!, n.dy, n.p.kernel!, M, F, KK, 0, n.scratch);
      k.col2im_f32(n.dx[0], n.ws.dcols!, rows, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, g.OH, g.OW, n.accX[0]!);
    },
  };
}

export const conv2d = conv(2);
export const conv1d = conv(1);

export interface PoolAttrs {
  readonly poolSize: readonly number[];
  readonly strides: readonly number[];
  readonly padding: Padding;
  /** Average pooling: whether padding positions count in the divisor (PyTorch's count_include_pad). */
  readonly countPad: boolean;
}

function pool(kind: 'max' | 'avg', rank: 1 | 2): OpDecl<PoolAttrs> {
  const geom = (where: string, a: PoolAttrs, x: ValueType) => windowOf(where, x, rank, a.poolSize, a.strides, [1, 1], a.padding);
  return {
    op: `${kind}Pool${rank}d`,
    family: 'conv',
    arity: 1,
    inputNames: ['x'],
    attrs(where, raw) {
      const a = withDefaults<PoolAttrs & { strides: unknown }>(where, raw, {
        poolSize: sizes(rank), strides: nullish(sizes(rank)), padding: nullish(paddingCheck), countPad: nullish(boolean),
      }, { padding: 'valid', countPad: false });
      const poolSize = list(rank, a.poolSize);
      const padding = typeof a.padding === 'string' ? a.padding : list(rank, a.padding);
      return { ...a, poolSize, strides: a.strides === null ? poolSize : list(rank, a.strides), padding: padding as Padding };
    },
    infer(where, a, [x]) {
      const t = batchedF32(where, 'its input', x!, rank + 1);
      if (t.shape.length !== rank + 1) throw new Error(`${where}: its input must be [${rank === 2 ? 'H, W' : 'L'}, channels] per example, got ${showShape(t)}`);
      const g = geom(where, a, t);
      if (g.PH >= g.KH || g.PW >= g.KW) throw new Error(`${where}: padding [${g.PH}, ${g.PW}] must be smaller than the window ${g.KH}x${g.KW}`);
      return { out: { shape: rank === 2 ? [g.OH, g.OW, g.C] : [g.OW, g.C], dtype: 'f32', batched: true } };
    },
    workspace(a, [x]) {
      if (kind !== 'max') return [];
      const g = geom('', a, x!);
      return [{ name: 'idx', elements: g.OH * g.OW * g.C, batched: true, lifetime: 'saved' }]; // i32: where each maximum came from
    },
    accumulatesInput: () => true,
    forward(n, { rows }) {
      const g = geom('', n.attrs, n.inputs[0]!);
      if (kind === 'max') {
        n.k.maxpool_forward_f32(n.y, n.ws.idx!, n.x[0]!, rows, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.OH, g.OW);
      } else {
        n.k.avgpool_forward_f32(n.y, n.x[0]!, rows, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.OH, g.OW, n.attrs.countPad ? 1 : 0);
      }
    },
    backward(n, { rows }) {
      if (!n.dx[0]) return;
      const g = geom('', n.attrs, n.inputs[0]!);
      if (kind === 'max') n.k.maxpool_backward_f32(n.dx[0], n.dy, n.ws.idx!, rows, g.H, g.W, g.C, g.OH, g.OW, n.accX[0]!);
      else n.k.avgpool_backward_f32(n.dx[0], n.dy, rows, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.OH, g.OW, n.attrs.countPad ? 1 : 0, n.accX[0]!);
    },
  };
}

export const maxPool2d = pool('max', 2);
export const maxPool1d = pool('max', 1);
export const avgPool2d = pool('avg', 2);
export const avgPool1d = pool('avg', 1);

/** The window geometry of a conv or pool node, for tools (ONNX export) that need its padding. */
export { windowOf };
export type { Window };
