// Elementwise arithmetic: add, sub, mul with broadcasting over leading axes, and scale by a constant.
//
// Broadcasting: b's shape must be a suffix of a's (b = [d], a = [T, d]; or equal shapes), and the output
// has a's shape. Either may be static (a parameter or a constant, the same for every example): a static b
// is then added to every example. In the kernels' terms (kernels/elementwise.ts) a and y are [G, P, I] and
// b is one row of I per group (bs = I) or one row for all (bs = 0):
//   both batched:     G = rows, P = |a| / |b|, bs = I
//   b static:         G = 1, P = rows x |a| / |b| (or |a| / |b| when a is static too), bs = 0
// The gradient of a broadcast b is the sum over what it was broadcast over, in the kernels' fixed order.
import { number, withDefaults } from '../../core/check.js';
import { elementsOf, showShape, sizeOf, type BoundNode, type OpDecl, type ValueType } from '../op.js';

type Kind = 'add' | 'sub' | 'mul';

/** [G, P, I, bs] of a binary op in a pass of `rows` rows. */
function groups(a: ValueType, b: ValueType, rows: number): [number, number, number, number] {
  const I = sizeOf(b.shape), P = sizeOf(a.shape) / I;
  if (b.batched) return [rows, P, I, I];
  return [1, (a.batched ? rows : 1) * P, I, 0];
}

function binary(kind: Kind): OpDecl<Record<string, never>> {
  return {
    op: kind,
    family: 'elementwise',
    arity: 2,
    inputNames: ['a', 'b'],
    attrs: (where, raw) => withDefaults(where, raw, {}, {}),
    infer(where, _a, [a, b]) {
      for (const [t, what] of [[a!, 'a'], [b!, 'b']] as const) {
        if (t.dtype !== 'f32') throw new Error(`${where}: ${what} must be f32, got ${showShape(t)}`);
      }
      const sa = a!.shape, sb = b!.shape;
      const suffix = sb.length <= sa.length && sb.every((d, i) => d === sa[sa.length - sb.length + i]);
      if (!suffix) {
        throw new Error(`${where}: shapes ${showShape(a!)} and ${showShape(b!)} do not broadcast (b's shape must equal a's or be a suffix of it)`);
      }
      if (!a!.batched && b!.batched) {
        throw new Error(`${where}: a is static ${showShape(a!)} and b is batched ${showShape(b!)}: put the batched value first${kind === 'sub' ? ' (a - b = -(b - a): use scale)' : ''}`);
      }
      return { out: { shape: [...sa], dtype: 'f32', batched: a!.batched } };
    },
    saves: () => (kind === 'mul' ? { inputs: [0, 1] } : {}),
    accumulatesInput: () => true,
    forward(n, { rows }) {
      const [G, P, I, bs] = groups(n.inputs[0]!, n.inputs[1]!, rows);
      const f = kind === 'add' ? n.k.add_forward_f32 : kind === 'sub' ? n.k.sub_forward_f32 : n.k.mul_forward_f32;
      f(n.y, n.x[0]!, n.x[1]!, G, P, I, bs);
    },
    backward(n, { rows }) {
      const { k } = n;
      const [G, P, I, bs] = groups(n.inputs[0]!, n.inputs[1]!, rows);
      if (n.dx[0]) {
        if (kind === 'mul') k.mul_backward_f32(n.dx[0], n.dy, n.x[1]!, G, P, I, bs, n.accX[0]!);
        else passGradient(n, 0, elementsOf(n.out, rows));
      }
      if (n.dx[1]) {
        if (kind === 'mul') k.mul_sum_groups_f32(n.dx[1], n.dy, n.x[0]!, G, P, I, bs, n.accX[1]!);
        else k.sum_groups_f32(n.dx[1], n.dy, G, P, I, bs, kind === 'sub' ? -1 : 1, n.accX[1]!);
      }
    },
  };
}

/** dx[i] = dy (written or accumulated), for ops whose gradient passes through unchanged. */
export function passGradient(n: BoundNode, i: number, count: number): void {
  if (n.accX[i]) n.k.add_f32(n.dx[i]!, n.dy, count);
  else n.k.copy_f32(n.dx[i]!, n.dy, count);
}

export const add = binary('add');
export const sub = binary('sub');
export const mul = binary('mul');

export interface ScaleAttrs {
  readonly factor: number;
}

/** y = x * factor (a constant). */
export const scale: OpDecl<ScaleAttrs> = {
  op: 'scale',
  family: 'elementwise',
  arity: 1,
  inputNames: ['x'],
  attrs: (where, raw) => withDefaults(where, raw, { factor: number() }, {}),
  infer(where, _a, [x]) {
    if (x!.dtype !== 'f32') throw new Error(`${where}: its input must be f32, got ${showShape(x!)}`);
    return { out: { ...x! } };
  },
  forward(n, { rows }) {
    n.k.scale_f32(n.y, n.x[0]!, elementsOf(n.out, rows), n.attrs.factor);
  },
  backward(n, { rows }) {
    if (n.dx[0]) n.k.scale_f32(n.dx[0], n.dy, elementsOf(n.out, rows), n.attrs.factor);
  },
};
