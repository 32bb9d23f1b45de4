// Losses: what a graph minimises. Each reads a prediction (a value of the graph), a target (an input that
// the data supply: class ids or float targets) and optionally a mask, returns the SUM over the pass's rows
// of each example's loss, and writes d(loss)/d(prediction) per example (sums over the batch, like every
// gradient here: the optimizer applies 1 / rows).
//
// softmaxCrossEntropy: logits [C] with an i32 label [] per example (the kernel of the dense stack, so the
//   paper net keeps its bits); or logits [..., T, C] with labels [..., T] (per position: sequence outputs),
//   where positions whose label is ignoreIndex, or whose mask is 0, count for nothing, and an example's
//   loss is the mean over its counted positions (reduction 'mean') or their sum ('sum').
// meanSquaredError: targets of the prediction's shape; an example's loss is the mean over its elements.
// binaryCrossEntropy: with logits (a sigmoid inside, computed stably); targets in [0, 1] of the
//   prediction's shape; the mean over its elements.
import type { CoreExports } from '../../core/abi.js';
import { int, nullish, oneOf, withDefaults } from '../../core/check.js';
import { showShape, sizeOf, type ValueType } from '../op.js';

export interface LossResult {
  /** Sum over the pass's rows of each example's loss. */
  readonly loss: number;
  /** Predictions that were right (classification), of `count` scored. */
  readonly correct: number;
  readonly count: number;
}

export interface BoundLoss<A> {
  readonly k: CoreExports;
  readonly attrs: A;
  readonly input: ValueType;
  readonly target: ValueType;
  readonly x: number;
  readonly t: number;
  /** 0 when there is none. */
  readonly mask: number;
  /** Where d(loss)/d(prediction) is written (never accumulated: the planner adds it in when it must). */
  readonly dx: number;
}

/** What the data must satisfy for this loss's target. */
export interface TargetRule {
  /** Labels must lie in [0, classes) ... */
  readonly classes?: number;
  /** ... or equal this. */
  readonly ignoreIndex?: number;
  /** Float targets must lie in [0, 1]. */
  readonly unitInterval?: boolean;
}

export interface LossDecl<A = any> {
  readonly op: string;
  attrs(where: string, raw: Readonly<Record<string, unknown>>): A;
  /** The target's and the mask's expected types, checked against what the graph gives; throws naming both. */
  check(where: string, attrs: A, input: ValueType, target: ValueType, mask: ValueType | null): TargetRule;
  run(b: BoundLoss<A>, rows: number): LossResult;
}

export interface CrossEntropyAttrs {
  readonly ignoreIndex: number;
  readonly reduction: 'mean' | 'sum';
}

const needTarget = (where: string, want: string, got: ValueType): never => {
  throw new Error(`${where}: the target must be ${want}, got ${showShape(got)}`);
};

export const softmaxCrossEntropy: LossDecl<CrossEntropyAttrs> = {
  op: 'softmaxCrossEntropy',
  attrs: (where, raw) => withDefaults(where, raw, { ignoreIndex: nullish(int(-(2 ** 31), 2 ** 31 - 1)), reduction: nullish(oneOf(['mean', 'sum'])) },
    { ignoreIndex: -100, reduction: 'mean' }),
  check(where, a, x, t, mask) {
    if (x.dtype !== 'f32' || !x.batched || x.shape.length === 0) throw new Error(`${where}: the logits must be batched f32 with a class axis, got ${showShape(x)}`);
    const C = x.shape[x.shape.length - 1]!;
    if (C < 2) throw new Error(`${where}: the logits ${showShape(x)} have ${C} class (need at least 2)`);
    const want = x.shape.slice(0, -1);
    if (t.dtype !== 'i32' || !t.batched || t.shape.length !== want.length || !t.shape.every((d, i) => d === want[i])) {
      needTarget(where, `i32 class ids of shape [${want.join(', ')}] (the logits ${showShape(x)} without their class axis)`, t);
    }
    if (mask) {
      if (x.shape.length === 1) throw new Error(`${where}: a mask needs per-position logits [..., T, C]; these are ${showShape(x)}`);
      if (mask.dtype !== 'f32' || !mask.batched || mask.shape.length !== want.length || !mask.shape.every((d, i) => d === want[i])) {
        throw new Error(`${where}: the mask must be batched f32 of shape [${want.join(', ')}], got ${showShape(mask)}`);
      }
    }
    return x.shape.length === 1 ? { classes: C } : { classes: C, ignoreIndex: a.ignoreIndex };
  },
  run(b, rows) {
    const { k, input: x } = b, C = x.shape[x.shape.length - 1]!;
    if (x.shape.length === 1) {
      const loss = k.softmax_xent_f32(b.dx, b.x, b.t, rows, C);
      return { loss, correct: k.correct_count_f32(b.x, b.t, rows, C), count: rows };
    }
    const T = sizeOf(x.shape) / C, { ignoreIndex, reduction } = b.attrs;
    const loss = k.seq_softmax_xent_f32(b.dx, b.x, b.t, b.mask, rows, T, C, ignoreIndex, reduction === 'mean' ? 1 : 0);
    return {
      loss,
      correct: k.seq_correct_count_f32(b.x, b.t, b.mask, rows, T, C, ignoreIndex),
      count: k.seq_valid_count_f32(b.t, b.mask, rows, T, ignoreIndex),
    };
  },
};

function sameShapeF32(where: string, x: ValueType, t: ValueType, mask: ValueType | null): void {
  if (x.dtype !== 'f32' || !x.batched) throw new Error(`${where}: the prediction must be batched f32, got ${showShape(x)}`);
  if (t.dtype !== 'f32' || !t.batched || t.shape.length !== x.shape.length || !t.shape.every((d, i) => d === x.shape[i])) {
    needTarget(where, `f32 of the prediction's shape [${x.shape.join(', ')}]`, t);
  }
  if (mask) throw new Error(`${where}: this loss takes no mask`);
}

export const meanSquaredError: LossDecl<Record<string, never>> = {
  op: 'meanSquaredError',
  attrs: (where, raw) => withDefaults(where, raw, {}, {}),
  check(where, _a, x, t, mask) {
    sameShapeF32(where, x, t, mask);
    return {};
  },
  run(b, rows) {
    return { loss: b.k.mse_f32(b.dx, b.x, b.t, rows, sizeOf(b.input.shape)), correct: 0, count: 0 };
  },
};

export const binaryCrossEntropy: LossDecl<Record<string, never>> = {
  op: 'binaryCrossEntropy',
  attrs: (where, raw) => withDefaults(where, raw, {}, {}),
  check(where, _a, x, t, mask) {
    sameShapeF32(where, x, t, mask);
    return { unitInterval: true };
  },
  run(b, rows) {
    return { loss: b.k.bce_logits_f32(b.dx, b.x, b.t, rows, sizeOf(b.input.shape)), correct: 0, count: 0 };
  },
};

export const LOSSES: Readonly<Record<string, LossDecl>> = { softmaxCrossEntropy, meanSquaredError, binaryCrossEntropy };
