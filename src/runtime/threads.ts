// The only file that knows which JS environment it runs in: how to read the core's wasm file, how to start
// a worker and how a worker talks to its host, and how to read and write checkpoint files. Node (and Bun,
// Deno) use worker_threads; browsers use Web Workers (module workers). Both carry the same messages; the
// step-to-step synchronisation never goes through them (runtime/sync.ts).

/** A started worker, as the pool drives it. */
export interface WorkerHandle {
  post(message: unknown): void;
  /** Messages, errors (an uncaught exception) and the end of the worker (exit code; browsers never report one). */
  listen(on: { message(m: unknown): void; error(e: Error): void; exit(code: number): void }): void;
  /** Whether the worker keeps a Node process alive (no-op elsewhere). */
  hold(on: boolean): void;
  terminate(): Promise<void>;
}

import type { BuildName } from '../core/wasm.js';

const nodeLike = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

// Each URL is written out in full, in the `new URL('<literal>', import.meta.url)` form that bundlers (Vite,
// webpack, esbuild, Parcel) recognise and copy the file for. This is the path from dist/src/runtime/; the
// bundles of rollup.config.mjs sit beside their wasm files and rewrite it to './gradnoise.<build>.wasm'.
const coreUrl = (build: BuildName): URL => build === 'threads'
  ? new URL('../../build/gradnoise.threads.wasm', import.meta.url)
  : new URL('../../build/gradnoise.single.wasm', import.meta.url);

/** The packaged core build's bytes: read from disk in Node-like runtimes, fetched elsewhere. */
export async function readCoreBuild(build: BuildName): Promise<Uint8Array> {
  const url = coreUrl(build);
  if (nodeLike) {
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(url);
    } catch (e) {
      throw new Error(`gradnoise: cannot read the ${build} core at ${url.pathname} (run \`npm run build:wasm\`)`, { cause: e });
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`gradnoise: cannot fetch the ${build} core from ${url} (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

/** A file's bytes, in runtimes with a file system (Node, Bun, Deno); `where` names the caller in errors. */
export async function readLocalFile(where: string, path: string): Promise<Uint8Array> {
  if (!nodeLike) throw new Error(`${where}: this runtime has no file system to read ${path} from; pass the bytes instead`);
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path);
  } catch (e) {
    throw new Error(`${where}: cannot read ${path} (${(e as { code?: string }).code ?? (e as Error).message})`, { cause: e });
  }
}

/** Writes `bytes` to `path` atomically (io/atomic.ts), in runtimes with a file system. */
export async function writeLocalFileAtomic(where: string, path: string, bytes: Uint8Array, onProgress?: (written: number, total: number) => void): Promise<void> {
  if (!nodeLike) throw new Error(`${where}: this runtime has no file system to write ${path} to; use toBytes() instead`);
  const { writeFileAtomic } = await import('../io/atomic.js');
  try {
    writeFileAtomic(path, bytes, { onProgress });
  } catch (e) {
    throw new Error(`${where}: cannot write ${path} (${(e as { code?: string }).code ?? (e as Error).message}); the file there, if any, is unchanged`, { cause: e });
  }
}

/** How many workers can run at once here (cores), for spin-versus-sleep decisions. */
export async function hardwareThreads(): Promise<number> {
  if (nodeLike) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

/**
 * The worker script. Running from the TypeScript sources (vitest), the compiled worker in dist/ stands in:
 * worker_threads cannot load .ts files, so tests build it first (npm test does).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/src/runtime/worker.js', here) : new URL('./worker.js', here);
}

export async function startWorker(name: string): Promise<WorkerHandle> {
  const url = workerUrl();
  if (nodeLike) {
    const { Worker } = await import('node:worker_threads');
    // The host's Node flags, minus --input-type, which a worker (a file, not --eval) refuses to start with.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    const w = new Worker(url, { name, execArgv });
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
  const W = (globalThis as unknown as { Worker: new (u: URL, o: object) => Worker }).Worker;
  if (typeof W !== 'function') throw new Error('gradnoise: this runtime has neither worker_threads nor Web Workers');
  const w = new W(url, { type: 'module', name });
  let exited: ((code: number) => void) | null = null;
  return {
    post: (m) => w.postMessage(m),
    listen(on) {
      w.onmessage = (e) => on.message(e.data);
      w.onerror = (e) => { e.preventDefault(); on.error(new Error(e.message || 'the worker failed to start')); };
      w.onmessageerror = () => on.error(new Error('a message from the worker could not be read'));
      exited = on.exit;
    },
    hold: () => {},
    terminate: async () => { w.terminate(); exited?.(0); },
  };
}

/** Inside a worker: the channel to the host. */
export interface HostPort {
  post(message: unknown): void;
  listen(on: (m: unknown) => void): void;
}

export async function hostPort(): Promise<HostPort> {
  if (nodeLike) {
    const { parentPort } = await import('node:worker_threads');
    if (parentPort) return { post: (m) => parentPort.postMessage(m), listen: (on) => parentPort.on('message', on) };
  }
  const self = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent) => void) | null };
  return { post: (m) => self.postMessage(m), listen: (on) => { self.onmessage = (e) => on(e.data); } };
}
