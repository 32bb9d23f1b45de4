// Running one job of a sweep, the same way everywhere: in `reproduce table1`, in a local pool's child
// process and in a `gradnoise worker` on another machine. It is runTraining (runs/train.ts) on the job's
// data, with divergence recorded rather than thrown, and it returns the record the result store keeps:
// the job itself (so any result can be replayed with `gradnoise train --config`), the per-epoch metrics,
// the summary with the weights' SHA-256, and the accuracy the report counts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining, type EpochRecord, type RunSummary } from '../runs/train.js';
import { loadJobData } from './data.js';
import type { SweepJob } from './plan.js';
import { runTask } from '../experiments/tasks.js';

/** A finished job as stored in OUT/runs/<id>.json (and returned by a queue worker). */
export type JobRecord = SweepJob & JobResult;

interface JobResult {
  readonly epochs: readonly EpochRecord[];
  readonly summary: RunSummary;
  /**
   * The accuracy the report counts: the final test accuracy (the training accuracy when the data has no
   * test split); for a diverged run that of a network with NaN weights, which predicts class 0 for every
   * example (what the paper's diverged runs scored).
   */
  readonly accuracy: number;
  readonly accuracyOf: 'test' | 'train';
  /** Where the final checkpoint was kept, relative to the OUT directory (null: not kept). */
  readonly checkpointFile: string | null;
  /** A task run's own figures (experiments/tasks.ts): per-task or per-length errors, epochs. */
  readonly details?: unknown;
}

export interface JobOutcome {
  readonly record: JobRecord;
  /** The final checkpoint's bytes, when the job keeps it. */
  readonly checkpoint: Uint8Array | null;
}

export interface RunJobOptions {
  /** Worker threads per run (0: on the calling thread); capped at the config's shards. Never changes the bits. */
  readonly workers: number;
  /** Where relative data paths are found. */
  readonly dataDir: string;
  readonly signal?: AbortSignal;
  readonly onStep?: (step: number, total: number, loss: number) => void;
  readonly onWarning?: (message: string) => void;
}

/** Runs a job; null when the signal stopped it first (an interrupted run is never recorded). */
export async function runJob(job: SweepJob, o: RunJobOptions): Promise<JobOutcome | null> {
  if (job.task) {
    const r = await runTask(job.task, { workers: o.workers, signal: o.signal, onStep: o.onStep, onWarning: o.onWarning });
    if (!r) return null;
    return { record: { ...job, epochs: [], summary: r.summary, accuracy: r.accuracy, accuracyOf: 'test', checkpointFile: null, details: r.details }, checkpoint: null };
  }
  const data = loadJobData(job.data, o.dataDir, job.config.model);
  if (job.config.batchSize > data.train.count) {
    throw new Error(`job ${job.id}: batchSize ${job.config.batchSize} is larger than the ${data.train.count} training examples`);
  }
  const dir = job.checkpoint ? mkdtempSync(join(tmpdir(), 'gradnoise-job-')) : null;
  try {
    const r = await runTraining(job.config, data, {
      workers: Math.min(o.workers, job.config.shards), signal: o.signal, keepSteps: false, diverge: 'record',
      ...(dir ? { checkpoint: { path: join(dir, 'checkpoint.safetensors'), every: Infinity } } : {}),
      hooks: {
        onStep: (s, total) => o.onStep?.(s.step, total, s.loss),
        onWarning: o.onWarning ?? ((m) => process.stderr.write(`${m}\n`)),
      },
    });
    if (r.summary.aborted) return null;
    const accuracyOf = data.test ? 'test' : 'train';
    const final = data.test ? r.summary.testAccuracy : r.summary.trainAccuracy;
    const record: JobRecord = {
      ...job, epochs: r.epochs, summary: r.summary, accuracy: r.summary.diverged || final === null ? data.nanAccuracy : final, accuracyOf,
      checkpointFile: dir ? `checkpoints/${job.id}.safetensors` : null,
    };
    // A diverged run writes no checkpoint after its last good one, and none at all here: there is none to keep.
    const checkpoint = dir && !r.summary.diverged ? new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))) : null;
    return { record: checkpoint || !dir ? record : { ...record, checkpointFile: null }, checkpoint };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
