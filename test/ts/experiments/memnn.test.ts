// MemN2N (src/model/memnn.ts) and its experiment (src/experiments/memnn.ts, `gradnoise reproduce memnn`):
// the graph's structure as Sukhbaatar et al.'s released code has it (adjacent tying, position encoding,
// time words, linear start), bAbI task 1 learned alone to under 1% test error with the same weights for 0
// and 2 workers, configs checked, and the reproduce sweep resuming without re-running and replaying a
// stored run to its weights hash.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memN2N, memnnEpoch, memnnPositionEncoding } from '../../../src/model/memnn.js';
import { resolveMemnnConfig, runMemnn } from '../../../src/experiments/memnn.js';
import { compileGraph } from '../../../src/graph/spec.js';
import { babiData } from '../../../src/tasks/babi/data.js';
import { run, stopAll, tmp } from '../sweeps/helpers.js';

afterAll(stopAll);

describe('the MemN2N graph', () => {
  it('ties adjacent hops: K + 1 embedding tables, the answer layer reads the last one, no other weights', () => {
    const g = compileGraph(memN2N({ vocab: 20, memory: 10, words: 6, dim: 8, hops: 3 }));
    const params = g.spec.params.map((p) => `${p.name} ${p.shape.join('x')}`).sort();
    expect(params).toEqual(['E0/embeddings 30x8', 'E1/embeddings 30x8', 'E2/embeddings 30x8', 'E3/embeddings 30x8']);
  });

  it('position encoding is the released code\'s 1 + 4 (k - (d+1)/2)(j - (J+1)/2) / (d J), J = words + 1', () => {
    const words = 5, d = 4, J = words + 1, pe = memnnPositionEncoding(words, d, true);
    expect(pe.length).toBe(J * d);
    for (let j = 1; j <= J; j++) {
      for (let k = 1; k <= d; k++) expect(pe[(j - 1) * d + k - 1]).toBeCloseTo(1 + (4 * (k - 2.5) * (j - 3.5)) / (d * J), 6);
    }
    expect(memnnPositionEncoding(words, d, false)).toEqual(pe.subarray(0, words * d));
  });

  it('linear start is the same graph without the softmax: same parameters, fewer ops', () => {
    const soft = compileGraph(memN2N({ vocab: 20, memory: 10, words: 6, dim: 8 }));
    const lin = compileGraph(memN2N({ vocab: 20, memory: 10, words: 6, dim: 8, linear: true }));
    expect(lin.spec.params.map((p) => p.name)).toEqual(soft.spec.params.map((p) => p.name));
    const softmaxes = (g: typeof soft) => g.spec.nodes.filter((n) => n.op === 'softmax').length;
    expect(softmaxes(soft)).toBe(3);
    expect(softmaxes(lin)).toBe(0);
  });

  it('random empty memories move time words by a seeded, per-epoch amount, and never while testing', () => {
    const data = babiData({ tasks: [1], seed: 3, trainCount: 50, testCount: 10, memorySize: 50 });
    const vocab = data.vocabulary.words.length, L = data.train.queries.length / data.train.answers.length;
    const plain = memnnEpoch(data.train, vocab, 50, L, {});
    const a = memnnEpoch(data.train, vocab, 50, L, { randomize: 0.1, seed: 1, epoch: 0 });
    const b = memnnEpoch(data.train, vocab, 50, L, { randomize: 0.1, seed: 1, epoch: 0 });
    const c = memnnEpoch(data.train, vocab, 50, L, { randomize: 0.1, seed: 1, epoch: 1 });
    expect(a.story).toEqual(b.story);
    expect(a.story).not.toEqual(c.story);
    expect(a.story).not.toEqual(plain.story);
    // Only time words (ids >= vocab) move: the words of every slot stay.
    for (let i = 0; i < a.story.length; i++) if (plain.story[i]! < vocab) expect(a.story[i]).toBe(plain.story[i]);
  });
});

describe('configs', () => {
  it.each([
    [{ stages: 'three' }, /memnn config: stages is "three"/],
    [{ tasks: [0] }, /memnn config: tasks is \[0\]/],
    [{ tasks: [1, 1] }, /memnn config: tasks is \[1,1\]/],
    [{ noise: { eta: -1, gamma: 0.55 } }, /memnn config: noise is \{"eta":-1,"gamma":0\.55\}/],
    [{ noise: { std: 0.001, eta: 1 } }, /memnn config: noise/],
    [{ lr: 0 }, /memnn config: lr is 0/],
    [{ epochz: 3 }, /epochz/],
  ])('%j is refused naming the field', (partial, message) => {
    expect(() => resolveMemnnConfig(partial)).toThrow(message);
  });
});

describe('bAbI task 1 alone', () => {
  const config = { tasks: [1], epochs: 20, lsEpochs: 0, stages: 'one', dim: 20, seed: 5 } as const;

  it('reaches under 1% test error, with the same weights on 0 and 2 workers', async () => {
    const inline = await runMemnn(resolveMemnnConfig(config), { workers: 0 });
    const threads = await runMemnn(resolveMemnnConfig(config), { workers: 2 });
    expect(inline.test.error).toBeLessThan(0.01);
    expect(Object.keys(inline.test.byTask)).toEqual(['1']);
    expect(threads.weightsSha256).toBe(inline.weightsSha256);
    expect(threads.test).toEqual(inline.test);
    expect(inline.epochs.length).toBe(20);
    // It learned: the first epoch's validation error is far above the last one's.
    expect(inline.epochs[0]!.validationError).toBeGreaterThan(0.2);
  }, 120_000);

  it('noise changes the weights (it is really added), and a fixed std is not the annealed one', async () => {
    const short = { ...config, epochs: 2 };
    const plain = await runMemnn(resolveMemnnConfig({ ...short, noise: null }));
    const annealed = await runMemnn(resolveMemnnConfig({ ...short, noise: { eta: 1, gamma: 0.55 } }));
    const fixed = await runMemnn(resolveMemnnConfig({ ...short, noise: { std: 0.001 } }));
    expect(new Set([plain.weightsSha256, annealed.weightsSha256, fixed.weightsSha256]).size).toBe(3);
  }, 60_000);
});

describe('gradnoise reproduce memnn', () => {
  it('runs its plan, resumes without re-running, and a stored run replays to its weights hash', async () => {
    const out = tmp();
    const args = ['reproduce', 'memnn', '--tasks', '1', '--runs', '2', '--stages', 'one,two', '--noise', 'none,fixed', '--epochs', '2', '--ls-epochs', '1',
      '--train-count', '200', '--test-count', '100', '--jobs', '2', '--workers', '1', '--out', out];
    const first = await run(args, 240_000);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/8 runs .*0 already finished/);
    expect(readdirSync(join(out, 'runs')).filter((f) => f.endsWith('.json'))).toHaveLength(8);
    const table = JSON.parse(readFileSync(join(out, 'memnn.json'), 'utf8')) as { finished: number; rows: { stages: string; noise: string; paper: number | null; test: { n: number } }[] };
    expect(table.finished).toBe(8);
    expect(table.rows.map((r) => `${r.stages} ${r.noise} ${r.paper} ${r.test.n}`)).toEqual(['one none 19.5 2', 'one fixed null 2', 'two none 10.9 2', 'two fixed null 2']);
    expect(readFileSync(join(out, 'memnn.md'), 'utf8')).toMatch(/\| one-stage \| fixed std 0\.001 \| 2 of 2 \|/);
    const before = readdirSync(join(out, 'runs')).map((f) => readFileSync(join(out, 'runs', f), 'utf8')).sort();

    const second = await run(args, 120_000);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/8 already finished/);
    expect(readdirSync(join(out, 'runs')).map((f) => readFileSync(join(out, 'runs', f), 'utf8')).sort()).toEqual(before);

    // A record carries its complete config: running it again gives its weights.
    const record = JSON.parse(before[0]!) as { task: { kind: string; config: unknown }; summary: { weightsSha256: string } };
    expect(record.task.kind).toBe('memnn');
    const again = await runMemnn(resolveMemnnConfig(record.task.config), { workers: 0 });
    expect(again.weightsSha256).toBe(record.summary.weightsSha256);
    expect(existsSync(join(out, 'plots', 'memnn-validation.svg'))).toBe(true);
  }, 300_000);

  it.each([
    [['--stages', 'three'], /'--stages <list>' argument 'three' is invalid/],
    [['--noise', 'loud'], /'--noise <list>' argument 'loud' is invalid/],
    [['--tasks', '0,1'], /--tasks is "0,1" \(need all, or bAbI task numbers from 1 to 20/],
    [['--workers', '5'], /--workers 5 exceeds --shards 4/],
  ])('gradnoise reproduce memnn %j fails naming the flag', async (flags, message) => {
    const r = await run(['reproduce', 'memnn', ...flags, '--out', tmp()], 60_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
