// Prepared data (model.prepare): checked and copied once, then trained on in many fit() calls. It must
// give the bits of fit(x, y) for any worker count and any cut into calls, be a snapshot of the arrays,
// carry the same checks, and refuse a model of another shape by name.
import { afterEach, describe, expect, it } from 'vitest';
import { addNoise, chain, clipByGlobalNorm, createModel, mlp, PreparedData, sgd, type Model } from '../../../src/index.js';
import { blobs, weightsHash } from '../helpers.js';

const SPEC = mlp({ inputs: 8, hidden: [16, 16], outputs: 4 });
const OPT = () => chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.05 }));
const DATA = blobs(400, 3), TEST = blobs(100, 4);
const models: Model[] = [];
const make = async (workers: number, spec = SPEC) => {
  const m = await createModel(spec, { batchSize: 32, seed: 5, optimizer: OPT(), workers, shards: 4 });
  models.push(m);
  return m;
};
afterEach(async () => { await Promise.all(models.splice(0).map((m) => m.dispose())); });

describe('model.prepare', () => {
  it('trains to the bits of fit(x, y), in one call or cut into several, inline and on 2 workers', async () => {
    const ref = await make(0);
    const history = await ref.fit(DATA.x, DATA.y, { steps: 30, validation: { x: TEST.x, y: TEST.y } });
    const want = weightsHash(ref);
    for (const workers of [0, 2]) {
      const m = await make(workers);
      const train = m.prepare(DATA.x, DATA.y), test = m.prepare(TEST.x, TEST.y);
      expect(train).toBeInstanceOf(PreparedData);
      expect(train.count).toBe(400);
      const parts = [];
      for (const steps of [7, 13, 10]) parts.push(await m.fit(train, { steps, validation: test }));
      expect(weightsHash(m), `${workers} workers`).toBe(want);
      // The two complete epochs' test figures (an epoch cut by the end of a call is tested when it completes).
      const tested = (epochs: readonly { complete: boolean; validation?: unknown }[]) => epochs.filter((e) => e.complete).map((e) => e.validation);
      expect(tested(parts.flatMap((h) => h.epochs))).toEqual(tested(history.epochs));
      expect(tested(history.epochs)).toHaveLength(2);
      expect(m.evaluate(test)).toEqual(ref.evaluate(TEST.x, TEST.y));
    }
  });

  it('can be made while fit() runs (it reads only the model\'s shape), not after dispose()', async () => {
    const m = await make(2);
    const running = m.fit(DATA.x, DATA.y, { steps: 30 });
    const next = m.prepare(TEST.x, TEST.y);
    await running;
    expect(m.evaluate(next)).toEqual(m.evaluate(TEST.x, TEST.y));
    await m.dispose();
    expect(() => m.prepare(TEST.x, TEST.y)).toThrow(/^prepare: the model has been disposed/);
  });

  it('is a snapshot: changing the arrays afterwards changes nothing in it', async () => {
    const ref = await make(2);
    await ref.fit(DATA.x, DATA.y, { steps: 20 });
    const m = await make(2);
    const x = DATA.x.slice(), y = DATA.y.slice();
    const train = m.prepare(x, y);
    x.fill(Number.NaN);
    y.fill(0);
    await m.fit(train, { steps: 20 });
    expect(weightsHash(m)).toBe(weightsHash(ref));
  });

  it('on workers, fit(prepared) copies nothing into shared memory, where fit(x, y) copies the examples every call', async () => {
    const m = await make(2);
    const train = m.prepare(DATA.x, DATA.y);
    await m.fit(train, { steps: 2 }); // the workers start
    const Real = globalThis.SharedArrayBuffer;
    let big = 0;
    globalThis.SharedArrayBuffer = new Proxy(Real, {
      construct(target, args: [number]) {
        if (args[0] >= DATA.x.byteLength) big++;
        return new target(...args);
      },
    });
    try {
      await m.fit(train, { steps: 3 });
      await m.fit(train, { steps: 3 });
      expect(big).toBe(0);
      await m.fit(DATA.x, DATA.y, { steps: 3 });
      expect(big).toBe(1);
    } finally {
      globalThis.SharedArrayBuffer = Real;
    }
  });

  it('copy: false trains from the arrays themselves inline (no snapshot), and copies only into shared memory for workers', async () => {
    const ref = await make(0);
    await ref.fit(DATA.x, DATA.y, { steps: 20 });
    for (const workers of [0, 2]) {
      const m = await make(workers);
      const x = DATA.x.slice();
      const train = m.prepare(x, DATA.y, { copy: false });
      x[0] = x[0]! + 1000; // after prepare: seen inline, not by the workers' shared copy
      await m.fit(train, { steps: 20 });
      if (workers === 0) expect(weightsHash(m)).not.toBe(weightsHash(ref));
      else expect(weightsHash(m)).toBe(weightsHash(ref));
    }
    const m = await make(0);
    expect(() => m.prepare(DATA.x, DATA.y, { copy: 'no' } as never)).toThrow(/^prepare: copy is "no" \(need true or false\)/);
    expect(() => m.prepare(DATA.x, DATA.y, { cpy: false } as never)).toThrow(/^prepare: .*cpy/);
  });

  it('checks what fit checks, once, and refuses a model of another shape by name', async () => {
    const m = await make(0);
    const bad = DATA.x.slice();
    bad[17] = Number.POSITIVE_INFINITY;
    expect(() => m.prepare(bad, DATA.y)).toThrow(/^prepare: x\[17\] is Infinity \(example 2, feature 1\): values must be finite/);
    expect(() => m.prepare(DATA.x, new Uint8Array(400).fill(4))).toThrow(/^prepare: y\[0\] is 4, labels must be 0\.\.3/);
    expect(() => m.prepare(DATA.x.subarray(0, 12), DATA.y)).toThrow(/^prepare: x\.length is 12, not a multiple of the model's 8 inputs/);
    const other = await make(0, mlp({ inputs: 8, hidden: [16], outputs: 3 }));
    const p = other.prepare(DATA.x, new Uint8Array(400));
    await expect(m.fit(p)).rejects.toThrow(/^fit: this PreparedData was made for a model with inputs x \[8\], y \[\] i32 \(labels 0..2\); this model has x \[8\], y \[\] i32 \(labels 0..3\)/);
    expect(() => m.evaluate(p)).toThrow(/^evaluate: this PreparedData was made for a model with inputs x \[8\], y \[\] i32 \(labels 0..2\)/);
    await expect(m.fit(m.prepare(DATA.x, DATA.y), { steps: 1, validation: p })).rejects.toThrow(/^fit validation: this PreparedData was made/);
    const mine = m.prepare(DATA.x, DATA.y);
    await expect(m.fit(mine, DATA.y as never, { steps: 1 } as never)).rejects.toThrow(/^fit: a PreparedData holds its labels; the options come second: fit\(data, options\)/);
    expect(() => m.evaluate(DATA.x as never)).toThrow(/^evaluate: y is missing/);
    expect(() => m.evaluate(mine, DATA.y as never)).toThrow(/^evaluate: a PreparedData holds its labels: evaluate\(data\), without y/);
    await expect(m.fit(mine, mine as never)).rejects.toThrow(/^fit: the second argument is a PreparedData: pass test data as fit\(data, \{ validation \}\)/);
    expect(() => new (PreparedData as unknown as new (...a: unknown[]) => unknown)(Symbol('x'), {}, {})).toThrow(/^PreparedData: made by model\.prepare\(x, y\)/);
  });
});
