// Robustness of what a sweep reads from files and from other machines, under fast-check: sweep specs
// (validateSpec on any value, and on mostly valid specs with a wrong value mixed in; parseSpec on mutated
// JSON and YAML text), run configs (resolveTrainConfig), jobs taken from a queue (checkJob) and results a
// worker left (resultProblem). Property: a value either passes, and then what it gives is consistent (a
// spec reads back from its JSON to itself and plans runs with distinct ids; a checked job has the id of
// its content), or it is refused with a plain Error whose message names its place ("spec...", the file
// name, "config", "job"). Never a TypeError or RangeError from our own code, never a hang.
//
// Seeds are fixed so a failure reproduces; plans stay small (<= 64 points, <= 4 seeds).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../../../src/runs/config.js';
import { checkJobData, type JobData } from '../../../src/sweeps/data.js';
import { checkJob, planSweep, specPoints } from '../../../src/sweeps/plan.js';
import { resultProblem } from '../../../src/sweeps/queue.js';
import { parseSpec, specToJson, validateSpec } from '../../../src/sweeps/spec.js';

const SEED = 7;
const MNIST: JobData = { source: 'mnist', trainX: null, trainY: null, testX: null, testY: null, trainLimit: 500, testLimit: 100, rawInputs: false };
const anything = fc.anything({ withBigInt: true, withNullPrototype: true, withBoxedValues: true, withSparseArray: true, withDate: true, withMap: true, withSet: true, maxDepth: 3 });

/** Runs f; returns null when it passes, else the Error, failing the test for anything but a plain Error. */
function refusal(f: () => unknown): Error | null {
  try {
    f();
    return null;
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(Error);
    expect((e as Error).name, (e as Error).stack).toBe('Error');
    return e as Error;
  }
}

// Mostly valid values per field, with a wrong one now and then.
const VALID: Record<string, fc.Arbitrary<unknown>> = {
  lr: fc.double({ min: 1e-3, max: 0.5, noNaN: true }), depth: fc.integer({ min: 0, max: 3 }), width: fc.integer({ min: 1, max: 16 }),
  init: fc.constantFrom('simple', 'sussilloAbbott', 'he', 'zero', 'glorot'), activation: fc.constantFrom('relu', 'tanh', 'sigmoid', 'linear'),
  optimizer: fc.constantFrom('sgd', 'adam', 'rmsprop'), momentum: fc.double({ min: 0, max: 0.9, noNaN: true }),
  clip: fc.oneof(fc.constant(null), fc.double({ min: 0.1, max: 10, noNaN: true })), noise: fc.boolean(),
  eta: fc.double({ min: 0, max: 0.1, noNaN: true }), gamma: fc.double({ min: 0, max: 1, noNaN: true }), batchSize: fc.integer({ min: 1, max: 100 }),
  steps: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 50 })), seed: fc.nat(1000), schedule: fc.constantFrom('constant', 'cosine', 'step'),
  shards: fc.integer({ min: 1, max: 8 }), epochs: fc.integer({ min: 0, max: 3 }),
};
const NAMES = Object.keys(VALID);
const fieldValue = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(fc.double({ min: 1e-4, max: 1, noNaN: true }), fc.integer({ min: 0, max: 64 }), fc.boolean(), fc.constantFrom('he', 'relu', 'adam')) },
  { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.constant(Number.NaN), fc.constant(-1), fc.constant(1e300), fc.string({ maxLength: 4 }), fc.constant([]), fc.constant({})) },
);
const fieldName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: fc.constantFrom('lrr', 'row', '__proto__', 'constructor', '', 'toString') },
);
/** [field, value]: mostly a valid value of a known field. */
const entry = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...NAMES).chain((n) => VALID[n]!.map((v) => [n, v] as const)) },
  { weight: 1, arbitrary: fc.tuple(fieldName, fieldValue) },
);
/** [field, values] of a grid axis: mostly distinct valid values of a known field. */
const axis = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...NAMES).chain((n) => fc.uniqueArray(VALID[n]!, { minLength: 1, maxLength: 3, comparator: 'SameValueZero' }).map((v) => [n, v] as const)) },
  { weight: 1, arbitrary: fc.tuple(fieldName, fc.array(fieldValue, { maxLength: 3 })) },
);
const fields = (max: number) => fc.array(entry, { maxLength: max }).map((e) => Object.fromEntries(e));
const block = fc.array(axis, { maxLength: 2 }).map((a) => Object.fromEntries(a));

/** Mostly valid, now and then wrong: the usual values first, then a few of the wrong kinds. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 10, arbitrary: good }, { weight: 1, arbitrary: bad });
const grid = fc.oneof(block.filter((b) => Object.keys(b).length > 0), fc.array(block, { maxLength: 3 }));
const random = fc.record({
  count: mostly(fc.integer({ min: 1, max: 12 }), fc.constantFrom(0, -1, 1.5, 'x')),
  seed: mostly(fc.nat(100), fc.constantFrom(-1, undefined)),
  axes: fc.dictionary(mostly(fc.constantFrom('lr', 'momentum', 'width', 'init', 'depth'), fc.constantFrom('toString', 'row')), mostly(fc.oneof(
    fc.record({ uniform: fc.tuple(fc.double({ min: 0.001, max: 0.5, noNaN: true }), fc.double({ min: 0.5, max: 0.9, noNaN: true })) }),
    fc.record({ logUniform: fc.tuple(fc.constant(1e-3), fc.oneof(fc.constant(1e-1), fc.constant(1e-4))) }),
    fc.record({ int: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 })) }),
    fc.record({ choice: fc.array(fieldValue, { maxLength: 3 }) }),
  ), fieldValue), { minKeys: 1, maxKeys: 2 }),
});
const specLike = fc.tuple(
  fc.record({
    name: fc.option(mostly(fc.constantFrom('s', 'table-x', 'a.b_c'), fc.string({ maxLength: 8 })), { nil: undefined }),
    base: fc.option(fields(4), { nil: undefined }),
    seeds: fc.option(mostly(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.uniqueArray(fc.nat(50), { minLength: 1, maxLength: 4 })), fc.constantFrom(0, 1e9, 'x', null, [1, 1])), { nil: undefined }),
    data: fc.option(mostly(fc.record({ trainLimit: fc.integer({ min: 200, max: 600 }), testLimit: fc.integer({ min: 10, max: 100 }) }), fc.constantFrom({ trainX: 42 }, [])), { nil: undefined }),
    thresholds: fc.option(mostly(fc.uniqueArray(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 1, maxLength: 3 }), fc.constantFrom([], [0], [2], 'x')), { nil: undefined }),
    checkpoint: fc.option(mostly(fc.boolean(), fc.constant('yes')), { nil: undefined }),
  }, { requiredKeys: [] }),
  // a grid or random axes (rarely both, which is an error), or neither
  fc.oneof({ weight: 5, arbitrary: grid.map((g) => ({ grid: g })) }, { weight: 3, arbitrary: random.map((r) => ({ random: r })) },
    { weight: 1, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.tuple(grid, random).map(([g, r]) => ({ grid: g, random: r })) }),
).map(([rest, vary]) => ({ ...rest, ...vary }));

describe('sweep specs under fuzzing', () => {
  it('any value: a spec that reads back from its JSON to itself, or an Error naming spec', () => {
    fc.assert(fc.property(anything, (v) => {
      const e = refusal(() => validateSpec(v));
      if (e) expect(e.message).toMatch(/^spec/);
      else expect(validateSpec(specToJson(validateSpec(v)))).toEqual(validateSpec(v));
    }), { seed: SEED, numRuns: 1500 });
  });

  it('mostly valid specs: planned runs with distinct ids (points x seeds), or an Error naming the place', () => {
    let planned = 0;
    fc.assert(fc.property(specLike, (v) => {
      let spec;
      const e = refusal(() => { spec = validateSpec(v); });
      if (e) return void expect(e.message).toMatch(/^spec/);
      const s = spec!;
      expect(validateSpec(specToJson(s))).toEqual(s);
      const points = refusal(() => specPoints(s)) ?? null;
      if (points) return void expect(points.message).toMatch(/^spec/);
      if (specPoints(s).length * s.seeds.length > 256) return;
      let jobs: ReturnType<typeof planSweep> = [];
      const bad = refusal(() => { jobs = planSweep(s, MNIST); });
      if (bad) return void expect(bad.message).toMatch(/^spec/);
      planned++;
      expect(jobs).toHaveLength(specPoints(s).length * s.seeds.length);
      expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
      for (const j of jobs) expect(resolveTrainConfig(j.config)).toEqual(j.config);
    }), { seed: SEED, numRuns: 1500 });
    expect(planned, 'the generator must reach valid plans too').toBeGreaterThan(50);
  });

  it('spec text, mutated: a spec or an Error naming the file (JSON and YAML)', () => {
    const valid = JSON.stringify({ name: 'm', base: { depth: 1, width: 8, steps: 5 }, grid: { lr: [0.1, 0.01], init: ['he', 'glorot'] }, seeds: 2, data: { trainLimit: 300 } });
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.nat(3), fc.string({ maxLength: 3 })).map(([at, cut, add]) => valid.slice(0, at) + add + valid.slice(at + cut));
    fc.assert(fc.property(fc.oneof(mutated, fc.string({ maxLength: 60 })), fc.constantFrom('f.json', 'f.yaml'), (text, file) => {
      const e = refusal(() => parseSpec(text, file));
      if (e) expect(e.message.startsWith(`${file}: `), e.message).toBe(true);
    }), { seed: SEED, numRuns: 2000 });
  });
});

describe('configs, jobs and results from other machines under fuzzing', () => {
  it('resolveTrainConfig: any value gives a config that resolves to itself, or an Error naming config', () => {
    fc.assert(fc.property(fc.oneof(anything, fields(5)), (v) => {
      const e = refusal(() => resolveTrainConfig(v));
      if (e) expect(e.message).toMatch(/^config/);
      else expect(resolveTrainConfig(resolveTrainConfig(v))).toEqual(resolveTrainConfig(v));
    }), { seed: SEED, numRuns: 1500 });
  });

  it('checkJob: a job whose id is the hash of its content, or an Error; resultProblem never throws', () => {
    const job = planSweep(validateSpec({ base: { depth: 1, width: 8, steps: 5 }, grid: { lr: [0.1, 0.01] }, seeds: 2 }), MNIST)[1]!;
    const mutatedJob = fc.tuple(fc.constantFrom(...Object.keys(job)), anything).map(([k, v]) => ({ ...job, [k]: v }));
    fc.assert(fc.property(fc.oneof(mutatedJob, anything), (v) => {
      const e = refusal(() => checkJob(v, checkJobData));
      if (e) expect(e.message).toMatch(/^(the job|job\.)/);
      else expect(checkJob(v, checkJobData).id).toBe((v as { id: string }).id);
      const r = resultProblem({ record: v, checkpoint: null }, job.id);
      expect(r === null || typeof r === 'string').toBe(true);
      expect(typeof resultProblem(v, job.id)).toBe('string');
    }), { seed: SEED, numRuns: 1500 });
  });
});
