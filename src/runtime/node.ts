// The Node-like half of runtime/threads.ts, for Node, Bun and Deno (each implements these node: modules):
// files, worker_threads and the core count. threads.ts imports it only in those runtimes, and the bundle
// for browsers and edge runtimes replaces it with a stub (rollup.config.mjs), so that bundle names no
// node: module at all: workerd, Vite and plain pages all refuse one.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parentPort, Worker } from 'node:worker_threads';
import { writeFileAtomic, type AtomicWriteOptions } from '../io/atomic.js';
import type { HostPort, WorkerHandle } from './threads.js';

export function readBytes(path: string | URL): Promise<Uint8Array> {
  return readFile(path);
}

export function writeBytesAtomic(path: string, bytes: Uint8Array, options: AtomicWriteOptions): void {
  writeFileAtomic(path, bytes, options);
}

export function cores(): number {
  // A default import: a named import that a runtime's node:os lacks would fail to link.
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export function startWorker(url: URL, name: string): WorkerHandle {
  // The host's Node flags, minus --input-type, which a worker (a file, not --eval) refuses to start with.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  let w: Worker;
  try {
    w = new Worker(url, { name, execArgv });
  } catch (e) {
    // A worker also refuses V8's flags (node --experimental-wasm-relaxed-simd, for the relaxed build), which
    // hold for every thread of the process anyway: start it without the ones Node names.
    const refused = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? /flags: (.*)$/.exec((e as Error).message)?.[1]?.split(', ') : undefined;
    if (!refused?.length) throw e;
    w = new Worker(url, { name, execArgv: execArgv.filter((a) => !refused.includes(a)) });
  }
  return {
    post: (m) => w.postMessage(m),
    listen(on) {
      w.on('message', on.message);
      w.on('error', on.error);
      w.on('exit', on.exit);
      // A worker that cannot even load its script reports it as an error event too.
      w.on('messageerror', (e) => on.error(e instanceof Error ? e : new Error(String(e))));
    },
    hold: (on) => { if (on) w.ref(); else w.unref(); },
    terminate: async () => { await w.terminate(); },
  };
}

/** The channel to the host inside a worker_threads worker (null on the main thread). */
export function hostPort(): HostPort | null {
  const port = parentPort;
  return port ? { post: (m) => port.postMessage(m), listen: (on) => port.on('message', on) } : null;
}
