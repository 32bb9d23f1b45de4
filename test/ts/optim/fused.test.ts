// The fused wasm update end to end, through createModel/fit: it must give the bits of the TypeScript
// reference chain (fuse: false) for every optimizer and every clip/noise arrangement (docs/update.md), clip
// when it should, add exactly the noise of the spec (eta a variance, t from 0, before the learning rate,
// plain normal, annealed by gamma), refuse non-finite gradients naming the step and tensor, warn about
// chains it cannot fuse, and reject bad configs naming the field. The transform-level tests live beside
// this file (noise.test.ts, clip.test.ts, spec.test.ts, ...); these run the real kernels.
import { describe, expect, it } from 'vitest';
import { blobs } from '../helpers.js';
import { RNG_DOMAIN_NOISE } from '../../../assembly/shared/abi.js';
import { initNormal } from '../../../src/core/philox.js';
import {
  adagrad, adam, adamw, addNoise, chain, clipByGlobalNorm, clipByValue, cosineDecay, createModel, dense, linearWarmup, mlp,
  rmsprop, sgd, type GradientTransformation, type Model, type ModelSpec, type StepInfo,
} from '../../../src/index.js';
import { scheduleValue, type LearningRate } from '../../../src/optim/schedules.js';
import { globalNorm } from '../../../src/optim/transforms.js';

const fr = Math.fround;

// ---------------------------------------------------------------- helpers

/** Throws at the first element whose bits differ (so -0 vs +0 and NaN payloads count). */
function expectSameBits(a: Float32Array, b: Float32Array, what: string): void {
  expect(a.length, what).toBe(b.length);
  const ab = new Uint32Array(a.buffer, a.byteOffset, a.length), bb = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ab[i] !== bb[i]) throw new Error(`${what} [${i}]: ${a[i]} (0x${ab[i]!.toString(16)}) vs ${b[i]} (0x${bb[i]!.toString(16)})`);
  }
}

function expectSameWeights(a: Model, b: Model, what: string): void {
  expect(a.paramNames).toEqual(b.paramNames);
  for (const n of a.paramNames) expectSameBits(a.getParam(n), b.getParam(n), `${what}: ${n}`);
}

const differs = (a: Model, b: Model) =>
  a.paramNames.some((n) => Buffer.compare(Buffer.from(a.getParam(n).buffer), Buffer.from(b.getParam(n).buffer)) !== 0);

const DATA = blobs(60, 3); // batches of 16, 16, 16 and 12: the gradient scale 1 / B changes within an epoch
// Tensors of 240, 30, 510, 17, 68 and 4 elements: odd SIMD tails, and one (510) spanning two kernel chunks.
const SPEC = mlp({ inputs: 8, hidden: [30, 17], outputs: 4, init: 'heNormal' });
const SEED = 2 ** 33 + 12345; // a seed above 2^32: the high key word must reach the kernel too
const EPOCHS = 6; // 4 steps per epoch: 24 steps

interface Run { model: Model; steps: StepInfo[]; warnings: string[] }

async function train(optimizer: GradientTransformation, fuse: boolean, o: { spec?: ModelSpec; seed?: number } = {}): Promise<Run> {
  const warnings: string[] = [];
  const model = await createModel(o.spec ?? SPEC, { batchSize: 16, seed: o.seed ?? SEED, optimizer, fuse, onWarning: (w) => warnings.push(w) });
  const steps: StepInfo[] = [];
  await model.fit(DATA.x, DATA.y, { epochs: EPOCHS, onStep: (s) => steps.push(s) });
  return { model, steps, warnings };
}

/** Trains the fused and the reference path side by side; checks bits and metrics, returns both runs. */
async function fusedVsReference(optimizer: GradientTransformation): Promise<{ fused: Run; ref: Run }> {
  const fused = await train(optimizer, true);
  const ref = await train(optimizer, false);
  expect(fused.model.isFused).toBe(true);
  expect(ref.model.isFused).toBe(false);
  expect(fused.warnings).toEqual([]);
  expect(ref.warnings).toEqual([]); // fuse: false is a request, not a failure: no warning
  expect(fused.steps.length).toBe(24);
  expect(ref.steps.length).toBe(24);
  fused.steps.forEach((s, i) => {
    const r = ref.steps[i]!;
    const at = `step ${i}`;
    expect(s.step, at).toBe(i + 1);
    expect(r.step, at).toBe(i + 1);
    expect(s.gradNorm, `${at} gradNorm`).toBe(r.gradNorm);
    expect(s.clipScale, `${at} clipScale`).toBe(r.clipScale);
    expect(s.sigma, `${at} sigma`).toBe(r.sigma);
    expect(s.lr, `${at} lr`).toBe(r.lr);
    expect(s.loss, `${at} loss`).toBe(r.loss); // same params before every step: same forward
    expect(Number.isFinite(s.gradNorm) && s.gradNorm > 0, at).toBe(true);
  });
  expectSameWeights(fused.model, ref.model, 'fused vs reference');
  // Training really moved every tensor (a kernel that writes nothing would compare equal to nothing).
  const fresh = await createModel(SPEC, { batchSize: 16, seed: SEED });
  for (const n of fresh.paramNames) {
    expect(Buffer.from(fresh.getParam(n).buffer).equals(Buffer.from(fused.model.getParam(n).buffer)), n).toBe(false);
  }
  return { fused, ref };
}

// ---------------------------------------------------------------- 1. fused = reference, bit for bit

const OPTIMIZERS: [string, () => GradientTransformation][] = [
  ['sgd', () => sgd({ lr: 0.1 })],
  ['sgd momentum', () => sgd({ lr: 0.05, momentum: 0.9 })],
  ['sgd nesterov', () => sgd({ lr: 0.05, momentum: 0.9, nesterov: true })],
  ['sgd weightDecay + dampening', () => sgd({ lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 1e-3 })],
  ['adam', () => adam({ lr: 0.01 })],
  ['adam weightDecay', () => adam({ lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 1e-2 })],
  ['adamw', () => adamw({ lr: 0.01, weightDecay: 0.05 })],
  ['adagrad lrDecay + initialAccumulatorValue', () => adagrad({ lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1, weightDecay: 1e-3 })],
  ['rmsprop', () => rmsprop({ lr: 0.005 })],
  ['rmsprop momentum', () => rmsprop({ lr: 0.002, momentum: 0.9 })],
  ['rmsprop centered', () => rmsprop({ lr: 0.002, centered: true })],
  ['rmsprop centered + momentum', () => rmsprop({ lr: 0.002, alpha: 0.9, centered: true, momentum: 0.9, weightDecay: 1e-3 })],
];

const NOISE = { eta: 0.01, gamma: 0.55 };
// Gradient norms of this task are ~0.4 .. 5.4 (noise included: ~1.4 .. 6.2), so both thresholds clip some steps.
interface Variant { readonly name: string; readonly wrap: (o: GradientTransformation) => GradientTransformation; readonly maxNorm?: number }
const VARIANTS: readonly Variant[] = [
  { name: 'noise only', wrap: (o) => chain(addNoise(NOISE), o) },
  { name: 'clipByGlobalNorm then addNoise', wrap: (o) => chain(clipByGlobalNorm(1.2), addNoise(NOISE), o), maxNorm: 1.2 },
  { name: 'addNoise then clipByGlobalNorm', wrap: (o) => chain(addNoise(NOISE), clipByGlobalNorm(2), o), maxNorm: 2 },
  { name: 'clipByValue then addNoise', wrap: (o) => chain(clipByValue(0.05), addNoise(NOISE), o) },
  { name: 'addNoise then clipByValue', wrap: (o) => chain(addNoise(NOISE), clipByValue(0.05), o) },
];

describe('the fused kernel gives the bits of the TypeScript reference chain (24 steps of fit)', () => {
  for (const [oname, make] of OPTIMIZERS) {
    it(`${oname}: alone, with noise, and with noise after / before a norm clip and a value clip`, async () => {
      const plain = await fusedVsReference(make());
      expect(plain.fused.steps.every((s) => s.sigma === 0 && s.clipScale === 1)).toBe(true);
      const runs = new Map<string, Model>();
      for (const v of VARIANTS) {
        const { fused } = await fusedVsReference(v.wrap(make())).catch((e: Error) => { throw new Error(`${oname}, ${v.name}: ${e.message}`); });
        runs.set(v.name, fused.model);
        // the metrics say what ran: sigma_t of the schedule, clipScale = fr(max / norm) exactly when norm > max
        fused.steps.forEach((s, t) => {
          expect(s.sigma, `${v.name}: sigma at ${t}`).toBe(fr(Math.sqrt(NOISE.eta / (1 + t) ** NOISE.gamma)));
          const m = v.maxNorm;
          expect(s.clipScale, `${v.name}: clipScale at ${t}`).toBe(m !== undefined && s.gradNorm > m ? fr(m / s.gradNorm) : 1);
        });
        if (v.maxNorm !== undefined) expect(fused.steps.some((s) => s.clipScale < 1), `${v.name}: some step clipped`).toBe(true);
      }
      // each transform made a difference: the noise is really there, and so is each clip
      expect(differs(runs.get('noise only')!, plain.fused.model)).toBe(true);
      for (const v of VARIANTS.slice(1)) expect(differs(runs.get(v.name)!, runs.get('noise only')!), v.name).toBe(true);
    });
  }

  it('the noise placement is honoured: noise before clipping enters the norm, after clipping it does not', async () => {
    const after = await train(chain(clipByGlobalNorm(1.2), addNoise(NOISE), sgd({ lr: 0.1 })), true);
    const before = await train(chain(addNoise(NOISE), clipByGlobalNorm(1.2), sgd({ lr: 0.1 })), true);
    const none = await train(sgd({ lr: 0.1 }), true);
    // Step 0 sees the same parameters and batch in all three: after-clip reports the clean norm,
    // before-clip the norm of gradient + noise (~ sqrt(clean^2 + 869 * 0.01)).
    expect(after.steps[0]!.gradNorm).toBe(none.steps[0]!.gradNorm);
    expect(before.steps[0]!.gradNorm).toBeGreaterThan(none.steps[0]!.gradNorm + 0.5);
    expect(differs(after.model, before.model)).toBe(true);
  });

  it('with a learning-rate schedule (cosineDecay, and linearWarmup around it)', async () => {
    const cos = cosineDecay({ lr: 0.1, steps: 20, minLr: 0.01 });
    const warm = linearWarmup({ steps: 5, schedule: cosineDecay({ lr: 0.02, steps: 15 }), startFactor: 0.1 });
    const cases: [string, LearningRate, () => GradientTransformation][] = [
      ['sgd momentum, cosineDecay', cos, () => sgd({ lr: cos, momentum: 0.9 })],
      ['adam, linearWarmup(cosineDecay)', warm, () => adam({ lr: warm })],
      ['adagrad, cosineDecay', cos, () => adagrad({ lr: cos, lrDecay: 0.01 })],
    ];
    for (const [what, lr, make] of cases) {
      const { fused } = await fusedVsReference(chain(clipByGlobalNorm(1.2), addNoise(NOISE), make()));
      fused.steps.forEach((s, t) => expect(s.lr, `${what} at ${t}`).toBe(scheduleValue(lr, t)));
      expect(new Set(fused.steps.map((s) => s.lr)).size, what).toBeGreaterThan(15);
    }
  });

  it('the single-threaded build gives the same bits as the threads build and the reference', async () => {
    const opt = chain(addNoise(NOISE), clipByGlobalNorm(2), adam({ lr: 0.01, weightDecay: 1e-3 }));
    const model = await createModel(SPEC, { batchSize: 16, seed: SEED, optimizer: opt, build: 'single' });
    expect(model.build).toBe('single');
    expect(model.isFused).toBe(true);
    const steps: StepInfo[] = [];
    await model.fit(DATA.x, DATA.y, { epochs: EPOCHS, onStep: (s) => steps.push(s) });
    const ref = await train(opt, false);
    expectSameWeights(model, ref.model, 'single build vs reference');
    expect(steps.map((s) => [s.gradNorm, s.clipScale, s.sigma])).toEqual(ref.steps.map((s) => [s.gradNorm, s.clipScale, s.sigma]));
  });
});

// ---------------------------------------------------------------- 2. clipping clips

describe('clipByGlobalNorm in the fused pass', () => {
  it('a threshold below the gradient norm clips (clipScale = fr(max / norm) < 1); above it does not', async () => {
    const none = await train(sgd({ lr: 0.1 }), true);
    const norms = none.steps.map((s) => s.gradNorm);
    const lo = Math.min(...norms), hi = Math.max(...norms);
    expect(lo).toBeGreaterThan(0.2);
    // Below every norm: every step clips, and the reported norm is the pre-clip one (so > threshold).
    const clipped = await train(chain(clipByGlobalNorm(0.1), sgd({ lr: 0.1 })), true);
    expect(clipped.steps[0]!.gradNorm).toBe(norms[0]); // step 0: same params, same batch
    clipped.steps.forEach((s, t) => {
      expect(s.gradNorm, `step ${t}`).toBeGreaterThan(0.1);
      expect(s.clipScale, `step ${t}`).toBe(fr(0.1 / s.gradNorm));
      expect(s.clipScale, `step ${t}`).toBeLessThan(1);
    });
    expect(differs(clipped.model, none.model)).toBe(true);
    // Above every norm: never clips, and the run is the unclipped one bit for bit.
    const loose = await train(chain(clipByGlobalNorm(hi * 2), sgd({ lr: 0.1 })), true);
    loose.steps.forEach((s) => expect(s.clipScale).toBe(1));
    expectSameWeights(loose.model, none.model, 'loose clip vs none');
  });

  it('clipped sgd moves the parameters by lr * clipScale * gradient (one step, hand-computed)', async () => {
    const model = await createModel(SPEC, { batchSize: 16, seed: SEED, optimizer: chain(clipByGlobalNorm(0.1), sgd({ lr: 1 })) });
    const x = DATA.x.subarray(0, 16 * 8), y = DATA.y.subarray(0, 16);
    const p0 = model.getWeights();
    model.computeGradients(x, y);
    const g = new Map(model.paramNames.map((n) => [n, model.getGrad(n)] as const)); // fr(sum * fr(1 / 16)): the x of docs/update.md
    const r = model.trainOnBatch(x, y);
    expect(r.gradNorm).toBe(globalNorm(model.paramNames.map((n) => g.get(n)!))); // the same gradient, not twice it
    expect(r.clipScale).toBe(fr(0.1 / r.gradNorm));
    for (const n of model.paramNames) {
      const want = p0.get(n)!.map((p, i) => fr(p - fr(g.get(n)![i]! * r.clipScale)));
      expectSameBits(model.getParam(n), want, n);
    }
  });
});

// ---------------------------------------------------------------- 3. the noise, on a zero gradient

// All-zero inputs, zero weights and biases, MSE against zero targets: every gradient is exactly 0 at
// step 0, and the first kernel's gradient (x^T delta with x = 0) stays exactly 0 forever.
const ZSPEC: ModelSpec = {
  inputs: 12,
  layers: [
    dense(20, { activation: 'tanh', kernelInit: 'zeros', biasInit: 'zeros' }),
    dense(3, { kernelInit: 'zeros', biasInit: 'zeros' }),
  ],
  loss: 'meanSquaredError',
};
const ZX = new Float32Array(4 * 12), ZY = new Float32Array(4 * 3);
const ZSEED = 2 ** 40 + 99;

/** Trains `steps` steps on the zero data; returns every tensor after every step (index 0 = before). */
async function zeroRun(optimizer: GradientTransformation, fuse: boolean, steps = 6, seed = ZSEED) {
  // workers: 0: onStep reads the weights, which only an inline fit() allows mid-run.
  const model = await createModel(ZSPEC, { batchSize: 4, seed, optimizer, fuse, workers: 0 });
  const snaps: Map<string, Float32Array>[] = [model.getWeights()];
  const info: StepInfo[] = [];
  await model.fit(ZX, ZY, { epochs: steps, onStep: (s) => { info.push(s); snaps.push(model.getWeights()); } });
  expect(info.length).toBe(steps);
  return { model, snaps, info };
}

/** The noise of docs/update.md for tensor k at step t: initNormal(seed, NOISE, t, n, 0, fr(sigma_t), k * 2^34). */
const noiseOf = (seed: number, t: number, n: number, k: number, sigma: number) =>
  initNormal(BigInt(seed), RNG_DOMAIN_NOISE, t, n, 0, fr(sigma), k * 2 ** 34);
const sigmaAt = (eta: number, gamma: number, t: number) => Math.sqrt(eta / (1 + t) ** gamma);

describe.each([true, false])('the noise actually added (fuse: %s)', (fuse) => {
  it('the gradient really is zero: without addNoise nothing moves, ever', async () => {
    const { snaps, info } = await zeroRun(chain(clipByGlobalNorm(1), sgd({ lr: 1, momentum: 0.9 })), fuse);
    for (const s of snaps) for (const [n, p] of s) expectSameBits(p, new Float32Array(p.length), `${n} (no noise)`);
    info.forEach((s) => { expect(s.gradNorm).toBe(0); expect(s.sigma).toBe(0); expect(s.clipScale).toBe(1); });
  });

  it('step 0: every tensor k becomes exactly -noise(seed, t = 0, stream k * 2^34), variance eta (t counts from 0)', async () => {
    const eta = 0.3, gamma = 0.55;
    const { model, snaps, info } = await zeroRun(chain(addNoise({ eta, gamma }), sgd({ lr: 1 })), fuse, 1);
    expect(model.isFused).toBe(fuse);
    // sigma_0 = sqrt(eta): eta is the variance, and t = 0 (not 1: that gives 0.683 eta) at the first update
    expect(info[0]!.sigma).toBe(fr(Math.sqrt(eta)));
    expect(info[0]!.sigma).not.toBe(fr(Math.sqrt(eta / 2 ** gamma)));
    expect(info[0]!.gradNorm).toBe(0);
    model.paramNames.forEach((name, k) => {
      const p = snaps[1]!.get(name)!;
      const n = noiseOf(ZSEED, 0, p.length, k, Math.sqrt(eta));
      expectSameBits(p, n.map((v) => -v), `${name} = -noise (k = ${k})`);
      // and not the noise of another tensor, step or key word
      expect(Array.from(p)).not.toEqual(Array.from(noiseOf(ZSEED, 0, p.length, (k + 1) % 4, Math.sqrt(eta)).map((v) => -v)));
      expect(Array.from(p)).not.toEqual(Array.from(noiseOf(ZSEED, 1, p.length, k, Math.sqrt(eta)).map((v) => -v)));
      expect(Array.from(p)).not.toEqual(Array.from(noiseOf(ZSEED % 2 ** 32, 0, p.length, k, Math.sqrt(eta)).map((v) => -v)));
    });
  });

  it('step t: the first kernel moves by exactly -fr(sigma_t z), sigma_t = sqrt(eta / (1 + t)^gamma), t = 0 .. 5', async () => {
    const eta = 0.3, gamma = 0.55;
    const { snaps, info } = await zeroRun(chain(addNoise({ eta, gamma }), sgd({ lr: 1 })), fuse, 6);
    for (let t = 0; t < 6; t++) {
      const s = sigmaAt(eta, gamma, t);
      expect(info[t]!.sigma, `sigma at ${t}`).toBe(fr(s));
      const before = snaps[t]!.get('dense_0/kernel')!, after = snaps[t + 1]!.get('dense_0/kernel')!;
      const n = noiseOf(ZSEED, t, before.length, 0, s);
      expectSameBits(after, before.map((p, i) => fr(p - fr(1 * n[i]!))), `dense_0/kernel after step ${t}`);
    }
    // annealed: the typical increment shrinks as (1 + t)^(-gamma / 2): 6^(-0.275) = 0.611 from t = 0 to t = 5
    // (a ratio of two rms over 240 samples has a standard error of ~6.5%: 5 of them either way; constant noise gives 1)
    const rms = (t: number) => {
      const a = snaps[t]!.get('dense_0/kernel')!, b = snaps[t + 1]!.get('dense_0/kernel')!;
      return Math.sqrt(a.reduce((acc, v, i) => acc + (b[i]! - v) ** 2, 0) / a.length);
    };
    const want = 6 ** (-gamma / 2);
    expect(Math.abs(rms(5) / rms(0) / want - 1)).toBeLessThan(5 * 0.065);
  });

  it('the key is the whole model seed: seeds 0, 1 and 2^53 - 1 give their own streams bit for bit', async () => {
    for (const seed of [0, 1, Number.MAX_SAFE_INTEGER]) {
      const { model, snaps } = await zeroRun(chain(addNoise({ eta: 1, gamma: 0.55 }), sgd({ lr: 1 })), fuse, 1, seed);
      model.paramNames.forEach((name, k) => {
        const p = snaps[1]!.get(name)!;
        expectSameBits(p, noiseOf(seed, 0, p.length, k, 1).map((v) => -v), `seed ${seed}: ${name}`);
      });
    }
  });

  it('the step counter, and with it the noise stream, carries on across fit calls', async () => {
    const opt = () => chain(addNoise({ eta: 0.3, gamma: 0.55 }), adam({ lr: 0.01 }));
    const one = await zeroRun(opt(), fuse, 5);
    const two = await createModel(ZSPEC, { batchSize: 4, seed: ZSEED, optimizer: opt(), fuse });
    const h1 = await two.fit(ZX, ZY, { epochs: 2 });
    const sig: number[] = [];
    const h2 = await two.fit(ZX, ZY, { epochs: 3, onStep: (s) => sig.push(s.sigma) });
    expect([h1.steps, h2.steps, two.step]).toEqual([2, 5, 5]);
    expect(sig).toEqual(one.info.slice(2).map((s) => s.sigma));
    expectSameWeights(two, one.model, 'fit(2) + fit(3) vs fit(5)');
  });

  it('a tensor spanning many kernel chunks with an odd tail (37 x 211 = 7807 elements) gets its stream bit for bit', async () => {
    const spec: ModelSpec = { inputs: 37, layers: [dense(211, { kernelInit: 'zeros', biasInit: 'zeros' })], loss: 'meanSquaredError' };
    const model = await createModel(spec, { batchSize: 1, seed: ZSEED, fuse, workers: 0, optimizer: chain(addNoise({ eta: 0.3, gamma: 0.55 }), sgd({ lr: 1 })) });
    const snaps = [model.getParam('dense_0/kernel')];
    await model.fit(new Float32Array(37), new Float32Array(211), { epochs: 3, onStep: () => snaps.push(model.getParam('dense_0/kernel')) });
    for (let t = 0; t < 3; t++) {
      const n = noiseOf(ZSEED, t, 7807, 0, sigmaAt(0.3, 0.55, t));
      expectSameBits(snaps[t + 1]!, snaps[t]!.map((p, i) => fr(p - n[i]!)), `37 x 211 kernel, step ${t}`);
    }
    expect(model.step).toBe(3);
  });

  it('the noise goes in before the learning rate: lr 0.5 moves by fr(0.5 * noise), half the noise', async () => {
    const eta = 0.3, gamma = 0.55;
    const { snaps } = await zeroRun(chain(addNoise({ eta, gamma }), sgd({ lr: 0.5 })), fuse, 2);
    for (let t = 0; t < 2; t++) {
      const before = snaps[t]!.get('dense_0/kernel')!, after = snaps[t + 1]!.get('dense_0/kernel')!;
      const n = noiseOf(ZSEED, t, before.length, 0, sigmaAt(eta, gamma, t));
      expectSameBits(after, before.map((p, i) => fr(p - fr(0.5 * n[i]!))), `lr 0.5, step ${t}`);
    }
    const n0 = noiseOf(ZSEED, 0, 240, 0, Math.sqrt(eta));
    expectSameBits(snaps[1]!.get('dense_0/kernel')!, n0.map((v) => -v / 2), 'half the noise'); // not -noise (noise after lr)
  });

  it('gamma = 0 gives constant noise: sigma_t = sqrt(eta) at every step', async () => {
    const eta = 0.04;
    const { snaps, info } = await zeroRun(chain(addNoise({ eta, gamma: 0 }), sgd({ lr: 1 })), fuse, 4);
    for (let t = 0; t < 4; t++) {
      expect(info[t]!.sigma).toBe(fr(0.2));
      const before = snaps[t]!.get('dense_0/kernel')!, after = snaps[t + 1]!.get('dense_0/kernel')!;
      const n = noiseOf(ZSEED, t, before.length, 0, 0.2);
      expectSameBits(after, before.map((p, i) => fr(p - n[i]!)), `gamma 0, step ${t}`);
    }
  });

  it('the noise is plain normal, not truncated: the first kernel\'s z-scores reach past 2.5 sigma', async () => {
    const eta = 1, gamma = 0.55;
    const { snaps, info } = await zeroRun(chain(addNoise({ eta, gamma }), sgd({ lr: 1 })), fuse, 6);
    let beyond2 = 0, max = 0, count = 0;
    for (let t = 0; t < 6; t++) {
      const a = snaps[t]!.get('dense_0/kernel')!, b = snaps[t + 1]!.get('dense_0/kernel')!;
      a.forEach((v, i) => {
        const z = Math.abs(b[i]! - v) / info[t]!.sigma;
        count++;
        if (z > 2) beyond2++;
        max = Math.max(max, z);
      });
    }
    // 1440 samples: expect 4.55% = 65.5 beyond 2 sigma (truncation at 2 sigma gives 0); P(max < 2.5) ~ 1e-8
    expect(beyond2).toBeGreaterThan(65.5 - 5 * Math.sqrt(65.5));
    expect(beyond2).toBeLessThan(65.5 + 5 * Math.sqrt(65.5));
    expect(max).toBeGreaterThan(2.5);
    expect(count).toBe(1440);
  });

  it('noisy gradients go through adam: at step 0 every coordinate moves by lr, against the sign of its noise', async () => {
    const { snaps } = await zeroRun(chain(addNoise({ eta: 1, gamma: 0.55 }), adam({ lr: 0.01 })), fuse, 1);
    // |m_hat / sqrt(v_hat)| = 1 at step 0 whatever the noise size (up to eps = 1e-8 against |noise| >~ 1e-3):
    // every coordinate moves by lr, against the sign of its noise
    const p = snaps[1]!.get('dense_0/kernel')!;
    const n = noiseOf(ZSEED, 0, p.length, 0, 1);
    p.forEach((v, i) => {
      expect(Math.abs(Math.abs(v) / 0.01 - 1), `[${i}]`).toBeLessThan(1e-4);
      expect(Math.sign(v), `[${i}]`).toBe(-Math.sign(n[i]!));
    });
  });
});

describe('the fused and reference noise are the same bits for an adam chain with noise after clipping', () => {
  it('zero-gradient model, 6 steps', async () => {
    const opt = chain(clipByGlobalNorm(0.5), addNoise({ eta: 0.3, gamma: 0.55 }), adam({ lr: 0.01 }));
    const a = await zeroRun(opt, true), b = await zeroRun(opt, false);
    expectSameWeights(a.model, b.model, 'zero-gradient adam');
    expect(a.info.map((s) => [s.gradNorm, s.clipScale, s.sigma])).toEqual(b.info.map((s) => [s.gradNorm, s.clipScale, s.sigma]));
  });
});

// ---------------------------------------------------------------- 4. non-finite gradients

// A linear regression whose third feature is 0 in the good examples (so its weights get no gradient) and
// 1e28 in the bad ones: the loss stays finite in f32 (y ~ 0, target +-1e12: loss ~ 1e24), but the gradient
// of that feature's weight is 1e28 * 2 * (y - target) = +-2e40: Infinity in f32. Two bad examples with
// opposite targets in one batch give -Infinity + Infinity = NaN.
const NF_SPEC: ModelSpec = { inputs: 3, layers: [dense(2, { kernelInit: 'zeros', biasInit: 'zeros' })], loss: 'meanSquaredError' };

function nfData(pattern: string): { x: Float32Array; y: Float32Array } {
  // pattern: 'g' good, '+' bad with target +1e12, '-' bad with target -1e12
  const x = new Float32Array(pattern.length * 3), y = new Float32Array(pattern.length * 2);
  let good = 0;
  [...pattern].forEach((c, i) => {
    if (c === 'g') {
      const a = Math.sin(good * 1.3 + 0.2), b = Math.cos(good * 0.7 - 0.4);
      good++;
      x.set([a, b, 0], i * 3);
      y.set([a - 2 * b, 0.5 * a + b + 0.3], i * 2);
    } else {
      x.set([0.5, -0.25, 1e28], i * 3);
      y.set([c === '+' ? 1e12 : -1e12, c === '+' ? 1e12 : -1e12], i * 2);
    }
  });
  return { x, y };
}

describe.each([true, false])('non-finite gradients (fuse: %s)', (fuse) => {
  it('a NaN gradient mid-training stops fit naming the step and the tensor; the refused step changes nothing', async () => {
    const model = await createModel(NF_SPEC, { batchSize: 2, seed: 3, fuse, workers: 0, optimizer: chain(clipByGlobalNorm(5), sgd({ lr: 0.1, momentum: 0.9 })) });
    expect(model.isFused).toBe(fuse);
    const d = nfData('gggg+-gg'); // batches of 2, in order: steps 0, 1 fine, step 2 holds both bad examples
    let lastGood: Map<string, Float32Array> | null = null;
    const seen: number[] = [];
    const err = await model.fit(d.x, d.y, { batchSize: 2, shuffle: false, epochs: 3, onStep: (s) => { seen.push(s.step); lastGood = model.getWeights(); } })
      .then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/^fit: step 2: the gradient of dense_0\/kernel is NaN at index 4; the update is refused/);
    expect(seen).toEqual([1, 2]);
    expect(model.step).toBe(2);
    expect(lastGood).not.toBeNull();
    for (const [n, p] of lastGood!) expectSameBits(model.getParam(n), p, `${n} after the refused step`);
    for (const [, p] of lastGood!) expect(p.every(Number.isFinite)).toBe(true);
  });

  it('the error names the first offending tensor in layout order, here the second layer\'s kernel', async () => {
    // Layer 0's kernel is all ones, so the bad example's hidden units are ~1e28 (finite); layer 1 starts at
    // zero, so y = 0 and the loss is finite, layer 0's gradient is x^T (delta W1^T) = 0, and layer 1's kernel
    // gradient h^T delta = 1e28 * -2e12 overflows. Tensors: dense_0/kernel, dense_0/bias, dense_1/kernel, ...
    const spec: ModelSpec = {
      inputs: 3,
      layers: [dense(2, { kernelInit: { kind: 'constant', value: 1 }, biasInit: 'zeros' }), dense(1, { kernelInit: 'zeros', biasInit: 'zeros' })],
      loss: 'meanSquaredError',
    };
    const model = await createModel(spec, { batchSize: 1, seed: 3, fuse, optimizer: chain(addNoise({ eta: 0.01 }), sgd({ lr: 0.1 })) });
    const x = new Float32Array([0.5, -0.25, 1e28]), y = new Float32Array([1e12]);
    const before = model.getWeights();
    await expect(model.fit(x, y, { batchSize: 1 }))
      .rejects.toThrow(/^fit: step 0: the gradient of dense_1\/kernel is -Infinity at index 0; the update is refused/);
    expect(model.step).toBe(0);
    for (const [n, p] of before) expectSameBits(model.getParam(n), p, `${n} after the refused step`);
  });

  it('an Infinity names its sign, index and a renamed layer', async () => {
    const spec: ModelSpec = { ...NF_SPEC, layers: [dense(2, { kernelInit: 'zeros', biasInit: 'zeros', name: 'head' })] };
    const model = await createModel(spec, { batchSize: 1, seed: 3, fuse, optimizer: adam({ lr: 0.01 }) });
    const d = nfData('ggg+g');
    await expect(model.fit(d.x, d.y, { batchSize: 1, shuffle: false }))
      .rejects.toThrow(/^fit: step 3: the gradient of head\/kernel is -Infinity at index 4; the update is refused/);
    expect(model.step).toBe(3);
  });

  for (const [what, make] of [
    ['adam (bias correction depends on t)', () => adam({ lr: 0.05, betas: [0.5, 0.9] })],
    ['sgd with a cosine schedule and tiny noise', () => chain(clipByGlobalNorm(5), addNoise({ eta: 1e-24, gamma: 0.55 }), sgd({ lr: cosineDecay({ lr: 0.1, steps: 12 }), momentum: 0.5 }))],
  ] as [string, () => GradientTransformation][]) {
    it(`nonFinite: 'skip' counts refused steps and does not advance the step counter: ${what}`, async () => {
      const skip = await createModel(NF_SPEC, { batchSize: 1, seed: 11, fuse, optimizer: make() });
      const steps: StepInfo[] = [];
      const h = await skip.fit(nfData('ggg+gg-g').x, nfData('ggg+gg-g').y,
        { batchSize: 1, shuffle: false, epochs: 2, nonFinite: 'skip', onStep: (s) => steps.push(s) });
      expect(h.skippedSteps).toBe(4);
      expect(h.steps).toBe(12);
      expect(skip.step).toBe(12);
      expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(h.epochs.length).toBe(2);
      // Bit for bit the run that never saw the bad examples: same t for every good step (noise stream,
      // schedule, bias correction), no state or parameter touched by a refused step, its gradient dropped.
      const clean = await createModel(NF_SPEC, { batchSize: 1, seed: 11, fuse, optimizer: make() });
      const cs: StepInfo[] = [];
      const hc = await clean.fit(nfData('gggggg').x, nfData('gggggg').y, { batchSize: 1, shuffle: false, epochs: 2, onStep: (s) => cs.push(s) });
      expect(hc.skippedSteps).toBe(0);
      expectSameWeights(skip, clean, 'skipping run vs clean run');
      expect(steps.map((s) => [s.gradNorm, s.sigma, s.lr])).toEqual(cs.map((s) => [s.gradNorm, s.sigma, s.lr]));
      for (const n of skip.paramNames) expect(skip.getParam(n).every(Number.isFinite)).toBe(true);
      // and the refused steps were really refusals, not silent no-ops: 'throw' stops on the first
      const strict = await createModel(NF_SPEC, { batchSize: 1, seed: 11, fuse, optimizer: make() });
      await expect(strict.fit(nfData('ggg+gg-g').x, nfData('ggg+gg-g').y, { batchSize: 1, shuffle: false, epochs: 2 }))
        .rejects.toThrow(/fit: step 3: the gradient of dense_0\/kernel is -Infinity at index 4/);
    });
  }
});

// ---------------------------------------------------------------- 5. chains the kernel cannot fuse

describe('an unfusable chain warns, names the reason, and trains on the reference path', () => {
  const cases: [string, () => GradientTransformation, RegExp][] = [
    ['two addNoise', () => chain(addNoise({ eta: 0.01 }), addNoise({ eta: 0.02 }), sgd({ lr: 0.1 })),
      /cannot be fused \([^)]*addNoise[^)]*adds noise once per step/],
    ['clipByValue and clipByGlobalNorm', () => chain(clipByValue(0.5), clipByGlobalNorm(1), adam({ lr: 0.01 })),
      /cannot be fused \([^)]*clipByValue[^)]*clipByGlobalNorm[^)]*one clip per step/],
  ];
  for (const [what, make, re] of cases) {
    it(what, async () => {
      const warnings: string[] = [];
      const model = await createModel(SPEC, { batchSize: 16, seed: SEED, optimizer: make(), onWarning: (w) => warnings.push(w) });
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toMatch(re);
      expect(warnings[0]).toMatch(/^gradnoise: the update \[.*\] cannot be fused .*slower TypeScript reference path/);
      expect(model.isFused).toBe(false);
      const before = model.evaluate(DATA.x, DATA.y).loss;
      const h = await model.fit(DATA.x, DATA.y, { epochs: 4 });
      expect(h.steps).toBe(16);
      expect(model.evaluate(DATA.x, DATA.y).loss).toBeLessThan(before);
      // and the reference path really ran this chain: same bits as fuse: false, no warning there
      const quiet: string[] = [];
      const ref = await createModel(SPEC, { batchSize: 16, seed: SEED, optimizer: make(), fuse: false, onWarning: (w) => quiet.push(w) });
      await ref.fit(DATA.x, DATA.y, { epochs: 4 });
      expect(quiet).toEqual([]);
      expectSameWeights(model, ref, what);
    });
  }

  it('two addNoise add two noises (the second on top of the first, zero-gradient model)', async () => {
    const { snaps } = await zeroRun(chain(addNoise({ eta: 0.01, gamma: 0 }), addNoise({ eta: 0.04, gamma: 0 }), sgd({ lr: 1 })), true, 1);
    const p = snaps[1]!.get('dense_0/kernel')!;
    const a = noiseOf(ZSEED, 0, p.length, 0, 0.1), b = noiseOf(ZSEED, 0, p.length, 0, 0.2);
    expectSameBits(p, a.map((v, i) => -fr(v + b[i]!)), 'two noises');
  });

  it('a fusable chain does not warn', async () => {
    const warnings: string[] = [];
    const m = await createModel(SPEC, { optimizer: chain(clipByValue(1), addNoise(), rmsprop()), onWarning: (w) => warnings.push(w) });
    expect(m.isFused).toBe(true);
    expect(warnings).toEqual([]);
  });
});

// ---------------------------------------------------------------- 6. bad configs

describe('bad configs are rejected at createModel, naming the field', () => {
  const desc = (...transforms: { name: string; config: Record<string, unknown> }[]) => ({ name: 'chain', config: { transforms } }) as never;
  const SGD = { name: 'sgd', config: { lr: 0.1 } };
  const cases: [string, unknown, RegExp][] = [
    ['negative eta', desc({ name: 'addNoise', config: { eta: -0.3 } }, SGD), /addNoise: eta is -0.3 \(need a finite number >= 0\)/],
    ['NaN eta', desc({ name: 'addNoise', config: { eta: NaN } }, SGD), /addNoise: eta is NaN/],
    ['negative gamma', desc({ name: 'addNoise', config: { eta: 0.01, gamma: -0.55 } }, SGD), /addNoise: gamma is -0.55/],
    ['NaN gamma', desc({ name: 'addNoise', config: { gamma: NaN } }, SGD), /addNoise: gamma is NaN/],
    ['negative lr', desc({ name: 'adam', config: { lr: -0.001 } }), /adam: lr is -0.001/],
    ['NaN lr in a schedule', desc({ name: 'sgd', config: { lr: { kind: 'cosineDecay', lr: NaN, steps: 10 } } }), /cosineDecay: lr is NaN/],
    ['negative clip norm', desc({ name: 'clipByGlobalNorm', config: { maxNorm: -1 } }, SGD), /clipByGlobalNorm: maxNorm is -1/],
    ['NaN clip value', desc({ name: 'clipByValue', config: { maxAbs: NaN } }, SGD), /clipByValue: maxAbs is NaN/],
    ['unknown optimizer', { name: 'adamax', config: { lr: 0.01 } }, /unknown transform "adamax" \(allowed: .*adam, adamw, adagrad, rmsprop/],
    ['unknown optimizer in a chain', desc({ name: 'addNoise', config: {} }, { name: 'nadam', config: {} }), /unknown transform "nadam"/],
  ];
  for (const [what, optimizer, re] of cases) {
    it(what, async () => {
      const warnings: string[] = [];
      await expect(createModel(SPEC, { optimizer: optimizer as never, onWarning: (w) => warnings.push(w) })).rejects.toThrow(re);
      expect(warnings).toEqual([]);
    });
  }

  it('and at transform construction', () => {
    expect(() => addNoise({ eta: -1 })).toThrow(/addNoise: eta is -1/);
    expect(() => addNoise({ gamma: NaN })).toThrow(/addNoise: gamma is NaN/);
    expect(() => clipByGlobalNorm(NaN)).toThrow(/clipByGlobalNorm: maxNorm is NaN/);
    expect(() => clipByValue(-0.5)).toThrow(/clipByValue: maxAbs is -0.5/);
    expect(() => rmsprop({ lr: -1 })).toThrow(/rmsprop: lr is -1/);
  });
});
