// addNoise: Neelakantan et al. 2015, and each trap of shared/PAPER.md as a test:
// - the noise is really there (a loop that drops it fails "moves params by exactly -noise");
// - eta is the VARIANCE, not the standard deviation;
// - t counts from 0: the first update has variance eta (counting from 1 would give 0.683 eta);
// - the noise goes in BEFORE the learning rate (lr 0.5 halves the movement, noise included);
// - plain (untruncated) normal, annealed with gamma; after clipping by default (clip.test.ts).
import { describe, expect, it } from 'vitest';
import { RNG_DOMAIN_NOISE } from '../../../assembly/shared/abi.js';
import { initNormal, normals } from '../../../src/core/philox.js';
import { adam, addNoise, chain, noiseSigma, sgd, type AdamState } from '../../../src/optim/transforms.js';
import { expectSameBits, fr } from './helpers.js';

const SEED = 2025n;
const SIZES = [9, 4, 1];
const zeros = () => SIZES.map((n) => new Float32Array(n));
const ramp = () => SIZES.map((n, k) => Float32Array.from({ length: n }, (_, i) => 0.1 * (i - 3) + k));
/** The noise of docs/update.md, from the TS twin of the wasm stream: initNormal(seed, NOISE, t, n, 0, sigma, k * 2^34). */
const noiseAt = (t: number, sigma: number, seed = SEED) =>
  SIZES.map((n, k) => initNormal(seed, RNG_DOMAIN_NOISE, t, n, 0, sigma, k * 2 ** 34));

describe('addNoise', () => {
  it('a zero gradient with sgd lr 1 moves the params by exactly -noise (the noise is really added)', () => {
    const opt = chain(addNoise({ eta: 0.01 }), sgd({ lr: 1 }));
    const p0 = ramp();
    const r = opt.update(zeros(), opt.init(p0), p0, 0, { seed: SEED });
    const n = noiseAt(0, Math.sqrt(0.01));
    expectSameBits(r.params!, p0.map((p, k) => p.map((v, i) => fr(v - n[k]![i]!))));
    // Not trivially zero: every coordinate moved, by about sigma = 0.1.
    r.params!.forEach((p, k) => p.forEach((v, i) => expect(v).not.toBe(p0[k]![i])));
    const moved = r.params!.flatMap((p, k) => Array.from(p, (v, i) => Math.abs(v - p0[k]![i]!)));
    expect(Math.max(...moved)).toBeGreaterThan(0.05);
    // From p = 0 the params are exactly -noise.
    const z = zeros();
    expectSameBits(opt.update(zeros(), opt.init(z), z, 0, { seed: SEED }).params!, n.map((x) => x.map((v) => -v)));
  });

  it('noise at step t is unit noise * sqrt(eta / (1 + t)^gamma), bit for bit, t from 0', () => {
    for (const eta of [0.01, 0.3, 1]) {
      for (const t of [0, 1, 2, 7, 99, 12345]) {
        const r = addNoise({ eta, gamma: 0.55 }).update(zeros(), null, zeros(), t, { seed: SEED });
        const sigma = fr(Math.sqrt(eta / Math.pow(1 + t, 0.55)));
        const want = SIZES.map((n, k) => normals(SEED, RNG_DOMAIN_NOISE, t, n, k * 2 ** 34).map((z) => fr(sigma * z)));
        expectSameBits(r.updates!, want, `eta ${eta} t ${t}`);
        expect(r.metrics.sigma).toBe(sigma);
      }
    }
  });

  it('step 0 has variance eta (not 0.683 eta: the paper\'s formula with t counted from 1)', () => {
    expect(noiseSigma(0.3, 0.55, 0) ** 2).toBeCloseTo(0.3, 15);
    expect(noiseSigma(0.3, 0.55, 1) ** 2 / 0.3).toBeCloseTo(0.683, 3); // what counting from 1 gives at t = 0
    const r0 = chain(addNoise({ eta: 0.3 }), sgd({ lr: 1 })).update(zeros(), [null, { momentumBuffer: null }], zeros(), 0, { seed: SEED });
    expect(r0.metrics.sigma).toBe(fr(Math.sqrt(0.3)));
  });

  it('eta is the variance: sample variance at t = 0 is eta (0.25), not eta^2 (eta taken as std)', () => {
    const n = 40000;
    const r = addNoise({ eta: 0.25, gamma: 0.55 }).update([new Float32Array(n)], null, [new Float32Array(n)], 0, { seed: SEED });
    const x = r.updates![0]!;
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(variance).toBeGreaterThan(0.25 * 0.97);
    expect(variance).toBeLessThan(0.25 * 1.03);
    // and annealed: at t = 3 the variance is 0.25 / 4^0.55
    const r3 = addNoise({ eta: 0.25, gamma: 0.55 }).update([new Float32Array(n)], null, [new Float32Array(n)], 3, { seed: SEED });
    const v3 = r3.updates![0]!.reduce((s, v) => s + v * v, 0) / n;
    expect(v3 / (0.25 / 4 ** 0.55)).toBeGreaterThan(0.97);
    expect(v3 / (0.25 / 4 ** 0.55)).toBeLessThan(1.03);
    // untruncated: |z| > 2.5 has probability 1.24%, about 500 of 40000; a normal truncated at 2 sigma
    // (TensorFlow's truncated_normal) has none
    const tail = x.filter((v) => Math.abs(v) > 2.5 * 0.5).length;
    expect(tail).toBeGreaterThan(200);
  });

  it('eta = 4, gamma = 0 adds exactly 2 * unit noise at every step (constant noise)', () => {
    for (const t of [0, 5, 1000]) {
      const r = addNoise({ eta: 4, gamma: 0 }).update(zeros(), null, zeros(), t, { seed: SEED });
      expectSameBits(r.updates!, SIZES.map((n, k) => normals(SEED, RNG_DOMAIN_NOISE, t, n, k * 2 ** 34).map((z) => fr(2 * z))));
    }
  });

  it('the noise goes in before the learning rate: lr 0.5 halves the whole movement, noise included', () => {
    const g = ramp();
    const p0 = zeros();
    const run = (lr: number) => {
      const opt = chain(addNoise({ eta: 1 }), sgd({ lr }));
      return opt.update(g, opt.init(p0), p0, 0, { seed: SEED }).params!;
    };
    const full = run(1);
    const half = run(0.5);
    // p = 0 - fr(0.5 * fr(g + n)) = -(g + n) / 2 exactly
    expectSameBits(half, full.map((x) => x.map((v) => v / 2)));
    const n = noiseAt(0, 1);
    expectSameBits(half, g.map((x, k) => x.map((v, i) => -fr(0.5 * fr(v + n[k]![i]!)))));
  });

  it('noisy gradients go through the optimizer\'s moments (Adam: m = (1 - beta1) * noise after step 0)', () => {
    const opt = chain(addNoise({ eta: 1 }), adam());
    const p0 = ramp();
    const r = opt.update(zeros(), opt.init(p0), p0, 0, { seed: SEED });
    const m = (r.state[1] as AdamState).m;
    const n = noiseAt(0, 1);
    expectSameBits(m, n.map((x) => x.map((v) => fr(fr(1 - 0.9) * v))));
  });

  it('noise is a pure function of (seed, t, tensor, element)', () => {
    const at = (t: number, seed: bigint | number) =>
      addNoise({ eta: 1 }).update(zeros(), null, zeros(), t, { seed }).updates!;
    expectSameBits(at(3, SEED), at(3, SEED));
    expectSameBits(at(3, SEED), at(3, Number(SEED))); // a safe-integer seed is the same key
    expect(at(3, SEED)[0]).not.toEqual(at(4, SEED)[0]);
    expect(at(3, SEED)[0]).not.toEqual(at(3, SEED + 1n)[0]);
    // tensor k draws stream index k * 2^34 + i, so tensors 0 and 1 differ and tensor 1 is that stream
    const x = at(3, SEED);
    expect(Array.from(x[1]!)).not.toEqual(Array.from(x[0]!.subarray(0, 4)));
    const s = noiseSigma(1, 0.55, 3);
    expectSameBits([x[1]!], [initNormal(SEED, RNG_DOMAIN_NOISE, 3, 4, 0, s, 2 ** 34)]);
    expectSameBits([x[2]!], [initNormal(SEED, RNG_DOMAIN_NOISE, 3, 1, 0, s, 2 * 2 ** 34)]);
  });

  it('eta = 0 adds nothing', () => {
    const g = ramp();
    expectSameBits(addNoise({ eta: 0 }).update(g, null, zeros(), 0, { seed: SEED }).updates!, g);
  });

  it('needs the seed', () => {
    expect(() => addNoise().update(zeros(), null, zeros(), 0)).toThrow(/addNoise: ctx.seed is undefined/);
    expect(() => addNoise().update(zeros(), null, zeros(), 0, { seed: -1 })).toThrow(/ctx.seed is -1/);
    expect(() => addNoise().update(zeros(), null, zeros(), 0, { seed: 2n ** 64n })).toThrow(/ctx.seed is 18446744073709551616n/);
  });
});
