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
