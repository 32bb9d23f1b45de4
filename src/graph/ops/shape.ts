// Ops that move values without arithmetic, or reduce them: reshape (free: the output is the input's
// storage), concat and slice on the last axis (strided row copies), sum and mean over one axis.
import { check, int, nullish, withDefaults } from '../../core/check.js';
import { elementsOf, showShape, sizeOf, type OpDecl, type ValueType } from '../op.js';
import { MAX_UNITS } from '../limits.js';
import { passGradient } from './elementwise.js';

export interface ReshapeAttrs {
  /** The new shape per example; one entry may be -1 (inferred). */
  readonly shape: readonly number[];
}

export const reshape: OpDecl<ReshapeAttrs> = {
  op: 'reshape',
  family: 'shape',
  arity: 1,
  inputNames: ['x'],
  alias: true,
  attrs: (where, raw) => withDefaults(where, raw, {
    shape: check(`a list of at most 8 dimensions from 1 to ${MAX_UNITS}, one of them -1 at most`, (v) => Array.isArray(v) && v.length <= 8 &&
      v.every((d) => Number.isSafeInteger(d) && (d === -1 || (d >= 1 && d <= MAX_UNITS))) && v.filter((d) => d === -1).length <= 1),
  }, {}),
  infer(where, a, [x]) {
    const total = sizeOf(x!.shape);
    const known = a.shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const shape = a.shape.map((d) => (d === -1 ? total / known : d));
    if (!shape.every((d) => Number.isInteger(d) && d >= 1) || sizeOf(shape) !== total) {
      throw new Error(`${where}: cannot reshape ${showShape(x!)} (${total} elements per example) to [${a.shape.join(', ')}]`);
    }
    return { out: { shape, dtype: x!.dtype, batched: x!.batched } };
  },
  accumulatesInput: () => true,
  forward() {},
  backward(n, { rows }) {
    if (n.dx[0]) passGradient(n, 0, elementsOf(n.out, rows));
  },
};

// [R, W] rows of a value's last axis: R = rows x the leading dimensions, W = the last one.
const rowsOf = (t: ValueType, rows: number): number => elementsOf(t, rows) / t.shape[t.shape.length - 1]!;

function lastAxis(where: string, what: string, t: ValueType): number {
  if (t.shape.length === 0) throw new Error(`${where}: ${what} is a scalar per example ${showShape(t)}; it needs a last axis`);
  return t.shape[t.shape.length - 1]!;
}

export const concat: OpDecl<Record<string, never>> = {
  op: 'concat',
  family: 'shape',
  arity: [1, 64],
  inputNames: ['values'],
  attrs: (where, raw) => withDefaults(where, raw, {}, {}),
  infer(where, _a, xs) {
    const first = xs[0]!;
    let width = 0;
    xs.forEach((t, i) => {
      if (!t) throw new Error(`${where}: input ${i} is absent ("") (concat joins every value it is given)`);
      lastAxis(where, `input ${i}`, t);
      const same = t!.dtype === first.dtype && t!.batched === first.batched && t!.shape.length === first.shape.length &&
        t!.shape.slice(0, -1).every((d, j) => d === first.shape[j]);
      if (!same) throw new Error(`${where}: input ${i} ${showShape(t)} does not fit input 0 ${showShape(first)} (all but the last axis must match)`);
      width += t!.shape[t!.shape.length - 1]!;
    });
    return { out: { shape: [...first.shape.slice(0, -1), width], dtype: first.dtype, batched: first.batched } };
  },
  accumulatesInput: () => true,
  forward(n, { rows }) {
    const W = lastAxis('', '', n.out), R = rowsOf(n.out, rows);
    let off = 0;
    n.inputs.forEach((t, i) => {
      const w = t.shape[t.shape.length - 1]!;
      n.k.copy_rows_f32(n.y + 4 * off, W, n.x[i]!, w, R, w, 0);
      off += w;
    });
  },
  backward(n, { rows }) {
    const W = lastAxis('', '', n.out), R = rowsOf(n.out, rows);
    let off = 0;
    n.inputs.forEach((t, i) => {
      const w = t.shape[t.shape.length - 1]!;
      if (n.dx[i]) n.k.copy_rows_f32(n.dx[i]!, w, n.dy + 4 * off, W, R, w, n.accX[i]!);
      off += w;
    });
  },
};

export interface SliceAttrs {
  readonly start: number;
  readonly size: number;
}

/** Elements [start, start + size) of the last axis. */
export const slice: OpDecl<SliceAttrs> = {
  op: 'slice',
  family: 'shape',
  arity: 1,
  inputNames: ['x'],
  attrs: (where, raw) => withDefaults(where, raw, { start: int(0, MAX_UNITS), size: int(1, MAX_UNITS) }, {}),
  infer(where, a, [x]) {
    const W = lastAxis(where, 'its input', x!);
    if (a.start + a.size > W) throw new Error(`${where}: elements [${a.start}, ${a.start + a.size}) of a last axis of ${W} ${showShape(x!)}`);
    return { out: { shape: [...x!.shape.slice(0, -1), a.size], dtype: x!.dtype, batched: x!.batched } };
  },
  accumulatesInput: () => true,
  forward(n, { rows }) {
    const W = n.inputs[0]!.shape[n.inputs[0]!.shape.length - 1]!, R = rowsOf(n.out, rows);
    n.k.copy_rows_f32(n.y, n.attrs.size, n.x[0]! + 4 * n.attrs.start, W, R, n.attrs.size, 0);
  },
  backward(n, { rows }) {
    if (!n.dx[0]) return;
    const W = n.inputs[0]!.shape[n.inputs[0]!.shape.length - 1]!, R = rowsOf(n.out, rows);
    if (!n.accX[0]) n.k.fill_f32(n.dx[0], R * W, 0);
    n.k.copy_rows_f32(n.dx[0] + 4 * n.attrs.start, W, n.dy, n.attrs.size, R, n.attrs.size, n.accX[0]!);
  },
};

export interface PadAttrs {
  readonly before: number;
  readonly after: number;
}

/** Zeros around the last axis: [..., W] -> [..., before + W + after] (a state's empty rows, for example). */
export const pad: OpDecl<PadAttrs> = {
  op: 'pad',
  family: 'shape',
  arity: 1,
  inputNames: ['x'],
  attrs: (where, raw) => withDefaults(where, raw, { before: nullish(int(0, MAX_UNITS)), after: nullish(int(0, MAX_UNITS)) }, { before: 0, after: 0 }),
  infer(where, a, [x]) {
    const W = lastAxis(where, 'its input', x!);
    if (x!.dtype !== 'f32') throw new Error(`${where}: its input must be f32, got ${showShape(x!)}`);
    return { out: { shape: [...x!.shape.slice(0, -1), a.before + W + a.after], dtype: 'f32', batched: x!.batched } };
  },
  accumulatesInput: () => true,
  forward(n, { rows }) {
    const W = n.inputs[0]!.shape[n.inputs[0]!.shape.length - 1]!, out = W + n.attrs.before + n.attrs.after, R = rowsOf(n.out, rows);
    n.k.fill_f32(n.y, R * out, 0);
    n.k.copy_rows_f32(n.y + 4 * n.attrs.before, out, n.x[0]!, W, R, W, 0);
  },
  backward(n, { rows }) {
    if (!n.dx[0]) return;
    const W = n.inputs[0]!.shape[n.inputs[0]!.shape.length - 1]!, out = W + n.attrs.before + n.attrs.after, R = rowsOf(n.out, rows);
    n.k.copy_rows_f32(n.dx[0], W, n.dy + 4 * n.attrs.before, out, R, W, n.accX[0]!);
  },
};

export interface ReduceAttrs {
  /** Axis of the per-example shape (negative counts from the end). */
  readonly axis: number;
}

// [O, A, I] of a reduction over `axis` in a pass of `rows` rows.
function around(t: ValueType, axis: number, rows: number): [number, number, number] {
  const ax = axis < 0 ? t.shape.length + axis : axis;
  return [(t.batched ? rows : 1) * sizeOf(t.shape.slice(0, ax)), t.shape[ax]!, sizeOf(t.shape.slice(ax + 1))];
}

function reduction(kind: 'sum' | 'mean'): OpDecl<ReduceAttrs> {
  return {
    op: kind,
    family: 'shape',
    arity: 1,
    inputNames: ['x'],
    attrs: (where, raw) => withDefaults(where, raw, { axis: nullish(int(-8, 7)) }, { axis: -1 }),
    infer(where, a, [x]) {
      const r = x!.shape.length;
      if (x!.dtype !== 'f32') throw new Error(`${where}: its input must be f32, got ${showShape(x!)}`);
      if (a.axis >= r || a.axis < -r) throw new Error(`${where}: axis ${a.axis} of ${showShape(x!)} (the per-example shape has ${r} axes; the batch axis cannot be reduced)`);
      const ax = a.axis < 0 ? r + a.axis : a.axis;
      return { out: { shape: x!.shape.filter((_, i) => i !== ax), dtype: 'f32', batched: x!.batched } };
    },
    accumulatesInput: () => true,
    forward(n, { rows }) {
      const [O, A, I] = around(n.inputs[0]!, n.attrs.axis, rows);
      n.k.sum_groups_f32(n.y, n.x[0]!, O, A, I, I, kind === 'mean' ? Math.fround(1 / A) : 1, 0);
    },
    backward(n, { rows }) {
      if (!n.dx[0]) return;
      const [O, A, I] = around(n.inputs[0]!, n.attrs.axis, rows);
      n.k.broadcast_groups_f32(n.dx[0], n.dy, O, A, I, I, kind === 'mean' ? Math.fround(1 / A) : 1, n.accX[0]!);
    },
  };
}

export const sum = reduction('sum');
export const mean = reduction('mean');
