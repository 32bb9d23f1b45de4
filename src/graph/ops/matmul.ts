// matmul(a, b): matrix products of two values, batched over their leading axes (attention: scores = q · Kᵀ,
// then weights · V). a is [..., M, K] ([..., K, M] with transposeA) and b [..., K, N] ([..., N, K] with
// transposeB); the output is [..., M, N]. Both batched: their leading axes must match, and each example's
// products are independent. One of them static (a parameter or a constant, rank 2): it is shared by every
// product, and its gradient is the sum over all of them in order (kernels/gemm.ts, gemm_batched_f32). A
// batched a times a static b folds into ONE GEMM over every row (a dense layer without bias). transposeA
// and transposeB together are not a form the kernels have.
import { boolean, nullish, withDefaults } from '../../core/check.js';
import { showShape, sizeOf, type OpDecl, type ValueType } from '../op.js';
import type { CoreExports } from '../../core/abi.js';

export interface MatmulAttrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

const NN = 0, NT = 1, TN = 2;

/** How a pass of `rows` rows runs: `batch` products of [M, K]·[K, N] with element strides sa, sb, sc. */
interface Plan { readonly batch: number; readonly M: number; readonly K: number; readonly N: number; readonly sa: number; readonly sb: number; readonly sc: number }

function dims(a: ValueType, b: ValueType, t: MatmulAttrs): { M: number; K: number; N: number; lead: number[] } {
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [M, K] = t.transposeA ? [a1, a0] : [a0, a1];
  const [K2, N] = t.transposeB ? [b1, b0] : [b0, b1];
  if (K !== K2) return { M, K: -1, N, lead: [] };
  return { M, K, N, lead: (a.batched || a.shape.length > 2 ? a : b).shape.slice(0, -2) };
}

function plan(a: ValueType, b: ValueType, t: MatmulAttrs, rows: number): Plan {
  const { M, K, N, lead } = dims(a, b, t);
  const items = (a.batched || b.batched ? rows : 1) * sizeOf(lead);
  const sa = a.batched || a.shape.length > 2 ? M * K : 0, sb = b.batched || b.shape.length > 2 ? K * N : 0;
  // A batched a and a shared b without transposeA: one GEMM over every row of a.
  if (sb === 0 && sa !== 0 && !t.transposeA) return { batch: 1, M: items * M, K, N, sa: 0, sb: 0, sc: 0 };
  return { batch: items, M, K, N, sa, sb, sc: M * N };
}

const form = (t: MatmulAttrs): number => (t.transposeA ? TN : t.transposeB ? NT : NN);

export const matmul: OpDecl<MatmulAttrs> = {
  op: 'matmul',
  family: 'matmul',
  arity: 2,
  inputNames: ['a', 'b'],
  attrs: (where, raw) => withDefaults(where, raw, { transposeA: nullish(boolean), transposeB: nullish(boolean) }, { transposeA: false, transposeB: false }),
  infer(where, t, [a, b]) {
    if (t.transposeA && t.transposeB) throw new Error(`${where}: transposeA and transposeB together are not supported (swap the operands: (Bᵀ·Aᵀ)ᵀ = A·B)`);
    for (const [v, what] of [[a!, 'a'], [b!, 'b']] as const) {
      if (v.dtype !== 'f32') throw new Error(`${where}: ${what} must be f32, got ${showShape(v)}`);
      if (v.shape.length < 2) throw new Error(`${where}: ${what} ${showShape(v)} needs at least 2 axes (reshape a vector to [1, n] or [n, 1])`);
    }
    const d = dims(a!, b!, t);
    if (d.K < 0) {
      throw new Error(`${where}: shapes ${showShape(a!)}${t.transposeA ? 'ᵀ' : ''} and ${showShape(b!)}${t.transposeB ? 'ᵀ' : ''} do not fit: inner dimensions differ`);
    }
    const la = a!.shape.slice(0, -2), lb = b!.shape.slice(0, -2);
    const bothBatched = a!.batched && b!.batched;
    const sameLead = la.length === lb.length && la.every((x, i) => x === lb[i]);
    if ((bothBatched || (!a!.batched && !b!.batched)) ? !sameLead : (a!.batched ? lb.length > 0 : la.length > 0)) {
      throw new Error(`${where}: leading axes of ${showShape(a!)} and ${showShape(b!)} do not match (both batched: equal; one static: it must have exactly 2 axes)`);
    }
    return { out: { shape: [...d.lead, d.M, d.N], dtype: 'f32', batched: a!.batched || b!.batched } };
  },
  saves: () => ({ inputs: [0, 1] }),
  accumulatesInput: () => true,
  scratch(k: CoreExports, t, [a, b], _out, rows) {
    const p = plan(a!, b!, t, rows);
    return Math.max(k.gemm_scratch_bytes(p.M, p.K, p.N), k.gemm_scratch_bytes(p.M, p.N, p.K), k.gemm_scratch_bytes(p.K, p.M, p.N),
      k.gemm_scratch_bytes(p.N, p.M, p.K), k.gemm_scratch_bytes(p.K, p.N, p.M));
  },
  forward(n, { rows }) {
    const p = plan(n.inputs[0]!, n.inputs[1]!, n.attrs, rows);
    n.k.gemm_batched_f32(form(n.attrs), n.y, n.x[0]!, n.x[1]!, p.batch, p.M, p.K, p.N, p.sa, p.sb, p.sc, 0, n.scratch);
  },
  backward(n, { rows }) {
    const { k } = n, p = plan(n.inputs[0]!, n.inputs[1]!, n.attrs, rows);
    const { batch, M, K, N, sa, sb, sc } = p, A = n.x[0]!, B = n.x[1]!, dC = n.dy, s = n.scratch;
    const [dA, dB] = [n.dx[0]!, n.dx[1]!];
    switch (form(n.attrs)) {
      case NN: // C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC
        if (dA) k.gemm_batched_f32(NT, dA, dC, B, batch, M, N, K, sc, sb, sa, n.accX[0]!, s);
        if (dB) k.gemm_batched_f32(TN, dB, A, dC, batch, K, M, N, sa, sc, sb, n.accX[1]!, s);
        break;
      case NT: // C = A·Bᵀ (B is [N, K]): dA = dC·B, dB = dCᵀ·A
        if (dA) k.gemm_batched_f32(NN, dA, dC, B, batch, M, N, K, sc, sb, sa, n.accX[0]!, s);
        if (dB) k.gemm_batched_f32(TN, dB, dC, A, batch, N, M, K, sc, sa, sb, n.accX[1]!, s);
        break;
      case TN: // C = Aᵀ·B (A is [K, M]): dA = B·dCᵀ, dB = A·dC
        if (dA) k.gemm_batched_f32(NT, dA, B, dC, batch, K, N, M, sb, sc, sa, n.accX[0]!, s);
        if (dB) k.gemm_batched_f32(NN, dB, A, dC, batch, K, M, N, sa, sc, sb, n.accX[1]!, s);
        break;
    }
  },
};
