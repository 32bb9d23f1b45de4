// The sweep engine's pure parts: spec validation (every error names its place in the spec), planning
// (grid order, seeded random draws, one id per run, the ids of the first `reproduce table1` kept), the
// restart report's counts, and the Redis endpoint (password and TLS passed through, warnings).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TABLE1, planTable1 } from '../../../src/cli/table1.js';
import { checkJobData, dataKey, describeData, loadJobData, readSpecModels, type JobData } from '../../../src/sweeps/data.js';
import { configId } from '../../../src/sweeps/ids.js';
import { planSweep, specPoints, type SweepJob } from '../../../src/sweeps/plan.js';
import { resultProblem } from '../../../src/sweeps/queue.js';
import { redisEndpoint } from '../../../src/sweeps/redis.js';
import { reportMarkdown, sweepReport, type Counted } from '../../../src/sweeps/report.js';
import { parseSpec, specToJson, validateSpec } from '../../../src/sweeps/spec.js';

const plan = (spec: unknown) => {
  const s = validateSpec(spec);
  return planSweep(s, describeData(s.data, '.'));
};

describe('spec validation', () => {
  it.each([
    [{ grid: { lr: [0.1, 0.01, 'x'] } }, /^spec\.grid\.lr\[2\] is "x" \(need a finite number > 0\)$/],
    [{ grid: { lr: [0.1, 0.1] } }, /^spec\.grid\.lr\[1\] is 0\.1, listed twice$/],
    [{ grid: { lr: [] } }, /^spec\.grid\.lr is \[\] \(need a non-empty list of lr values\)$/],
    [{ grid: { init: ['he', 'bad'] } }, /^spec\.grid\.init\[1\] is "bad" \(need one of simple, sussilloAbbott, he, zero, glorot, simpleVar\)$/],
    [{ grid: { lrr: [0.1] } }, /^spec\.grid\.lrr: lrr is not a config field; did you mean lr\?; an axis that names no field maps labels/],
    [{ grid: { row: { a: { intt: 'he' } } } }, /^spec\.grid\.row\.a\.intt: unknown key \(allowed: depth, .*\); did you mean init\?$/],
    [{ grid: { row: { '1b': { dropout: 2 } } } }, /^spec\.grid\.row\["1b"\]\.dropout is 2 \(need a finite number >= 0 and <= 0\.999\)$/],
    [{ grid: { row: { a: { lr: 0.1 } }, lr: [0.2] } }, /^spec\.grid: the axes row and lr both set lr$/],
    [{ grid: { seed: [1, 2] } }, /^spec\.grid\.seed\[0\]: the seed is not an axis/],
    [{ grid: [{ lr: [0.1] }, 7] }, /^spec\.grid\[1\] is 7 \(need an object of axes/],
    [{ base: { lr: -1 } }, /^spec\.base\.lr is -1 \(need a finite number > 0\)$/],
    [{ base: { depht: 3 } }, /^spec\.base\.depht: unknown key .*did you mean depth\?$/],
    [{ base: { noiseBeforeClip: true, noise: true } }, /^spec\.base: noiseBeforeClip needs a clip/],
    [{ seeds: 0 }, /^spec\.seeds is 0 \(need an integer from 1 to 100000\)$/],
    [{ seeds: [1, 'two'] }, /^spec\.seeds\[1\] is "two" \(need an integer from 0 up\)$/],
    [{ seeds: [3], base: { seed: 2 } }, /^spec\.base\.seed and a list of spec\.seeds do not go together/],
    [{ thresholds: [0.99, 1.5] }, /^spec\.thresholds\[1\] is 1\.5 \(need an accuracy in \(0, 1\]/],
    [{ data: { trainX: 'x.npy' } }, /^spec\.data: trainX and trainY go together \(got trainX only\)$/],
    [{ data: { trainLimit: 0 } }, /^spec\.data\.trainLimit is 0 \(need an integer from 1 up\)$/],
    [{ data: { trainlimit: 10 } }, /^spec\.data\.trainlimit: unknown key .*did you mean trainLimit\?$/],
    [{ random: { count: 3, axes: { lr: { uniform: [0, 1] } } } }, /^spec\.random\.seed is missing/],
    [{ random: { count: 3, seed: 1, axes: { lr: { uniform: [0, 1] } } } }, /^spec\.random\.axes\.lr\.uniform\[0\] is 0 \(need a finite number > 0\)$/],
    [{ random: { count: 3, seed: 1, axes: { lr: { logUniform: [0.1, 0.01] } } } }, /^spec\.random\.axes\.lr\.logUniform is \[0\.1, 0\.01\] \(need \[low, high\], two numbers > 0 with low < high\)$/],
    [{ random: { count: 3, seed: 1, axes: { lr: { gauss: 1 } } } }, /^spec\.random\.axes\.lr\.gauss: unknown key/],
    [{ random: { count: 2, seed: 1, axes: { lr: { logUniform: [0.01, 0.1] } } }, grid: { lr: [0.1] } }, /^spec: grid and random do not go together/],
    [{ name: 'a b' }, /^spec\.name is "a b" \(need 1 to 100 characters/],
    [{ colour: 1 }, /^spec\.colour: unknown key/],
    [{ grid: { lr: [0.1, 0.01], noise: [true] }, base: { noiseBeforeClip: true, clip: 1, noise: true } , seeds: 1 }, null],
    // A graph model and its data by input name.
    [{ base: { model: 'g.json' }, data: { jsonl: 'd.jsonl', testJsonl: 't.jsonl', padId: 0, inputs: { signal: 's.npy' } } }, null],
    [{ data: { inputs: { a: 'a.npy' }, trainX: 'x.npy', trainY: 'y.npy' } }, /^spec\.data: trainX, trainY, testX and testY \(the MLP's data\) do not go with inputs, testInputs, jsonl and testJsonl \(a graph model's\)$/],
    [{ data: { jsonl: 'd.jsonl', padId: 1.5 } }, /^spec\.data\.padId is 1\.5 \(need an integer from -2147483648 to 2147483647\)$/],
    [{ data: { padId: 0 } }, /^spec\.data\.padId pads the short lists of JSON Lines files: it needs jsonl or testJsonl$/],
    [{ data: { testJsonl: 't.jsonl' } }, /^spec\.data: testInputs and testJsonl need training data too \(inputs or jsonl\)$/],
    [{ data: { inputs: {} } }, /^spec\.data\.inputs is \{\} \(need an object of input name: file path, such as \{ ids: ids\.npy \}\)$/],
    [{ data: { inputs: { a: 3 } } }, /^spec\.data\.inputs\.a is 3 \(need a file path\)$/],
    [{ data: { jsonl: 'd.jsonl', testLimit: 5 } }, /^spec\.data\.testLimit needs a test split \(testInputs or testJsonl\)$/],
    [{ data: { inptus: {} } }, /^spec\.data\.inptus: unknown key .*; did you mean inputs\?$/],
    [{ base: { model: 'g.json', depth: 3 } }, /^spec\.base: depth and model do not go together \(the graph names its own layers/],
    [{ base: { model: { format: 'gradnoise.graph' } } }, /^spec\.base\.model: inputs is missing$/],
    [{ base: { model: '' } }, /^spec\.base\.model is "" \(need a graph file's path\)$/],
    [{ grid: { model: [{}] } }, /^spec\.grid\.model\[0\] is \{\} \(need a graph file's path, or null for the MLP \(a graph written out goes in a bundle axis/],
    [{ grid: { arch: { a: { model: 7 } } } }, /^spec\.grid\.arch\.a\.model is 7 \(need a graph file's path, a graph, or null\)$/],
  ])('%j', (spec, message) => {
    if (message === null) expect(() => validateSpec(spec)).not.toThrow();
    else expect(() => validateSpec(spec)).toThrow(message);
  });

  it('a point whose config is invalid names the point', () => {
    expect(() => plan({ base: { noise: true, noiseBeforeClip: true, clip: 10 }, grid: { clip: [10, null] } }))
      .toThrow(/^spec\.grid at \{clip: null\}: noiseBeforeClip needs a clip/);
  });

  it('two points that give the same config are an error naming both', () => {
    expect(() => plan({ grid: [{ lr: [0.1] }, { lr: [0.1, 0.2] }] })).toThrow(/^spec\.grid\[1\] at \{lr: 0\.1\} and spec\.grid\[0\] at \{lr: 0\.1\} give the same config/);
  });

  it('parses YAML and JSON, and names the file in errors', () => {
    const yaml = 'name: y\nbase: { depth: 1, width: 8 }\ngrid:\n  lr: [0.1, 0.01]\nseeds: 2\n';
    const s = parseSpec(yaml, 'dir/my.yaml');
    expect(s.name).toBe('y');
    expect(parseSpec(JSON.stringify({ grid: { lr: [0.1] } }), 'x/sweep-a.json').name).toBe('sweep-a');
    expect(() => parseSpec('grid: [', 'bad.yaml')).toThrow(/^bad\.yaml: not valid YAML: /);
    expect(() => parseSpec('{"grid": ', 'bad.json')).toThrow(/^bad\.json: not valid JSON: /);
    expect(() => parseSpec('grid: { lr: [x] }', 'p.yml')).toThrow(/^p\.yml: spec\.grid\.lr\[0\] is "x"/);
    // spec.json (what OUT holds) reads back to the same spec.
    expect(validateSpec(specToJson(s))).toEqual(s);
  });
});

describe('planning', () => {
  const spec = {
    name: 'p', base: { depth: 1, width: 8, steps: 10 },
    grid: { lr: [0.1, 0.01], row: { a: { init: 'he' }, b: { init: 'zero', clip: 10 } } }, seeds: 2, data: { trainLimit: 200 },
  };

  it('grid: the product of the axes, first axis outermost, seeds outermost of all, each a complete config', () => {
    const jobs = plan(spec);
    expect(jobs.map((j) => [j.seed, j.point.lr, j.point.row])).toEqual([
      [1, 0.1, 'a'], [1, 0.1, 'b'], [1, 0.01, 'a'], [1, 0.01, 'b'],
      [2, 0.1, 'a'], [2, 0.1, 'b'], [2, 0.01, 'a'], [2, 0.01, 'b'],
    ]);
    expect(jobs[1]!.config).toMatchObject({ depth: 1, width: 8, steps: 10, lr: 0.1, init: 'zero', clip: 10, seed: 1, shards: 4, batchSize: 100 });
    expect(Object.keys(jobs[1]!.config)).toHaveLength(26); // every field of a TrainConfig, model (null: the MLP) and biasInit included
    expect(new Set(jobs.map((j) => j.id)).size).toBe(8);
    expect(jobs[0]!.data).toEqual({ source: 'mnist', trainX: null, trainY: null, testX: null, testY: null, trainLimit: 200, testLimit: null, rawInputs: false });
    // The same spec plans the same ids; the worker count is nowhere in them.
    expect(plan(spec).map((j) => j.id)).toEqual(jobs.map((j) => j.id));
    // An MLP's config is hashed without its null model and its biasInit 0, as before configs had them: the ids stay as they were.
    const { model, biasInit, ...before } = jobs[0]!.config;
    expect(model).toBeNull();
    expect(biasInit).toBe(0);
    expect(jobs[0]!.id).toBe(configId({ config: before, data: { trainLimit: 200, testLimit: null } }));
  });

  it('a field added later (biasInit) enters the id only away from the value every earlier run had', () => {
    const ids = (biasInit: unknown) => plan({ ...spec, base: { ...spec.base, biasInit } }).map((j) => j.id);
    const old = plan(spec).map((j) => j.id);
    expect(ids(0)).toEqual(old);
    expect(ids(-0)).toEqual(old); // the same bits (zero biases), the same runs
    const [c, k] = [ids(0.1), ids('kernel')];
    for (const other of [c, k]) for (let i = 0; i < old.length; i++) expect(other[i]).not.toBe(old[i]);
    expect(new Set([...c, ...k]).size).toBe(2 * old.length);
    const { model, ...hashed } = plan({ ...spec, base: { ...spec.base, biasInit: 0.1 } })[0]!.config;
    expect(model).toBeNull();
    expect(plan({ ...spec, base: { ...spec.base, biasInit: 0.1 } })[0]!.id).toBe(configId({ config: hashed, data: { trainLimit: 200, testLimit: null } }));
  });

  it('joined grid blocks, and a spec without axes (one point per seed)', () => {
    const jobs = plan({ grid: [{ lr: [0.1], noise: [false, true] }, { lr: [0.01], noise: [false] }] });
    expect(jobs.map((j) => j.point)).toEqual([{ lr: 0.1, noise: false }, { lr: 0.1, noise: true }, { lr: 0.01, noise: false }]);
    expect(plan({ seeds: [4, 9] }).map((j) => [j.seed, j.point])).toEqual([[4, {}], [9, {}]]);
  });

  it('random: seeded draws, the same for the same spec, in range, and another seed draws other points', () => {
    const r = (seed: number) => ({
      random: { count: 20, seed, axes: { lr: { logUniform: [1e-3, 1e-1] }, width: { int: [8, 16] }, momentum: { uniform: [0, 0.9] }, init: { choice: ['he', 'glorot'] } } },
    });
    const a = specPoints(validateSpec(r(1))), b = specPoints(validateSpec(r(1))), c = specPoints(validateSpec(r(2)));
    expect(a).toEqual(b);
    expect(a.map((p) => p.point)).not.toEqual(c.map((p) => p.point));
    for (const { point } of a) {
      expect(point.lr).toBeGreaterThanOrEqual(1e-3);
      expect(point.lr).toBeLessThanOrEqual(1e-1);
      expect(Number((point.lr as number).toPrecision(4))).toBe(point.lr);
      expect(Number.isInteger(point.width) && (point.width as number) >= 8 && (point.width as number) <= 16).toBe(true);
      expect(['he', 'glorot']).toContain(point.init);
    }
    // Both choices come up in 20 draws (all but 2 in 2^20 seeds).
    expect(new Set(a.map((p) => p.point.init)).size).toBe(2);
    // Adding an axis leaves the other axes' draws as they were.
    const more = specPoints(validateSpec({ random: { ...r(1).random, axes: { ...r(1).random.axes, dropout: { uniform: [0, 0.5] } } } }));
    expect(more.map((p) => p.point.lr)).toEqual(a.map((p) => p.point.lr));
  });

  it('random: a point drawn again is skipped, up to count distinct points; an axis space too small for count is an error', () => {
    const points = (count: number, axes: Record<string, unknown>) => specPoints(validateSpec({ random: { count, seed: 3, axes } }));
    // 300 draws of a log-uniform kept to 4 digits repeat some values; the plan still has 300 distinct runs.
    const many = points(300, { lr: { logUniform: [1e-3, 1e-1] } });
    expect(new Set(many.map((p) => p.point.lr)).size).toBe(300);
    expect(many.map((p) => p.point.lr)).toEqual(points(300, { lr: { logUniform: [1e-3, 1e-1] } }).map((p) => p.point.lr));
    expect(plan({ random: { count: 300, seed: 3, axes: { lr: { logUniform: [1e-3, 1e-1] } } } })).toHaveLength(300);
    // Two values, two points: both, whatever the draws.
    expect(new Set(points(2, { init: { choice: ['he', 'glorot'] } }).map((p) => p.point.init))).toEqual(new Set(['he', 'glorot']));
    expect(() => points(3, { init: { choice: ['he', 'glorot'] } }))
      .toThrow(/^spec\.random: 1060 draws give only 2 distinct points, not the 3 of spec\.random\.count \(the axes have too few values/);
  });

  it('a key given twice in a JSON spec is an error, as in YAML; seeds counted past 2^53 - 1 are refused', () => {
    expect(() => parseSpec('{"seeds": 2, "seeds": 5}', 'twice.json')).toThrow(/^twice\.json: not valid JSON: a key given twice \("seeds"\)$/);
    expect(() => parseSpec('{"base": {"lr": 0.1, "depth": 1, "l\\u0072": 0.2}, "seeds": 2}', 'esc.json')).toThrow(/a key given twice \("lr"\)$/);
    // The same key in different objects, keys inside strings and arrays, and depth are all fine.
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    expect(parseSpec(`{"name": "n", "base": {"seed": 3}, "data": {"trainLimit": 100}, "thresholds": [0.9, 0.5], "checkpoint": false, "experiment": "{\\"seed\\": 1, \\"seed\\": 2}"}`, 'ok.json').seeds).toEqual([3]);
    expect(() => parseSpec(`{"experiment": "x", "grid": ${deep}}`, 'deep.json')).toThrow(/^deep\.json: spec\.grid/);
    expect(() => parseSpec('seeds: 2\nseeds: 5\n', 'twice.yaml')).toThrow(/^twice\.yaml: not valid YAML: a key given twice/);
    expect(() => validateSpec({ base: { seed: 9007199254740990 }, seeds: 3 }))
      .toThrow(/^spec\.seeds: 3 seeds counted from spec\.base\.seed 9007199254740990 go past 9007199254740991/);
    expect(validateSpec({ base: { seed: 9007199254740989 }, seeds: 3 }).seeds.at(-1)).toBe(9007199254740991);
  });

  it('a data file that two fields of a job name with different SHA-256s is refused, not half checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradnoise-data-'));
    writeFileSync(join(dir, 'x.csv'), '1,2\n3,4\n5,6\n7,8\n');
    writeFileSync(join(dir, 'y.csv'), '0\n1\n0\n1\n');
    const sha = (f: string) => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
    const file = (path: string, sha256 = sha(path)) => ({ path, sha256 });
    const d: JobData = { source: 'files', trainX: file('x.csv'), trainY: file('y.csv'), testX: file('x.csv'), testY: file('y.csv'), trainLimit: null, testLimit: null, rawInputs: false };
    expect(loadJobData(d, dir).train.count).toBe(4);
    expect(() => loadJobData({ ...d, testY: file(join(dir, 'y.csv'), 'ab'.repeat(32)) }, dir))
      .toThrow(/^data file testY .*y\.csv: it is also data file trainY, planned with another SHA-256/);
  });

  it('a result a queue worker left is collected only as a record of that very job, with its figures', () => {
    const job = plan({ base: { depth: 1, width: 8, steps: 5 }, seeds: 1 })[0]!;
    const record = { ...job, epochs: [], summary: { weightsSha256: 'ab'.repeat(32) }, accuracy: 0.5, accuracyOf: 'test', checkpointFile: null };
    expect(resultProblem({ record, checkpoint: null }, job.id)).toBeNull();
    expect(resultProblem(null, job.id)).toMatch(/^null$/);
    expect(resultProblem({ record }, 'ffffffffffffffff')).toMatch(/^it names job /);
    expect(resultProblem({ record: { ...record, config: { ...record.config, lr: 0.5 } } }, job.id)).toMatch(/is not the hash of its config and data/);
    expect(resultProblem({ record: { ...record, format: 99 } }, job.id)).toMatch(/format 99/);
    expect(resultProblem({ record: { ...record, summary: {} } }, job.id)).toBe('no accuracy or weights hash in it');
    expect(resultProblem({ record: { ...record, accuracy: '0.5' } }, job.id)).toBe('no accuracy or weights hash in it');
    expect(resultProblem({ record, checkpoint: 7 }, job.id)).toBe('its checkpoint is not base64 text');
  });

  it.each([
    ['simpleVar', { init: 'simpleVar' }],
    ['simpleBias', { init: 'simple', biasInit: 0.1 }],
  ] as const)('reproduce table1 --simple-init %s: the simple rows (1, 1b, 2, 3) take that init, the other rows keep their runs', (simpleInit, fields) => {
    const o = { runs: 2, epochs: 10, lr: [0.1, 0.01], rows: TABLE1.map((r) => r.id), batchSize: 100, dropout: 0.5, seed: 1, shards: 4 };
    const std = planTable1(o), other = planTable1({ ...o, simpleInit });
    expect(other.map((j) => [j.point, j.seed])).toEqual(std.map((j) => [j.point, j.seed]));
    std.forEach((s, i) => {
      const v = other[i]!, simple = ['1', '1b', '2', '3'].includes(s.point.row as string);
      expect(v.config).toEqual(simple ? { ...s.config, ...fields } : s.config);
      if (simple) expect(v.id).not.toBe(s.id);
      else expect(v.id).toBe(s.id);
    });
    expect(planTable1({ ...o, simpleInit: 'simple' }).map((j) => j.id)).toEqual(std.map((j) => j.id));
  });

  it('the runs of docs/experiments/issue24/bias.yaml with biases 0.1 are those of reproduce table1 --simple-init simpleBias, row 3', () => {
    const o = { runs: 5, epochs: 10, lr: [0.1, 0.01], rows: ['3'], batchSize: 100, dropout: 0.5, seed: 1, shards: 4 };
    const file = fileURLToPath(new URL('../../../docs/experiments/issue24/bias.yaml', import.meta.url));
    const spec = parseSpec(readFileSync(file, 'utf8'), file);
    const bias = planSweep(spec, describeData(spec.data, '.')).filter((j) => j.config.biasInit === 0.1).map((j) => j.id).sort();
    expect(bias).toHaveLength(20);
    expect(bias).toEqual(planTable1({ ...o, simpleInit: 'simpleBias' }).map((j) => j.id).sort());
  });

  it('reproduce table1 as a spec plans exactly the run ids of docs/experiments (Table 1 at the paper\'s scale, 520 runs)', () => {
    const runs = readFileSync(fileURLToPath(new URL('../../../docs/experiments/table1-runs.jsonl', import.meta.url)), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { id: string; row: string; noise: boolean; lr: number; seed: number });
    const jobs = planTable1({ runs: 20, epochs: 10, lr: [0.1, 0.01], rows: TABLE1.map((r) => r.id), batchSize: 100, dropout: 0.5, seed: 1, shards: 4 });
    expect(jobs).toHaveLength(520);
    expect(runs).toHaveLength(520);
    expect(new Set(runs.map((r) => r.id)).size).toBe(520);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const r of runs) {
      const j = byId.get(r.id);
      expect(j, `run ${r.id} (row ${r.row}, noise ${r.noise}, lr ${r.lr}, seed ${r.seed})`).toBeDefined();
      expect([j!.point.row, j!.point.noise, j!.point.lr, j!.seed]).toEqual([r.row, r.noise, r.lr, r.seed]);
    }
  });
});

describe('planning graph models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradnoise-graph-spec-'));
  const example = (f: string) => readFileSync(fileURLToPath(new URL(`../../../examples/graph/${f}`, import.meta.url)));
  writeFileSync(join(dir, 'model.json'), example('model.json'));
  const graph = JSON.parse(example('model.json').toString());
  const wider = JSON.parse(example('model.json').toString());
  wider.params[3].shape = [16, 32]; wider.params[4].shape = [32]; wider.params[5].shape = [32, 4];
  wider.nodes[4].attrs.units = 32;
  writeFileSync(join(dir, 'wider.json'), JSON.stringify(wider));
  const regression = JSON.parse(example('model.json').toString());
  regression.inputs[2] = { name: 'label', shape: [4] };
  regression.losses[0].op = 'meanSquaredError';
  writeFileSync(join(dir, 'regression.json'), JSON.stringify(regression));
  writeFileSync(join(dir, 'train.jsonl'), example('train.jsonl').toString().split('\n').slice(0, 40).join('\n'));
  const data = { jsonl: 'train.jsonl', padId: 0 };
  const graphPlan = (spec: Record<string, unknown>) => {
    const s = validateSpec(spec);
    return planSweep(s, describeData(s.data, dir), readSpecModels(s, dir));
  };

  it('a graph file and the same graph written out plan the same ids; the job carries the graph, the id hashes it', () => {
    const fromFile = graphPlan({ base: { model: 'model.json', steps: 5 }, data, seeds: 2 });
    const inline = graphPlan({ base: { model: graph, steps: 5 }, data, seeds: 2 });
    expect(inline.map((j) => j.id)).toEqual(fromFile.map((j) => j.id));
    expect(fromFile[0]!.config.model).toEqual(graph);
    expect(fromFile[0]!.data).toMatchObject({ source: 'inputs', jsonl: { path: 'train.jsonl', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }, padId: 0, inputs: {} });
    const { biasInit, ...hashed } = fromFile[0]!.config; // biasInit 0 is left out of every id (as before the field)
    expect(biasInit).toBe(0);
    expect(fromFile[0]!.id).toBe(configId({ config: hashed, data: dataKey(fromFile[0]!.data) }));
    // Other data bytes or another pad id: other runs.
    const other = graphPlan({ base: { model: 'model.json', steps: 5 }, data: { ...data, padId: 1 }, seeds: 2 });
    expect(other[0]!.id).not.toBe(fromFile[0]!.id);
  });

  it('a grid over graph files shows their paths in the points; bundles hold graphs written out', () => {
    const jobs = graphPlan({ base: { steps: 5 }, grid: { model: ['model.json', 'wider.json'], lr: [0.1] }, data });
    expect(jobs.map((j) => j.point)).toEqual([{ model: 'model.json', lr: 0.1 }, { model: 'wider.json', lr: 0.1 }]);
    expect(jobs[1]!.config.model).toEqual(wider);
    const bundles = graphPlan({ base: { steps: 5, lr: 0.1 }, grid: { arch: { narrow: { model: graph }, wide: { model: 'wider.json' } } }, data });
    expect(bundles.map((j) => j.id)).toEqual(jobs.map((j) => j.id));
  });

  it.each<[Record<string, unknown>, RegExp]>([
    [{ base: { model: 'model.json' } }, /^spec\.base: a graph model reads its data by input name \(spec\.data\.inputs or spec\.data\.jsonl\), not MNIST$/],
    [{ grid: { model: ['model.json', null] }, data }, /^spec\.grid at \{model: null\}: spec\.data names its files by input, for a graph model, but this point has none/],
    [{ base: { model: 'regression.json' }, data }, /^spec\.base: the model has no classification loss \(softmaxCrossEntropy\), so its runs have no accuracy for the sweep's report to count$/],
    [{ base: { model: 'missing.json' }, data }, /^spec\.base\.model missing\.json: cannot read it \(ENOENT\)$/],
    [{ grid: { model: ['model.json', 'regression.json'] }, base: { depth: 2 }, data }, /^spec\.grid at \{model: "model\.json"\}: depth 2 does not go with a model/],
    [{ grid: { model: ['model.json', 'regression.json'] }, base: { biasInit: 'kernel' }, data }, /^spec\.grid at \{model: "model\.json"\}: biasInit "kernel" does not go with a model/],
  ])('%j is refused, naming the point', (spec, message) => {
    expect(() => graphPlan(spec)).toThrow(message);
  });

  it('loads a job\'s data for its graph, checked by SHA-256; a diverged run scores the share of label 0', () => {
    const [job] = graphPlan({ base: { model: 'model.json', steps: 5 }, data, seeds: 1 });
    const d = loadJobData(job!.data, dir, job!.config.model);
    expect(d.train.count).toBe(40);
    const labels = (d.train.y as Record<string, Int32Array>).label!;
    expect(d.nanAccuracy).toBe(labels.filter((v) => v === 0).length / 40);
    expect(() => loadJobData(job!.data, dir, null)).toThrow(/^the data train\.jsonl, pad id 0 are named by input, for a graph model; this run has none/);
    expect(() => loadJobData(checkJobData({ ...job!.data, jsonl: { path: 'train.jsonl', sha256: 'ab'.repeat(32) } }, 'job.data'), dir, graph))
      .toThrow(/^data file jsonl train\.jsonl \(.*train\.jsonl\): its SHA-256 is [0-9a-f]{16}\.\.\., but the job was planned on abababababababab/);
    expect(() => checkJobData({ ...job!.data, inputs: { a: { path: 'a.npy' } } }, 'job.data')).toThrow(/^job\.data\.inputs\["a"\] is \{"path":"a\.npy"\} \(need \{ path, sha256 \}\)$/);
    expect(() => checkJobData({ ...job!.data, jsonl: null }, 'job.data')).toThrow(/^job\.data: inputs or jsonl must name the training data$/);
    expect(checkJobData(JSON.parse(JSON.stringify(job!.data)), 'job.data')).toEqual(job!.data);
  });
});

describe('the report', () => {
  it('counts per setting: runs, finished, diverged, best, average and runs under each error threshold (strictly)', () => {
    const jobs = plan({ grid: { lr: [0.1, 0.01] }, seeds: 4, thresholds: [0.99, 0.98, 0.95] });
    const acc = [0.995, 0.99, 0.985, 0.5, /* lr 0.01: */ 0.97, 0.96];
    const at = (lr: number) => jobs.filter((j) => j.point.lr === lr);
    const records = new Map<string, Counted>();
    at(0.1).forEach((j, k) => records.set(j.id, { accuracy: acc[k]!, summary: { diverged: k === 3 ? { step: 5, layer: 'dense_0', message: 'NaN' } : null } }));
    at(0.01).slice(0, 2).forEach((j, k) => records.set(j.id, { accuracy: acc[4 + k]!, summary: { diverged: null } }));
    const r = sweepReport('t', [0.99, 0.98, 0.95], jobs, records);
    expect(r.rows.map((x) => [x.label, x.planned, x.finished, x.diverged, x.best, x.under])).toEqual([
      ['lr 0.1', 4, 4, 1, 0.995, [1, 3, 3]], // 0.99 is exactly 1% error: not under 1%, but under 2%
      ['lr 0.01', 4, 2, 0, 0.97, [0, 0, 2]],
    ]);
    expect(r.rows[0]!.average).toBeCloseTo((0.995 + 0.99 + 0.985 + 0.5) / 4, 12);
    expect([r.planned, r.finished, r.diverged]).toEqual([8, 6, 1]);
    const md = reportMarkdown(r);
    expect(md).toContain('| setting | runs | finished | diverged | best | average | < 1% error | < 2% error | < 5% error |');
    expect(md).toContain('| lr 0.1 | 4 | 4 | 1 | 99.50% | 86.75% | 1 | 3 | 3 |');
    expect(md).toContain('| lr 0.01 | 4 | 2 | 0 | 97.00% | 96.50% | 0 | 0 | 2 |');
  });

  it('an id planned twice (two sweeps in one OUT) counts once', () => {
    const jobs = plan({ seeds: 1 });
    const twice: SweepJob[] = [jobs[0]!, jobs[0]!];
    const r = sweepReport('t', [0.5], twice, new Map([[jobs[0]!.id, { accuracy: 0.9, summary: { diverged: null } }]]));
    expect([r.planned, r.finished, r.rows[0]!.under]).toEqual([1, 1, [1]]);
  });
});

describe('the Redis endpoint', () => {
  it('host, port, db, TLS; the password from the environment, never shown', () => {
    const e = redisEndpoint({ url: 'redis://10.0.0.5:6380/2', env: { GRADNOISE_REDIS_PASSWORD: 's3cret', GRADNOISE_REDIS_USERNAME: 'sweeper' } });
    expect(e.options).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, username: 'sweeper', password: 's3cret', maxRetriesPerRequest: null });
    expect(e.shown).toBe('redis://sweeper@10.0.0.5:6380/2');
    expect(e.warnings).toEqual([]);
    const t = redisEndpoint({ url: 'rediss://queue.example.org', env: { GRADNOISE_REDIS_PASSWORD: 'p' } });
    expect(t.options).toMatchObject({ host: 'queue.example.org', port: 6379, tls: { servername: 'queue.example.org' } });
    expect(t.shown).toBe('rediss://queue.example.org:6379');
  });

  it('warns of a password in the URL and of an open Redis off loopback; refuses what it cannot use', () => {
    const u = redisEndpoint({ url: 'redis://:pw@127.0.0.1:6379', env: {} });
    expect(u.options.password).toBe('pw');
    expect(u.shown).not.toContain('pw');
    expect(u.warnings).toEqual([expect.stringMatching(/the password in --queue shows in `ps`.*GRADNOISE_REDIS_PASSWORD/)]);
    expect(redisEndpoint({ url: 'redis://127.0.0.1:6379', env: {} }).warnings).toEqual([]);
    expect(redisEndpoint({ url: 'redis://192.168.1.9', env: {} }).warnings).toEqual([expect.stringMatching(/used without a password: anyone who can reach it/)]);
    expect(() => redisEndpoint({ url: 'http://x:1', env: {} })).toThrow(/^--queue is "http:\/\/x:1" \(need redis:\/\/HOST:PORT, or rediss:\/\/HOST:PORT for TLS\)$/);
    expect(() => redisEndpoint({ url: 'redis://h:1', tlsCa: 'ca.pem', env: {} })).toThrow(/need a rediss:\/\/ URL/);
    expect(() => redisEndpoint({ url: 'rediss://h:1', tlsCa: '/nonexistent/ca.pem', env: { GRADNOISE_REDIS_PASSWORD: 'p' } })).toThrow(/^--tls-ca \/nonexistent\/ca\.pem: cannot read it \(ENOENT\)$/);
  });
});
