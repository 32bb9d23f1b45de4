// The reference path of the graph: every op's forward and backward (vector-Jacobian product) written
// plainly in TypeScript over Float64Array, and an interpreter that runs a whole graph with them. It shares
// no code with the kernels or the planner: tests check its gradients against finite differences in f64 and
// the wasm core's against it (and against PyTorch). Not used for training, so bundles leave it out.
//
// Semantics are the ops' (graph/ops/*): gradients are sums over the rows, loss() returns the mean over the
// examples, grads() the gradient of that mean (what PyTorch leaves after loss.mean().backward()). Dropout
// runs as in inference (the identity): its masks come from the core's counter-based RNG.
import { sizeOf, type ValueType } from './op.js';
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
