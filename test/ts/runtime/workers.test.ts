// Training on workers (issue #4): the determinism contract (same bits for inline, 1, 2, 3 and 4 workers,
// the single-threaded fallback, and repeated runs), the lifecycle (a worker that throws or dies, abort,
// dispose, no process kept alive), the fallback notices, and a responsive caller while workers train.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addNoise, chain, clipByGlobalNorm, createModel, dropout, dense, mlp, NonFiniteError, sgd, adam,
  type Model, type ModelOptions, type ModelSpec,
} from '../../../src/index.js';
import { FAULT_HOOK } from '../../../src/runtime/pool.js';
import { blobs, lcg, weightsHash } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

// 784 -> 6 x 32 ReLU (with dropout) -> 10 on random inputs: small enough for many runs, deep enough to
// exercise every kernel of the paper's nets; the first kernel (25,088 elements) spans two update units.
const SPEC: ModelSpec = {
  inputs: 784,
  layers: [dense(32, { activation: 'relu' }), dropout(0.1), ...Array.from({ length: 5 }, () => dense(32, { activation: 'relu' })), dense(10)],
  loss: 'softmaxCrossEntropy',
};
const DATA = (() => {
  const r = lcg(11), n = 600;
  const x = new Float32Array(n * 784).map(() => r());
  const y = new Uint8Array(n).map(() => Math.floor((r() + 1) * 5));
  return { x, y };
})();
const NOISY = () => chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.05, momentum: 0.9 }));

const models: Model[] = [];
async function model(options: ModelOptions): Promise<Model> {
  const m = await createModel(SPEC, { batchSize: 50, seed: 2024, optimizer: NOISY(), ...options });
  models.push(m);
  return m;
}
afterEach(async () => {
  delete (globalThis as Record<symbol, unknown>)[FAULT_HOOK];
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});

describe('the determinism contract: the same bits for any number of workers', () => {
  it('inline, 1, 2, 3 and 4 workers, and a second run of each, give one weights hash after 60 noisy, clipped steps', async () => {
    const hashes = new Map<string, string>();
    for (const workers of [0, 1, 2, 3, 4, 2, 0]) {
      const m = await model({ workers });
      expect(m.workers).toBe(workers);
      const h = await m.fit(DATA.x, DATA.y, { epochs: 5 });
      expect(h.steps).toBe(60);
      hashes.set(`${workers} workers, run ${[...hashes.keys()].filter((k) => k.startsWith(`${workers} `)).length + 1}`, weightsHash(m));
    }
    expect(new Set(hashes.values()).size, JSON.stringify([...hashes], null, 1)).toBe(1);
  });

  it('the per-step metrics and epoch losses are the same too, and the update really moved the weights', async () => {
    const runs = [];
    for (const workers of [0, 3]) {
      const m = await model({ workers });
      const before = weightsHash(m);
      const steps: number[][] = [];
      const h = await m.fit(DATA.x, DATA.y, { epochs: 2, onStep: (s) => steps.push([s.step, s.loss, s.gradNorm, s.clipScale, s.sigma]) });
      expect(weightsHash(m)).not.toBe(before);
      runs.push({ steps, epochs: h.epochs.map((e) => [e.loss, e.accuracy]) });
    }
    expect(runs[0]!.steps).toHaveLength(24);
    expect(runs[1]).toEqual(runs[0]);
  });

  it('adam with noise before clipping, a batch that does not divide into the shards, and a short last batch', async () => {
    const hashes = [];
    for (const workers of [0, 2, 4]) {
      const m = await model({ workers, batchSize: 37, optimizer: chain(addNoise({ eta: 0.05 }), clipByGlobalNorm(0.5), adam({ lr: 1e-3 })) });
      await m.fit(DATA.x, DATA.y, { epochs: 2 }); // 600 = 16 x 37 + 8
      expect(m.step).toBe(34);
      hashes.push(weightsHash(m));
    }
    expect(new Set(hashes).size).toBe(1);
  });

  it('the single-threaded build (the fallback where shared memory is missing) gives the same bits, inline', async () => {
    const warnings: string[] = [];
    const single = await model({ build: 'single', workers: 2, onWarning: (w) => warnings.push(w) });
    expect(single.workers).toBe(0);
    expect(warnings).toEqual([expect.stringMatching(/single-threaded build.*trains inline on the calling thread, not on 2 workers/)]);
    const threaded = await model({ workers: 2 });
    await single.fit(DATA.x, DATA.y, { epochs: 5 });
    await threaded.fit(DATA.x, DATA.y, { epochs: 5 });
    expect(weightsHash(single)).toBe(weightsHash(threaded));
  });

  it('repeated fit() calls on workers continue the step, the epoch and the data order', async () => {
    const a = await model({ workers: 2 }), b = await model({ workers: 0 });
    await a.fit(DATA.x, DATA.y, { epochs: 1 });
    await a.fit(DATA.x, DATA.y, { epochs: 2 });
    await b.fit(DATA.x, DATA.y, { epochs: 3 });
    expect(a.step).toBe(36);
    expect(weightsHash(a)).toBe(weightsHash(b));
  });

  it('fit({ steps }) stops after exactly that many steps, mid-epoch, inline and on workers alike', async () => {
    const a = await model({ workers: 2 }), b = await model({ workers: 0 });
    const ha = await a.fit(DATA.x, DATA.y, { steps: 30 }); // 12 steps per epoch: 2 epochs and 6 steps
    const hb = await b.fit(DATA.x, DATA.y, { steps: 30 });
    expect([a.step, b.step]).toEqual([30, 30]);
    expect(ha.epochs.map((e) => e.complete)).toEqual([true, true, false]);
    expect(ha.aborted).toBe(false);
    expect(weightsHash(a)).toBe(weightsHash(b));
    expect((await a.fit(DATA.x, DATA.y, { steps: 0 })).steps).toBe(30);
    // The cut epoch continues: 30 + 13 steps on 2 workers, then 43 in one call, inline, are the same bits.
    const more = await a.fit(DATA.x, DATA.y, { steps: 13 });
    expect(more.epochs.map((e) => [e.epoch, e.fromBatch, e.complete])).toEqual([[2, 6, true], [3, 0, false]]);
    const c = await model({ workers: 0 });
    await c.fit(DATA.x, DATA.y, { steps: 43 });
    expect(weightsHash(a)).toBe(weightsHash(c));
    await expect(a.fit(DATA.x, DATA.y, { steps: -1 })).rejects.toThrow(/fit: steps is -1 \(need an integer >= 0\)/);
  });

  it('hundreds of back-to-back one-step fits on 2 and 4 workers keep the bits (the end-of-run handshake)', async () => {
    const d = blobs(64, 21);
    const spec = mlp({ inputs: 8, hidden: [16, 16], outputs: 4 });
    const make = (workers: number) => createModel(spec, { batchSize: 16, seed: 3, workers, optimizer: NOISY() }).then((m) => { models.push(m); return m; });
    const [inline, two, four] = await Promise.all([make(0), make(2), make(4)]);
    for (let i = 0; i < 150; i++) {
      for (const m of [inline, two, four]) await m.fit(d.x, d.y, { steps: 1, shuffle: false });
    }
    expect([two.step, four.step]).toEqual([150, 150]);
    expect(weightsHash(two)).toBe(weightsHash(inline));
    expect(weightsHash(four)).toBe(weightsHash(inline));
  });

  it('per-epoch validation sees the weights after every worker\'s last update (the same figures for 0, 2 and 4 workers)', async () => {
    // Wide layers make a step's pass 2 long enough that, without the sync before validation, a follower
    // would still be updating parameters while the leader evaluates (4 workers on 2 cores shows it).
    const r = lcg(5), n = 400, m = 1000;
    const x = new Float32Array(n * 784).map(() => r()), y = new Uint8Array(n).map(() => Math.floor((r() + 1) * 5));
    const vx = new Float32Array(m * 784).map(() => r()), vy = new Uint8Array(m).map(() => Math.floor((r() + 1) * 5));
    const spec = mlp({ inputs: 784, hidden: [256, 256, 256], outputs: 10 });
    const figures: number[][][] = [];
    for (const workers of [0, 2, 4]) {
      const mdl = await createModel(spec, { batchSize: 40, seed: 8, workers, optimizer: NOISY() });
      models.push(mdl);
      const seen: number[][] = [];
      await mdl.fit(x, y, { epochs: 12, validation: { x: vx, y: vy }, onEpoch: (e) => seen.push([e.validation!.loss, e.validation!.accuracy]) });
      figures.push(seen);
    }
    expect(figures[1]).toEqual(figures[0]);
    expect(figures[2]).toEqual(figures[0]);
  });

  it('hundreds of one-step epochs with validation after each on 2 and 4 workers: no hang, the bits and figures of inline', async () => {
    // Every epoch ends with a sync (validation) right before the next step's command: a follower slow to
    // wake from the sync must still see the sync, not the next step (4 workers on 2 cores makes slow wakes common).
    const d = blobs(16, 31), v = blobs(12, 32);
    const spec = mlp({ inputs: 8, hidden: [16, 16], outputs: 4 });
    const run = async (workers: number) => {
      const m = await createModel(spec, { batchSize: 16, seed: 5, workers, optimizer: NOISY() });
      models.push(m);
      const figures: number[] = [];
      await m.fit(d.x, d.y, { epochs: 300, validation: v, onEpoch: (e) => figures.push(e.validation!.loss) });
      return { hash: weightsHash(m), figures };
    };
    const inline = await run(0);
    for (const workers of [2, 4]) expect(await run(workers)).toEqual(inline);
  }, 60_000);

  it('fit({ steps }) that ends mid-epoch, with an abort right at its last step, is not aborted', async () => {
    for (const workers of [0, 2]) {
      const m = await model({ workers });
      const ac = new AbortController();
      const h = await m.fit(DATA.x, DATA.y, { steps: 5, signal: ac.signal, onStep: (s) => { if (s.step === 5) ac.abort(); } });
      expect([workers, h.aborted, h.steps]).toEqual([workers, false, 5]);
    }
  });

  it('the shard count is part of the contract: other shards, other bits (and the same bits for any workers again)', async () => {
    const four = await model({ workers: 2 });
    const two = await model({ workers: 2, shards: 2 }), twoInline = await model({ workers: 0, shards: 2 });
    for (const m of [four, two, twoInline]) await m.fit(DATA.x, DATA.y, { epochs: 1 });
    expect(weightsHash(two)).not.toBe(weightsHash(four));
    expect(weightsHash(two)).toBe(weightsHash(twoInline));
  });
});

describe('lifecycle', () => {
  it('a worker that throws mid-run rejects the run with its error within seconds, and the next fit starts fresh workers', async () => {
    const m = await model({ workers: 3 });
    (globalThis as Record<symbol, unknown>)[FAULT_HOOK] = { worker: 2, step: 7, kind: 'throw' };
    const t0 = performance.now();
    const err = await m.fit(DATA.x, DATA.y, { epochs: 5 }).then(() => null, (e: Error) => e);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(err?.message).toMatch(/worker 2: injected fault in worker 2 at step 7/);
    expect(m.step).toBe(7);
    delete (globalThis as Record<symbol, unknown>)[FAULT_HOOK];
    // The fresh workers finish the cut epoch: its 5 batches after the 7 taken.
    const h = await m.fit(DATA.x, DATA.y, { epochs: 1 });
    expect([h.steps, h.epochs[0]!.fromBatch, h.epochs[0]!.complete]).toEqual([12, 7, true]);
  });

  it('a worker that dies (process.exit inside it) rejects the run, naming the worker and its exit code', async () => {
    const m = await model({ workers: 2 });
    (globalThis as Record<symbol, unknown>)[FAULT_HOOK] = { worker: 1, step: 3, kind: 'exit' };
    const t0 = performance.now();
    await expect(m.fit(DATA.x, DATA.y, { epochs: 5 })).rejects.toThrow(/worker 1 exited \(code 3\) during training, at step 3/);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('the leader failing rejects too (the followers are released, not left waiting)', async () => {
    const m = await model({ workers: 2 });
    (globalThis as Record<symbol, unknown>)[FAULT_HOOK] = { worker: 0, step: 5, kind: 'throw' };
    await expect(m.fit(DATA.x, DATA.y, { epochs: 5 })).rejects.toThrow(/injected fault in worker 0 at step 5/);
  });

  it('the watchdog: a stuck worker (a deadlock) no longer hangs fit() forever once it is aborted', async () => {
    const m = await model({ workers: 2 });
    (globalThis as Record<symbol, unknown>)[FAULT_HOOK] = { worker: 1, step: 3, kind: 'hang', abortGraceMs: 500 };
    const ac = new AbortController();
    const t0 = performance.now();
    const run = m.fit(DATA.x, DATA.y, { epochs: 5, signal: ac.signal }).then(() => null, (e: Error) => e);
    setTimeout(() => ac.abort(), 1000);
    const err = await run;
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(err?.message).toBe('gradnoise: fit() did not stop within 0.5 s of its abort, at step 3: a worker is stuck. ' +
      'Its workers were ended (the next fit() starts new ones); the parameters may hold a partial step, so load the last checkpoint.');
    delete (globalThis as Record<symbol, unknown>)[FAULT_HOOK];
    const h = await m.fit(DATA.x, DATA.y, { steps: 2 });
    expect(h.steps).toBe(5);
  });

  it('abort stops at a step boundary with the weights of exactly that many steps', async () => {
    const m = await model({ workers: 2 });
    const ac = new AbortController();
    let seen = 0;
    const h = await m.fit(DATA.x, DATA.y, { epochs: 50, signal: ac.signal, onStep: () => { if (++seen === 20) ac.abort(); } });
    expect(h.aborted).toBe(true);
    const k = m.step;
    expect(k).toBeGreaterThanOrEqual(20);
    expect(k).toBeLessThan(600);
    // The same number of steps inline, stopped exactly there, gives the same bits.
    const ref = await model({ workers: 0 });
    const ac2 = new AbortController();
    await ref.fit(DATA.x, DATA.y, { epochs: 50, signal: ac2.signal, onStep: (s) => { if (s.step === k) ac2.abort(); } });
    expect(ref.step).toBe(k);
    expect(weightsHash(m)).toBe(weightsHash(ref));
  });

  it('an already aborted signal trains nothing', async () => {
    const m = await model({ workers: 2 });
    const h = await m.fit(DATA.x, DATA.y, { epochs: 3, signal: AbortSignal.abort() });
    expect([h.aborted, h.steps, h.epochs.length]).toEqual([true, 0, 0]);
  });

  it('a non-finite gradient on workers rejects with NonFiniteError naming the step, and the workers stay usable', async () => {
    const m = await model({ workers: 2, optimizer: sgd({ lr: 1e30 }) });
    const err = await m.fit(DATA.x, DATA.y, { epochs: 2 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as NonFiniteError).message).toMatch(/^fit: (the loss is|step \d+: the gradient of)/);
    const skipped = await m.fit(DATA.x, DATA.y, { epochs: 1, nonFinite: 'skip' });
    expect(skipped.skippedSteps).toBeGreaterThan(0);
  });

  it('while workers train, the model refuses calls that touch its memory, and says why', async () => {
    const m = await model({ workers: 2 });
    const run = m.fit(DATA.x, DATA.y, { epochs: 1 });
    expect(() => m.getParam('dense_0/bias')).toThrow(/getParam: the model is training \(fit\(\) in progress on workers\); await it first/);
    expect(() => m.predict(DATA.x.subarray(0, 784))).toThrow(/predict: the model is training/);
    await expect(m.fit(DATA.x, DATA.y)).rejects.toThrow(/fit: the model is training/);
    await run;
    expect(m.getParam('dense_0/bias')).toHaveLength(32);
  });

  it('dispose() right after the first fit() starts (before its workers exist) stops it too', async () => {
    const m = await model({ workers: 2 });
    const run = m.fit(DATA.x, DATA.y, { epochs: 3 }).then(() => null, (e: Error) => e);
    await m.dispose();
    expect((await run)?.message).toMatch(/disposed/);
    expect(m.step).toBe(0);
  });

  it('an abort that arrives after the last step cuts nothing: the run is complete, not aborted', async () => {
    const m = await model({ workers: 0 });
    const ac = new AbortController();
    const h = await m.fit(DATA.x, DATA.y, { epochs: 1, signal: ac.signal, onStep: (s) => { if (s.step === 12) ac.abort(); } });
    expect([h.aborted, h.steps, h.epochs[0]!.complete]).toEqual([false, 12, true]);
  });

  it('dispose() during a run rejects it and ends every worker', async () => {
    const m = await model({ workers: 2 });
    // Disposed once the run has really started (its first step reported), or, on a machine too busy to get
    // that far in a second, while its workers start: the same error either way.
    let started!: () => void;
    const first = new Promise<void>((r) => { started = r; });
    const run = m.fit(DATA.x, DATA.y, { epochs: 100, onStep: () => started() }).then(() => null, (e: Error) => e);
    await Promise.race([first, new Promise((r) => setTimeout(r, 1000))]);
    await m.dispose();
    expect((await run)?.message).toMatch(/disposed during fit/);
    expect(() => m.getParam('dense_0/bias')).toThrow(/disposed/);
  });

  // A fresh Node process per case: it must exit on its own, with and without dispose().
  const script = (dispose: boolean) => `
    import { createModel, mlp } from ${JSON.stringify(`${ROOT}dist/src/index.js`)};
    const m = await createModel(mlp({ inputs: 8, hidden: [16], outputs: 4 }), { batchSize: 8, workers: 2 });
    const x = new Float32Array(64 * 8).fill(0.5), y = new Uint8Array(64);
    const h = await m.fit(x, y, { epochs: 3 });
    ${dispose ? 'await m.dispose();' : ''}
    console.log('trained', h.steps);
  `;
  it.each([true, false])('a finished run never keeps the Node process alive (dispose: %s)', async (dispose) => {
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script(dispose)], { timeout: 20_000 }, (e, stdout, stderr) => {
        if (e) reject(new Error(`${e.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    expect(out.trim()).toBe('trained 24');
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});

describe('fallbacks and options', () => {
  it('without SharedArrayBuffer the default build is single, fit() runs inline with a notice, and the bits are the same', async () => {
    const probe = `
      delete globalThis.SharedArrayBuffer;
      const { createModel, paperNet, chain, clipByGlobalNorm, addNoise, sgd } = await import(${JSON.stringify(`${ROOT}dist/src/index.js`)});
      const { createHash } = await import('node:crypto');
      const notes = [];
      const m = await createModel(paperNet('he', { depth: 3, width: 16 }), { batchSize: 20, seed: 9, onWarning: (w) => notes.push(w),
        optimizer: chain(clipByGlobalNorm(1), addNoise({ eta: 0.01 }), sgd({ lr: 0.05 })) });
      const x = new Float32Array(100 * 784).map((_, i) => (i * 7919 % 255) / 255), y = new Uint8Array(100).map((_, i) => i % 10);
      await m.fit(x, y, { epochs: 3 });
      const hash = (model) => {
        const h = createHash('sha256');
        for (const w of model.getWeights().values()) h.update(new Uint8Array(w.buffer));
        return h.digest('hex');
      };
      // Prepared data is a snapshot here too (a plain copy without shared memory).
      const m2 = await createModel(paperNet('he', { depth: 3, width: 16 }), { batchSize: 20, seed: 9, onWarning: () => {},
        optimizer: chain(clipByGlobalNorm(1), addNoise({ eta: 0.01 }), sgd({ lr: 0.05 })) });
      const x2 = x.slice(), data = m2.prepare(x2, y);
      x2.fill(NaN);
      await m2.fit(data, { epochs: 3 });
      console.log(JSON.stringify({ build: m.build, workers: m.workers, notes, hash: hash(m), prepared: hash(m2) }));
    `;
    const run = (code: string) => new Promise<{ build: string; workers: number; notes: string[]; hash: string; prepared: string }>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', code], { timeout: 30_000 }, (e, stdout, stderr) => {
        if (e) reject(new Error(`${e.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
      });
    });
    const without = await run(probe);
    const withSab = await run(probe.replace('delete globalThis.SharedArrayBuffer;', ''));
    expect(without.build).toBe('single');
    expect(without.workers).toBe(0);
    expect(without.notes).toEqual([`gradnoise: this runtime (node ${process.versions.node}) has no SharedArrayBuffer; fit() trains inline on the calling thread, not on worker threads. The results are the same bits.`]);
    // workers: 'auto', the default: a worker per core, at most the shards (4)
    expect([withSab.build, withSab.workers, withSab.notes]).toEqual(['threads', Math.min(4, availableParallelism()), []]);
    expect(without.hash).toBe(withSab.hash);
    expect([without.prepared, withSab.prepared]).toEqual([without.hash, without.hash]);
  });

  it('an unfusable update trains inline and says so in its one warning', async () => {
    const warnings: string[] = [];
    const m = await createModel(mlp({ inputs: 8, hidden: [8], outputs: 4 }), {
      workers: 2, onWarning: (w) => warnings.push(w), optimizer: chain(addNoise({ eta: 0.1 }), addNoise({ eta: 0.1 }), sgd({ lr: 0.1 })),
    });
    models.push(m);
    expect(m.workers).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/reference path; fit\(\) trains inline on the calling thread, not on 2 workers$/);
  });

  it('names a bad workers or shards option', async () => {
    const spec = mlp({ inputs: 4, hidden: [4], outputs: 2 });
    await expect(createModel(spec, { workers: 5 })).rejects.toThrow(/createModel: workers is 5 \(need an integer from 0 to 4\)/);
    await expect(createModel(spec, { workers: 1.5 })).rejects.toThrow(/createModel: workers is 1.5/);
    await expect(createModel(spec, { shards: 0 })).rejects.toThrow(/createModel: shards is 0 \(need an integer from 1 to 64\)/);
    await expect(createModel(spec, { shards: 8, workers: 8 }).then((m) => { models.push(m); return m.workers; })).resolves.toBe(8);
  });
});

describe('the caller stays responsive while workers train', () => {
  it('timers keep firing and progress events arrive during the run', async () => {
    const d = blobs(4000, 3);
    const m = await createModel(mlp({ inputs: 8, hidden: [256, 256], outputs: 4 }), { batchSize: 64, workers: 2 });
    models.push(m);
    let last = performance.now(), worstGap = 0, ticks = 0;
    const timer = setInterval(() => { const now = performance.now(); worstGap = Math.max(worstGap, now - last); last = now; ticks++; }, 5);
    let stepsDuringRun = 0, settled = false;
    const run = m.fit(d.x, d.y, { epochs: 6, onStep: () => { if (!settled) stepsDuringRun++; } }).finally(() => { settled = true; });
    const h = await run;
    clearInterval(timer);
    expect(h.steps).toBe(6 * 63);
    expect(stepsDuringRun).toBe(h.steps);
    expect(ticks).toBeGreaterThan(10);
    // The caller's thread never waits for a step: a 5 ms timer is late by far less than a 100 ms stall.
    expect(worstGap).toBeLessThan(100);
  });
});
