// gradnoise: train neural networks on the CPU in any JavaScript runtime, on a WebAssembly SIMD core.
// The public barrel for Node-like runtimes (Node, Bun, Deno): everything in universal.ts, and the readers
// of files on disk. Nothing else is public. Browsers get browser.ts (the package's exports map says so).
export * from './universal.js';
export { mnist, readIdxFile } from './data/files.js';
export { readBabi, readBabiFile, writeBabi, writeBabiFile } from './tasks/babi/files.js';
