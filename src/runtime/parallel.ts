// One worker's share of a step (docs/workers.md), run by every worker of a pool between the barriers of the
// control block: its shards (w, w + N, ...), then the reduction and pass 1 of its units, then pass 2 of its
// units. The leading worker (id 0) also publishes each step and runs the training loop (runtime/worker.ts).
import { NonFiniteGradientError, type StepMetrics } from '../optim/transforms.js';
import type { Prepared } from '../optim/fused.js';
import type { Staged } from './data.js';
import { Engine, NonFiniteError } from './engine.js';
import type { StepRunner } from './loop.js';
import { C_CMD, C_FROM, C_ROWS, C_SHUFFLED, CMD_DONE, CMD_STEP, CMD_SYNC, type Control } from './sync.js';

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
  | { readonly kind: 'ok'; readonly loss: number; readonly correct: number; readonly metrics: StepMetrics }
  | { readonly kind: 'loss'; readonly loss: number }
  | { readonly kind: 'gradient'; readonly error: NonFiniteGradientError };

export class Crew {
  private readonly hyper: number;
  private readonly tmp: number;
  private readonly units: [number, number];
  private data: Staged | null = null;
  private order: Uint32Array | null = null;
  private published: Uint32Array | null = null;

  constructor(readonly engine: Engine, readonly ctl: Control, readonly id: number) {
    if (!engine.fused) throw new Error('internal: workers run fused updates only');
    this.hyper = engine.net.hyperOf(id);
    this.tmp = engine.net.scratchOf(id);
    this.units = splitUnits(engine.units.map((u) => u.n), ctl.parties)[id]!;
  }

  /** The run's data, and the shared buffer through which the leader publishes each epoch's order. */
  begin(data: Staged, order: Uint32Array | null): void {
    this.data = data;
    this.order = order;
    this.published = null;
  }

  /**
   * A follower's loop: one share per step until the leader says done. A step's command is safe to read
   * after the barrier that opens it (the leader cannot publish the next one before the step's own
   * barriers, which need every follower); a sync or done command has no barrier of its own, so it is
   * acknowledged with a second one (see announce()).
   */
  follow(): void {
    for (;;) {
      this.ctl.barrier();
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
        ctl.barrier();
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
    return engine.guard(`fit (worker ${id})`, () => {
      for (let s = id; s < S; s += N) {
        const [r0, r1] = net.shardRows(rows, s);
        engine.load(this.data!, order, from, r0, r1);
        const r = engine.runShard(s, rows);
        res[2 * s] = r.loss;
        res[2 * s + 1] = r.correct;
      }
      ctl.barrier();
      let loss = 0, correct = 0;
      for (let s = 0; s < S; s++) { loss += res[2 * s]!; correct += res[2 * s + 1]!; }
      if (!Number.isFinite(loss)) return { kind: 'loss', loss };

      const pre: Prepared = fused.prepare(hyper, rows, t);
      const [u0, u1] = this.units;
      net.phase.what = 'reduction and gradient norm';
      for (let u = u0; u < u1; u++) {
        engine.reduce(u);
        ctl.unitSums[u] = fused.pass1(hyper, tmp, pre, u);
      }
      ctl.barrier();
      let norm;
      try {
        norm = fused.finish(hyper, pre, fused.total(ctl.unitSums));
      } catch (e) {
        if (e instanceof NonFiniteGradientError) return { kind: 'gradient', error: e };
        throw e;
      }
      net.phase.what = 'optimizer update';
      for (let u = u0; u < u1; u++) fused.pass2(hyper, tmp, u);
      if (id === 0) net.step = t + 1;
      return { kind: 'ok', loss, correct, metrics: { ...norm, sigma: pre.sigma, lr: pre.lr } };
    });
  }
}
