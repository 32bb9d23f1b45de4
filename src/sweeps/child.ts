// A local pool's child process (pool.ts forks this file): it runs the jobs its parent sends, one at a
// time, with runJob, and sends back each outcome; the parent stores it. SIGINT or SIGTERM (Ctrl-C reaches
// the whole process group), a "stop" message or a parent that goes away stop the current run at its next
// step; an interrupted run is reported as such and never stored.
import { runJob } from './job.js';
import type { SweepJob } from './plan.js';
import type { ChildOptions, ToChild, ToParent } from './pool.js';

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
let current: AbortController | null = null;
let stopping = false;

// Resolves once the message is handed to the channel, so an exit right after it does not drop it.
const send = (m: ToParent) => new Promise<void>((resolve) => {
  if (!process.connected) return resolve();
  process.send!(m, undefined, {}, () => resolve());
});

function stop(): void {
  stopping = true;
  current?.abort();
  if (!current) process.exit(0);
}

async function run(job: SweepJob): Promise<void> {
  const ac = new AbortController();
  current = ac;
  let last = 0;
  try {
    const outcome = await runJob(job, {
      workers: options.workers, dataDir: options.dataDir, signal: ac.signal,
      onStep: (step, total, loss) => {
        const now = performance.now();
        if (now - last < 250 && step < total) return;
        last = now;
        void send({ type: 'step', id: job.id, step, total, loss });
      },
    });
    await send(outcome ? { type: 'done', id: job.id, record: outcome.record, checkpoint: outcome.checkpoint } : { type: 'aborted', id: job.id });
  } catch (e) {
    await send({ type: 'failed', id: job.id, message: e instanceof Error ? e.message : String(e) });
  } finally {
    current = null;
  }
  if (stopping) process.exit(0);
}

process.on('message', (m: ToChild) => {
  if (m.type === 'run') void run(m.job);
  else if (m.type === 'stop') stop();
  else if (m.type === 'exit') process.exit(0);
});
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('disconnect', stop);
