// One training run of a config (runs/config.ts) on loaded data: trained in fit({ steps }) chunks with
// progress callbacks, optional checkpoints and resume, and summarised with the SHA-256 of the final
// parameters. `gradnoise train` runs one, `reproduce table1` and sweeps run many, and a browser page or an
// edge function can run one too: nothing here needs a file system except checkpoint paths (model.save).
import type { BuildChoice, CoreSource } from '../core/wasm.js';
import { decodeCheckpoint } from '../runtime/checkpoint.js';
import { NonFiniteError } from '../runtime/engine.js';
import type { EpochInfo, StepInfo } from '../runtime/loop.js';
import type { Inputs, Targets } from '../runtime/data.js';
import type { Model } from '../runtime/model.js';
import { mergeTraces, type Trace } from '../runtime/trace.js';
import { firstDifference } from '../runtime/snapshot.js';
import {
  anything, arrayOf, boolean, check, checkFields, func, instanceOf, int, nullable, object, oneOf, optional, orAuto, string, type FieldsOf,
} from '../core/check.js';
import { checkTrainConfig, createModelFromConfig, weightsSha256, type DataShape, type TrainConfig } from './config.js';

/**
 * One split of a data set: what the network reads (x) and what only the losses read (y), `count` examples
 * each, as model.prepare(x, y) takes them: for the MLP of a config without a model, rows of `features`
 * floats and their integer classes; for a graph, typed arrays by input name (runs/inputs.ts makes them).
 */
export interface Split {
  readonly x: Inputs;
  readonly y: Targets;
  readonly count: number;
}

/** The data a run trains on (and tests on after every epoch, when there is a test split). */
export interface RunData {
  readonly train: Split;
  readonly test: Split | null;
  /** The MLP's shape (a config without a model): features per example and classes. A graph brings its own. */
  readonly features?: number;
  readonly classes?: number;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly complete: boolean;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  /** Examples trained on in the epoch (in this run: a resumed epoch counts from where it resumed). */
  readonly examples: number;
  readonly examplesPerSecond: number;
}

export interface StepRecord {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly gradNorm: number;
  readonly clipScale: number;
  readonly sigma: number;
  readonly lr: number | null;
}

export interface RunSummary {
  readonly steps: number;
  readonly epochs: number;
  readonly trainLoss: number | null;
  readonly trainAccuracy: number | null;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  /**
   * Examples trained per second of stepSeconds: the speed of the steps themselves, without the workers'
   * start-up, validation or checkpoints (examplesPerSecondOver names its denominator in the JSON).
   */
  readonly examplesPerSecond: number;
  /** What examplesPerSecond divides by: always 'stepSeconds'. */
  readonly examplesPerSecondOver: 'stepSeconds';
  /** Examples trained per second of `seconds`: the rate over everything the run waited for. */
  readonly wallExamplesPerSecond: number;
  /**
   * From the first fit() call (after prepare()) to the first step's report: starting the workers, handing
   * them the data, and the first step (on workers, reports arrive within about 25 ms). Null: no step ran.
   */
  readonly startupSeconds: number | null;
  /** Time in the training loop's epochs (the steps, with their batches and data order). */
  readonly stepSeconds: number;
  /** Wall time from the first fit() call to the end of training: start-up, steps, validation, checkpoints. */
  readonly seconds: number;
  readonly weightsSha256: string;
  readonly aborted: boolean;
  readonly workers: number;
  /**
   * The core build that ran: threads or single (baseline SIMD, the same bits everywhere), or
   * threads-relaxed or single-relaxed (fused multiply-add where the CPU has it: bits depend on the CPU).
   */
  readonly build: string;
  /** Set when a loss or gradient turned NaN or Infinity (only with `diverge: 'record'`): training stopped there. */
  readonly diverged: { readonly step: number; readonly layer: string; readonly message: string } | null;
}

export interface RunHooks {
  /** Once the model is built: the workers fit() really runs on (0: inline) and the core build. */
  onStart?(info: { readonly workers: number; readonly build: string }): void;
  onStep?(s: StepInfo, total: number): void;
  onEpoch?(e: EpochRecord): void;
  onWarning?(message: string): void;
  /** After each checkpoint is written. */
  onCheckpoint?(path: string, step: number): void;
}

export interface RunOptions {
  /** Worker threads, or 'auto' (createModel's default: one per core where there is shared memory); any count gives the same bits. */
  readonly workers: number | 'auto';
  /**
   * The core build (createModel's build option): default `auto`, the deterministic baseline; `relaxed` is
   * faster where the CPU fuses multiply-add, with bits that depend on the CPU. The summary's build says
   * which ran.
   */
  readonly build?: BuildChoice;
  /** The core, where the runtime cannot load the packaged one (createModel's wasm option: workerd). */
  readonly wasm?: CoreSource;
  readonly hooks?: RunHooks;
  readonly signal?: AbortSignal;
  /** Keep every step's record (default true). */
  readonly keepSteps?: boolean;
  /**
   * A NaN or Infinity stops the run: `throw` (default) rethrows the NonFiniteError, `record` returns what
   * was measured with `diverged` set (the weights and test figures are then those before the refused step).
   */
  readonly diverge?: 'throw' | 'record';
  /**
   * Checkpoints to `path`, atomically: every `every` steps (Infinity: only at the end), and when the run
   * stops for the signal. A diverged run writes none after the last good one.
   */
  readonly checkpoint?: { readonly path: string; readonly every: number };
  /**
   * A checkpoint of this same config to continue from (its bytes, and a name for errors, such as its
   * path): the run then trains the steps it still lacks.
   */
  readonly resume?: { readonly bytes: Uint8Array; readonly name: string };
  /**
   * With `resume`: the records the interrupted run wrote. Those up to the checkpoint are kept, and the
   * epoch it cut continues in the same record.
   */
  readonly previous?: { readonly epochs: readonly EpochRecord[]; readonly steps: readonly StepRecord[] };
  /**
   * Profile steps from..from+steps-1 of this run (counted from its first step, after a resume): the
   * result's `profile` is then their Chrome trace (fit()'s profile option, over all of the run's fit() calls).
   */
  readonly profile?: { readonly from?: number; readonly steps?: number };
}

export interface RunResult {
  readonly summary: RunSummary;
  readonly epochs: EpochRecord[];
  readonly steps: StepRecord[];
  /** With `profile`: the trace of the profiled steps (null when none of them ran). */
  readonly profile?: Trace | null;
}


// Resuming: the checkpoint must come from this very config (same model, seed, optimizer and shards), or
// the resumed run would not be the run its config names.
function resumeFrom(model: Model, from: { bytes: Uint8Array; name: string }, c: TrainConfig, data: RunData): void {
  const ck = decodeCheckpoint(from.bytes, from.name);
  const mine = decodeCheckpoint(model.toBytes()).meta;
  for (const field of ['spec', 'seed', 'optimizer', 'shards', 'batchSize'] as const) {
    const d = firstDifference(ck.meta[field], mine[field], field);
    if (d) throw new Error(`--resume ${from.name}: the checkpoint comes from another configuration (${d}; checkpoint vs this command): run the command that wrote it`);
  }
  const pos = ck.meta.position;
  if (pos.batch > 0 && pos.count !== data.train.count) {
    throw new Error(`--resume ${from.name}: the checkpoint stopped mid-epoch in ${pos.count} training examples; this command has ${data.train.count} ` +
      `(the same ${c.model === null ? '--train-x, --train-y' : 'data files'} and --train-limit continue it)`);
  }
  const total = c.steps ?? Math.ceil(data.train.count / c.batchSize) * c.epochs;
  if (ck.meta.step > total) {
    throw new Error(`--resume ${from.name}: the checkpoint is at step ${ck.meta.step}, past the ${total} steps this command trains ` +
      `(${c.steps !== null ? `--steps ${c.steps}` : `--epochs ${c.epochs}`})`);
  }
  model.restoreCheckpoint(ck, from.name);
}

// Option schemas (core/check.ts). A split is data: other keys (an MnistSplit's features) are allowed. The
// MLP's split is rows of floats and their classes; a graph's arrays by input name are model.prepare's to check.
const MLP_SPLIT = object({
  x: instanceOf(Float32Array), y: check('an Int32Array or Uint8Array', (v) => v instanceof Int32Array || v instanceof Uint8Array), count: int(1),
}, { open: true });
const ARRAYS = check('a typed array, or typed arrays by input name', (v) => ArrayBuffer.isView(v) || (typeof v === 'object' && v !== null && !Array.isArray(v)));
const GRAPH_SPLIT = object({ x: ARRAYS, y: ARRAYS, count: int(1) }, { open: true });
const MLP_DATA_FIELDS: FieldsOf<RunData> = { train: MLP_SPLIT, test: nullable(MLP_SPLIT), features: int(1), classes: int(1) };
const GRAPH_DATA_FIELDS: FieldsOf<RunData> = { train: GRAPH_SPLIT, test: nullable(GRAPH_SPLIT), features: optional(int(1)), classes: optional(int(1)) };
const RUN_HOOKS: FieldsOf<RunHooks> = { onStart: optional(func), onStep: optional(func), onEpoch: optional(func), onWarning: optional(func), onCheckpoint: optional(func) };
const RUN_OPTIONS: FieldsOf<RunOptions> = {
  workers: orAuto(int(0, 64)),
  profile: optional(object({ from: optional(int(0)), steps: optional(int(1)) })),
  build: anything /* createModel checks it */, wasm: anything /* createModel checks it */, hooks: optional(object(RUN_HOOKS)),
  signal: optional(instanceOf(AbortSignal, 'an AbortSignal')), keepSteps: optional(boolean), diverge: optional(oneOf(['throw', 'record'])),
  checkpoint: optional(object({ path: string, every: check('an integer from 1 up, or Infinity', (v) => v === Infinity || (Number.isSafeInteger(v) && (v as number) >= 1)) })),
  resume: optional(object({ bytes: instanceOf(Uint8Array), name: string })),
  previous: optional(object({ epochs: arrayOf(anything), steps: arrayOf(anything) })),
};

/**
 * Trains one config on `data`, with per-epoch test figures when there is a test split. The run trains from
 * `data`'s arrays (inline; workers get one copy in shared memory): they must not change while it runs.
 */
export async function runTraining(c: TrainConfig, data: RunData, o: RunOptions): Promise<RunResult> {
  checkTrainConfig('runTraining: config', c);
  // The MLP of a config without a model takes its shape from the data; a graph brings its own.
  checkFields('runTraining: data', data, c.model === null ? MLP_DATA_FIELDS : GRAPH_DATA_FIELDS, { optional: false, open: true });
  checkFields('runTraining', o, RUN_OPTIONS, { optional: false });
  const hooks = o.hooks ?? {};
  const keepSteps = o.keepSteps ?? true;
  const model = await createModelFromConfig(c, c.model === null ? data as DataShape : undefined,
    { workers: o.workers, onWarning: hooks.onWarning ?? console.warn, ...(o.build ? { build: o.build } : {}), ...(o.wasm ? { wasm: o.wasm } : {}) });
  try {
    if (o.resume) resumeFrom(model, o.resume, c, data);
    hooks.onStart?.({ workers: model.workers, build: model.build });
    // Checked once for the whole run, not in each fit() call of a checkpoint interval; copied only into
    // the shared memory that workers need (the run's data stays as it is while the run lasts).
    const train = model.prepare(data.train.x, data.train.y, { copy: false });
    const testSet = data.test ? model.prepare(data.test.x, data.test.y, { copy: false }) : null;
    const perEpoch = Math.ceil(data.train.count / c.batchSize);
    const total = c.steps ?? perEpoch * c.epochs;
    const kept = o.resume && o.previous ? o.previous : { epochs: [], steps: [] };
    const steps: StepRecord[] = kept.steps.filter((s) => s.step <= model.step);
    const epochs: EpochRecord[] = kept.epochs.filter((e) => e.epoch < model.epoch || (e.epoch === model.epoch && !e.complete));
    // examples: every step's; timed: those of the epochs the loop reported, with their time, stepSeconds.
    let examples = 0, timed = 0, stepSeconds = 0, firstStepAt: number | null = null;
    const t0 = performance.now();
    let diverged: RunSummary['diverged'] = null;
    let aborted = false, saved = -1;
    // The profile's window in the run's steps, cut into the part each fit() call covers.
    const first = model.step, traces: Trace[] = [];
    const pFrom = o.profile?.from ?? 0, pTo = pFrom + (o.profile?.steps ?? 200);
    const windowOf = (chunk: number) => {
      const at = model.step - first, lo = Math.max(pFrom, at), hi = Math.min(pTo, at + chunk);
      return o.profile && lo < hi ? { profile: { from: lo - at, steps: hi - lo } } : {};
    };
    const save = async () => {
      if (!o.checkpoint) return;
      try {
        await model.save(o.checkpoint.path);
      } catch (e) {
        // Parameters that overflowed in the last update: the step's loss was finite, but no checkpoint
        // may hold them. The run has diverged; the last good checkpoint stays.
        if (!(e instanceof NonFiniteError) || (o.diverge ?? 'throw') === 'throw') throw e;
        diverged = { step: e.step, layer: e.layer, message: e.message };
        return;
      }
      saved = model.step;
      hooks.onCheckpoint?.(o.checkpoint.path, model.step);
    };
    // A run is a sequence of fit({ steps }) calls, one per checkpoint interval: a cut epoch continues in
    // the next call, so the bits are those of one call (docs/checkpoints.md).
    while (model.step < total && !aborted && !diverged) {
      const chunk = Math.min(o.checkpoint?.every ?? Infinity, total - model.step);
      const history = await model.fit(train, {
        steps: chunk,
        ...windowOf(chunk),
        ...(testSet ? { validation: testSet } : {}),
        signal: o.signal,
        onStep: (s) => {
          firstStepAt ??= performance.now();
          examples += s.examples;
          if (keepSteps) steps.push({ step: s.step, epoch: s.epoch, loss: s.loss, accuracy: s.accuracy, gradNorm: s.gradNorm, clipScale: s.clipScale, sigma: s.sigma, lr: s.lr ?? null });
          hooks.onStep?.(s, total);
        },
        onEpoch: (e: EpochInfo) => {
          if (e.examples > 0) { timed += e.examples; stepSeconds += e.examples / e.examplesPerSecond; }
          // An epoch split over two calls (a checkpoint in between) is one record.
          const last = epochs[epochs.length - 1];
          const merge = last !== undefined && last.epoch === e.epoch && !last.complete && e.fromBatch > 0;
          const seen = (merge ? last.examples : 0) + e.examples;
          const mean = (a: number, b: number) => (merge ? (a * last.examples + b * e.examples) / seen : b);
          const r: EpochRecord = {
            epoch: e.epoch, complete: e.complete, trainLoss: mean(last?.trainLoss ?? 0, e.loss), trainAccuracy: mean(last?.trainAccuracy ?? 0, e.accuracy),
            testLoss: e.validation?.loss ?? null, testAccuracy: e.validation?.accuracy ?? null, examples: seen,
            examplesPerSecond: seen / ((merge ? last.examples / last.examplesPerSecond : 0) + e.examples / e.examplesPerSecond),
          };
          if (merge) epochs[epochs.length - 1] = r;
          else epochs.push(r);
          if (e.complete) hooks.onEpoch?.(r);
        },
      }).catch((e: unknown) => {
        if (!(e instanceof NonFiniteError) || (o.diverge ?? 'throw') === 'throw') throw e;
        diverged = { step: e.step, layer: e.layer, message: e.message };
        return null;
      });
      if (history === null) break; // diverged: the last checkpoint stays as it is
      if (history.profile) traces.push(history.profile);
      aborted = history.aborted;
      await save();
    }
    if (saved !== model.step && !diverged) await save(); // a run with nothing left to train still leaves its checkpoint
    const cut = epochs[epochs.length - 1];
    if (cut && !cut.complete) hooks.onEpoch?.(cut);
    const seconds = (performance.now() - t0) / 1000;
    const last = epochs[epochs.length - 1];
    const test = testSet ? model.evaluate(testSet) : null;
    const summary: RunSummary = {
      steps: model.step, epochs: model.epoch,
      trainLoss: last?.trainLoss ?? null, trainAccuracy: last?.trainAccuracy ?? null,
      testLoss: test?.loss ?? null, testAccuracy: test?.accuracy ?? null,
      examplesPerSecond: stepSeconds > 0 ? timed / stepSeconds : 0, examplesPerSecondOver: 'stepSeconds',
      wallExamplesPerSecond: seconds > 0 ? examples / seconds : 0,
      startupSeconds: firstStepAt === null ? null : (firstStepAt - t0) / 1000, stepSeconds, seconds,
      weightsSha256: await weightsSha256(model), aborted,
      workers: model.workers, build: model.build, diverged,
    };
    const merged = mergeTraces(traces);
    const profile = merged && { ...merged, otherData: { ...merged.otherData, from: pFrom, steps: pTo - pFrom } };
    return { summary, epochs, steps, ...(o.profile ? { profile } : {}) };
  } finally {
    await model.dispose();
  }
}
