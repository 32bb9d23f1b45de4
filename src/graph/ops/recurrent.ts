// Recurrent layers, unrolled over a fixed length T and trained by backprop through time: lstm and gru with
// PyTorch's equations, gate order and parameter layout (weight_ih [G·H, IN], weight_hh [G·H, H], bias_ih,
// bias_hh; G = 4 for the LSTM's i, f, g, o, 3 for the GRU's r, z, n), so PyTorch's weights load as they are.
//
// x [T, IN] -> [T, H] (returnSequences) or [H] (the last state); an optional mask [T] (f32, 0 = padding)
// makes a padded step carry the state through unchanged (its output is the carried state). The initial
// state is zero. Inside, everything is time-major: x is copied to [T, rows, IN], so that the input side of
// all steps is ONE GEMM (x·W_ihᵀ + b_ih (+ b_hh for the LSTM)) into gx [T, rows, G·H], and each step's
// recurrent GEMM h_{t-1}·W_hhᵀ and fused cell kernel (kernels/recurrent.ts) work on contiguous rows. The
// backward walks the steps in reverse, then does the weight gradients of all steps as one GEMM each.
import { boolean, check, int, nullish, number, withDefaults } from '../../core/check.js';
import type { CoreExports } from '../../core/abi.js';
import { batchedF32 } from './dense.js';
import { showShape, type BoundNode, type OpDecl, type ValueType } from '../op.js';
import { MAX_UNITS } from '../limits.js';

export interface RecurrentAttrs {
  readonly units: number;
  readonly returnSequences: boolean;
}

function dims(x: ValueType, a: RecurrentAttrs): { T: number; IN: number; H: number } {
  return { T: x.shape[0]!, IN: x.shape[1]!, H: a.units };
}

function recurrent(kind: 'lstm' | 'gru'): OpDecl<RecurrentAttrs> {
  const G = kind === 'lstm' ? 4 : 3;
  return {
    op: kind,
    family: 'recurrent',
    arity: [1, 2],
    inputNames: ['x', 'mask'],
    attrs: (where, raw) => withDefaults(where, raw, { units: int(1, MAX_UNITS), returnSequences: nullish(boolean) }, { returnSequences: false }),
    infer(where, a, [x, mask]) {
      const t = batchedF32(where, 'its input', x!, 2);
      if (t.shape.length !== 2) throw new Error(`${where}: its input must be [T, features] per example, got ${showShape(t)}`);
      if (mask && (mask.dtype !== 'f32' || !mask.batched || mask.shape.length !== 1 || mask.shape[0] !== t.shape[0])) {
        throw new Error(`${where}: the mask must be batched f32 [${t.shape[0]}] (one value per step), got ${showShape(mask)}`);
      }
      const { T, IN, H } = dims(t, a);
      return {
        out: { shape: a.returnSequences ? [T, H] : [H], dtype: 'f32', batched: true },
        params: [
          { slot: 'weight_ih', shape: [G * H, IN] }, { slot: 'weight_hh', shape: [G * H, H] },
          { slot: 'bias_ih', shape: [G * H] }, { slot: 'bias_hh', shape: [G * H] },
        ],
      };
    },
    differentiable: (i) => i === 0,
    saves: () => ({ inputs: [1] }),
    workspace(a, [x]) {
      const { T, IN, H } = dims(x!, a);
      return [
        { name: 'xt', elements: T * IN, batched: true, lifetime: 'saved' }, //            x, time-major
        { name: 'gx', elements: T * G * H, batched: true, lifetime: 'saved' }, //         input side; the backward's dgx
        { name: 'gates', elements: T * G * H, batched: true, lifetime: 'saved' }, //      activated gates per step
        { name: 'hs', elements: (T + 1) * H, batched: true, lifetime: 'saved' }, //       h_0 .. h_T
        ...(kind === 'lstm'
          ? [{ name: 'cs', elements: (T + 1) * H, batched: true, lifetime: 'saved' as const }] //   c_0 .. c_T
          : [{ name: 'ghs', elements: T * G * H, batched: true, lifetime: 'saved' as const }]), // the GRU's h·W_hhᵀ + b_hh per step
        { name: 'gh', elements: G * H, batched: true, lifetime: 'forward' },
        ...(kind === 'gru' ? [{ name: 'dgh', elements: T * G * H, batched: true, lifetime: 'backward' as const }] : []),
        { name: 'dh0', elements: H, batched: true, lifetime: 'backward' }, { name: 'dh1', elements: H, batched: true, lifetime: 'backward' },
        ...(kind === 'lstm' ? [{ name: 'dc0', elements: H, batched: true, lifetime: 'backward' as const }, { name: 'dc1', elements: H, batched: true, lifetime: 'backward' as const }] : []),
        { name: 'dxt', elements: T * IN, batched: true, lifetime: 'backward' },
      ];
    },
    scratch(k, a, [x], _out, rows) {
      const { T, IN, H } = dims(x!, a), M = rows * T;
      return Math.max(k.gemm_scratch_bytes(M, IN, G * H), k.gemm_scratch_bytes(rows, H, G * H), k.gemm_scratch_bytes(rows, G * H, H),
        k.gemm_scratch_bytes(G * H, M, H), k.gemm_scratch_bytes(G * H, M, IN), k.gemm_scratch_bytes(M, G * H, IN));
    },
    accumulatesInput: () => true,
    accumulatesParam: (slot) => slot === 'weight_ih' || slot === 'weight_hh',
    forward(n, { rows }) {
      const { k } = n, { T, IN, H } = dims(n.inputs[0]!, n.attrs), GH = G * H, M = rows * T;
      const { xt, gx, gates, hs, gh } = n.ws as Record<string, number>;
      const mask = n.x[1] ?? 0;
      // x [rows, T, IN] -> xt [T, rows, IN]: step t's rows are x's rows at offset t*IN, stride T*IN.
      for (let t = 0; t < T; t++) k.copy_rows_f32(xt! + 4 * t * rows * IN, IN, n.x[0]! + 4 * t * IN, T * IN, rows, IN, 0);
      k.gemm_nt_f32(gx!, xt!, n.p.weight_ih!, M, IN, GH, 0, n.scratch);
      k.bias_forward_f32(gx!, n.p.bias_ih!, M, GH);
      if (kind === 'lstm') k.bias_forward_f32(gx!, n.p.bias_hh!, M, GH);
      k.fill_f32(hs!, rows * H, 0);
      if (kind === 'lstm') k.fill_f32(n.ws.cs!, rows * H, 0);
      for (let t = 0; t < T; t++) {
        const hPrev = hs! + 4 * t * rows * H, h = hPrev + 4 * rows * H, gxt = gx! + 4 * t * rows * GH, gt = gates! + 4 * t * rows * GH;
        const mt = mask ? mask + 4 * t : 0;
        if (kind === 'lstm') {
          k.gemm_nt_f32(gh!, hPrev, n.p.weight_hh!, rows, H, GH, 0, n.scratch);
          const cPrev = n.ws.cs! + 4 * t * rows * H;
          k.lstm_cell_forward_f32(gt, cPrev + 4 * rows * H, h, gxt, GH, gh!, cPrev, hPrev, mt, T, rows, H);
        } else {
          const ght = n.ws.ghs! + 4 * t * rows * GH;
          k.gemm_nt_f32(ght, hPrev, n.p.weight_hh!, rows, H, GH, 0, n.scratch);
          k.bias_forward_f32(ght, n.p.bias_hh!, rows, GH);
          k.gru_cell_forward_f32(gt, h, gxt, GH, ght, hPrev, mt, T, rows, H);
        }
      }
      // Outputs, batch-major: every h_t (t = 1..T) to y[:, t - 1], or the last one.
      if (n.attrs.returnSequences) {
        for (let t = 0; t < T; t++) k.copy_rows_f32(n.y + 4 * t * H, T * H, hs! + 4 * (t + 1) * rows * H, H, rows, H, 0);
      } else {
        k.copy_f32(n.y, hs! + 4 * T * rows * H, rows * H);
      }
    },
    backward(n, { rows }) {
      backwardThroughTime(n, rows, kind, G);
    },
  };
}

function backwardThroughTime(n: BoundNode<RecurrentAttrs>, rows: number, kind: 'lstm' | 'gru', G: number): void {
  const { k } = n, { T, IN, H } = dims(n.inputs[0]!, n.attrs), GH = G * H, M = rows * T;
  const { xt, gx, gates, hs, dh0, dh1, dxt } = n.ws as Record<string, number>;
  const mask = n.x[1] ?? 0, seq = n.attrs.returnSequences;
  // gx becomes dgx, step by step. dh / dc (and their next values) ping-pong between two buffers.
  let dh = dh0!, dhNext = dh1!, dc = n.ws.dc0 ?? 0, dcNext = n.ws.dc1 ?? 0;
  if (seq) k.copy_rows_f32(dh, H, n.dy + 4 * (T - 1) * H, T * H, rows, H, 0);
  else k.copy_f32(dh, n.dy, rows * H);
  if (kind === 'lstm') k.fill_f32(dc, rows * H, 0);
  for (let t = T - 1; t >= 0; t--) {
    const hPrev = hs! + 4 * t * rows * H, gxt = gx! + 4 * t * rows * GH, gt = gates! + 4 * t * rows * GH, mt = mask ? mask + 4 * t : 0;
    if (kind === 'lstm') {
      const cs = n.ws.cs!, cPrev = cs + 4 * t * rows * H, c = cPrev + 4 * rows * H;
      k.lstm_cell_backward_f32(gxt, GH, dcNext, dhNext, dh, dc, gt, c, cPrev, mt, T, rows, H);
      k.gemm_nn_f32(dhNext, gxt, n.p.weight_hh!, rows, GH, H, 1, n.scratch);
      [dc, dcNext] = [dcNext, dc];
    } else {
      const dght = n.ws.dgh! + 4 * t * rows * GH;
      k.gru_cell_backward_f32(gxt, GH, dght, dhNext, dh, gt, n.ws.ghs! + 4 * t * rows * GH, hPrev, mt, T, rows, H);
      k.gemm_nn_f32(dhNext, dght, n.p.weight_hh!, rows, GH, H, 1, n.scratch);
    }
    [dh, dhNext] = [dhNext, dh];
    // The output's gradient at step t - 1 joins the recurrent one.
    if (seq && t > 0) k.copy_rows_f32(dh, H, n.dy + 4 * (t - 1) * H, T * H, rows, H, 1);
  }
  // Weights of all steps at once: dgx [T·rows, GH] against xt and (the recurrent side) h_0..h_{T-1}.
  const dgh = kind === 'lstm' ? gx! : n.ws.dgh!;
  if (n.dp.weight_hh) k.gemm_tn_f32(n.dp.weight_hh, dgh, hs!, GH, M, H, n.accP.weight_hh!, n.scratch);
  if (n.dp.weight_ih) k.gemm_tn_f32(n.dp.weight_ih, gx!, xt!, GH, M, IN, n.accP.weight_ih!, n.scratch);
  if (n.dp.bias_ih) k.bias_backward_f32(n.dp.bias_ih, gx!, M, GH);
  if (n.dp.bias_hh) k.bias_backward_f32(n.dp.bias_hh, dgh, M, GH);
  if (n.dx[0]) {
    k.gemm_nn_f32(dxt!, gx!, n.p.weight_ih!, M, GH, IN, 0, n.scratch);
    for (let t = 0; t < T; t++) k.copy_rows_f32(n.dx[0] + 4 * t * IN, T * IN, dxt! + 4 * t * rows * IN, IN, rows, IN, n.accX[0]!);
  }
}

export const lstm = recurrent('lstm');
export const gru = recurrent('gru');

export interface CgruAttrs {
  /** Odd kernel height and width; the padding keeps the state's size ('same'). */
  readonly kernelSize: readonly number[];
  /**
   * The gates' sigmoid cutoff c >= 1: σ_c(x) = min(1, max(0, c·σ(x) − (c − 1)/2)), the released Neural GPU
   * code's (c = 1.2 there), so that a gate reaches 0 and 1 exactly. Absent (the normalized form of 1, so
   * that graphs without it keep their spec): the plain sigmoid.
   */
  readonly cutoff?: number;
  /**
   * Diagonal gates (Freivalds & Liepins 2017, "Improving the Neural GPU Architecture for Algorithm
   * Learning"): the update gate mixes the candidate with the state moved one position along the first axis,
   * `diagonal` channels each way (the channels C − 2d .. C − d − 1 from the position before, the last d from
   * the one after, zeros beyond the edges), so that a saturated gate carries a value along the sequence
   * instead of only keeping it in place. Absent (the normalized form of 0): the plain CGRU.
   */
  readonly diagonal?: number;
}

/** Largest gate cutoff: beyond it the gates are a step function in all but a sliver of their range. */
export const MAX_CGRU_CUTOFF = 100;

/**
 * cgru: one step of the Neural GPU's convolutional GRU (Kaiser & Sutskever 2015) over a state s [H, W, C]:
 * u = σ(U′∗s + B′), r = σ(U″∗s + B″), out = u ⊙ s + (1 − u) ⊙ tanh(U∗(r ⊙ s) + B), with σ the sigmoid or, with
 * `cutoff` c > 1, the released code's σ_c = min(1, max(0, c·σ − (c − 1)/2)) (its gradient is 0 where the
 * clip holds). Parameters: `gates`
 * [KH, KW, C, 2C] (U′ then U″ along the last axis) with `gatesBias` [2C], `candidate` [KH, KW, C, C] with
 * `candidateBias` [C]. With `diagonal`, the s of u ⊙ s is the state moved as CgruAttrs says. Applied again
 * and again with the same parameters, it is the Neural GPU.
 */
export const cgru: OpDecl<CgruAttrs> = {
  op: 'cgru',
  family: 'recurrent',
  arity: 1,
  inputNames: ['s'],
  attrs(where, raw) {
    const a = withDefaults<{ kernelSize: number | number[]; cutoff: number; diagonal: number }>(where, raw, {
      kernelSize: nullish(check('an integer from 1 to 15 or a list of 2', (v) => (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 15) ||
        (Array.isArray(v) && v.length === 2 && v.every((d) => Number.isSafeInteger(d) && d >= 1 && d <= 15)))),
      cutoff: nullish(number({ min: 1, max: MAX_CGRU_CUTOFF })), diagonal: nullish(int(0, 1 << 20)),
    }, { kernelSize: 3, cutoff: 1, diagonal: 0 });
    const ks = typeof a.kernelSize === 'number' ? [a.kernelSize, a.kernelSize] : a.kernelSize;
    if (ks.some((v) => v % 2 === 0)) throw new Error(`${where}: kernelSize ${JSON.stringify(a.kernelSize)} must be odd (the state keeps its size)`);
    return { kernelSize: ks, ...(a.cutoff === 1 ? {} : { cutoff: a.cutoff }), ...(a.diagonal === 0 ? {} : { diagonal: a.diagonal }) };
  },
  infer(where, a, [s]) {
    const t = batchedF32(where, 'the state', s!, 3);
    if (t.shape.length !== 3) throw new Error(`${where}: the state must be [height, width, channels] per example, got ${showShape(t)}`);
    const [KH, KW] = a.kernelSize as [number, number], C = t.shape[2]!;
    if (2 * (a.diagonal ?? 0) > C) throw new Error(`${where}: diagonal is ${a.diagonal}, but the state has ${C} channels (need 2 x diagonal <= channels: that many move each way)`);
    return {
      out: { ...t },
      params: [
        { slot: 'gates', shape: [KH, KW, C, 2 * C] }, { slot: 'gatesBias', shape: [2 * C] },
        { slot: 'candidate', shape: [KH, KW, C, C] }, { slot: 'candidateBias', shape: [C] },
      ],
    };
  },
  saves: () => ({ inputs: [0] }),
  workspace(a, [s]) {
    const [H, W, C] = s!.shape as [number, number, number], P = H * W, KK = a.kernelSize[0]! * a.kernelSize[1]! * C;
    return [
      { name: 'u', elements: P * C, batched: true, lifetime: 'saved' }, { name: 'r', elements: P * C, batched: true, lifetime: 'saved' },
      { name: 'cand', elements: P * C, batched: true, lifetime: 'saved' },
      { name: 'cols', elements: P * KK, batched: true, lifetime: 'forward' }, { name: 'g', elements: P * 2 * C, batched: true, lifetime: 'forward' },
      { name: 'rs', elements: P * C, batched: true, lifetime: 'forward' },
      { name: 'colsB', elements: P * KK, batched: true, lifetime: 'backward' }, { name: 'dcols', elements: P * KK, batched: true, lifetime: 'backward' },
      { name: 'dg', elements: P * 2 * C, batched: true, lifetime: 'backward' }, { name: 'du', elements: P * C, batched: true, lifetime: 'backward' },
      { name: 'da', elements: P * C, batched: true, lifetime: 'backward' }, { name: 'rsB', elements: P * C, batched: true, lifetime: 'backward' },
      { name: 'drs', elements: P * C, batched: true, lifetime: 'backward' }, { name: 'dsB', elements: P * C, batched: true, lifetime: 'backward' },
      // Diagonal gates: the moved state (what the output mixes in) and the gradient it receives.
      ...(a.diagonal ? [{ name: 'moved', elements: P * C, batched: true, lifetime: 'saved' as const }, { name: 'dmoved', elements: P * C, batched: true, lifetime: 'backward' as const }] : []),
    ];
  },
  scratch(k, a, [s], _out, rows) {
    const [H, W, C] = s!.shape as [number, number, number], M = rows * H * W, KK = a.kernelSize[0]! * a.kernelSize[1]! * C;
    return Math.max(k.gemm_scratch_bytes(M, KK, 2 * C), k.gemm_scratch_bytes(KK, M, 2 * C), k.gemm_scratch_bytes(M, 2 * C, KK),
      k.gemm_scratch_bytes(M, KK, C), k.gemm_scratch_bytes(KK, M, C), k.gemm_scratch_bytes(M, C, KK));
  },
  accumulatesInput: () => true,
  accumulatesParam: (slot) => slot === 'gates' || slot === 'candidate',
  forward(n, { rows }) {
    const { k } = n, [H, W, C] = n.inputs[0]!.shape as [number, number, number], [KH, KW] = n.attrs.kernelSize as [number, number];
    const M = rows * H * W, KK = KH * KW * C, ph = (KH - 1) / 2, pw = (KW - 1) / 2;
    const { u, r, cand, cols, g, rs } = n.ws as Record<string, number>, s = n.x[0]!;
    k.im2col_f32(cols!, s, rows, H, W, C, KH, KW, 1, 1, ph, pw, 1, 1, H, W);
    k.gemm_nn_f32(g!, cols!, n.p.gates!, M, KK, 2 * C, 0, n.scratch);
    k.bias_forward_f32(g!, n.p.gatesBias!, M, 2 * C);
    k.cgru_gate_forward_f32(u!, r!, rs!, g!, s, M, C, n.attrs.cutoff ?? 1);
    k.im2col_f32(cols!, rs!, rows, H, W, C, KH, KW, 1, 1, ph, pw, 1, 1, H, W);
    k.gemm_nn_f32(cand!, cols!, n.p.candidate!, M, KK, C, 0, n.scratch);
    k.bias_forward_f32(cand!, n.p.candidateBias!, M, C);
    const d = n.attrs.diagonal ?? 0, kept = d ? n.ws.moved! : s;
    if (d) moveDiagonal(k, kept, s, rows, H, W, C, d);
    k.cgru_out_forward_f32(n.y, cand!, u!, kept, cand!, M * C);
  },
  backward(n, { rows }) {
    const { k } = n, [H, W, C] = n.inputs[0]!.shape as [number, number, number], [KH, KW] = n.attrs.kernelSize as [number, number];
    const M = rows * H * W, KK = KH * KW * C, ph = (KH - 1) / 2, pw = (KW - 1) / 2;
    const { u, r, cand, colsB, dcols, dg, du, da, rsB, drs } = n.ws as Record<string, number>, s = n.x[0]!;
    // The state's gradient (written, or accumulated into the planner's when it has other uses); a
    // workspace takes it when no gradient of s is wanted (the kernels accumulate into it as they go).
    const ds = n.dx[0] || n.ws.dsB!;
    const acc = n.dx[0] ? n.accX[0]! : 0;
    // out = u s + (1 - u) cand, cand = tanh(a): du, ds (+)= dy u, da. With diagonal gates, s there is the
    // moved state: its gradient goes back to the positions it came from.
    const d = n.attrs.diagonal ?? 0;
    if (d) {
      k.cgru_out_backward_f32(du!, n.ws.dmoved!, da!, n.dy, u!, n.ws.moved!, cand!, M * C, 0);
      moveDiagonalBack(k, ds, n.ws.dmoved!, rows, H, W, C, d, acc);
    } else {
      k.cgru_out_backward_f32(du!, ds, da!, n.dy, u!, s, cand!, M * C, acc);
    }
    if (n.dp.candidateBias) k.bias_backward_f32(n.dp.candidateBias, da!, M, C);
    k.mul_forward_f32(rsB!, r!, s, 1, 1, M * C, M * C); //                                   rs = r s again
    k.im2col_f32(colsB!, rsB!, rows, H, W, C, KH, KW, 1, 1, ph, pw, 1, 1, H, W);
    if (n.dp.candidate) k.gemm_tn_f32(n.dp.candidate, colsB!, da!, KK, M, C, n.accP.candidate!, n.scratch);
    k.gemm_nt_f32(dcols!, da!, n.p.candidate!, M, C, KK, 0, n.scratch);
    k.col2im_f32(drs!, dcols!, rows, H, W, C, KH, KW, 1, 1, ph, pw, 1, 1, H, W, 0);
    k.cgru_gate_backward_f32(dg!, ds, drs!, u!, r!, s, du!, M, C, n.attrs.cutoff ?? 1);
    if (n.dp.gatesBias) k.bias_backward_f32(n.dp.gatesBias, dg!, M, 2 * C);
    k.im2col_f32(colsB!, s, rows, H, W, C, KH, KW, 1, 1, ph, pw, 1, 1, H, W);
    if (n.dp.gates) k.gemm_tn_f32(n.dp.gates, colsB!, dg!, KK, M, 2 * C, n.accP.gates!, n.scratch);
    k.gemm_nt_f32(dcols!, dg!, n.p.gates!, M, 2 * C, KK, 0, n.scratch);
    k.col2im_f32(ds, dcols!, rows, H, W, C, KH, KW, 1, 1, ph, pw, 1, 1, H, W, 1);
  },
};

/**
 * The diagonal gates' move over `rows` states [H, W, C]: channels below C − 2d stay, channels C − 2d ..
 * C − d − 1 come from the position one before along H, the last d from the one after; zeros enter at the
 * edges. Copies only, so its bits are the state's.
 */
function moveDiagonal(k: CoreExports, dst: number, src: number, rows: number, H: number, W: number, C: number, d: number): void {
  const example = H * W * C, row = W * C, a = C - 2 * d, b = C - d;
  k.fill_f32(dst, rows * example, 0);
  k.copy_rows_f32(dst, C, src, C, rows * H * W, a, 0);
  for (let e = 0; e < rows; e++) {
    const at = e * example;
    k.copy_rows_f32(dst + 4 * (at + row + a), C, src + 4 * (at + a), C, (H - 1) * W, d, 0);
    k.copy_rows_f32(dst + 4 * (at + b), C, src + 4 * (at + row + b), C, (H - 1) * W, d, 0);
  }
}

/** moveDiagonal's backward: ds (+)= the gradient of each moved value, at the position it came from. */
function moveDiagonalBack(k: CoreExports, ds: number, dmoved: number, rows: number, H: number, W: number, C: number, d: number, accumulate: number): void {
  const example = H * W * C, row = W * C, a = C - 2 * d, b = C - d;
  if (!accumulate) k.fill_f32(ds, rows * example, 0);
  k.copy_rows_f32(ds, C, dmoved, C, rows * H * W, a, 1);
  for (let e = 0; e < rows; e++) {
    const at = e * example;
    k.copy_rows_f32(ds + 4 * (at + a), C, dmoved + 4 * (at + row + a), C, (H - 1) * W, d, 1);
    k.copy_rows_f32(ds + 4 * (at + row + b), C, dmoved + 4 * (at + b), C, (H - 1) * W, d, 1);
  }
}
