// Statistics of the noise the fused kernel really adds, end to end through createModel/fit: a zero-gradient
// model (all-zero inputs and weights, MSE against zero targets) trained with sgd lr 1 moves its first
// kernel by exactly the noise at every step, so the increments divided by sigma_t are samples of the noise
// generator as the kernel uses it. Over 10^6 samples per step they must look standard normal (moments, a
// Kolmogorov-Smirnov test, both tails), have variance eta / (1 + t)^gamma with t from 0, and be independent
// across steps, neighbouring elements, tensors and seeds. Every bound is 5 standard errors of the statistic
// (or, for KS, the alpha = 0.001 critical value), so a correct generator passes with overwhelming margin and
// the runs are seeded, hence deterministic.
import { beforeAll, describe, expect, it } from 'vitest';
import { RNG_DOMAIN_NOISE } from '../../../assembly/shared/abi.js';
import { initNormal } from '../../../src/core/philox.js';
import { addNoise, chain, createModel, dense, sgd, type Model, type ModelSpec, type StepInfo } from '../../../src/index.js';

// ---------------------------------------------------------------- the normal distribution, in f64

/** erfc(x) for x >= 0: series for erf below 2 (all terms positive), continued fraction above; relative error ~1e-15. */
function erfcPos(x: number): number {
  if (x < 2) {
    // erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n+1))
    let term = x, sum = x;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  let t = x;
  for (let k = 120; k >= 1; k--) t = x + k / 2 / t;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / t;
}

/** The standard normal CDF. */
function phi(x: number): number {
  return x < 0 ? 0.5 * erfcPos(-x / Math.SQRT2) : 1 - 0.5 * erfcPos(x / Math.SQRT2);
}

/** P(|Z| > a). */
const twoSidedTail = (a: number) => erfcPos(a / Math.SQRT2);

interface Moments { n: number; mean: number; variance: number; skewness: number; kurtosis: number }

/** Mean, variance (1/n), skewness and EXCESS kurtosis, two-pass in f64. */
function moments(z: Float64Array): Moments {
  const n = z.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += z[i]!;
  const mean = s / n;
  let m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = z[i]! - mean, d2 = d * d;
    m2 += d2; m3 += d2 * d; m4 += d2 * d2;
  }
  m2 /= n; m3 /= n; m4 /= n;
  return { n, mean, variance: m2, skewness: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) - 3 };
}

/** Kolmogorov-Smirnov statistic of the sample against the standard normal CDF. */
function ksStatistic(z: Float64Array): number {
  const s = Float64Array.from(z).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = phi(s[i]!);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return d;
}

/** Pearson correlation of a[i] and b[i] (optionally of f(a[i]) and f(b[i])). */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length), f = (v: number) => v): number {
  let sa = 0, sb = 0;
  for (let i = 0; i < n; i++) { sa += f(a[i]!); sb += f(b[i]!); }
  const ma = sa / n, mb = sb / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = f(a[i]!) - ma, db = f(b[i]!) - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Correlation of x[i] and x[i + lag] over the flattened tensor. */
const lagCorrelation = (x: Float64Array, lag: number, f?: (v: number) => number) =>
  correlation(x.subarray(0, x.length - lag), x.subarray(lag), x.length - lag, f);

/** Checks a sample against N(0, 1): every moment within 5 standard errors. */
function expectStandardNormalMoments(z: Float64Array, what: string): Moments {
  const m = moments(z), n = m.n;
  expect(Math.abs(m.mean), `${what}: mean ${m.mean}`).toBeLessThan(5 / Math.sqrt(n));
  expect(Math.abs(m.variance - 1), `${what}: variance ${m.variance}`).toBeLessThan(5 * Math.sqrt(2 / n));
  expect(Math.abs(m.skewness), `${what}: skewness ${m.skewness}`).toBeLessThan(5 * Math.sqrt(6 / n));
  expect(Math.abs(m.kurtosis), `${what}: excess kurtosis ${m.kurtosis}`).toBeLessThan(5 * Math.sqrt(24 / n));
  return m;
}

// ---------------------------------------------------------------- the zero-gradient model

const fr = Math.fround;
const ETA = 0.3, GAMMA = 0.55;
const IN = 1000, UNITS = 1000, N = IN * UNITS; // 10^6 noise samples per step in dense_0/kernel
const STEPS = 12; // 1.2e7 samples for the tails

// One linear layer: y = b, so only the bias sees a gradient (2 b / units, a gentle pull back to 0, stable
// at lr 1); with a second layer the noisy weights would feed back through lr 1 and diverge.
const zeroSpec = (inputs: number, units: number, second?: number): ModelSpec => ({
  inputs,
  layers: [
    dense(units, { kernelInit: 'zeros', biasInit: 'zeros' }),
    ...(second ? [dense(second, { kernelInit: 'zeros', biasInit: 'zeros' })] : []),
  ],
  loss: 'meanSquaredError',
});

async function zeroModel(seed: number, inputs = IN, units = UNITS, second?: number): Promise<Model> {
  const model = await createModel(zeroSpec(inputs, units, second), {
    // workers: 0: the run reads the weights from onStep, which only an inline fit() allows mid-run.
    batchSize: 1, seed, workers: 0, optimizer: chain(addNoise({ eta: ETA, gamma: GAMMA }), sgd({ lr: 1 })),
  });
  expect(model.isFused).toBe(true);
  return model;
}

/** z = -(increment) / sigma_t in f64 (the increment p_{t+1} - p_t of two f32 values is exact in f64). */
function zScores(before: Float32Array, after: Float32Array, sigma: number): Float64Array {
  const z = new Float64Array(before.length);
  for (let i = 0; i < z.length; i++) z[i] = (before[i]! - after[i]!) / sigma;
  return z;
}

// One run shared by the tests: 12 steps of the 1000 x 1000 model. Kept: z of steps 0, 1 and 2, the raw
// increments' variance of every step, and tail counts over all 1.2e7 samples.
const SEED = 20151119;
const run = {
  info: [] as StepInfo[],
  z: [] as Float64Array[], // steps 0, 1, 2
  rawVariance: [] as number[], // variance of the increments themselves (not divided by the reported sigma)
  lagPairs: [] as number[], // corr(z_t, z_{t+1}) for every t
  beyond4: 0, beyond4pos: 0, beyond5: 0, maxAbs: 0, samples: 0,
  p1: null as Float32Array | null, // dense_0/kernel after step 0: exactly -noise
};

beforeAll(async () => {
  const model = await zeroModel(SEED);
  const x = new Float32Array(IN), y = new Float32Array(UNITS);
  let prev = model.getParam('dense_0/kernel');
  let prevZ: Float64Array | null = null;
  await model.fit(x, y, {
    epochs: STEPS,
    onStep: (s) => {
      const t = s.step - 1;
      run.info.push(s);
      const cur = model.getParam('dense_0/kernel');
      const z = zScores(prev, cur, s.sigma);
      let ss = 0;
      for (let i = 0; i < N; i++) {
        const d = prev[i]! - cur[i]!;
        ss += d * d;
        const a = Math.abs(z[i]!);
        if (a > 4) { run.beyond4++; if (z[i]! > 0) run.beyond4pos++; }
        if (a > 5) run.beyond5++;
        if (a > run.maxAbs) run.maxAbs = a;
      }
      run.samples += N;
      run.rawVariance.push(ss / N);
      if (prevZ) run.lagPairs.push(correlation(prevZ, z));
      if (t < 3) run.z.push(z);
      if (t === 0) run.p1 = cur;
      prev = cur;
      prevZ = z;
    },
  });
}, 120_000);

// ---------------------------------------------------------------- tests

describe('the helpers', () => {
  it('the normal CDF is accurate (known values to 1e-14)', () => {
    expect(phi(0)).toBe(0.5);
    expect(Math.abs(phi(1) - 0.8413447460685429)).toBeLessThan(1e-14);
    expect(Math.abs(phi(-2) - 0.022750131948179195)).toBeLessThan(1e-15);
    expect(Math.abs(phi(0.5) - 0.6914624612740131)).toBeLessThan(1e-14);
    expect(Math.abs(phi(3) - 0.9986501019683699)).toBeLessThan(1e-14);
    expect(Math.abs(phi(-4.5) - 3.3976731247300535e-6) / 3.4e-6).toBeLessThan(1e-12);
    expect(Math.abs(twoSidedTail(4) - 6.334248366623996e-5) / 6.3e-5).toBeLessThan(1e-12);
    expect(Math.abs(twoSidedTail(5) - 5.733031437583878e-7) / 5.7e-7).toBeLessThan(1e-12);
    // both branches agree where the series hands over to the continued fraction (x = 2)
    const slope = (2 / Math.sqrt(Math.PI)) * Math.exp(-4); // -erfc'(2)
    expect(Math.abs(erfcPos(2) - 0.004677734981047266) / 0.0047).toBeLessThan(1e-14);
    expect(Math.abs(erfcPos(2 - 1e-13) - (erfcPos(2) + 1e-13 * slope)) / 0.0047).toBeLessThan(1e-12);
    expect(Math.abs(erfcPos(1.999999) - (0.004677734981047266 + 1e-6 * slope)) / 0.0047).toBeLessThan(1e-9);
  });

  it('the statistics reject what they should (sanity of the test itself)', () => {
    const n = 200_000;
    let s = 12345;
    const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
    const gauss = Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
    expect(ksStatistic(gauss)).toBeLessThan(1.95 / Math.sqrt(n));
    expectStandardNormalMoments(gauss, 'f64 Box-Muller');
    // a 2-sigma truncated normal rescaled to unit variance, and a uniform of unit variance, both fail
    const trunc = gauss.filter((v) => Math.abs(v) < 2).map((v) => v / 0.8796);
    expect(() => expectStandardNormalMoments(trunc, 'truncated')).toThrow(/kurtosis/);
    const unif = Float64Array.from({ length: n }, () => (u() - 0.5) * Math.sqrt(12));
    expect(ksStatistic(unif)).toBeGreaterThan(1.95 / Math.sqrt(n));
  });
});

describe('the noise added by the fused kernel (10^6 samples per step, 1000 x 1000 zero-gradient layer, sgd lr 1)', () => {
  it('reports sigma_t = sqrt(eta / (1 + t)^gamma), t from 0', () => {
    expect(run.info.length).toBe(STEPS);
    run.info.forEach((s, t) => {
      expect(s.sigma, `t = ${t}`).toBe(fr(Math.sqrt(ETA / (1 + t) ** GAMMA)));
      // step 0: every gradient is exactly 0; later the biases have moved and get gradients, but not dense_0/kernel
      if (t === 0) expect(s.gradNorm).toBe(0);
      else expect(s.gradNorm).toBeGreaterThan(0);
    });
  });

  it('is the stream of docs/update.md: windows across kernel-chunk (256) boundaries match the TS twin bit for bit', () => {
    const sigma0 = fr(Math.sqrt(ETA));
    for (const start of [0, 250, 511, 4093, 65_533, 500_001, 999_970]) {
      const len = 30;
      const want = initNormal(BigInt(SEED), RNG_DOMAIN_NOISE, 0, len, 0, sigma0, start);
      for (let i = 0; i < len; i++) {
        const got = run.p1![start + i]!;
        if (!Object.is(got, -want[i]!)) throw new Error(`element ${start + i}: ${got}, want ${-want[i]!}`);
      }
    }
  });

  it('increments / sigma_t are standard normal: mean, variance, skewness, kurtosis within 5 standard errors', () => {
    run.z.forEach((z, t) => {
      expect(z.length).toBe(N);
      expectStandardNormalMoments(z, `step ${t}`);
    });
  });

  it('the raw increments have variance eta / (1 + t)^gamma: eta is the variance, t starts at 0', () => {
    // 5 standard errors of a variance estimate: 5 sqrt(2 / n) = 0.7% at n = 10^6. eta taken as the std
    // (variance eta^2 = 0.09 instead of 0.3) or t counted from 1 (0.683 eta at the first step) are far out.
    run.rawVariance.forEach((v, t) => {
      const want = ETA / (1 + t) ** GAMMA;
      expect(Math.abs(v / want - 1), `step ${t}: variance ${v}, want ${want}`).toBeLessThan(5 * Math.sqrt(2 / N));
    });
    expect(run.rawVariance[0]! / ETA).toBeGreaterThan(0.98); // not 0.683
    expect(run.rawVariance[STEPS - 1]! / run.rawVariance[0]!).toBeCloseTo(STEPS ** -GAMMA, 2); // annealed
  });

  it('Kolmogorov-Smirnov against the standard normal CDF: D < 1.95 / sqrt(n) (alpha = 0.001)', () => {
    run.z.forEach((z, t) => {
      const d = ksStatistic(z);
      expect(d, `step ${t}: D = ${d}`).toBeLessThan(1.95 / Math.sqrt(z.length));
    });
  });

  it('tails: counts beyond 4 and 5 sigma match 2 (1 - Phi(a)) n (Poisson, 5 sigma); both signs; not truncated', () => {
    const n = run.samples;
    expect(n).toBe(STEPS * N);
    const e4 = twoSidedTail(4) * n; // 760
    const e5 = twoSidedTail(5) * n; // 6.9
    expect(Math.abs(run.beyond4 - e4), `beyond 4 sigma: ${run.beyond4}, expected ${e4}`).toBeLessThan(5 * Math.sqrt(e4));
    // symmetric: each side is Binomial(count, 1/2)
    expect(Math.abs(run.beyond4pos - run.beyond4 / 2)).toBeLessThan(5 * Math.sqrt(run.beyond4 / 4));
    expect(e5).toBeGreaterThan(5);
    expect(run.beyond5, `beyond 5 sigma: ${run.beyond5}, expected ${e5}`).toBeGreaterThanOrEqual(1);
    expect(run.beyond5).toBeLessThan(e5 + 5 * Math.sqrt(e5) + 1);
    expect(run.maxAbs).toBeGreaterThan(5);
    expect(run.maxAbs).toBeLessThan(8); // P(|Z| > 8) * 1.2e7 ~ 1.5e-8
  });

  it('independent across steps: corr(z_t, z_{t+1}) of the same weights ~ 0', () => {
    expect(run.lagPairs.length).toBe(STEPS - 1);
    run.lagPairs.forEach((r, t) => expect(Math.abs(r), `steps ${t}, ${t + 1}: r = ${r}`).toBeLessThan(5 / Math.sqrt(N)));
    // and the squares (a shared radius or scale across steps would show here)
    const sq = (v: number) => v * v;
    expect(Math.abs(correlation(run.z[0]!, run.z[1]!, N, sq))).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(correlation(run.z[0]!, run.z[2]!, N, sq))).toBeLessThan(5 / Math.sqrt(N));
  });

  it('independent along the tensor: lag 1, 2, 3, 4, 5 and 1000 correlations ~ 0, of the values and of their squares', () => {
    const z = run.z[0]!;
    for (const lag of [1, 2, 3, 4, 5, 1000]) {
      const r = lagCorrelation(z, lag), r2 = lagCorrelation(z, lag, (v) => v * v);
      const bound = 5 / Math.sqrt(z.length - lag);
      expect(Math.abs(r), `lag ${lag}: r = ${r}`).toBeLessThan(bound);
      expect(Math.abs(r2), `lag ${lag} squares: r = ${r2}`).toBeLessThan(bound);
    }
    // each Philox lane position (i mod 4) is a standard normal of its own
    for (let lane = 0; lane < 4; lane++) {
      const zl = new Float64Array(z.length / 4);
      for (let i = 0; i < zl.length; i++) zl[i] = z[4 * i + lane]!;
      const m = moments(zl);
      expect(Math.abs(m.mean), `lane ${lane}`).toBeLessThan(5 / Math.sqrt(zl.length));
      expect(Math.abs(m.variance - 1), `lane ${lane}`).toBeLessThan(5 * Math.sqrt(2 / zl.length));
    }
  });

  it('independent across tensors: tensor k = 2 vs tensor k = 0 of the same seed and step; k = 0 is one stream', async () => {
    // A second model with the same seed: 8 -> 1000 -> 1000. At step 0 every gradient is 0, so each tensor
    // is -noise: dense_1/kernel draws stream 2 * 2^34 + i, dense_0/kernel stream i (as the big run's kernel).
    const m = await zeroModel(SEED, 8, UNITS, UNITS);
    await m.fit(new Float32Array(8), new Float32Array(UNITS), { epochs: 1 });
    const sigma0 = fr(Math.sqrt(ETA));
    const k2 = zScores(new Float32Array(UNITS * UNITS), m.getParam('dense_1/kernel'), sigma0);
    expectStandardNormalMoments(k2, 'dense_1/kernel at step 0');
    const r = correlation(run.z[0]!, k2), r2 = correlation(run.z[0]!, k2, N, (v) => v * v);
    expect(Math.abs(r), `r = ${r}`).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(r2), `squares: r = ${r2}`).toBeLessThan(5 / Math.sqrt(N));
    // the small kernel (k = 0, 8 x 1000) is the first 8000 elements of the big one: the stream is (k, i), not the shape
    const k0 = zScores(new Float32Array(8 * UNITS), m.getParam('dense_0/kernel'), sigma0);
    for (let i = 0; i < k0.length; i++) if (k0[i] !== run.z[0]![i]) throw new Error(`[${i}]: ${k0[i]} vs ${run.z[0]![i]}`);
    // and the biases (k = 1, k = 3) differ from the kernel stream
    const b1 = m.getParam('dense_0/bias');
    expect(Math.abs(correlation(b1, k2.subarray(0, UNITS)))).toBeLessThan(5 / Math.sqrt(UNITS));
  });
});

describe('seeds', () => {
  it('the same seed gives the same noise bit for bit; other seeds (also one differing only above bit 32) give independent noise', async () => {
    const inputs = 200; // 2e5 samples per model
    const step0 = async (seed: number) => {
      const m = await zeroModel(seed, inputs, UNITS);
      await m.fit(new Float32Array(inputs), new Float32Array(UNITS), { epochs: 1 });
      return m.getParam('dense_0/kernel');
    };
    const a = await step0(SEED), again = await step0(SEED);
    const hi = await step0(SEED + 2 ** 32), other = await step0(SEED + 1);
    expect(Buffer.from(a.buffer).equals(Buffer.from(again.buffer))).toBe(true);
    // and it is the noise of the big run (the stream does not depend on the tensor's shape: element i of tensor 0)
    const big = run.z[0]!, sigma0 = fr(Math.sqrt(ETA));
    for (let i = 0; i < a.length; i += 997) expect(-a[i]! / sigma0).toBe(big[i]);
    const n = a.length, bound = 5 / Math.sqrt(n);
    for (const [what, b] of [['seed + 2^32', hi], ['seed + 1', other]] as const) {
      let same = 0;
      for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
      expect(same, what).toBeLessThan(10);
      const r = correlation(a, b);
      expect(Math.abs(r), `${what}: r = ${r}`).toBeLessThan(bound);
      expectStandardNormalMoments(Float64Array.from(b, (v) => -v / sigma0), what);
    }
  });
});
