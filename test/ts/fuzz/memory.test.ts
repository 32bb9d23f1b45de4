// test/ts/fuzz/memory.test.ts
// Memory stays flat. (a) One small model trained for many epochs inline (workers: 0): after a forced GC
// the JS heap at epoch 60 is within a small bound of the heap at epoch 10, and the wasm memory
// (model.memoryBytes, sized once by planLayout) never changes; the same across many separate fit(),
// trainOnBatch(), evaluate(), predict() calls and checkpoint round trips. (b) Many create / fit / dispose cycles, inline and on
// 2 workers: heapUsed, rss, external and arrayBuffers after GC at an early cycle and at the end are within
// bounds, a disposed model is garbage-collected (WeakRef), and no worker thread is left running.
//
// WebAssembly memories are released only when their model is collected, hence the forced GCs (gc is
// exposed at run time: v8.setFlagsFromString('--expose-gc') then vm.runInNewContext('gc')).
//
// Bounds: the measured growth on this machine is printed with every run (console.log) so the margins can be
// checked; each bound has several times the observed noise as headroom, yet is far below what a per-step
// or per-model leak would add over the run (see the comment at each bound).

import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  addNoise, adam, chain, clipByGlobalNorm, createModel, dense, dropout, sgd, type Model, type ModelSpec,
} from '../../../src/index.js';
import { lcg } from '../helpers.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const MiB = 1 << 20;

interface Snapshot { heapUsed: number; rss: number; external: number; arrayBuffers: number }

/** Several full GCs with turns of the event loop between them (finalizers, worker exits), then a reading. */
async function settle(): Promise<Snapshot> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  return { heapUsed, rss, external, arrayBuffers };
}

/** The same, synchronous (for onEpoch, inside a running fit()). */
function settleSync(): Snapshot {
  for (let i = 0; i < 3; i++) gc();
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  return { heapUsed, rss, external, arrayBuffers };
}

const diff = (a: Snapshot, b: Snapshot): Snapshot => ({
  heapUsed: b.heapUsed - a.heapUsed, rss: b.rss - a.rss, external: b.external - a.external, arrayBuffers: b.arrayBuffers - a.arrayBuffers,
});
const show = (d: Snapshot): string =>
  Object.entries(d).map(([k, v]) => `${k} ${(v / MiB >= 0 ? '+' : '')}${(v / MiB).toFixed(3)} MiB`).join(', ');

const report: string[] = [];
afterAll(() => console.log(`memory figures:\n  ${report.join('\n  ')}`));

// 16 -> 32 relu -> dropout -> 32 relu -> 4 softmax, a clipped, noisy Adam: every kernel and the fused update.
const SPEC: ModelSpec = {
  inputs: 16,
  layers: [dense(32, { activation: 'relu' }), dropout(0.1), dense(32, { activation: 'relu' }), dense(4)],
  loss: 'softmaxCrossEntropy',
};
const optimizer = () => chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), adam({ lr: 1e-3 }));

function data(n: number, seed: number): { x: Float32Array; y: Uint8Array } {
  const r = lcg(seed);
  return { x: new Float32Array(n * 16).map(() => r()), y: new Uint8Array(n).map(() => Math.floor((r() + 1) * 2)) };
}

describe('one model trained for many epochs inline (workers: 0)', () => {
  it('one fit() of 60 epochs on 512 examples: flat heap between epoch 10 and 60, constant wasm memory', async () => {
    const model = await createModel(SPEC, { workers: 0, batchSize: 32, seed: 1, optimizer: optimizer() });
    try {
      const { x, y } = data(512, 3);
      const bytes = model.memoryBytes;
      const at = new Map<number, Snapshot>();
      const wasm: number[] = [];
      await model.fit(x, y, {
        epochs: 60,
        onEpoch: (e) => {
          wasm.push(model.memoryBytes);
          if ((e.epoch + 1) % 10 === 0) at.set(e.epoch + 1, settleSync());
        },
      });
      expect(model.step).toBe(60 * 16);
      expect(new Set(wasm)).toEqual(new Set([bytes]));
      const d = diff(at.get(10)!, at.get(60)!);
      report.push(`one fit, epochs 10 -> 60 (800 steps; wasm memory ${(bytes / MiB).toFixed(2)} MiB, constant): ${show(d)}`);
      report.push(`  heapUsed at epochs 10..60: ${[...at.values()].map((s) => (s.heapUsed / MiB).toFixed(3)).join(', ')} MiB`);
      // A leak of one 64-float array per step would add 800 * ~300 B = 240 KiB; of the batch (32 x 16 f32), 1.6 MiB.
      expect(d.heapUsed).toBeLessThan(512 * 1024);
      expect(d.arrayBuffers).toBeLessThan(256 * 1024);
    } finally {
      await model.dispose();
    }
  });

  it('60 separate fit() calls, and many trainOnBatch, evaluate and predict calls: flat heap, constant wasm memory', async () => {
    const model = await createModel(SPEC, { workers: 0, batchSize: 32, seed: 2, optimizer: optimizer() });
    try {
      const { x, y } = data(512, 4);
      const bytes = model.memoryBytes;
      let s10: Snapshot | null = null;
      for (let e = 1; e <= 60; e++) {
        await model.fit(x, y, { epochs: 1 });
        expect(model.memoryBytes).toBe(bytes);
        if (e === 10) s10 = await settle();
      }
      const s60 = await settle();
      const d = diff(s10!, s60);
      report.push(`60 fit() calls, call 10 -> 60: ${show(d)}`);
      expect(d.heapUsed).toBeLessThan(512 * 1024);
      expect(d.arrayBuffers).toBeLessThan(256 * 1024);

      const xb = x.subarray(0, 32 * 16), yb = y.subarray(0, 32);
      const calls = async (n: number) => {
        for (let i = 0; i < n; i++) {
          model.trainOnBatch(xb, yb);
          model.computeGradients(xb, yb);
          model.getGrad(model.paramNames[0]!);
          model.evaluate(x, y);
          model.predict(x);
          model.getWeights();
        }
      };
      await calls(100);
      const c100 = await settle();
      await calls(500);
      const c600 = await settle();
      const dc = diff(c100, c600);
      report.push(`500 x (trainOnBatch, computeGradients, getGrad, evaluate, predict, getWeights): ${show(dc)}`);
      // Each round allocates ~40 KiB of results (predict's 8 KiB, the weights, the staged copies): a leak of
      // any of them over 500 rounds is > 4 MiB.
      expect(dc.heapUsed).toBeLessThan(512 * 1024);
      expect(dc.arrayBuffers).toBeLessThan(512 * 1024);
      expect(model.memoryBytes).toBe(bytes);

      // Checkpoints: 300 toBytes + loadBytes round trips (each file ~16 KiB, copied twice on decode).
      const roundTrips = (n: number) => { for (let i = 0; i < n; i++) model.loadBytes(model.toBytes()); };
      roundTrips(50);
      const k50 = await settle();
      roundTrips(300);
      const k350 = await settle();
      const dk = diff(k50, k350);
      report.push(`300 checkpoint round trips (toBytes + loadBytes): ${show(dk)}`);
      // A leak of one file per round trip would be 300 x 16 KiB = 4.7 MiB.
      expect(dk.heapUsed).toBeLessThan(512 * 1024);
      expect(dk.arrayBuffers).toBeLessThan(512 * 1024);
      expect(model.memoryBytes).toBe(bytes);
    } finally {
      await model.dispose();
    }
  });
});

describe('many create / fit / dispose cycles', () => {
  /**
   * One cycle in its own function: a suspended async frame keeps its dead registers, so a model held in the
   * loop's own frame would stay reachable (the last one, always) and hide whether dispose() lets go.
   */
  async function cycle(c: number, workers: number, x: Float32Array, y: Uint8Array): Promise<{ ref: WeakRef<Model>; bytes: number }> {
    // A full batch of 1024 touches the whole arena, so a leaked memory would show in rss; one
    // inline model in three runs on the single-threaded build, whose (unshared) memory counts in `external`.
    const build = workers === 0 && c % 3 === 0 ? 'single' : 'threads';
    const model = await createModel(SPEC, { workers, build, batchSize: 1024, seed: c, optimizer: c % 2 ? optimizer() : sgd({ lr: 0.05, momentum: 0.9 }) });
    expect(model.workers).toBe(workers);
    await model.fit(x, y, { epochs: 2 });
    await model.dispose();
    return { ref: new WeakRef(model), bytes: model.memoryBytes };
  }

  /** Runs `n` create/fit/dispose cycles, snapshotting after cycle `early`; returns the drift and how many models survive GC. */
  async function cycles(n: number, early: number, workers: number, label: string) {
    const { x, y } = data(1024, 5);
    let first: Snapshot | null = null;
    const refs: WeakRef<Model>[] = [];
    let memoryBytes = 0;
    for (let c = 1; c <= n; c++) {
      const r = await cycle(c, workers, x, y);
      refs.push(r.ref);
      memoryBytes = r.bytes;
      if (c === early) first = await settle();
    }
    const last = await settle();
    const d = diff(first!, last);
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    report.push(`${label}: ${n} cycles (model wasm memory ${(memoryBytes / MiB).toFixed(2)} MiB each), cycle ${early} -> ${n}: ${show(d)}; ${alive} of ${n} models still reachable after GC`);
    return { d, alive, memoryBytes };
  }

  it('150 cycles inline (workers: 0): flat heap, rss, external and arrayBuffers; every disposed model is collected', async () => {
    const { d, alive, memoryBytes } = await cycles(150, 20, 0, 'inline');
    expect(alive).toBe(0);
    expect(d.heapUsed).toBeLessThan(1 * MiB);
    expect(d.arrayBuffers).toBeLessThan(1 * MiB);
    // One model in three runs on the single build, whose memory counts here: 43 leaked ones, > 50 MiB.
    expect(d.external).toBeLessThan(4 * MiB);
    // Measured +4 to +8 MiB of allocator noise; 130 leaked arenas of at least 1 MiB, all touched, would add > 130 MiB.
    expect(memoryBytes).toBeGreaterThanOrEqual(1 * MiB);
    expect(d.rss).toBeLessThan(32 * MiB);
  });

  it('15 cycles on 2 workers: flat, every model collected, no worker left running', async () => {
    // The workers are unref'd (they do not show in process.getActiveResourcesInfo()), so count OS threads:
    // each worker is one, and dispose() resolves once they have exited.
    const threads = (): number => {
      try { return Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN); } catch { return NaN; } // Linux only
    };
    const before = threads();
    const { d, alive, memoryBytes } = await cycles(15, 5, 2, '2 workers');
    expect(alive).toBe(0);
    if (Number.isFinite(before)) expect(threads()).toBeLessThanOrEqual(before);
    expect(d.heapUsed).toBeLessThan(1 * MiB);
    expect(d.arrayBuffers).toBeLessThan(1 * MiB);
    expect(d.external).toBeLessThan(4 * MiB);
    // Measured under +1 MiB; a leaked worker keeps its own isolate (~10 MiB of rss), so 10 leaked models
    // with their 2 workers each would add > 200 MiB.
    expect(memoryBytes).toBeGreaterThanOrEqual(1 * MiB);
    expect(d.rss).toBeLessThan(40 * MiB);
  });
});
