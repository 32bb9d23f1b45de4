// The paper's other experiments as runs of the sweep engine (src/sweeps/): a job of kind 'memnn' or
// 'neuralgpu' carries its complete config (experiments/memnn.ts, experiments/neuralgpu.ts) instead of a
// TrainConfig and data files (their data are generated from seeds), and runs to a record the engine stores,
// reports and replays like any other: the accuracy its restart report counts, the weights' SHA-256, and the
// experiment's own figures in `details`.
import { show } from '../core/check.js';
import type { RunSummary } from '../runs/train.js';
import { resolveMemnnConfig, runMemnn, type MemnnConfig, type MemnnResult } from './memnn.js';
import { resolveNeuralGpuConfig, runNeuralGpu, type NeuralGpuConfig, type NeuralGpuResult } from './neuralgpu.js';

export type TaskRun =
  | { readonly kind: 'memnn'; readonly config: MemnnConfig }
  | { readonly kind: 'neuralgpu'; readonly config: NeuralGpuConfig };

export const TASK_KINDS = ['memnn', 'neuralgpu'] as const;

/** A task run from untrusted input (a queue job, a stored record), its config complete and checked. */
export function checkTaskRun(v: unknown, where: string): TaskRun {
  const o = v as { kind?: unknown; config?: unknown };
  if (o === null || typeof o !== 'object') throw new Error(`${where} is ${show(v)} (need { kind, config })`);
  if (o.kind === 'memnn') return { kind: 'memnn', config: resolveMemnnConfig(o.config, `${where}.config`) };
  if (o.kind === 'neuralgpu') return { kind: 'neuralgpu', config: resolveNeuralGpuConfig(o.config, `${where}.config`) };
  throw new Error(`${where}.kind is ${show(o.kind)} (allowed: ${TASK_KINDS.join(', ')})`);
}

export const describeTask = (t: TaskRun): string => (t.kind === 'memnn'
  ? `MemN2N ${t.config.stages}-stage${t.config.noise ? ' + noise' : ''}, tasks ${t.config.tasks === 'all' ? 'all' : t.config.tasks.join(',')}`
  : `Neural GPU ${t.config.task}${t.config.noise ? ' + noise' : ''}`);

export interface TaskOutcome {
  /** What the restart report counts: 1 - the test error (MemN2N: overall; Neural GPU: per sequence at the longest test length). */
  readonly accuracy: number;
  readonly summary: RunSummary;
  readonly details: MemnnResult | NeuralGpuResult;
}

export interface RunTaskOptions {
  readonly workers: number;
  readonly signal?: AbortSignal;
  readonly onStep?: (step: number, total: number, loss: number) => void;
  readonly onWarning?: (m: string) => void;
}

/** Runs a task job; null when the signal stopped it first. */
export async function runTask(t: TaskRun, o: RunTaskOptions): Promise<TaskOutcome | null> {
  const workers = Math.min(o.workers, t.config.shards);
  if (t.kind === 'memnn') {
    const r = await runMemnn(t.config, { workers, signal: o.signal, onWarning: o.onWarning, onEpoch: (e, total) => o.onStep?.(e.epoch + 1, total, e.trainLoss) });
    if (r.aborted) return null;
    const last = r.epochs[r.epochs.length - 1];
    return { accuracy: 1 - r.test.error, details: r, summary: summary(r, r.steps, r.epochs.length, last?.trainLoss ?? null, last ? 1 - last.trainError : null, 1 - r.test.error, workers, null) };
  }
  const r = await runNeuralGpu(t.config, { workers, signal: o.signal, onWarning: o.onWarning, onChunk: (c, total) => o.onStep?.(c.step, total, c.loss) });
  if (r.aborted) return null;
  const longest = r.tests.reduce((a, b) => (b.length > a.length ? b : a), r.tests[0]!);
  const last = r.chunks[r.chunks.length - 1];
  // A diverged restart counts as wrong on every sequence.
  const accuracy = r.diverged ? 0 : 1 - longest.sequenceError;
  return {
    accuracy, details: r,
    summary: summary(r, last?.step ?? 0, 0, last?.loss ?? null, last ? 1 - last.sequenceError : null, accuracy, workers,
      r.diverged ? { step: last?.step ?? 0, layer: '', message: r.diverged } : null),
  };
}

function summary(r: MemnnResult | NeuralGpuResult, steps: number, epochs: number, trainLoss: number | null, trainAccuracy: number | null,
                 testAccuracy: number, workers: number, diverged: RunSummary['diverged']): RunSummary {
  const stepSeconds = r.examplesPerSecond > 0 ? r.examples / r.examplesPerSecond : 0;
  return {
    steps, epochs, trainLoss, trainAccuracy, testLoss: null, testAccuracy, examplesPerSecond: r.examplesPerSecond, examplesPerSecondOver: 'stepSeconds',
    wallExamplesPerSecond: r.seconds > 0 ? r.examples / r.seconds : 0, startupSeconds: null, stepSeconds, seconds: r.seconds, weightsSha256: r.weightsSha256, aborted: r.aborted,
    workers, build: '', diverged,
  };
}
