// One restart of the paper's algorithm-learning experiment (Neelakantan et al. 2015, Table 6): a Neural GPU
// (model/neuralgpu.ts) trained on a binary task (tasks/algorithmic.ts: addition, multiplication, copy,
// reverse) with Kaiser & Sutskever's curriculum over lengths, Adam, gradient clipping and, optionally, the
// paper's annealed noise after clipping; then tested at longer lengths (generalisation is the point), with
// the error per digit and per sequence.
//
// The graph has a fixed width, and as many steps as columns. With `lengthGraphs` off, one graph of the
// training length's width trains every batch, padded to it, whatever length the curriculum drew; the model
// then learns dynamics of exactly that many steps and does not carry them to longer inputs. With it on (as
// the released code's length bins), each batch runs on the graph of its own length's width (lengths past 8
// rounded up to a multiple of 4, to bound the graphs); the models share one training state, moved between
// them (Model.moveStateTo) with the bits of a single model. Testing at a longer length builds the graph for
// that width and copies the weights by name (they do not depend on the width). With `maxStepRatio` r > 1,
// each training batch runs its graph for k times as many steps as it has columns, k drawn from 1 .. r per
// step, so that the model learns to hold a finished result however long it keeps running (tests run one
// step per column, as the graph's default). Relaxed parameter sharing:
// `relax` sets of CGRU parameters used in turn over the steps, pulled towards their mean after every chunk
// of steps by a factor `pull` (decoupled, like AdamW's weight decay; the released code adds pull times
// their distance to the loss), which grows by `pullGrowth` per chunk; at the end every set takes the mean.
import { arrayOf, checkFields, int, nullable, nullish, number, oneOf, optional, boolean } from '../core/check.js';
import { adam, addNoise, chain, clipByGlobalNorm } from '../optim/transforms.js';
import { createModel, type Model } from '../runtime/model.js';
import { weightsSha256 } from '../runs/config.js';
import {
  advanceCurriculum, algorithmicBatch, algorithmicTask, checkLayout, curriculumLength, curriculumOf, errorRatesFromLogits, INPUT_LAYOUTS, inputWidth, OUTPUT_CLASSES, vocabSize,
  type AlgorithmicTaskName, type InputLayout,
} from '../tasks/algorithmic.js';
import { neuralGpu } from '../model/neuralgpu.js';
import { MAX_CGRU_CUTOFF } from '../graph/ops/recurrent.js';
import { RNG_DOMAIN_TASKS } from '../core/abi.js';
import { philox4x32_10 } from '../core/philox.js';
import { seedHalves } from '../core/seed.js';

export const NEURAL_GPU_LR_SCHEDULES = ['constant', 'cosine'] as const;
export type NeuralGpuLrSchedule = (typeof NEURAL_GPU_LR_SCHEDULES)[number];

export interface NeuralGpuConfig {
  readonly task: AlgorithmicTaskName;
  /** add's and mul's operands one after the other ('concat', the released code) or bit beside bit ('aligned'). */
  readonly layout: InputLayout;
  /** Digits per operand at training (the curriculum's maximum). */
  readonly trainLength: number;
  /** Digits per operand of the test sets. */
  readonly testLengths: readonly number[];
  readonly testCount: number;
  readonly seed: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly maps: number;
  readonly height: number;
  readonly layers: number;
  readonly relax: number;
  readonly pull: number;
  readonly pullGrowth: number;
  readonly dropout: number;
  readonly lr: number;
  /** Adam's learning rate over the steps: constant, or cosine decay from lr to lr / 100 at the last step. */
  readonly lrSchedule: NeuralGpuLrSchedule;
  /** Adam's epsilon (the released code: 1e-4). */
  readonly adamEps: number;
  readonly clip: number;
  /** The CGRU gates' sigmoid cutoff (1: plain sigmoid; the released code: 1.2). */
  readonly cutoff: number;
  /** Diagonal gates in every CGRU (Freivalds & Liepins 2017; src/model/neuralgpu.ts). */
  readonly diagonal: boolean;
  /** The CGRU kernels' uniform unit scaling factor (null: Glorot uniform, the same as 1; the released code: 1.8). */
  readonly initScale: number | null;
  /** The paper's noise after clipping, or none. */
  readonly noise: { readonly eta: number; readonly gamma: number } | null;
  readonly curriculum: boolean;
  /** Each batch on the graph of its own length (true), or every batch padded to the training length's graph. */
  readonly lengthGraphs: boolean;
  /** Training batches run k steps per column, k drawn uniformly from 1 .. maxStepRatio per step (1: one step per column). */
  readonly maxStepRatio: number;
  /** Steps per fit() call, between which the curriculum advances and the relaxed sets are pulled. */
  readonly chunk: number;
  /**
   * Tests at every test length every this many steps (at the end of the chunk that reaches it; 0: never),
   * on sums of their own draw, so that a record shows when a restart generalised. Training is unchanged.
   * With relaxed sharing, a probe tests the sets as they are, before the final merge.
   */
  readonly probeEvery: number;
  readonly shards: number;
}

/**
 * A scale at which a restart is quick on one core (docs/EXPERIMENTS.md says how quick, and what it costs).
 * The fields added later (layout, lrSchedule, adamEps, cutoff, diagonal, initScale, lengthGraphs, maxStepRatio, probeEvery)
 * default to the value every earlier restart had, so a stored config without them replays as it ran;
 * `gradnoise reproduce neuralgpu` asks for the released code's cutoff and a graph per length, which the
 * model needs to generalise.
 */
export const DEFAULT_NEURAL_GPU_CONFIG: NeuralGpuConfig = {
  task: 'add', layout: 'concat', trainLength: 8, testLengths: [8, 16, 40], testCount: 256, seed: 1, steps: 6000, batchSize: 16,
  maps: 12, height: 2, layers: 2, relax: 1, pull: 0.0005, pullGrowth: 1.05, dropout: 0, lr: 0.003, lrSchedule: 'constant', adamEps: 1e-8, clip: 1, cutoff: 1, diagonal: false,
  initScale: null, noise: null, curriculum: true, lengthGraphs: false, maxStepRatio: 1, chunk: 50, probeEvery: 0, shards: 4,
};

export function resolveNeuralGpuConfig(partial: unknown, where = 'neuralgpu config'): NeuralGpuConfig {
  const o = checkFields<Partial<NeuralGpuConfig>>(where, partial, {
    task: nullish(oneOf(['add', 'mul', 'copy', 'reverse'])), layout: nullish(oneOf(INPUT_LAYOUTS)), trainLength: nullish(int(1, 1000)), testLengths: nullish(arrayOf(int(1, 100000), { minLength: 1 })),
    testCount: nullish(int(1, 1 << 20)), seed: nullish(int(0)), steps: nullish(int(0, 1e9)), batchSize: nullish(int(1, 65536)),
    maps: nullish(int(1, 1024)), height: nullish(int(1, 64)), layers: nullish(int(1, 16)), relax: nullish(int(1, 64)),
    pull: nullish(number({ min: 0 })), pullGrowth: nullish(number({ min: 1 })), dropout: nullish(number({ min: 0, max: 1, maxOpen: true })),
    lr: nullish(number({ min: 0, minOpen: true })), lrSchedule: nullish(oneOf(NEURAL_GPU_LR_SCHEDULES)), adamEps: nullish(number({ min: 0, minOpen: true })), clip: nullish(number({ min: 0, minOpen: true })),
    cutoff: nullish(number({ min: 1, max: MAX_CGRU_CUTOFF })), diagonal: nullish(boolean), initScale: optional(nullable(number({ min: 0, minOpen: true, max: 100 }))),
    noise: optional(nullable(Object.assign((v: unknown) => (typeof v === 'object' && v !== null && Object.keys(v).sort().join() === 'eta,gamma' &&
      (v as { eta: number }).eta > 0 && (v as { gamma: number }).gamma >= 0 ? undefined : ` is ${JSON.stringify(v)} (need { eta, gamma })`), { need: '{ eta, gamma }' }))),
    curriculum: nullish(boolean), lengthGraphs: nullish(boolean), maxStepRatio: nullish(int(1, 64)), chunk: nullish(int(1, 1e6)), probeEvery: nullish(int(0, 1e9)), shards: nullish(int(1, 64)),
  });
  const c = { ...DEFAULT_NEURAL_GPU_CONFIG } as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) if (v !== undefined && (v !== null || k === 'noise' || k === 'initScale')) c[k] = v;
  checkLayout(where, 'layout', c.task as AlgorithmicTaskName, c.layout);
  return c as unknown as NeuralGpuConfig;
}

export interface NeuralGpuChunk {
  readonly step: number;
  /** Digits of the curriculum's current maximum. */
  readonly length: number;
  readonly loss: number;
  /** Errors on a fresh batch at the current curriculum length. */
  readonly digitError: number;
  readonly sequenceError: number;
  readonly examplesPerSecond: number;
}

export interface NeuralGpuTest { readonly length: number; readonly digitError: number; readonly sequenceError: number }

export interface NeuralGpuResult {
  readonly config: NeuralGpuConfig;
  readonly chunks: readonly NeuralGpuChunk[];
  /** Per test length (digits): errors per digit and per sequence. */
  readonly tests: readonly NeuralGpuTest[];
  /** With probeEvery, the tests during training, by step. */
  readonly probes: readonly { readonly step: number; readonly tests: readonly NeuralGpuTest[] }[];
  /** Examples trained on. */
  readonly examples: number;
  readonly seconds: number;
  readonly examplesPerSecond: number;
  readonly weightsSha256: string;
  readonly aborted: boolean;
  readonly diverged: string | null;
}

export interface NeuralGpuOptions {
  readonly workers?: number;
  readonly signal?: AbortSignal;
  readonly onChunk?: (c: NeuralGpuChunk, total: number) => void;
  readonly onWarning?: (m: string) => void;
  /**
   * Called with the trained model after the final tests, before it is disposed: to save its weights
   * (getWeights) or test it further. The model is the training length's graph, or the last one trained.
   */
  readonly onTrained?: (model: Model) => void | Promise<void>;
}

const taskOf = (c: NeuralGpuConfig) => algorithmicTask(c.task, { trainLength: c.trainLength, testLengths: c.testLengths, layout: c.layout });

/**
 * The graph of a restart's Neural GPU at `width` columns, running `steps` steps (default one per column);
 * its weights are shared by name across widths and step counts.
 */
export function neuralGpuGraph(c: NeuralGpuConfig, width: number, steps = width) {
  return neuralGpu({ width, steps: Math.max(steps, c.relax), vocab: vocabSize(c.layout), classes: OUTPUT_CLASSES, height: c.height, maps: c.maps, layers: c.layers, relax: c.relax, dropout: c.dropout || undefined,
    cutoff: c.cutoff === 1 ? undefined : c.cutoff, diagonal: c.diagonal || undefined, initScale: c.initScale ?? undefined });
}

// Errors of a model at `length` digits on `count` test examples (split 'test': never seen in training).
async function test(c: NeuralGpuConfig, model: Model, length: number, count: number, seed: number, onWarning?: (m: string) => void): Promise<{ digitError: number; sequenceError: number }> {
  const task = taskOf(c);
  const width = inputWidth(c.task, length, c.layout);
  const chunk = 64;
  const m = await createModel(neuralGpuGraph(c, width), { batchSize: chunk, seed: c.seed, workers: 0, shards: 1, onWarning });
  try {
    for (const [name, w] of model.getWeights()) m.setParam(name, w);
    let digitWrong = 0, digits = 0, seqWrong = 0;
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const b = algorithmicBatch(task, { seed, length, count: n, start, split: 'test', width });
      const logits = m.predict({ tokens: b.inputs });
      const e = errorRatesFromLogits(logits, b.targets, width, OUTPUT_CLASSES);
      digitWrong += e.digitErrors; digits += e.digits; seqWrong += e.sequenceErrors;
    }
    return { digitError: digitWrong / digits, sequenceError: seqWrong / count };
  } finally {
    await m.dispose();
  }
}

/** One restart: trains, then tests at every test length; the same bits for any number of workers. */
export async function runNeuralGpu(config: NeuralGpuConfig, o: NeuralGpuOptions = {}): Promise<NeuralGpuResult> {
  const c = resolveNeuralGpuConfig(config);
  const task = taskOf(c);
  const trainWidth = inputWidth(c.task, c.trainLength, c.layout);
  const noise = c.noise ? [addNoise({ eta: c.noise.eta, gamma: c.noise.gamma })] : [];
  const make = (width: number, ratio: number) => createModel(neuralGpuGraph(c, width, width * ratio), {
    batchSize: c.batchSize, seed: c.seed, shards: c.shards, workers: o.workers ?? 0, onWarning: o.onWarning,
    optimizer: chain(clipByGlobalNorm(c.clip), ...noise, adam({ lr: c.lrSchedule === 'cosine' ? { kind: 'cosineDecay', lr: c.lr, steps: Math.max(1, c.steps), minLr: c.lr / 100 } : c.lr, eps: c.adamEps })),
  });
  // The training length's model starts the run (its initial weights are the run's); the others, one per
  // width and step ratio, are made when first needed and take the state from the active one.
  let model = await make(trainWidth, 1);
  const models = new Map<string, Model>([[`${trainWidth}x1`, model]]);
  const widthOf = (length: number) => (c.lengthGraphs ? inputWidth(c.task, lengthBin(length, c.trainLength), c.layout) : trainWidth);
  const activate = async (width: number, ratio = 1): Promise<Model> => {
    const key = `${width}x${ratio}`;
    let m = models.get(key);
    if (!m) models.set(key, m = await make(width, ratio));
    if (m !== model) {
      model.moveStateTo(m);
      model = m;
    }
    return m;
  };
  const cur = curriculumOf(task), ratioKey = seedHalves(c.seed);
  let current = c.curriculum ? cur.startLength : c.trainLength;
  const chunks: NeuralGpuChunk[] = [];
  const probes: { step: number; tests: NeuralGpuTest[] }[] = [];
  const testAll = async (seed: number): Promise<NeuralGpuTest[]> => {
    const tests = [];
    for (const length of c.testLengths) tests.push({ length, ...(await test(c, model, length, c.testCount, seed, o.onWarning)) });
    return tests;
  };
  const t0 = performance.now();
  let trained = 0, stepSeconds = 0, aborted = false, diverged: string | null = null, pull = c.pull;
  try {
    for (let step = 0; step < c.steps && !aborted && !diverged; step += c.chunk) {
      const n = Math.min(c.chunk, c.steps - step);
      // The chunk's batches: each its own length (the curriculum's draw), padded to its graph's width; runs
      // of batches on the same graph train in one fit().
      const lengths = Array.from({ length: n }, (_, i) => (c.curriculum ? curriculumLength(cur, current, c.seed, step + i) : c.trainLength));
      const ratios = Array.from({ length: n }, (_, i) => stepRatio(c, ratioKey, step + i));
      const fits: { loss: number; examples: number; examplesPerSecond: number }[] = [];
      for (let i = 0; i < n && !aborted && !diverged;) {
        const width = widthOf(lengths[i]!), ratio = ratios[i]!;
        let j = i + 1;
        while (j < n && widthOf(lengths[j]!) === width && ratios[j] === ratio) j++;
        const inputs = new Int32Array((j - i) * c.batchSize * width), targets = new Int32Array((j - i) * c.batchSize * width);
        for (let k = i; k < j; k++) {
          const b = algorithmicBatch(task, { seed: c.seed, length: lengths[k]!, count: c.batchSize, start: (step + k) * c.batchSize, split: 'train', width });
          inputs.set(b.inputs, (k - i) * c.batchSize * width);
          targets.set(b.targets, (k - i) * c.batchSize * width);
        }
        const m = await activate(width, ratio);
        const data = m.prepare({ tokens: inputs }, { targets }, { copy: false });
        let h;
        try {
          h = await m.fit(data, { epochs: 1, shuffle: false, signal: o.signal });
        } catch (e) {
          diverged = (e as Error).message;
          break;
        }
        if (h.aborted) { aborted = true; break; }
        const last = h.epochs[h.epochs.length - 1]!;
        trained += last.examples;
        stepSeconds += last.examples / last.examplesPerSecond;
        fits.push({ loss: last.loss, examples: last.examples, examplesPerSecond: last.examplesPerSecond });
        i = j;
      }
      if (aborted || diverged) break;
      // The chunk's loss: one fit's own, or the mean over its fits' examples.
      const loss = fits.length === 1 ? fits[0]!.loss : fits.reduce((a, f) => a + f.loss * f.examples, 0) / fits.reduce((a, f) => a + f.examples, 0);
      const chunkExamples = fits.reduce((a, f) => a + f.examples, 0), chunkSeconds = fits.reduce((a, f) => a + f.examples / f.examplesPerSecond, 0);
      if (c.relax > 1) pullTogether(model, c, pull);
      pull *= c.pullGrowth;
      // The curriculum: errors on a fresh batch at the current length decide whether to lengthen.
      const pw = widthOf(current), pm = await activate(pw);
      const probe = algorithmicBatch(task, { seed: c.seed + 1, length: current, count: 32, start: step, split: 'train', width: pw });
      const e = errorRatesFromLogits(pm.predict({ tokens: probe.inputs }), probe.targets, pw, OUTPUT_CLASSES);
      const info: NeuralGpuChunk = {
        step: step + n, length: current, loss, digitError: e.digitErrors / e.digits, sequenceError: e.sequenceErrors / 32,
        examplesPerSecond: fits.length === 1 ? fits[0]!.examplesPerSecond : chunkExamples / chunkSeconds,
      };
      chunks.push(info);
      o.onChunk?.(info, c.steps);
      if (c.curriculum) current = advanceCurriculum(cur, current, info.sequenceError);
      if (c.probeEvery > 0 && Math.floor((step + n) / c.probeEvery) > Math.floor(step / c.probeEvery)) probes.push({ step: step + n, tests: await testAll(c.seed + 1) });
    }
    if (c.relax > 1) pullTogether(model, c, 1);
    const tests = await testAll(c.seed);
    await o.onTrained?.(model);
    return {
      config: c, chunks, tests, probes, examples: trained, seconds: (performance.now() - t0) / 1000, examplesPerSecond: stepSeconds > 0 ? trained / stepSeconds : 0,
      weightsSha256: await weightsSha256(model), aborted, diverged,
    };
  } finally {
    await Promise.all([...models.values()].map((m) => m.dispose()));
  }
}

/**
 * The steps per column of training step `step`: 1 + floor(u * maxStepRatio / 2^32) for the u32 word u of
 * Philox counter (0, step, 0xfe << 24, RNG_DOMAIN_TASKS) under the seed's key (tasks/algorithmic.ts draws
 * its examples from streams 2 .. 9 and its curriculum from 0xff of the same counters). Always 1 when
 * maxStepRatio is 1.
 */
export function stepRatio(c: Pick<NeuralGpuConfig, 'maxStepRatio'>, key: [number, number], step: number): number {
  if (c.maxStepRatio === 1) return 1;
  const u = philox4x32_10([0, step, STEP_RATIO_STREAM * 2 ** 24, RNG_DOMAIN_TASKS], key)[0]!;
  return 1 + Math.min(c.maxStepRatio - 1, Math.floor((u * c.maxStepRatio) / 2 ** 32));
}

const STEP_RATIO_STREAM = 0xfe;

/**
 * With lengthGraphs, the length whose graph trains a batch of `length` digits: the length itself up to 8,
 * then the next multiple of 4, at most the training length.
 */
export function lengthBin(length: number, trainLength: number): number {
  return length <= 8 ? length : Math.min(Math.max(trainLength, length), 4 * Math.ceil(length / 4));
}

/** Moves each relaxed set of CGRU parameters a share `pull` (1: all the way) towards the sets' mean. */
function pullTogether(model: Model, c: NeuralGpuConfig, pull: number): void {
  const a = Math.min(1, pull);
  for (let l = 0; l < c.layers; l++) {
    for (const slot of ['gates', 'gatesBias', 'candidate', 'candidateBias']) {
      const names = Array.from({ length: c.relax }, (_, r) => `cgru_${l}_rx${r}/${slot}`);
      const ws = names.map((n) => model.getParam(n));
      const mean = new Float64Array(ws[0]!.length);
      for (const w of ws) for (let i = 0; i < w.length; i++) mean[i]! += w[i]! / c.relax;
      ws.forEach((w, r) => {
        for (let i = 0; i < w.length; i++) w[i] = Math.fround(w[i]! + a * (mean[i]! - w[i]!));
        model.setParam(names[r]!, w);
      });
    }
  }
}
