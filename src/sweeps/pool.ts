// The embedded default of a sweep: a pool of local child processes (child.ts), as many as asked (the CLI
// defaults to the cores), each running one job at a time with the same runJob a queue worker uses. The
// parent hands out jobs one by one (a slow job never holds up a whole share of the sweep), stores each
// outcome in the result store as it arrives, and shows the progress. A child that dies mid-job (the OOM
// killer, a kill -9) or is stopped on its own (a kill) is replaced and its job run again, up to 3 times;
// a job that throws is reported and not stored, so the next run of the sweep tries it again. Ctrl-C stops
// every child at its next step and keeps every finished job.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JobRecord } from './job.js';
import type { SweepJob } from './plan.js';
import type { ResultStore } from './store.js';

/** What a child is started with (its argv[2], as JSON). */
export interface ChildOptions {
  readonly workers: number;
  readonly dataDir: string;
}

export type ToChild = { type: 'run'; job: SweepJob } | { type: 'stop' } | { type: 'exit' };
export type ToParent =
  | { type: 'step'; id: string; step: number; total: number; loss: number }
  | { type: 'done'; id: string; record: JobRecord; checkpoint: Uint8Array | null }
  | { type: 'aborted'; id: string }
  | { type: 'failed'; id: string; message: string };

/** What a sweep reports while it runs (local pool and queue alike). */
export interface SweepEvents {
  /** A job's result was stored. */
  onStored?(record: JobRecord): void;
  /** A running job's progress. */
  onStep?(id: string, step: number, total: number): void;
  /** A job failed for good in this run (it is not stored; the next run tries it again). */
  onFailed?(id: string, message: string): void;
  /** A line for the user (a retried job, a lost connection). */
  onLog?(line: string): void;
}

export interface LocalPoolOptions {
  /** Child processes, each running one job at a time. */
  readonly processes: number;
  readonly workers: number;
  readonly dataDir: string;
  readonly store: ResultStore;
  readonly signal: AbortSignal;
  readonly events?: SweepEvents;
}

export interface SweepRunOutcome {
  readonly stored: number;
  readonly failed: readonly { readonly id: string; readonly message: string }[];
  /** Stopped by the signal before every job ran. */
  readonly aborted: boolean;
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
/** Runs of one job whose process died, before the sweep gives up on it. */
const MAX_TRIES = 3;

type Exit = { type: 'exit'; code: number | null; signal: NodeJS.Signals | null; error?: Error };

/** One child process and the job it runs. */
class Child {
  private readonly proc: ChildProcess;
  private pending: ((m: ToParent | Exit) => void) | null = null;
  readonly exited: Promise<Exit>;

  constructor(options: ChildOptions, onStep: (m: Extract<ToParent, { type: 'step' }>) => void) {
    // Structured clone over the channel: records keep their numbers as they are, checkpoints their bytes.
    this.proc = fork(CHILD, [JSON.stringify(options)], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
    this.proc.on('message', (m: ToParent) => {
      if (m.type === 'step') return onStep(m);
      const p = this.pending;
      this.pending = null;
      p?.(m);
    });
    this.exited = new Promise<Exit>((resolve) => {
      this.proc.on('exit', (code, signal) => resolve({ type: 'exit', code, signal }));
      // 'error' also reports a message sent to a child that was just killed (EPIPE); its 'exit' follows and
      // says why it died. Only a process that never started (no pid) ends on the error itself.
      this.proc.on('error', (error) => { if (this.proc.pid === undefined) resolve({ type: 'exit', code: null, signal: null, error }); });
    });
    void this.exited.then((e) => {
      const p = this.pending;
      this.pending = null;
      p?.(e);
    });
  }

  private send(m: ToChild): void {
    if (!this.proc.connected) return;
    try {
      this.proc.send(m);
    } catch {
      // A child that died between the check and the send: its exit settles what it was running.
    }
  }

  run(job: SweepJob): Promise<ToParent | Exit> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.send({ type: 'run', job });
    });
  }

  stop(): void {
    this.send({ type: 'stop' });
  }

  async close(): Promise<void> {
    this.send({ type: 'exit' });
    await this.exited;
  }
}

const why = (e: Exit) => (e.error ? `could not start (${e.error.message})` : e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`);

/** Runs `jobs` (none of them stored yet) on a pool of child processes, storing each result as it arrives. */
export async function runLocalPool(jobs: readonly SweepJob[], o: LocalPoolOptions): Promise<SweepRunOutcome> {
  const queue = [...jobs];
  const tries = new Map<string, number>();
  const failed: { id: string; message: string }[] = [];
  const live = new Set<Child>();
  let stored = 0;
  const onAbort = () => { for (const c of live) c.stop(); };
  o.signal.addEventListener('abort', onAbort);

  const slot = async (): Promise<void> => {
    let child: Child | null = null;
    while (!o.signal.aborted) {
      const job = queue.shift();
      if (!job) break;
      if (!child) {
        child = new Child({ workers: o.workers, dataDir: o.dataDir }, (m) => o.events?.onStep?.(m.id, m.step, m.total));
        live.add(child);
      }
      const r = await child.run(job);
      if (r.type === 'done') {
        if (o.store.write({ record: r.record, checkpoint: r.checkpoint })) stored++;
        o.events?.onStored?.(r.record);
      } else if (r.type === 'failed') {
        failed.push({ id: job.id, message: r.message });
        o.events?.onFailed?.(job.id, r.message);
      } else {
        // The process died ('exit'), or was stopped while the sweep goes on ('aborted' without the
        // signal: a kill -TERM of that process alone, a supervisor), and exits: the job runs again in a
        // new process. 'aborted' with the signal set: the sweep is stopping, and the loop ends here (the
        // child, still exiting, is closed and awaited below).
        if (r.type === 'aborted' && o.signal.aborted) break;
        live.delete(child);
        child = null;
        if (o.signal.aborted) break;
        const what = r.type === 'exit' ? why(r) : 'was stopped (SIGTERM or SIGINT to it alone)';
        const n = (tries.get(job.id) ?? 0) + 1;
        tries.set(job.id, n);
        if (n < MAX_TRIES) {
          o.events?.onLog?.(`a sweep process ${what} while running job ${job.id}; running it again in a new process (try ${n + 1} of ${MAX_TRIES})`);
          queue.unshift(job);
        } else {
          const message = `its process ${what}, ${MAX_TRIES} times`;
          failed.push({ id: job.id, message });
          o.events?.onFailed?.(job.id, message);
        }
      }
    }
    if (child) {
      await child.close();
      live.delete(child);
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(o.processes, queue.length) }, slot));
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
  return { stored, failed, aborted: o.signal.aborted && (queue.length > 0 || stored + failed.length < jobs.length) };
}
