// The public Model: create a network on the core, train it (fit), measure it (evaluate), use it (predict),
// and read its parameters and gradients by name. Everything a caller passes is checked here, before any
// kernel runs; a trap inside wasm comes back as an Error that says which step and which kernel call.
//
// fit() runs on worker threads (Web Workers in browsers) over the model's shared memory when the runtime
// has shared memory (runtime/pool.ts), and inline on the calling thread otherwise, yielding to the event
// loop every few milliseconds. Both give the same bits: a batch is always cut into the same shards
// (docs/workers.md). The other methods run inline, on the same memory, between runs.
import { asksRelaxed, baselineOf, loadCoreModule, relaxedSimdAvailable, sharesMemory, threadsAvailable, type BuildChoice, type BuildName, type CoreModule, type CoreSource } from '../core/wasm.js';
import { Network } from '../graph/network.js';
import { toGraph, type ModelSpec } from '../model/spec.js';
import { MAX_UNITS } from '../graph/limits.js';
import type { NormalizedGraph } from '../graph/spec.js';
import { lowerChain, type FusedPlan } from '../optim/fuse.js';
import { FusedUpdater, initState, noiseAheadApplies, stateSlotsOf } from '../optim/fused.js';
import { anything, boolean, check, checkFields, custom, func, instanceOf, int, nullish, object, oneOf, optional, orAuto, show, type FieldsOf } from '../core/check.js';
import { fromDescription, sgd, validateChain, type Chain, type GradientTransformation, type StepMetrics } from '../optim/transforms.js';
import { prepareData, PreparedData, signatureOf, stage, type DataSignature, type Inputs, type Staged, type Targets } from './data.js';
import { accuracyOf, Engine, evaluateStaged, NonFiniteError } from './engine.js';
import { continues, trainLoop, type EpochInfo, type Evaluation, type FitHistory, type LoopConfig, type StepInfo } from './loop.js';
import { decodeCheckpoint, type Checkpoint } from './checkpoint.js';
import { FAULT_HOOK, Pool, SPIN_HOOK } from './pool.js';
import type { SpinPolicy } from './sync.js';
import { restore, snapshot, transferState } from './snapshot.js';
import { hardwareThreads, readCoreBuild, readLocalFile, runtimeInfo, writeLocalFileAtomic } from './threads.js';
import { helperFits, NoiseHelper } from './helper.js';
import { inWindow, PROFILE_OPTION, profileWindow, Recorder, toTrace, type ProfileOption, type ProfileWindow } from './trace.js';
import { checkParams, exportOnnx, type OnnxOptions } from '../export/onnx/index.js';
import { decodePytorch, encodePytorch, pytorchGraphOf, type PytorchReadOptions } from '../export/pytorch.js';

export { NonFiniteError } from './engine.js';
export type { EpochInfo, Evaluation, FitHistory, StepInfo } from './loop.js';

/** Most shards (and so most workers) a model can have. */
export const MAX_SHARDS = 64;

export interface ModelOptions {
  /** Largest batch: sizes the planned memory. Default 32. */
  readonly batchSize?: number;
  /** Seed of initialisation and, unless fit() gets its own, of the data order. Integer in [0, 2^53). Default 0. */
  readonly seed?: number;
  /**
   * The update, optax-style: an optimizer or a chain ending in one, for example
   * `chain(clipByGlobalNorm(10), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.01 }))`.
   * Default sgd({ lr: 0.01 }).
   */
  readonly optimizer?: GradientTransformation;
  /** Where warnings go (a chain that cannot be fused). Default console.warn. */
  readonly onWarning?: (message: string) => void;
  /**
   * false: run every update through the chain's TypeScript reference implementation even when it could be
   * fused (for checking the fused kernel; the results are the same bits, only slower). Default true.
   */
  readonly fuse?: boolean;
  /**
   * Which core build to run: `auto` (threads where shared memory works, else single), or `relaxed`, its
   * opt-in twin whose GEMMs use f32x4.relaxed_madd (fused multiply-add where the CPU has it): faster, but
   * its bits depend on the CPU, so runs are reproducible only on the same kind of machine. Where the engine
   * has no relaxed SIMD, `relaxed` runs the baseline build with a notice through onWarning. `threads`,
   * `single`, `threads-relaxed` and `single-relaxed` name one build. `model.build` says which one ran.
   */
  readonly build?: BuildChoice;
  /**
   * The core, for runtimes that cannot read the packaged file: its bytes, or a compiled
   * `WebAssembly.Module` where compiling at run time is forbidden (workerd: `import core from
   * 'gradnoise/gradnoise.single.wasm'`). A compiled module decides the build.
   */
  readonly wasm?: CoreSource;
  /**
   * Workers that fit() trains on (worker_threads in Node, Web Workers in browsers), at most `shards`; 0
   * trains inline on the calling thread. Any count gives the same bits. Default `auto`: as many as the
   * machine has cores (at most `shards`) where the runtime has shared memory, so fit() runs off the
   * calling thread; else 0, with a notice through onWarning.
   */
  readonly workers?: number | 'auto';
  /**
   * When fit() trains inline (workers: 0) with the paper's noise after clipping: draw each step's noise on a
   * helper thread while the calling thread computes the gradients, where the runtime has shared memory and
   * the machine at least 2 cores. The bits are the same with it and without. Default true.
   */
  readonly noiseHelper?: boolean;
  /**
   * Shards each batch is cut into (rows floor(s·B/S) up to the next), each with its own gradient slot,
   * added in a fixed tree. Results depend on it (and never on workers): keep it fixed to reproduce a run.
   * At most 64. Default 4.
   */
  readonly shards?: number;
}

export interface FitOptions {
  /** Passes over the data. Default 1, or as many as `steps` needs when that is given. */
  readonly epochs?: number;
  /**
   * End this call after this many steps (taken or skipped), even mid-epoch. The next fit() continues a cut
   * epoch from its next batch when it trains in the same data order (as many examples, and the same
   * batchSize, seed, shuffle and dropLast; the examples themselves are the caller's to keep): fit({ steps: N })
   * then fit({ steps: M }) gives the bits of fit({ steps: N + M }). Otherwise that epoch starts again, with a
   * warning. The same holds after an abort, and across save() and load().
   */
  readonly steps?: number;
  /** Examples per step, at most the model's batchSize. Default the model's batchSize. */
  readonly batchSize?: number;
  /** Shuffle each epoch (seeded). Default true. */
  readonly shuffle?: boolean;
  /** Seed of the data order. Default the model's seed. */
  readonly seed?: number;
  /** Drop the last partial batch of an epoch. Default false (it trains on fewer examples). */
  readonly dropLast?: boolean;
  /** Evaluated after each complete epoch: { x, y }, or the PreparedData of model.prepare(x, y). */
  readonly validation?: { readonly x: Inputs; readonly y: Targets } | PreparedData;
  readonly onStep?: (info: StepInfo) => void;
  readonly onEpoch?: (info: EpochInfo) => void;
  /** Stop at the next step boundary. */
  readonly signal?: AbortSignal;
  /**
   * A step whose loss or gradient holds NaN or Infinity: `throw` (default) stops with an error naming the
   * step and the first offending tensor; `skip` leaves the parameters untouched, counts it, and goes on.
   */
  readonly nonFinite?: 'throw' | 'skip';
  /**
   * Profile the steps: `true` records the first 200 steps of this call, `{ from, steps }` the steps
   * from..from+steps-1 of it. The history's `profile` is then a Chrome trace (JSON.stringify it to a file
   * for chrome://tracing or Perfetto) with the ops of each shard, the reduction, the update, the barriers
   * and the noise drawn ahead, one track per thread. Changes no bit. Default false.
   */
  readonly profile?: ProfileOption;
}

/**
 * Lets timers, I/O and callbacks run between training steps. setTimeout(0) would idle for at least 1 ms
 * (4 ms when nested in browsers), about 5% of a 20 ms slice; setImmediate (Node, Bun, Deno) and a
 * MessageChannel round trip (browsers, workers) return as soon as the queue is drained.
 */
const yieldToEventLoop: () => Promise<void> = (() => {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return () => new Promise<void>((r) => { g.setImmediate!(r); });
  if (typeof MessageChannel === 'function') {
    return () => new Promise<void>((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { ch.port1.close(); r(); };
      ch.port2.postMessage(0);
    });
  }
  return () => new Promise<void>((r) => setTimeout(r, 0));
})();

const isSeed = (s: unknown): s is number => Number.isSafeInteger(s) && (s as number) >= 0;

// Option schemas (core/check.ts). Options read with `??` take their default for null too (nullish).
const LOAD_MODEL_FIELDS: FieldsOf<Omit<ModelOptions, 'seed'>> = {
  batchSize: nullish(int(1, MAX_UNITS)), optimizer: anything /* validateChain */, build: optional(oneOf(['auto', 'threads', 'single', 'relaxed', 'threads-relaxed', 'single-relaxed'])),
  wasm: optional(check("the core's bytes (a Uint8Array or ArrayBuffer) or a compiled WebAssembly.Module",
    (v) => v instanceof Uint8Array || v instanceof ArrayBuffer || v instanceof WebAssembly.Module)),
  onWarning: optional(func), fuse: optional(boolean), shards: nullish(int(1, MAX_SHARDS)), noiseHelper: optional(boolean),
  workers: optional(orAuto(int(0, MAX_SHARDS))) /* and <= shards */,
};
const MODEL_FIELDS: FieldsOf<ModelOptions> = { ...LOAD_MODEL_FIELDS, seed: nullish(check('an integer from 0 to 2^53 - 1', isSeed)) };
const FIT_FIELDS: FieldsOf<FitOptions> = {
  // Checked in fit() itself: they depend on each other and on the model.
  epochs: anything, steps: anything, batchSize: anything, seed: anything,
  shuffle: optional(boolean), dropLast: optional(boolean), onStep: optional(func), onEpoch: optional(func),
  signal: optional(instanceOf(AbortSignal, 'an AbortSignal')), nonFinite: nullish(oneOf(['throw', 'skip'])),
  validation: optional(custom('{ x, y } or a PreparedData', (v) => (v instanceof PreparedData ? undefined : object({ x: anything, y: anything })(v)))),
  profile: optional(PROFILE_OPTION) /* its fields: profileWindow */,
};

const PREDICT_FIELDS = { all: optional(boolean) };

// save / toBytes and load / loadBytes / loadModel: which file (docs/export.md has PyTorch's names and layouts).
const NAMES_FIELD = optional(custom('an object of gradnoise name: PyTorch name', (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) &&
  Object.values(v).every((s) => typeof s === 'string') ? undefined : 'an object of strings')));
const SAVE_FIELDS: FieldsOf<SaveOptions> = { layout: nullish(oneOf(['gradnoise', 'pytorch'])), names: NAMES_FIELD };
const LOAD_FIELDS: FieldsOf<LoadOptions> = { ...SAVE_FIELDS, strict: optional(boolean) };

/** save() and toBytes(): a checkpoint of the whole training state (default), or PyTorch's state_dict. */
export interface SaveOptions {
  /**
   * 'gradnoise' (default): the checkpoint (parameters, optimizer state, step, data position, spec).
   * 'pytorch': the parameters alone under PyTorch's names and in its layouts (nn.Linear's [out, in], conv's
   * [out, in, kh, kw], LSTM/GRU's weight_ih_l0, ...), a safetensors file that load_state_dict of the same
   * PyTorch architecture takes; the graph rides in its metadata, for loadModel().
   */
  readonly layout?: 'gradnoise' | 'pytorch';
  /** layout 'pytorch': PyTorch module paths (or tensor names) by gradnoise layer (or parameter) name. */
  readonly names?: Readonly<Record<string, string>>;
}

/** load() and loadBytes(): a checkpoint (default), or a PyTorch state_dict's safetensors file. */
export interface LoadOptions extends SaveOptions {
  /** layout 'pytorch': false ignores tensors the map does not know (load_state_dict's strict=False). Default true. */
  readonly strict?: boolean;
}

function checkLayoutOptions(where: string, o: LoadOptions): void {
  if (o.layout !== 'pytorch' && (o.names !== undefined || o.strict !== undefined)) {
    throw new Error(`${where}: names and strict apply to layout "pytorch" only (got layout ${show(o.layout ?? 'gradnoise')})`);
  }
}

function checkBatchSize(where: string, b: unknown, max: number): number {
  if (!Number.isInteger(b) || (b as number) < 1 || (b as number) > max) {
    throw new Error(`${where}: batchSize is ${show(b)} (need an integer from 1 to ${max})`);
  }
  return b as number;
}

/** evaluate() and predict() take no options: one passed anyway (as TF.js' { batchSize }) is an error, not ignored. */
function noMoreArguments(where: string, more: readonly unknown[], why: string): void {
  if (more.some((v) => v !== undefined)) throw new Error(`${where}: takes no options (${why}), got ${more.map((v) => show(v)).join(', ')}`);
}

function checkCount(field: string, v: unknown, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    throw new Error(`createModel: ${field} is ${show(v)} (need an integer from ${min} to ${max})`);
  }
  return v as number;
}

/** Why fit() cannot use workers here, or null when it can. */
function noWorkersReason(mod: CoreModule, fused: FusedPlan | null): string | null {
  const here = runtimeInfo();
  const runtime = `this runtime (${here.name}${here.version && here.name !== 'browser' ? ` ${here.version}` : ''})`;
  if (!here.workers) return `${runtime} has no workers (neither worker_threads nor Web Workers)`;
  if (!fused) return 'the update runs through the TypeScript reference path, which workers do not run';
  if (!sharesMemory(mod.build)) {
    return threadsAvailable() ? `the model uses the single-threaded build (build: "${mod.build}")`
      : typeof SharedArrayBuffer === 'undefined' ? `${runtime} has no SharedArrayBuffer`
      : (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false
        ? 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
        : `${runtime} cannot share WebAssembly memory`;
  }
  return null;
}

/**
 * The build to load for a choice: a relaxed one only where the engine has relaxed SIMD, else its baseline
 * twin, with a notice saying why. A core given as `wasm` is the build it is (loadCoreModule checks it).
 */
function chooseBuild(choice: BuildChoice, wasm: CoreSource | undefined, warn: (message: string) => void): BuildChoice {
  if (wasm || !asksRelaxed(choice) || relaxedSimdAvailable()) return choice;
  const here = runtimeInfo();
  const fallback = baselineOf(choice);
  const runs = fallback === 'auto' ? (threadsAvailable() ? 'threads' : 'single') : fallback;
  warn(`gradnoise: build "${choice}" needs relaxed SIMD (f32x4.relaxed_madd), which this runtime ` +
    `(${here.name}${here.version && here.name !== 'browser' ? ` ${here.version}` : ''}) does not have ` +
    `(Chromium, Deno and Bun have it; Node 20 only when started with --experimental-wasm-relaxed-simd); ` +
    `the model runs the baseline ${runs} build, with the deterministic bits.`);
  return fallback;
}

/** Compiles the spec onto the core and initialises the parameters from the seed. */
export async function createModel(spec: ModelSpec, options: ModelOptions = {}): Promise<Model> {
  checkFields('createModel', options, MODEL_FIELDS);
  const wasm = options.wasm;
  const batchSize = options.batchSize ?? 32;
  const seed = options.seed ?? 0;
  const shards = options.shards ?? 4;
  if (options.workers !== undefined && options.workers !== 'auto') checkCount('workers', options.workers, 0, shards);
  const warn = options.onWarning ?? console.warn;
  const optimizer = validateChain(options.optimizer ?? sgd({ lr: 0.01 }));
  const lowered = options.fuse === false ? { fused: null, reasons: ['fuse: false'] } : lowerChain(optimizer);
  const mod = await loadCoreModule(chooseBuild(options.build ?? 'auto', wasm, warn), readCoreBuild, options.wasm).catch((e: unknown) => {
    // Bytes that are no wasm, or a module that is not this core (other imports, no arena_base export).
    if (wasm && (e instanceof WebAssembly.CompileError || e instanceof WebAssembly.LinkError || e instanceof TypeError)) {
      const what = wasm instanceof WebAssembly.Module ? 'a compiled module' : `${wasm.byteLength} bytes`;
      throw new Error(`createModel: wasm is not gradnoise's core (${what}: ${(e as Error).message})`, { cause: e });
    }
    throw e;
  });
  // Workers need the threads build and a fused update. The notice says why not, unless the caller's own
  // explicit choice (fuse: false, build: "single", workers: 0) already says it. 'auto' (the default) is
  // the cores there are, so fit() is as fast as the runtime allows; the shards, not the workers, decide
  // the bits.
  const asked = options.workers ?? 'auto';
  const cores = Math.max(1, await hardwareThreads());
  let workers = asked === 'auto' ? Math.min(cores, shards) : asked;
  const why = workers > 0 ? noWorkersReason(mod, lowered.fused) : null;
  // 'auto' names no count: how many cores a machine has is not the caller's choice.
  const inline = !why ? '' : asked === 'auto' ? '; fit() trains inline on the calling thread, not on worker threads'
    : `; fit() trains inline on the calling thread, not on ${workers} worker${workers > 1 ? 's' : ''}`;
  if (!lowered.fused && options.fuse !== false) {
    warn(`gradnoise: the update [${optimizer.transforms.map((t) => t.name).join(', ')}] ` +
      `cannot be fused (${lowered.reasons.join('; ')}); it runs through the slower TypeScript reference path${inline}`);
  } else if (why && ((options.workers !== undefined && asked !== 'auto') || (options.fuse !== false && options.build !== 'single' && options.build !== 'single-relaxed'))) {
    warn(`gradnoise: ${why}${inline}. The results are the same bits.`);
  }
  if (why) workers = 0;
  // The noise added after clipping is drawn ahead into a planned block: with two or more workers by
  // whoever waits at the barrier after the shards (runtime/parallel.ts), inline by a helper thread
  // (runtime/helper.ts) where workers could run and there is a core to spare.
  const f = lowered.fused;
  const helper = workers === 0 && options.noiseHelper !== false && f !== null && noiseAheadApplies(f) && cores >= 2 &&
    noWorkersReason(mod, f) === null;
  const noiseSlots = (workers >= 2 || helper) && f !== null && noiseAheadApplies(f) ? 1 : 0;
  const net = new Network(mod, toGraph(spec), { maxRows: batchSize, seed, stateSlots: f ? stateSlotsOf(f) : 0, shards, noiseSlots });
  if (lowered.fused) initState(net, lowered.fused);
  // The reference path keeps the chain's own state, in the JS heap, initialised from the parameters.
  const reference = lowered.fused ? null : { chain: optimizer, state: optimizer.init(net.paramDecls.map((d) => net.f32(net.plan.paramTensors.get(d.name)!.offset, d.elements).slice())) };
  const engine = new Engine(net, lowered.fused ? new FusedUpdater(net, lowered.fused) : null, reference);
  const useHelper = helper && helperFits(engine.units);
  return new Model(engine, mod, batchSize, optimizer, lowered.fused, workers, why, warn, useHelper);
}

/**
 * Options of loadModel(): createModel's, except what a checkpoint decides (the spec and the seed). With
 * layout 'pytorch', the file is a PyTorch state_dict: `spec` is the graph to build (default: the one that
 * save({ layout: 'pytorch' }) stored in the file) and `seed` the model's seed (default 0).
 */
export type LoadModelOptions = Omit<ModelOptions, 'seed'> & LoadOptions & {
  readonly spec?: ModelSpec;
  readonly seed?: number;
};

/** A checkpoint's bytes, or in Node-like runtimes its path. */
export type CheckpointSource = string | Uint8Array | ArrayBuffer;

async function readCheckpoint(where: string, source: CheckpointSource): Promise<{ bytes: Uint8Array | ArrayBuffer; name: string }> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return { bytes: source, name: '<bytes>' };
  if (typeof source !== 'string') throw new Error(`${where}: need a path, a Uint8Array or an ArrayBuffer, got ${show(source)}`);
  return { bytes: await readLocalFile(where, source), name: source };
}

/**
 * Builds the model a checkpoint was saved from (its spec, seed, shards, batch size and optimizer) and
 * restores its training state: training on continues in the bits of the uninterrupted run, on any number
 * of workers. `options` may choose the workers and build, or override the optimizer, shards or batchSize
 * (the bits then differ from the uninterrupted run).
 */
export async function loadModel(source: CheckpointSource, options: LoadModelOptions = {}): Promise<Model> {
  checkFields('loadModel', options, { ...LOAD_MODEL_FIELDS, ...LOAD_FIELDS, spec: anything, seed: anything });
  checkLayoutOptions('loadModel', options);
  if (options.layout === 'pytorch') return loadPytorchModel(source, options);
  if (options.spec !== undefined || options.seed !== undefined) throw new Error('loadModel: spec and seed apply to layout "pytorch" only (a checkpoint holds its own)');
  const { bytes, name } = await readCheckpoint('loadModel', source);
  const ck = decodeCheckpoint(bytes, name);
  let optimizer: GradientTransformation;
  try {
    optimizer = options.optimizer ?? fromDescription(ck.meta.optimizer, 'optimizer');
  } catch (e) {
    throw new Error(`checkpoint ${name}: metadata ${(e as Error).message}`, { cause: e });
  }
  const model = await createModel(ck.meta.spec, {
    ...options, optimizer, seed: ck.meta.seed, shards: options.shards ?? ck.meta.shards, batchSize: options.batchSize ?? ck.meta.batchSize,
  }).catch((e: unknown) => { throw new Error(`checkpoint ${name}: cannot build its model: ${(e as Error).message}`, { cause: e }); });
  try {
    model.restoreCheckpoint(ck, name);
  } catch (e) {
    await model.dispose();
    throw e;
  }
  return model;
}

/** loadModel() of a PyTorch state_dict: the graph given or stored in the file, its parameters from the file. */
async function loadPytorchModel(source: CheckpointSource, options: LoadModelOptions): Promise<Model> {
  const { layout: _layout, spec, seed, names, strict, ...rest } = options;
  const { bytes, name } = await readCheckpoint('loadModel', source);
  const u8 = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  const stored = pytorchGraphOf(u8, name);
  if (spec === undefined && stored === null) {
    throw new Error(`loadModel ${name} (layout pytorch): the file names no gradnoise graph (a PyTorch state_dict does not): pass the graph that matches it as options.spec`);
  }
  const model = await createModel(spec ?? stored!.spec, { ...rest, ...(seed !== undefined ? { seed } : {}) });
  try {
    model.restorePytorch(u8, { names: names ?? (spec === undefined ? stored!.names : undefined), strict }, 'loadModel', name);
  } catch (e) {
    await model.dispose();
    throw e;
  }
  return model;
}

// One message however far a fit() on workers had got (its pool starting, or running) when dispose() came.
const DISPOSED_DURING_FIT = 'gradnoise: the model was disposed during fit()';

// A model dropped without dispose() still ends its workers once it is collected. Runtimes without
// FinalizationRegistry (workerd, by its compatibility date) have no workers to end either.
const orphans = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<Promise<Pool>>((pool) => { void pool.then((p) => p.terminate(), () => {}); })
  : null;
const orphanHelpers = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<NoiseHelper>((h) => { void h.terminate(); })
  : null;

export class Model {
  private lastRows = 0;
  private disposed = false;
  private running: 'inline' | 'workers' | null = null;
  private pool: Promise<Pool> | null = null;
  /** The noise helper of inline fits, started by the first one. */
  private helper: NoiseHelper | null = null;
  /** The calling thread's profiler recorder, made by the first profiled inline fit(). */
  private recorder: Recorder | null = null;
  private readonly net: Network;
  private readonly signature: DataSignature;

  /** @internal use createModel() */
  constructor(private readonly engine: Engine, private readonly mod: CoreModule, readonly batchSize: number,
              readonly optimizer: Chain, private readonly fusedPlan: FusedPlan | null,
              /** Workers fit() trains on (0: inline on the calling thread). */
              readonly workers: number,
              /** Why fit() runs inline although workers were asked for (null when it does not). */
              readonly inlineReason: string | null,
              private readonly warn: (message: string) => void,
              /** Whether an inline fit() draws the noise on a helper thread (runtime/helper.ts). */
              private readonly useHelper = false) {
    this.net = engine.net;
    this.signature = signatureOf(engine.net.graph);
  }

  /** Whether an inline fit() draws the update's noise on a helper thread (ModelOptions.noiseHelper). */
  get noiseHelper(): boolean { return this.useHelper; }

  /** Whether updates run in the fused wasm pass (true) or through the chain's TypeScript reference path. */
  get isFused(): boolean { return this.engine.fused !== null; }

  /** The model's graph, every default filled in (mlp() and sequential specs become graphs). */
  get spec(): NormalizedGraph { return this.net.spec; }
  /** Names of the inputs x supplies (the network's), and of the targets y supplies (only losses read them). */
  get inputNames(): string[] { return [...this.net.graph.featureInputs]; }
  get targetNames(): string[] { return [...this.net.graph.targetInputs]; }
  /** Names of the values predict() returns. */
  get outputNames(): string[] { return [...this.net.spec.outputs]; }
  get seed(): number { return this.net.seed; }
  /** Shards per batch (the determinism contract: same shards, same bits, any workers). */
  get shards(): number { return this.net.shards; }
  /** Which core build runs this model. */
  get build(): BuildName { return this.net.core.build; }
  /** Optimizer steps taken so far. */
  get step(): number { return this.net.step; }
  /** Completed passes over the training data: the epoch counter that drives the data order. */
  get epoch(): number { return this.net.epoch; }
  /** Parameter names in layout order: `<layer>/kernel` ([inputs x units], row-major) and `<layer>/bias`. */
  get paramNames(): string[] { return [...this.net.plan.paramTensors.keys()]; }
  /** Bytes of the planned memory (the whole arena, sized once at creation). */
  get memoryBytes(): number { return this.net.core.memory.buffer.byteLength; }
  /** The layout plan (offsets of every block and tensor), for tools and docs. */
  get layout() { return this.net.plan; }
  /**
   * The planned step: buffers of one shard's activation region and its size with lifetime reuse and
   * without (graph/plan.ts), for tools and docs/memory.md.
   */
  get plan(): { readonly rows: number; readonly buffers: number; readonly regionBytes: number; readonly regionBytesNoReuse: number } {
    const p = this.net.program;
    return { rows: p.rows, buffers: p.buffers.length, regionBytes: p.regionBytes, regionBytesNoReuse: p.regionBytesNoReuse };
  }

  // Every method passes here: a disposed model refuses everything; during fit() on workers the memory is
  // theirs, and during an inline fit() only reads may interleave (from its callbacks).
  private live(where: string, read = false): Network {
    if (this.disposed) throw new Error(`${where}: the model has been disposed`);
    if (this.running === 'workers' || (this.running === 'inline' && !read)) {
      throw new Error(`${where}: the model is training (fit() in progress${this.running === 'workers' ? ' on workers' : ''}); await it first`);
    }
    return this.net;
  }

  private tensor(where: string, name: string, read = true) {
    const p = this.live(where, read).plan.paramTensors.get(name);
    if (!p) throw new Error(`${where}: no parameter "${name}" (have: ${this.paramNames.join(', ')})`);
    return p;
  }

  /** A copy of a parameter tensor. */
  getParam(name: string): Float32Array {
    const p = this.tensor('getParam', name);
    return this.net.f32(p.offset, p.elements).slice();
  }

  /** Overwrites a parameter tensor (same length, finite values). */
  setParam(name: string, values: Float32Array): void {
    const p = this.tensor('setParam', name, false);
    if (!(values instanceof Float32Array) || values.length !== p.elements) {
      throw new Error(`setParam: "${name}" needs a Float32Array of ${p.elements} values, got ${values?.constructor?.name ?? show(values)} of length ${(values as { length?: number })?.length}`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw new Error(`setParam: "${name}"[${i}] is ${values[i]}: values must be finite`);
    }
    this.net.f32(p.offset, p.elements).set(values);
  }

  /** Every parameter, copied, by name in layout order. */
  getWeights(): Map<string, Float32Array> {
    return new Map(this.paramNames.map((n) => [n, this.getParam(n)]));
  }

  /**
   * The gradient of the MEAN loss of the batch given to the last computeGradients() call, with respect to
   * a parameter (what PyTorch leaves in .grad after loss.mean().backward()). A training step consumes its
   * gradients (the fused update zeroes them), so after one there is none until computeGradients().
   */
  getGrad(name: string): Float32Array {
    const p = this.tensor('getGrad', name);
    if (this.lastRows === 0) throw new Error('getGrad: no gradient (call computeGradients() first; a training step consumes its gradients)');
    const g = this.net.f32(p.offset + this.net.gradShift(0), p.elements).slice();
    const scale = Math.fround(1 / this.lastRows);
    for (let i = 0; i < g.length; i++) g[i] = Math.fround(g[i]! * scale);
    return g;
  }

  // One step on batch rows order[from ..] (or from ..) of the data; a refused step drops its gradients and
  // rethrows. With a helper, it draws the step's noise while the gradients are computed.
  private inlineStep(where: string, data: Staged, order: ArrayLike<number> | null, from: number, rows: number, helper: NoiseHelper | null = null): { loss: number; correct: number; count: number; metrics: StepMetrics } {
    const { engine } = this;
    this.lastRows = 0;
    try {
      if (helper) helper.publish((hyper) => engine.fused!.prepare(hyper, rows, this.net.step));
      const { loss, correct, count } = engine.gradients(where, data, order, from, rows);
      return { loss, correct, count, metrics: engine.update(where, rows, helper ? () => helper.ready() : undefined) };
    } catch (e) {
      if (e instanceof NonFiniteError) engine.dropGradients();
      throw e;
    }
  }

  /** Forward and backward on one batch (at most batchSize examples), no update; returns the mean loss. */
  computeGradients(x: Inputs, y: Targets): number {
    this.live('computeGradients');
    const s = stage('computeGradients', this.signature, x, y, true);
    if (s.count > this.batchSize) throw new Error(`computeGradients: ${s.count} examples exceed the model's batchSize ${this.batchSize}`);
    this.lastRows = 0;
    const { loss } = this.engine.gradients('computeGradients', s, null, 0, s.count);
    this.lastRows = s.count;
    return loss / s.count;
  }

  /** One optimizer step on one batch (at most batchSize examples). */
  trainOnBatch(x: Inputs, y: Targets): StepMetrics & { loss: number; accuracy: number } {
    this.live('trainOnBatch');
    const s = stage('trainOnBatch', this.signature, x, y, true);
    if (s.count > this.batchSize) throw new Error(`trainOnBatch: ${s.count} examples exceed the model's batchSize ${this.batchSize}`);
    const { loss, correct, count, metrics } = this.inlineStep('trainOnBatch', s, null, 0, s.count);
    return { ...metrics, loss: loss / s.count, accuracy: accuracyOf(correct, count) };
  }

  // The pool, started at the first fit() on workers and again after a failure broke it (the broken one is
  // ended first: its surviving workers must not linger). this.pool is set before any await, so that a
  // dispose() at any moment finds the pool to end.
  private workerPool(): Promise<Pool> {
    const previous = this.pool;
    const next = (async () => {
      const old = previous ? await previous.catch(() => null) : null;
      if (old && !old.broken) return old;
      if (old) await old.terminate();
      const spin = ((globalThis as Record<symbol, unknown>)[SPIN_HOOK] as SpinPolicy | undefined)
        ?? { max: (await hardwareThreads()) >= this.workers ? 50000 : 0, adaptive: true };
      if (this.disposed) throw new Error(DISPOSED_DURING_FIT);
      return Pool.start(this.mod, this.net, this.fusedPlan!, this.workers, spin);
    })();
    if (previous) orphans?.unregister(this);
    this.pool = next;
    orphans?.register(this, next, this);
    return next;
  }

  /**
   * Checks x and y once and copies them into the form fit() and evaluate() read (shared memory where
   * there is any): pass the result in place of (x, y) to train on the same examples in many fit() calls
   * without checking and copying them each time. A snapshot of the arrays as they are now; with
   * `copy: false`, the arrays themselves where this model can train from them (inline, or already in
   * shared memory), which saves the copy's memory: then they must not change while it is in use.
   */
  prepare(x: Inputs, y: Targets, options: { readonly copy?: boolean } = {}): PreparedData {
    // Only the model's shape is read: preparing the next data while fit() runs is fine.
    if (this.disposed) throw new Error('prepare: the model has been disposed');
    checkFields('prepare', options, { copy: optional(boolean) });
    const copy = options.copy ?? true;
    return prepareData('prepare', this.signature, x, y, { copy, shared: copy || this.workers > 0 });
  }

  /** Trains for `epochs` passes over (x, y), or over prepared data, with seeded shuffling. */
  fit(x: Inputs, y: Targets, options?: FitOptions): Promise<FitHistory>;
  fit(data: PreparedData, options?: FitOptions): Promise<FitHistory>;
  async fit(a: Inputs | PreparedData, b?: Targets | FitOptions, c?: FitOptions): Promise<FitHistory> {
    const prepared = a instanceof PreparedData ? a : null;
    if (prepared && (ArrayBuffer.isView(b) || c !== undefined)) {
      throw new Error('fit: a PreparedData holds its labels; the options come second: fit(data, options)');
    }
    if (prepared && b instanceof PreparedData) throw new Error('fit: the second argument is a PreparedData: pass test data as fit(data, { validation })');
    const options: FitOptions = (prepared ? b as FitOptions | undefined : c) ?? {};
    const net = this.live('fit');
    checkFields('fit', options, FIT_FIELDS);
    const maxSteps = options.steps ?? Infinity;
    if (options.steps !== undefined && (!Number.isSafeInteger(maxSteps) || maxSteps < 0)) {
      throw new Error(`fit: steps is ${show(options.steps)} (need an integer >= 0)`);
    }
    const epochs = options.epochs ?? (options.steps !== undefined ? Infinity : 1);
    if (!(epochs === Infinity && options.steps !== undefined) && (!Number.isInteger(epochs) || epochs < 0)) {
      throw new Error(`fit: epochs is ${show(epochs)} (need an integer >= 0${options.steps === undefined ? '; Infinity only with steps' : ''})`);
    }
    const batch = checkBatchSize('fit', options.batchSize ?? this.batchSize, this.batchSize);
    const seed = options.seed ?? net.seed;
    if (!isSeed(seed)) throw new Error(`fit: seed is ${show(seed)} (need an integer from 0 to 2^53 - 1)`);
    const s = prepared ? prepared.for('fit', this.signature) : stage('fit', this.signature, a as Inputs, b as Targets, true);
    if (batch > s.count) throw new Error(`fit: batchSize ${batch} is larger than the ${s.count} examples given`);
    const v = options.validation;
    const val = v === undefined ? null : v instanceof PreparedData ? v.for('fit validation', this.signature) : stage('fit validation', this.signature, v.x, v.y, true);
    const nonFinite = options.nonFinite ?? 'throw';
    const profile = profileWindow('fit', options.profile);
    const cfg: LoopConfig = { count: s.count, epochs, batch, shuffle: options.shuffle ?? true, seed, dropLast: options.dropLast ?? false, nonFinite, maxSteps };
    const pos = net.position;
    if (pos.batch > 0 && !continues(pos, cfg)) {
      const order = (o: { count: number; seed: number; shuffle: boolean; dropLast: boolean }, b: number) =>
        `${o.count} examples, batchSize ${b}, seed ${o.seed}${o.shuffle ? '' : ', no shuffle'}${o.dropLast ? ', dropLast' : ''}`;
      this.warn(`gradnoise: fit: the previous fit() stopped after batch ${pos.batch} of epoch index ${net.epoch}, in another data order ` +
        `(${order(pos, pos.batchSize)}; now ${order(cfg, cfg.batch)}): that epoch starts again from its first batch`);
      net.position = { ...pos, batch: 0 };
    }
    this.lastRows = 0;

    if (this.workers > 0) {
      this.running = 'workers';
      try {
        const pool = await this.workerPool();
        if (this.disposed) throw new Error(DISPOSED_DURING_FIT);
        return await pool.fit(s, val, cfg, options, profile);
      } finally {
        this.running = null;
      }
    }

    this.running = 'inline';
    let yieldAt = performance.now() + 20;
    const helper = this.startHelper();
    const rec = profile ? (this.recorder ??= new Recorder()) : null;
    this.engine.attachRecorder(rec);
    helper?.takeRecord(); // spans of an earlier call, if it stopped mid-request
    helper?.record(false);
    let recording = false; // what the helper was last told (told again only when it changes)
    const t0 = net.step;
    try {
      const history = await trainLoop(net, cfg, {
        step: (order, from, rows) => {
          const on = inWindow(profile, t0, net.step);
          this.engine.record(on);
          if (profile !== null && on !== recording) helper?.record(recording = on);
          const sp = this.engine.spans, ts = sp ? sp.rec.now() : 0;
          const r = this.inlineStep('fit', s, order, from, rows, helper);
          if (sp) sp.rec.span(sp.step, ts, sp.rec.now());
          return r;
        },
      }, {
        aborted: () => options.signal?.aborted ?? false,
        onStep: (info) => options.onStep?.(info),
        onEpoch: (info) => options.onEpoch?.(info),
        ...(val ? { validate: () => evaluateStaged(this.engine, val, 'fit validation') } : {}),
        pause: () => {
          if (performance.now() < yieldAt) return;
          yieldAt = performance.now() + 20;
          return yieldToEventLoop();
        },
        check: () => { if (this.disposed) throw new Error('fit: the model has been disposed'); },
      });
      return profile ? { ...history, profile: this.inlineTrace(rec!, helper, profile) } : history;
    } finally {
      this.running = null;
      this.engine.attachRecorder(null);
      helper?.record(false);
    }
  }

  // The noise helper of inline fits: started by the first one that can use it (its steps then draw their
  // own noise until it is up), ended by dispose().
  private startHelper(): NoiseHelper | null {
    if (!this.useHelper) return null;
    if (!this.helper) {
      // The callback holds the warning function only, not the model: a helper still starting (or ending)
      // after dispose() must not keep a disposed model reachable.
      const warn = this.warn;
      this.helper = NoiseHelper.start(this.mod, this.net, this.engine.fused!, (e) => {
        warn(`gradnoise: the noise helper thread stopped or could not start (${e.message}); fit() draws the noise on the calling thread. The results are the same bits.`);
      });
      orphanHelpers?.register(this, this.helper, this.helper);
    }
    return this.helper;
  }

  // The trace of an inline fit(): the calling thread's spans and the helper's.
  private inlineTrace(rec: Recorder, helper: NoiseHelper | null, w: ProfileWindow) {
    const helperRecord = helper?.takeRecord() ?? null;
    return toTrace([
      { tid: 1, label: 'calling thread (inline training)', record: rec.take() },
      ...(helperRecord ? [{ tid: 2, label: 'noise helper', record: helperRecord }] : []),
    ], { workers: 0, shards: this.net.shards, from: w.from, steps: w.steps, noiseHelper: helper !== null });
  }

  /** Mean loss and accuracy over (x, y), in batches of batchSize, without touching the parameters. */
  evaluate(x: Inputs, y: Targets): Evaluation;
  evaluate(data: PreparedData): Evaluation;
  evaluate(x: Inputs | PreparedData, y?: Targets, ...more: unknown[]): Evaluation {
    noMoreArguments('evaluate', more, 'it evaluates in chunks of its own');
    this.live('evaluate');
    if (x instanceof PreparedData && y !== undefined) throw new Error('evaluate: a PreparedData holds its labels: evaluate(data), without y');
    return evaluateStaged(this.engine, x instanceof PreparedData ? x.for('evaluate', this.signature) : stage('evaluate', this.signature, x, y, true));
  }

  /**
   * The network's outputs for x (logits for softmaxCrossEntropy), examples x the output's shape,
   * row-major: one array when the graph has one output, else an object by output name.
   */
  predict(x: Inputs): Float32Array;
  predict(x: Inputs, options: { readonly all: true }): Record<string, Float32Array>;
  predict(x: Inputs, options: { readonly all?: boolean } = {}, ...more: unknown[]): Float32Array | Record<string, Float32Array> {
    noMoreArguments('predict', more, 'it predicts in chunks of its own');
    this.live('predict');
    checkFields('predict', options, PREDICT_FIELDS);
    const s: Staged = stage('predict', this.signature, x, undefined, false);
    const names = this.net.spec.outputs;
    if (names.length > 1 && !options.all) {
      throw new Error(`predict: the graph has ${names.length} outputs (${names.join(', ')}); predict(x, { all: true }) returns them by name`);
    }
    const out = names.map((n) => new Float32Array(s.count * this.net.graph.types.get(n)!.shape.reduce((a, b) => a * b, 1)));
    const chunk = this.net.cap;
    for (let from = 0; from < s.count; from += chunk) {
      const rows = Math.min(chunk, s.count - from);
      this.engine.infer('predict', s, from, rows, false);
      names.forEach((n, i) => out[i]!.set(this.net.output(n, 0, rows) as never, from * (out[i]!.length / s.count)));
    }
    return options.all ? Object.fromEntries(names.map((n, i) => [n, out[i]!])) : out[0]!;
  }

  /**
   * The whole training state as a checkpoint: a safetensors file (docs/checkpoints.md) holding the
   * parameters by layer, the optimizer state, and in its metadata the spec, optimizer, seed, step and
   * position in the data order. May be called from fit()'s callbacks when it trains inline, not while it
   * trains on workers (to checkpoint during a long run, call fit({ steps: N }) repeatedly and save between).
   * With { layout: 'pytorch' }: the parameters alone as PyTorch's state_dict (SaveOptions, docs/export.md).
   */
  toBytes(options: SaveOptions = {}): Uint8Array {
    this.live('toBytes', true);
    checkFields('toBytes', options, SAVE_FIELDS);
    checkLayoutOptions('toBytes', options);
    if (options.layout !== 'pytorch') return snapshot(this.snapshotSource());
    const weights = this.getWeights();
    checkParams('toBytes', this.net.spec.params, weights);
    return encodePytorch(this.net.spec, weights, { names: options.names }, 'toBytes');
  }

  /**
   * Restores a checkpoint from toBytes() or save(): parameters, optimizer state, step, epoch and position
   * in the data order. The file is checked completely first (structure, metadata, layout hash, CRC-32,
   * shapes against this model, finite values); on any problem this throws and the model is unchanged.
   * With { layout: 'pytorch' }: the parameters from a PyTorch state_dict, checked as completely (LoadOptions).
   */
  loadBytes(bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): void {
    this.live('loadBytes');
    checkFields('loadBytes', options, LOAD_FIELDS);
    checkLayoutOptions('loadBytes', options);
    if (options.layout === 'pytorch') this.restorePytorch(bytes, options, 'loadBytes', '<bytes>');
    else this.restoreCheckpoint(decodeCheckpoint(bytes), '<bytes>');
  }

  /**
   * The model as an ONNX model (opset 17) for inference in ONNX Runtime (onnxruntime-web in browsers and
   * Node, onnxruntime-node, any server that reads ONNX): the graph's inputs and outputs under their names,
   * with a dynamic batch dimension; the losses are left out and dropout is the identity. Its bytes, for a
   * file or InferenceSession.create(bytes). docs/export.md says how each op is written.
   */
  async toOnnx(options: OnnxOptions = {}): Promise<Uint8Array> {
    this.live('toOnnx', true);
    return exportOnnx(this.net.spec, this.getWeights(), options);
  }

  /** Node-like runtimes: writes toBytes(options) to `path` atomically (temporary file, fsync, rename). */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    if (typeof path !== 'string' || path === '') throw new Error(`save: path is ${show(path)} (need a file path)`);
    checkFields('save', options, SAVE_FIELDS);
    const bytes = this.toBytes(options);
    const hook = (globalThis as Record<symbol, { onSaveProgress?: (written: number, total: number) => void } | undefined>)[FAULT_HOOK];
    await writeLocalFileAtomic('save', path, bytes, hook?.onSaveProgress);
  }

  /** Node-like runtimes: loadBytes() of the file at `path`. */
  async load(path: string, options: LoadOptions = {}): Promise<void> {
    this.live('load');
    checkFields('load', options, LOAD_FIELDS);
    checkLayoutOptions('load', options);
    const { bytes, name } = await readCheckpoint('load', path);
    if (options.layout === 'pytorch') this.restorePytorch(bytes, options, 'load', name);
    else this.restoreCheckpoint(decodeCheckpoint(bytes, name), name);
  }

  /**
   * @internal load / loadBytes / loadModel with layout 'pytorch': the parameters (only: the optimizer state,
   * step and data position stay) from a PyTorch state_dict, checked completely before any is written.
   */
  restorePytorch(bytes: Uint8Array | ArrayBuffer, options: PytorchReadOptions, where: string, source: string): void {
    this.live(where);
    const params = decodePytorch(this.net.spec, bytes, options, where, source);
    for (const [name, values] of params) this.setParam(name, values);
    this.engine.dropGradients();
    this.lastRows = 0;
  }

  /** @internal loadModel() and the load methods: a decoded checkpoint into this model. */
  restoreCheckpoint(ck: Checkpoint, source: string): void {
    this.live('load');
    restore(this.snapshotSource(), ck, { source, warn: this.warn });
    this.lastRows = 0;
  }

  /**
   * Moves this model's training state (parameters, optimizer state, step, epoch) into `to`: a model of the
   * same parameters, optimizer, seed and shards whose graph differs elsewhere, such as the same network
   * built for another input width. Training on `to` then goes on in the bits it would have had here.
   * Neither model may be training.
   */
  moveStateTo(to: Model): void {
    this.live('moveStateTo');
    if (!(to instanceof Model)) throw new Error(`moveStateTo: to is ${show(to)} (need a Model)`);
    to.live('moveStateTo (the target)');
    if (to === this) return;
    transferState(this.snapshotSource(), to.snapshotSource(), 'moveStateTo');
    to.lastRows = 0;
  }

  private snapshotSource() {
    return { engine: this.engine, optimizer: this.optimizer, fusedPlan: this.fusedPlan, batchSize: this.batchSize };
  }

  /**
   * Ends the model: every later call throws, a fit() on workers rejects at once (an inline one at its next
   * yield), and every worker ends. The planned memory is freed when the model is no longer referenced.
   * Resolves when the workers have exited.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    const pool = this.pool;
    this.pool = null;
    orphans?.unregister(this);
    const helper = this.helper;
    this.helper = null;
    if (helper) orphanHelpers?.unregister(helper);
    await helper?.terminate();
    if (pool) await (await pool.catch(() => null))?.terminate();
  }
}
