// One worker's share of a step (docs/workers.md), run by every worker of a pool between the barriers of the
// control block: its shards (w, w + N, ...), then the reduction and pass 1 of its units, then pass 2 of its
// units. The leading worker (id 0) also publishes each step and runs the training loop (runtime/worker.ts).
//
// Noise ahead: the shards are uneven (a batch of 100 on 4 shards is 24 + 24 + 24 + 28 rows), so whoever
// finishes its shards first waits at the barrier after them, while the step's noise (a function of the
// seed, the step and the element alone) is already known. A waiting worker claims pieces of it (an atomic
// counter in the control block) and computes them into the noise-ahead block; pass 2 then reads the
// pieces claimed before it starts and draws the rest itself. The pieces are ordered round-robin over the
// workers' unit ranges, so each worker's claimed pieces are a prefix of its own, and every unit's
// precomputed part a prefix of the unit. The values are the same whoever computes them, so only the speed
// depends on the timing. A piece is complete before its claimer reaches the next barrier, and pass 2
// comes after that barrier; the leader resets the counter when it publishes the next step, after every
// worker has read it.
import { NonFiniteGradientError, type StepMetrics } from '../optim/transforms.js';
import type { Prepared } from '../optim/fused.js';
import type { Staged } from './data.js';
import { Engine, NonFiniteError } from './engine.js';
import type { StepRunner } from './loop.js';
import type { AheadMode } from './protocol.js';
import { inWindow, Recorder, type ProfileWindow } from './trace.js';
import { C_AHEAD, C_CMD, C_FROM, C_ROWS, C_SHUFFLED, CMD_DONE, CMD_STEP, CMD_SYNC, SHARD_WORDS, type Control } from './sync.js';

/** Elements per piece of noise computed ahead: small, so that a waiting worker sees the barrier open soon. */
export const AHEAD_PIECE = 4096;

/** A piece of the step's noise: elements [off, off + n) of unit `unit`. */
interface Piece { readonly unit: number; readonly off: number; readonly n: number }

/**
 * The pieces of noise-ahead in claim order: each worker's units cut into pieces of at most AHEAD_PIECE
 * elements, in order, then the workers' lists taken round-robin. Only speed depends on it, never a bit.
 */
export function aheadPieces(sizes: readonly number[], workers: number): { piece: Piece; worker: number }[] {
  const lists = splitUnits(sizes, workers).map(([u0, u1]) => {
    const list: Piece[] = [];
    for (let u = u0; u < u1; u++) for (let off = 0; off < sizes[u]!; off += AHEAD_PIECE) list.push({ unit: u, off, n: Math.min(AHEAD_PIECE, sizes[u]! - off) });
    return list;
  });
  const out: { piece: Piece; worker: number }[] = [];
  for (let i = 0; out.length < lists.reduce((a, l) => a + l.length, 0); i++) {
    lists.forEach((l, w) => { if (i < l.length) out.push({ piece: l[i]!, worker: w }); });
  }
  return out;
}

/**
 * Contiguous unit ranges, one per worker, balanced by element count: worker w takes the units whose first
 * element lies in [w/N, (w+1)/N) of all elements. Only speed depends on it, never a bit.
 */
export function splitUnits(sizes: readonly number[], workers: number): [number, number][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const out: [number, number][] = [];
  let u = 0, before = 0;
  for (let w = 0; w < workers; w++) {
    const start = u;
    const end = ((w + 1) * total) / workers;
    while (u < sizes.length && (w === workers - 1 || before + sizes[u]! / 2 < end)) before += sizes[u++]!;
    out.push([start, u]);
  }
  return out;
}

/** What a step came to, the same on every worker (each reads the same shared sums in the same order). */
type Outcome =
  | { readonly kind: 'ok'; readonly loss: number; readonly correct: number; readonly count: number; readonly metrics: StepMetrics }
  | { readonly kind: 'loss'; readonly loss: number }
  | { readonly kind: 'gradient'; readonly error: NonFiniteGradientError };

export class Crew {
  private readonly hyper: number;
  private readonly tmp: number;
  private readonly units: [number, number];
  private data: Staged | null = null;
  private order: Uint32Array | null = null;
  private published: Uint32Array | null = null;
  /** Noise-ahead pieces in claim order (empty without the noise-ahead block), and this worker's ones. */
  private readonly pieces: readonly Piece[];
  private readonly mine: readonly { readonly index: number; readonly unit: number; readonly end: number }[];
  /** Per unit, the elements of this step's noise computed ahead (a prefix of the unit). */
  private readonly ready: Int32Array;
  private aheadMode: AheadMode = 'idle';
  private readonly claim: () => boolean;
  /** The profiler's recorder and window of the run (null: not profiling), and the run's first step. */
  private recorder: Recorder | null = null;
  private window: ProfileWindow | null = null;
  private firstStep = 0;
  /** Whether the step before this one was recorded (the wait for the next step then is too). */
  private recorded = false;

  constructor(readonly engine: Engine, readonly ctl: Control, readonly id: number) {
    if (!engine.fused) throw new Error('internal: workers run fused updates only');
    this.hyper = engine.net.hyperOf(id);
    this.tmp = engine.net.scratchOf(id);
    const sizes = engine.units.map((u) => u.n);
    this.units = splitUnits(sizes, ctl.parties)[id]!;
    const all = engine.fused.ahead ? aheadPieces(sizes, ctl.parties) : [];
    this.pieces = all.map((a) => a.piece);
    this.mine = all.flatMap((a, index) => (a.worker === id ? [{ index, unit: a.piece.unit, end: a.piece.off + a.piece.n }] : []));
    this.ready = new Int32Array(sizes.length);
    const fused = engine.fused;
    this.claim = () => {
      const j = Atomics.add(ctl.i32, C_AHEAD, 1);
      if (j >= this.pieces.length) return false;
      const p = this.pieces[j]!, sp = engine.spans;
      const t0 = sp ? sp.rec.now() : 0;
      fused.fillAhead(this.hyper, p.unit, p.off, p.n);
      if (sp) sp.rec.span(sp.ahead, t0, sp.rec.now());
      return true;
    };
  }

  /** Testing only ('zeroed'): a piece of the noise-ahead block set to 0. */
  private zeroPiece(p: Piece): void {
    this.engine.net.f32(this.engine.fused!.aheadOf(p.unit) + 4 * p.off, p.n).fill(0);
  }

  /**
   * The run's data, the shared buffer through which the leader publishes each epoch's order, and when the
   * noise is computed ahead (tests force 'all' or 'off'; the bits are the same).
   */
  begin(data: Staged, order: Uint32Array | null, ahead: AheadMode = 'idle', profile: ProfileWindow | null = null): void {
    this.data = data;
    this.order = order;
    this.published = null;
    this.aheadMode = ahead;
    this.window = profile;
    this.firstStep = this.engine.net.step;
    this.recorded = false;
    if (profile && !this.recorder) this.recorder = new Recorder();
    this.engine.attachRecorder(profile ? this.recorder : null);
  }

  /** What this worker recorded in the run (null when it was not profiled); its recorder starts empty again. */
  takeRecord(): ReturnType<Recorder['take']> | null {
    if (!this.window || !this.recorder) return null;
    this.engine.attachRecorder(null);
    return this.recorder.take();
  }

  /** The barrier before a step, recorded as a span when the step before it was. */
  private topBarrier(): void {
    const sp = this.recorded ? this.engine.spanIds : null;
    if (!sp) { this.ctl.barrier(); return; }
    const t0 = sp.rec.now();
    const slept = this.ctl.barrier();
    sp.rec.span(slept ? sp.barrierSlept : sp.barrier, t0, sp.rec.now());
  }

  /**
   * A follower's loop: one share per step until the leader says done. A step's command is safe to read
   * after the barrier that opens it (the leader cannot publish the next one before the step's own
   * barriers, which need every follower); a sync or done command has no barrier of its own, so it is
   * acknowledged with a second one (see announce()).
   */
  follow(): void {
    for (;;) {
      this.topBarrier();
      const cmd = Atomics.load(this.ctl.i32, C_CMD);
      if (cmd === CMD_STEP) {
        this.share();
        continue;
      }
      this.ctl.barrier();
      if (cmd === CMD_DONE) return;
    }
  }

  /** The leader's runner: publishes the step, releases the followers, does its own share. */
  runner(): StepRunner {
    const ctl = this.ctl;
    return {
      step: (order, from, rows) => {
        if (order && order !== this.published) {
          this.order!.set(order);
          this.published = order;
        }
        Atomics.store(ctl.i32, C_SHUFFLED, order ? 1 : 0);
        Atomics.store(ctl.i32, C_ROWS, rows);
        Atomics.store(ctl.i32, C_FROM, from);
        Atomics.store(ctl.i32, C_CMD, CMD_STEP);
        // Every worker read the last step's claims before that step's second barrier, which this one is past.
        Atomics.store(ctl.i32, C_AHEAD, 0);
        this.topBarrier();
        const out = this.share();
        const { engine } = this, net = engine.net;
        if (out.kind === 'ok') return out;
        if (out.kind === 'loss') throw engine.lossError('fit', out.loss, rows);
        engine.dropGradients();
        throw engine.nonFiniteError('fit', out.error);
      },
    };
  }

  /**
   * Publishes a command that involves no work of the followers (sync, done) and waits until every one has
   * read it: the first barrier opens it, the second holds the leader (and so whatever it publishes next,
   * or the caller's next run, which rewrites the control block) until every follower is past the read.
   * With one barrier, a follower slow to wake could read the leader's next command instead and run a
   * stale share, out of step with everyone's barriers from then on.
   */
  private announce(cmd: number): void {
    Atomics.store(this.ctl.i32, C_CMD, cmd);
    this.ctl.barrier();
    this.ctl.barrier();
  }

  /**
   * Waits until every follower has finished its share of the last step (each returns to the top barrier
   * only then), so that the leader can read the whole memory, for validation between epochs: the last
   * step's pass 2 of another worker may still be writing parameters until this returns.
   */
  sync(): void {
    this.announce(CMD_SYNC);
  }

  /** Ends the run for the followers (they leave follow()). */
  finish(): void {
    this.announce(CMD_DONE);
  }

  // This worker's share of the published step; the leader advances the step counter at the end.
  private share(): Outcome {
    const { engine, ctl, id, hyper, tmp } = this, net = engine.net, fused = engine.fused!;
    const rows = Atomics.load(ctl.i32, C_ROWS), from = Atomics.load(ctl.i32, C_FROM);
    const order = Atomics.load(ctl.i32, C_SHUFFLED) ? this.order : null;
    const S = engine.shards, N = ctl.parties, res = ctl.shardResults;
    const t = net.step;
    engine.record(inWindow(this.window, this.firstStep, t));
    this.recorded = engine.spans !== null;
    const sp = engine.spans, tStep = sp ? sp.rec.now() : 0;
    let tp = tStep;
    // The end of a phase: its span from the last mark to now, and a new mark.
    const mark = (id: number) => { if (sp) { const t1 = sp.rec.now(); sp.rec.span(id, tp, t1); tp = t1; } };
    return engine.guard(`fit (worker ${id})`, () => {
      // The step's scalars first: the noise computed ahead at the next barrier needs sigma_t.
      const pre: Prepared = fused.prepare(hyper, rows, t);
      for (let s = id; s < S; s += N) {
        if (sp) tp = sp.rec.now();
        engine.loadShard(this.data!, order, from, rows, s);
        if (sp) mark(sp.load[s]!);
        const r = engine.runShard(s, rows);
        if (sp) mark(sp.shard[s]!);
        res[SHARD_WORDS * s] = r.loss;
        res[SHARD_WORDS * s + 1] = r.correct;
        res[SHARD_WORDS * s + 2] = r.count;
      }
      const ahead = this.pieces.length > 0 && this.aheadMode !== 'off';
      if (ahead && this.aheadMode !== 'idle') while (this.claim()) { /* every piece, waiting or not */ }
      if (sp) tp = sp.rec.now();
      const slept = ctl.barrier(ahead ? this.claim : undefined);
      if (sp) mark(slept ? sp.barrierSlept : sp.barrier);
      // Pieces claimed, not necessarily finished: a claim taken as the barrier opened may still be filling
      // its piece. The barrier after pass 1 (below) is what makes every claimed piece complete before any
      // pass 2 reads it; a step without that barrier would need a count of finished pieces instead.
      const claimed = this.pieces.length > 0 ? Atomics.load(ctl.i32, C_AHEAD) : 0;
      if (this.aheadMode === 'zeroed') {
        for (const m of this.mine) this.zeroPiece(this.pieces[m.index]!);
      }
      let loss = 0, correct = 0, count = 0;
      for (let s = 0; s < S; s++) { loss += res[SHARD_WORDS * s]!; correct += res[SHARD_WORDS * s + 1]!; count += res[SHARD_WORDS * s + 2]!; }
      if (!Number.isFinite(loss)) return { kind: 'loss', loss };

      const [u0, u1] = this.units;
      this.ready.fill(0, u0, u1);
      for (const m of this.mine) if (m.index < claimed) this.ready[m.unit] = m.end;
      net.phase.what = 'reduction and gradient norm';
      for (let u = u0; u < u1; u++) {
        engine.reduce(u);
        ctl.unitSums[u] = fused.pass1(hyper, tmp, pre, u);
      }
      if (sp) mark(sp.reducePass1);
      const slept2 = ctl.barrier();
      if (sp) mark(slept2 ? sp.barrierSlept : sp.barrier);
      let norm;
      try {
        norm = fused.finish(hyper, pre, fused.total(ctl.unitSums));
      } catch (e) {
        if (e instanceof NonFiniteGradientError) return { kind: 'gradient', error: e };
        throw e;
      }
      net.phase.what = 'optimizer update';
      for (let u = u0; u < u1; u++) fused.pass2(hyper, tmp, u, this.ready[u]!);
      if (sp) { mark(sp.pass2); sp.rec.span(sp.step, tStep, tp); }
      if (id === 0) net.step = t + 1;
      return { kind: 'ok', loss, correct, count, metrics: { ...norm, sigma: pre.sigma, lr: pre.lr } };
    });
  }
}
