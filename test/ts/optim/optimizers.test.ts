// Every optimizer over 25 steps against PyTorch's documented algorithm in plain f64 (helpers.ts), plus
// the semantics that are easy to get wrong, checked with hand-computed values: momentum's first step,
// Nesterov, dampening, Adam's bias correction at steps 1..3, AdamW's decoupled decay, Adagrad's lr decay
// and initial accumulator, RMSprop centered + momentum. Tolerance 1e-5 relative (f32 against f64).
import { describe, expect, it } from 'vitest';
import {
  adagrad, adam, adamw, chain, rmsprop, sgd, type AdamState, type SgdState,
} from '../../../src/optim/transforms.js';
import { stepDecay } from '../../../src/optim/schedules.js';
import {
  expectClose, expectSameBits, fr, gradAt, initialParams, runOurs, runRef, torchAdagrad, torchAdam,
  torchRmsprop, torchSgd,
} from './helpers.js';

const STEPS = 25;

describe('sgd (torch.optim.SGD)', () => {
  const cases: [string, Parameters<typeof sgd>[0]][] = [
    ['plain', { lr: 0.1 }],
    ['weight decay', { lr: 0.1, weightDecay: 0.05 }],
    ['momentum', { lr: 0.05, momentum: 0.9 }],
    ['momentum + dampening', { lr: 0.05, momentum: 0.9, dampening: 0.3 }],
    ['nesterov + weight decay', { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 }],
  ];
  for (const [what, o] of cases) {
    it(`${what}: ${STEPS} steps match the f64 reference`, () => {
      const ours = runOurs(sgd(o), STEPS).params;
      expectClose(ours, runRef(torchSgd(o as never), STEPS));
    });
  }

  it('momentum: the first step stores the gradient itself in the buffer (no dampening, no zero buffer)', () => {
    const p0 = initialParams();
    const g0 = gradAt(0);
    const opt = sgd({ lr: 0.5, momentum: 0.9, dampening: 0.5 });
    const s0 = opt.init(p0) as SgdState;
    expect(s0.momentumBuffer).toBeNull();
    const r = opt.update(g0, s0, p0, 0);
    expectSameBits((r.state as SgdState).momentumBuffer!, g0, 'buffer after step 0');
    expectSameBits(r.params!, p0.map((p, k) => p.map((v, i) => fr(v - fr(0.5 * g0[k]![i]!)))), 'params after step 0');
    // Second step: buf = 0.9 buf + 0.5 g1 (hand computed), p -= 0.5 buf.
    const g1 = gradAt(1);
    const r2 = opt.update(g1, r.state as SgdState, r.params!, 1);
    const buf = (r2.state as SgdState).momentumBuffer!;
    buf.forEach((b, k) => b.forEach((v, i) => expect(v).toBeCloseTo(0.9 * g0[k]![i]! + 0.5 * g1[k]![i]!, 6)));
  });

  it('nesterov steps along g + momentum * buf, not buf', () => {
    const p0 = [new Float32Array([1])];
    const opt = sgd({ lr: 1, momentum: 0.5, nesterov: true });
    let s = opt.init(p0);
    let p: Float32Array[] = p0;
    const seq = [0.25, 0.5];
    const moves: number[] = [];
    seq.forEach((g, t) => {
      const r = opt.update([new Float32Array([g])], s, p, t);
      moves.push(p[0]![0]! - r.params![0]![0]!);
      s = r.state;
      p = r.params!;
    });
    // t=0: buf = 0.25, step = 0.25 + 0.5 * 0.25 = 0.375. t=1: buf = 0.5 * 0.25 + 0.5 = 0.625, step = 0.5 + 0.3125.
    expect(moves).toEqual([0.375, 0.8125]);
  });

  it('without momentum keeps no state', () => {
    const r = sgd({ lr: 0.1 }).update(gradAt(0), { momentumBuffer: null }, initialParams(), 0);
    expect((r.state as SgdState).momentumBuffer).toBeNull();
  });

  it('takes a schedule: the step-t learning rate multiplies the gradient', () => {
    const o = { lr: stepDecay({ lr: 0.2, stepSize: 3, gamma: 0.5 }) };
    const ours = runOurs(sgd(o), 10).params;
    expectClose(ours, runRef(torchSgd({ lr: (t) => 0.2 * 0.5 ** Math.floor(t / 3) }), 10));
    const r = sgd(o).update(gradAt(7), sgd(o).init(initialParams()), initialParams(), 7);
    expect(r.metrics.lr).toBe(0.2 * 0.25);
  });
});

describe('adam (torch.optim.Adam)', () => {
  it(`${STEPS} steps match the f64 reference`, () => {
    expectClose(runOurs(adam({ lr: 0.05 }), STEPS).params, runRef(torchAdam({ lr: 0.05 }), STEPS));
  });
  it('with L2 weight decay and custom betas/eps', () => {
    const o = { lr: 0.02, betas: [0.8, 0.99] as [number, number], eps: 1e-6, weightDecay: 0.1 };
    expectClose(runOurs(adam(o), STEPS).params, runRef(torchAdam(o), STEPS));
  });
  it('bias correction: a constant gradient moves every coordinate by lr at steps 1, 2, 3', () => {
    // m_hat = g and v_hat = g^2 exactly at every step, so each step is lr * g / (|g| + eps) = lr * sign(g).
    // Without the correction step 1 would be lr * 0.1 g / sqrt(0.001 g^2) = 3.16 lr.
    const g = [new Float32Array([0.5, -2, 1e-3, 30])];
    const opt = adam({ lr: 0.01 });
    let p: Float32Array[] = [new Float32Array(4)];
    let s = opt.init(p);
    for (let t = 0; t < 3; t++) {
      const r = opt.update(g, s, p, t);
      r.params![0]!.forEach((v, i) => {
        const move = v - p[0]![i]!;
        expect(Math.abs(move + 0.01 * Math.sign(g[0]![i]!))).toBeLessThan(2e-5 * 0.01);
      });
      // m_t = (1 - 0.9^(t+1)) g, v_t = (1 - 0.999^(t+1)) g^2 (hand-computed geometric sums).
      const st = r.state as AdamState;
      st.m[0]!.forEach((m, i) => expect(m).toBeCloseTo((1 - 0.9 ** (t + 1)) * g[0]![i]!, 5));
      st.v[0]!.forEach((v, i) => expect(v / ((1 - 0.999 ** (t + 1)) * g[0]![i]! ** 2)).toBeCloseTo(1, 5));
      p = r.params!;
      s = r.state;
    }
  });
});

describe('adamw (torch.optim.AdamW)', () => {
  it(`${STEPS} steps match the f64 reference (default weight decay 1e-2)`, () => {
    expect(adamw().config.weightDecay).toBe(1e-2);
    expectClose(runOurs(adamw({ lr: 0.05 }), STEPS).params, runRef(torchAdam({ lr: 0.05, weightDecay: 1e-2, decoupled: true }), STEPS));
  });
  it('with a large decay', () => {
    const o = { lr: 0.03, weightDecay: 0.5 };
    expectClose(runOurs(adamw(o), STEPS).params, runRef(torchAdam({ ...o, decoupled: true }), STEPS));
  });
  it('decay is decoupled: with a zero gradient adamw shrinks p by 1 - lr * wd, adam (L2) moves it by ~lr', () => {
    const p0 = [new Float32Array([2, -0.5, 0.25])];
    const zero = [new Float32Array(3)];
    const rw = adamw({ lr: 0.1, weightDecay: 0.2 }).update(zero, adamw({ lr: 0.1, weightDecay: 0.2 }).init(p0), p0, 0);
    expectSameBits(rw.params!, [p0[0]!.map((v) => fr(v * fr(1 - 0.1 * 0.2)))]);
    const ra = adam({ lr: 0.1, weightDecay: 0.2 }).update(zero, adam({ lr: 0.1 }).init(p0), p0, 0);
    ra.params![0]!.forEach((v, i) => expect(v - p0[0]![i]!).toBeCloseTo(-0.1 * Math.sign(p0[0]![i]!), 6));
  });
});

describe('adagrad (torch.optim.Adagrad)', () => {
  it(`${STEPS} steps with lr decay, initial accumulator and weight decay match the f64 reference`, () => {
    const o = { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.5, weightDecay: 0.02 };
    expectClose(runOurs(adagrad(o), STEPS).params, runRef(torchAdagrad(o), STEPS));
  });
  it('defaults', () => {
    expectClose(runOurs(adagrad(), STEPS).params, runRef(torchAdagrad({ lr: 1e-2 }), STEPS));
  });
  it('hand-computed first two steps: accumulator starts at its initial value, lr decays as lr / (1 + t lrDecay)', () => {
    const opt = adagrad({ lr: 0.3, lrDecay: 1, initialAccumulatorValue: 0.75 });
    const p0 = [new Float32Array([1])];
    const r0 = opt.update([new Float32Array([0.5])], opt.init(p0), p0, 0);
    // sum = 0.75 + 0.25 = 1; p = 1 - 0.3 * 0.5 / (1 + 1e-10)
    expect(r0.params![0]![0]).toBeCloseTo(1 - 0.15, 7);
    const r1 = opt.update([new Float32Array([1.5])], r0.state, r0.params!, 1);
    // sum = 1 + 2.25 = 3.25; clr = 0.3 / 2; p -= 0.15 * 1.5 / sqrt(3.25)
    expect(r1.params![0]![0]).toBeCloseTo(0.85 - (0.15 * 1.5) / Math.sqrt(3.25), 6);
  });
});

describe('rmsprop (torch.optim.RMSprop)', () => {
  const cases: [string, Parameters<typeof rmsprop>[0] & { lr: number }][] = [
    ['plain', { lr: 0.01 }],
    ['momentum', { lr: 0.01, momentum: 0.9 }],
    ['centered', { lr: 0.01, centered: true, alpha: 0.9 }],
    ['centered + momentum + weight decay', { lr: 0.005, centered: true, momentum: 0.7, weightDecay: 0.05, alpha: 0.95 }],
  ];
  for (const [what, o] of cases) {
    it(`${what}: ${STEPS} steps match the f64 reference`, () => {
      expectClose(runOurs(rmsprop(o), STEPS).params, runRef(torchRmsprop(o), STEPS));
    });
  }
  it('hand-computed first step, centered + momentum', () => {
    const opt = rmsprop({ lr: 0.1, alpha: 0.5, momentum: 0.5, centered: true, eps: 1e-6 });
    const p0 = [new Float32Array([0])];
    const r = opt.update([new Float32Array([2])], opt.init(p0), p0, 0);
    // sq = 0.5 * 4 = 2, gavg = 0.5 * 2 = 1, avg = sqrt(2 - 1) + 1e-6, buf = 2 / avg, p = -0.1 buf
    expect(r.params![0]![0]).toBeCloseTo(-0.2 / (1 + 1e-6), 7);
  });
});

describe('purity and the chain', () => {
  it('update never writes into grads, state or params, and is deterministic', () => {
    const opts = [
      sgd({ lr: 0.1, momentum: 0.9 }), adam(), adamw(), adagrad({ initialAccumulatorValue: 0.1 }),
      rmsprop({ momentum: 0.5, centered: true }),
    ];
    for (const opt of opts) {
      const c = chain(opt);
      const p = initialParams();
      const run1 = c.update(gradAt(0), c.init(p), p, 0);
      const g = gradAt(1);
      const snap = JSON.stringify([g, run1, p].map((x) => JSON.stringify(x, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v))));
      const a = c.update(g, run1.state, run1.params!, 1);
      const b = c.update(g, run1.state, run1.params!, 1);
      expect(JSON.stringify([g, run1, p].map((x) => JSON.stringify(x, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v))))).toBe(snap);
      expectSameBits(a.params!, b.params!, opt.name);
      expect(a.params![0]).not.toBe(run1.params![0]);
    }
  });

  it('chain(optimizer) gives the optimizer\'s bits', () => {
    const o = adam({ lr: 0.05 });
    expect(runOurs(chain(o), 5).params).toEqual(runOurs(o, 5).params);
  });
});
