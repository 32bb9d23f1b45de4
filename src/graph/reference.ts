// The reference path of the graph: every op's forward and backward (vector-Jacobian product) written
// plainly in TypeScript over Float64Array, and an interpreter that runs a whole graph with them. It shares
// no code with the kernels or the planner: tests check its gradients against finite differences in f64 and
// the wasm core's against it (and against PyTorch). Not used for training, so bundles leave it out.
//
// Semantics are the ops' (graph/ops/*): gradients are sums over the rows, loss() returns the mean over the
// examples, grads() the gradient of that mean (what PyTorch leaves after loss.mean().backward()). Dropout
// runs as in inference (the identity): its masks come from the core's counter-based RNG.
import { sizeOf, type ValueType } from './op.js';
import { windowOf, type Window } from './ops/conv.js';
import type { CompiledGraph, CompiledNode } from './spec.js';

type F64 = Float64Array;
type Data = Float64Array | Int32Array;

interface Ctx {
  readonly node: CompiledNode;
  readonly attrs: any;
  readonly rows: number;
  readonly ins: readonly (ValueType | null)[];
  readonly out: ValueType;
}

interface RefOp {
  forward(c: Ctx, x: readonly (Data | null)[], p: Readonly<Record<string, F64>>): Data;
  /** Adds the input and parameter gradients of dy into dx / dp (already allocated, zeroed or accumulating). */
  backward?(c: Ctx, x: readonly (Data | null)[], p: Readonly<Record<string, F64>>, y: Data, dy: F64, dx: readonly (F64 | null)[], dp: Readonly<Record<string, F64>>): void;
}

const n = (t: ValueType, rows: number) => (t.batched ? rows : 1) * sizeOf(t.shape);

const act = {
  linear: { f: (v: number) => v, d: (_y: number) => 1 },
  relu: { f: (v: number) => Math.max(v, 0), d: (y: number) => (y > 0 ? 1 : 0) },
  tanh: { f: Math.tanh, d: (y: number) => 1 - y * y },
  sigmoid: { f: (v: number) => 1 / (1 + Math.exp(-v)), d: (y: number) => y * (1 - y) },
};
const activation = (name: string, alpha: number) => name === 'leakyRelu'
  ? { f: (v: number) => (v > 0 ? v : alpha * v), d: (y: number) => (y > 0 ? 1 : alpha) }
  : act[name as keyof typeof act];

function groups(a: ValueType, b: ValueType, rows: number): [number, number, number, number] {
  const I = sizeOf(b.shape), P = sizeOf(a.shape) / I;
  return b.batched ? [rows, P, I, I] : [1, (a.batched ? rows : 1) * P, I, 0];
}

function binary(f: (a: number, b: number) => number, da: (a: number, b: number) => number, db: (a: number, b: number) => number): RefOp {
  return {
    forward(c, [a, b]) {
      const [G, P, I, bs] = groups(c.ins[0]!, c.ins[1]!, c.rows), y = new Float64Array(n(c.out, c.rows));
      for (let g = 0; g < G; g++) for (let q = 0; q < P; q++) for (let i = 0; i < I; i++) {
        const at = (g * P + q) * I + i;
        y[at] = f(a![at]!, b![g * bs + i]!);
      }
      return y;
    },
    backward(c, [a, b], _p, _y, dy, [dA, dB]) {
      const [G, P, I, bs] = groups(c.ins[0]!, c.ins[1]!, c.rows);
      for (let g = 0; g < G; g++) for (let q = 0; q < P; q++) for (let i = 0; i < I; i++) {
        const at = (g * P + q) * I + i, bv = b![g * bs + i]!;
        if (dA) dA[at]! += dy[at]! * da(a![at]!, bv);
        if (dB) dB[g * bs + i]! += dy[at]! * db(a![at]!, bv);
      }
    },
  };
}

const unaryAct = (name: string): RefOp => ({
  forward(c, [x]) {
    const f = activation(name, c.attrs.alpha).f;
    return Float64Array.from(x as F64, f);
  },
  backward(c, _x, _p, y, dy, [dx]) {
    const d = activation(name, c.attrs.alpha).d;
    if (dx) for (let i = 0; i < dy.length; i++) dx[i]! += dy[i]! * d(y[i]!);
  },
});

// [O, A, I] around an axis.
function around(t: ValueType, axis: number, rows: number): [number, number, number] {
  const ax = axis < 0 ? t.shape.length + axis : axis;
  return [(t.batched ? rows : 1) * sizeOf(t.shape.slice(0, ax)), t.shape[ax]!, sizeOf(t.shape.slice(ax + 1))];
}

// The matmul of one pair of row-major matrices, op(A) [M, K] · op(B) [K, N].
function mm(A: Data, ao: number, B: Data, bo: number, M: number, K: number, N: number, ta: boolean, tb: boolean, C: F64, co: number): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += A[ao + (ta ? k * M + i : i * K + k)]! * B[bo + (tb ? j * K + k : k * N + j)]!;
    C[co + i * N + j]! += s;
  }
}

function matmulDims(c: Ctx): { M: number; K: number; N: number; items: number; sa: number; sb: number } {
  const a = c.ins[0]!, b = c.ins[1]!, ta = c.attrs.transposeA, tb = c.attrs.transposeB;
  const [a0, a1] = a.shape.slice(-2) as [number, number], [b0, b1] = b.shape.slice(-2) as [number, number];
  const [M, K] = ta ? [a1, a0] : [a0, a1], N = tb ? b0 : b1;
  const items = n(c.out, c.rows) / (M * N);
  return { M, K, N, items, sa: a.batched || a.shape.length > 2 ? M * K : 0, sb: b.batched || b.shape.length > 2 ? K * N : 0 };
}

const OPS: Readonly<Record<string, RefOp>> = {
  dense: {
    forward(c, [x], p) {
      const IN = c.ins[0]!.shape[c.ins[0]!.shape.length - 1]!, OUT = c.attrs.units, M = n(c.ins[0]!, c.rows) / IN;
      const y = new Float64Array(M * OUT), f = activation(c.attrs.activation, c.attrs.alpha).f, W = p.kernel!, t = c.attrs.transposeKernel;
      for (let r = 0; r < M; r++) for (let o = 0; o < OUT; o++) {
        let s = c.attrs.useBias ? p.bias![o]! : 0;
        for (let i = 0; i < IN; i++) s += x![r * IN + i]! * W[t ? o * IN + i : i * OUT + o]!;
        y[r * OUT + o] = f(s);
      }
      return y;
    },
    backward(c, [x], p, y, dy, [dx], dp) {
      const IN = c.ins[0]!.shape[c.ins[0]!.shape.length - 1]!, OUT = c.attrs.units, M = n(c.ins[0]!, c.rows) / IN;
      const d = activation(c.attrs.activation, c.attrs.alpha).d, W = p.kernel!, t = c.attrs.transposeKernel;
      for (let r = 0; r < M; r++) for (let o = 0; o < OUT; o++) {
        const g = dy[r * OUT + o]! * d(y[r * OUT + o]!);
        if (dp.bias) dp.bias[o]! += g;
        for (let i = 0; i < IN; i++) {
          const wi = t ? o * IN + i : i * OUT + o;
          if (dp.kernel) dp.kernel[wi]! += x![r * IN + i]! * g;
          if (dx) dx[r * IN + i]! += W[wi]! * g;
        }
      }
    },
  },
  dropout: { forward: (_c, [x]) => Float64Array.from(x as F64), backward: (_c, _x, _p, _y, dy, [dx]) => { if (dx) for (let i = 0; i < dy.length; i++) dx[i]! += dy[i]!; } },
  relu: unaryAct('relu'),
  leakyRelu: unaryAct('leakyRelu'),
  tanh: unaryAct('tanh'),
  sigmoid: unaryAct('sigmoid'),
  add: binary((a, b) => a + b, () => 1, () => 1),
  sub: binary((a, b) => a - b, () => 1, () => -1),
  mul: binary((a, b) => a * b, (_a, b) => b, (a) => a),
  scale: {
    forward: (c, [x]) => Float64Array.from(x as F64, (v) => v * c.attrs.factor),
    backward: (c, _x, _p, _y, dy, [dx]) => { if (dx) for (let i = 0; i < dy.length; i++) dx[i]! += dy[i]! * c.attrs.factor; },
  },
  reshape: {
    forward: (_c, [x]) => (x instanceof Int32Array ? Int32Array.from(x) : Float64Array.from(x!)),
    backward: (_c, _x, _p, _y, dy, [dx]) => { if (dx) for (let i = 0; i < dy.length; i++) dx[i]! += dy[i]!; },
  },
  concat: {
    forward(c, xs) {
      const W = c.out.shape[c.out.shape.length - 1]!, R = n(c.out, c.rows) / W, y = new Float64Array(R * W);
      let off = 0;
      xs.forEach((x, i) => {
        const w = c.ins[i]!.shape[c.ins[i]!.shape.length - 1]!;
        for (let r = 0; r < R; r++) for (let j = 0; j < w; j++) y[r * W + off + j] = x![r * w + j]!;
        off += w;
      });
      return y;
    },
    backward(c, _xs, _p, _y, dy, dxs) {
      const W = c.out.shape[c.out.shape.length - 1]!, R = n(c.out, c.rows) / W;
      let off = 0;
      dxs.forEach((dx, i) => {
        const w = c.ins[i]!.shape[c.ins[i]!.shape.length - 1]!;
        if (dx) for (let r = 0; r < R; r++) for (let j = 0; j < w; j++) dx[r * w + j]! += dy[r * W + off + j]!;
        off += w;
      });
    },
  },
  slice: {
    forward(c, [x]) {
      const W = c.ins[0]!.shape[c.ins[0]!.shape.length - 1]!, { start, size } = c.attrs, R = n(c.out, c.rows) / size;
      const y = new Float64Array(R * size);
      for (let r = 0; r < R; r++) for (let j = 0; j < size; j++) y[r * size + j] = x![r * W + start + j]!;
      return y;
    },
    backward(c, _x, _p, _y, dy, [dx]) {
      const W = c.ins[0]!.shape[c.ins[0]!.shape.length - 1]!, { start, size } = c.attrs, R = n(c.out, c.rows) / size;
      if (dx) for (let r = 0; r < R; r++) for (let j = 0; j < size; j++) dx[r * W + start + j]! += dy[r * size + j]!;
    },
  },
  pad: {
    forward(c, [x]) {
      const W = c.ins[0]!.shape[c.ins[0]!.shape.length - 1]!, out = c.out.shape[c.out.shape.length - 1]!, R = n(c.out, c.rows) / out;
      const y = new Float64Array(R * out);
      for (let r = 0; r < R; r++) for (let j = 0; j < W; j++) y[r * out + c.attrs.before + j] = x![r * W + j]!;
      return y;
    },
    backward(c, _x, _p, _y, dy, [dx]) {
      const W = c.ins[0]!.shape[c.ins[0]!.shape.length - 1]!, out = c.out.shape[c.out.shape.length - 1]!, R = n(c.out, c.rows) / out;
      if (dx) for (let r = 0; r < R; r++) for (let j = 0; j < W; j++) dx[r * W + j]! += dy[r * out + c.attrs.before + j]!;
    },
  },
  sum: reduction(false),
  mean: reduction(true),
  softmax: {
    forward(c, [x, mask]) {
      const N = c.out.shape[c.out.shape.length - 1]!, rowsX = n(c.out, c.rows) / N, y = new Float64Array(rowsX * N);
      const P = sizeOf(c.ins[0]!.shape) / N, m = c.ins[1] ?? null, Q = m ? sizeOf(m.shape) / N : 1;
      for (let r = 0; r < rowsX; r++) {
        // Row r of x is row p of example e; with a static x (or mask) everything is one "example".
        // Row r of x is row p of example e; a static mask repeats every Q rows.
        const e = Math.floor(r / P), p = r % P;
        const mrow = m ? (m.batched ? e * Q + (p % Q) : r % Q) : -1;
        const keep = (j: number) => !mask || (mask as F64)[mrow * N + j] !== 0;
        let mx = -Infinity;
        for (let j = 0; j < N; j++) if (keep(j)) mx = Math.max(mx, x![r * N + j]!);
        let s = 0;
        for (let j = 0; j < N; j++) if (keep(j)) s += Math.exp(x![r * N + j]! - mx);
        for (let j = 0; j < N; j++) y[r * N + j] = keep(j) && s > 0 ? Math.exp(x![r * N + j]! - mx) / s : 0;
      }
      return y;
    },
    backward(c, _x, _p, y, dy, [dx]) {
      if (!dx) return;
      const N = c.out.shape[c.out.shape.length - 1]!, R = n(c.out, c.rows) / N;
      for (let r = 0; r < R; r++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += dy[r * N + j]! * y[r * N + j]!;
        for (let j = 0; j < N; j++) dx[r * N + j]! += y[r * N + j]! * (dy[r * N + j]! - s);
      }
    },
  },
  tokenMask: {
    forward(c, [ids]) {
      const L = c.attrs.reduce === 'any' ? c.ins[0]!.shape[c.ins[0]!.shape.length - 1]! : 1, R = ids!.length / L, y = new Float64Array(R);
      for (let r = 0; r < R; r++) for (let l = 0; l < L; l++) if (ids![r * L + l] !== c.attrs.paddingId) y[r] = 1;
      return y;
    },
  },
  matmul: {
    forward(c, [a, b]) {
      const { M, K, N, items, sa, sb } = matmulDims(c), y = new Float64Array(items * M * N);
      for (let t = 0; t < items; t++) mm(a!, t * sa, b!, t * sb, M, K, N, c.attrs.transposeA, c.attrs.transposeB, y, t * M * N);
      return y;
    },
    backward(c, [a, b], _p, _y, dy, [dA, dB]) {
      const { M, K, N, items, sa, sb } = matmulDims(c), ta = c.attrs.transposeA, tb = c.attrs.transposeB;
      for (let t = 0; t < items; t++) {
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          const g = dy[t * M * N + i * N + j]!;
          for (let k = 0; k < K; k++) {
            const ai = t * sa + (ta ? k * M + i : i * K + k), bi = t * sb + (tb ? j * K + k : k * N + j);
            if (dA) dA[ai]! += g * b![bi]!;
            if (dB) dB[bi]! += g * a![ai]!;
          }
        }
      }
    },
  },
  embedding: {
    forward(c, [ids], p) {
      const d = c.attrs.dim, y = new Float64Array(ids!.length * d);
      for (let i = 0; i < ids!.length; i++) {
        if (ids![i] === c.attrs.paddingId) continue;
        for (let j = 0; j < d; j++) y[i * d + j] = p.embeddings![ids![i]! * d + j]!;
      }
      return y;
    },
    backward(c, [ids], _p, _y, dy, _dx, dp) {
      const d = c.attrs.dim;
      if (dp.embeddings) for (let i = 0; i < ids!.length; i++) {
        if (ids![i] === c.attrs.paddingId) continue;
        for (let j = 0; j < d; j++) dp.embeddings[ids![i]! * d + j]! += dy[i * d + j]!;
      }
    },
  },
  embeddingBag: {
    forward(c, [ids, w], p) {
      const d = c.attrs.dim, L = c.ins[0]!.shape[c.ins[0]!.shape.length - 1]!, bags = ids!.length / L, y = new Float64Array(bags * d);
      for (let i = 0; i < bags; i++) for (let j = 0; j < L; j++) {
        const id = ids![i * L + j]!;
        if (id === c.attrs.paddingId) continue;
        for (let k = 0; k < d; k++) y[i * d + k]! += (w ? w[j * d + k]! : 1) * p.embeddings![id * d + k]!;
      }
      return y;
    },
    backward(c, [ids, w], p, _y, dy, dx, dp) {
      const d = c.attrs.dim, L = c.ins[0]!.shape[c.ins[0]!.shape.length - 1]!, bags = ids!.length / L, dw = dx[1];
      for (let i = 0; i < bags; i++) for (let j = 0; j < L; j++) {
        const id = ids![i * L + j]!;
        if (id === c.attrs.paddingId) continue;
        for (let k = 0; k < d; k++) {
          if (dp.embeddings) dp.embeddings[id * d + k]! += (w ? w[j * d + k]! : 1) * dy[i * d + k]!;
          if (dw) dw[j * d + k]! += p.embeddings![id * d + k]! * dy[i * d + k]!;
        }
      }
    },
  },
  conv2d: convRef(2),
  conv1d: convRef(1),
  maxPool2d: poolRef('max', 2),
  maxPool1d: poolRef('max', 1),
  avgPool2d: poolRef('avg', 2),
  avgPool1d: poolRef('avg', 1),
  lstm: recurrentRef('lstm'),
  gru: recurrentRef('gru'),
  cgru: {
    forward(c, [s], p) { return cgruRef(c, s as F64, p).y; },
    backward(c, [s], p, _y, dy, [ds], dp) {
      // The step once more in f64, then its chain rule written out.
      const f = cgruRef(c, s as F64, p), { M, C, g } = f, N = M * C;
      const dcand = new Float64Array(N), du = new Float64Array(N), da = new Float64Array(N);
      const dS = ds ?? new Float64Array(N);
      for (let i = 0; i < N; i++) {
        du[i] = dy[i]! * (f.moved[i]! - f.cand[i]!);
        const from = f.from(i);
        if (from >= 0) dS[from]! += dy[i]! * f.u[i]!;
        dcand[i] = dy[i]! * (1 - f.u[i]!);
        da[i] = dcand[i]! * (1 - f.cand[i]! * f.cand[i]!);
      }
      // a = conv(rs, candidate) + candidateBias
      const drs = new Float64Array(N);
      convBackward(g, f.rs, p.candidate!, da, C, drs, dp.candidate, dp.candidateBias);
      const dg = new Float64Array(M * 2 * C);
      for (let q = 0; q < M; q++) for (let k = 0; k < C; k++) {
        const i = q * C + k, r = f.r[i]!;
        dS[i]! += drs[i]! * r;
        dg[q * 2 * C + k] = du[i]! * f.gateGrad(f.gates[q * 2 * C + k]!);
        dg[q * 2 * C + C + k] = drs[i]! * (s as F64)[i]! * f.gateGrad(f.gates[q * 2 * C + C + k]!);
      }
      convBackward(g, s as F64, p.gates!, dg, 2 * C, dS, dp.gates, dp.gatesBias);
    },
  },
  param: { forward: (_c, _x, p) => p.value! },
  constant: { forward: (c) => Float64Array.from(c.attrs.values as number[]) },
};

function reduction(mean: boolean): RefOp {
  return {
    forward(c, [x]) {
      const [O, A, I] = around(c.ins[0]!, c.attrs.axis, c.rows), y = new Float64Array(O * I);
      for (let o = 0; o < O; o++) for (let a = 0; a < A; a++) for (let i = 0; i < I; i++) y[o * I + i]! += x![(o * A + a) * I + i]! / (mean ? A : 1);
      return y;
    },
    backward(c, _x, _p, _y, dy, [dx]) {
      const [O, A, I] = around(c.ins[0]!, c.attrs.axis, c.rows);
      if (dx) for (let o = 0; o < O; o++) for (let a = 0; a < A; a++) for (let i = 0; i < I; i++) dx[(o * A + a) * I + i]! += dy[o * I + i]! / (mean ? A : 1);
    },
  };
}

/** One loss on the reference path: the summed loss over the rows and d(sum)/d(prediction). */
function refLoss(op: string, attrs: any, xt: ValueType, x: F64, t: Data, mask: F64 | null, rows: number): { loss: number; dx: F64 } {
  const dx = new Float64Array(x.length);
  let loss = 0;
  if (op === 'softmaxCrossEntropy') {
    const C = xt.shape[xt.shape.length - 1]!, T = sizeOf(xt.shape) / C, seq = xt.shape.length > 1;
    for (let e = 0; e < rows; e++) {
      const valid = (q: number) => !seq || (t[e * T + q] !== attrs.ignoreIndex && (!mask || mask[e * T + q] !== 0));
      let cnt = 0;
      for (let q = 0; q < T; q++) if (valid(q)) cnt++;
      const w = seq && attrs.reduction === 'mean' ? (cnt > 0 ? 1 / cnt : 0) : 1;
      for (let q = 0; q < T; q++) {
        if (!valid(q)) continue;
        const row = (e * T + q) * C, label = t[e * T + q]!;
        let m = -Infinity;
        for (let j = 0; j < C; j++) m = Math.max(m, x[row + j]!);
        let s = 0;
        for (let j = 0; j < C; j++) s += Math.exp(x[row + j]! - m);
        loss += w * (Math.log(s) - (x[row + label]! - m));
        for (let j = 0; j < C; j++) dx[row + j] = w * (Math.exp(x[row + j]! - m) / s - (j === label ? 1 : 0));
      }
    }
  } else if (op === 'meanSquaredError') {
    const F = sizeOf(xt.shape);
    for (let i = 0; i < x.length; i++) {
      const d = x[i]! - t[i]!;
      loss += (d * d) / F;
      dx[i] = (2 * d) / F;
    }
  } else if (op === 'binaryCrossEntropy') {
    const F = sizeOf(xt.shape);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!, tv = t[i]!;
      loss += (Math.max(v, 0) - v * tv + Math.log1p(Math.exp(-Math.abs(v)))) / F;
      dx[i] = (1 / (1 + Math.exp(-v)) - tv) / F;
    }
  } else {
    throw new Error(`reference: no loss ${op}`);
  }
  return { loss, dx };
}

export interface ReferenceResult {
  /** Mean loss per example (the weighted sum of the losses). */
  readonly loss: number;
  /** Every value of the forward, by name. */
  readonly values: ReadonlyMap<string, Data>;
  /** d(mean loss)/d(parameter), by parameter name (when gradients were asked for). */
  readonly grads: ReadonlyMap<string, F64>;
}

/**
 * Runs a compiled graph in f64 on `rows` examples: inputs by name (rows x shape), parameters by name.
 * With `gradients`, also the backward of the mean loss.
 */
export function referenceRun(g: CompiledGraph, params: ReadonlyMap<string, F64>, inputs: ReadonlyMap<string, Data>, rows: number,
                             gradients = true): ReferenceResult {
  const values = new Map<string, Data>(inputs);
  const pOf = (node: CompiledNode) => Object.fromEntries(Object.entries(node.params).map(([slot, i]) => [slot, params.get(g.spec.params[i]!.name)!]));
  const ctx = (node: CompiledNode): Ctx => ({ node, attrs: node.attrs, rows, ins: node.inputTypes, out: node.out });
  for (const node of g.nodes) {
    const op = OPS[node.decl.op];
    if (!op) throw new Error(`reference: no reference implementation of op ${node.decl.op}`);
    values.set(node.name, op.forward(ctx(node), node.inputs.map((v) => (v ? values.get(v)! : null)), pOf(node)));
  }
  const grads = new Map<string, F64>(g.spec.params.map((p) => [p.name, new Float64Array(sizeOf(p.shape))]));
  const vgrads = new Map<string, F64>();
  const gradOf = (v: string): F64 => {
    let d = vgrads.get(v);
    if (!d) vgrads.set(v, (d = new Float64Array(values.get(v)!.length)));
    return d;
  };
  let total = 0;
  for (const l of g.losses) {
    const { loss, dx } = refLoss(l.decl.op, l.attrs, l.inputType, values.get(l.input) as F64, values.get(l.target)!, l.mask ? values.get(l.mask) as F64 : null, rows);
    total += l.weight * loss;
    const d = gradOf(l.input);
    for (let i = 0; i < dx.length; i++) d[i]! += l.weight * dx[i]!;
  }
  if (gradients) {
    for (let f = g.nodes.length - 1; f >= 0; f--) {
      const node = g.nodes[f]!, dy = vgrads.get(node.name);
      if (!dy) continue;
      if (node.decl.source === 'param') {
        const d = grads.get(g.spec.params[node.params.value!]!.name)!;
        for (let i = 0; i < d.length; i++) d[i]! += dy[i]!;
        continue;
      }
      const op = OPS[node.decl.op]!;
      if (!op.backward) continue;
      const dx = node.inputs.map((v, i) => (v && node.inputTypes[i]!.dtype === 'f32' && (node.decl.differentiable?.(i) ?? true) ? gradOf(v) : null));
      const dp = Object.fromEntries(Object.entries(node.params).map(([slot, i]) => [slot, grads.get(g.spec.params[i]!.name)!]));
      op.backward(ctx(node), node.inputs.map((v) => (v ? values.get(v)! : null)), pOf(node), values.get(node.name)!, dy, dx, dp);
    }
    for (const d of grads.values()) for (let i = 0; i < d.length; i++) d[i]! /= rows;
  }
  return { loss: total / rows, values, grads };
}

// ---------------------------------------------------------------- convolution, pooling, recurrence

function geometry(c: Ctx): Window {
  const a = c.attrs, rank = c.node.decl.op.endsWith('1d') ? 1 : 2;
  return windowOf('reference', c.ins[0]!, rank, a.kernelSize ?? a.poolSize, a.strides, a.dilation ?? [1, 1], a.padding);
}

/** y[e, oh, ow, f] = bias[f] + sum over (kh, kw, ch) of x[e, ih, iw, ch] * K[kh, kw, ch, f], in-range only. */
function convForward(g: Window, x: F64, K: F64, bias: F64 | undefined, F: number, rows: number): F64 {
  const y = new Float64Array(rows * g.OH * g.OW * F);
  for (let e = 0; e < rows; e++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    const out = ((e * g.OH + oh) * g.OW + ow) * F;
    for (let f = 0; f < F; f++) y[out + f] = bias ? bias[f]! : 0;
    for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) {
      const ih = oh * g.SH - g.PH + kh * g.DH, iw = ow * g.SW - g.PW + kw * g.DW;
      if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
      for (let ch = 0; ch < g.C; ch++) {
        const xv = x[((e * g.H + ih) * g.W + iw) * g.C + ch]!;
        for (let f = 0; f < F; f++) y[out + f]! += xv * K[((kh * g.KW + kw) * g.C + ch) * F + f]!;
      }
    }
  }
  return y;
}

/** The adjoint of convForward: adds into dx (when given), dK and dBias. */
function convBackwardWith(g: Window, x: F64, K: F64, dy: F64, F: number, rows: number, dx: F64 | null | undefined, dK: F64 | undefined, dB: F64 | undefined): void {
  for (let e = 0; e < rows; e++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) {
    const out = ((e * g.OH + oh) * g.OW + ow) * F;
    if (dB) for (let f = 0; f < F; f++) dB[f]! += dy[out + f]!;
    for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) {
      const ih = oh * g.SH - g.PH + kh * g.DH, iw = ow * g.SW - g.PW + kw * g.DW;
      if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
      for (let ch = 0; ch < g.C; ch++) {
        const xi = ((e * g.H + ih) * g.W + iw) * g.C + ch;
        for (let f = 0; f < F; f++) {
          const ki = ((kh * g.KW + kw) * g.C + ch) * F + f;
          if (dK) dK[ki]! += x[xi]! * dy[out + f]!;
          if (dx) dx[xi]! += K[ki]! * dy[out + f]!;
        }
      }
    }
  }
}

function convRef(rank: 1 | 2): RefOp {
  return {
    forward(c, [x], p) {
      const g = geometry(c), F = c.attrs.filters, f = activation(c.attrs.activation, c.attrs.alpha).f;
      return convForward(g, x as F64, p.kernel!, c.attrs.useBias ? p.bias : undefined, F, c.rows).map(f);
    },
    backward(c, [x], p, y, dy, [dx], dp) {
      const g = geometry(c), F = c.attrs.filters, d = activation(c.attrs.activation, c.attrs.alpha).d;
      const pre = Float64Array.from(dy, (v, i) => v * d(y[i]!));
      convBackwardWith(g, x as F64, p.kernel!, pre, F, c.rows, dx, dp.kernel, dp.bias);
    },
  };
  void rank;
}

function poolRef(kind: 'max' | 'avg', rank: 1 | 2): RefOp {
  const each = (c: Ctx, visit: (out: number, src: number[], divisor: number) => void) => {
    const g = geometry(c);
    for (let e = 0; e < c.rows; e++) for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++) for (let ch = 0; ch < g.C; ch++) {
      const src: number[] = [];
      for (let kh = 0; kh < g.KH; kh++) for (let kw = 0; kw < g.KW; kw++) {
        const ih = oh * g.SH - g.PH + kh, iw = ow * g.SW - g.PW + kw;
        if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) src.push(((e * g.H + ih) * g.W + iw) * g.C + ch);
      }
      visit(((e * g.OH + oh) * g.OW + ow) * g.C + ch, src, c.attrs.countPad ? g.KH * g.KW : src.length);
    }
  };
  return {
    forward(c, [x]) {
      const g = geometry(c), y = new Float64Array(c.rows * g.OH * g.OW * g.C);
      each(c, (out, src, divisor) => {
        if (kind === 'max') { let best = x![src[0]!]!; for (const i of src) if (x![i]! > best) best = x![i]!; y[out] = best; }
        else { let t = 0; for (const i of src) t += x![i]!; y[out] = t / divisor; }
      });
      return y;
    },
    backward(c, [x], _p, _y, dy, [dx]) {
      if (!dx) return;
      each(c, (out, src, divisor) => {
        if (kind === 'max') { let at = src[0]!; for (const i of src) if (x![i]! > x![at]!) at = i; dx[at]! += dy[out]!; }
        else for (const i of src) dx[i]! += dy[out]! / divisor;
      });
    },
  };
  void rank;
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

// PyTorch's LSTM and GRU over [rows, T, IN], with the mask carrying the state; returns every step's values.
function recurrentForward(kind: 'lstm' | 'gru', c: Ctx, x: F64, mask: F64 | null, p: Readonly<Record<string, F64>>) {
  const [T, IN] = c.ins[0]!.shape as [number, number], H = c.attrs.units, G = kind === 'lstm' ? 4 : 3;
  const hs: F64[] = [new Float64Array(c.rows * H)], cs: F64[] = [new Float64Array(c.rows * H)];
  const pre: F64[] = []; // per step: [rows, G·H] gate pre-activations (the GRU's n: only the input side), and the GRU's h·W_hhᵀ + b_hh
  const ghs: F64[] = [];
  for (let t = 0; t < T; t++) {
    const h = new Float64Array(c.rows * H), cell = new Float64Array(c.rows * H), a = new Float64Array(c.rows * G * H), gh = new Float64Array(c.rows * G * H);
    for (let r = 0; r < c.rows; r++) {
      for (let j = 0; j < G * H; j++) {
        let sx = p.bias_ih![j]!, sh = p.bias_hh![j]!;
        for (let i = 0; i < IN; i++) sx += p.weight_ih![j * IN + i]! * x[(r * T + t) * IN + i]!;
        for (let i = 0; i < H; i++) sh += p.weight_hh![j * H + i]! * hs[t]![r * H + i]!;
        a[r * G * H + j] = sx; gh[r * G * H + j] = sh;
      }
      const keep = !mask || mask[r * T + t] !== 0;
      for (let i = 0; i < H; i++) {
        const o = r * G * H;
        if (kind === 'lstm') {
          const z = (k: number) => a[o + k * H + i]! + gh[o + k * H + i]!;
          const ig = sig(z(0)), fg = sig(z(1)), gg = Math.tanh(z(2)), og = sig(z(3));
          const cv = fg * cs[t]![r * H + i]! + ig * gg;
          cell[r * H + i] = keep ? cv : cs[t]![r * H + i]!;
          h[r * H + i] = keep ? og * Math.tanh(cv) : hs[t]![r * H + i]!;
        } else {
          const rg = sig(a[o + i]! + gh[o + i]!), zg = sig(a[o + H + i]! + gh[o + H + i]!), ng = Math.tanh(a[o + 2 * H + i]! + rg * gh[o + 2 * H + i]!);
          h[r * H + i] = keep ? (1 - zg) * ng + zg * hs[t]![r * H + i]! : hs[t]![r * H + i]!;
        }
      }
    }
    hs.push(h); cs.push(cell); pre.push(a); ghs.push(gh);
  }
  return { T, IN, H, G, hs, cs, pre, ghs };
}

function recurrentRef(kind: 'lstm' | 'gru'): RefOp {
  return {
    forward(c, [x, mask], p) {
      const f = recurrentForward(kind, c, x as F64, (mask ?? null) as F64 | null, p), { T, H } = f;
      const y = new Float64Array(c.rows * (c.attrs.returnSequences ? T : 1) * H);
      for (let r = 0; r < c.rows; r++) {
        if (c.attrs.returnSequences) for (let t = 0; t < T; t++) for (let i = 0; i < H; i++) y[(r * T + t) * H + i] = f.hs[t + 1]![r * H + i]!;
        else for (let i = 0; i < H; i++) y[r * H + i] = f.hs[T]![r * H + i]!;
      }
      return y;
    },
    backward(c, [x, mask], p, _y, dy, [dx], dp) {
      const m = (mask ?? null) as F64 | null, f = recurrentForward(kind, c, x as F64, m, p), { T, IN, H, G } = f;
      let dh = new Float64Array(c.rows * H), dc = new Float64Array(c.rows * H);
      for (let t = T - 1; t >= 0; t--) {
        for (let r = 0; r < c.rows; r++) for (let i = 0; i < H; i++) {
          dh[r * H + i]! += c.attrs.returnSequences ? dy[(r * T + t) * H + i]! : t === T - 1 ? dy[r * H + i]! : 0;
        }
        const dhPrev = new Float64Array(c.rows * H), dcPrev = new Float64Array(c.rows * H);
        const da = new Float64Array(c.rows * G * H), dgh = new Float64Array(c.rows * G * H);
        for (let r = 0; r < c.rows; r++) {
          const keep = !m || m[r * T + t] !== 0, o = r * G * H;
          for (let i = 0; i < H; i++) {
            const hp = f.hs[t]![r * H + i]!, dhv = dh[r * H + i]!;
            if (!keep) { dhPrev[r * H + i]! += dhv; dcPrev[r * H + i]! += dc[r * H + i]!; continue; }
            if (kind === 'lstm') {
              const z = (k: number) => f.pre[t]![o + k * H + i]! + f.ghs[t]![o + k * H + i]!;
              const ig = sig(z(0)), fg = sig(z(1)), gg = Math.tanh(z(2)), og = sig(z(3));
              const cp = f.cs[t]![r * H + i]!, cv = fg * cp + ig * gg, tc = Math.tanh(cv);
              const dct = dc[r * H + i]! + dhv * og * (1 - tc * tc);
              da[o + i] = dct * gg * ig * (1 - ig); da[o + H + i] = dct * cp * fg * (1 - fg);
              da[o + 2 * H + i] = dct * ig * (1 - gg * gg); da[o + 3 * H + i] = dhv * tc * og * (1 - og);
              dcPrev[r * H + i]! += dct * fg;
              for (let k = 0; k < 4; k++) dgh[o + k * H + i] = da[o + k * H + i]!;
            } else {
              const gx = f.pre[t]!, gh = f.ghs[t]!;
              const rg = sig(gx[o + i]! + gh[o + i]!), zg = sig(gx[o + H + i]! + gh[o + H + i]!), ng = Math.tanh(gx[o + 2 * H + i]! + rg * gh[o + 2 * H + i]!);
              const an = dhv * (1 - zg) * (1 - ng * ng), az = dhv * (hp - ng) * zg * (1 - zg), ar = an * gh[o + 2 * H + i]! * rg * (1 - rg);
              da[o + i] = ar; da[o + H + i] = az; da[o + 2 * H + i] = an;
              dgh[o + i] = ar; dgh[o + H + i] = az; dgh[o + 2 * H + i] = an * rg;
              dhPrev[r * H + i]! += dhv * zg;
            }
          }
          for (let j = 0; j < G * H; j++) {
            if (dp.bias_ih) dp.bias_ih[j]! += da[o + j]!;
            if (dp.bias_hh) dp.bias_hh[j]! += dgh[o + j]!;
            for (let i = 0; i < IN; i++) {
              if (dp.weight_ih) dp.weight_ih[j * IN + i]! += da[o + j]! * (x as F64)[(r * T + t) * IN + i]!;
              if (dx) dx[(r * T + t) * IN + i]! += da[o + j]! * p.weight_ih![j * IN + i]!;
            }
            for (let i = 0; i < H; i++) {
              if (dp.weight_hh) dp.weight_hh[j * H + i]! += dgh[o + j]! * f.hs[t]![r * H + i]!;
              dhPrev[r * H + i]! += dgh[o + j]! * p.weight_hh![j * H + i]!;
            }
          }
        }
        dh = dhPrev; dc = dcPrev;
      }
    },
  };
}

// One CGRU step in f64: its geometry, u, r, r*s, the candidate and the output. A gate is the sigmoid or, with
// a cutoff c, clip(c·σ(x) − (c − 1)/2, 0, 1); gateGrad is its derivative at the pre-activation x (0 where
// the clip holds, as TensorFlow's min and max give).
function cgruRef(c: Ctx, s: F64, p: Readonly<Record<string, F64>>) {
  const [H, W, C] = c.ins[0]!.shape as [number, number, number], [KH, KW] = c.attrs.kernelSize as [number, number];
  const cut = (c.attrs.cutoff as number | undefined) ?? 1, d = (cut - 1) / 2;
  const gate = (x: number) => (cut === 1 ? sig(x) : Math.min(1, Math.max(0, cut * sig(x) - d)));
  const gateGrad = (x: number) => {
    const v = gate(x);
    return cut === 1 ? v * (1 - v) : v > 0 && v < 1 ? cut * sig(x) * (1 - sig(x)) : 0;
  };
  const g: Window = { H, W, C, KH, KW, SH: 1, SW: 1, PH: (KH - 1) / 2, PW: (KW - 1) / 2, DH: 1, DW: 1, OH: H, OW: W };
  const M = c.rows * H * W;
  const gates = convForward(g, s, p.gates!, p.gatesBias, 2 * C, c.rows);
  const u = new Float64Array(M * C), r = new Float64Array(M * C), rs = new Float64Array(M * C);
  for (let q = 0; q < M; q++) for (let k = 0; k < C; k++) {
    u[q * C + k] = gate(gates[q * 2 * C + k]!); r[q * C + k] = gate(gates[q * 2 * C + C + k]!); rs[q * C + k] = r[q * C + k]! * s[q * C + k]!;
  }
  const cand = convForward(g, rs, p.candidate!, p.candidateBias, C, c.rows).map(Math.tanh);
  // Diagonal gates: element i of the state the output keeps comes from element from(i) of s (-1: a zero
  // from beyond the edge): the last 2d channels from one position before or after along H.
  const diag = (c.attrs.diagonal as number | undefined) ?? 0;
  const from = (i: number) => {
    const k = i % C, h = Math.floor(i / (W * C)) % H;
    const dir = k < C - 2 * diag ? 0 : k < C - diag ? -1 : 1;
    return h + dir < 0 || h + dir >= H ? -1 : i + dir * W * C;
  };
  const moved = Float64Array.from(s, (_, i) => {
    const f = from(i);
    return f < 0 ? 0 : s[f]!;
  });
  const y = Float64Array.from(s, (_, i) => u[i]! * moved[i]! + (1 - u[i]!) * cand[i]!);
  return { g: { ...g, rows: c.rows }, M, C, gates, gateGrad, u, r, rs, cand, moved, from, y };
}

function convBackward(g: Window & { rows: number }, x: F64, K: F64, dy: F64, F: number, dx: F64, dK: F64 | undefined, dB: F64 | undefined): void {
  convBackwardWith(g, x, K, dy, F, g.rows, dx, dK, dB);
}
