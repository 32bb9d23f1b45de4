// The only file that knows which JS environment it runs in: which runtime this is, how to read the core's
// wasm file, how to start a worker and how a worker talks to its host, and how to read and write
// checkpoint files. Node, Bun and Deno use worker_threads and node:fs (runtime/node.ts, loaded only
// there); browsers use Web Workers (module workers) and fetch; workerd (Cloudflare Workers) has neither
// workers nor files, so models there train inline and get the core as a compiled module. Every runtime
// carries the same messages, in the form runtime/protocol.ts's toWire gives them (shared typed arrays as
// their buffers); the step-to-step synchronisation never goes through them (runtime/sync.ts).
import type { BuildName } from '../core/wasm.js';
import { fromWire, toWire } from './protocol.js';

/** A started worker, as the pool drives it. */
export interface WorkerHandle {
  post(message: unknown): void;
  /** Messages, errors (an uncaught exception) and the end of the worker (exit code; browsers never report one). */
  listen(on: { message(m: unknown): void; error(e: Error): void; exit(code: number): void }): void;
  /** Whether the worker keeps a Node process alive (no-op elsewhere). */
  hold(on: boolean): void;
  terminate(): Promise<void>;
}

/** Inside a worker: the channel to the host. */
export interface HostPort {
  post(message: unknown): void;
  listen(on: (m: unknown) => void): void;
}

export type RuntimeName = 'node' | 'bun' | 'deno' | 'workerd' | 'browser' | 'unknown';

/** The JavaScript runtime this code runs in. */
export interface RuntimeInfo {
  readonly name: RuntimeName;
  /** Its version (a browser's user agent; empty where the runtime does not tell, as in workerd). */
  readonly version: string;
  /** Whether it can start workers (worker_threads or Web Workers) for fit(). */
  readonly workers: boolean;
}

interface Globals {
  Bun?: { version?: string };
  Deno?: { version?: { deno?: string } };
  process?: { versions?: { node?: string } };
  navigator?: { userAgent?: string; hardwareConcurrency?: number };
  document?: unknown;
  WorkerGlobalScope?: unknown;
  Worker?: unknown;
}

function detect(): RuntimeInfo {
  const g = globalThis as Globals;
  const webWorkers = typeof g.Worker === 'function';
  // Bun and Deno also define process.versions.node, and workerd does with nodejs_compat: ask them first.
  if (typeof g.Bun?.version === 'string') return { name: 'bun', version: g.Bun.version, workers: true };
  if (typeof g.Deno?.version?.deno === 'string') return { name: 'deno', version: g.Deno.version.deno, workers: true };
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return { name: 'workerd', version: '', workers: webWorkers };
  if (typeof g.process?.versions?.node === 'string') return { name: 'node', version: g.process.versions.node, workers: true };
  if (g.document !== undefined || g.WorkerGlobalScope !== undefined) return { name: 'browser', version: g.navigator?.userAgent ?? '', workers: webWorkers };
  return { name: 'unknown', version: '', workers: webWorkers };
}

const info = detect();

/** Which runtime this is (Node, Bun, Deno, workerd, a browser), its version, and whether it has workers. */
export function runtimeInfo(): RuntimeInfo {
  return info;
}

/** Runtimes with node:fs and node:worker_threads: Node, Bun, Deno. */
const nodeLike = info.name === 'node' || info.name === 'bun' || info.name === 'deno';

// Loaded on first use, and only in Node-like runtimes (a static import would make every bundle name node:).
let nodeSide: Promise<typeof import('./node.js')> | null = null;
function node(): Promise<typeof import('./node.js')> {
  return nodeSide ??= import('./node.js');
}

// Each URL is written out in full, in the `new URL('<literal>', import.meta.url)` form that bundlers (Vite,
// webpack, esbuild, Parcel) recognise and copy the file for. This is the path from dist/src/runtime/; the
// bundles of rollup.config.mjs sit beside their wasm files and rewrite it to './gradnoise.<build>.wasm'.
function coreUrl(build: BuildName): URL {
  switch (build) {
    case 'threads': return new URL('../../build/gradnoise.threads.wasm', import.meta.url);
    case 'single': return new URL('../../build/gradnoise.single.wasm', import.meta.url);
    case 'threads-relaxed': return new URL('../../build/gradnoise.threads-relaxed.wasm', import.meta.url);
    case 'single-relaxed': return new URL('../../build/gradnoise.single-relaxed.wasm', import.meta.url);
  }
}

/** The packaged core build's bytes: read from disk in Node-like runtimes, fetched elsewhere. */
export async function readCoreBuild(build: BuildName): Promise<Uint8Array> {
  if (info.name === 'workerd') {
    throw new Error(`gradnoise: workerd cannot load or compile WebAssembly at run time; import the core as a module and pass it: ` +
      `import core from 'gradnoise/gradnoise.${build}.wasm'; createModel(spec, { wasm: core })`);
  }
  const url = coreUrl(build);
  if (nodeLike) {
    const { readBytes } = await node();
    try {
      return await readBytes(url);
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
  if (!nodeLike) throw new Error(`${where}: this runtime (${info.name}) has no file system to read ${path} from; pass the bytes instead`);
  const { readBytes } = await node();
  try {
    return await readBytes(path);
  } catch (e) {
    throw new Error(`${where}: cannot read ${path} (${(e as { code?: string }).code ?? (e as Error).message})`, { cause: e });
  }
}

/** Writes `bytes` to `path` atomically (io/atomic.ts), in runtimes with a file system. */
export async function writeLocalFileAtomic(where: string, path: string, bytes: Uint8Array, onProgress?: (written: number, total: number) => void): Promise<void> {
  if (!nodeLike) throw new Error(`${where}: this runtime (${info.name}) has no file system to write ${path} to; use toBytes() instead`);
  const { writeBytesAtomic } = await node();
  try {
    writeBytesAtomic(path, bytes, { onProgress });
  } catch (e) {
    throw new Error(`${where}: cannot write ${path} (${(e as { code?: string }).code ?? (e as Error).message}); the file there, if any, is unchanged`, { cause: e });
  }
}

/** How many workers can run at once here (cores), for spin-versus-sleep decisions. */
export async function hardwareThreads(): Promise<number> {
  if (nodeLike) return (await node()).cores();
  return (globalThis as Globals).navigator?.hardwareConcurrency ?? 1;
}

/**
 * The worker script. Running from the TypeScript sources (vitest), the compiled worker in dist/ stands in:
 * worker_threads cannot load .ts files, so tests build it first (npm test does).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/src/runtime/worker.js', here) : new URL('./worker.js', here);
}

// Every message crosses as toWire makes it and is read back through fromWire (runtime/protocol.ts).
const wiredWorker = (h: WorkerHandle): WorkerHandle => ({
  ...h,
  post: (m) => h.post(toWire(m)),
  listen: (on) => h.listen({ ...on, message: (m) => on.message(fromWire(m)) }),
});
const wiredPort = (p: HostPort): HostPort => ({ post: (m) => p.post(toWire(m)), listen: (on) => p.listen((m) => on(fromWire(m))) });

export async function startWorker(name: string): Promise<WorkerHandle> {
  return wiredWorker(await startRawWorker(name));
}

async function startRawWorker(name: string): Promise<WorkerHandle> {
  const url = workerUrl();
  if (nodeLike) return (await node()).startWorker(url, name);
  if (!info.workers) throw new Error(`gradnoise: this runtime (${info.name}) has neither worker_threads nor Web Workers`);
  const W = (globalThis as unknown as { Worker: new (u: URL, o: object) => Worker }).Worker;
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

export async function hostPort(): Promise<HostPort> {
  const port = nodeLike ? (await node()).hostPort() : null;
  if (port) return wiredPort(port);
  const self = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent) => void) | null };
  return wiredPort({ post: (m) => self.postMessage(m), listen: (on) => { self.onmessage = (e) => on(e.data); } });
}
