// Loading and instantiating the core: picks the build, compiles it once, instantiates it on a planned memory.
//
// Two builds of the same AssemblyScript sources exist (asconfig.json): `threads` (simd + threads, shared
// memory) and `single` (simd only, plain memory), because a module that imports shared memory cannot even
// instantiate where SharedArrayBuffer is missing. Both import their memory from env.memory, so the facade
// sizes it from the layout plan and nothing inside wasm ever grows it.
//
// Instantiation goes through @assemblyscript/loader (see docs/kernels.md, "Why the loader"): its env.abort
// decodes AssemblyScript's assertion messages (file, line, column) into a JS Error, which is what turns a
// failed `assert` in the core into an error with context instead of a bare "unreachable".
import { instantiateSync } from '@assemblyscript/loader';
import type { CoreExports } from './abi.js';

export type BuildName = 'threads' | 'single';

/** An instantiated core: typed exports over one memory. */
export interface Core {
  readonly build: BuildName;
  readonly memory: WebAssembly.Memory;
  readonly exports: CoreExports;
}

/** A compiled core module and the one fact the planner needs from it before any memory exists. */
export interface CoreModule {
  readonly build: BuildName;
  readonly module: WebAssembly.Module;
  /** First byte past the module's static data, 64-byte aligned: where the arena starts. */
  readonly arenaBase: number;
  /** An instance on a one-page memory, for the pure questions asked before planning (scratch sizes). */
  readonly probe: CoreExports;
}

/** Whether this runtime can run the threads build: SharedArrayBuffer exists and shared wasm memory works. */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  // A page without cross-origin isolation may still define SharedArrayBuffer in some engines; it cannot
  // share it with workers, so treat it as unavailable.
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

function makeMemory(build: BuildName, pages: number): WebAssembly.Memory {
  return build === 'threads'
    ? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true })
    : new WebAssembly.Memory({ initial: pages, maximum: pages });
}

function imports(memory: WebAssembly.Memory): Record<string, Record<string, unknown>> {
  return { env: { memory } };
}

const modules = new Map<BuildName, Promise<CoreModule>>();

/** Reads a build's wasm bytes (runtime/threads.ts knows how, in each runtime). */
export type CoreReader = (build: BuildName) => Promise<Uint8Array>;

/** The core as the caller may hand it over: its bytes, or a module compiled by the runtime's loader. */
export type CoreSource = Uint8Array | ArrayBuffer | WebAssembly.Module;

/**
 * Compiles the core: `auto` picks `threads` where shared memory works and `single` elsewhere. `read`
 * supplies the packaged module's bytes (compiled once per build and process), or `given` a module handed
 * over directly: bytes, for runtimes that cannot read files or fetch, or a compiled module, for runtimes
 * that forbid compiling at run time (workerd); a compiled module is the build it is, so `auto` follows it.
 */
export function loadCoreModule(build: BuildName | 'auto', read: CoreReader, given?: CoreSource): Promise<CoreModule> {
  if (given instanceof WebAssembly.Module) return Promise.resolve().then(() => fromModule(build, given));
  const name: BuildName = build === 'auto' ? (threadsAvailable() ? 'threads' : 'single') : build;
  if (name === 'threads' && !threadsAvailable()) {
    return Promise.reject(new Error('gradnoise: the threads build needs SharedArrayBuffer and shared WebAssembly memory, which this runtime lacks; use build "single" or "auto"'));
  }
  if (given) return compile(name, given instanceof ArrayBuffer ? new Uint8Array(given) : given);
  let p = modules.get(name);
  if (!p) {
    p = read(name).then((b) => compile(name, b));
    p.catch(() => modules.delete(name));
    modules.set(name, p);
  }
  return p;
}

async function compile(build: BuildName, bytes: Uint8Array): Promise<CoreModule> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    // workerd (and pages under a strict CSP) allow only modules compiled by their own loader.
    if (e instanceof Error && /disallowed|Content Security Policy/i.test(e.message)) {
      throw new Error(`gradnoise: this runtime does not let code compile WebAssembly (${e.message}); import the core as a module ` +
        `(import core from 'gradnoise/gradnoise.${build}.wasm') and pass it as the wasm option`, { cause: e });
    }
    throw e;
  }
  return coreModuleFrom(build, module);
}

/**
 * A CoreModule from a module compiled elsewhere, of either build: the threads build imports a shared
 * memory, the single one a plain memory, and a module links only with its own kind.
 */
function fromModule(build: BuildName | 'auto', module: WebAssembly.Module): CoreModule {
  const links = (b: BuildName): CoreModule | LinkFailure => {
    if (b === 'threads' && !threadsAvailable()) return { failed: new Error('no shared memory here') };
    try {
      return coreModuleFrom(b, module);
    } catch (e) {
      if (e instanceof WebAssembly.LinkError) return { failed: e };
      throw e;
    }
  };
  const first: BuildName = build === 'threads' ? 'threads' : 'single';
  const other: BuildName = first === 'threads' ? 'single' : 'threads';
  const a = links(first);
  if (!('failed' in a)) return a;
  if (build === 'auto') {
    const b = links(other);
    if (!('failed' in b)) return b;
    if (!threadsAvailable()) {
      throw new Error('gradnoise: the wasm module given is not the single build, and the threads build needs shared memory, which this runtime lacks: pass gradnoise.single.wasm', { cause: a.failed });
    }
    throw a.failed;
  }
  let linksOther = false;
  try { linksOther = !('failed' in links(other)); } catch { /* not the core at all */ }
  if (linksOther) throw new Error(`gradnoise: the wasm module given is the ${other} build, but build is "${build}"`);
  throw a.failed;
}

interface LinkFailure { readonly failed: Error }

/** A memory of exactly `pages` pages (never grown: its maximum equals its size), shared for `threads`. */
export function createMemory(mod: CoreModule, pages: number): WebAssembly.Memory {
  if (!Number.isInteger(pages) || pages < 1 || pages > 65536) {
    throw new Error(`gradnoise: the planned arena needs ${pages} pages of 64 KiB; the limit is 65536 (4 GiB)`);
  }
  return makeMemory(mod.build, pages);
}

/** Instantiates the core on an existing memory (synchronous: used in workers and on the main thread). */
export function instantiateCore(mod: CoreModule, memory: WebAssembly.Memory): Core {
  const { exports } = instantiateSync(mod.module, imports(memory));
  return { build: mod.build, memory, exports: exports as unknown as CoreExports };
}

/** A CoreModule from an already compiled module (a worker receives the host's instead of compiling again). */
export function coreModuleFrom(build: BuildName, module: WebAssembly.Module): CoreModule {
  const probe = instantiateSync(module, imports(makeMemory(build, 1)));
  const exports = probe.exports as unknown as CoreExports;
  return { build, module, arenaBase: exports.arena_base(), probe: exports };
}
