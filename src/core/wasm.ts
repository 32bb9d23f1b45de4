// Loading and instantiating the core: picks the build, compiles it once, instantiates it on a planned memory.
//
// Four builds of the same AssemblyScript sources exist (asconfig.json): `threads` (simd + threads, shared
// memory) and `single` (simd only, plain memory), because a module that imports shared memory cannot even
// instantiate where SharedArrayBuffer is missing; and their opt-in twins `threads-relaxed` and
// `single-relaxed`, whose GEMMs multiply-add with f32x4.relaxed_madd (assembly/madd.ts): faster where the
// CPU fuses it, but not the same bits on every CPU, so never chosen unless asked for. All import their
// memory from env.memory, so the facade sizes it from the layout plan and nothing inside wasm ever grows it.
//
// Instantiation goes through @assemblyscript/loader (see docs/kernels.md, "Why the loader"): its env.abort
// decodes AssemblyScript's assertion messages (file, line, column) into a JS Error, which is what turns a
// failed `assert` in the core into an error with context instead of a bare "unreachable".
import { instantiateSync } from '@assemblyscript/loader';
import type { CoreExports } from './abi.js';

/** A build of the core: its memory kind (shared `threads`, plain `single`) and its SIMD (baseline, or relaxed). */
export type BuildName = 'threads' | 'single' | 'threads-relaxed' | 'single-relaxed';

/**
 * What a caller may ask for: a build, `auto` (threads where shared memory works, else single) or `relaxed`
 * (the relaxed twin of what `auto` picks).
 */
export type BuildChoice = BuildName | 'auto' | 'relaxed';

/** Whether a build imports shared memory (and so can run on workers). */
export const sharesMemory = (build: BuildName): boolean => build === 'threads' || build === 'threads-relaxed';

/** Whether a choice asks for relaxed SIMD. */
export const asksRelaxed = (choice: BuildChoice): boolean => choice === 'relaxed' || choice.endsWith('-relaxed');

/** The baseline choice a relaxed one falls back to: the same memory kind, deterministic SIMD. */
export const baselineOf = (choice: BuildChoice): BuildChoice => choice === 'relaxed' ? 'auto' : choice.replace('-relaxed', '') as BuildChoice;

// The smallest module that uses relaxed SIMD: (func (param v128 v128 v128) (result v128) f32x4.relaxed_madd).
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section: (v128, v128, v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // local.get 0..2, f32x4.relaxed_madd (0xfd 0x105)
]);
let relaxed: boolean | null = null;

/**
 * Whether this engine has relaxed SIMD (Chromium, Deno, Node 22+; Node 20 only with
 * --experimental-wasm-relaxed-simd): WebAssembly.validate on a module using f32x4.relaxed_madd, asked once.
 */
export function relaxedSimdAvailable(): boolean {
  return relaxed ??= WebAssembly.validate(RELAXED_PROBE);
}

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
  return sharesMemory(build)
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
 * Compiles the core: `auto` picks `threads` where shared memory works and `single` elsewhere, `relaxed`
 * their relaxed twin (no fallback here: where relaxedSimdAvailable() is false the caller picks a baseline
 * build, and says so). `read` supplies the packaged module's bytes (compiled once per build and process),
 * or `given` a module handed over directly: bytes, for runtimes that cannot read files or fetch, or a
 * compiled module, for runtimes that forbid compiling at run time (workerd). A given module is the build it
 * is: `auto` follows it, its memory kind and its SIMD alike, and a build asked for that it is not is an error.
 */
export function loadCoreModule(build: BuildChoice, read: CoreReader, given?: CoreSource): Promise<CoreModule> {
  if (given instanceof WebAssembly.Module) return Promise.resolve().then(() => fromModule(build, given));
  const kind = threadsAvailable() ? 'threads' : 'single';
  const name: BuildName = build === 'auto' ? kind : build === 'relaxed' ? `${kind}-relaxed` : build;
  if (sharesMemory(name) && !threadsAvailable()) {
    return Promise.reject(new Error(`gradnoise: the ${name} build needs SharedArrayBuffer and shared WebAssembly memory, which this runtime lacks; use build "${name.replace('threads', 'single')}" or "auto"`));
  }
  if (given) return compile(name, given instanceof ArrayBuffer ? new Uint8Array(given) : given, build === 'auto');
  let p = modules.get(name);
  if (!p) {
    p = read(name).then((b) => compile(name, b));
    p.catch(() => modules.delete(name));
    modules.set(name, p);
  }
  return p;
}

async function compile(build: BuildName, bytes: Uint8Array, followSimd = false): Promise<CoreModule> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    if (e instanceof WebAssembly.CompileError && !relaxedSimdAvailable() && (build.endsWith('-relaxed') || /relaxed/i.test(e.message))) {
      throw new Error(`gradnoise: this runtime has no relaxed SIMD, so it cannot compile a relaxed build of the core (${e.message}); ` +
        `use a baseline build (gradnoise.${build.replace('-relaxed', '')}.wasm)`, { cause: e });
    }
    // workerd (and pages under a strict CSP) allow only modules compiled by their own loader.
    if (e instanceof Error && /disallowed|Content Security Policy/i.test(e.message)) {
      throw new Error(`gradnoise: this runtime does not let code compile WebAssembly (${e.message}); import the core as a module ` +
        `(import core from 'gradnoise/gradnoise.${build}.wasm') and pass it as the wasm option`, { cause: e });
    }
    throw e;
  }
  return followSimd ? withItsSimd(build, module) : checkedSimd(build, module);
}

/** The module's own SIMD (its relaxed_simd export) decides the relaxed half of the build's name. */
function withItsSimd(build: BuildName, module: WebAssembly.Module): CoreModule {
  const mod = coreModuleFrom(build, module);
  const kind = sharesMemory(build) ? 'threads' : 'single';
  const own: BuildName = mod.probe.relaxed_simd() ? `${kind}-relaxed` : kind;
  return own === build ? mod : { ...mod, build: own };
}

/** A CoreModule of `build`, or an error when the module's SIMD is not that build's. */
function checkedSimd(build: BuildName, module: WebAssembly.Module): CoreModule {
  const mod = withItsSimd(build, module);
  if (mod.build !== build) throw new Error(`gradnoise: the wasm module given is the ${mod.build} build, but build is "${build}"`);
  return mod;
}

/**
 * A CoreModule from a module compiled elsewhere, of either build: the threads build imports a shared
 * memory, the single one a plain memory, and a module links only with its own kind.
 */
function fromModule(build: BuildChoice, module: WebAssembly.Module): CoreModule {
  const links = (b: BuildName): CoreModule | LinkFailure => {
    if (b === 'threads' && !threadsAvailable()) return { failed: new Error('no shared memory here') };
    try {
      return withItsSimd(b, module);
    } catch (e) {
      if (e instanceof WebAssembly.LinkError) return { failed: e };
      throw e;
    }
  };
  // The memory kind first (the one a module links with), then the SIMD the module says it has.
  const first: BuildName = build === 'threads' || build === 'threads-relaxed' ? 'threads' : 'single';
  const other: BuildName = first === 'threads' ? 'single' : 'threads';
  const simd = (m: CoreModule): CoreModule => {
    const wanted = build === 'auto' ? m.build : build === 'relaxed' ? `${sharesMemory(m.build) ? 'threads' : 'single'}-relaxed` : build;
    if (m.build !== wanted) throw new Error(`gradnoise: the wasm module given is the ${m.build} build, but build is "${build}"`);
    return m;
  };
  const a = links(first);
  if (!('failed' in a)) return simd(a);
  if (build === 'auto' || build === 'relaxed') {
    const b = links(other);
    if (!('failed' in b)) return simd(b);
    if (!threadsAvailable()) {
      throw new Error('gradnoise: the wasm module given is not the single build, and the threads build needs shared memory, which this runtime lacks: pass gradnoise.single.wasm', { cause: a.failed });
    }
    throw a.failed;
  }
  let linksOther: CoreModule | null = null;
  try { const b = links(other); if (!('failed' in b)) linksOther = b; } catch { /* not the core at all */ }
  if (linksOther) throw new Error(`gradnoise: the wasm module given is the ${linksOther.build} build, but build is "${build}"`);
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
