// Sweep specs: what `gradnoise sweep SPEC` reads (JSON, or YAML through the optional `yaml` package) and
// what `reproduce table1` builds. A spec names a base config, the axes to vary (a grid, or seeded random
// draws), the seeds per point, the data and the accuracy thresholds of the report. parseSpec() checks
// everything before a single job is planned: every error names its place in the spec and the value, as
// `spec.grid.lr[2] is "x" (need a finite number > 0)`.
//
// The format (docs/sweeps.md):
//   name: lr-init                          # names the sweep (default: the file's name); [A-Za-z0-9._-]
//   experiment: ...                        # optional label hashed into every job id (table1 uses one)
//   base: { depth: 2, width: 16, ... }     # a partial TrainConfig (runs/config.ts); the rest: defaults
//   grid: { lr: [0.1, 0.01], init: [he, simple] }    # the product of the axes; or a list of such
//                                                    # blocks, whose products are joined
//         { row: { "1": { init: simple }, "2": { init: simple, clip: 100 } } }
//                                          # an axis that names no config field maps labels to bundles
//   random: { count: 8, seed: 1, axes: { lr: { logUniform: [1e-3, 1e-1] }, width: { int: [8, 64] },
//             momentum: { uniform: [0, 0.9] }, init: { choice: [he, glorot] } } }
//   seeds: 5                               # base.seed (default 1), +1, ...; or a list [1, 7, 9]
//   data: { trainLimit: 1000, testLimit: 200 }       # MNIST; or trainX/trainY/testX/testY file paths
//   base: { model: graph.json }            # a graph model (a file, or the graph itself), in place of the MLP;
//                                          # its data by input name: data: { inputs: { ids: ids.npy, y: y.npy },
//                                          # testInputs: {...}, jsonl: train.jsonl, testJsonl: ..., padId: 0 }
//   thresholds: [0.99, 0.98, 0.97, 0.95]   # accuracies: the report counts runs with error < 1, 2, 3, 5%
//   checkpoint: false                      # keep every run's final checkpoint in OUT/checkpoints/
import { basename, extname } from 'node:path';
import { didYouMean, show } from '../core/check.js';
import { requireOptional } from '../io/optional.js';
import { configFieldError, configFieldProblem, MLP_FIELDS, resolveTrainConfig, TRAIN_CONFIG_FIELDS, type TrainConfig } from '../runs/config.js';

/** What a point of a sweep shows for an axis: a config value, or the label of a bundle. */
export type AxisValue = string | number | boolean | null;

/** One axis of a grid block: a config field and its values, or labels of bundles of fields. */
export interface GridAxis {
  readonly name: string;
  readonly values: readonly AxisValue[];
  /** For an axis that names no config field: label -> the fields it sets. */
  readonly bundles: Readonly<Record<string, Partial<TrainConfig>>> | null;
}

export type Distribution =
  | { readonly kind: 'uniform' | 'logUniform' | 'int'; readonly low: number; readonly high: number }
  | { readonly kind: 'choice'; readonly values: readonly AxisValue[] };

export interface RandomAxes {
  readonly count: number;
  readonly seed: number;
  readonly axes: readonly { readonly name: keyof TrainConfig; readonly dist: Distribution }[];
}

/**
 * The data of every job: MNIST (no files named) or the MLP's files, with the CLI's flag names; or a graph
 * model's files by input name and JSON Lines files of examples (the CLI's --input, --data, --pad-id).
 */
export interface DataSpec {
  readonly trainX: string | null;
  readonly trainY: string | null;
  readonly testX: string | null;
  readonly testY: string | null;
  readonly trainLimit: number | null;
  readonly testLimit: number | null;
  readonly rawInputs: boolean;
  readonly inputs: Readonly<Record<string, string>> | null;
  readonly testInputs: Readonly<Record<string, string>> | null;
  readonly jsonl: string | null;
  readonly testJsonl: string | null;
  readonly padId: number | null;
}

export interface SweepSpec {
  readonly name: string;
  readonly experiment: string | null;
  readonly base: Partial<TrainConfig>;
  /** Grid blocks (their products are joined), or null. */
  readonly grid: readonly (readonly GridAxis[])[] | null;
  readonly random: RandomAxes | null;
  readonly seeds: readonly number[];
  readonly data: DataSpec;
  /** Accuracies, highest first: the report counts the runs with test error below 1 - t. */
  readonly thresholds: readonly number[];
  readonly checkpoint: boolean;
}

export const DEFAULT_THRESHOLDS = [0.99, 0.98, 0.97, 0.95] as const;
const SPEC_KEYS = ['name', 'experiment', 'base', 'grid', 'random', 'seeds', 'data', 'thresholds', 'checkpoint'];
const DATA_KEYS = ['trainX', 'trainY', 'testX', 'testY', 'trainLimit', 'testLimit', 'rawInputs', 'inputs', 'testInputs', 'jsonl', 'testJsonl', 'padId'];
const MAX_SEEDS = 100_000;
const MAX_VALUES = 10_000;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isField = (name: string): name is keyof TrainConfig => (TRAIN_CONFIG_FIELDS as readonly string[]).includes(name);
const bad = (path: string, value: unknown, need: string): never => { throw new Error(`${path} is ${show(value)} (need ${need})`); };
/** `spec.grid.lr` or `spec.grid.row["1b"]`: a key as a reader would type it. */
const at = (path: string, key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

function checkKeys(path: string, v: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!isObject(v)) bad(path, v, `an object with keys among ${allowed.join(', ')}`);
  for (const k of Object.keys(v as object)) {
    if (!allowed.includes(k)) throw new Error(`${at(path, k)}: unknown key (allowed: ${allowed.join(', ')})${didYouMean(k, allowed)}`);
  }
  return v as Record<string, unknown>;
}

const intIn = (path: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : bad(path, v, `an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);

/**
 * What is wrong with `v` as config field `field` in a spec, as a message tail (undefined: nothing): as
 * in a config, except that a model may also be a graph file's path (read and checked when the sweep runs).
 */
function fieldError(field: keyof TrainConfig, v: unknown): string | undefined {
  if (field === 'model') {
    if (typeof v === 'string') return v !== '' ? undefined : ' is "" (need a graph file\'s path)';
    return v === null || (typeof v === 'object' && !Array.isArray(v)) ? configFieldError(field, v) : ` is ${show(v)} (need a graph file's path, a graph, or null)`;
  }
  const need = configFieldProblem(field, v);
  return need === null ? undefined : ` is ${show(v)} (need ${need})`;
}

/** What value `v` would need to be for `field` in a spec (null: it is fine). For the random draws (plan.ts). */
export function specFieldProblem(field: keyof TrainConfig, v: unknown): string | null {
  return fieldError(field, v) === undefined ? null : field === 'model' ? 'a graph file\'s path, a graph, or null' : configFieldProblem(field, v);
}

/** A partial config: known fields with valid values, each error naming `path.field`. */
function partialConfig(path: string, v: unknown): Partial<TrainConfig> {
  const o = checkKeys(path, v, TRAIN_CONFIG_FIELDS);
  for (const [k, x] of Object.entries(o)) {
    const e = fieldError(k as keyof TrainConfig, x);
    if (e) throw new Error(`${at(path, k)}${e}`);
  }
  if (o.model !== undefined && o.model !== null) {
    const mlp = MLP_FIELDS.find((f) => f in o);
    if (mlp) throw new Error(`${path}: ${mlp} and model do not go together (the graph names its own layers; ${mlp} describes the MLP of a config without one)`);
  }
  return o as Partial<TrainConfig>;
}

function fieldValue(path: string, field: keyof TrainConfig, v: unknown): AxisValue {
  if (field === 'seed') throw new Error(`${path}: the seed is not an axis (the seeds of every point are spec.seeds)`);
  if (field === 'model' && v !== null && typeof v !== 'string') {
    bad(path, v, 'a graph file\'s path, or null for the MLP (a graph written out goes in a bundle axis, such as { a: { model: {...} } })');
  }
  const e = fieldError(field, v);
  if (e) throw new Error(`${path}${e}`);
  return v as AxisValue;
}

function gridBlock(path: string, v: unknown): GridAxis[] {
  if (!isObject(v) || Object.keys(v).length === 0) bad(path, v, 'an object of axes, such as { lr: [0.1, 0.01] }');
  const axes: GridAxis[] = [];
  const setBy = new Map<string, string>();
  const claim = (field: string, axis: string) => {
    const other = setBy.get(field);
    if (other !== undefined && other !== axis) throw new Error(`${path}: the axes ${other} and ${axis} both set ${field}`);
    setBy.set(field, axis);
  };
  for (const [name, values] of Object.entries(v as object)) {
    const p = at(path, name);
    if (isField(name)) {
      if (!Array.isArray(values) || values.length === 0) bad(p, values, `a non-empty list of ${name} values`);
      if ((values as unknown[]).length > MAX_VALUES) bad(p, `${(values as unknown[]).length} values`, `at most ${MAX_VALUES}`);
      const list = (values as unknown[]).map((x, i) => fieldValue(`${p}[${i}]`, name, x));
      list.forEach((x, i) => { if (list.indexOf(x) !== i) throw new Error(`${p}[${i}] is ${show(x)}, listed twice`); });
      claim(name, name);
      axes.push({ name, values: list, bundles: null });
    } else {
      if (!isObject(values) || Object.keys(values).length === 0) {
        throw new Error(`${p}: ${name} is not a config field${didYouMean(name, TRAIN_CONFIG_FIELDS)}; an axis that names no field maps labels ` +
          `to the fields they set, such as { "a": { lr: 0.1 }, "b": { lr: 0.01, clip: 10 } } (got ${show(values)})`);
      }
      const bundles: Record<string, Partial<TrainConfig>> = {};
      for (const [label, bundle] of Object.entries(values as object)) {
        const b = partialConfig(at(p, label), bundle);
        if ('seed' in b) throw new Error(`${at(p, label)}.seed: the seed is not an axis (the seeds of every point are spec.seeds)`);
        for (const field of Object.keys(b)) claim(field, name);
        bundles[label] = b;
      }
      axes.push({ name, values: Object.keys(bundles), bundles });
    }
  }
  return axes;
}

function distribution(path: string, name: keyof TrainConfig, v: unknown): Distribution {
  const o = checkKeys(path, v, ['uniform', 'logUniform', 'int', 'choice']);
  const kinds = Object.keys(o);
  if (kinds.length !== 1) bad(path, v, 'exactly one of uniform: [low, high], logUniform: [low, high], int: [low, high], choice: [values]');
  const kind = kinds[0] as 'uniform' | 'logUniform' | 'int' | 'choice';
  const p = `${path}.${kind}`, x = o[kind];
  if (kind === 'choice') {
    if (!Array.isArray(x) || x.length === 0) bad(p, x, `a non-empty list of ${name} values`);
    const values = (x as unknown[]).map((y, i) => fieldValue(`${p}[${i}]`, name, y));
    values.forEach((y, i) => { if (values.indexOf(y) !== i) throw new Error(`${p}[${i}] is ${show(y)}, listed twice`); });
    return { kind, values };
  }
  const range = kind === 'int' ? 'integers' : kind === 'logUniform' ? 'numbers > 0' : 'finite numbers';
  if (!Array.isArray(x) || x.length !== 2) bad(p, x, `[low, high], two ${range} with low < high`);
  const [low, high] = x as [unknown, unknown];
  const ok = (y: unknown) => (kind === 'int' ? Number.isSafeInteger(y) : typeof y === 'number' && Number.isFinite(y) && (kind !== 'logUniform' || y > 0));
  if (!ok(low) || !ok(high) || (low as number) >= (high as number)) bad(p, x, `[low, high], two ${range} with low < high`);
  // Both ends must be values of the field, so every draw is (the range of a field is an interval).
  fieldValue(`${p}[0]`, name, low);
  fieldValue(`${p}[1]`, name, high);
  return { kind, low: low as number, high: high as number };
}

function randomAxes(path: string, v: unknown): RandomAxes {
  const o = checkKeys(path, v, ['count', 'seed', 'axes']);
  const count = intIn(`${path}.count`, o.count, 1, MAX_VALUES);
  if (o.seed === undefined) throw new Error(`${path}.seed is missing (need an integer from 0 up: the same seed draws the same points)`);
  const seed = intIn(`${path}.seed`, o.seed, 0);
  if (!isObject(o.axes) || Object.keys(o.axes).length === 0) bad(`${path}.axes`, o.axes, 'an object of axes, such as { lr: { logUniform: [0.001, 0.1] } }');
  const axes = Object.entries(o.axes as object).map(([name, d]) => {
    const p = at(`${path}.axes`, name);
    if (!isField(name)) throw new Error(`${p}: ${name} is not a config field${didYouMean(name, TRAIN_CONFIG_FIELDS)} (random axes draw config fields)`);
    if (name === 'seed') throw new Error(`${p}: the seed is not an axis (the seeds of every point are spec.seeds)`);
    return { name, dist: distribution(p, name, d) };
  });
  return { count, seed, axes };
}

function dataSpec(path: string, v: unknown): DataSpec {
  const o = v === undefined ? {} : checkKeys(path, v, DATA_KEYS);
  const file = (k: string): string | null => {
    const x = o[k];
    if (x === undefined || x === null) return null;
    return typeof x === 'string' && x.length > 0 ? x : bad(`${path}.${k}`, x, 'a file path');
  };
  const named = (k: string): Record<string, string> | null => {
    const x = o[k];
    if (x === undefined || x === null) return null;
    if (!isObject(x) || Object.keys(x).length === 0) bad(`${path}.${k}`, x, 'an object of input name: file path, such as { ids: ids.npy }');
    for (const [name, f] of Object.entries(x as object)) if (typeof f !== 'string' || f.length === 0) bad(at(`${path}.${k}`, name), f, 'a file path');
    return x as Record<string, string>;
  };
  const limit = (k: string): number | null => (o[k] === undefined || o[k] === null ? null : intIn(`${path}.${k}`, o[k], 1));
  const d: DataSpec = {
    trainX: file('trainX'), trainY: file('trainY'), testX: file('testX'), testY: file('testY'),
    trainLimit: limit('trainLimit'), testLimit: limit('testLimit'),
    rawInputs: o.rawInputs === undefined ? false : typeof o.rawInputs === 'boolean' ? o.rawInputs : bad(`${path}.rawInputs`, o.rawInputs, 'true or false'),
    inputs: named('inputs'), testInputs: named('testInputs'), jsonl: file('jsonl'), testJsonl: file('testJsonl'),
    padId: o.padId === undefined || o.padId === null ? null : intIn(`${path}.padId`, o.padId, -(2 ** 31), 2 ** 31 - 1),
  };
  const files = [d.trainX, d.trainY, d.testX, d.testY];
  const byInput = d.inputs !== null || d.jsonl !== null || d.testInputs !== null || d.testJsonl !== null;
  if (files.some((f) => f !== null)) {
    if (byInput) throw new Error(`${path}: trainX, trainY, testX and testY (the MLP's data) do not go with inputs, testInputs, jsonl and testJsonl (a graph model's)`);
    if (d.trainX === null || d.trainY === null) throw new Error(`${path}: trainX and trainY go together (got ${d.trainX ? 'trainX only' : d.trainY ? 'trainY only' : 'test files only'})`);
    if ((d.testX === null) !== (d.testY === null)) throw new Error(`${path}: testX and testY go together`);
    if (d.testX === null && d.testLimit !== null) throw new Error(`${path}.testLimit needs a test split (testX and testY)`);
  }
  if (byInput) {
    if (d.inputs === null && d.jsonl === null) throw new Error(`${path}: testInputs and testJsonl need training data too (inputs or jsonl)`);
    if (d.testInputs === null && d.testJsonl === null && d.testLimit !== null) throw new Error(`${path}.testLimit needs a test split (testInputs or testJsonl)`);
  }
  if (d.padId !== null && d.jsonl === null && d.testJsonl === null) throw new Error(`${path}.padId pads the short lists of JSON Lines files: it needs jsonl or testJsonl`);
  return d;
}

/** A checked spec from a parsed object; `defaultName` names it when it has no name. */
export function validateSpec(v: unknown, defaultName = 'sweep'): SweepSpec {
  const o = checkKeys('spec', v, SPEC_KEYS);
  const name = o.name === undefined ? defaultName : o.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(name)) bad('spec.name', name, '1 to 100 characters among A-Z a-z 0-9 . _ -');
  const experiment = o.experiment === undefined || o.experiment === null ? null
    : typeof o.experiment === 'string' && o.experiment.length > 0 ? o.experiment : bad('spec.experiment', o.experiment, 'a non-empty string');
  const base = o.base === undefined ? {} : partialConfig('spec.base', o.base);
  if (o.grid !== undefined && o.random !== undefined) throw new Error('spec: grid and random do not go together (one sweep varies its axes one way)');
  const grid = o.grid === undefined ? null
    : Array.isArray(o.grid) ? (o.grid.length > 0 ? o.grid.map((b, i) => gridBlock(`spec.grid[${i}]`, b)) : bad('spec.grid', o.grid, 'a non-empty list of grid blocks'))
    : [gridBlock('spec.grid', o.grid)];
  const random = o.random === undefined ? null : randomAxes('spec.random', o.random);
  let seeds: number[];
  if (o.seeds === undefined || typeof o.seeds === 'number') {
    const n = o.seeds === undefined ? 1 : intIn('spec.seeds', o.seeds, 1, MAX_SEEDS);
    const first = base.seed ?? 1;
    if (first > Number.MAX_SAFE_INTEGER - (n - 1)) {
      throw new Error(`spec.seeds: ${n} seeds counted from spec.base.seed ${first} go past ${Number.MAX_SAFE_INTEGER} (2^53 - 1), the largest seed`);
    }
    seeds = Array.from({ length: n }, (_, k) => first + k);
  } else if (Array.isArray(o.seeds) && o.seeds.length > 0 && o.seeds.length <= MAX_SEEDS) {
    if (base.seed !== undefined) throw new Error('spec.base.seed and a list of spec.seeds do not go together (the list names every seed)');
    seeds = o.seeds.map((s, i) => intIn(`spec.seeds[${i}]`, s, 0));
    seeds.forEach((s, i) => { if (seeds.indexOf(s) !== i) throw new Error(`spec.seeds[${i}] is ${s}, listed twice`); });
  } else {
    seeds = bad('spec.seeds', o.seeds, `a count from 1 to ${MAX_SEEDS}, or a non-empty list of seeds`);
  }
  let thresholds: number[] = [...DEFAULT_THRESHOLDS];
  if (o.thresholds !== undefined) {
    if (!Array.isArray(o.thresholds) || o.thresholds.length === 0 || o.thresholds.length > 20) bad('spec.thresholds', o.thresholds, 'a list of 1 to 20 accuracies in (0, 1]');
    thresholds = (o.thresholds as unknown[]).map((t, i) => typeof t === 'number' && t > 0 && t <= 1 ? t : bad(`spec.thresholds[${i}]`, t, 'an accuracy in (0, 1], such as 0.99 for 1% error'));
    thresholds.forEach((t, i) => { if (thresholds.indexOf(t) !== i) throw new Error(`spec.thresholds[${i}] is ${t}, listed twice`); });
    thresholds.sort((a, b) => b - a);
  }
  const checkpoint = o.checkpoint === undefined ? false : typeof o.checkpoint === 'boolean' ? o.checkpoint : bad('spec.checkpoint', o.checkpoint, 'true or false');
  // The base alone must be a config (the points then only change what they name); a graph file is read later.
  resolveTrainConfig(typeof base.model === 'string' ? { ...base, model: null } : base, 'spec.base');
  return { name: name as string, experiment, base, grid, random, seeds, data: dataSpec('spec.data', o.data), thresholds, checkpoint };
}

/**
 * The value of a config or spec file: JSON for a .json name, YAML (a superset of JSON) otherwise. A key
 * given twice is an error in both (JSON.parse alone would keep the last one silently).
 */
export function parseConfigText(text: string, file: string): unknown {
  const json = extname(file).toLowerCase() === '.json';
  // YAML's reader is an optional package, loaded (synchronously, once: require caches it) for YAML only.
  const YAML = json ? null : requireOptional<typeof import('yaml')>(
    { what: `${file}: reading YAML`, otherwise: 'write it as JSON, in a .json file' }, ['yaml'], 'yaml');
  let v: unknown;
  try {
    v = YAML === null ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    const m = (e as Error).message.split('\n')[0]!;
    throw new Error(`${file}: not valid ${json ? 'JSON' : 'YAML'}: ${/must be unique/.test(m) ? `a key given twice (${m})` : m}`);
  }
  const twice = json ? duplicateJsonKey(text) : null;
  if (twice !== null) throw new Error(`${file}: not valid JSON: a key given twice (${JSON.stringify(twice)})`);
  return v;
}

/**
 * The first key given twice in one object of `text`, valid JSON (null: none). One pass, no recursion:
 * any depth, any size.
 */
function duplicateJsonKey(text: string): string | null {
  const open: (Set<string> | null)[] = []; // per open object its keys, per open array null
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      if (keys && keyNext) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        keyNext = false;
      }
      i = j;
    } else if (c === '{') {
      open.push(new Set());
      keyNext = true;
    } else if (c === '[') {
      open.push(null);
      keyNext = false;
    } else if (c === '}' || c === ']') {
      open.pop();
      keyNext = false;
    } else if (c === ',') {
      keyNext = open[open.length - 1] != null;
    }
  }
  return null;
}

/** Parses spec text (parseConfigText), then checks it. */
export function parseSpec(text: string, file: string): SweepSpec {
  const v = parseConfigText(text, file);
  try {
    return validateSpec(v, basename(file, extname(file)).replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100) || 'sweep');
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** The spec as plain data again (what OUT/spec.json holds; validateSpec reads it back to the same spec). */
export function specToJson(s: SweepSpec): Record<string, unknown> {
  const dist = (d: Distribution) => (d.kind === 'choice' ? { choice: d.values } : { [d.kind]: [d.low, d.high] });
  const block = (axes: readonly GridAxis[]) => Object.fromEntries(axes.map((a) => [a.name, a.bundles ?? a.values]));
  const data = Object.fromEntries(Object.entries(s.data).filter(([k, v]) => v !== null && !(k === 'rawInputs' && v === false)));
  return {
    name: s.name, ...(s.experiment ? { experiment: s.experiment } : {}), base: s.base,
    ...(s.grid ? { grid: s.grid.length === 1 ? block(s.grid[0]!) : s.grid.map(block) } : {}),
    ...(s.random ? { random: { count: s.random.count, seed: s.random.seed, axes: Object.fromEntries(s.random.axes.map((a) => [a.name, dist(a.dist)])) } } : {}),
    // Seeds counted from base.seed are written as the count (a list and base.seed do not go together).
    seeds: s.base.seed !== undefined ? s.seeds.length : s.seeds, data, thresholds: s.thresholds, checkpoint: s.checkpoint,
  };
}
