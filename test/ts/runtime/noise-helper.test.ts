// The noise helper (runtime/helper.ts): while fit() trains inline, a worker draws each step's noise into
// the noise-ahead block, and pass 2 reads what is ready. The contract: the bits of a run without it
// (and of any worker count), however much of each step's noise it managed to draw (all of it, some, or none
// because a slow helper was still on an abandoned request); on by default where it can run, off on request;
// and the noise pass 2 takes from the block is really what it adds.
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { addNoise, chain, clipByGlobalNorm, createModel, dense, sgd, type Model, type ModelSpec } from '../../../src/index.js';
import { signatureOf, stage } from '../../../src/runtime/data.js';
import type { Engine } from '../../../src/runtime/engine.js';
import { HELPER_TESTING_HOOK, type NoiseHelper } from '../../../src/runtime/helper.js';
import { lcg, weightsHash } from '../helpers.js';

const SPEC: ModelSpec = {
  inputs: 784,
  layers: [dense(40, { activation: 'relu' }), ...Array.from({ length: 4 }, () => dense(24, { activation: 'relu' })), dense(10)],
  loss: 'softmaxCrossEntropy',
};
const DATA = (() => {
  const r = lcg(9), n = 600;
  return { x: new Float32Array(n * 784).map(() => r()), y: new Uint8Array(n).map(() => Math.floor((r() + 1) * 5)) };
})();
const NOISY = () => chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.05, momentum: 0.9 }));
const QUIET = () => chain(clipByGlobalNorm(1), sgd({ lr: 0.05, momentum: 0.9 }));
const SEED = 31;
// The helper needs a core of its own: on a 1-core machine createModel leaves it out.
const CAN = availableParallelism() >= 2;

const models: Model[] = [];
afterEach(async () => {
  delete (globalThis as Record<symbol, unknown>)[HELPER_TESTING_HOOK];
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});
const internals = (m: Model) => m as unknown as { engine: Engine; helper: NoiseHelper | null };

async function model(options: Record<string, unknown>): Promise<Model> {
  const m = await createModel(SPEC, { batchSize: 50, seed: SEED, optimizer: NOISY(), workers: 0, shards: 4, ...options });
  models.push(m);
  return m;
}

/** Trains `steps` steps after the helper is up, counting per step how many pieces it had ready. */
async function trainServed(m: Model, steps: number): Promise<number[]> {
  await m.fit(DATA.x, DATA.y, { steps: 1 }); // starts the helper
  const h = internals(m).helper!;
  for (let i = 0; i < 400 && !h.running; i++) await new Promise((r) => setTimeout(r, 25));
  expect(h.running).toBe(true);
  const ready: number[] = [];
  await m.fit(DATA.x, DATA.y, { steps, onStep: () => ready.push(h.lastReady) });
  return ready;
}

describe.skipIf(!CAN)('the noise helper of inline training', () => {
  it('is on by default inline with noise after clipping, and plans the noise block only then', async () => {
    const on = await model({});
    expect([on.noiseHelper, internals(on).engine.net.plan.noise.length]).toEqual([true, 1]);
    const off = await model({ noiseHelper: false });
    expect([off.noiseHelper, internals(off).engine.net.plan.noise.length]).toEqual([false, 0]);
    const quiet = await model({ optimizer: QUIET() });
    expect([quiet.noiseHelper, internals(quiet).engine.net.plan.noise.length]).toEqual([false, 0]);
    const before = await model({ optimizer: chain(addNoise({ eta: 0.01 }), clipByGlobalNorm(1), sgd({ lr: 0.05 })) });
    expect(before.noiseHelper).toBe(false);
    const workers = await model({ workers: 2 });
    expect(workers.noiseHelper).toBe(false); // the workers draw it ahead themselves
    await expect(createModel(SPEC, { workers: 0, noiseHelper: 1 as never })).rejects.toThrow(/^createModel: noiseHelper is 1 \(need true or false\)$/);
  });

  it('gives the bits of a run without it and of 2 workers, and really serves the steps', async () => {
    const served = await model({});
    const ready = await trainServed(served, 23);
    // Steps whose noise came (at least partly) from the helper; the rest drew it in pass 2.
    expect(ready.filter((n) => n > 0).length, ready.join(',')).toBeGreaterThan(0);
    const alone = await model({ noiseHelper: false });
    await alone.fit(DATA.x, DATA.y, { steps: 24 });
    const two = await model({ workers: 2 });
    await two.fit(DATA.x, DATA.y, { steps: 24 });
    expect(weightsHash(served)).toBe(weightsHash(alone));
    expect(weightsHash(two)).toBe(weightsHash(alone));
  });

  it('a helper that fails after start-up is dropped with a notice: the steps draw their own noise, to the same bits', async () => {
    (globalThis as Record<symbol, unknown>)[HELPER_TESTING_HOOK] = { failAfter: 3 };
    const warnings: string[] = [];
    const failing = await model({ onWarning: (w: string) => warnings.push(w) });
    await failing.fit(DATA.x, DATA.y, { steps: 1 }); // starts the helper
    const h = internals(failing).helper!;
    for (let i = 0; i < 400 && !h.running; i++) await new Promise((r) => setTimeout(r, 25));
    expect(h.running).toBe(true);
    // The helper fails at the first request it sees after the 3rd; its message arrives when this thread waits.
    await failing.fit(DATA.x, DATA.y, { steps: 6 });
    for (let i = 0; i < 400 && h.running; i++) await new Promise((r) => setTimeout(r, 25));
    expect(h.running).toBe(false);
    expect(warnings.join('\n')).toMatch(/noise helper thread stopped or could not start \(the noise helper failed \(a testing failure\)\)/);
    const steps = failing.step;
    await failing.fit(DATA.x, DATA.y, { steps: 5 });
    delete (globalThis as Record<symbol, unknown>)[HELPER_TESTING_HOOK];
    const alone = await model({ noiseHelper: false });
    await alone.fit(DATA.x, DATA.y, { steps: steps + 5 });
    expect(weightsHash(failing)).toBe(weightsHash(alone));
  });

  it('shows its track in the profile: one span per step it served, and the bits of a profile-free run', async () => {
    // Pass 2 waits for a piece of its step, so the helper serves every step whatever the machine's load
    // (without the wait, a helper kept off the CPU for all 6 steps would record nothing). The helper
    // records a request's span before it counts a piece of the next, so steps 1-5 are in the trace.
    (globalThis as Record<symbol, unknown>)[HELPER_TESTING_HOOK] = { waitPieces: 1 };
    const served = await model({});
    await trainServed(served, 3);
    // The last request finished before the profile starts, so no span of it can enter the trace.
    const h = internals(served).helper as unknown as { i32: Int32Array; pieces: unknown[] };
    for (let i = 0; i < 400 && (Atomics.load(h.i32, 1) & 0xffff) !== h.pieces.length; i++) await new Promise((r) => setTimeout(r, 25));
    expect(Atomics.load(h.i32, 1) & 0xffff).toBe(h.pieces.length);
    const history = await served.fit(DATA.x, DATA.y, { steps: 6, profile: true });
    const names = history.profile!.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args!.name);
    expect(names).toEqual(['calling thread (inline training)', 'noise helper']);
    const helperSpans = history.profile!.traceEvents.filter((e) => e.ph === 'X' && e.tid === 2);
    expect(helperSpans.length).toBeGreaterThanOrEqual(5);
    expect(helperSpans.length).toBeLessThanOrEqual(6);
    expect(helperSpans.every((e) => e.name === 'noise of the step' && e.cat === 'noise')).toBe(true);
    const alone = await model({ noiseHelper: false });
    await alone.fit(DATA.x, DATA.y, { steps: 10 });
    expect(weightsHash(served)).toBe(weightsHash(alone));
  });

  it('gives the same bits when it is too slow: requests left part-way and abandoned for the next', async () => {
    // 2 ms per piece, and pass 2 once at least 2 pieces are ready: the steps take a few of the pieces from
    // the block and draw the rest, while the helper goes on with the request until the next one comes.
    (globalThis as Record<symbol, unknown>)[HELPER_TESTING_HOOK] = { delayUs: 2000, waitPieces: 2 };
    const slow = await model({});
    const ready = await trainServed(slow, 23);
    const total = (internals(slow).helper as unknown as { pieces: unknown[] }).pieces.length;
    expect(total).toBeGreaterThan(8);
    expect(ready.every((n) => n >= 2) && ready.some((n) => n < total), ready.join(',')).toBe(true);
    const alone = await model({ noiseHelper: false });
    await alone.fit(DATA.x, DATA.y, { steps: 24 });
    expect(weightsHash(slow)).toBe(weightsHash(alone));
  });

  it('is the noise pass 2 adds: with the block zeroed and counted ready, the update adds none', async () => {
    // The update's hook as the helper serves it, with a block of zeros: a zero sample leaves the clipped
    // gradient as it is, so the step is the noise-free chain's.
    const run = async (optimizer: ReturnType<typeof NOISY>, zeroed: boolean) => {
      const m = await model({ optimizer, noiseHelper: zeroed });
      const e = internals(m).engine, net = e.net;
      const all = Int32Array.from(e.units, (u) => u.n);
      for (let step = 0; step < 5; step++) {
        if (zeroed) net.k.fill_f32(net.plan.noise[0]!.offset, net.plan.noise[0]!.bytes >> 2, 0);
        const batch = stage('test', signatureOf(net.graph), DATA.x.subarray(step * 50 * 784, (step + 1) * 50 * 784), DATA.y.subarray(step * 50, (step + 1) * 50), true);
        e.gradients('test', batch, null, 0, 50);
        e.update('test', 50, zeroed ? () => all : undefined);
      }
      return weightsHash(m);
    };
    const zeroed = await run(NOISY(), true);
    expect(zeroed).not.toBe(await run(NOISY(), false));
    expect(zeroed).toBe(await run(QUIET(), false));
  });
});
