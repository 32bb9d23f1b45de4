// The step engine: one model's training step cut into the pieces that workers share out (docs/workers.md),
// and the same pieces run in order on one thread. Runtime-agnostic: it knows the network, the update and
// the shared memory, never which thread or worker it is on.
//
// A step on a batch of B rows, for S shards (fixed at model creation, independent of the workers):
//   1. shard s (rows floor(s·B/S) .. floor((s+1)·B/S)): forward, loss, backward into grad slot s
//   2. per update unit (a tensor range of at most UPDATE_UNIT elements): add the S slots into slot 0 in a
//      fixed pairwise tree, then pass 1 (the unit's sum of squares)
//   3. the norm from the unit sums in a fixed order, the clip, then pass 2 per unit
// Every result is a pure function of (seed, config, data, S): who runs which shard or unit, and in which
// order, changes no bit.
import type { Network, SpanRecorder } from '../graph/network.js';
import { FusedUpdater, updateUnits, type Unit } from '../optim/fused.js';
import { referenceUpdate, type ReferenceRun } from '../optim/reference.js';
import { NonFiniteGradientError, type StepMetrics } from '../optim/transforms.js';
import type { Staged } from './data.js';

/** Where a step went non-finite: the step, and the first offending parameter tensor or layer. */
export interface NonFiniteSite {
  readonly step: number;
  /** The first non-finite parameter or gradient tensor (`<layer>/kernel`), '' when it is an activation. */
  readonly tensor: string;
  /** Index of the first non-finite element in `tensor` (or in the layer's output), -1 when unknown. */
  readonly index: number;
  /** The layer where it shows first ('' when no layer holds it: the loss itself). */
  readonly layer: string;
}

/**
 * A step refused because its loss or a gradient is NaN or Infinity; the parameters and optimizer state
 * are as they were before the step. The message and the fields name the step and where it happened.
 */
export class NonFiniteError extends Error implements NonFiniteSite {
  readonly step: number;
  readonly tensor: string;
  readonly index: number;
  readonly layer: string;
  constructor(message: string, site: NonFiniteSite, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NonFiniteError';
    ({ step: this.step, tensor: this.tensor, index: this.index, layer: this.layer } = site);
  }
}

/** Share of the scored predictions that were right (NaN when no classification loss scored any). */
export const accuracyOf = (correct: number, count: number): number => (count > 0 ? correct / count : NaN);

/** Loss sum, and correct / scored predictions of the classification losses, over one shard's rows. */
export interface ShardResult {
  loss: number;
  correct: number;
  count: number;
}

/** Span ids of a step's phases under one recorder (runtime/trace.ts). */
export interface StepSpans {
  readonly rec: SpanRecorder;
  readonly step: number;
  readonly load: readonly number[];
  readonly shard: readonly number[];
  readonly reduce: number;
  readonly reducePass1: number;
  readonly pass1: number;
  readonly pass2: number;
  readonly barrier: number;
  /** A barrier wait that ended asleep (Atomics.wait) rather than spinning. */
  readonly barrierSlept: number;
  readonly ahead: number;
}

export class Engine {
  readonly shards: number;
  /** Units of the update, also the units of the shard reduction (fused or not). */
  readonly units: readonly Unit[];
  private readonly slotStride: number;
  /** The phases' span ids while a recorder is attached, and whether this step records. */
  spanIds: StepSpans | null = null;
  private recordingStep = false;

  constructor(readonly net: Network, readonly fused: FusedUpdater | null, readonly reference: ReferenceRun | null) {
    this.shards = net.shards;
    this.units = fused ? fused.units : updateUnits(net);
    this.slotStride = net.shards > 1 ? net.plan.grads[1]!.offset - net.plan.grads[0]!.offset : 0;
  }

  /** Attaches a profiler's recorder to the engine and its network (null detaches it). */
  attachRecorder(rec: SpanRecorder | null): void {
    this.net.attachRecorder(rec);
    this.recordingStep = false;
    this.spanIds = rec && {
      rec,
      step: rec.intern('step', 'step'),
      load: Array.from({ length: this.shards }, (_, s) => rec.intern(`load shard ${s}`, 'data')),
      shard: Array.from({ length: this.shards }, (_, s) => rec.intern(`shard ${s}`, 'shard')),
      reduce: rec.intern('reduce shards', 'update'),
      reducePass1: rec.intern('reduce shards + pass 1 (norm)', 'update'),
      pass1: rec.intern('pass 1 (norm)', 'update'),
      pass2: rec.intern('pass 2 (clip, noise, optimizer)', 'update'),
      barrier: rec.intern('barrier', 'barrier'),
      barrierSlept: rec.intern('barrier (slept)', 'barrier'),
      ahead: rec.intern('noise ahead', 'noise'),
    };
  }

  /** Whether the spans of the coming step are recorded (only with a recorder attached). */
  record(on: boolean): void {
    this.recordingStep = on && this.spanIds !== null;
    this.net.recording = this.recordingStep;
  }

  /** The span ids while this step records, else null. */
  get spans(): StepSpans | null {
    return this.recordingStep ? this.spanIds : null;
  }

  /** Runs kernels, turning a wasm trap into an Error that says what was running. */
  guard<T>(where: string, body: () => T): T {
    const net = this.net;
    try {
      return body();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        throw new Error(`${where}: the core trapped during ${net.phase.what} at step ${net.step}: ${e.message}`, { cause: e });
      }
      throw e;
    } finally {
      net.phase.what = 'idle';
    }
  }

  /**
   * Copies shard s's rows of a batch of `rows` into its region: batch row r is example order[from + r]
   * (or from + r without an order) of the staged data.
   */
  loadShard(data: Staged, order: ArrayLike<number> | null, from: number, rows: number, s: number): void {
    const [r0, r1] = this.net.shardRows(rows, s);
    this.net.load(data, order, from, r0, r1, s);
  }

  /** Step part 1 for shard s of a batch of `rows` loaded rows: forward, loss, backward into grad slot s. */
  runShard(s: number, rows: number): ShardResult {
    const net = this.net;
    const [r0, r1] = net.shardRows(rows, s);
    if (r1 === r0) {
      const slot = net.plan.grads[s]!;
      net.k.fill_f32(slot.offset, slot.bytes >> 2, 0);
      return { loss: 0, correct: 0, count: 0 };
    }
    net.forward(s, r1 - r0, r0, true);
    const r = net.lossForward(s, r1 - r0);
    net.backward(s, r1 - r0, r0);
    return r;
  }

  /** Step part 2a for unit u: grad slots added into slot 0 in the fixed tree. */
  reduce(u: number): void {
    if (this.shards === 1) return;
    const x = this.units[u]!;
    this.net.k.reduce_slots_f32(x.g, this.slotStride, this.shards, x.n);
  }

  /** Loss and correct count of a batch from its shards' results, added in shard order. */
  static combine(results: readonly ShardResult[]): ShardResult {
    let loss = 0, correct = 0, count = 0;
    for (const r of results) { loss += r.loss; correct += r.correct; count += r.count; }
    return { loss, correct, count };
  }

  /**
   * Forward + backward of every shard on this thread (batch row r is example order[from + r], or from + r),
   * then the reduction into grad slot 0.
   */
  gradients(where: string, data: Staged, order: ArrayLike<number> | null, from: number, rows: number): ShardResult {
    const net = this.net, sp = this.spans;
    return this.guard(where, () => {
      const results: ShardResult[] = [];
      for (let s = 0; s < this.shards; s++) {
        if (sp) {
          const t0 = sp.rec.now();
          this.loadShard(data, order, from, rows, s);
          const t1 = sp.rec.now();
          results.push(this.runShard(s, rows));
          sp.rec.span(sp.load[s]!, t0, t1);
          sp.rec.span(sp.shard[s]!, t1, sp.rec.now());
          continue;
        }
        this.loadShard(data, order, from, rows, s);
        results.push(this.runShard(s, rows));
      }
      const sum = Engine.combine(results);
      if (!Number.isFinite(sum.loss)) throw this.lossError(where, sum.loss, rows);
      net.phase.what = 'reduction of gradient shards';
      const t0 = sp ? sp.rec.now() : 0;
      for (let u = 0; u < this.units.length; u++) this.reduce(u);
      if (sp && this.shards > 1) sp.rec.span(sp.reduce, t0, sp.rec.now());
      return sum;
    });
  }

  /**
   * The update from the reduced gradients of `rows` examples; advances the step. Throws NonFiniteError
   * (step, first offending tensor) for a non-finite gradient, leaving parameters and state untouched.
   */
  update(where: string, rows: number, ready?: () => ArrayLike<number> | null): StepMetrics {
    const net = this.net, sp = this.spans;
    return this.guard(where, () => {
      let m: StepMetrics;
      try {
        m = this.fused ? this.fused.run(rows, { ready, spans: sp }) : referenceUpdate(net, this.reference!, rows);
      } catch (e) {
        throw this.nonFiniteError(where, e);
      }
      net.step = net.step + 1;
      return m;
    });
  }

  /** A NonFiniteGradientError as the public NonFiniteError (anything else unchanged). */
  nonFiniteError(where: string, e: unknown): unknown {
    if (!(e instanceof NonFiniteGradientError)) return e;
    const name = (e.tensor >= 0 ? [...this.net.plan.paramTensors.keys()][e.tensor] : undefined) ?? e.tensorName;
    return new NonFiniteError(`${where}: step ${e.step}: the gradient of ${name} is ${e.value} at index ${e.index}; the update is refused`,
      { step: e.step, tensor: name, index: e.index, layer: name.split('/')[0]! }, { cause: e });
  }

  /**
   * The error of a batch of `rows` loaded rows whose loss is not finite, naming where it starts: a
   * parameter that overflowed in an earlier update, else the first node whose output is not finite (each
   * shard's forward runs again on the rows still loaded in its region, checking every node's output).
   */
  lossError(where: string, loss: number, rows: number): NonFiniteError {
    const net = this.net, t = net.step;
    const head = `${where}: the loss is ${loss} at step ${t}: training diverged`;
    const tip = 'try a smaller learning rate, or clipping';
    for (const [name, p] of net.plan.paramTensors) {
      const at = net.k.first_nonfinite_f32(p.offset, p.elements);
      if (at >= 0) {
        const layer = name.split('/')[0]!;
        return new NonFiniteError(`${head} in layer ${layer}: parameter ${name} holds ${net.f32(p.offset, p.elements)[at]} at index ${at} (${tip})`,
          { step: t, tensor: name, index: at, layer });
      }
    }
    let first: ReturnType<Network['firstNonFinite']> = null;
    for (let s = 0; s < this.shards; s++) {
      const [r0, r1] = net.shardRows(rows, s);
      if (r1 === r0) continue;
      const found = net.firstNonFinite(s, r1 - r0, r0, true);
      // The earliest node in execution order wins; among shards, the first.
      const order = (n: string) => net.graph.nodes.findIndex((x) => x.name === n);
      if (found && (!first || order(found.node) < order(first.node))) first = found;
    }
    if (first) {
      const { node, value, example, element } = first;
      return new NonFiniteError(`${head} in layer ${node}: its output is ${value} at example ${example} of the batch, unit ${element} (${tip})`,
        { step: t, tensor: '', index: element, layer: node });
    }
    const ops = [...new Set(net.graph.losses.map((l) => l.decl.op))].join(', ');
    return new NonFiniteError(`${head} in the loss (${ops}) on finite outputs (${tip})`, { step: t, tensor: '', index: -1, layer: '' });
  }

  /** After a refused step: grad slot 0 is zeroed, so getGrad() shows nothing stale. */
  dropGradients(): void {
    const g = this.net.plan.grads[0]!;
    this.net.k.fill_f32(g.offset, g.bytes >> 2, 0);
  }

  /**
   * Forward only over examples [from, from + rows) of the staged data (evaluate, predict), in region 0 with
   * shard 0's scratch; rows at most net.cap.
   */
  infer(where: string, data: Staged, from: number, rows: number, withLoss: boolean): ShardResult {
    const net = this.net;
    return this.guard(where, () => {
      net.load(data, null, from, 0, rows, 0);
      net.forward(0, rows, 0, false);
      return withLoss ? net.lossForward(0, rows) : { loss: 0, correct: 0, count: 0 };
    });
  }
}

/** Mean loss and accuracy over staged data, in chunks of a region's rows (the same on any thread). */
export function evaluateStaged(engine: Engine, s: Staged, where = 'evaluate'): { loss: number; accuracy: number; count: number } {
  let loss = 0, correct = 0, count = 0;
  const chunk = engine.net.cap;
  for (let from = 0; from < s.count; from += chunk) {
    const r = engine.infer(where, s, from, Math.min(chunk, s.count - from), true);
    loss += r.loss;
    correct += r.correct;
    count += r.count;
  }
  return { loss: loss / s.count, accuracy: accuracyOf(correct, count), count: s.count };
}
