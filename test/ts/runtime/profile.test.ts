// fit({ profile }) (runtime/trace.ts): a Chrome trace of the profiled steps, one track per thread. The
// contract: the trace is valid trace event JSON (it survives JSON.stringify and parse), every thread that
// worked has a named track with its steps, shards, ops, update passes (and, on workers, barriers), spans on
// a track nest properly (each inside its parent, never straddling it), the window decides which steps are
// recorded, and profiling changes no bit.
import { afterEach, describe, expect, it } from 'vitest';
import { addNoise, chain, clipByGlobalNorm, createModel, dense, sgd, type Model, type ModelSpec } from '../../../src/index.js';
import { toTrace, type Trace, type TraceEvent } from '../../../src/runtime/trace.js';
import { lcg, weightsHash } from '../helpers.js';

const SPEC: ModelSpec = {
  inputs: 64, layers: [dense(32, { activation: 'relu' }), dense(32, { activation: 'relu' }), dense(10)], loss: 'softmaxCrossEntropy',
};
const DATA = (() => {
  const r = lcg(3), n = 400;
  return { x: new Float32Array(n * 64).map(() => r()), y: new Uint8Array(n).map(() => Math.floor((r() + 1) * 5)) };
})();
const OPT = () => chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.05 }));

const models: Model[] = [];
afterEach(async () => { await Promise.all(models.splice(0).map((m) => m.dispose())); });
async function model(workers: number): Promise<Model> {
  const m = await createModel(SPEC, { batchSize: 40, seed: 5, optimizer: OPT(), workers, shards: 4 });
  models.push(m);
  return m;
}

const spans = (t: Trace) => t.traceEvents.filter((e) => e.ph === 'X');
const trackNames = (t: Trace) => new Map(t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args!.name as string]));

/** Every track's spans form a proper tree: sorted by start, each one ends within the spans still open around it. */
function expectNested(t: Trace): void {
  const byTid = new Map<number, TraceEvent[]>();
  for (const e of spans(t)) byTid.set(e.tid, [...(byTid.get(e.tid) ?? []), e]);
  for (const [tid, list] of byTid) {
    const open: TraceEvent[] = [];
    for (const e of list) {
      expect(e.dur!).toBeGreaterThanOrEqual(0);
      // Times are rounded to nanoseconds: allow that much either way.
      while (open.length && open[open.length - 1]!.ts! + open[open.length - 1]!.dur! <= e.ts! + 0.002) open.pop();
      const parent = open[open.length - 1];
      if (parent) expect(e.ts! + e.dur!, `${tid}: ${e.name} straddles ${parent.name}`).toBeLessThanOrEqual(parent.ts! + parent.dur! + 0.002);
      open.push(e);
    }
  }
}

describe('fit({ profile })', () => {
  it('inline: a valid trace of the window\'s steps, nested, with the same bits as without it', async () => {
    const plain = await model(0);
    await plain.fit(DATA.x, DATA.y, { epochs: 2 });
    expect(plain.fit(DATA.x, DATA.y, { steps: 0 }).then((h) => h.profile)).resolves.toBeUndefined();

    const profiled = await model(0);
    const h = await profiled.fit(DATA.x, DATA.y, { epochs: 2, profile: { from: 3, steps: 5 } });
    expect(weightsHash(profiled)).toBe(weightsHash(plain));
    const t = JSON.parse(JSON.stringify(h.profile)) as Trace;
    expect(t.displayTimeUnit).toBe('ms');
    expect(trackNames(t).get(1)).toBe('calling thread (inline training)');
    const mine = spans(t).filter((e) => e.tid === 1);
    expect(mine.filter((e) => e.cat === 'step')).toHaveLength(5);
    expect(t.otherData).toMatchObject({ workers: 0, shards: 4, from: 3, steps: 5, recordedSteps: 5, droppedSpans: 0 });
    const names = new Set(mine.map((e) => `${e.cat}: ${e.name}`));
    for (const n of ['shard: shard 0', 'shard: shard 3', 'data: load shard 0', 'forward: dense_0 (dense)', 'backward: dense_2 (dense)',
      'loss: loss (softmaxCrossEntropy)', 'update: reduce shards', 'update: pass 1 (norm)', 'update: pass 2 (clip, noise, optimizer)']) {
      expect(names.has(n), n).toBe(true);
    }
    // Per step: 4 shards of 3 dense forward + 3 backward + 1 loss, and the phases around them.
    expect(mine.filter((e) => e.cat === 'forward')).toHaveLength(5 * 4 * 3);
    expectNested(t);
  });

  it('on 2 workers: one track per worker, each with its shards, barriers and update units; the same bits', async () => {
    const plain = await model(2);
    await plain.fit(DATA.x, DATA.y, { epochs: 2 });
    const profiled = await model(2);
    const h = await profiled.fit(DATA.x, DATA.y, { epochs: 2, profile: true });
    expect(weightsHash(profiled)).toBe(weightsHash(plain));
    const t = JSON.parse(JSON.stringify(h.profile)) as Trace;
    expect([...trackNames(t)].sort()).toEqual([[1, 'worker 0 (leader: training loop)'], [2, 'worker 1']]);
    for (const [tid, shards] of [[1, ['shard 0', 'shard 2']], [2, ['shard 1', 'shard 3']]] as const) {
      const mine = spans(t).filter((e) => e.tid === tid);
      expect(mine.filter((e) => e.cat === 'step')).toHaveLength(20); // 2 epochs of 10 steps, all in the default window
      expect([...new Set(mine.filter((e) => e.cat === 'shard').map((e) => e.name))].sort()).toEqual(shards);
      expect(mine.some((e) => e.cat === 'barrier')).toBe(true);
      expect(mine.some((e) => e.name === 'reduce shards + pass 1 (norm)')).toBe(true);
      expect(mine.some((e) => e.name === 'pass 2 (clip, noise, optimizer)')).toBe(true);
    }
    expect(t.otherData).toMatchObject({ workers: 2, shards: 4, recordedSteps: 20 });
    expectNested(t);
  });

  it('records nothing outside its window, and checks the option', async () => {
    const m = await model(0);
    const h = await m.fit(DATA.x, DATA.y, { epochs: 1, profile: { from: 50 } });
    expect(spans(h.profile!)).toHaveLength(0);
    expect(h.profile!.otherData.recordedSteps).toBe(0);
    await expect(m.fit(DATA.x, DATA.y, { profile: 5 as never })).rejects.toThrow(/^fit: profile is 5 \(need true, false or \{ from, steps \}\)$/);
    await expect(m.fit(DATA.x, DATA.y, { profile: { steps: 0 } })).rejects.toThrow(/^fit: profile: steps is 0 \(need an integer from 1 up\)$/);
    await expect(m.fit(DATA.x, DATA.y, { profile: { form: 1 } as never })).rejects.toThrow(/^fit: profile: unknown option "form" \(allowed: from, steps\); did you mean from\?$/);
  });

  it('toTrace puts every thread on the host\'s time axis', () => {
    const rec = { names: ['a', 'b'], cats: ['x', 'y'], data: Float64Array.of(0, 10, 20, 1, 12, 15), origin: performance.timeOrigin + 1, dropped: 2 };
    const t = toTrace([{ tid: 7, label: 'seven', record: rec }]);
    expect(spans(t).map((e) => [e.name, e.cat, e.ts, e.dur, e.tid])).toEqual([['a', 'x', 11000, 10000, 7], ['b', 'y', 13000, 3000, 7]]);
    expect(t.otherData.droppedSpans).toBe(2);
  });
});
