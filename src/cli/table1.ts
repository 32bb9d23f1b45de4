// `gradnoise reproduce table1`: the paper's MNIST experiment (Neelakantan et al. 2015, Table 1). Every run is one
// (row, noise on/off, learning rate, seed) of the 20 x 50 ReLU net trained with plain SGD; each finished
// run is written atomically to OUT/runs/<id>.json, where the id hashes everything that decides its bits, so
// an interrupted sweep resumes without redoing finished runs and a finished sweep runs nothing new. The
// report gives, per row, the best and the average final test accuracy over all runs (both learning rates,
// every seed: the paper's 40 runs per setting at --runs 20), beside the paper's numbers, as a table
// (stdout, OUT/table1.md, OUT/table1.json) and as plots (OUT/plots/*.svg).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadData, type LoadedData } from '../data/load.js';
import { prepareOutputDir, writeFileAtomic } from './files.js';
import { int, list, num, oneOf } from './options.js';
import { writePlot, type Point } from './plots.js';
import { Progress, progressMode } from './progress.js';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../runs/config.js';
import { runTraining, type EpochRecord, type RunSummary } from '../runs/train.js';
import { configId } from '../sweeps/ids.js';
import { exitCodeOf, interruptible } from './signals.js';

/** One row of the paper's Table 1: its setting and the paper's best / average test accuracy (%). */
export interface Table1Row {
  readonly id: string;
  readonly label: string;
  readonly init: TrainConfig['init'];
  readonly clip: number | null;
  readonly dropout: boolean;
  readonly noise: readonly boolean[];
  readonly paper: { readonly noNoise: readonly [number, number]; readonly noise: readonly [number, number] | null };
}

export const TABLE1: readonly Table1Row[] = [
  { id: '1', label: 'Simple init, no clipping', init: 'simple', clip: null, dropout: false, noise: [false, true], paper: { noNoise: [89.9, 43.1], noise: [96.7, 52.7] } },
  { id: '1b', label: 'Simple init, no clipping, dropout', init: 'simple', clip: null, dropout: true, noise: [false], paper: { noNoise: [11.3, 10.8], noise: null } },
  { id: '2', label: 'Simple init, clip 100', init: 'simple', clip: 100, dropout: false, noise: [false, true], paper: { noNoise: [90.0, 46.3], noise: [96.7, 52.3] } },
  { id: '3', label: 'Simple init, clip 10', init: 'simple', clip: 10, dropout: false, noise: [false, true], paper: { noNoise: [95.7, 51.6], noise: [97.0, 53.6] } },
  { id: '4', label: 'Sussillo & Abbott init, clip 10', init: 'sussilloAbbott', clip: 10, dropout: false, noise: [false, true], paper: { noNoise: [97.4, 92.1], noise: [97.5, 92.2] } },
  { id: '5', label: 'He init, clip 10', init: 'he', clip: 10, dropout: false, noise: [false, true], paper: { noNoise: [97.4, 91.7], noise: [97.2, 91.7] } },
  { id: '6', label: 'Zero init, clip 10', init: 'zero', clip: 10, dropout: false, noise: [false, true], paper: { noNoise: [11.4, 10.1], noise: [94.5, 49.7] } },
];

export interface SweepOptions {
  readonly runs: number;
  readonly epochs: number;
  readonly lr: readonly number[];
  readonly rows: readonly string[];
  readonly batchSize: number;
  readonly dropout: number;
  readonly seed: number;
  readonly shards: number;
  readonly trainLimit?: number;
  readonly testLimit?: number;
}

/** What names a run: its setting, its config and its id (the hash of both, which names its result file). */
export interface RunKey {
  readonly id: string;
  readonly row: string;
  readonly noise: boolean;
  readonly lr: number;
  readonly seed: number;
  readonly config: TrainConfig;
}

/** One planned run, `index` in the sweep's order. */
export interface PlannedRun extends RunKey {
  readonly index: number;
}

/** A finished run as stored in OUT/runs/<id>.json. */
export interface RunRecord extends RunKey {
  readonly data: { readonly trainLimit: number | null; readonly testLimit: number | null };
  readonly epochs: readonly EpochRecord[];
  readonly summary: RunSummary;
  /** The test accuracy the table counts: the final one, or for a diverged run that of a NaN network. */
  readonly accuracy: number;
}

/** Every run of the sweep, seeds outermost (so a partial sweep covers every row evenly). */
export function planSweep(o: SweepOptions): PlannedRun[] {
  const rows = o.rows.map((id) => TABLE1.find((r) => r.id === id)!);
  const out: PlannedRun[] = [];
  for (let k = 0; k < o.runs; k++) {
    const seed = o.seed + k;
    for (const lr of o.lr) {
      for (const row of rows) {
        for (const noise of row.noise) {
          const config: TrainConfig = {
            ...DEFAULT_TRAIN_CONFIG, depth: 20, width: 50, activation: 'relu', init: row.init, dropout: row.dropout ? o.dropout : 0,
            optimizer: 'sgd', lr, momentum: 0, clip: row.clip, noise, eta: 0.01, gamma: 0.55, noiseBeforeClip: false,
            batchSize: o.batchSize, epochs: o.epochs, steps: null, seed, shards: o.shards,
          };
          const data = { trainLimit: o.trainLimit ?? null, testLimit: o.testLimit ?? null };
          out.push({ index: out.length, id: configId({ config, data, experiment: 'table1' }), row: row.id, noise, lr, seed, config });
        }
      }
    }
  }
  return out;
}

function readRecord(dir: string, id: string): RunRecord | null {
  const path = join(dir, 'runs', `${id}.json`);
  if (!existsSync(path)) return null;
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    return r.id === id ? r : null;
  } catch {
    return null; // a damaged record (it cannot be half-written: writes are atomic) is run again
  }
}

/** Runs the planned runs this process owns (part k of n) that have no record yet. */
async function runPart(plan: readonly PlannedRun[], o: SweepOptions, dir: string, workers: number, part: [number, number],
                       data: LoadedData, progress: Progress | null, signal: AbortSignal): Promise<void> {
  const mine = plan.filter((p) => p.index % part[1] === part[0] - 1);
  // A NaN network predicts class 0 for every example (argmax of NaN logits): what the paper's diverged runs scored.
  let zeros = 0;
  for (let i = 0; i < data.test!.count; i++) if (data.test!.y[i] === 0) zeros++;
  const nanAccuracy = zeros / data.test!.count;
  let done = plan.filter((p) => readRecord(dir, p.id)).length;
  for (const p of mine) {
    if (signal.aborted) return;
    if (readRecord(dir, p.id)) continue;
    const name = `row ${p.row}${p.noise ? ' + noise' : ''}, lr ${p.lr}, seed ${p.seed}`;
    const r = await runTraining(p.config, data, {
      workers, signal, keepSteps: false, diverge: 'record',
      hooks: { onStep: (s, total) => progress?.update(done, { run: name, step: `step ${s.step}/${total}`, loss: `loss ${s.loss.toFixed(3)}` }) },
    });
    if (r.summary.aborted) return; // an interrupted run is not recorded: a resumed sweep runs it again
    const record: RunRecord = {
      id: p.id, row: p.row, noise: p.noise, lr: p.lr, seed: p.seed, config: p.config,
      data: { trainLimit: o.trainLimit ?? null, testLimit: o.testLimit ?? null }, epochs: r.epochs, summary: r.summary,
      accuracy: r.summary.diverged ? nanAccuracy : r.summary.testAccuracy!,
    };
    writeFileAtomic(join(dir, 'runs', `${p.id}.json`), `${JSON.stringify(record)}\n`);
    done++;
    progress?.update(done, { run: name, acc: `${(100 * record.accuracy).toFixed(2)}%` });
  }
}

/** The command's own arguments and script, for --jobs children (set by main()). */
export const invocation = { script: process.argv[1] ?? '', args: process.argv.slice(2) };

/** Runs part k of n in child processes (--jobs): the parent only watches the result files. */
async function runChildren(plan: readonly PlannedRun[], dir: string, jobs: number, progress: Progress | null, signal: AbortSignal): Promise<void> {
  const args = invocation.args.filter((a, i, all) => !(a === '--jobs' || all[i - 1] === '--jobs' || a.startsWith('--jobs=')));
  const children: ChildProcess[] = [];
  const exits = Array.from({ length: jobs }, (_, k) => new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    const c = spawn(process.execPath, [...process.execArgv, invocation.script, ...args, '--part', `${k + 1}/${jobs}`, '--quiet'],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(c);
    c.on('error', (error) => resolve({ code: null, signal: null, error }));
    c.on('exit', (code, sig) => resolve({ code, signal: sig }));
  }));
  const stop = () => { for (const c of children) if (c.exitCode === null) c.kill('SIGINT'); };
  signal.addEventListener('abort', stop);
  const timer = setInterval(() => {
    const done = plan.filter((p) => existsSync(join(dir, 'runs', `${p.id}.json`))).length;
    progress?.update(done, { jobs: `${jobs} processes` });
  }, 1000);
  try {
    const results = await Promise.all(exits);
    // A child that stopped because we asked (Ctrl-C) is fine; anything else (a crash, the OOM killer's
    // SIGKILL, a failed spawn) fails the sweep, keeping the finished runs.
    const bad = results.find((r) => !(r.code === 0 || (signal.aborted && (r.code === 130 || r.code === 143 || r.signal !== null))));
    if (bad) {
      const why = bad.error ? `could not start: ${bad.error.message}` : bad.signal ? `was killed by ${bad.signal}` : `exited with code ${bad.code}`;
      throw new Error(`a sweep process ${why}; finished runs are kept, run the same command again to resume`);
    }
  } finally {
    clearInterval(timer);
    signal.removeEventListener('abort', stop);
  }
}

interface Cell { n: number; best: number; avg: number; diverged: number }

function cell(records: readonly RunRecord[]): Cell | null {
  if (records.length === 0) return null;
  const acc = records.map((r) => 100 * r.accuracy);
  return { n: acc.length, best: Math.max(...acc), avg: acc.reduce((a, b) => a + b, 0) / acc.length, diverged: records.filter((r) => r.summary.diverged).length };
}

export interface Table1Report {
  readonly rows: readonly {
    readonly id: string; readonly label: string;
    readonly noNoise: Cell | null; readonly noise: Cell | null;
    readonly byLr: Record<string, { readonly noNoise: Cell | null; readonly noise: Cell | null }>;
    readonly paper: Table1Row['paper'];
  }[];
  readonly runs: number;
  readonly planned: number;
}

export function report(plan: readonly PlannedRun[], dir: string): { table: Table1Report; records: RunRecord[] } {
  const records = plan.map((p) => readRecord(dir, p.id)).filter((r): r is RunRecord => r !== null);
  const rowIds = [...new Set(plan.map((p) => p.row))];
  const lrs = [...new Set(plan.map((p) => p.lr))];
  const rows = rowIds.map((id) => {
    const def = TABLE1.find((r) => r.id === id)!;
    const of = (noise: boolean, lr?: number) => cell(records.filter((r) => r.row === id && r.noise === noise && (lr === undefined || r.lr === lr)));
    return {
      id, label: def.label, noNoise: of(false), noise: def.noise.includes(true) ? of(true) : null,
      byLr: Object.fromEntries(lrs.map((lr) => [String(lr), { noNoise: of(false, lr), noise: def.noise.includes(true) ? of(true, lr) : null }])),
      paper: def.paper,
    };
  });
  return { table: { rows, runs: records.length, planned: plan.length }, records };
}

const show = (c: Cell | null) => (c ? `${c.best.toFixed(1)} / ${c.avg.toFixed(1)}${c.diverged ? ` (${c.diverged} of ${c.n} diverged)` : ''}` : '');
const showPaper = (p: readonly [number, number] | null) => (p ? `${p[0].toFixed(1)} / ${p[1].toFixed(1)}` : '');

export function markdown(t: Table1Report, o: SweepOptions): string {
  const lines = [
    `Test accuracy (%), best / average over ${o.runs} seed${o.runs === 1 ? '' : 's'} x ${o.lr.length} learning rate${o.lr.length === 1 ? '' : 's'} (${o.lr.join(', ')}) per setting` +
      ` (the paper: 20 x 2 = 40 runs); ${o.epochs} epoch${o.epochs === 1 ? '' : 's'}, batch ${o.batchSize}; ${t.runs} of ${t.planned} runs finished.`,
    '',
    '| Experiment | No noise | With noise | Paper: no noise | Paper: with noise |',
    '|---|---|---|---|---|',
    ...t.rows.map((r) => `| ${r.id}. ${r.label} | ${show(r.noNoise)} | ${show(r.noise)} | ${showPaper(r.paper.noNoise)} | ${showPaper(r.paper.noise)} |`),
  ];
  if (o.lr.length > 1) {
    lines.push('', 'By learning rate (best / average):', '', `| Experiment | ${o.lr.map((lr) => `lr ${lr}: no noise | lr ${lr}: with noise`).join(' | ')} |`,
      `|---|${o.lr.map(() => '---|---').join('|')}|`,
      ...t.rows.map((r) => `| ${r.id} | ${o.lr.map((lr) => `${show(r.byLr[String(lr)]!.noNoise)} | ${show(r.byLr[String(lr)]!.noise)}`).join(' | ')} |`));
  }
  return `${lines.join('\n')}\n`;
}

/** Per row: mean training loss and mean test accuracy per epoch over seeds, noise vs no noise, per lr. */
async function writePlots(t: Table1Report, records: readonly RunRecord[], dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const row of t.rows) {
    const loss: Point[] = [], acc: Point[] = [];
    const groups = new Map<string, RunRecord[]>();
    for (const r of records.filter((x) => x.row === row.id)) {
      const key = `${r.noise}|${r.lr}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [key, rs] of groups) {
      const [noise, lr] = key.split('|');
      const series = noise === 'true' ? 'with noise' : 'no noise';
      const epochs = Math.max(...rs.map((r) => r.epochs.length));
      for (let e = 0; e < epochs; e++) {
        const at = rs.map((r) => r.epochs[e]).filter((x): x is EpochRecord => x !== undefined);
        const mean = (f: (x: EpochRecord) => number | null) => {
          const v = at.map(f).filter((x): x is number => x !== null && Number.isFinite(x));
          return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
        };
        loss.push({ epoch: e + 1, value: mean((x) => x.trainLoss), series, dash: `lr ${lr}` });
        acc.push({ epoch: e + 1, value: mean((x) => x.testAccuracy), series, dash: `lr ${lr}` });
      }
    }
    if (loss.length === 0) continue;
    const path = join(dir, 'plots', `table1-row-${row.id}.svg`);
    await writePlot(path, `Table 1, row ${row.id}: ${row.label} (mean over seeds)`, [
      { title: 'training loss', yTitle: 'mean training loss', points: loss, logY: true },
      { title: 'test accuracy', yTitle: 'mean test accuracy', points: acc, yDomain: [0, 1] },
    ], 'noise', 'learning rate');
    written.push(path);
  }
  return written;
}

interface Table1Flags {
  runs: number; epochs: number; lr: number[]; rows: string[]; batchSize: number; dropout: number; seed: number; shards: number;
  workers: number; jobs: number; part?: string; out: string; trainLimit?: number; testLimit?: number; json?: boolean; quiet?: boolean;
}

function parsePart(v: string | undefined, jobs: number): [number, number] {
  if (v === undefined) return [1, 1];
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const k = Number(m?.[1]), n = Number(m?.[2]);
  if (!m || n < 1 || k < 1 || k > n) throw new Error(`--part is "${v}" (need k/n with 1 <= k <= n, for example 1/2)`);
  if (jobs > 1) throw new Error('--part and --jobs do not go together (--jobs starts its own parts)');
  return [k, n];
}

export function reproduceCommand(): Command {
  const rowIds = TABLE1.map((r) => r.id);
  const table1 = new Command('table1')
    .description('Reproduce Table 1 of the paper: 20 x 50 ReLU on MNIST, SGD at lr 0.1 and 0.01, noise eta 0.01 gamma 0.55, ' +
      'simple / Sussillo & Abbott / He / zero init, clipping none / 100 / 10, with and without noise. Resumes where it stopped.')
    .helpOption('-h, --help', 'show this help')
    .option('--runs <n>', 'seeds per learning rate (the paper: 20)', int(1), 2)
    .option('--epochs <n>', 'epochs per run (not stated in the paper)', int(1), 10)
    .option('--lr <list>', 'learning rates', list(num(0, Infinity, true)), [0.1, 0.01])
    .option('--rows <list>', `rows of Table 1 (${rowIds.join(', ')})`, list(oneOf(rowIds)), rowIds)
    .option('--batch-size <n>', 'examples per step (not stated in the paper)', int(1, 65536), 100)
    .option('--dropout <rate>', 'dropout rate of row 1b (not stated in the paper)', num(0, 0.999), 0.5)
    .option('--seed <n>', 'first seed (runs use seed, seed + 1, ...)', int(0), 1)
    .option('--shards <n>', 'gradient shards per batch (part of each run\'s bits)', int(1, 64), 4)
    .option('--workers <n>', 'worker threads per run', int(0, 64), 1)
    .option('--jobs <n>', 'runs at once, in separate processes', int(1, 64), 1)
    .option('--part <k/n>', 'run only every n-th planned run, from the k-th (to split a sweep over processes or machines)')
    .option('--out <dir>', 'where run records, the table and the plots go', 'runs/table1')
    .option('--train-limit <n>', 'use only the first n training images', int(1))
    .option('--test-limit <n>', 'use only the first n test images', int(1))
    .option('--json', 'print only the table as one JSON object on stdout')
    .option('--quiet', 'print nothing (for --part processes)')
    .action(async (flags: Table1Flags) => {
      process.exitCode = await reproduce(flags);
    });
  return new Command('reproduce')
    .description('Reproduce an experiment of the paper.')
    .helpOption('-h, --help', 'show this help')
    .addCommand(table1.exitOverride().showSuggestionAfterError(true))
    .exitOverride()
    .showSuggestionAfterError(true);
}

async function reproduce(f: Table1Flags): Promise<number> {
  const part = parsePart(f.part, f.jobs);
  if (f.workers > f.shards) throw new Error(`--workers ${f.workers} exceeds --shards ${f.shards}`);
  const o: SweepOptions = {
    runs: f.runs, epochs: f.epochs, lr: f.lr, rows: f.rows, batchSize: f.batchSize, dropout: f.dropout, seed: f.seed, shards: f.shards,
    ...(f.trainLimit !== undefined ? { trainLimit: f.trainLimit } : {}), ...(f.testLimit !== undefined ? { testLimit: f.testLimit } : {}),
  };
  if (o.lr.length === 0) throw new Error('--lr is empty (need at least one learning rate)');
  if (o.rows.length === 0) throw new Error('--rows is empty (need at least one row)');
  prepareOutputDir(f.out);
  const plan = planSweep(o);
  const json = f.json ?? false, quiet = f.quiet ?? false;
  const say = (line: string) => { if (!json && !quiet) process.stdout.write(`${line}\n`); };
  const done0 = plan.filter((p) => readRecord(f.out, p.id)).length;
  say(`Table 1: ${plan.length} runs (${o.rows.length} rows, noise on/off, lr ${o.lr.join(' and ')}, ${o.runs} seed${o.runs === 1 ? '' : 's'} from ${o.seed}), ` +
    `${o.epochs} epochs each, batch ${o.batchSize}; ${done0} already finished in ${f.out}`);
  const progress = done0 < plan.length && f.part === undefined ? new Progress(progressMode(json, quiet), plan.length, 'runs', (v) => Object.values(v).join('  ')) : null;
  progress?.update(done0, {});
  const data = loadData({ trainLimit: o.trainLimit, testLimit: o.testLimit });
  if (o.batchSize > data.train.count) throw new Error(`--batch-size ${o.batchSize} is larger than the ${data.train.count} training images`);
  let aborted = false;
  let signalName: 'SIGINT' | 'SIGTERM' = 'SIGINT';
  await interruptible((sig) => {
    signalName = sig;
    progress?.log('stopping after the current step; finished runs are kept (Ctrl-C again to quit at once)');
  }, async (signal) => {
    if (f.jobs > 1) await runChildren(plan, f.out, f.jobs, progress, signal);
    else await runPart(plan, o, f.out, f.workers, part, data, progress, signal);
    aborted = signal.aborted;
  }, () => progress?.stop());
  if (f.part !== undefined) return aborted ? exitCodeOf(signalName) : 0;
  const { table, records } = report(plan, f.out);
  const md = markdown(table, o);
  writeFileAtomic(join(f.out, 'table1.md'), md);
  writeFileAtomic(join(f.out, 'table1.json'), `${JSON.stringify({ options: o, ...table }, null, 2)}\n`);
  const plots = await writePlots(table, records, f.out);
  say('');
  say(md);
  say(`wrote ${join(f.out, 'table1.md')}, ${join(f.out, 'table1.json')}${plots.length ? ` and ${plots.length} plot${plots.length === 1 ? '' : 's'} in ${join(f.out, 'plots')}` : ''}`);
  if (aborted) say(`interrupted: ${table.runs} of ${table.planned} runs finished; run the same command again to resume`);
  if (json) process.stdout.write(`${JSON.stringify({ options: o, ...table })}\n`);
  return aborted ? exitCodeOf(signalName) : 0;
}

