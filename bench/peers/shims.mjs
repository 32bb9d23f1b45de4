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
