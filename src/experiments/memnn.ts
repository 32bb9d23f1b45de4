// One run of the paper's question-answering experiment (Neelakantan et al. 2015, section "End-To-End Memory
// Networks"): MemN2N (model/memnn.ts) trained jointly on the generated bAbI tasks (tasks/babi/), one-stage or
// two-stage (linear start, then the softmax), with or without gradient noise added after clipping; validation
// error after every epoch on a held-out tenth of the training questions, test error per task at the end.
//
// Units. The released code (facebook/MemNN, MemN2N-babi-matlab) sums the loss over the batch (size_average
// false), clips each weight's summed gradient at norm 40 and steps with lr 0.01; the gradient-noise paper adds
// its noise (eta 1.0) to those gradients. gradnoise's gradients are batch MEANS, so a config here is stated in
// the released code's units and converted: lr x B, clip / B, noise std / B (eta / B²), which gives the same
// update. Where this differs from the released code, in one place: gradnoise clips by the global norm of all
// parameters (the released code clips each table on its own); `clip` is that global threshold.
import { checkFields, int, nullable, nullish, number, oneOf, optional } from '../core/check.js';
import { addNoise, chain, clipByGlobalNorm, sgd } from '../optim/transforms.js';
import { stepDecay } from '../optim/schedules.js';
import { createModel, type Model } from '../runtime/model.js';
import { weightsSha256 } from '../runs/config.js';
import { babiData } from '../tasks/babi/data.js';
import { subsetBabi, type EncodedBabi } from '../tasks/babi/encode.js';
import { memN2N, memnnEpoch } from '../model/memnn.js';
import { philox4x32_10 } from '../core/philox.js';
import { seedHalves } from '../core/seed.js';

export interface MemnnConfig {
  /** bAbI task numbers, or 'all' (the joint setting). */
  readonly tasks: readonly number[] | 'all';
  /** Seed of the generated tasks (the data: the same for every run of a sweep). */
  readonly dataSeed: number;
  /** Seed of the run: the validation split, initial weights, batch order, random empty memories, noise. */
  readonly seed: number;
  readonly trainCount: number;
  readonly testCount: number;
  readonly memory: number;
  readonly dim: number;
  readonly hops: number;
  /** 'one': softmax from the start; 'two': linear start for lsEpochs, then the softmax (Sukhbaatar's LS). */
  readonly stages: 'one' | 'two';
  readonly epochs: number;
  readonly lsEpochs: number;
  /** Learning rate in the released code's units (summed gradients); halved every decayEvery epochs. */
  readonly lr: number;
  readonly decayEvery: number;
  /** Global-norm clip, in summed-gradient units. */
  readonly clip: number;
  readonly batchSize: number;
  /** Annealed noise after clipping (eta in summed-gradient units, gamma), a fixed std, or none. */
  readonly noise: { readonly eta: number; readonly gamma: number } | { readonly std: number } | null;
  /** Random empty memories while training (the released code's randomize_time). */
  readonly randomize: number;
  /** Share of the training questions held out for validation. */
  readonly validation: number;
  readonly shards: number;
}

/** The released code's joint setting (config_babi_joint.m), two-stage, without noise. */
export const DEFAULT_MEMNN_CONFIG: MemnnConfig = {
  tasks: 'all', dataSeed: 1, seed: 1, trainCount: 1000, testCount: 1000, memory: 50, dim: 50, hops: 3,
  stages: 'two', epochs: 60, lsEpochs: 30, lr: 0.005, decayEvery: 15, clip: 40, batchSize: 32, noise: null,
  randomize: 0.1, validation: 0.1, shards: 4,
};

const noiseCheck = optional(nullable(oneOfShapes()));
function oneOfShapes() {
  const annealed = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).sort().join() === 'eta,gamma' &&
    Number.isFinite((v as { eta: number }).eta) && (v as { eta: number }).eta > 0 && Number.isFinite((v as { gamma: number }).gamma) && (v as { gamma: number }).gamma >= 0;
  const fixed = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).join() === 'std' && Number.isFinite((v as { std: number }).std) && (v as { std: number }).std > 0;
  return Object.assign((v: unknown) => (annealed(v) || fixed(v) ? undefined : ` is ${JSON.stringify(v)} (need { eta, gamma } or { std })`), { need: '{ eta, gamma } or { std }' });
}

/** A complete, checked config from a partial one (missing fields take DEFAULT_MEMNN_CONFIG's). */
export function resolveMemnnConfig(partial: unknown, where = 'memnn config'): MemnnConfig {
  const o = checkFields<Partial<MemnnConfig>>(where, partial, {
    tasks: nullish(Object.assign((v: unknown) => (v === 'all' || (Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t) && t >= 1 && t <= 20) && new Set(v).size === v.length)
      ? undefined : ` is ${JSON.stringify(v)} (need 'all' or distinct task numbers from 1 to 20)`), { need: "'all' or task numbers" })),
    dataSeed: nullish(int(0)), seed: nullish(int(0)), trainCount: nullish(int(10, 100000)), testCount: nullish(int(1, 100000)),
    memory: nullish(int(1, 1000)), dim: nullish(int(1, 4096)), hops: nullish(int(1, 16)), stages: nullish(oneOf(['one', 'two'])),
    epochs: nullish(int(0, 100000)), lsEpochs: nullish(int(0, 100000)), lr: nullish(number({ min: 0, minOpen: true })), decayEvery: nullish(int(1)),
    clip: nullish(number({ min: 0, minOpen: true })), batchSize: nullish(int(1, 65536)), noise: noiseCheck,
    randomize: nullish(number({ min: 0, max: 1 })), validation: nullish(number({ min: 0, max: 0.9 })), shards: nullish(int(1, 64)),
  });
  const c = { ...DEFAULT_MEMNN_CONFIG } as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) if (v !== undefined && (v !== null || k === 'noise')) c[k] = v;
  return c as unknown as MemnnConfig;
}

export interface MemnnEpoch {
  readonly stage: 'linear' | 'softmax';
  readonly epoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly trainError: number;
  readonly validationError: number;
  readonly examplesPerSecond: number;
}

export interface MemnnResult {
  readonly config: MemnnConfig;
  readonly epochs: readonly MemnnEpoch[];
  /** Error of the final model on the validation questions and the test questions, overall and by task. */
  readonly validation: { readonly error: number; readonly byTask: Readonly<Record<string, number>> };
  readonly test: { readonly error: number; readonly byTask: Readonly<Record<string, number>> };
  readonly steps: number;
  /** Examples trained on, over every epoch. */
  readonly examples: number;
  readonly seconds: number;
  readonly examplesPerSecond: number;
  readonly weightsSha256: string;
  readonly aborted: boolean;
}

export interface MemnnOptions {
  readonly workers?: number;
  readonly signal?: AbortSignal;
  readonly onEpoch?: (e: MemnnEpoch, total: number) => void;
  readonly onWarning?: (m: string) => void;
}

/** A seeded split of example indices: the held-out share for validation, the rest to train. */
function split(count: number, share: number, seed: number): { train: Int32Array; validation: Int32Array } {
  const order = Array.from({ length: count }, (_, i) => i), key = seedHalves(seed);
  let words: Uint32Array = new Uint32Array(4);
  for (let i = count - 1; i > 0; i--) {
    if (i === count - 1 || (i & 3) === 3) words = philox4x32_10([i >>> 2, 0, 0, 0x6d656d32 /* "mem2" */], key);
    const j = Math.min(i, Math.floor((words[i & 3]! * (i + 1)) / 2 ** 32));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const v = Math.floor(count * share);
  return { validation: Int32Array.from(order.slice(0, v)).sort(), train: Int32Array.from(order.slice(v)).sort() };
}

/** Error overall and per task of a model on encoded examples (no random empty memories). */
function errors(model: Model, x: EncodedBabi, vocab: number, c: MemnnConfig, L: number): { error: number; byTask: Record<string, number> } {
  if (x.answers.length === 0) return { error: NaN, byTask: {} };
  const e = memnnEpoch(x, vocab, c.memory, L, {});
  const logits = model.predict({ story: e.story, query: e.query });
  const classes = logits.length / x.answers.length;
  const wrong = new Map<number, number>(), count = new Map<number, number>();
  let allWrong = 0;
  for (let n = 0; n < x.answers.length; n++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (logits[n * classes + j]! > logits[n * classes + best]!) best = j;
    const t = x.tasks[n]!, miss = best !== x.answers[n] ? 1 : 0;
    allWrong += miss;
    wrong.set(t, (wrong.get(t) ?? 0) + miss);
    count.set(t, (count.get(t) ?? 0) + 1);
  }
  const byTask: Record<string, number> = {};
  for (const [t, n] of [...count].sort((a, b) => a[0] - b[0])) byTask[String(t)] = wrong.get(t)! / n;
  return { error: allWrong / x.answers.length, byTask };
}

/** Trains one MemN2N run of the config; the same bits for any number of workers. */
export async function runMemnn(config: MemnnConfig, o: MemnnOptions = {}): Promise<MemnnResult> {
  const c = resolveMemnnConfig(config);
  const data = babiData({ tasks: c.tasks, seed: c.dataSeed, trainCount: c.trainCount, testCount: c.testCount, memorySize: c.memory });
  const vocab = data.vocabulary.words.length, L = data.train.queries.length / data.train.answers.length;
  const parts = split(data.train.answers.length, c.validation, c.seed);
  const train = subsetBabi(data.train, parts.train), validation = subsetBabi(data.train, parts.validation);
  const B = c.batchSize, stepsPerEpoch = Math.floor(train.answers.length / B);
  const noise = c.noise === null ? [] : 'std' in c.noise ? [addNoise({ eta: (c.noise.std / B) ** 2, gamma: 0 })] : [addNoise({ eta: c.noise.eta / (B * B), gamma: c.noise.gamma })];
  const stages: ('linear' | 'softmax')[] = c.stages === 'two' ? ['linear', 'softmax'] : ['softmax'];
  const epochs: MemnnEpoch[] = [];
  const total = (c.stages === 'two' ? c.lsEpochs : 0) + c.epochs;
  const t0 = performance.now();
  let model: Model | null = null, steps = 0, trained = 0, stepSeconds = 0, epochIndex = 0, aborted = false;
  try {
    for (const stage of stages) {
      const n = stage === 'linear' ? c.lsEpochs : c.epochs;
      // The released code: the linear stage at a constant rate (its decay step lies past its last epoch).
      const decay = stage === 'linear' ? Math.max(n, 1) : c.decayEvery;
      const lr = stepDecay({ lr: c.lr * B, stepSize: decay * stepsPerEpoch, gamma: 0.5 });
      const next = await createModel(memN2N({ vocab, memory: c.memory, words: L, dim: c.dim, hops: c.hops, linear: stage === 'linear' }), {
        batchSize: B, seed: c.seed, shards: c.shards, workers: o.workers ?? 0, onWarning: o.onWarning,
        optimizer: chain(clipByGlobalNorm(c.clip / B), ...noise, sgd({ lr })),
      });
      // The second stage starts from the first one's weights (the same names), with a fresh schedule.
      if (model) {
        for (const [name, w] of model.getWeights()) next.setParam(name, w);
        await model.dispose();
      }
      model = next;
      for (let e = 0; e < n; e++, epochIndex++) {
        if (o.signal?.aborted) { aborted = true; break; }
        const x = memnnEpoch(train, vocab, c.memory, L, { randomize: c.randomize, seed: c.seed, epoch: epochIndex });
        const prepared = model.prepare({ story: x.story, query: x.query }, x.answer, { copy: false });
        const h = await model.fit(prepared, { epochs: 1, dropLast: true, signal: o.signal });
        if (h.aborted) { aborted = true; break; }
        const last = h.epochs[h.epochs.length - 1]!;
        steps += stepsPerEpoch;
        trained += last.examples;
        stepSeconds += last.examples / last.examplesPerSecond;
        const info: MemnnEpoch = {
          stage, epoch: epochIndex, lr: c.lr * 0.5 ** Math.floor(e / decay), trainLoss: last.loss, trainError: 1 - last.accuracy,
          validationError: errors(model, validation, vocab, c, L).error, examplesPerSecond: last.examplesPerSecond,
        };
        epochs.push(info);
        o.onEpoch?.(info, total);
      }
      if (aborted) break;
    }
    const m = model!;
    const seconds = (performance.now() - t0) / 1000;
    return {
      config: c, epochs, validation: errors(m, validation, vocab, c, L), test: errors(m, data.test, vocab, c, L), steps, examples: trained, seconds,
      examplesPerSecond: stepSeconds > 0 ? trained / stepSeconds : 0,
      weightsSha256: await weightsSha256(m), aborted,
    };
  } finally {
    await model?.dispose();
  }
}
