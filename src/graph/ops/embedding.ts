// embedding(ids): rows of a table [vocab, dim] (slot embeddings) looked up by i32 token ids: ids [...] -> [..., dim]. An id
// equal to paddingId reads as a zero vector and sends no gradient (padding contributes nothing). The
// table's gradient is a scatter-add over the ids in their order (kernels/embedding.ts), so repeated ids add
// up in a fixed order, whatever the shards or workers. Ids outside [0, vocab) are refused when the data are
// checked (the error names the input, the example, the position and the value).
import { int, nullish, withDefaults } from '../../core/check.js';
import { elementsOf, showShape, type OpDecl } from '../op.js';
import { MAX_UNITS } from '../limits.js';

export interface EmbeddingAttrs {
  readonly vocab: number;
  readonly dim: number;
  /** Ids equal to it read as zeros (null: none). */
  readonly paddingId: number | null;
}

export const embedding: OpDecl<EmbeddingAttrs> = {
  op: 'embedding',
  family: 'embedding',
  arity: 1,
  inputNames: ['ids'],
  attrs(where, raw) {
    const a = withDefaults<EmbeddingAttrs>(where, raw, { vocab: int(1, 1 << 24), dim: int(1, MAX_UNITS), paddingId: nullish(int(0, (1 << 24) - 1)) }, {});
    if (a.paddingId !== null && a.paddingId >= a.vocab) throw new Error(`${where}: paddingId ${a.paddingId} is outside the vocabulary [0, ${a.vocab})`);
    return a;
  },
  infer(where, a, [ids]) {
    if (ids!.dtype !== 'i32') throw new Error(`${where}: its input must be i32 token ids, got f32 ${showShape(ids!)}`);
    if (!ids!.batched) throw new Error(`${where}: its ids must be batched (one set per example), got the static ${showShape(ids!)}`);
    return {
      out: { shape: [...ids!.shape, a.dim], dtype: 'f32', batched: true },
      params: [{ slot: 'embeddings', shape: [a.vocab, a.dim] }],
      indexBounds: [a.vocab],
    };
  },
  differentiable: () => false,
  saves: () => ({ inputs: [0] }),
  accumulatesParam: () => true,
  forward(n, { rows }) {
    n.k.embedding_forward_f32(n.y, n.x[0]!, n.p.embeddings!, elementsOf(n.inputs[0]!, rows), n.attrs.dim, n.attrs.paddingId ?? -1);
  },
  backward(n, { rows }) {
    const dt = n.dp.embeddings;
    if (!dt) return;
    if (!n.accP.embeddings) n.k.fill_f32(dt, n.attrs.vocab * n.attrs.dim, 0);
    n.k.embedding_backward_f32(dt, n.x[0]!, n.dy, elementsOf(n.inputs[0]!, rows), n.attrs.dim, n.attrs.paddingId ?? -1);
  },
};

/**
 * embeddingBag(ids, weights?): the sum over the last axis of ids of their rows, each times a weight row:
 * ids [..., L] -> [..., dim], y = sum_j weights[j] * table[ids[..., j]] (padding ids skipped). weights is a
 * static [L, dim] value (a constant such as a position encoding, or a parameter) or absent (a plain sum).
 * The same as embedding, mul by the weights and sum over axis -2, without the [..., L, dim] in between.
 */
export const embeddingBag: OpDecl<EmbeddingAttrs> = {
  op: 'embeddingBag',
  family: 'embedding',
  arity: [1, 2],
  inputNames: ['ids', 'weights'],
  attrs: (where, raw) => embedding.attrs(where, raw),
  infer(where, a, [ids, w]) {
    if (ids!.dtype !== 'i32') throw new Error(`${where}: its input must be i32 token ids, got f32 ${showShape(ids!)}`);
    if (!ids!.batched || ids!.shape.length === 0) throw new Error(`${where}: its ids must be batched with a last axis (the bag), got ${showShape(ids!)}`);
    const L = ids!.shape[ids!.shape.length - 1]!;
    if (w && (w.dtype !== 'f32' || w.batched || w.shape.length !== 2 || w.shape[0] !== L || w.shape[1] !== a.dim)) {
      throw new Error(`${where}: the weights must be a static f32 [${L}, ${a.dim}] (one row per position of the bag), got ${showShape(w)}`);
    }
    return {
      out: { shape: [...ids!.shape.slice(0, -1), a.dim], dtype: 'f32', batched: true },
      params: [{ slot: 'embeddings', shape: [a.vocab, a.dim] }],
      indexBounds: [a.vocab],
    };
  },
  differentiable: (i) => i === 1,
  saves: () => ({ inputs: [0, 1] }),
  accumulatesInput: () => true,
  accumulatesParam: () => true,
  forward(n, { rows }) {
    const ids = n.inputs[0]!, L = ids.shape[ids.shape.length - 1]!;
    n.k.embedding_bag_forward_f32(n.y, n.x[0]!, n.p.embeddings!, n.x[1] ?? 0, elementsOf(ids, rows) / L, L, n.attrs.dim, n.attrs.paddingId ?? -1);
  },
  backward(n, { rows }) {
    const ids = n.inputs[0]!, L = ids.shape[ids.shape.length - 1]!, D = n.attrs.dim;
    const dt = n.dp.embeddings!, dw = n.dx[1] ?? 0;
    if (!n.accP.embeddings) n.k.fill_f32(dt, n.attrs.vocab * D, 0);
    if (dw && !n.accX[1]) n.k.fill_f32(dw, L * D, 0);
    n.k.embedding_bag_backward_f32(dt, dw, n.x[0]!, n.p.embeddings!, n.x[1] ?? 0, n.dy, elementsOf(ids, rows) / L, L, D, n.attrs.paddingId ?? -1);
  },
};
