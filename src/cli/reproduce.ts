// `gradnoise reproduce memnn` and `gradnoise reproduce neuralgpu`: the paper's question-answering and
// algorithm-learning experiments (Neelakantan et al. 2015) as sweeps of task jobs (experiments/tasks.ts)
// on the same engine as `gradnoise sweep` and `reproduce table1`: a local pool of processes or, with
// --queue, `gradnoise worker`s anywhere; every finished run stored atomically under OUT/runs/<id>.json,
// where the id hashes its complete config, so a second invocation resumes and a finished one runs nothing.
// Seeds are the outermost loop of a plan, so a partial sweep covers every setting evenly. The reports put
// the paper's numbers beside ours: MemN2N's mean and best validation and test error per setting and per
// task, the Neural GPU's restart counts under 1/2/3/5% error (Table 6), each with plots.
import { join } from 'node:path';
import { Command } from 'commander';
import { prepareOutputDir, writeFileAtomic } from './files.js';
import { int, list, num, oneOf } from './options.js';
import { writeBars, writePlot, type Bar, type Point } from './plots.js';
import { checkOptionalPackages, endpointOf, engineOptions, executeSweep, writeReport, type EngineFlags } from './sweep.js';
import { resolveMemnnConfig, type MemnnConfig, type MemnnResult } from '../experiments/memnn.js';
import { NEURAL_GPU_LR_SCHEDULES, resolveNeuralGpuConfig, type NeuralGpuConfig, type NeuralGpuLrSchedule, type NeuralGpuResult } from '../experiments/neuralgpu.js';
import { MAX_CGRU_CUTOFF } from '../graph/ops/recurrent.js';
import { INPUT_LAYOUTS, type InputLayout } from '../tasks/algorithmic.js';
import type { JobRecord } from '../sweeps/job.js';
import { taskJob, type SweepJob, type TaskJob } from '../sweeps/plan.js';
import { DEFAULT_THRESHOLDS } from '../sweeps/spec.js';
import { ResultStore } from '../sweeps/store.js';

/** What the three settings of noise the issue asks for mean, in the units of each experiment's config. */
export const MEMNN_NOISE = ['none', 'annealed', 'fixed'] as const;
export type MemnnNoise = (typeof MEMNN_NOISE)[number];

/** The paper's validation errors (%) for MemN2N on bAbI (its section 4.2); none for the fixed std. */
export const MEMNN_PAPER: Readonly<Record<'one' | 'two', Partial<Record<MemnnNoise, number>>>> = {
  one: { none: 19.5, annealed: 16.6 },
  two: { none: 10.9, annealed: 10.8 },
};

export interface MemnnSweepOptions {
  readonly runs: number;
  readonly seed: number;
  readonly stages: readonly ('one' | 'two')[];
  readonly noise: readonly MemnnNoise[];
  readonly eta: number;
  readonly gamma: number;
  readonly std: number;
  /** Everything else of the run's config (tasks, data seed, epochs, ...): experiments/memnn.ts's fields. */
  readonly base: Partial<MemnnConfig>;
}

/** Every run of the sweep: seeds outermost, then stages, then noise. */
export function planMemnn(o: MemnnSweepOptions): TaskJob[] {
  const jobs: TaskJob[] = [];
  for (let s = 0; s < o.runs; s++) {
    for (const stages of o.stages) {
      for (const noise of o.noise) {
        const n = noise === 'none' ? null : noise === 'annealed' ? { eta: o.eta, gamma: o.gamma } : { std: o.std };
        const config = resolveMemnnConfig({ ...o.base, seed: o.seed + s, stages, noise: n }, 'memnn');
        jobs.push(taskJob({ kind: 'memnn', config }, 'memnn', 'memnn', { stages, noise }));
      }
    }
  }
  return jobs;
}

interface ErrorCell { readonly n: number; readonly mean: number; readonly best: number }

const errorCell = (xs: readonly number[]): ErrorCell | null =>
  xs.length === 0 ? null : { n: xs.length, mean: xs.reduce((a, b) => a + b, 0) / xs.length, best: Math.min(...xs) };

export interface MemnnReport {
  readonly planned: number;
  readonly finished: number;
  readonly rows: readonly {
    readonly stages: 'one' | 'two';
    readonly noise: MemnnNoise;
    readonly planned: number;
    readonly validation: ErrorCell | null;
    readonly test: ErrorCell | null;
    /** Mean test error per task over the finished runs. */
    readonly byTask: Readonly<Record<string, number>>;
    readonly paper: number | null;
    readonly seconds: number | null;
  }[];
}

function taskRecords(plan: readonly SweepJob[], store: ResultStore): { job: TaskJob; record: JobRecord }[] {
  const out: { job: TaskJob; record: JobRecord }[] = [];
  for (const j of plan) {
    const r = j.task ? store.read(j.id) : null;
    if (r && j.task) out.push({ job: j, record: r });
  }
  return out;
}

export function memnnReport(plan: readonly TaskJob[], store: ResultStore): MemnnReport {
  const done = taskRecords(plan, store);
  const settings = [...new Map(plan.map((j) => [JSON.stringify(j.point), j.point])).values()];
  const rows = settings.map((p) => {
    const stages = p.stages as 'one' | 'two', noise = p.noise as MemnnNoise;
    const mine = done.filter((d) => d.job.point.stages === stages && d.job.point.noise === noise).map((d) => d.record.details as MemnnResult);
    const tasks = [...new Set(mine.flatMap((r) => Object.keys(r.test.byTask)))].sort((a, b) => Number(a) - Number(b));
    return {
      stages, noise, planned: plan.filter((j) => j.point.stages === stages && j.point.noise === noise).length,
      validation: errorCell(mine.map((r) => r.validation.error)), test: errorCell(mine.map((r) => r.test.error)),
      byTask: Object.fromEntries(tasks.map((t) => [t, mine.reduce((a, r) => a + (r.test.byTask[t] ?? 0), 0) / mine.length])),
      paper: MEMNN_PAPER[stages][noise] ?? null,
      seconds: mine.length ? mine.reduce((a, r) => a + r.seconds, 0) / mine.length : null,
    };
  });
  return { planned: plan.length, finished: done.length, rows };
}

const pc = (x: number) => `${(100 * x).toFixed(1)}`;
const showCell = (c: ErrorCell | null) => (c ? `${pc(c.mean)} / ${pc(c.best)}` : '');
const noiseLabel = (n: MemnnNoise, o: Pick<MemnnSweepOptions, 'eta' | 'gamma' | 'std'>) =>
  n === 'none' ? 'no noise' : n === 'annealed' ? `annealed, eta ${o.eta}, gamma ${o.gamma}` : `fixed std ${o.std}`;

export function memnnMarkdown(r: MemnnReport, o: MemnnSweepOptions): string {
  const lines = [
    `MemN2N on our generated bAbI tasks, error (%) as mean / best over the finished seeds; ${r.finished} of ${r.planned} runs finished. ` +
      'The paper\'s column is its validation error on the original bAbI 1k data (mean over its runs is not stated).',
    '',
    '| Training | Noise | Runs | Validation error | Test error | Paper: validation error | Seconds per run |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.stages}-stage | ${noiseLabel(x.noise, o)} | ${x.validation?.n ?? 0} of ${x.planned} | ${showCell(x.validation)} | ${showCell(x.test)} | ` +
      `${x.paper === null ? '' : x.paper.toFixed(1)} | ${x.seconds === null ? '' : x.seconds.toFixed(0)} |`),
  ];
  const tasks = [...new Set(r.rows.flatMap((x) => Object.keys(x.byTask)))].sort((a, b) => Number(a) - Number(b));
  if (tasks.length > 1) {
    lines.push('', 'Mean test error (%) per task:', '', `| Task | ${r.rows.map((x) => `${x.stages}-stage, ${x.noise}`).join(' | ')} |`,
      `|---|${r.rows.map(() => '---:').join('|')}|`,
      ...tasks.map((t) => `| ${t} | ${r.rows.map((x) => (x.byTask[t] === undefined ? '' : pc(x.byTask[t]!))).join(' | ')} |`));
  }
  return `${lines.join('\n')}\n`;
}

/** Mean validation error per epoch per setting (one panel per schedule) and mean test error per task. */
async function memnnPlots(plan: readonly TaskJob[], store: ResultStore, r: MemnnReport, dir: string): Promise<string[]> {
  const done = taskRecords(plan, store);
  const panels = (['one', 'two'] as const).map((stages) => {
    const points: Point[] = [];
    for (const noise of MEMNN_NOISE) {
      const runs = done.filter((d) => d.job.point.stages === stages && d.job.point.noise === noise).map((d) => (d.record.details as MemnnResult).epochs);
      const n = Math.max(0, ...runs.map((e) => e.length));
      for (let e = 0; e < n; e++) {
        const v = runs.map((x) => x[e]?.validationError).filter((x): x is number => x !== undefined && Number.isFinite(x));
        if (v.length) points.push({ epoch: e + 1, value: v.reduce((a, b) => a + b, 0) / v.length, series: noise });
      }
    }
    return { title: `${stages}-stage`, yTitle: 'mean validation error', points, yDomain: [0, 1] as const };
  }).filter((p) => p.points.length > 0);
  const written: string[] = [];
  if (panels.length) {
    const path = join(dir, 'plots', 'memnn-validation.svg');
    if (await writePlot(path, 'MemN2N: mean validation error per epoch over seeds', panels, 'noise')) written.push(path);
  }
  const bars: Bar[] = r.rows.flatMap((x) => Object.entries(x.byTask).map(([t, e]) => ({ category: t, group: `${x.stages}-stage, ${x.noise}`, value: 100 * e })));
  if (bars.length) {
    const path = join(dir, 'plots', 'memnn-tasks.svg');
    if (await writeBars(path, 'MemN2N: mean test error per task', bars, 'bAbI task', 'test error (%)', 'setting')) written.push(path);
  }
  return written;
}

/** Table 6 of the paper: Neural GPU restarts on binary multiplication with error under 1/2/3/5% (of 7,290). */
export const NEURAL_GPU_PAPER = { restarts: 7290, noNoise: [28, 90, 172, 387], noise: [58, 159, 282, 570] } as const;

export interface NeuralGpuSweepOptions {
  readonly runs: number;
  readonly seed: number;
  readonly tasks: readonly NeuralGpuConfig['task'][];
  readonly noise: readonly boolean[];
  readonly eta: number;
  readonly gamma: number;
  readonly base: Partial<NeuralGpuConfig>;
}

export function planNeuralGpu(o: NeuralGpuSweepOptions): TaskJob[] {
  const jobs: TaskJob[] = [];
  for (let s = 0; s < o.runs; s++) {
    for (const task of o.tasks) {
      for (const noise of o.noise) {
        const config = resolveNeuralGpuConfig({ ...o.base, task, seed: o.seed + s, noise: noise ? { eta: o.eta, gamma: o.gamma } : null }, 'neuralgpu');
        jobs.push(taskJob({ kind: 'neuralgpu', config }, 'neuralgpu', 'neuralgpu', { task, noise }));
      }
    }
  }
  return jobs;
}

export interface NeuralGpuReport {
  readonly planned: number;
  readonly finished: number;
  /** Error thresholds, as fractions (0.01 for 1%). */
  readonly thresholds: readonly number[];
  readonly rows: readonly {
    readonly task: string; readonly noise: boolean; readonly planned: number; readonly finished: number; readonly diverged: number;
    /** Runs whose sequence error at the longest test length is under each threshold. */
    readonly under: readonly number[];
    /** Mean sequence error per test length. */
    readonly byLength: Readonly<Record<string, number>>;
    /** Per test length, the runs whose sequence error there is under each threshold (a diverged run is under none). */
    readonly underByLength: Readonly<Record<string, readonly number[]>>;
    readonly seconds: number | null;
  }[];
}

// A run's sequence error at a test length; a diverged run, or one without that length, counts as all wrong.
const errorAt = (r: NeuralGpuResult, length: number): number => (r.diverged ? 1 : r.tests.find((t) => t.length === length)?.sequenceError ?? 1);

export function neuralGpuReport(plan: readonly TaskJob[], store: ResultStore): NeuralGpuReport {
  const done = taskRecords(plan, store);
  const thresholds = DEFAULT_THRESHOLDS.map((t) => Number((1 - t).toFixed(6)));
  const settings = [...new Map(plan.map((j) => [JSON.stringify(j.point), j.point])).values()];
  const rows = settings.map((p) => {
    const mine = done.filter((d) => d.job.point.task === p.task && d.job.point.noise === p.noise);
    const results = mine.map((d) => d.record.details as NeuralGpuResult);
    const lengths = [...new Set(results.flatMap((r) => r.tests.map((t) => t.length)))].sort((a, b) => a - b);
    return {
      task: p.task as string, noise: p.noise as boolean, planned: plan.filter((j) => j.point.task === p.task && j.point.noise === p.noise).length,
      finished: mine.length, diverged: results.filter((r) => r.diverged).length,
      under: thresholds.map((t) => mine.filter((d) => 1 - d.record.accuracy < t).length),
      byLength: Object.fromEntries(lengths.map((l) => [String(l), results.reduce((a, r) => a + errorAt(r, l), 0) / results.length])),
      underByLength: Object.fromEntries(lengths.map((l) => [String(l), thresholds.map((t) => results.filter((r) => errorAt(r, l) < t).length)])),
      seconds: results.length ? results.reduce((a, r) => a + r.seconds, 0) / results.length : null,
    };
  });
  return { planned: plan.length, finished: done.length, thresholds, rows };
}

export function neuralGpuMarkdown(r: NeuralGpuReport, o: NeuralGpuSweepOptions, longest: number): string {
  const th = r.thresholds.map((t) => `< ${Number((t * 100).toFixed(4))}%`);
  const task = (name: string) => (o.base.layout === 'aligned' ? `${name} (aligned)` : name);
  const paperRow = (noise: boolean) => `| mul (paper, ${NEURAL_GPU_PAPER.restarts} restarts) | ${noise ? 'yes' : 'no'} | ${NEURAL_GPU_PAPER.restarts} | | ` +
    `${(noise ? NEURAL_GPU_PAPER.noise : NEURAL_GPU_PAPER.noNoise).join(' | ')} | |`;
  const lines = [
    `Neural GPU restarts on our generated binary tasks: how many reach a sequence error under each threshold at ${longest} digits; ` +
      `${r.finished} of ${r.planned} runs finished. The paper's counts (Table 6) are for multiplication, trained on 20 digits and tested on 200, over ${NEURAL_GPU_PAPER.restarts} restarts.`,
    '',
    `| Task | Noise | Runs | Diverged | ${th.join(' | ')} | Mean sequence error by test length |`,
    `|---|---|---:|---:|${th.map(() => '---:').join('|')}|---|`,
    ...r.rows.map((x) => `| ${task(x.task)} | ${x.noise ? `yes (eta ${o.eta}, gamma ${o.gamma})` : 'no'} | ${x.finished} of ${x.planned} | ${x.diverged} | ${x.under.join(' | ')} | ` +
      `${Object.entries(x.byLength).map(([l, e]) => `${l}: ${pc(e)}%`).join(', ')} |`),
    paperRow(false), paperRow(true),
  ];
  // Under the table at the longest length, the counts at every test length: at the training length they
  // show which restarts learned the task at all.
  const lengths = [...new Set(r.rows.flatMap((x) => Object.keys(x.underByLength)))].map(Number).sort((a, b) => a - b);
  if (lengths.length > 1) {
    lines.push('', 'The same counts at every test length:', '', `| Task | Noise | Digits | ${th.join(' | ')} |`, `|---|---|---:|${th.map(() => '---:').join('|')}|`);
    for (const x of r.rows) {
      for (const l of lengths) {
        const u = x.underByLength[String(l)];
        if (u) lines.push(`| ${task(x.task)} | ${x.noise ? `yes (eta ${o.eta}, gamma ${o.gamma})` : 'no'} | ${l} | ${u.join(' | ')} |`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The distribution of final sequence errors across restarts, as counts per error bin and setting. */
async function neuralGpuPlots(plan: readonly TaskJob[], store: ResultStore, dir: string): Promise<string[]> {
  const bins = [[0, 0.01], [0.01, 0.02], [0.02, 0.03], [0.03, 0.05], [0.05, 0.1], [0.1, 0.5], [0.5, 1.01]] as const;
  const label = ([a, b]: readonly [number, number]) => (b > 1 ? `>= ${a * 100}%` : `${a * 100}-${b * 100}%`);
  const done = taskRecords(plan, store);
  const bars: Bar[] = [];
  for (const key of new Set(done.map((d) => `${d.job.point.task}|${d.job.point.noise}`))) {
    const [task, noise] = key.split('|');
    const errs = done.filter((d) => `${d.job.point.task}|${d.job.point.noise}` === key).map((d) => 1 - d.record.accuracy);
    for (const b of bins) bars.push({ category: label(b), group: `${task}, ${noise === 'true' ? 'noise' : 'no noise'}`, value: errs.filter((e) => e >= b[0] && e < b[1]).length });
  }
  if (bars.length === 0) return [];
  const path = join(dir, 'plots', 'neuralgpu-errors.svg');
  return (await writeBars(path, 'Neural GPU: final sequence error across restarts', bars, 'sequence error at the longest test length', 'restarts', 'setting')) ? [path] : [];
}

interface MemnnFlags extends EngineFlags {
  runs: number; seed: number; stages: ('one' | 'two')[]; noise: MemnnNoise[]; eta: number; gamma: number; std: number;
  tasks: string; dataSeed: number; epochs: number; lsEpochs: number; trainCount: number; testCount: number; shards: number;
}

interface NeuralGpuFlags extends EngineFlags {
  runs: number; seed: number; tasks: NeuralGpuConfig['task'][]; noise: ('off' | 'on')[]; eta: number; gamma: number;
  layout: InputLayout; steps: number; trainLength: number; testLengths: number[]; batchSize: number; maps: number; height: number; relax: number; dropout: number; lr: number; lrSchedule: NeuralGpuLrSchedule; cutoff: number; diagonal: 'on' | 'off'; lengthGraphs: 'on' | 'off'; maxStepRatio: number; probeEvery: number; shards: number;
}

const parseTasks = (v: string): readonly number[] | 'all' => {
  if (v === 'all') return 'all';
  const ts = v.split(',').map((s) => Number(s.trim()));
  if (ts.some((t) => !Number.isInteger(t) || t < 1 || t > 20)) throw new Error(`--tasks is "${v}" (need all, or bAbI task numbers from 1 to 20 separated by commas)`);
  return ts;
};

export function memnnCommand(): Command {
  const cmd = new Command('memnn')
    .description('Reproduce the paper\'s MemN2N experiment: joint training on our generated bAbI tasks, one- and two-stage (linear start), ' +
      'without noise, with annealed noise (eta 1.0 after clipping) and with a fixed std 0.001. Resumes where it stopped.')
    .helpOption('-h, --help', 'show this help')
    .option('--runs <n>', 'seeds per setting', int(1), 10)
    .option('--seed <n>', 'first seed (runs use seed, seed + 1, ...)', int(0), 1)
    .option('--stages <list>', 'training schedules: one (softmax throughout), two (linear start first)', list(oneOf(['one', 'two'])), ['one', 'two'])
    .option('--noise <list>', `noise settings (${MEMNN_NOISE.join(', ')})`, list(oneOf(MEMNN_NOISE)), [...MEMNN_NOISE])
    .option('--eta <x>', 'annealed noise: eta (variance at step 0), in the released code\'s summed-gradient units', num(0, Infinity, true), 1)
    .option('--gamma <x>', 'annealed noise: gamma', num(0, 10), 0.55)
    .option('--std <x>', 'fixed noise: its standard deviation, in summed-gradient units', num(0, Infinity, true), 0.001)
    .option('--tasks <list>', 'bAbI tasks trained jointly: all, or numbers such as 1,2,3', 'all')
    .option('--data-seed <n>', 'seed of the generated tasks (the same for every run)', int(0), 1)
    .option('--epochs <n>', 'epochs with the softmax (the released code: 60)', int(1), 60)
    .option('--ls-epochs <n>', 'two-stage: epochs of linear start before them (the released code: 30)', int(1), 30)
    .option('--train-count <n>', 'generated training questions per task (bAbI 1k: 1000)', int(10), 1000)
    .option('--test-count <n>', 'generated test questions per task', int(1), 1000)
    .option('--shards <n>', 'gradient shards per batch (part of each run\'s bits)', int(1, 64), 4)
    .option('--out <dir>', 'where run records, the table and the plots go', 'runs/memnn');
  engineOptions(cmd, { jobs: 1, workers: 1 })
    .option('--json', 'print only the table as one JSON object on stdout')
    .option('--quiet', 'print nothing')
    .action(async (f: MemnnFlags) => { process.exitCode = await reproduceMemnn(f); });
  return cmd.exitOverride().showSuggestionAfterError(true);
}

async function reproduceMemnn(f: MemnnFlags): Promise<number> {
  if (f.stages.length === 0 || f.noise.length === 0) throw new Error(`--${f.stages.length === 0 ? 'stages' : 'noise'} is empty (need at least one)`);
  if (f.workers > f.shards) throw new Error(`--workers ${f.workers} exceeds --shards ${f.shards}`);
  const o: MemnnSweepOptions = {
    runs: f.runs, seed: f.seed, stages: f.stages, noise: f.noise, eta: f.eta, gamma: f.gamma, std: f.std,
    base: { tasks: parseTasks(f.tasks), dataSeed: f.dataSeed, epochs: f.epochs, lsEpochs: f.lsEpochs, trainCount: f.trainCount, testCount: f.testCount, shards: f.shards },
  };
  const plan = planMemnn(o);
  const endpoint = endpointOf(f);
  await checkOptionalPackages(endpoint, null, true, { lead: '', otherwise: null });
  prepareOutputDir(f.out);
  writeFileAtomic(join(f.out, 'plan.json'), `${JSON.stringify({ options: o, runs: plan.map((j) => ({ id: j.id, point: j.point, seed: j.seed })) }, null, 2)}\n`);
  const store = new ResultStore(f.out);
  const say = (line: string) => { if (!f.json && !f.quiet) process.stdout.write(`${line}\n`); };
  say(`MemN2N: ${plan.length} runs (${o.stages.join(' and ')}-stage x ${o.noise.join(', ')} x ${o.runs} seed${o.runs === 1 ? '' : 's'} from ${o.seed}); ` +
    `${plan.filter((j) => store.has(j.id)).length} already finished in ${f.out}`);
  const describe = (j: SweepJob) => `${j.point.stages}-stage, ${j.point.noise}, seed ${j.seed}`;
  const { outcome, code } = await executeSweep(plan, store, '.', f, endpoint, describe);
  const r = memnnReport(plan, store);
  const md = memnnMarkdown(r, o);
  writeFileAtomic(join(f.out, 'memnn.md'), md);
  writeFileAtomic(join(f.out, 'memnn.json'), `${JSON.stringify({ options: o, ...r }, null, 2)}\n`);
  const plots = await memnnPlots(plan, store, r, f.out);
  say('');
  say(md);
  say(`wrote ${join(f.out, 'memnn.md')}, ${join(f.out, 'memnn.json')}${plots.length ? ` and ${plots.length} plots in ${join(f.out, 'plots')}` : ''}`);
  if (outcome.aborted) say(`interrupted: ${r.finished} of ${r.planned} runs finished; run the same command again to resume`);
  if (outcome.failed.length > 0) process.stderr.write(`gradnoise: error: ${outcome.failed.length} run${outcome.failed.length === 1 ? '' : 's'} failed (not stored; the same command tries them again)\n`);
  if (f.json) process.stdout.write(`${JSON.stringify({ options: o, ...r })}\n`);
  return code;
}

export function neuralGpuCommand(): Command {
  const cmd = new Command('neuralgpu')
    .description('Reproduce the paper\'s Neural GPU restarts (Table 6): binary addition and multiplication with Adam, with and without ' +
      'annealed noise after clipping, counting the restarts under 1/2/3/5% sequence error at the longest test length. Resumes where it stopped.')
    .helpOption('-h, --help', 'show this help')
    .option('--runs <n>', 'restarts per task and noise setting', int(1), 50)
    .option('--seed <n>', 'first seed (restarts use seed, seed + 1, ...)', int(0), 1)
    .option('--tasks <list>', 'tasks (add, mul, copy, reverse)', list(oneOf(['add', 'mul', 'copy', 'reverse'])), ['add', 'mul'])
    .option('--noise <list>', 'off, on or both', list(oneOf(['off', 'on'])), ['off', 'on'])
    .option('--layout <name>', 'add\'s and mul\'s input: concat (the operands one after the other, the released code) or aligned (ours: bit beside bit, one pair symbol per column)',
      oneOf(INPUT_LAYOUTS), 'concat')
    .option('--eta <x>', 'noise eta (variance at step 0)', num(0, Infinity, true), 1)
    .option('--gamma <x>', 'noise gamma', num(0, 10), 0.55)
    .option('--steps <n>', 'training steps per restart', int(1), resolveNeuralGpuConfig({}).steps)
    .option('--train-length <n>', 'digits per operand at training (the curriculum\'s maximum)', int(1, 1000), resolveNeuralGpuConfig({}).trainLength)
    .option('--test-lengths <list>', 'digits per operand of the test sets; the longest is what the table counts', list(int(1, 100000)), [...resolveNeuralGpuConfig({}).testLengths])
    .option('--batch-size <n>', 'examples per step', int(1, 65536), resolveNeuralGpuConfig({}).batchSize)
    .option('--maps <n>', 'feature maps of the state (the paper: 24 to 512)', int(1, 1024), resolveNeuralGpuConfig({}).maps)
    .option('--height <n>', 'rows of the state (the paper: 4)', int(1, 64), resolveNeuralGpuConfig({}).height)
    .option('--relax <n>', 'relaxed parameter sharing: CGRU parameter sets used in turn over the steps, pulled together as training goes (the paper: 6)', int(1, 64), resolveNeuralGpuConfig({}).relax)
    .option('--dropout <rate>', 'dropout on the recurrent state while training, in [0, 1)', num(0, 0.999), resolveNeuralGpuConfig({}).dropout)
    .option('--lr <x>', 'Adam\'s learning rate', num(0, Infinity, true), resolveNeuralGpuConfig({}).lr)
    .option('--lr-schedule <name>', 'constant, or cosine: decay from --lr to --lr / 100 at the last step (what long runs need to stay stable)',
      oneOf(NEURAL_GPU_LR_SCHEDULES), 'constant')
    .option('--cutoff <x>', 'the CGRU gates\' sigmoid cutoff (1: plain sigmoid; the released code: 1.2)', num(1, MAX_CGRU_CUTOFF), 1.2)
    .option('--diagonal <on|off>', 'diagonal gates (Freivalds & Liepins 2017): each CGRU\'s update gate mixes in the state with a third of the maps moved a column each way',
      oneOf(['on', 'off']), 'off')
    .option('--length-graphs <on|off>', 'on: each batch on the graph of its own length (the released code\'s bins); off: every batch padded to the training length\'s graph',
      oneOf(['on', 'off']), 'on')
    .option('--max-step-ratio <n>', 'training batches run k steps per column, k drawn from 1 .. n per step, so that the model learns to hold its result (tests run 1)',
      int(1, 64), resolveNeuralGpuConfig({}).maxStepRatio)
    .option('--probe-every <n>', 'also test at every test length every n steps, on sums of their own draw; the records keep them (0: never)', int(0), resolveNeuralGpuConfig({}).probeEvery)
    .option('--shards <n>', 'gradient shards per batch (part of each run\'s bits)', int(1, 64), resolveNeuralGpuConfig({}).shards)
    .option('--out <dir>', 'where run records, the table and the plots go', 'runs/neuralgpu');
  engineOptions(cmd, { jobs: 1, workers: 1 })
    .option('--json', 'print only the table as one JSON object on stdout')
    .option('--quiet', 'print nothing')
    .action(async (f: NeuralGpuFlags) => { process.exitCode = await reproduceNeuralGpu(f); });
  return cmd.exitOverride().showSuggestionAfterError(true);
}

async function reproduceNeuralGpu(f: NeuralGpuFlags): Promise<number> {
  if (f.tasks.length === 0 || f.noise.length === 0 || f.testLengths.length === 0) throw new Error('--tasks, --noise and --test-lengths need at least one value each');
  if (f.workers > f.shards) throw new Error(`--workers ${f.workers} exceeds --shards ${f.shards}`);
  const o: NeuralGpuSweepOptions = {
    runs: f.runs, seed: f.seed, tasks: f.tasks, noise: [...new Set(f.noise)].map((n) => n === 'on'), eta: f.eta, gamma: f.gamma,
    base: { layout: f.layout, steps: f.steps, trainLength: f.trainLength, testLengths: f.testLengths, batchSize: f.batchSize, maps: f.maps, height: f.height, relax: f.relax, dropout: f.dropout, lr: f.lr, lrSchedule: f.lrSchedule, cutoff: f.cutoff, diagonal: f.diagonal === 'on', lengthGraphs: f.lengthGraphs === 'on', maxStepRatio: f.maxStepRatio, probeEvery: f.probeEvery, shards: f.shards },
  };
  const plan = planNeuralGpu(o);
  const endpoint = endpointOf(f);
  await checkOptionalPackages(endpoint, null, true, { lead: '', otherwise: null });
  prepareOutputDir(f.out);
  writeFileAtomic(join(f.out, 'plan.json'), `${JSON.stringify({ options: o, runs: plan.map((j) => ({ id: j.id, point: j.point, seed: j.seed })) }, null, 2)}\n`);
  const store = new ResultStore(f.out);
  const say = (line: string) => { if (!f.json && !f.quiet) process.stdout.write(`${line}\n`); };
  say(`Neural GPU: ${plan.length} restarts (${o.tasks.join(' and ')} x noise ${f.noise.join('/')} x ${o.runs} seed${o.runs === 1 ? '' : 's'} from ${o.seed}); ` +
    `${plan.filter((j) => store.has(j.id)).length} already finished in ${f.out}`);
  const describe = (j: SweepJob) => `${j.point.task}${j.point.noise ? ' + noise' : ''}, seed ${j.seed}`;
  const { outcome, code } = await executeSweep(plan, store, '.', f, endpoint, describe);
  const r = neuralGpuReport(plan, store);
  const md = neuralGpuMarkdown(r, o, Math.max(...f.testLengths));
  writeFileAtomic(join(f.out, 'neuralgpu.md'), md);
  writeFileAtomic(join(f.out, 'neuralgpu.json'), `${JSON.stringify({ options: o, ...r }, null, 2)}\n`);
  const plots = await neuralGpuPlots(plan, store, f.out);
  await writeReport({ name: 'neuralgpu', thresholds: DEFAULT_THRESHOLDS }, plan, store);
  say('');
  say(md);
  say(`wrote ${join(f.out, 'neuralgpu.md')}, ${join(f.out, 'neuralgpu.json')}${plots.length ? ` and ${join(f.out, 'plots', 'neuralgpu-errors.svg')}` : ''}; the restart report in ${join(f.out, 'report.md')}`);
  if (outcome.aborted) say(`interrupted: ${r.finished} of ${r.planned} restarts finished; run the same command again to resume`);
  if (outcome.failed.length > 0) process.stderr.write(`gradnoise: error: ${outcome.failed.length} run${outcome.failed.length === 1 ? '' : 's'} failed (not stored; the same command tries them again)\n`);
  if (f.json) process.stdout.write(`${JSON.stringify({ options: o, ...r })}\n`);
  return code;
}
