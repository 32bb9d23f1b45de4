// Learning-rate schedules at step t (0-based, f64), against the closed forms of the PyTorch schedulers.
import { describe, expect, it } from 'vitest';
import {
  constant, cosineDecay, exponentialDecay, linearWarmup, scheduleValue, stepDecay, validateSchedule,
} from '../../../src/optim/schedules.js';

describe('schedules', () => {
  it('constant (a number is a constant schedule too)', () => {
    expect([0, 1, 1e6].map((t) => scheduleValue(constant(0.3), t))).toEqual([0.3, 0.3, 0.3]);
    expect(scheduleValue(0.3, 17)).toBe(0.3);
  });

  it('stepDecay: lr * gamma^floor(t / stepSize) (torch StepLR)', () => {
    const s = stepDecay({ lr: 0.1, stepSize: 3 });
    const want = [0.1, 0.1, 0.01, 0.01, 0.001, 0.0001];
    [0, 2, 3, 5, 6, 9].forEach((t, j) => expect(scheduleValue(s, t)).toBeCloseTo(want[j]!, 15));
    expect(s.gamma).toBe(0.1);
    expect(scheduleValue(stepDecay({ lr: 1, stepSize: 2, gamma: 0.5 }), 5)).toBe(0.25);
  });

  it('exponentialDecay: lr * gamma^t (torch ExponentialLR)', () => {
    const s = exponentialDecay({ lr: 2, gamma: 0.9 });
    for (const t of [0, 1, 2, 10]) expect(scheduleValue(s, t)).toBeCloseTo(2 * 0.9 ** t, 14);
  });

  it('cosineDecay: torch CosineAnnealingLR, held at minLr after `steps`', () => {
    const s = cosineDecay({ lr: 0.1, steps: 10, minLr: 0.01 });
    expect(scheduleValue(s, 0)).toBe(0.1);
    expect(scheduleValue(s, 5)).toBeCloseTo(0.055, 15); // halfway: (lr + minLr) / 2
    expect(scheduleValue(s, 2.5)).toBeCloseTo(0.01 + 0.09 * (1 + Math.SQRT1_2) / 2, 15);
    expect(scheduleValue(s, 10)).toBe(0.01);
    expect(scheduleValue(s, 11)).toBe(0.01); // torch would rise again; we hold
    expect(scheduleValue(s, 1000)).toBe(0.01);
    expect(scheduleValue(cosineDecay({ lr: 1, steps: 4 }), 4)).toBe(0);
    // monotone non-increasing over the decay
    const v = Array.from({ length: 12 }, (_, t) => scheduleValue(s, t));
    v.slice(1).forEach((x, i) => expect(x).toBeLessThanOrEqual(v[i]!));
  });

  it('linearWarmup: linear from startFactor * lr, then the wrapped schedule started again from 0', () => {
    const inner = cosineDecay({ lr: 0.1, steps: 10 });
    const s = linearWarmup({ steps: 4, schedule: inner, startFactor: 0.2 });
    expect(scheduleValue(s, 0)).toBeCloseTo(0.02, 15);
    expect(scheduleValue(s, 1)).toBeCloseTo(0.1 * (0.2 + 0.8 / 4), 15);
    expect(scheduleValue(s, 3)).toBeCloseTo(0.1 * (0.2 + (0.8 * 3) / 4), 15);
    for (const t of [4, 5, 9, 14, 20]) expect(scheduleValue(s, t)).toBe(scheduleValue(inner, t - 4));
    expect(scheduleValue(s, 4)).toBe(0.1);
    expect(scheduleValue(s, 14)).toBe(0);
    // default startFactor 0: the first step has lr 0; a number is a constant schedule
    expect(scheduleValue(linearWarmup({ steps: 10, schedule: 0.5 }), 0)).toBe(0);
    expect(scheduleValue(linearWarmup({ steps: 10, schedule: 0.5 }), 5)).toBe(0.25);
    expect(scheduleValue(linearWarmup({ steps: 10, schedule: 0.5 }), 50)).toBe(0.5);
  });

  it('is plain, frozen, serialisable data that validateSchedule rebuilds', () => {
    const s = linearWarmup({ steps: 3, schedule: stepDecay({ lr: 0.5, stepSize: 2 }) });
    expect(Object.isFrozen(s)).toBe(true);
    const back = validateSchedule(JSON.parse(JSON.stringify(s)));
    expect(back).toEqual(s);
    for (let t = 0; t < 10; t++) expect(scheduleValue(back, t)).toBe(scheduleValue(s, t));
  });
});

describe('schedule validation', () => {
  const bad: [string, () => unknown, RegExp][] = [
    ['negative lr', () => constant(-1), /constant: lr is -1 \(need a finite number >= 0 and <= 3.4028234663852886e\+38\)/],
    ['NaN lr', () => constant(NaN), /constant: lr is NaN/],
    ['Infinity lr', () => stepDecay({ lr: Infinity, stepSize: 1 }), /stepDecay: lr is Infinity/],
    ['zero stepSize', () => stepDecay({ lr: 1, stepSize: 0 }), /stepDecay: stepSize is 0 \(need a finite integer >= 1\)/],
    ['fractional stepSize', () => stepDecay({ lr: 1, stepSize: 2.5 }), /stepSize is 2.5/],
    ['gamma > 1', () => stepDecay({ lr: 1, stepSize: 2, gamma: 1.5 }), /stepDecay: gamma is 1.5 \(need a finite number > 0 and <= 1\)/],
    ['gamma 0', () => exponentialDecay({ lr: 1, gamma: 0 }), /exponentialDecay: gamma is 0/],
    ['missing gamma', () => exponentialDecay({ lr: 1 } as never), /exponentialDecay: gamma is undefined/],
    ['zero steps', () => cosineDecay({ lr: 1, steps: 0 }), /cosineDecay: steps is 0/],
    ['minLr > lr', () => cosineDecay({ lr: 0.1, steps: 5, minLr: 0.2 }), /cosineDecay: minLr is 0.2 \(need a finite number >= 0 and <= 0.1\)/],
    ['startFactor > 1', () => linearWarmup({ steps: 2, schedule: 1, startFactor: 2 }), /linearWarmup: startFactor is 2/],
    ['bad inner schedule', () => linearWarmup({ steps: 2, schedule: { kind: 'cosineDecay', lr: -1, steps: 3 } as never }), /linearWarmup: schedule: cosineDecay: lr is -1/],
    ['unknown key', () => cosineDecay({ lr: 1, steps: 5, min_lr: 0 } as never), /cosineDecay: unknown option "min_lr" \(allowed: lr, steps, minLr\)/],
    ['unknown kind', () => validateSchedule({ kind: 'poly', lr: 1 }), /unknown schedule kind "poly" \(allowed: constant, stepDecay/],
    ['a function', () => validateSchedule((t: number) => 1 / (t + 1)), /a function is not a schedule/],
    ['no options', () => stepDecay(undefined as never), /stepDecay: options must be an object/],
    ['bad t', () => scheduleValue(0.1, -1), /scheduleValue: t is -1/],
  ];
  for (const [what, f, re] of bad) it(`rejects ${what}`, () => expect(f).toThrow(re));
});
