// Scale-out of a sweep on BullMQ over Redis. The submitter (`gradnoise sweep SPEC --queue URL`) adds each
// job not yet stored in its OUT directory to one BullMQ queue, with the run id as BullMQ's jobId: BullMQ
// adds nothing for an id it already holds, so a second submission of a sweep, or another sweep that
// plans the same run, runs nothing twice. Workers (`gradnoise worker --queue URL`, any number, on any
// machines) take the jobs and run them with the same runJob as the local pool; each returns the record
// (BullMQ keeps it as the job's return value) and the submitter writes it into OUT as it arrives.
//
// BullMQ's own mechanisms do the rest: attempts with exponential backoff retry a job that threw; a worker
// that dies mid-job stops renewing its job's lock, the stalled-job checker of the other workers moves the
// job back to the queue, and another worker runs it (lockDuration and stalledInterval set how fast);
// job.updateProgress carries the steps; the worker's concurrency option runs jobs side by side. A result
// is counted once because the store writes each id once and a worker that lost its lock cannot complete.
//
// Redis going away is not an error of the sweep: the submitter says so once, waits (ioredis reconnects;
// commands wait, maxRetriesPerRequest null) and, when Redis is back, checks every pending job again: one
// Redis no longer holds (restarted without persistence) is submitted again, one it finished is collected.
import { hostname } from 'node:os';
import { Queue, QueueEvents, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { show } from '../core/check.js';
import { checkJobData, describeJobData } from './data.js';
import { runJob, type JobRecord } from './job.js';
import { describeTask } from '../experiments/tasks.js';
import { checkJob, type SweepJob } from './plan.js';
import type { SweepEvents, SweepRunOutcome } from './pool.js';
import type { RedisEndpoint } from './redis.js';
import { pct } from './report.js';
import type { ResultStore } from './store.js';

/** The largest checkpoint a job's result carries through Redis (base64 makes it a third larger there). */
export const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/** What a worker returns: the record, and the final checkpoint when the job keeps one. */
interface QueueResult {
  readonly record: JobRecord;
  readonly checkpoint: string | null;
}

/** Waits `ms`, or until the signal, or until `wake` (given to `onWake`) is called; leaves no timer or listener behind. */
const sleep = (ms: number, signal?: AbortSignal, onWake?: (wake: () => void) => void) => new Promise<void>((resolve) => {
  const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
  const t = setTimeout(done, ms);
  signal?.addEventListener('abort', done, { once: true });
  onWake?.(done);
});

const reason = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  return err?.code ?? (err?.message || String(e));
};

/**
 * Watches a Redis client's connection: says once when it is lost and when it is back, and calls
 * `onBack` then. ioredis reconnects by itself; this only makes it visible.
 */
function watchConnection(client: Redis, shown: string, log: (line: string) => void, lostText: string, onBack?: () => void): { lastError: () => string; closing: () => void } {
  let wasReady = false, lost = false, last = '', closing = false;
  client.on('error', (e: unknown) => { last = reason(e); });
  client.on('close', () => {
    if (!wasReady || lost || closing) return;
    lost = true;
    // The 'close' comes before the error that explains it (the first reconnection fails after 250 ms).
    setTimeout(() => { if (!closing) log(`lost the connection to Redis at ${shown}${last ? ` (${last})` : ''}; ${lostText}`); }, 600);
  });
  client.on('ready', () => {
    last = '';
    if (lost) {
      lost = false;
      log(`reconnected to Redis at ${shown}`);
      onBack?.();
    }
    wasReady = true;
  });
  return { lastError: () => last, closing: () => { closing = true; } };
}

/** Waits until the client is ready, or fails after `ms` with what the connection said. */
async function connect(client: Redis, shown: string, ms: number, lastError: () => string, signal?: AbortSignal): Promise<void> {
  if (client.status === 'ready') return;
  let wake = () => {};
  const ready = new Promise<boolean>((resolve) => {
    const onReady = () => resolve(true);
    client.once('ready', onReady);
    wake = () => { client.removeListener('ready', onReady); resolve(false); };
  });
  const timer = setTimeout(() => wake(), ms);
  signal?.addEventListener('abort', wake, { once: true });
  const ok = await ready;
  clearTimeout(timer);
  signal?.removeEventListener('abort', wake);
  if (ok) return;
  client.disconnect();
  if (signal?.aborted) throw new Error(`stopped while connecting to Redis at ${shown}`);
  const why = lastError();
  const hint = /NOAUTH|WRONGPASS|NOPERM/.test(why) ? 'the server refused the credentials: check GRADNOISE_REDIS_USERNAME and GRADNOISE_REDIS_PASSWORD (or the URL\'s)'
    : /CERT|SELF_SIGNED|VERIFY|TLS|SSL/.test(why) ? 'its TLS certificate could not be verified: --tls-ca names the CA that signed it (and the URL\'s host must be in it)'
    : why === 'ECONNRESET' && shown.startsWith('redis://') ? 'the server closed the connection: is it a TLS port (rediss://)?'
    : 'is redis-server running there, and does the URL name it?';
  throw new Error(`cannot reach Redis at ${shown} within ${Math.round(ms / 1000)} s${why ? ` (${why})` : ''}: ${hint} (docs/sweeps.md)`);
}

export interface QueueSubmitOptions {
  readonly endpoint: RedisEndpoint;
  readonly queueName: string;
  readonly store: ResultStore;
  readonly signal: AbortSignal;
  readonly events?: SweepEvents;
  /** Runs of a job that throws before it counts as failed (BullMQ attempts). */
  readonly attempts: number;
  /** How long finished jobs (and their results) stay in Redis. */
  readonly keepSeconds: number;
  readonly connectTimeoutMs: number;
}

/**
 * Submits the jobs that have no stored result yet and waits for all of them, storing each result as it
 * arrives. Ctrl-C (the signal) stops the waiting only: the queued jobs go on running on the workers, and
 * the same command collects them later.
 */
export async function runOnQueue(jobs: readonly SweepJob[], o: QueueSubmitOptions): Promise<SweepRunOutcome> {
  const log = (line: string) => o.events?.onLog?.(line);
  const shown = o.endpoint.shown;
  const client = new Redis({ ...o.endpoint.options, connectionName: 'gradnoise-submit' });
  const pending = new Map(jobs.map((j) => [j.id, j]));
  const failed: { id: string; message: string }[] = [];
  let stored = 0;
  // An event while a check runs is not lost: the next wait returns at once.
  let wake: (() => void) | null = null, dirty = false;
  const poke = () => { dirty = true; wake?.(); };
  const conn = watchConnection(client, shown, log,
    'waiting for it to come back: the sweep goes on when it does (the results so far are kept; Ctrl-C stops waiting, and the same command resumes)', poke);
  let queue: Queue | null = null, events: QueueEvents | null = null;
  try {
    await connect(client, shown, o.connectTimeoutMs, conn.lastError, o.signal);
    queue = new Queue(o.queueName, { connection: client });
    queue.on('error', () => {}); // the connection watcher reports it; BullMQ would rethrow an unheard 'error'
    // Its own connection: QueueEvents blocks on the events stream (ioredis' options type differs from BullMQ's only in retryStrategy's).
    events = new QueueEvents(o.queueName, { connection: { ...o.endpoint.options, connectionName: 'gradnoise-submit-events' } as ConnectionOptions });
    events.on('error', () => {});
    events.on('completed', ({ jobId }) => { if (pending.has(jobId)) poke(); });
    events.on('failed', ({ jobId }) => { if (pending.has(jobId)) poke(); });
    events.on('progress', ({ jobId, data }) => {
      const p = data as { step?: number; total?: number };
      if (pending.has(jobId) && typeof p?.step === 'number' && typeof p.total === 'number') o.events?.onStep?.(jobId, p.step, p.total);
    });
    const q = queue;
    const jobOptions = (id: string) => ({
      jobId: id, attempts: o.attempts, backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: o.keepSeconds }, removeOnFail: { age: o.keepSeconds },
    });
    const retried = new Set<string>();
    let first = true;

    /** Stores a completed job's result; false when Redis no longer holds the job (it went away in between). */
    const collect = async (id: string): Promise<boolean> => {
      const job = await q.getJob(id);
      if (!job) return false;
      const problem = resultProblem(job.returnvalue, id);
      if (problem !== null) {
        const message = `its result in Redis is not a gradnoise record of this job: ${problem}`;
        failed.push({ id, message });
        o.events?.onFailed?.(id, message);
        pending.delete(id);
        return true;
      }
      const r = job.returnvalue as QueueResult;
      const checkpoint = r.checkpoint ? new Uint8Array(Buffer.from(r.checkpoint, 'base64')) : null;
      if (o.store.write({ record: r.record, checkpoint })) stored++;
      pending.delete(id);
      o.events?.onStored?.(r.record);
      return true;
    };

    // Every pending job's state: collect the finished, resubmit what Redis lost, retry what failed in an
    // earlier submission, and give up (for this run) on what failed in this one.
    const reconcile = async (): Promise<{ added: number; collected: number }> => {
      dirty = false;
      const ids = [...pending.keys()];
      const missing: string[] = [];
      const before = stored;
      for (let i = 0; i < ids.length; i += 200) {
        const chunk = ids.slice(i, i + 200);
        const states = await Promise.all(chunk.map((id) => q.getJobState(id)));
        await Promise.all(chunk.map(async (id, k) => {
          const state = states[k];
          // A state read from a Redis that then restarted empty: the job is gone, submit it again.
          if (state === 'completed') return void (!(await collect(id)) && missing.push(id));
          if (state === 'unknown') return void missing.push(id);
          if (state !== 'failed') return;
          const job = await q.getJob(id);
          if (!job) return void missing.push(id);
          if (first && !retried.has(id)) {
            retried.add(id);
            log(`job ${id} failed in an earlier submission (${job.failedReason}); retrying it`);
            await job.retry('failed');
            return;
          }
          const message = `failed after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'}: ${job.failedReason}`;
          failed.push({ id, message });
          o.events?.onFailed?.(id, message);
          pending.delete(id);
        }));
      }
      if (missing.length > 0) {
        if (!first) log(`Redis at ${shown} no longer holds ${missing.length} pending job${missing.length === 1 ? '' : 's'} (restarted without its data?): submitting ${missing.length === 1 ? 'it' : 'them'} again`);
        for (let i = 0; i < missing.length; i += 500) {
          await q.addBulk(missing.slice(i, i + 500).map((id) => ({ name: pending.get(id)!.sweep, data: pending.get(id)!, opts: jobOptions(id) })));
        }
      }
      first = false;
      return { added: missing.length, collected: stored - before };
    };

    const { added, collected } = await reconcile();
    const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
    log(`queued ${n(added, 'run')} on "${o.queueName}" at ${shown}` +
      `${jobs.length > added ? ` (the queue already held ${jobs.length - added}${collected ? `, ${collected} of them finished and collected` : ''})` : ''}` +
      `${pending.size ? '; waiting for the workers (gradnoise worker --queue ...)' : ''}`);
    while (pending.size > 0 && !o.signal.aborted) {
      // Events wake us at once; a full check runs at least every few seconds (more jobs, less often).
      if (!dirty || client.status !== 'ready') await sleep(Math.max(1000, 2 * pending.size), o.signal, (w) => { wake = w; });
      wake = null;
      if (o.signal.aborted) break;
      if (client.status !== 'ready') continue; // the watcher has said it; reconcile when it is back
      await reconcile();
    }
    if (o.signal.aborted && pending.size > 0) {
      log(`stopped waiting: ${pending.size} job${pending.size === 1 ? ' is' : 's are'} still in the queue and the workers go on running them; ` +
        'run the same command again to collect the results');
    }
    return { stored, failed, aborted: o.signal.aborted && pending.size > 0 };
  } finally {
    conn.closing();
    // Closing waits for Redis when it is up (a close cuts QueueEvents' blocking read first). When it is
    // down, BullMQ's close and disconnect wait for a connection that never comes: give them a moment, then
    // let go, so that Ctrl-C during an outage still ends the command and writes the report.
    const letGo = (p: Promise<unknown> | undefined) => Promise.race([p?.catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
    if (client.status === 'ready') {
      await letGo(events?.close());
      await letGo(queue?.close());
      await client.quit().catch(() => {});
    } else {
      await letGo(Promise.all([events?.disconnect(), queue?.disconnect()]));
      client.disconnect();
    }
  }
}

/**
 * What is wrong with a result a worker left in Redis for job `id` (null: nothing): it must be a record of
 * that very job (its config and data hash to the id, as a worker checks a job it takes) with the figures
 * the report counts, or it would be stored and counted for good.
 */
export function resultProblem(v: unknown, id: string): string | null {
  const r = v as Partial<QueueResult> | null | undefined;
  if (!r || typeof r !== 'object' || !r.record || typeof r.record !== 'object') return show(r).slice(0, 80); // show(): any value (JSON.stringify throws on a BigInt)
  if (r.record.id !== id) return `it names job ${show(r.record.id).slice(0, 40)}`;
  try {
    checkJob(r.record, checkJobData);
  } catch (e) {
    return (e as Error).message;
  }
  const s = r.record.summary as Partial<JobRecord['summary']> | undefined;
  if (typeof r.record.accuracy !== 'number' || typeof s?.weightsSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.weightsSha256)) {
    return 'no accuracy or weights hash in it';
  }
  if (r.checkpoint !== null && r.checkpoint !== undefined && typeof r.checkpoint !== 'string') return 'its checkpoint is not base64 text';
  return null;
}

export interface QueueWorkerOptions {
  readonly endpoint: RedisEndpoint;
  readonly queueName: string;
  /** Jobs this process runs side by side (BullMQ's concurrency). */
  readonly concurrency: number;
  /** Worker threads per job. */
  readonly workers: number;
  readonly dataDir: string;
  /** How long a job's lock lasts without renewal: a dead worker's job is retried elsewhere after about this. */
  readonly lockDurationMs: number;
  /** How often this worker looks for jobs whose worker died. */
  readonly stalledIntervalMs: number;
  /** How many times one job may be recovered from a dead worker before it fails. */
  readonly maxStalledCount: number;
  /** Stop once the queue has had no job for this long (null: run until stopped). */
  readonly exitWhenIdleMs: number | null;
  readonly connectTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}


/** Takes jobs from the queue and runs them until the signal (then finishes the running ones) or idleness. */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<{ completed: number; failed: number }> {
  const shown = o.endpoint.shown;
  const name = `${hostname()}:${process.pid}`;
  const client = new Redis({ ...o.endpoint.options, connectionName: `gradnoise-worker-${name}` });
  const conn = watchConnection(client, shown, o.log, 'retrying until it is back (a running job goes on; its result is stored when Redis is back, or the job runs again)');
  let completed = 0, failed = 0, active = 0;
  await connect(client, shown, o.connectTimeoutMs, conn.lastError, o.signal);

  const processor = async (job: Job): Promise<QueueResult> => {
    active++;
    try {
      return await runOne(job);
    } finally {
      active--;
    }
  };
  const runOne = async (job: Job): Promise<QueueResult> => {
    let j: SweepJob;
    try {
      j = checkJob(job.data, checkJobData);
    } catch (e) {
      // Another format or a forged id: no retry can fix it.
      throw new UnrecoverableError(`refused: ${(e as Error).message}`);
    }
    const t0 = performance.now();
    o.log(`started ${j.id} (sweep ${j.sweep}, ${Object.entries(j.point).map(([k, v]) => `${k} ${v}`).join(', ') || 'the base config'}, seed ${j.seed}; ` +
      `${j.task ? describeTask(j.task) : describeJobData(j.data)}; attempt ${job.attemptsStarted})`);
    let last = 0;
    const outcome = await runJob(j, {
      workers: o.workers, dataDir: o.dataDir,
      onStep: (step, total) => {
        const now = performance.now();
        if (now - last < 1000 && step < total) return;
        last = now;
        void job.updateProgress({ step, total }).catch(() => {});
      },
    });
    if (!outcome) throw new Error(`the worker ${name} stopped before the job finished`); // (runJob without a signal always finishes)
    let checkpoint: string | null = null;
    if (outcome.checkpoint) {
      if (outcome.checkpoint.byteLength > MAX_CHECKPOINT_BYTES) {
        throw new UnrecoverableError(`the checkpoint is ${(outcome.checkpoint.byteLength / 2 ** 20).toFixed(1)} MiB, more than the ` +
          `${MAX_CHECKPOINT_BYTES / 2 ** 20} MiB a result may carry through Redis (set checkpoint: false in the spec)`);
      }
      checkpoint = Buffer.from(outcome.checkpoint).toString('base64');
    }
    (job as Job & { gradnoiseSeconds?: number }).gradnoiseSeconds = (performance.now() - t0) / 1000;
    return { record: outcome.record, checkpoint };
  };

  const worker = new Worker(o.queueName, processor, {
    connection: client, concurrency: o.concurrency, name, autorun: false,
    lockDuration: o.lockDurationMs, stalledInterval: o.stalledIntervalMs, maxStalledCount: o.maxStalledCount,
  });
  worker.on('error', () => {}); // connection trouble: the watcher says it once per outage
  worker.on('completed', (job, r: QueueResult) => {
    completed++;
    const s = r.record.summary;
    const seconds = (job as Job & { gradnoiseSeconds?: number }).gradnoiseSeconds;
    o.log(`completed ${job.id}${seconds !== undefined ? ` in ${seconds.toFixed(2)} s` : ''}: ${r.record.accuracyOf} accuracy ${pct(r.record.accuracy)}` +
      `${s.diverged ? ' (diverged)' : ''}, weights ${s.weightsSha256.slice(0, 16)}`);
  });
  worker.on('failed', (job, err) => {
    failed++;
    const left = job ? Math.max(0, (job.opts.attempts ?? 1) - job.attemptsMade) : 0;
    o.log(`failed ${job?.id ?? '(a job)'}: ${err.message}${left > 0 && !(err instanceof UnrecoverableError) ? ` (BullMQ retries it: ${left} attempt${left === 1 ? '' : 's'} left)` : ''}`);
  });
  worker.on('stalled', (jobId) => o.log(`job ${jobId} had stalled (its worker stopped renewing the lock: killed?); it is back in the queue`));

  let idle: NodeJS.Timeout | null = null;
  const closing = new Promise<void>((resolve) => {
    const stop = () => resolve();
    o.signal.addEventListener('abort', stop, { once: true });
    if (o.exitWhenIdleMs !== null) {
      const ms = o.exitWhenIdleMs;
      worker.on('drained', () => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => { if (active === 0) stop(); }, ms);
      });
      worker.on('active', () => { if (idle) clearTimeout(idle); idle = null; });
      // A queue that is empty from the start never drains: time out from now as well.
      idle = setTimeout(() => { if (active === 0) stop(); }, ms);
    }
  });
  o.log(`worker ${name}: taking jobs from queue "${o.queueName}" at ${shown}, ${o.concurrency} at a time, ${o.workers} worker thread${o.workers === 1 ? '' : 's'} each`);
  void worker.run().catch((e) => o.log(`the worker stopped: ${(e as Error).message}`));
  await closing;
  if (idle) clearTimeout(idle);
  if (active > 0) o.log(`finishing ${active} running job${active === 1 ? '' : 's'} before stopping (Ctrl-C again to stop at once: ${active === 1 ? 'it goes' : 'they go'} to another worker)`);
  conn.closing();
  if (client.status === 'ready') {
    await worker.close();
    await client.quit().catch(() => {});
  } else {
    // Closing would wait for Redis to come back: a run still going here returns to the queue when its lock expires.
    o.log(`Redis at ${shown} is unreachable: stopping without it`);
    await Promise.race([worker.close(true).catch(() => {}), sleep(2000)]);
    client.disconnect();
  }
  return { completed, failed };
}
