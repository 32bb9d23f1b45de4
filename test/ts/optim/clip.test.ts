// Clipping: by value (f32 min/max), by global norm (optax clip_by_global_norm: scale fr(max / norm) only
// when norm > max, norm = sqrt of an f64 sum of squares in docs/update.md's fixed order), and where the
// noise goes relative to the clip: chain(clip, addNoise, opt) (the paper) vs chain(addNoise, clip, opt).
import { describe, expect, it } from 'vitest';
import { RNG_DOMAIN_NOISE } from '../../../assembly/shared/abi.js';
import { initNormal } from '../../../src/core/philox.js';
import {
  addNoise, chain, clipByGlobalNorm, clipByValue, globalNorm, sgd, sumOfSquares,
} from '../../../src/optim/transforms.js';
import { expectSameBits, fr } from './helpers.js';

const f32 = (...v: number[]) => Float32Array.from(v);

describe('globalNorm: the fixed summation order', () => {
  it('four lane sums, (l0 + l1) + (l2 + l3), then the tail', () => {
    // squares: 2^54 and 1s; 2^54 + 1 rounds back to 2^54 in f64, so the order decides what survives.
    // lanes: l0 = 2^54 + 0, l1 = l2 = l3 = 2: (2^54 + 2) -> 2^54 (tie to even), (2 + 2) = 4 -> 2^54 + 4.
    // A sequential sum would lose every 1 and give 2^54.
    const x = f32(2 ** 27, 1, 1, 1, 0, 1, 1, 1);
    expect(sumOfSquares(x)).toBe(2 ** 54 + 4);
    let seq = 0;
    for (const v of x) seq += v * v;
    expect(seq).toBe(2 ** 54);
    // the tail is added one by one AFTER the lanes are combined: 2^54 + 4 + 1 + 1 + 1 stays 2^54 + 4
    // (each + 1 rounds back), whereas folding the tail into the lanes would give l1 = l2 = 3, l3 = 2 and 2^54 + 8
    expect(sumOfSquares(f32(2 ** 27, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1))).toBe(2 ** 54 + 4);
    expect(sumOfSquares(f32(1, 1, 2 ** 27))).toBe(2 ** 54); // all tail: (1 + 1) + 2^54 ties to even
    expect(sumOfSquares(f32())).toBe(0);
  });
  it('tensor sums are added in layout order', () => {
    expect(globalNorm([f32(3), f32(4)])).toBe(5);
    expect(globalNorm([f32(1, 2, 2), f32(), f32(4, 0, 0, 0, 0, 0, 0, 0, 4)])).toBe(Math.sqrt(1 + 4 + 4 + 16 + 16));
  });
});

describe('clipByGlobalNorm', () => {
  const g = () => [f32(3, 0, 0, 0, 0), f32(4), f32(0, -12)]; // norm 13
  it('leaves a gradient below the threshold bit for bit, clipScale 1', () => {
    const r = clipByGlobalNorm(13.5).update(g(), null, g(), 0);
    expectSameBits(r.updates!, g());
    expect(r.metrics).toEqual({ gradNorm: 13, clipScale: 1 });
  });
  it('does not clip at exactly the threshold (norm > max, no epsilon)', () => {
    const r = clipByGlobalNorm(13).update(g(), null, g(), 0);
    expectSameBits(r.updates!, g());
    expect(r.metrics.clipScale).toBe(1);
  });
  it('scales by fr(max / norm) above it', () => {
    const r = clipByGlobalNorm(6.5).update(g(), null, g(), 0);
    expectSameBits(r.updates!, [f32(1.5, 0, 0, 0, 0), f32(2), f32(0, -6)]);
    expect(r.metrics).toEqual({ gradNorm: 13, clipScale: 0.5 });
    const r2 = clipByGlobalNorm(1).update(g(), null, g(), 0);
    const s = fr(1 / 13);
    expect(r2.metrics.clipScale).toBe(s);
    expectSameBits(r2.updates!, g().map((x) => x.map((v) => fr(v * s))));
    expect(globalNorm(r2.updates!)).toBeCloseTo(1, 6);
  });
  it('in a chain, sgd lr 1 moves the params by the clipped gradient, and the metrics say so', () => {
    const opt = chain(clipByGlobalNorm(6.5), sgd({ lr: 1 }));
    const p0 = g().map((x) => new Float32Array(x.length));
    const r = opt.update(g(), opt.init(p0), p0, 0);
    expectSameBits(r.params!, [f32(-1.5, 0, 0, 0, 0), f32(-2), f32(0, 6)]);
    expect(r.metrics).toEqual({ gradNorm: 13, clipScale: 0.5, sigma: 0, lr: 1 });
  });
});

describe('clipByValue', () => {
  it('clamps each coordinate to [-c, c] with c = fr(maxAbs)', () => {
    const x = [f32(-3, -1, 0.5, 2, 1.0000001, -0)];
    expectSameBits(clipByValue(1).update(x, null, x, 0).updates!, [f32(-1, -1, 0.5, 1, 1, -0)]);
    const c = fr(0.1);
    expectSameBits(clipByValue(0.1).update(x, null, x, 0).updates!, [f32(-c, -c, c, c, c, -0)]);
  });
  it('reports the norm of its input (docs/update.md pass 1 sums the un-clipped gradient)', () => {
    const x = [f32(3, 4)];
    expect(clipByValue(1).update(x, null, x, 0).metrics).toEqual({ gradNorm: 5 });
  });
});

describe('noise after clipping (the paper) vs before', () => {
  const SEED = 99n;
  const big = () => [Float32Array.from({ length: 6 }, (_, i) => 20 * (i - 2.5)), f32(30, -40)]; // norm ~80
  const eta = 1; // sigma 1 at t = 0: comparable to the clipped gradient
  const n = () => big().map((x, k) => initNormal(SEED, RNG_DOMAIN_NOISE, 0, x.length, 0, Math.sqrt(eta), k * 2 ** 34));
  const zeros = () => big().map((x) => new Float32Array(x.length));
  const step = (...ts: Parameters<typeof chain>) => {
    const opt = chain(...ts, sgd({ lr: 1 }));
    const r = opt.update(big(), opt.init(zeros()), zeros(), 0, { seed: SEED });
    return { moved: r.params!.map((x) => x.map((v) => -v)), metrics: r.metrics };
  };

  it('after: update = fr(fr(g * s) + noise), s from the norm of g alone; the noise survives whole', () => {
    const { moved, metrics } = step(clipByGlobalNorm(1), addNoise({ eta }));
    const norm = globalNorm(big());
    const s = fr(1 / norm);
    expect(metrics).toEqual({ gradNorm: norm, clipScale: s, sigma: 1, lr: 1 });
    expectSameBits(moved, big().map((x, k) => x.map((v, i) => fr(fr(v * s) + n()[k]![i]!))));
    expect(globalNorm(moved)).toBeGreaterThan(1.5); // the clip does not bound the noise
  });

  it('before: update = fr(fr(g + noise) * s), s from the norm of the noisy gradient; the result has norm 1', () => {
    const { moved, metrics } = step(addNoise({ eta }), clipByGlobalNorm(1));
    const noisy = big().map((x, k) => x.map((v, i) => fr(v + n()[k]![i]!)));
    const norm = globalNorm(noisy);
    expect(norm).not.toBe(globalNorm(big()));
    const s = fr(1 / norm);
    expect(metrics).toEqual({ gradNorm: norm, clipScale: s, sigma: 1, lr: 1 });
    expectSameBits(moved, noisy.map((x) => x.map((v) => fr(v * s))));
    expect(globalNorm(moved)).toBeCloseTo(1, 6);
  });

  it('the two orders give different steps', () => {
    const a = step(clipByGlobalNorm(1), addNoise({ eta })).moved;
    const b = step(addNoise({ eta }), clipByGlobalNorm(1)).moved;
    expect(Array.from(a[0]!)).not.toEqual(Array.from(b[0]!));
  });

  it('without a clip the reported norm is that of the input gradient', () => {
    expect(step(addNoise({ eta })).metrics.gradNorm).toBe(globalNorm(big()));
    expect(step().metrics).toEqual({ gradNorm: globalNorm(big()), clipScale: 1, sigma: 0, lr: 1 });
  });
});
