// The public Model: create a network on the core, train it (fit), measure it (evaluate), use it (predict),
// and read its parameters and gradients by name. Everything a caller passes is checked here, before any
// kernel runs; a trap inside wasm comes back as an Error that says which step and which kernel call.
//
// Training runs inline on the calling thread for now (the worker-threads runtime of issue #4 replaces the
// loop in fit() without changing this API): fit() yields to the event loop between steps every few
// milliseconds so progress callbacks and timers keep running.
import { loadCoreModule, type BuildName } from '../core/wasm.js';
import { Network } from '../model/network.js';
import { MAX_UNITS, type ModelSpec } from '../model/spec.js';
import { lowerChain } from '../optim/fuse.js';
import { FusedUpdater, initState, stateSlotsOf } from '../optim/fused.js';
import { referenceUpdate, type ReferenceRun } from '../optim/reference.js';
import { checkOptions } from '../optim/schedules.js';
import {
  NonFiniteGradientError, sgd, validateChain, type Chain, type GradientTransformation, type StepMetrics,
} from '../optim/transforms.js';
import { epochOrder, stage, type Inputs, type Staged, type Targets } from './data.js';

export interface ModelOptions {
  /** Largest batch: sizes the planned memory. Default 32. */
  readonly batchSize?: number;
  /** Seed of initialisation and, unless fit() gets its own, of the data order. Integer in [0, 2^53). Default 0. */
  readonly seed?: number;
  /**
   * The update, optax-style: an optimizer or a chain ending in one, for example
   * `chain(clipByGlobalNorm(10), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.01 }))`.
   * Default sgd({ lr: 0.01 }).
   */
  readonly optimizer?: GradientTransformation;
  /** Where warnings go (a chain that cannot be fused). Default console.warn. */
  readonly onWarning?: (message: string) => void;
  /**
   * false: run every update through the chain's TypeScript reference implementation even when it could be
   * fused (for checking the fused kernel; the results are the same bits, only slower). Default true.
   */
  readonly fuse?: boolean;
  /** Which core build to run: `auto` (threads where shared memory works, else single). */
  readonly build?: BuildName | 'auto';
  /** The core's wasm bytes, for runtimes that cannot read the packaged file. */
  readonly wasm?: Uint8Array;
}

export interface StepInfo extends StepMetrics {
  /** Optimizer steps completed (t + 1 after the update of step t). */
  readonly step: number;
  readonly epoch: number;
  /** Mean loss over the batch. */
  readonly loss: number;
  /** Share of the batch classified correctly (softmaxCrossEntropy; NaN otherwise). */
  readonly accuracy: number;
  readonly examples: number;
}

export interface EpochInfo {
  /** The model's epoch counter (it continues across fit() calls, and drives the data order). */
  readonly epoch: number;
  /** False for an epoch cut short by the abort signal. */
  readonly complete: boolean;
  readonly loss: number;
  readonly accuracy: number;
  readonly examplesPerSecond: number;
  readonly validation?: Evaluation;
}

export interface FitOptions {
  readonly epochs?: number;
  /** Examples per step, at most the model's batchSize. Default the model's batchSize. */
  readonly batchSize?: number;
  /** Shuffle each epoch (seeded). Default true. */
  readonly shuffle?: boolean;
  /** Seed of the data order. Default the model's seed. */
  readonly seed?: number;
  /** Drop the last partial batch of an epoch. Default false (it trains on fewer examples). */
  readonly dropLast?: boolean;
  /** Evaluated after each epoch. */
  readonly validation?: { readonly x: Inputs; readonly y: Targets };
  readonly onStep?: (info: StepInfo) => void;
  readonly onEpoch?: (info: EpochInfo) => void;
  /** Stop at the next step boundary. */
  readonly signal?: AbortSignal;
  /**
   * A step whose loss or gradient holds NaN or Infinity: `throw` (default) stops with an error naming the
   * step and the first offending tensor; `skip` leaves the parameters untouched, counts it, and goes on.
   */
  readonly nonFinite?: 'throw' | 'skip';
}

export interface FitHistory {
  /** Optimizer steps completed by the model (over all fit calls). */
  readonly steps: number;
  /** Steps refused for a non-finite loss or gradient in this fit (nonFinite: 'skip'). */
  readonly skippedSteps: number;
  /** Whether the abort signal stopped the run early. */
  readonly aborted: boolean;
  readonly epochs: readonly EpochInfo[];
}

/**
 * A step refused because its loss or a gradient is NaN or Infinity; the parameters and optimizer state
 * are as they were before the step. `tensor` names the first offending parameter tensor ('' for a loss).
 */
export class NonFiniteError extends Error {
  constructor(message: string, readonly step: number, readonly tensor: string, readonly index: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NonFiniteError';
  }
}

/**
 * Lets timers, I/O and callbacks run between training steps. setTimeout(0) would idle for at least 1 ms
 * (4 ms when nested in browsers), about 5% of a 20 ms slice; setImmediate (Node, Bun, Deno) and a
 * MessageChannel round trip (browsers, workers) return as soon as the queue is drained.
 */
const yieldToEventLoop: () => Promise<void> = (() => {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return () => new Promise<void>((r) => { g.setImmediate!(r); });
  if (typeof MessageChannel === 'function') {
    return () => new Promise<void>((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { ch.port1.close(); r(); };
      ch.port2.postMessage(0);
    });
  }
  return () => new Promise<void>((r) => setTimeout(r, 0));
})();

const MODEL_OPTIONS = ['batchSize', 'seed', 'optimizer', 'build', 'wasm', 'onWarning', 'fuse'];
const FIT_OPTIONS = ['epochs', 'batchSize', 'shuffle', 'seed', 'dropLast', 'validation', 'onStep', 'onEpoch', 'signal', 'nonFinite'];

function checkType(where: string, field: string, v: unknown, type: 'boolean' | 'function'): void {
  if (v !== undefined && typeof v !== type) throw new Error(`${where}: ${field} is ${String(v)} (need a ${type})`);
}

export interface Evaluation {
  /** Mean loss per example. */
  readonly loss: number;
  /** Share classified correctly (softmaxCrossEntropy; NaN otherwise). */
  readonly accuracy: number;
  readonly count: number;
}

const isSeed = (s: unknown): s is number => Number.isSafeInteger(s) && (s as number) >= 0;

function checkBatchSize(where: string, b: unknown, max: number): number {
  if (!Number.isInteger(b) || (b as number) < 1 || (b as number) > max) {
    throw new Error(`${where}: batchSize is ${String(b)} (need an integer from 1 to ${max})`);
  }
  return b as number;
}

/** Compiles the spec onto the core and initialises the parameters from the seed. */
export async function createModel(spec: ModelSpec, options: ModelOptions = {}): Promise<Model> {
  checkOptions('createModel', options, MODEL_OPTIONS);
  checkType('createModel', 'fuse', options.fuse, 'boolean');
  checkType('createModel', 'onWarning', options.onWarning, 'function');
  if (options.build !== undefined && !['auto', 'threads', 'single'].includes(options.build)) {
    throw new Error(`createModel: build is "${String(options.build)}" (allowed: auto, threads, single)`);
  }
  if (options.wasm !== undefined && !(options.wasm instanceof Uint8Array)) {
    throw new Error(`createModel: wasm must be the core's bytes as a Uint8Array, got ${String(options.wasm)}`);
  }
  const batchSize = checkBatchSize('createModel', options.batchSize ?? 32, MAX_UNITS);
  const seed = options.seed ?? 0;
  if (!isSeed(seed)) throw new Error(`createModel: seed is ${String(seed)} (need an integer from 0 to 2^53 - 1)`);
  const optimizer = validateChain(options.optimizer ?? sgd({ lr: 0.01 }));
  const lowered = options.fuse === false ? { fused: null, reasons: ['fuse: false'] } : lowerChain(optimizer);
  if (!lowered.fused && options.fuse !== false) {
    (options.onWarning ?? console.warn)(`gradnoise: the update [${optimizer.transforms.map((t) => t.name).join(', ')}] ` +
      `cannot be fused (${lowered.reasons.join('; ')}); it runs through the slower TypeScript reference path`);
  }
  const mod = await loadCoreModule(options.build ?? 'auto', options.wasm);
  const net = new Network(mod, spec, { maxRows: batchSize, seed, stateSlots: lowered.fused ? stateSlotsOf(lowered.fused) : 0 });
  if (lowered.fused) initState(net, lowered.fused);
  // The reference path keeps the chain's own state, in the JS heap, initialised from the parameters.
  const reference = lowered.fused ? null : { chain: optimizer, state: optimizer.init(net.paramDecls.map((d) => net.f32(net.plan.paramTensors.get(d.name)!.offset, d.elements).slice())) };
  return new Model(net, batchSize, optimizer, lowered.fused ? new FusedUpdater(net, lowered.fused) : null, reference);
}

export class Model {
  private lastRows = 0;
  private disposed = false;

  /** @internal use createModel() */
  constructor(private readonly net: Network, readonly batchSize: number, readonly optimizer: Chain,
              private readonly fused: FusedUpdater | null, private readonly reference: ReferenceRun | null) {}

  /** Whether updates run in the fused wasm pass (true) or through the chain's TypeScript reference path. */
  get isFused(): boolean { return this.fused !== null; }

  get spec(): ModelSpec { return this.net.spec; }
  get seed(): number { return this.net.seed; }
  /** Which core build runs this model. */
  get build(): BuildName { return this.net.core.build; }
  /** Optimizer steps taken so far. */
  get step(): number { return this.net.step; }
  /** Parameter names in layout order: `<layer>/kernel` ([inputs x units], row-major) and `<layer>/bias`. */
  get paramNames(): string[] { return [...this.net.plan.paramTensors.keys()]; }
  /** Bytes of the planned memory (the whole arena, sized once at creation). */
  get memoryBytes(): number { return this.net.core.memory.buffer.byteLength; }
  /** The layout plan (offsets of every block and tensor), for tools and docs. */
  get layout() { return this.net.plan; }

  private live(where: string): Network {
    if (this.disposed) throw new Error(`${where}: the model has been disposed`);
    return this.net;
  }

  private tensor(where: string, name: string) {
    const p = this.live(where).plan.paramTensors.get(name);
    if (!p) throw new Error(`${where}: no parameter "${name}" (have: ${this.paramNames.join(', ')})`);
    return p;
  }

  /** A copy of a parameter tensor. */
  getParam(name: string): Float32Array {
    const p = this.tensor('getParam', name);
    return this.net.f32(p.offset, p.elements).slice();
  }

  /** Overwrites a parameter tensor (same length, finite values). */
  setParam(name: string, values: Float32Array): void {
    const p = this.tensor('setParam', name);
    if (!(values instanceof Float32Array) || values.length !== p.elements) {
      throw new Error(`setParam: "${name}" needs a Float32Array of ${p.elements} values, got ${values?.constructor?.name ?? String(values)} of length ${(values as { length?: number })?.length}`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw new Error(`setParam: "${name}"[${i}] is ${values[i]}: values must be finite`);
    }
    this.net.f32(p.offset, p.elements).set(values);
  }

  /** Every parameter, copied, by name in layout order. */
  getWeights(): Map<string, Float32Array> {
    return new Map(this.paramNames.map((n) => [n, this.getParam(n)]));
  }

  /**
   * The gradient of the MEAN loss of the batch given to the last computeGradients() call, with respect to
   * a parameter (what PyTorch leaves in .grad after loss.mean().backward()). A training step consumes its
   * gradients (the fused update zeroes them), so after one there is none until computeGradients().
   */
  getGrad(name: string): Float32Array {
    const p = this.tensor('getGrad', name);
    if (this.lastRows === 0) throw new Error('getGrad: no gradient (call computeGradients() first; a training step consumes its gradients)');
    const g = this.net.f32(p.offset + this.net.plan.grads[0]!.offset - this.net.plan.params.offset, p.elements).slice();
    const scale = Math.fround(1 / this.lastRows);
    for (let i = 0; i < g.length; i++) g[i] = Math.fround(g[i]! * scale);
    return g;
  }

  private load(s: Staged, order: Uint32Array | null, from: number, rows: number): void {
    const net = this.net, F = net.inputs, O = net.outputs;
    const xin = net.f32(net.input, rows * F);
    const lab = s.labels ? net.i32(net.labels, rows) : null;
    const tgt = s.targets ? net.f32(net.targets, rows * O) : null;
    for (let r = 0; r < rows; r++) {
      const e = order ? order[from + r]! : from + r;
      xin.set(s.x.subarray(e * F, e * F + F), r * F);
      if (lab) lab[r] = s.labels![e]!;
      if (tgt) tgt.set(s.targets!.subarray(e * O, e * O + O), r * O);
    }
  }

  // Runs kernels, turning a wasm trap into an Error that says what was running.
  private guard<T>(where: string, body: () => T): T {
    try {
      return body();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        throw new Error(`${where}: the core trapped during ${this.net.phase.what} at step ${this.net.step}: ${e.message}`, { cause: e });
      }
      throw e;
    } finally {
      this.net.phase.what = 'idle';
    }
  }

  // One forward + backward on the loaded rows. Returns (loss sum, correct). Throws NonFiniteError for a
  // non-finite loss, before the backward.
  private runBatch(where: string, rows: number): [number, number] {
    const net = this.net;
    this.lastRows = 0;
    return this.guard(where, () => {
      net.forward(rows, true);
      const loss = net.lossForward(rows);
      const correct = net.correct(rows);
      if (!Number.isFinite(loss)) {
        throw new NonFiniteError(`${where}: the loss is ${loss} at step ${net.step}: training diverged (try a smaller learning rate, or clipping)`, net.step, '', -1);
      }
      net.backward(rows);
      this.lastRows = rows;
      return [loss, correct];
    });
  }

  // The update from the gradients of the last batch; advances the step and consumes the gradients.
  // Throws NonFiniteError (with the step and the first offending tensor) when a gradient is not finite,
  // leaving parameters and state untouched.
  private update(where: string, rows: number): StepMetrics {
    const net = this.net;
    this.lastRows = 0;
    return this.guard(where, () => {
      let m: StepMetrics;
      try {
        m = this.fused ? this.fused.run(rows) : referenceUpdate(net, this.reference!, rows);
      } catch (e) {
        if (!(e instanceof NonFiniteGradientError)) throw e;
        const name = (e.tensor >= 0 ? this.paramNames[e.tensor] : undefined) ?? e.tensorName;
        throw new NonFiniteError(`${where}: step ${e.step}: the gradient of ${name} is ${e.value} at index ${e.index}; the update is refused`,
          e.step, name, e.index, { cause: e });
      }
      net.step = net.step + 1;
      return m;
    });
  }

  // After a refused step: the gradients are dropped, so the next batch starts from zero.
  private dropGradients(): void {
    const { plan, k } = this.net;
    k.fill_f32(plan.grads[0]!.offset, plan.grads[0]!.bytes >> 2, 0);
  }

  /** Forward and backward on one batch (at most batchSize examples), no update; returns the mean loss. */
  computeGradients(x: Inputs, y: Targets): number {
    const s = stage('computeGradients', this.live('computeGradients'), x, y, true);
    if (s.count > this.batchSize) throw new Error(`computeGradients: ${s.count} examples exceed the model's batchSize ${this.batchSize}`);
    this.load(s, null, 0, s.count);
    return this.runBatch('computeGradients', s.count)[0] / s.count;
  }

  /** One optimizer step on one batch (at most batchSize examples). */
  trainOnBatch(x: Inputs, y: Targets): StepMetrics & { loss: number; accuracy: number } {
    const s = stage('trainOnBatch', this.live('trainOnBatch'), x, y, true);
    if (s.count > this.batchSize) throw new Error(`trainOnBatch: ${s.count} examples exceed the model's batchSize ${this.batchSize}`);
    this.load(s, null, 0, s.count);
    try {
      const [loss, correct] = this.runBatch('trainOnBatch', s.count);
      const m = this.update('trainOnBatch', s.count);
      return { ...m, loss: loss / s.count, accuracy: this.accuracyOf(correct, s.count) };
    } catch (e) {
      if (e instanceof NonFiniteError) this.dropGradients();
      throw e;
    }
  }

  private accuracyOf(correct: number, rows: number): number {
    return this.net.loss === 'softmaxCrossEntropy' ? correct / rows : NaN;
  }

  /** Trains for `epochs` passes over (x, y) with seeded shuffling. */
  async fit(x: Inputs, y: Targets, options: FitOptions = {}): Promise<FitHistory> {
    const net = this.live('fit');
    checkOptions('fit', options, FIT_OPTIONS);
    for (const f of ['shuffle', 'dropLast'] as const) checkType('fit', f, options[f], 'boolean');
    for (const f of ['onStep', 'onEpoch'] as const) checkType('fit', f, options[f], 'function');
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new Error(`fit: signal is ${String(options.signal)} (need an AbortSignal)`);
    if (options.validation !== undefined && (typeof options.validation !== 'object' || options.validation === null)) {
      throw new Error(`fit: validation is ${String(options.validation)} (need { x, y })`);
    }
    const epochs = options.epochs ?? 1;
    if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs is ${String(epochs)} (need an integer >= 0)`);
    const batch = checkBatchSize('fit', options.batchSize ?? this.batchSize, this.batchSize);
    const seed = options.seed ?? net.seed;
    if (!isSeed(seed)) throw new Error(`fit: seed is ${String(seed)} (need an integer from 0 to 2^53 - 1)`);
    const s = stage('fit', net, x, y, true);
    if (batch > s.count) throw new Error(`fit: batchSize ${batch} is larger than the ${s.count} examples given`);
    const val = options.validation ? stage('fit validation', net, options.validation.x, options.validation.y, true) : null;
    const shuffle = options.shuffle ?? true;
    const nonFinite = options.nonFinite ?? 'throw';
    if (nonFinite !== 'throw' && nonFinite !== 'skip') throw new Error(`fit: nonFinite is "${String(nonFinite)}" (allowed: throw, skip)`);
    let skipped = 0;
    const steps = options.dropLast ? Math.floor(s.count / batch) : Math.ceil(s.count / batch);
    const history: EpochInfo[] = [];
    let yieldAt = performance.now() + 20;
    for (let e = 0; e < epochs && !options.signal?.aborted; e++) {
      // The model's epoch counter, not this call's: repeated fit() calls continue the data order.
      const epoch = net.epoch;
      const order = shuffle ? epochOrder(seed, epoch, s.count) : null;
      const t0 = performance.now();
      let lossSum = 0, correct = 0, seen = 0, complete = true;
      for (let i = 0; i < steps; i++) {
        if (options.signal?.aborted) { complete = false; break; }
        const rows = Math.min(batch, s.count - i * batch);
        this.load(s, order, i * batch, rows);
        let loss: number, c: number, m: StepMetrics;
        try {
          [loss, c] = this.runBatch('fit', rows);
          m = this.update('fit', rows);
        } catch (err) {
          if (!(err instanceof NonFiniteError)) throw err;
          this.dropGradients();
          if (nonFinite === 'throw') throw err;
          skipped++;
          continue;
        }
        lossSum += loss; correct += c; seen += rows;
        options.onStep?.({ ...m, step: net.step, epoch, loss: loss / rows, accuracy: this.accuracyOf(c, rows), examples: rows });
        if (performance.now() >= yieldAt) {
          await yieldToEventLoop();
          this.live('fit');
          yieldAt = performance.now() + 20;
        }
      }
      if (complete) net.epoch = epoch + 1;
      const seconds = (performance.now() - t0) / 1000;
      const info: EpochInfo = {
        epoch, complete, loss: lossSum / seen, accuracy: this.accuracyOf(correct, seen), examplesPerSecond: seen / seconds,
        ...(val ? { validation: this.evaluateStaged(val) } : {}),
      };
      history.push(info);
      options.onEpoch?.(info);
    }
    return { steps: net.step, skippedSteps: skipped, aborted: options.signal?.aborted ?? false, epochs: history };
  }

  private evaluateStaged(s: Staged): Evaluation {
    let loss = 0, correct = 0;
    for (let from = 0; from < s.count; from += this.batchSize) {
      const rows = Math.min(this.batchSize, s.count - from);
      this.load(s, null, from, rows);
      this.guard('evaluate', () => {
        this.net.forward(rows, false);
        loss += this.net.lossForward(rows);
        correct += this.net.correct(rows);
      });
    }
    return { loss: loss / s.count, accuracy: this.accuracyOf(correct, s.count), count: s.count };
  }

  /** Mean loss and accuracy over (x, y), in batches of batchSize, without touching the parameters. */
  evaluate(x: Inputs, y: Targets): Evaluation {
    return this.evaluateStaged(stage('evaluate', this.live('evaluate'), x, y, true));
  }

  /** The network's outputs for x (logits for softmaxCrossEntropy), examples x outputs, row-major. */
  predict(x: Inputs): Float32Array {
    const s = stage('predict', this.live('predict'), x, undefined, false);
    const O = this.net.outputs;
    const out = new Float32Array(s.count * O);
    for (let from = 0; from < s.count; from += this.batchSize) {
      const rows = Math.min(this.batchSize, s.count - from);
      this.load(s, null, from, rows);
      this.guard('predict', () => this.net.forward(rows, false));
      out.set(this.net.f32(this.net.outputPtr, rows * O), from * O);
    }
    return out;
  }

  /**
   * Ends the model: every later call throws, and a fit() in progress stops at its next yield with an
   * error. The planned memory is freed when the model is no longer referenced.
   */
  dispose(): void {
    this.disposed = true;
  }
}
