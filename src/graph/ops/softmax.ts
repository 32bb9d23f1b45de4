// Softmax over the last axis with an optional mask (attention weights over memories, of which some are
// padding), and tokenMask, which makes such masks from token ids.
//
// softmax(x, mask?): x [..., n]; mask f32 with x's shape or a suffix of it (a key-padding mask [n] for
//   scores [T, n]), 0 where an entry is masked out. Masked entries get probability 0 and no gradient; a
//   row with every entry masked is all zeros (not NaN). kernels/softmax.ts has the fixed orders.
// tokenMask(ids): 1 where ids[...] != paddingId, else 0 (reduce 'none'), or per row of the last axis, 1
//   where any id of the row is not padding (reduce 'any': which sentences of a story exist).
import { int, nullish, oneOf, withDefaults } from '../../core/check.js';
import { elementsOf, showShape, sizeOf, type OpDecl } from '../op.js';

export const softmax: OpDecl<Record<string, never>> = {
  op: 'softmax',
  family: 'softmax',
  arity: [1, 2],
  inputNames: ['x', 'mask'],
  attrs: (where, raw) => withDefaults(where, raw, {}, {}),
  infer(where, _a, [x, mask]) {
    if (x!.dtype !== 'f32') throw new Error(`${where}: its input must be f32, got ${showShape(x!)}`);
    if (x!.shape.length === 0) throw new Error(`${where}: its input ${showShape(x!)} needs a last axis to normalise over`);
    if (mask) {
      const sx = x!.shape, sm = mask.shape;
      const suffix = sm.length >= 1 && sm.length <= sx.length && sm.every((d, i) => d === sx[sx.length - sm.length + i]);
      if (mask.dtype !== 'f32' || !suffix) {
        throw new Error(`${where}: the mask ${showShape(mask)} must be f32 with the shape of x ${showShape(x!)} or a suffix of it (tokenMask makes one from ids)`);
      }
      if (mask.batched && !x!.batched) throw new Error(`${where}: a batched mask ${showShape(mask)} for a static x ${showShape(x!)}`);
    }
    return { out: { ...x! } };
  },
  differentiable: (i) => i === 0,
  saves: () => ({ output: true }),
  accumulatesInput: () => true,
  forward(n, { rows }) {
    const x = n.inputs[0]!, m = n.inputs[1];
    const N = x.shape[x.shape.length - 1]!, P = sizeOf(x.shape) / N;
    if (!m || !n.x[1]) {
      n.k.softmax_forward_f32(n.y, n.x[0]!, 0, elementsOf(x, rows) / N, 1, 1, N);
    } else if (m.batched) {
      n.k.softmax_forward_f32(n.y, n.x[0]!, n.x[1], rows, P, sizeOf(m.shape) / N, N);
    } else {
      n.k.softmax_forward_f32(n.y, n.x[0]!, n.x[1], 1, elementsOf(x, rows) / N, sizeOf(m.shape) / N, N);
    }
  },
  backward(n, { rows }) {
    if (!n.dx[0]) return;
    const x = n.inputs[0]!, N = x.shape[x.shape.length - 1]!;
    n.k.softmax_backward_f32(n.dx[0], n.y, n.dy, elementsOf(x, rows) / N, N, n.accX[0]!);
  },
};

export interface TokenMaskAttrs {
  readonly paddingId: number;
  readonly reduce: 'none' | 'any';
}

export const tokenMask: OpDecl<TokenMaskAttrs> = {
  op: 'tokenMask',
  family: 'softmax',
  arity: 1,
  inputNames: ['ids'],
  attrs: (where, raw) => withDefaults(where, raw, { paddingId: nullish(int(-(2 ** 31), 2 ** 31 - 1)), reduce: nullish(oneOf(['none', 'any'])) },
    { paddingId: 0, reduce: 'none' }),
  infer(where, a, [ids]) {
    if (ids!.dtype !== 'i32') throw new Error(`${where}: its input must be i32 token ids, got ${showShape(ids!)}`);
    if (a.reduce === 'any' && ids!.shape.length === 0) throw new Error(`${where}: reduce "any" needs a last axis, got ${showShape(ids!)}`);
    const shape = a.reduce === 'any' ? ids!.shape.slice(0, -1) : [...ids!.shape];
    return { out: { shape, dtype: 'f32', batched: ids!.batched } };
  },
  forward(n, { rows }) {
    const ids = n.inputs[0]!;
    const L = n.attrs.reduce === 'any' ? ids.shape[ids.shape.length - 1]! : 1;
    n.k.token_mask_f32(n.y, n.x[0]!, elementsOf(ids, rows) / L, L, n.attrs.paddingId);
  },
};
