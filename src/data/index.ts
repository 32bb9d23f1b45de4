// src/data/index.ts
// Barrel of the data layer: IDX parsing, the MNIST loader and the Dataset contract. src/data/ stands
// apart from the other layers (it imports nothing from them but core/check.ts, the option checker every
// builder shares, itself free of imports), so the facade re-exports from here.
// Node-only pieces (files.ts): readIdxFile() and mnist() read files synchronously; parseIdx(),
// mnistSplit() and validateDataset() are pure and runtime-agnostic.

export { parseIdx, isGzip, IDX_DTYPE_CODES, IDX_ITEM_SIZES, IDX_MAX_DIMS } from './idx.js';
export { mnist, mnistDataDir, readIdxFile } from './files.js';
export type { IdxDtype, IdxArray, IdxTensor } from './idx.js';

export {
  mnistSplit,
  MNIST_FILES,
  MNIST_ROWS,
  MNIST_COLS,
  MNIST_FEATURES,
  MNIST_CLASSES,
  MNIST_MEAN,
  MNIST_STD,
} from './mnist.js';
export { validateDataset } from './dataset.js';
export type { Dataset, ValidateDatasetOptions } from './dataset.js';
export type { MnistNormalize, MnistOptions, MnistSplit, MnistSplitOptions, Mnist } from './mnist.js';
