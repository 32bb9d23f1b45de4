// The noise helper: a worker that draws each step's gradient noise into the noise-ahead block while fit()
// trains inline on the calling thread (workers: 0), so that the update only adds it. The paper's noise is
// a pure function of (seed, step, tensor, element) (assembly/optim/step.ts), known before the step's
// gradients: the helper draws exactly the values the update would draw, so the bits are those of a run
// without it, and only the speed depends on how far it got.
//
// Protocol, over a small control block (Int32 words; no message per step):
//   the host, before a step's forward: writes the step's scalars into the helper's hyper struct, then bumps
//     SEQ (and wakes the helper);
//   the helper: for request s = SEQ, draws the pieces (4,096 elements each, in unit order) one after
//     another into the block, after each storing DONE = tag(s) | pieces done, and stops early when SEQ
//     moves on;
//   the host, before pass 2: reads DONE once; if its tag is this request's, the pieces it counts are
//     complete (their stores came before the Atomics.store of DONE), and pass 2 reads them from the block
//     and draws the rest itself. It never waits. The helper may still be writing a later piece, which the
//     host does not read; a piece it draws after the host moved on is tagged with the old request, so the
//     host never counts it, and the helper redraws it for the new request before counting it there.
// The host publishes the next request only after the step's pass 2, so a counted piece is never
// overwritten while it is read. A stale piece may read the hyper struct while the host rewrites it; that
// piece is never counted, and the hyper only sets its values (the addresses come from the piece list).
import type { CoreModule } from '../core/wasm.js';
import { Network } from '../graph/network.js';
import type { NormalizedGraph } from '../graph/spec.js';
import type { FusedPlan } from '../optim/fuse.js';
import { FusedUpdater } from '../optim/fused.js';
import { AHEAD_PIECE, aheadPieces } from './parallel.js';
import { startWorker, type WorkerHandle } from './threads.js';
import type { ThreadRecord } from './trace.js';

const H_SEQ = 0; //     request counter (the host bumps it per step)
const H_DONE = 1; //    tag(request) | pieces of it complete
const H_QUIT = 2; //    1: the helper leaves its loop
const H_RECORD = 3; //  1: the helper records a span per request (the profiler)
const H_SPANS = 4; //   spans recorded in the span area
const H_DROPPED = 5; // spans that did not fit
const INT_WORDS = 8;
/** Spans the helper can record (t0, t1, request, pieces as f64 each); it counts the rest as dropped. */
const MAX_SPANS = 8192;

/** The request tag in DONE's high bits: 15 bits of SEQ, so pieces are at most 2^16 - 1. */
const tag = (seq: number) => (seq & 0x7fff) << 16;
const MAX_PIECES = 0xffff;

/** How long the host waits for a helper to start before it trains without one (the steps never wait). */
const START_TIMEOUT_MS = 60_000;

/**
 * Testing hook, a HelperTesting: a slow helper (microseconds spent on every piece on top of drawing it),
 * and a host that waits before pass 2 until that many pieces are ready, so that every step meets a
 * request left part-way, which the helper then abandons for the next. Not part of the API.
 */
export const HELPER_TESTING_HOOK = Symbol.for('gradnoise.testing.noiseHelper');

export interface HelperTesting {
  readonly delayUs?: number;
  readonly waitPieces?: number;
  /** The helper throws at the first request it sees numbered above failAfter (a helper that fails after start-up). */
  readonly failAfter?: number;
}

const testing = (): HelperTesting => ((globalThis as Record<symbol, unknown>)[HELPER_TESTING_HOOK] as HelperTesting | undefined) ?? {};

export interface HelperInit {
  readonly type: 'helper';
  readonly build: CoreModule['build'];
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly spec: NormalizedGraph;
  readonly net: { readonly maxRows: number; readonly seed: number; readonly stateSlots: number; readonly shards: number; readonly noiseSlots: number };
  readonly fused: FusedPlan;
  readonly control: SharedArrayBuffer;
  /** Byte address of the hyper struct the host writes for the helper. */
  readonly hyper: number;
  /** Testing only (HELPER_TESTING_HOOK): extra microseconds per piece; the last request it serves before it throws (0: never). */
  readonly delayUs: number;
  readonly failAfter: number;
}

/** The pieces of the whole noise block in the order the helper draws them: each unit's, units in layout order. */
function piecesOf(fused: FusedUpdater) {
  return aheadPieces(fused.units.map((u) => u.n), 1).map((p) => p.piece);
}

/** Whether a model can have a helper: the noise after clipping, and few enough pieces for DONE's count. */
export function helperFits(units: readonly { readonly n: number }[]): boolean {
  let pieces = 0;
  for (const u of units) pieces += Math.max(1, Math.ceil(u.n / AHEAD_PIECE));
  return pieces <= MAX_PIECES;
}

/** The host's side: starts the helper, publishes each step, says how much of its noise is ready. */
export class NoiseHelper {
  private readonly i32: Int32Array;
  private readonly spans: Float64Array;
  private readonly pieces: ReturnType<typeof piecesOf>;
  private readonly readyUnits: Int32Array;
  private handle: WorkerHandle | null = null;
  private started = false;
  private ended = false;
  private origin = 0;
  private seq = 0;
  /** Pieces counted ready at the last pass 2 (tests and the bench read it). */
  lastReady = 0;

  /** Testing only (HELPER_TESTING_HOOK): pieces ready() waits for. */
  private readonly waitPieces = testing().waitPieces ?? 0;

  private constructor(private readonly fused: FusedUpdater, private readonly hyper: number, readonly control: SharedArrayBuffer) {
    this.i32 = new Int32Array(control, 0, INT_WORDS);
    this.spans = new Float64Array(control, INT_WORDS * 4, 4 * MAX_SPANS);
    this.pieces = piecesOf(fused);
    this.readyUnits = new Int32Array(fused.units.length);
  }

  /**
   * Starts a helper on the network's memory; it serves steps once its worker is up (until then, and if it
   * never comes up, pass 2 draws all the noise itself). `onError` hears why a helper could not start.
   */
  static start(mod: CoreModule, net: Network, fused: FusedUpdater, onError: (e: Error) => void): NoiseHelper {
    const control = new SharedArrayBuffer(INT_WORDS * 4 + 4 * MAX_SPANS * 8);
    // The first 128 bytes of shard 0's scratch area: a worker's hyper copy, unused when training inline.
    const h = new NoiseHelper(fused, net.hyperOf(0), control);
    const init: HelperInit = {
      type: 'helper', build: mod.build, module: mod.module, memory: net.core.memory, spec: net.spec,
      net: { maxRows: net.maxRows, seed: net.seed, stateSlots: net.plan.optState.length, shards: net.shards, noiseSlots: net.plan.noise.length },
      fused: fused.plan, control, hyper: h.hyper,
      delayUs: testing().delayUs ?? 0, failAfter: testing().failAfter ?? 0,
    };
    void (async () => {
      const w = await startWorker('gradnoise-noise');
      if (h.ended) { await w.terminate(); return; }
      h.handle = w;
      w.hold(false);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the noise helper did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        w.listen({
          message: (raw) => {
            const m = raw as { type: string; origin?: number; error?: { message: string } };
            if (m.type === 'alive') w.post(init);
            else if (m.type === 'ready') { clearTimeout(timer); h.origin = m.origin!; h.started = true; resolve(); }
            else if (m.type === 'error') {
              // Before start-up, the start fails; after it, the steps stop reading the helper's counts (a dead
              // helper's tag would match a later request once the 15-bit counter wraps) and draw their own noise.
              clearTimeout(timer);
              const e = new Error(m.error?.message ?? 'the noise helper failed');
              if (!h.started) reject(e);
              else { h.started = false; if (!h.ended) onError(e); }
            }
          },
          error: (e) => { clearTimeout(timer); h.started = false; reject(e); },
          exit: () => { clearTimeout(timer); h.started = false; if (!h.ended) reject(new Error('the noise helper exited')); },
        });
      });
    })().catch((e: unknown) => {
      h.started = false;
      if (!h.ended) onError(e instanceof Error ? e : new Error(String(e)));
    });
    return h;
  }

  /** Whether the helper is up (steps published before that draw all their noise in pass 2). */
  get running(): boolean {
    return this.started && !this.ended;
  }

  /**
   * Before step t's forward: the helper starts drawing its noise. `prepare` writes the step's scalars into
   * the hyper struct at the given address (FusedUpdater.prepare).
   */
  publish(prepare: (hyper: number) => void): void {
    if (!this.running) return;
    prepare(this.hyper);
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.i32, H_SEQ, this.seq);
    Atomics.notify(this.i32, H_SEQ);
  }

  /** Before pass 2 of the published step: per unit, the elements whose noise is ready in the block. */
  ready(): Int32Array | null {
    if (!this.running) return null;
    const counted = () => {
      const done = Atomics.load(this.i32, H_DONE);
      return (done & ~0xffff) === tag(this.seq) ? done & 0xffff : 0;
    };
    if (this.waitPieces > 0) {
      for (const until = performance.now() + 10_000; counted() < this.waitPieces && performance.now() < until;) { /* testing only */ }
    }
    const count = counted();
    this.lastReady = count;
    if (count === 0) return null;
    const r = this.readyUnits;
    r.fill(0);
    for (let j = 0; j < count; j++) {
      const p = this.pieces[j]!;
      r[p.unit] = p.off + p.n;
    }
    return r;
  }

  /** Starts (true) or stops recording the helper's requests as spans. */
  record(on: boolean): void {
    Atomics.store(this.i32, H_RECORD, on ? 1 : 0);
  }

  /** The spans recorded since the last call, as a thread's record (null if the helper never ran). */
  takeRecord(): ThreadRecord | null {
    const n = Math.min(Atomics.load(this.i32, H_SPANS), MAX_SPANS);
    const dropped = Atomics.load(this.i32, H_DROPPED);
    if (this.origin === 0) return null;
    const data = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      data[3 * i] = 0;
      data[3 * i + 1] = this.spans[4 * i]!;
      data[3 * i + 2] = this.spans[4 * i + 1]!;
    }
    Atomics.store(this.i32, H_SPANS, 0);
    Atomics.store(this.i32, H_DROPPED, 0);
    return { names: ['noise of the step'], cats: ['noise'], data, origin: this.origin, dropped };
  }

  /** Ends the helper (idempotent). */
  async terminate(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    Atomics.store(this.i32, H_QUIT, 1);
    Atomics.notify(this.i32, H_SEQ);
    await this.handle?.terminate().catch(() => {});
  }
}

/**
 * The helper's side (inside its worker, runtime/worker.ts): attaches to the memory, says ready, then serves
 * requests until told to quit. Blocks its thread throughout: it reads nothing but the control block.
 */
export function serveNoise(m: HelperInit, mod: CoreModule, ready: () => void): void {
  const net = new Network(mod, m.spec, { ...m.net, memory: m.memory });
  const fused = new FusedUpdater(net, m.fused);
  const pieces = piecesOf(fused);
  const i32 = new Int32Array(m.control, 0, INT_WORDS);
  const spans = new Float64Array(m.control, INT_WORDS * 4, 4 * MAX_SPANS);
  ready();
  let seen = Atomics.load(i32, H_SEQ);
  for (;;) {
    while (Atomics.load(i32, H_SEQ) === seen && Atomics.load(i32, H_QUIT) === 0) Atomics.wait(i32, H_SEQ, seen, 1000);
    if (Atomics.load(i32, H_QUIT) !== 0) return;
    const s = Atomics.load(i32, H_SEQ);
    seen = s;
    if (m.failAfter > 0 && s > m.failAfter) throw new Error('the noise helper failed (a testing failure)');
    const t0 = performance.now();
    let j = 0;
    for (; j < pieces.length && Atomics.load(i32, H_SEQ) === s; j++) {
      const p = pieces[j]!;
      fused.fillAhead(m.hyper, p.unit, p.off, p.n);
      if (m.delayUs > 0) for (const until = performance.now() + m.delayUs / 1000; performance.now() < until;) { /* a slow helper */ }
      Atomics.store(i32, H_DONE, tag(s) | (j + 1));
    }
    if (Atomics.load(i32, H_RECORD) !== 0) {
      const n = Atomics.load(i32, H_SPANS);
      if (n < MAX_SPANS) {
        spans[4 * n] = t0;
        spans[4 * n + 1] = performance.now();
        spans[4 * n + 2] = s;
        spans[4 * n + 3] = j;
        Atomics.store(i32, H_SPANS, n + 1);
      } else Atomics.add(i32, H_DROPPED, 1);
    }
  }
}
