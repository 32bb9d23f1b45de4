// What it takes to run the peers' threaded builds under Node 20, where they do not start as shipped.
// Both are workarounds in the benchmark harness, not something a user of those libraries gets by default;
// RESULTS.md says so next to every figure measured with them.
//
// TensorFlow.js wasm (4.22): the backend turns threads off in Node (WASM_HAS_MULTITHREAD_SUPPORT is false
// when IS_NODE, tfjs issue #3830). Forcing the flag on selects the threaded SIMD binary, whose Emscripten
// loader then fails: it starts its pthread workers from blob: URLs, which Node's worker_threads refuses
// (ERR_WORKER_PATH), and the workers import the main script from a Blob as well. Then XNNPACK caps its
// pool at navigator.hardwareConcurrency / 2 (it assumes two hyperthreads per core), 1 on a 2-core machine.
// enableTfjsThreads() writes the worker and the main script to temporary .cjs files instead of blob: URLs
// (giving the main script the bundle's renamed requires it closes over) and reports twice the cores while
// the backend initialises, so XNNPACK gets the requested thread count.
//
// TensorFlow.js wasm (4.22) also lacks two kernels that training needs: the filter gradient of a
// convolution (Conv2DBackpropFilter: tf.conv2d's and tf.fused.conv2d's gradients call it, so no conv net
// trains on the wasm backend as shipped) and UnsortedSegmentSum (tf.gather's gradient: no embedding
// trains). Both fail with "Kernel '...' not registered for backend 'wasm'". addWasmTrainingKernels()
// registers them for the wasm backend, built only from the backend's own kernels, so the work stays in
// its SIMD code: the filter gradient as a convolution of the (padded) input with the output gradient,
// batch and channels swapped by Transpose (dW[kh, kw, c, f] = sum over b, oh, ow of xpad[b, oh + kh,
// ow + kw, c] dy[b, oh, ow, f]: a 'valid' Conv2D of xpadᵀ [C, Hp, Wp, B] by dyᵀ [OH, OW, B, F]), and the
// segment sum as ScatterNd, which adds the updates of repeated indices.
//
// Its matrix products with transposeA or transposeB run many times slower than plain ones (the W1 rows
// "as shipped" and "explicit transposes" show it; XNNPACK is only given the plain form), and every matMul
// gradient tf.grad builds uses them. explicitTransposes() re-registers the backend's BatchMatMul and
// _FusedMatMul so that a transposed operand is first transposed by the Transpose kernel and the product
// runs in the plain form: what W1's "explicit transposes" row does by hand, for every product.
//
// jax-js (0.1.25): its wasm backend dispatches kernels to a pool of Web Workers when SharedArrayBuffer and
// a global Worker exist; Node 20 has no global Worker, so jax-js runs on the calling thread. The pool's
// size is navigator.hardwareConcurrency (Node 20 has no navigator either). enableJaxWorkers() defines a
// small Web Worker on top of worker_threads and a navigator with the requested concurrency.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { resolveObjectURL } from 'node:buffer';
import { Worker as NodeWorker } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';

export async function enableTfjsThreads(tf, wasm, threads) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfjs-threads-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const OrigBlob = globalThis.Blob, origCreate = URL.createObjectURL;
  let mainScript = null;
  globalThis.Blob = class extends OrigBlob {
    constructor(parts, opts) {
      super(parts, opts);
      this.source = parts.every((p) => typeof p === 'string') ? parts.join('') : null;
      if (this.source?.startsWith('var WasmBackendModuleThreadedSimd')) mainScript = this.source;
    }
  };
  const LOAD_FROM_BLOB = 'var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)';
  // Called once per pthread worker (8 of them). The files are written on the first call only: rewriting
  // them while an earlier worker reads them let it read an empty script, exit silently, and the backend
  // then waited forever for it.
  let worker = null;
  URL.createObjectURL = (blob) => {
    if (!blob?.source?.includes(LOAD_FROM_BLOB) || mainScript === null) return origCreate(blob);
    if (worker) return worker;
    const main = path.join(dir, 'main.cjs');
    writeFileSync(main, "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), " +
      "require$$4 = require('os'); var commonjsGlobal = globalThis;\n" + mainScript);
    writeFileSync(path.join(dir, 'worker.cjs'), blob.source.replace(LOAD_FROM_BLOB, `importScripts(${JSON.stringify(main)})`));
    return (worker = path.join(dir, 'worker.cjs'));
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const cpus = os.cpus;
  os.cpus = () => [...cpus(), ...cpus()];
  // Emscripten unrefs its pthread workers, so while the backend waits for them to load nothing else may
  // keep Node's event loop alive (a failed start then ended as exit 13, "unsettled top-level await").
  // A timer holds the loop open until the backend is up, and ends a start that hangs with a clear error.
  let waited = 0;
  const keepAlive = setInterval(() => {
    if (++waited < 120) return;
    console.error('tfjs: the threaded wasm backend did not start within 2 minutes (a pthread worker never reported loaded)');
    process.exit(1);
  }, 1000);
  try {
    await tf.setBackend('wasm');
  } finally {
    clearInterval(keepAlive);
    os.cpus = cpus;
    globalThis.Blob = OrigBlob;
    URL.createObjectURL = origCreate;
  }
}

// A Web Worker (the part jax-js uses: onmessage, onerror, postMessage, terminate) on worker_threads.
const PRELUDE = `const { parentPort } = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (m) => parentPort.postMessage(m);
parentPort.on('message', (data) => self.onmessage({ data }));
`;
export const jaxWorkerMessages = { posted: 0 }; // evidence that the pool is used
class WebWorker {
  constructor(url) {
    this.onmessage = null;
    this.onerror = null;
    this.pending = [];
    // jax-js passes a blob: URL of its worker source and revokes it once the workers are ready.
    resolveObjectURL(String(url)).text().then((src) => {
      // Not unref'd: a run awaits the pool's replies, and an unref'd pool would let Node exit mid-await
      // (the runner ends with process.exit()).
      this.worker = new NodeWorker(PRELUDE + src, { eval: true });
      this.worker.on('message', (data) => this.onmessage?.({ data }));
      this.worker.on('error', (e) => this.onerror?.(e));
      for (const m of this.pending) this.worker.postMessage(m);
      this.pending = null;
    });
  }
  postMessage(m) {
    jaxWorkerMessages.posted++;
    if (this.pending) this.pending.push(m); else this.worker.postMessage(m);
  }
  terminate() { this.worker?.terminate(); }
}

export function enableJaxWorkers(threads) {
  globalThis.Worker = WebWorker;
  globalThis.navigator = { hardwareConcurrency: threads, userAgent: `Node.js/${process.version}` };
}

/** Registers Conv2DBackpropFilter (stride 1, NHWC) and UnsortedSegmentSum for tf's wasm backend (see the top). */
export function addWasmTrainingKernels(tf) {
  const kernel = (name) => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`tfjs wasm: no ${name} kernel to build on`);
    return k.kernelFunc;
  };
  const transpose = kernel('Transpose'), pad = kernel('PadV2'), conv2d = kernel('Conv2D'), scatterNd = kernel('ScatterNd');
  const size = (shape) => shape.reduce((a, b) => a * b, 1);
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter', backendName: 'wasm',
      kernelFunc: ({ inputs: { x, dy }, backend, attrs }) => {
        const { strides, pad: padding, dataFormat, dimRoundingMode, filterShape } = attrs;
        const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, padding, dimRoundingMode, false,
          tf.backend_util.convertConv2DDataFormat(dataFormat));
        if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dataFormat !== 'channelsLast') {
          throw new Error(`Conv2DBackpropFilter (shims.mjs): only stride 1, NHWC (got strides ${strides}, ${dataFormat})`);
        }
        const { top, bottom, left, right } = info.padInfo;
        const temps = [];
        const keep = (t) => { temps.push(t); return t; };
        const xp = top || bottom || left || right
          ? keep(pad({ inputs: { x }, backend, attrs: { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 } })) : x;
        const xT = keep(transpose({ inputs: { x: xp }, backend, attrs: { perm: [3, 1, 2, 0] } })); //   [C, Hp, Wp, B]
        const dyT = keep(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } })); //  [OH, OW, B, F]
        const r = keep(conv2d({ inputs: { x: xT, filter: dyT }, backend,
          attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined } })); // [C, KH, KW, F]
        const out = transpose({ inputs: { x: r }, backend, attrs: { perm: [1, 2, 0, 3] } }); //          [KH, KW, C, F]
        for (const t of temps) backend.disposeData(t.dataId);
        if (out.shape.join() !== filterShape.join()) throw new Error(`Conv2DBackpropFilter (shims.mjs): got [${out.shape}], want [${filterShape}]`);
        return out;
      },
    });
  }
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum', backendName: 'wasm',
      kernelFunc: ({ inputs: { x, segmentIds }, backend, attrs: { numSegments } }) => {
        const n = size(segmentIds.shape), rest = x.shape.slice(segmentIds.shape.length), slice = size(rest);
        const out = scatterNd({ backend, attrs: { shape: [numSegments, slice] },
          inputs: { indices: { dataId: segmentIds.dataId, shape: [n, 1], dtype: 'int32' }, updates: { dataId: x.dataId, shape: [n, slice], dtype: x.dtype } } });
        out.shape = [numSegments, ...rest];
        return out;
      },
    });
  }
}

/** Transposed products as Transpose + a plain product, for tf's wasm backend (see the top). */
export function explicitTransposes(tf) {
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`tfjs wasm: no ${name} kernel`);
    if (k.explicitTransposes) continue;
    const transpose = tf.getKernel('Transpose', 'wasm').kernelFunc;
    const plain = k.kernelFunc;
    const lastTwo = (r) => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...k, explicitTransposes: true,
      kernelFunc: ({ inputs, backend, attrs }) => {
        if (!attrs.transposeA && !attrs.transposeB) return plain({ inputs, backend, attrs });
        const temps = [];
        const t = (x) => { const y = transpose({ inputs: { x }, backend, attrs: { perm: lastTwo(x.shape.length) } }); temps.push(y); return y; };
        const out = plain({
          inputs: { ...inputs, a: attrs.transposeA ? t(inputs.a) : inputs.a, b: attrs.transposeB ? t(inputs.b) : inputs.b },
          backend, attrs: { ...attrs, transposeA: false, transposeB: false },
        });
        for (const x of temps) backend.disposeData(x.dataId);
        return out;
      },
    });
  }
}
