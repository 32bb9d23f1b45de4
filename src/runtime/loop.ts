// The training loop of fit(), runtime-agnostic: epochs, the seeded data order, the abort check at step
// boundaries, skipped steps, progress events and validation. It runs inline on the caller's thread or
// inside the leading worker (runtime/worker.ts), with a StepRunner that does the step's work either on this
// thread or shared out over the workers; the loop cannot tell which.
import type { DataPosition, Network } from '../graph/network.js';
import type { StepMetrics } from '../optim/transforms.js';
import type { Trace } from './trace.js';
import { epochOrder } from './data.js';
import { accuracyOf, NonFiniteError } from './engine.js';

export interface StepInfo extends StepMetrics {
  /** Optimizer steps completed (t + 1 after the update of step t). */
  readonly step: number;
  readonly epoch: number;
  /** Mean loss over the batch. */
  readonly loss: number;
  /** Share of the batch's scored predictions that were right (classification losses; NaN otherwise). */
  readonly accuracy: number;
  readonly examples: number;
}

export interface Evaluation {
  /** Mean loss per example. */
  readonly loss: number;
  /** Share classified correctly (softmaxCrossEntropy; NaN otherwise). */
  readonly accuracy: number;
  readonly count: number;
}

export interface EpochInfo {
  /** The model's epoch counter (it continues across fit() calls, and drives the data order). */
  readonly epoch: number;
  /** The epoch's first batch in this call: 0, or where an earlier call (or a checkpoint) left it. */
  readonly fromBatch: number;
  /** False for an epoch cut short (abort signal or `steps`); the next fit() continues it. */
  readonly complete: boolean;
  readonly loss: number;
  readonly accuracy: number;
  /** Examples trained on in this call's part of the epoch. */
  readonly examples: number;
  readonly examplesPerSecond: number;
  /** The validation figures after a complete epoch (when fit() got validation data). */
  readonly validation?: Evaluation;
}

export interface FitHistory {
  /** Optimizer steps completed by the model (over all fit calls). */
  readonly steps: number;
  /** Steps refused for a non-finite loss or gradient in this fit (nonFinite: 'skip'). */
  readonly skippedSteps: number;
  /** Whether the abort signal stopped the run early. */
  readonly aborted: boolean;
  readonly epochs: readonly EpochInfo[];
  /** With fit({ profile }): the Chrome trace of the profiled steps (runtime/trace.ts). */
  readonly profile?: Trace;
}

/** fit()'s options once checked: plain data, so it crosses to a worker as it is. */
export interface LoopConfig {
  readonly count: number;
  readonly epochs: number;
  readonly batch: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly nonFinite: 'throw' | 'skip';
  /** Steps (taken or skipped) after which this call ends; Infinity for whole epochs only. */
  readonly maxSteps: number;
}

/** Whether a position left mid-epoch belongs to the data order `cfg` describes (so training may continue it). */
export function continues(pos: DataPosition, cfg: LoopConfig): boolean {
  return pos.batch > 0 && pos.count === cfg.count && pos.batchSize === cfg.batch && pos.seed === cfg.seed &&
    pos.shuffle === cfg.shuffle && pos.dropLast === cfg.dropLast;
}

/** One training step on batch rows order[from ..] (or from .. without shuffling). */
export interface StepRunner {
  /** Loss sum, correct and scored counts of the batch and the update's metrics; throws NonFiniteError for a refused step. */
  step(order: Uint32Array | null, from: number, rows: number): { loss: number; correct: number; count: number; metrics: StepMetrics };
}

export interface LoopHooks {
  aborted(): boolean;
  onStep(info: StepInfo): void;
  onEpoch(info: EpochInfo): void;
  /** Validation after each complete epoch, when fit() got some. */
  readonly validate?: () => Evaluation;
  /** Called after every step; may return a promise to let the thread's event loop run. */
  pause(): Promise<void> | void;
  /** Checked after every pause: throws when the run must end (a disposed model). */
  check(): void;
}

export async function trainLoop(net: Network, cfg: LoopConfig, runner: StepRunner, hooks: LoopHooks): Promise<FitHistory> {
  const { count, batch } = cfg;
  let skipped = 0;
  const steps = cfg.dropLast ? Math.floor(count / batch) : Math.ceil(count / batch);
  const history: EpochInfo[] = [];
  let done = 0;
  // Whether the abort signal cut the run short (one that fires after the last step cuts nothing).
  let cut = false;
  // An epoch left mid-way in the same data order continues from its next batch (the caller has already
  // said so when the order differs: that epoch then starts again).
  let from = continues(net.position, cfg) ? net.position.batch : 0;
  const order0 = { count, batchSize: batch, seed: cfg.seed, shuffle: cfg.shuffle, dropLast: cfg.dropLast };
  for (let e = 0; e < cfg.epochs && done < cfg.maxSteps; e++, from = 0) {
    if (hooks.aborted()) { cut = true; break; }
    // The model's epoch counter, not this call's: repeated fit() calls continue the data order.
    const epoch = net.epoch;
    const order = cfg.shuffle ? epochOrder(cfg.seed, epoch, count) : null;
    const t0 = performance.now();
    let lossSum = 0, correct = 0, scored = 0, seen = 0, complete = true;
    for (let i = from; i < steps; i++) {
      if (done >= cfg.maxSteps) { complete = false; break; }
      if (hooks.aborted()) { complete = false; cut = true; break; }
      const rows = Math.min(batch, count - i * batch);
      let r;
      done++;
      try {
        r = runner.step(order, i * batch, rows);
      } catch (err) {
        if (!(err instanceof NonFiniteError) || cfg.nonFinite === 'throw') throw err;
        skipped++;
        net.position = { ...order0, batch: i + 1 };
        continue;
      }
      // The batch is taken: a cut from here on continues after it.
      net.position = { ...order0, batch: i + 1 };
      lossSum += r.loss; correct += r.correct; scored += r.count; seen += rows;
      hooks.onStep({ ...r.metrics, step: net.step, epoch, loss: r.loss / rows, accuracy: accuracyOf(r.correct, r.count), examples: rows });
      const p = hooks.pause();
      if (p) await p;
      hooks.check();
    }
    if (complete) {
      net.epoch = epoch + 1;
      net.position = { ...order0, batch: 0 };
    }
    const seconds = (performance.now() - t0) / 1000;
    const info: EpochInfo = {
      epoch, fromBatch: from, complete, loss: lossSum / seen, accuracy: accuracyOf(correct, scored), examples: seen,
      examplesPerSecond: seen / seconds, ...(hooks.validate && complete ? { validation: hooks.validate() } : {}),
    };
    history.push(info);
    hooks.onEpoch(info);
  }
  return { steps: net.step, skippedSteps: skipped, aborted: cut, epochs: history };
}
