// The control block that workers share for one model: a barrier, the current command, the step's batch,
// failure and abort flags (Int32 words), then the shards' loss sums and the units' pass-1 sums (f64).
// Synchronisation is Atomics on this block only: no postMessage per step.
export const C_GEN = 0; //      barrier generation (bumped by the last arrival)
export const C_COUNT = 1; //    arrivals at the current barrier
export const C_CMD = 2; //      what the followers do after the next barrier: CMD_STEP, CMD_SYNC or CMD_DONE
export const C_ROWS = 3; //     rows of the step's batch
export const C_FROM = 4; //     position in the epoch order of the batch's first row
export const C_SHUFFLED = 5; // 1: rows come through the shared order buffer; 0: examples from..from+rows
export const C_FAIL = 6; //     set by any party that failed, and by the host when a worker died
export const C_ABORT = 7; //    set by the host: stop at the next step boundary
export const C_AHEAD = 8; //    pieces of the step's noise claimed so far by waiting workers (runtime/parallel.ts)
const INT_WORDS = 16;
/** f64 words per shard result: loss sum, correct count, scored count. */
export const SHARD_WORDS = 3;

export const CMD_STEP = 1;
export const CMD_DONE = 2;
/** Meet and do nothing: the leader then has the memory to itself (validation between epochs). */
export const CMD_SYNC = 3;

/** Thrown inside a worker whose barrier saw C_FAIL: another party failed, this one stops quietly. */
export class PeerFailure extends Error {
  constructor() {
    super('another worker failed');
    this.name = 'PeerFailure';
  }
}

export function controlBytes(shards: number, units: number): number {
  return INT_WORDS * 4 + (SHARD_WORDS * shards + units) * 8;
}

/** How a waiting worker spins before it sleeps (Control's constructor). */
/** The shortest adaptive spin (loads): a fraction of a microsecond. */
const MIN_SPIN = 256;
/** Spins in vain in a row before the adaptive spin shortens. */
const VAIN_RUN = 3;

export interface SpinPolicy {
  readonly max: number;
  readonly adaptive: boolean;
}

export class Control {
  readonly i32: Int32Array;
  /** loss sum, correct and scored counts of shard s at [3s], [3s + 1], [3s + 2]. */
  readonly shardResults: Float64Array;
  /** pass-1 sum of unit u at [u]. */
  readonly unitSums: Float64Array;

  /** Loads this party spins before it sleeps in its next wait (adaptive: between MIN_SPIN and spin.max). */
  private budget: number;
  /** Spins in vain in a row (adaptive). */
  private vain = 0;

  /**
   * `parties` workers meet at every barrier; a waiting one spins up to `spin.max` loads before it sleeps.
   * Spinning wins when every worker has a core, and wastes the core when they share one (another process
   * on a busy machine): with `spin.adaptive`, a run of waits that outlast the spin halves the next spin,
   * and one that ends while spinning doubles it, so a party whose partner keeps losing its core soon sleeps
   * at once (bench/barrier-spin.mjs).
   */
  constructor(readonly sab: SharedArrayBuffer, readonly parties: number, shards: number, units: number, readonly spin: SpinPolicy) {
    this.i32 = new Int32Array(sab, 0, INT_WORDS);
    this.shardResults = new Float64Array(sab, INT_WORDS * 4, SHARD_WORDS * shards);
    this.unitSums = new Float64Array(sab, INT_WORDS * 4 + SHARD_WORDS * shards * 8, units);
    this.budget = spin.max;
  }

  /**
   * Waits until all parties have arrived. Throws PeerFailure if a party failed (before or while waiting):
   * a failure wakes every sleeper, and sleeps are bounded, so no party waits for a dead one. A waiting
   * party first calls `work` (a short piece of work; false when there is none left) for as long as the
   * barrier stays closed and work remains, then spins and sleeps. Returns whether this party slept (the
   * profiler tells those waits apart).
   */
  barrier(work?: () => boolean): boolean {
    const c = this.i32;
    const gen = Atomics.load(c, C_GEN);
    if (Atomics.load(c, C_FAIL) !== 0) throw new PeerFailure();
    if (Atomics.add(c, C_COUNT, 1) === this.parties - 1) {
      // Reset the count before opening the barrier: nobody can arrive at the next one before the bump.
      Atomics.store(c, C_COUNT, 0);
      Atomics.add(c, C_GEN, 1);
      Atomics.notify(c, C_GEN);
      return false;
    }
    if (work) while (Atomics.load(c, C_GEN) === gen && work()) { /* one piece per check */ }
    const { max, adaptive } = this.spin;
    for (let i = 0; i < this.budget; i++) {
      if (Atomics.load(c, C_GEN) !== gen) {
        if (adaptive) {
          this.budget = Math.min(max, 2 * this.budget); // the spin paid: allow more
          this.vain = 0;
        }
        return false;
      }
    }
    // Spins in vain, VAIN_RUN in a row (one uneven barrier per step is not that; a partner that keeps
    // losing its core is): the next spins are shorter, down to a few hundred loads (never 0, so that waits
    // which end just after them can make it grow again once the machine is quiet).
    if (adaptive && ++this.vain >= VAIN_RUN) this.budget = Math.max(Math.min(max, MIN_SPIN), this.budget >> 1);
    while (Atomics.load(c, C_GEN) === gen) {
      Atomics.wait(c, C_GEN, gen, 200);
      if (Atomics.load(c, C_FAIL) !== 0) throw new PeerFailure();
    }
    return true;
  }

  /** Marks the run failed and wakes every party that sleeps in a barrier. */
  fail(): void {
    Atomics.store(this.i32, C_FAIL, 1);
    Atomics.notify(this.i32, C_GEN);
  }

  get aborted(): boolean {
    return Atomics.load(this.i32, C_ABORT) !== 0;
  }

  abort(): void {
    Atomics.store(this.i32, C_ABORT, 1);
  }

  /**
   * Before a run: no failure, no abort. The command word is left alone (the leader sets it before every
   * barrier it opens), and so is the barrier (a finished run leaves nobody in it).
   */
  reset(): void {
    for (const w of [C_FAIL, C_ABORT]) Atomics.store(this.i32, w, 0);
  }
}
