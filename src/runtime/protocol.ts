// Messages between the pool (host side, runtime/pool.ts) and its workers (runtime/worker.ts). Everything is
// plain data, structured-cloneable: the compiled module, the shared memory, the control block and the
// training data (in SharedArrayBuffers) are shared, not copied.
import type { BuildName } from '../core/wasm.js';
import type { NormalizedGraph } from '../graph/spec.js';
import type { FusedPlan } from '../optim/fuse.js';
import type { Staged } from './data.js';
import type { EpochInfo, FitHistory, LoopConfig, StepInfo } from './loop.js';
import type { SpinPolicy } from './sync.js';

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
  | { readonly type: 'ready'; readonly id: number }
  | { readonly type: 'steps'; readonly steps: StepInfo[] }
  | { readonly type: 'epoch'; readonly info: EpochInfo }
  | { readonly type: 'done'; readonly history: FitHistory }
  | { readonly type: 'error'; readonly id: number; readonly error: ErrorData };
