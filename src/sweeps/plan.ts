// Planning a sweep: the points of its spec (the grid's products, or the seeded random draws), each run
// once per seed, as jobs that carry their complete config (checked by resolveTrainConfig), their data
// description and their id. The id hashes exactly what decides the run's bits (ids.ts), so the same spec
// plans the same ids on any machine and a job is never run twice. Seeds are the outermost loop: a sweep
// stopped half way has covered every point about evenly.
import { createHash } from 'node:crypto';
import { show } from '../core/check.js';
import { compileGraph, type GraphSpec } from '../graph/spec.js';
import { resolveTrainConfig, type TrainConfig } from '../runs/config.js';
import { dataKey, type JobData } from './data.js';
import { configId } from './ids.js';
import { specFieldProblem, type AxisValue, type Distribution, type SweepSpec } from './spec.js';
import { checkTaskRun, type TaskRun } from '../experiments/tasks.js';

/** The version of the job format below: a worker refuses jobs of another. */
export const JOB_FORMAT = 1;

interface JobBase {
  readonly format: typeof JOB_FORMAT;
  readonly id: string;
  readonly sweep: string;
  readonly experiment: string | null;
  /** The point's value on every axis (bundle axes: the label): the report's setting. */
  readonly point: Readonly<Record<string, AxisValue>>;
  readonly seed: number;
  /** Keep the run's final checkpoint. */
  readonly checkpoint: boolean;
}

/** A training run of a config on data files (or MNIST). */
export interface TrainJob extends JobBase {
  readonly config: TrainConfig;
  readonly data: JobData;
  readonly task?: undefined;
}

/** One of the paper's other experiments (experiments/tasks.ts): its config holds everything, data included. */
export interface TaskJob extends JobBase {
  readonly task: TaskRun;
  readonly config?: undefined;
  readonly data?: undefined;
}

/** One run of a sweep: everything a worker anywhere needs to run it. */
export type SweepJob = TrainJob | TaskJob;

/** The id of a task run: its kind and complete config, and the experiment. */
export function taskJobId(task: TaskRun, experiment: string | null): string {
  const config = withoutLater(task.config, LATER_TASK_FIELDS[task.kind]);
  return configId({ task: { ...task, config }, ...(experiment !== null ? { experiment } : {}) });
}

/** LATER_FIELDS (below) of the task runs' configs, by kind. */
const LATER_TASK_FIELDS: Readonly<Record<TaskRun['kind'], Readonly<Record<string, unknown>>>> = {
  memnn: {},
  neuralgpu: { layout: 'concat', lrSchedule: 'constant', adamEps: 1e-8, cutoff: 1, diagonal: false, initScale: null, lengthGraphs: false, maxStepRatio: 1, probeEvery: 0 },
};

/** The job of one task run. */
export function taskJob(task: TaskRun, sweep: string, experiment: string | null, point: Readonly<Record<string, AxisValue>>): TaskJob {
  return { format: JOB_FORMAT, id: taskJobId(task, experiment), sweep, experiment, point, seed: task.config.seed, task, checkpoint: false };
}

/**
 * Config fields added after the first sweeps, with the value every run before them had: such a field
 * enters a run's id only when it differs from that value, so the ids of every earlier run (OUT
 * directories, docs/experiments/) stay what they were and a run of today with the old setting resumes
 * from their records. A config without a model (the MLP) is hashed without that field; biasInit 0 (-0
 * too: the same zero biases) without biasInit.
 */
const LATER_FIELDS: Readonly<Partial<TrainConfig>> = { model: null, biasInit: 0 };

/** The id of a run: its complete config (but LATER_FIELDS at their old values), what of its data decides its bits, and the spec's experiment. */
export function jobId(config: TrainConfig, data: JobData, experiment: string | null): string {
  return configId({ config: withoutLater(config, LATER_FIELDS), data: dataKey(data), ...(experiment !== null ? { experiment } : {}) });
}

/** A copy of `config` without the later fields that hold their old values. */
function withoutLater(config: object, later: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const [k, v] of Object.entries(later)) if (out[k] === v) delete out[k];
  return out;
}

/** A point of the spec: its axis values and the config fields they set, and where it comes from. */
export interface Point {
  readonly point: Record<string, AxisValue>;
  readonly fields: Partial<TrainConfig>;
  readonly where: string;
}

/** A uniform draw in [0, 1) that depends only on (seed, point, axis): adding an axis leaves the others' draws. */
function uniform01(seed: number, index: number, axis: string): number {
  const h = createHash('sha256').update(`gradnoise/random/${seed}/${index}/${axis}`).digest();
  return ((h.readUInt32BE(0) >>> 5) * 2 ** 26 + (h.readUInt32BE(4) >>> 6)) / 2 ** 53;
}

/** Draws of continuous axes keep 4 significant digits: readable in reports, and still all distinct enough. */
function draw(d: Distribution, u: number): AxisValue {
  const round = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Number(x.toPrecision(4))));
  switch (d.kind) {
    case 'choice': return d.values[Math.floor(u * d.values.length)]!;
    case 'int': return d.low + Math.floor(u * (d.high - d.low + 1));
    case 'uniform': return round(d.low + u * (d.high - d.low), d.low, d.high);
    case 'logUniform': return round(Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low))), d.low, d.high);
  }
}

const label = (p: Record<string, AxisValue>) => `{${Object.entries(p).map(([k, v]) => `${k}: ${show(v)}`).join(', ')}}`;

/** Every point of the spec, in order: grid blocks in turn (first axis outermost), or the random draws. */
export function specPoints(spec: SweepSpec): Point[] {
  if (spec.random) {
    // Draws 0, 1, 2, ... in turn, skipping a point drawn before (a choice of few values, or two draws
    // that round to the same 4 digits), until `count` distinct points: a draw's values depend only on
    // its number, so the same spec always gives the same points.
    const r = spec.random;
    const out: Point[] = [];
    const seen = new Set<string>();
    const maxDraws = 20 * r.count + 1000;
    for (let i = 0; out.length < r.count; i++) {
      if (i === maxDraws) {
        throw new Error(`spec.random: ${maxDraws} draws give only ${out.length} distinct points, not the ${r.count} of spec.random.count ` +
          '(the axes have too few values for that many: lower the count or widen the axes)');
      }
      const point: Record<string, AxisValue> = {};
      for (const a of r.axes) {
        const v = draw(a.dist, uniform01(r.seed, i, a.name));
        const need = specFieldProblem(a.name, v);
        if (need) throw new Error(`spec.random.axes.${a.name}: draw ${i} is ${show(v)} (need ${need})`);
        point[a.name] = v;
      }
      const key = label(point);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ point, fields: { ...point } as Partial<TrainConfig>, where: `spec.random draw ${i}` });
    }
    return out;
  }
  if (!spec.grid) return [{ point: {}, fields: {}, where: 'spec.base' }];
  const out: Point[] = [];
  spec.grid.forEach((axes, b) => {
    const blockName = spec.grid!.length === 1 ? 'spec.grid' : `spec.grid[${b}]`;
    const walk = (k: number, point: Record<string, AxisValue>, fields: Partial<TrainConfig>) => {
      if (k === axes.length) {
        out.push({ point, fields, where: `${blockName} at ${label(point)}` });
        return;
      }
      const a = axes[k]!;
      for (const v of a.values) {
        walk(k + 1, { ...point, [a.name]: v }, { ...fields, ...(a.bundles ? a.bundles[v as string] : { [a.name]: v }) });
      }
    };
    walk(0, {}, {});
  });
  return out;
}

/**
 * Every job of the sweep on `data`: seeds outermost, then the points in order. A model the spec names by a
 * file's path is taken from `models` (path -> graph: readSpecModels in sweeps/data.ts reads them), so a job carries the
 * graph itself and its id hashes the graph, not the path.
 */
export function planSweep(spec: SweepSpec, data: JobData, models: ReadonlyMap<string, GraphSpec> = new Map()): SweepJob[] {
  const points = specPoints(spec);
  // One complete config per point, checked once (the seed cannot make a config invalid).
  const configs = points.map((p) => {
    const fields: Record<string, unknown> = { ...spec.base, ...p.fields };
    if (typeof fields.model === 'string') {
      const g = models.get(fields.model);
      if (!g) throw new Error(`${p.where}: the model file ${fields.model} has not been read (readSpecModels reads a spec's graph files)`);
      fields.model = g;
    }
    const c = resolveTrainConfig(fields, p.where);
    if (c.model === null && data.source === 'inputs') {
      throw new Error(`${p.where}: spec.data names its files by input, for a graph model, but this point has none (the MLP reads MNIST or trainX/trainY files)`);
    }
    if (c.model !== null) {
      if (data.source !== 'inputs') throw new Error(`${p.where}: a graph model reads its data by input name (spec.data.inputs or spec.data.jsonl), not ${data.source === 'mnist' ? 'MNIST' : 'trainX/trainY files'}`);
      if (![...compileGraph(c.model).targetRules.values()].some((r) => r.classes !== undefined)) {
        throw new Error(`${p.where}: the model has no classification loss (softmaxCrossEntropy), so its runs have no accuracy for the sweep's report to count`);
      }
    }
    return c;
  });
  const jobs: SweepJob[] = [];
  const seen = new Map<string, string>();
  for (const seed of spec.seeds) {
    points.forEach((p, i) => {
      const config: TrainConfig = { ...configs[i]!, seed };
      const id = jobId(config, data, spec.experiment);
      const other = seen.get(id);
      if (other !== undefined) {
        throw new Error(`${p.where} and ${other} give the same config: each of their runs would be one run twice (remove one of the two)`);
      }
      seen.set(id, p.where);
      jobs.push({ format: JOB_FORMAT, id, sweep: spec.name, experiment: spec.experiment, point: p.point, seed, config, data, checkpoint: spec.checkpoint });
    });
  }
  return jobs;
}

/** A job from untrusted input (a queue), checked: its config and data, and its id against its content. */
export function checkJob(v: unknown, checkData: (d: unknown, path: string) => JobData): SweepJob {
  const o = v as Record<string, unknown>;
  if (o === null || typeof o !== 'object') throw new Error(`the job is ${show(v)} (need a gradnoise sweep job)`);
  if (o.format !== JOB_FORMAT) {
    throw new Error(`the job has format ${show(o.format)}, this gradnoise reads format ${JOB_FORMAT} (run the same gradnoise version as the submitter)`);
  }
  if (o.task !== undefined) {
    const task = checkTaskRun(o.task, 'job.task');
    const experiment = o.experiment === null || typeof o.experiment === 'string' ? o.experiment : null;
    const id = taskJobId(task, experiment);
    if (o.id !== id) throw new Error(`the job's id ${show(o.id)} is not the hash of its task (${id}): it was not planned by this gradnoise version`);
    const point = o.point !== null && typeof o.point === 'object' ? o.point as Record<string, AxisValue> : {};
    return taskJob(task, typeof o.sweep === 'string' ? o.sweep : 'sweep', experiment, point);
  }
  const config = resolveTrainConfig(o.config, 'job.config');
  const data = checkData(o.data, 'job.data');
  const experiment = o.experiment === null || typeof o.experiment === 'string' ? o.experiment : null;
  const id = jobId(config, data, experiment);
  if (o.id !== id) throw new Error(`the job's id ${show(o.id)} is not the hash of its config and data (${id}): it was not planned by this gradnoise version`);
  const point = o.point !== null && typeof o.point === 'object' ? o.point as Record<string, AxisValue> : {};
  return {
    format: JOB_FORMAT, id, sweep: typeof o.sweep === 'string' ? o.sweep : 'sweep', experiment, point,
    seed: config.seed, config, data, checkpoint: o.checkpoint === true,
  };
}
