// gradnoise for browsers (and any runtime without a file system): everything in universal.ts. MNIST and
// other IDX files come in as bytes (fetch them, then mnistSplit() or parseIdx()); checkpoints as bytes
// too (model.toBytes(), model.loadBytes(), loadModel(bytes)).
export * from './universal.js';
