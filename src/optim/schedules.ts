// Learning-rate schedules: the learning rate as a function of the update count t (0 at the first
// update), evaluated in f64 by the facade once per step and rounded once to f32 (docs/update.md, U_LR).
//
// A schedule is plain, frozen data ({ kind, ...parameters }), not a closure, so an optimizer's config stays
// serialisable (it crosses to the worker with postMessage and into checkpoints) and a fuser can read it.
// `scheduleValue(lr, t)` evaluates a number or a schedule; `validateSchedule` rebuilds one from untrusted
// plain data with every check the builders make.
//
// Formulas (closed forms of the PyTorch schedulers of the same name, t = step, 0-based):
//   constant          lr
//   stepDecay         lr * gamma^floor(t / stepSize)                      (torch StepLR)
//   exponentialDecay  lr * gamma^t                                        (torch ExponentialLR)
//   cosineDecay       minLr + (lr - minLr) * (1 + cos(pi * t / steps)) / 2 for t <= steps, then minLr
//                     (torch CosineAnnealingLR, held at minLr instead of rising again after `steps`)
//   linearWarmup      for t < steps: inner(0) * (startFactor + (1 - startFactor) * t / steps)
//                     for t >= steps: inner(t - steps), i.e. the wrapped schedule STARTS AGAIN FROM 0
//                     when the warmup ends (torch SequentialLR([LinearLR, inner], [steps]), optax
//                     join_schedules). So cosineDecay({ steps: 1000 }) after a 100-step warmup ends at
//                     t = 1100.
//
// The option checks (one message format: `<where>: <field> is <value> (need ...)`, and unknown keys named
// with the allowed ones) live in core/check.ts, shared with the model spec and createModel; they are
// re-exported here for transforms.ts.

// ---------------------------------------------------------------- option checks

import { checkArg, checkOptions, didYouMean, fail, number, show, type Range } from '../core/check.js';

export { checkOptions, fail, show };

/** A finite number with lo <= v (or lo < v when `open`), v <= hi (or < when `hiOpen`). */
export function checkNumber(where: string, field: string, v: unknown, range: Range = {}): number {
  return checkArg<number>(where, field, v, number(range));
}

/** `options[field]` if present, else `dflt`; then the number check. */
export function numberOption(
  where: string, o: Record<string, unknown>, field: string, dflt: number | undefined,
  range: Parameters<typeof checkNumber>[3] = {},
): number {
  const v = o[field] === undefined ? dflt : o[field];
  return checkNumber(where, field, v, range);
}

// ---------------------------------------------------------------- schedules

export interface ConstantSchedule { readonly kind: 'constant'; readonly lr: number }
export interface StepDecaySchedule {
  readonly kind: 'stepDecay'; readonly lr: number; readonly stepSize: number; readonly gamma: number;
}
export interface ExponentialDecaySchedule { readonly kind: 'exponentialDecay'; readonly lr: number; readonly gamma: number }
export interface CosineDecaySchedule {
  readonly kind: 'cosineDecay'; readonly lr: number; readonly steps: number; readonly minLr: number;
}
export interface LinearWarmupSchedule {
  readonly kind: 'linearWarmup'; readonly steps: number; readonly startFactor: number; readonly schedule: Schedule;
}
export type Schedule =
  | ConstantSchedule | StepDecaySchedule | ExponentialDecaySchedule | CosineDecaySchedule | LinearWarmupSchedule;
export type ScheduleKind = Schedule['kind'];
/** What every optimizer's `lr` accepts. */
export type LearningRate = number | Schedule;

export const SCHEDULE_KINDS: readonly ScheduleKind[] = [
  'constant', 'stepDecay', 'exponentialDecay', 'cosineDecay', 'linearWarmup',
];

// lr = 0 is allowed (a frozen phase); negative, NaN, Infinity are not, nor what rounds to Infinity in f32.
const LR = { min: 0, max: 3.4028234663852886e38 } as const;
const DECAY = { min: 0, minOpen: true, max: 1 } as const;
const STEPS = { min: 1, integer: true } as const;

/** lr at every step. */
export function constant(lr: number): ConstantSchedule {
  return Object.freeze({ kind: 'constant', lr: checkNumber('constant', 'lr', lr, LR) });
}

/** lr * gamma^floor(t / stepSize) (torch StepLR). */
export function stepDecay(options: { lr: number; stepSize: number; gamma?: number }): StepDecaySchedule {
  const w = 'stepDecay';
  const o = checkOptions(w, options, ['lr', 'stepSize', 'gamma'], false);
  return Object.freeze({
    kind: 'stepDecay',
    lr: numberOption(w, o, 'lr', undefined, LR),
    stepSize: numberOption(w, o, 'stepSize', undefined, STEPS),
    gamma: numberOption(w, o, 'gamma', 0.1, DECAY),
  });
}

/** lr * gamma^t (torch ExponentialLR). */
export function exponentialDecay(options: { lr: number; gamma: number }): ExponentialDecaySchedule {
  const w = 'exponentialDecay';
  const o = checkOptions(w, options, ['lr', 'gamma'], false);
  return Object.freeze({
    kind: 'exponentialDecay',
    lr: numberOption(w, o, 'lr', undefined, LR),
    gamma: numberOption(w, o, 'gamma', undefined, DECAY),
  });
}

/** Half a cosine from lr at t = 0 to minLr at t = steps, then minLr (torch CosineAnnealingLR). */
export function cosineDecay(options: { lr: number; steps: number; minLr?: number }): CosineDecaySchedule {
  const w = 'cosineDecay';
  const o = checkOptions(w, options, ['lr', 'steps', 'minLr'], false);
  const lr = numberOption(w, o, 'lr', undefined, LR);
  return Object.freeze({
    kind: 'cosineDecay',
    lr,
    steps: numberOption(w, o, 'steps', undefined, STEPS),
    minLr: numberOption(w, o, 'minLr', 0, { min: 0, max: lr }),
  });
}

/**
 * Linear ramp from startFactor * schedule(0) at t = 0 towards schedule(0) over `steps` steps, then
 * `schedule` evaluated from 0 again: value(t) = schedule(t - steps) for t >= steps.
 */
export function linearWarmup(
  options: { steps: number; schedule: LearningRate; startFactor?: number },
): LinearWarmupSchedule {
  const w = 'linearWarmup';
  const o = checkOptions(w, options, ['steps', 'schedule', 'startFactor'], false);
  return Object.freeze({
    kind: 'linearWarmup',
    steps: numberOption(w, o, 'steps', undefined, STEPS),
    startFactor: numberOption(w, o, 'startFactor', 0, { min: 0, max: 1 }),
    schedule: asSchedule(`${w}: schedule`, o['schedule']),
  });
}

/** A number as a constant schedule; a schedule (plain data) rebuilt through its builder's checks. */
function asSchedule(where: string, v: unknown): Schedule {
  if (typeof v === 'number') return constant(checkNumber(where, 'lr', v, LR));
  return validateSchedule(v, where);
}

/** Rebuilds a schedule from plain data (e.g. after JSON or postMessage), with every builder check. */
export function validateSchedule(s: unknown, where = 'schedule'): Schedule {
  if (typeof s === 'function') {
    throw new Error(`${where}: a function is not a schedule (build one with ${SCHEDULE_KINDS.join(', ')}; ` +
      'schedules are plain data so they can cross to the worker)');
  }
  if (s === null || typeof s !== 'object') fail(where, 'schedule', s, `an object from ${SCHEDULE_KINDS.join(', ')}`);
  const { kind, ...rest } = s as { kind?: unknown };
  try {
    switch (kind) {
      case 'constant': checkOptions('constant', rest, ['lr'], false); return constant((rest as { lr: number }).lr);
      case 'stepDecay': return stepDecay(rest as never);
      case 'exponentialDecay': return exponentialDecay(rest as never);
      case 'cosineDecay': return cosineDecay(rest as never);
      case 'linearWarmup': return linearWarmup(rest as never);
    }
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  throw new Error(`${where}: unknown schedule kind ${show(kind)} (allowed: ${SCHEDULE_KINDS.join(', ')})${typeof kind === 'string' ? didYouMean(kind, SCHEDULE_KINDS) : ''}`);
}

/** Checks an optimizer's `lr`: a finite number >= 0 or a schedule (returned rebuilt and frozen). */
export function checkLearningRate(where: string, v: unknown): LearningRate {
  if (typeof v === 'number' || v === undefined || v === null) return checkNumber(where, 'lr', v, LR);
  return validateSchedule(v, `${where}: lr`);
}

/** The learning rate at step t (0-based), in f64. */
export function scheduleValue(lr: LearningRate, t: number): number {
  if (!Number.isFinite(t) || t < 0) fail('scheduleValue', 't', t, 'a finite number >= 0');
  if (typeof lr === 'number') return lr;
  switch (lr.kind) {
    case 'constant':
      return lr.lr;
    case 'stepDecay':
      return lr.lr * Math.pow(lr.gamma, Math.floor(t / lr.stepSize));
    case 'exponentialDecay':
      return lr.lr * Math.pow(lr.gamma, t);
    case 'cosineDecay':
      if (t >= lr.steps) return lr.minLr;
      return lr.minLr + (lr.lr - lr.minLr) * (1 + Math.cos((Math.PI * t) / lr.steps)) / 2;
    case 'linearWarmup':
      if (t >= lr.steps) return scheduleValue(lr.schedule, t - lr.steps);
      return scheduleValue(lr.schedule, 0) * (lr.startFactor + ((1 - lr.startFactor) * t) / lr.steps);
  }
}
