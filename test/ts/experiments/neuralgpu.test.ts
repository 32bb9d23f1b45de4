// The Neural GPU (src/model/neuralgpu.ts) and one restart of its experiment (src/experiments/neuralgpu.ts,
// `gradnoise reproduce neuralgpu`): the released code's options reach the graph, configs are checked, a
// small Neural GPU learns to copy at length 4 and copies 5x longer inputs without an error, with the same
// weights on 0 and 2 workers, and the reproduce sweep resumes and replays a stored restart.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { neuralGpu } from '../../../src/model/neuralgpu.js';
import { lengthBin, resolveNeuralGpuConfig, runNeuralGpu, stepRatio } from '../../../src/experiments/neuralgpu.js';
import { seedHalves } from '../../../src/core/seed.js';
import { weightsSha256 } from '../../../src/runs/config.js';
import { createModel } from '../../../src/runtime/model.js';
import { OUTPUT_CLASSES, vocabSize } from '../../../src/tasks/algorithmic.js';
import { compileGraph } from '../../../src/graph/spec.js';
import { taskJobId } from '../../../src/sweeps/plan.js';
import { run, stopAll, tmp } from '../sweeps/helpers.js';

afterAll(stopAll);

describe('the Neural GPU graph', () => {
  const base = { width: 9, vocab: 5, classes: 3, maps: 4, height: 2 } as const;
  const cgrus = (g: ReturnType<typeof neuralGpu>) => g.nodes.filter((n) => n.op === 'cgru');

  it('takes the released code\'s gate cutoff and init scale as options, and leaves the default graph as it was', () => {
    const plain = neuralGpu(base);
    expect(cgrus(plain).every((n) => (n.attrs as { cutoff?: number }).cutoff === undefined)).toBe(true);
    const released = neuralGpu({ ...base, cutoff: 1.2, initScale: 1.8 });
    expect(cgrus(released).every((n) => (n.attrs as { cutoff?: number }).cutoff === 1.2)).toBe(true);
    // Uniform unit scaling: limit initScale * sqrt(3 / fan-in), fan-in 3 * 3 * maps.
    const limit = 1.8 * Math.sqrt(3 / (9 * 4));
    const gates = released.params.find((p) => p.name === 'cgru_0/gates')!;
    expect(gates.init).toEqual({ kind: 'uniform', low: -limit, high: limit });
    expect(plain.params.find((p) => p.name === 'cgru_0/gates')!.init).toBe('glorotUniform');
    expect(() => compileGraph(released)).not.toThrow();
  });

  it('takes diagonal gates as an option: a third of the maps move each way in every CGRU', () => {
    expect(cgrus(neuralGpu(base)).every((n) => (n.attrs as { diagonal?: number }).diagonal === undefined)).toBe(true);
    const g = neuralGpu({ ...base, maps: 7, diagonal: true });
    expect(cgrus(g).length).toBeGreaterThan(0);
    expect(cgrus(g).every((n) => (n.attrs as { diagonal?: number }).diagonal === 2)).toBe(true);
    expect(() => compileGraph(g)).not.toThrow();
  });

  it.each([
    [{ cutoff: 0.5 }, /neuralGpu: cutoff is 0\.5/],
    [{ maps: 2, diagonal: true }, /neuralGpu: diagonal gates need at least 3 maps \(a third move each way\), got maps 2/],
    [{ diagonal: 1 }, /neuralGpu: diagonal is 1/],
    [{ initScale: 0 }, /neuralGpu: initScale is 0/],
    [{ relax: 3, steps: 2 }, /neuralGpu: steps is 2, fewer than relax 3/],
  ])('%j is refused naming the field', (o, message) => {
    expect(() => neuralGpu({ ...base, ...o })).toThrow(message);
  });
});

describe('configs', () => {
  it.each([
    [{ cutoff: 0.9 }, /neuralgpu config: cutoff is 0\.9/],
    [{ diagonal: 'yes' }, /neuralgpu config: diagonal is "yes"/],
    [{ lrSchedule: 'linear' }, /lrSchedule is "linear"/],
    [{ adamEps: 0 }, /neuralgpu config: adamEps is 0/],
    [{ initScale: -1 }, /neuralgpu config: initScale is -1/],
    [{ task: 'sub' }, /neuralgpu config: task is "sub"/],
    [{ layout: 'stacked' }, /neuralgpu config: layout is "stacked"/],
    [{ maxStepRatio: 0 }, /neuralgpu config: maxStepRatio is 0/],
    [{ maxStepRatio: 1.5 }, /neuralgpu config: maxStepRatio is 1\.5/],
    [{ task: 'copy', layout: 'aligned' }, /neuralgpu config: layout is "aligned" \(need 'concat' for copy/],
    [{ stepz: 3 }, /stepz/],
  ])('%j is refused naming the field', (partial, message) => {
    expect(() => resolveNeuralGpuConfig(partial)).toThrow(message);
  });

  it('keeps the ids of restarts planned before the options: the committed records are still the default config\'s runs', () => {
    const lines = readFileSync('docs/experiments/neuralgpu/default-add.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; config: object });
    expect(lines.length).toBe(2);
    for (const r of lines) {
      const config = resolveNeuralGpuConfig(r.config);
      expect(taskJobId({ kind: 'neuralgpu', config }, 'neuralgpu')).toBe(r.id);
      // A new option away from its old value is a new run.
      expect(taskJobId({ kind: 'neuralgpu', config: { ...config, cutoff: 1.2 } }, 'neuralgpu')).not.toBe(r.id);
      expect(taskJobId({ kind: 'neuralgpu', config: { ...config, diagonal: true } }, 'neuralgpu')).not.toBe(r.id);
      expect(taskJobId({ kind: 'neuralgpu', config: { ...config, adamEps: 1e-4 } }, 'neuralgpu')).not.toBe(r.id);
      expect(taskJobId({ kind: 'neuralgpu', config: { ...config, initScale: 1 } }, 'neuralgpu')).not.toBe(r.id);
      expect(taskJobId({ kind: 'neuralgpu', config: { ...config, lengthGraphs: true } }, 'neuralgpu')).not.toBe(r.id);
      expect(taskJobId({ kind: 'neuralgpu', config: { ...config, lrSchedule: 'cosine' } }, 'neuralgpu')).not.toBe(r.id);
      expect(taskJobId({ kind: 'neuralgpu', config: { ...config, layout: 'aligned' } }, 'neuralgpu')).not.toBe(r.id);
      expect(taskJobId({ kind: 'neuralgpu', config: { ...config, maxStepRatio: 2 } }, 'neuralgpu')).not.toBe(r.id);
    }
  });

  it.each([
    ['add.jsonl', 100, { task: 'add', steps: 6000, lrSchedule: 'constant' }],
    ['add-eta.jsonl', 25, { task: 'add', steps: 6000, lrSchedule: 'constant', noise: { eta: 0.01, gamma: 0.55 } }],
    ['add-cosine.jsonl', 20, { task: 'add', steps: 20000, lrSchedule: 'cosine' }],
    ['add-maps24.jsonl', 10, { task: 'add', steps: 20000, lrSchedule: 'cosine', maps: 24, noise: null }],
    ['add-maps24-eta.jsonl', 10, { task: 'add', steps: 20000, lrSchedule: 'cosine', maps: 24, probeEvery: 5000, noise: { eta: 0.001, gamma: 0.55 } }],
    ['add-maps48.jsonl', 2, { task: 'add', steps: 20000, lrSchedule: 'cosine', maps: 48, probeEvery: 5000, noise: null }],
    ['add-diagonal.jsonl', 3, { task: 'add', steps: 20000, lrSchedule: 'cosine', maps: 12, diagonal: true, probeEvery: 5000, noise: null }],
    ['add-aligned-r3.jsonl', 20, { task: 'add', layout: 'aligned', maxStepRatio: 3, steps: 20000, lrSchedule: 'cosine', maps: 12, probeEvery: 5000, noise: null }],
    ['add-aligned-r3-eta.jsonl', 10, { task: 'add', layout: 'aligned', maxStepRatio: 3, steps: 20000, lrSchedule: 'cosine', maps: 12, probeEvery: 5000, noise: { eta: 0.001, gamma: 0.55 } }],
    ['add-aligned.jsonl', 10, { task: 'add', layout: 'aligned', maxStepRatio: 1, steps: 20000, lrSchedule: 'cosine', maps: 12, probeEvery: 5000, noise: null }],
    ['add-concat-r3.jsonl', 2, { task: 'add', layout: 'concat', maxStepRatio: 3, steps: 20000, lrSchedule: 'cosine', maps: 12, probeEvery: 5000, noise: null }],
    ['mul.jsonl', 100, { task: 'mul', steps: 6000, lrSchedule: 'constant' }],
  ] as const)('the committed restarts of docs/EXPERIMENTS.md in %s (%i) are the runs their configs plan: each id is its config\'s hash', (file, count, expected) => {
    const lines = readFileSync(`docs/experiments/neuralgpu/${file}`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; seed: number; config: object });
    expect(lines.length).toBe(count);
    expect(new Set(lines.map((r) => r.id)).size).toBe(count);
    for (const r of lines) {
      const config = resolveNeuralGpuConfig(r.config);
      expect(config).toMatchObject({ ...expected, seed: r.seed, cutoff: 1.2, lengthGraphs: true });
      expect(taskJobId({ kind: 'neuralgpu', config }, 'neuralgpu')).toBe(r.id);
    }
  });

  it('reads a later field left out as the value every earlier restart had (plain sigmoid, no diagonal gates, one graph, Glorot init, Adam\'s usual epsilon, constant lr, no probes); null init scale stays null', () => {
    const c = resolveNeuralGpuConfig({});
    expect([c.cutoff, c.diagonal, c.lengthGraphs, c.initScale, c.adamEps, c.lrSchedule, c.probeEvery, c.steps, c.layout, c.maxStepRatio]).toEqual([1, false, false, null, 1e-8, 'constant', 0, 6000, 'concat', 1]);
    expect(resolveNeuralGpuConfig({ initScale: null, cutoff: 1.2 })).toMatchObject({ initScale: null, cutoff: 1.2 });
  });
});

describe('a restart on the copy task', () => {
  const config = resolveNeuralGpuConfig({ task: 'copy', trainLength: 4, testLengths: [4, 20], steps: 300, maps: 8, testCount: 64, seed: 3 });

  it('learns to copy at length 4 and copies 5x longer inputs without an error, with the same weights on 0 and 2 workers', async () => {
    const inline = await runNeuralGpu(config, { workers: 0 });
    const threads = await runNeuralGpu(config, { workers: 2 });
    expect(threads.weightsSha256).toBe(inline.weightsSha256);
    expect(threads.tests).toEqual(inline.tests);
    expect(inline.tests.map((t) => [t.length, t.sequenceError])).toEqual([[4, 0], [20, 0]]);
    expect(inline.diverged).toBeNull();
    // It learned: untrained, the same model gets most long sequences wrong.
    const untrained = await runNeuralGpu({ ...config, steps: 0 });
    expect(untrained.tests[1]!.sequenceError).toBeGreaterThan(0.5);
  }, 120_000);

  it('with lengthGraphs, trains each batch on the graph of its own length: the same weights on 0 and 2 workers, other weights than one graph', async () => {
    const c = { ...config, steps: 60, chunk: 20, lengthGraphs: true };
    const inline = await runNeuralGpu(c, { workers: 0 });
    const threads = await runNeuralGpu(c, { workers: 2 });
    expect(threads.weightsSha256).toBe(inline.weightsSha256);
    expect(threads.chunks).toEqual(inline.chunks.map((k) => ({ ...k, examplesPerSecond: expect.any(Number) })));
    expect(inline.examples).toBe(60 * c.batchSize);
    const one = await runNeuralGpu({ ...c, lengthGraphs: false });
    expect(one.weightsSha256).not.toBe(inline.weightsSha256);
  }, 120_000);

  it('with lengthGraphs and relaxed sharing, graphs narrower than the sets still hold every set: the same weights on 0 and 2 workers', async () => {
    // The copy task at lengths 1-2 has graphs of 3 and 5 columns, fewer than the 6 sets.
    const c = { ...config, trainLength: 2, steps: 40, chunk: 20, lengthGraphs: true, relax: 6 };
    const inline = await runNeuralGpu(c, { workers: 0 });
    const threads = await runNeuralGpu(c, { workers: 2 });
    expect(inline.diverged).toBeNull();
    expect(threads.weightsSha256).toBe(inline.weightsSha256);
    expect(inline.weightsSha256).not.toBe((await runNeuralGpu({ ...c, relax: 1 })).weightsSha256);
  }, 120_000);

  it('with diagonal gates, learns to copy 5x longer inputs: the same weights on 0 and 2 workers, other weights than without', async () => {
    const c = { ...config, diagonal: true, lengthGraphs: true };
    const inline = await runNeuralGpu(c, { workers: 0 });
    const threads = await runNeuralGpu(c, { workers: 2 });
    expect(threads.weightsSha256).toBe(inline.weightsSha256);
    expect(inline.diverged).toBeNull();
    expect(inline.tests.map((t) => [t.length, t.sequenceError])).toEqual([[4, 0], [20, 0]]);
    expect(inline.weightsSha256).not.toBe((await runNeuralGpu({ ...c, diagonal: false })).weightsSha256);
  }, 120_000);

  it('with probeEvery, tests at every test length during training on sums of their own draw, and trains the same bits', async () => {
    const c = { ...config, steps: 120, chunk: 20 };
    const plain = await runNeuralGpu(c);
    const probed = await runNeuralGpu({ ...c, probeEvery: 50 });
    expect(probed.weightsSha256).toBe(plain.weightsSha256);
    expect(probed.tests).toEqual(plain.tests);
    expect(plain.probes).toEqual([]);
    // A probe at the end of each chunk that reaches a multiple of 50: steps 60 and 100.
    expect(probed.probes.map((p) => p.step)).toEqual([60, 100]);
    for (const p of probed.probes) expect(p.tests.map((t) => t.length)).toEqual([...c.testLengths]);
    // The last probe sees the trained model of step 100, on other sums than the final test's.
    const atEnd = await runNeuralGpu({ ...c, steps: 100, probeEvery: 100 });
    expect(atEnd.probes[0]!.tests).not.toEqual(atEnd.tests);
  }, 120_000);

  it('with maxStepRatio, trains batches for 1 to r steps per column: the same weights on 0 and 2 workers, other weights than one step per column', async () => {
    const c = { ...config, steps: 60, chunk: 20, lengthGraphs: true, maxStepRatio: 3 };
    const inline = await runNeuralGpu(c, { workers: 0 });
    const threads = await runNeuralGpu(c, { workers: 2 });
    expect(inline.diverged).toBeNull();
    expect(threads.weightsSha256).toBe(inline.weightsSha256);
    expect(threads.tests).toEqual(inline.tests);
    expect(inline.weightsSha256).not.toBe((await runNeuralGpu({ ...c, maxStepRatio: 1 })).weightsSha256);
    // The trained model handed to onTrained is the one the final tests saw: its weights hash is the record's.
    let seen = '';
    const again = await runNeuralGpu(c, { onTrained: async (m) => { seen = await weightsSha256(m); } });
    expect(seen).toBe(again.weightsSha256);
    expect(again.weightsSha256).toBe(inline.weightsSha256);
  }, 120_000);

  it('draws the step ratio per step from its own Philox stream: 1 to r, about uniform, 1 when r is 1', () => {
    const key = seedHalves(5);
    const draws = Array.from({ length: 3000 }, (_, s) => stepRatio({ maxStepRatio: 3 }, key, s));
    const counts = [1, 2, 3].map((k) => draws.filter((d) => d === k).length);
    expect(counts.reduce((a, b) => a + b)).toBe(3000);
    for (const n of counts) expect(n).toBeGreaterThan(900);
    expect(Array.from({ length: 3000 }, (_, s) => stepRatio({ maxStepRatio: 3 }, key, s))).toEqual(draws);
    expect(draws).not.toEqual(Array.from({ length: 3000 }, (_, s) => stepRatio({ maxStepRatio: 3 }, seedHalves(6), s)));
    expect(new Set(Array.from({ length: 100 }, (_, s) => stepRatio({ maxStepRatio: 1 }, key, s)))).toEqual(new Set([1]));
  });

  it('groups lengths into graphs: each length up to 8, then the next multiple of 4, at most the training length', () => {
    expect([1, 2, 7, 8, 9, 12, 13, 17, 20].map((l) => lengthBin(l, 20))).toEqual([1, 2, 7, 8, 12, 12, 16, 20, 20]);
    expect([9, 10].map((l) => lengthBin(l, 10))).toEqual([10, 10]);
  });

  it('the cutoff, the noise and the cosine schedule change the weights', async () => {
    const short = { ...config, steps: 50 };
    const plain = await runNeuralGpu(short);
    const cut = await runNeuralGpu({ ...short, cutoff: 1.2 });
    const noisy = await runNeuralGpu({ ...short, noise: { eta: 1, gamma: 0.55 } });
    const cosine = await runNeuralGpu({ ...short, lrSchedule: 'cosine' });
    expect(new Set([plain.weightsSha256, cut.weightsSha256, noisy.weightsSha256, cosine.weightsSha256]).size).toBe(4);
  }, 60_000);
});

describe('a restart on aligned addition', () => {
  it('trains on graphs of n + 1 columns with the pair vocabulary, 1-3 steps per column as in docs/EXPERIMENTS.md: the same weights on 0 and 2 workers, other weights than concat', async () => {
    const c = resolveNeuralGpuConfig({
      task: 'add', layout: 'aligned', maxStepRatio: 3, trainLength: 4, testLengths: [4, 20], steps: 60, chunk: 20, maps: 8, testCount: 32, seed: 2, lengthGraphs: true, cutoff: 1.2,
      lrSchedule: 'cosine',
    });
    const inline = await runNeuralGpu(c, { workers: 0 });
    const threads = await runNeuralGpu(c, { workers: 2 });
    expect(inline.diverged).toBeNull();
    expect(threads.weightsSha256).toBe(inline.weightsSha256);
    expect(threads.tests).toEqual(inline.tests);
    expect(inline.weightsSha256).not.toBe((await runNeuralGpu({ ...c, layout: 'concat' })).weightsSha256);
    // The embedding has a row per symbol of the pair vocabulary.
    const m = await createModel(neuralGpu({ width: 5, vocab: vocabSize('aligned'), classes: OUTPUT_CLASSES, maps: 8 }), { batchSize: 1 });
    try {
      expect(m.getParam('embedding/embeddings').length).toBe(9 * 8);
    } finally {
      await m.dispose();
    }
  }, 120_000);
});

describe('gradnoise reproduce neuralgpu', () => {
  it('runs its plan, resumes without re-running, and a stored restart replays to its weights hash', async () => {
    const out = tmp();
    const args = ['reproduce', 'neuralgpu', '--tasks', 'copy', '--runs', '2', '--steps', '100', '--train-length', '3', '--test-lengths', '3,6',
      '--maps', '4', '--height', '1', '--relax', '2', '--dropout', '0.1', '--lr-schedule', 'cosine', '--probe-every', '50', '--jobs', '2', '--workers', '1', '--out', out];
    const first = await run(args, 240_000);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/4 restarts .*0 already finished/);
    const before = readdirSync(join(out, 'runs')).map((f) => readFileSync(join(out, 'runs', f), 'utf8')).sort();
    expect(before).toHaveLength(4);
    const table = JSON.parse(readFileSync(join(out, 'neuralgpu.json'), 'utf8')) as { finished: number; thresholds: number[]; rows: { noise: boolean; underByLength: Record<string, number[]> }[] };
    expect(table.finished).toBe(4);
    // The counts at every test length are the records' own: runs whose sequence error there is under each threshold.
    const records = before.map((t) => JSON.parse(t) as { point: { noise: boolean }; details: { tests: { length: number; sequenceError: number }[] } });
    for (const row of table.rows) {
      const mine = records.filter((r) => r.point.noise === row.noise);
      expect(mine).toHaveLength(2);
      for (const l of [3, 6]) {
        expect(row.underByLength[String(l)]).toEqual(table.thresholds.map((t) => mine.filter((r) => r.details.tests.find((x) => x.length === l)!.sequenceError < t).length));
      }
    }
    expect(readFileSync(join(out, 'neuralgpu.md'), 'utf8')).toMatch(/The same counts at every test length:[^]*\| copy \| no \| 3 \|[^]*\| copy \| no \| 6 \|/);

    const second = await run(args, 120_000);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/4 already finished/);
    expect(readdirSync(join(out, 'runs')).map((f) => readFileSync(join(out, 'runs', f), 'utf8')).sort()).toEqual(before);

    const record = JSON.parse(before[0]!) as { task: { kind: string; config: object }; summary: { weightsSha256: string }; details: { probes: { step: number }[] } };
    expect(record.task.kind).toBe('neuralgpu');
    expect(record.task.config).toMatchObject({ cutoff: 1.2, lengthGraphs: true, height: 1, maps: 4, relax: 2, dropout: 0.1, lrSchedule: 'cosine', probeEvery: 50 });
    expect(record.details.probes.map((p) => p.step)).toEqual([50, 100]);
    const again = await runNeuralGpu(resolveNeuralGpuConfig(record.task.config), { workers: 0 });
    expect(again.weightsSha256).toBe(record.summary.weightsSha256);
  }, 300_000);

  it.each([
    [['--cutoff', '0.5'], /'--cutoff <x>' argument '0\.5' is invalid/],
    [['--lr', '0'], /'--lr <x>' argument '0' is invalid/],
    [['--lr-schedule', 'linear'], /'--lr-schedule <name>' argument 'linear' is invalid/],
    [['--height', '0'], /'--height <n>' argument '0' is invalid/],
    [['--relax', '0'], /'--relax <n>' argument '0' is invalid/],
    [['--dropout', '1'], /'--dropout <rate>' argument '1' is invalid/],
    [['--length-graphs', 'yes'], /'--length-graphs <on\|off>' argument 'yes' is invalid/],
    [['--diagonal', 'maybe'], /'--diagonal <on\|off>' argument 'maybe' is invalid/],
    [['--layout', 'stacked'], /'--layout <name>' argument 'stacked' is invalid/],
    [['--max-step-ratio', '0'], /'--max-step-ratio <n>' argument '0' is invalid/],
    [['--layout', 'aligned', '--tasks', 'copy'], /layout is "aligned" \(need 'concat' for copy/],
    [['--workers', '5'], /--workers 5 exceeds --shards 4/],
  ])('gradnoise reproduce neuralgpu %j fails naming the flag', async (flags, message) => {
    const r = await run(['reproduce', 'neuralgpu', ...flags, '--out', tmp()], 60_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
