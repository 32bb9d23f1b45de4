// Messages between the pool (host side, runtime/pool.ts) and its workers (runtime/worker.ts). Everything is
// plain data, structured-cloneable: the compiled module, the shared memory, the control block and the
// training data (in SharedArrayBuffers) are shared, not copied.
//
// On the way, toWire/fromWire (applied by runtime/threads.ts to every message, both ways) carry each typed
// array over shared memory as its SharedArrayBuffer, offset, length and type, and rebuild the view on the
// other side. No message then holds an object with one property per element: Deno's node:worker_threads
// visits every own property of every message a worker receives (looking for MessagePorts), which on a
// data set the size of MNIST stalled every fit() on workers and swelled the workers' heaps (issue #22;
// docs/runtimes.md has the figures, bench/worker-messages.mjs measures it in each runtime).
import type { BuildName } from '../core/wasm.js';
import type { NormalizedGraph } from '../graph/spec.js';
import type { FusedPlan } from '../optim/fuse.js';
import type { Staged } from './data.js';
import type { EpochInfo, FitHistory, LoopConfig, StepInfo } from './loop.js';
import type { SpinPolicy } from './sync.js';
import type { ProfileWindow, ThreadRecord } from './trace.js';

export interface InitMessage {
  readonly type: 'init';
  readonly id: number;
  readonly parties: number;
  readonly spin: SpinPolicy;
  readonly build: BuildName;
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly spec: NormalizedGraph;
  readonly net: {
    readonly maxRows: number; readonly seed: number; readonly stateSlots: number; readonly shards: number; readonly noiseSlots: number;
  };
  readonly fused: FusedPlan;
  readonly control: SharedArrayBuffer;
}

/**
 * When workers compute the step's noise ahead (runtime/parallel.ts): while they wait at the barrier after
 * the shards ('idle', always outside tests), before it whether they wait or not ('all'), or never ('off').
 * The bits are the same for all three; tests force the last two through the pool's testing hook, and
 * 'zeroed' ('all', then the block zeroed before pass 2 reads it: a noise-free update) to show that pass 2
 * really takes the noise from the block.
 */
export type AheadMode = 'idle' | 'all' | 'off' | 'zeroed';

/** A fault to inject, for the lifecycle tests only (set through the pool's testing hook). */
export interface Fault {
  readonly worker: number;
  readonly step: number;
  /** hang: the worker stops answering at that step (a stand-in for a synchronisation bug). */
  readonly kind: 'throw' | 'exit' | 'hang';
  /** How long the host waits after an abort before it ends a stuck run (default ABORT_GRACE_MS). */
  readonly abortGraceMs?: number;
}

export interface FitMessage {
  readonly type: 'fit';
  readonly data: Staged;
  readonly validation: Staged | null;
  readonly cfg: LoopConfig;
  /** The shared buffer of the epoch order (count u32), when shuffling. */
  readonly order: Uint32Array | null;
  /** Whether the host wants every step's info (it has an onStep). */
  readonly steps: boolean;
  readonly fault: Fault | null;
  readonly ahead: AheadMode;
  /** The steps to profile (null: none); each worker then sends its spans as a 'trace' message at the end. */
  readonly profile: ProfileWindow | null;
}

/** An error as it crosses back: enough to rebuild a NonFiniteError or an Error with its message and stack. */
export interface ErrorData {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly step?: number;
  readonly tensor?: string;
  readonly index?: number;
  readonly layer?: string;
  /** A worker that only stopped because another one failed. */
  readonly peer?: boolean;
}

export type WorkerMessage =
  | { readonly type: 'alive' }
  | { readonly type: 'ready'; readonly id: number; readonly origin?: number }
  | { readonly type: 'steps'; readonly steps: StepInfo[] }
  | { readonly type: 'epoch'; readonly info: EpochInfo }
  | { readonly type: 'done'; readonly history: FitHistory }
  | { readonly type: 'trace'; readonly id: number; readonly record: ThreadRecord }
  | { readonly type: 'error'; readonly id: number; readonly error: ErrorData };

/** The key that marks a WireView (a string: symbols do not survive structured cloning). */
export const WIRE_VIEW = '$gradnoiseSharedView';

/** A typed array over shared memory, as it crosses: the buffer is shared, the view is rebuilt. */
export interface WireView {
  readonly [WIRE_VIEW]: TypedArrayName;
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly length: number;
}


const VIEWS = {
  Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array,
} as const;
type TypedArrayName = keyof typeof VIEWS;
type TypedArray = InstanceType<(typeof VIEWS)[TypedArrayName]>;

const plain = (v: object): boolean => {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
};

/**
 * `m` with every typed array over a SharedArrayBuffer (in plain objects and arrays, at any depth) replaced
 * by a WireView. Everything else stays as it is: numbers, strings, the wasm module and memory, buffers,
 * and typed arrays over unshared memory, which structured cloning copies anyway.
 */
export function toWire(m: unknown): unknown {
  if (m === null || typeof m !== 'object') return m;
  if (ArrayBuffer.isView(m)) {
    const v = m as TypedArray, name = v.constructor.name as TypedArrayName;
    const shared = typeof SharedArrayBuffer === 'function' && v.buffer instanceof SharedArrayBuffer;
    if (!shared || VIEWS[name] !== v.constructor) return m;
    return { [WIRE_VIEW]: name, buffer: v.buffer as SharedArrayBuffer, byteOffset: v.byteOffset, length: v.length } satisfies WireView;
  }
  if (Array.isArray(m)) return m.map(toWire);
  if (!plain(m)) return m;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m)) out[k] = toWire((m as Record<string, unknown>)[k]);
  return out;
}

/** The message toWire made, with each WireView a typed array again (over the same shared memory). */
export function fromWire(m: unknown): unknown {
  if (m === null || typeof m !== 'object' || ArrayBuffer.isView(m)) return m;
  if (Array.isArray(m)) return m.map(fromWire);
  if (!plain(m)) return m;
  const r = m as Record<string, unknown>;
  if (WIRE_VIEW in r) {
    const v = r as unknown as WireView;
    const C = VIEWS[v[WIRE_VIEW]] as unknown as (new (b: SharedArrayBuffer, o: number, n: number) => TypedArray) | undefined;
    if (!C) throw new Error(`internal: a message holds a shared view of unknown type ${String(v[WIRE_VIEW])}`);
    return new C(v.buffer, v.byteOffset, v.length);
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(r)) out[k] = fromWire(r[k]);
  return out;
}
