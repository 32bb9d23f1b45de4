// Every option object of the public API refuses unknown keys (issue #23): this walks every function the
// barrels (src/universal.ts, src/index.ts) export, and the methods of Model. Each one is either in
// OPTION_TAKERS (one row per option object it takes, nested ones included) or in EXEMPT, with the reason;
// a new export in neither list fails the first test, so a builder added later must be registered here.
//
// For each row: the call with an unknown key ("zzUnknownKey") is refused with `<where>: unknown option
// "zzUnknownKey" (allowed: ...)` and no suggestion; then, for EVERY allowed key that error lists, a few
// misspellings of it (lowercased, a letter dropped, a letter doubled, two letters swapped) are refused with
// a did-you-mean naming that key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as index from '../../src/index.js';
import * as universal from '../../src/universal.js';
import {
  adagrad, adam, adamw, addNoise, cosineDecay, createModel, createModelFromConfig, DEFAULT_TRAIN_CONFIG, dense, dropout, exponentialDecay,
  fromDescription, linearWarmup, loadModel, mlp, mnist, mnistSplit, Model, optimizerOfConfig, paperNet, planLayout, resolveTrainConfig,
  rmsprop, runTraining, sgd, specOfConfig, stepDecay, validateDataset, type ModelSpec,
  babi, babiData, babiVocabulary, encodeBabi, graph, input, layers, losses, ops, parseBabi, readBabi, readBabiFile, writeBabi,
  algorithmicBatch, algorithmicTask, curriculum, curriculumOf, exportOnnx, pytorchLayout,
} from '../../src/index.js';

const SPEC: ModelSpec = { inputs: 4, layers: [{ kind: 'dense', units: 3 }], loss: 'softmaxCrossEntropy' };
const X = new Float32Array(8);
const Y = new Uint8Array([0, 1]);
const SPLIT = { x: X, y: Y, count: 2 };
const DATA = { train: SPLIT, test: null, features: 4, classes: 3 };
const CONFIG = { ...DEFAULT_TRAIN_CONFIG, depth: 1, width: 3 };
const LAYOUT = { base: 0, params: [], activations: [], activationGrads: [], scratchBytes: 0 };

let model: Model;
beforeAll(async () => { model = await createModel(SPEC, { workers: 0, batchSize: 2 }); });
afterAll(async () => { await model?.dispose(); });

type Options = Record<string, unknown>;
/** One option object of an exported function: `where` starts its errors; `call` passes `o` merged into valid options. */
interface Row { readonly where: string; readonly call: (o: Options) => unknown }

const row = (where: string, call: (o: Options) => unknown): Row => ({ where, call });

/** Exported functions that take option objects, by export name (Model methods as `Model.<name>`). */
const OPTION_TAKERS: Readonly<Record<string, readonly Row[]>> = {
  mlp: [row('mlp', (o) => mlp({ inputs: 4, hidden: [3], outputs: 2, ...o } as never))],
  paperNet: [row('paperNet', (o) => paperNet('he', o as never))],
  dense: [
    row('dense', (o) => dense(3, o as never)),
    row('dense: kernelInit', (o) => dense(3, { kernelInit: { kind: 'normal', std: 0.1, ...o } as never })),
    row('dense: biasInit', (o) => dense(3, { biasInit: { kind: 'uniform', low: 0, high: 1, ...o } as never })),
  ],
  dropout: [row('dropout', (o) => dropout(0.5, o as never))],
  createModel: [row('createModel', (o) => createModel(SPEC, { workers: 0, ...o }))],
  loadModel: [row('loadModel', (o) => loadModel(new Uint8Array(0), o as never))],
  'Model.fit': [
    row('fit', (o) => model.fit(X, Y, o as never)),
    row('fit: validation', (o) => model.fit(X, Y, { validation: { x: X, y: Y, ...o } as never })),
    row('fit: profile', (o) => model.fit(X, Y, { profile: { steps: 1, ...o } as never })),
  ],
  'Model.prepare': [row('prepare', (o) => model.prepare(X, Y, o as never))],
  sgd: [row('sgd', (o) => sgd({ lr: 0.1, ...o }))],
  adam: [row('adam', (o) => adam(o))],
  adamw: [row('adamw', (o) => adamw(o))],
  adagrad: [row('adagrad', (o) => adagrad(o))],
  rmsprop: [row('rmsprop', (o) => rmsprop(o))],
  addNoise: [row('addNoise', (o) => addNoise(o))],
  fromDescription: [
    row('fromDescription', (o) => fromDescription({ name: 'sgd', config: { lr: 0.1 }, ...o })),
    row('fromDescription: sgd', (o) => fromDescription({ name: 'sgd', config: { lr: 0.1, ...o } })),
  ],
  stepDecay: [row('stepDecay', (o) => stepDecay({ lr: 0.1, stepSize: 2, ...o }))],
  exponentialDecay: [row('exponentialDecay', (o) => exponentialDecay({ lr: 0.1, gamma: 0.5, ...o }))],
  cosineDecay: [row('cosineDecay', (o) => cosineDecay({ lr: 0.1, steps: 2, ...o }))],
  linearWarmup: [row('linearWarmup', (o) => linearWarmup({ steps: 2, schedule: 0.1, ...o }))],
  planLayout: [row('planLayout', (o) => planLayout({ ...LAYOUT, ...o }))],
  resolveTrainConfig: [row('config', (o) => resolveTrainConfig(o))],
  optimizerOfConfig: [row('optimizerOfConfig: config', (o) => optimizerOfConfig({ ...CONFIG, ...o }))],
  specOfConfig: [row('specOfConfig: config', (o) => specOfConfig({ ...CONFIG, ...o }, DATA))],
  createModelFromConfig: [
    row('createModelFromConfig', (o) => createModelFromConfig(CONFIG, DATA, o as never)),
    row('createModelFromConfig: config', (o) => createModelFromConfig({ ...CONFIG, ...o }, DATA)),
  ],
  runTraining: [
    row('runTraining', (o) => runTraining(CONFIG, DATA, { workers: 0, ...o })),
    row('runTraining: config', (o) => runTraining({ ...CONFIG, ...o }, DATA, { workers: 0 })),
    row('runTraining: hooks', (o) => runTraining(CONFIG, DATA, { workers: 0, hooks: o })),
    row('runTraining: checkpoint', (o) => runTraining(CONFIG, DATA, { workers: 0, checkpoint: { path: 'x', every: 1, ...o } })),
    row('runTraining: resume', (o) => runTraining(CONFIG, DATA, { workers: 0, resume: { bytes: new Uint8Array(0), name: 'x', ...o } })),
    row('runTraining: previous', (o) => runTraining(CONFIG, DATA, { workers: 0, previous: { epochs: [], steps: [], ...o } })),
    row('runTraining: profile', (o) => runTraining(CONFIG, DATA, { workers: 0, profile: { steps: 1, ...o } })),
  ],
  mnistSplit: [row('mnistSplit', (o) => mnistSplit(new Uint8Array(0), new Uint8Array(0), o))],
  validateDataset: [row('validateDataset', (o) => validateDataset({ ...SPLIT, features: 4 }, o))],
  mnist: [
    row('mnist', (o) => mnist(o)),
    row('mnist: limit', (o) => mnist({ limit: o })),
  ],
  'Model.predict': [row('predict', (o) => model.predict(X, o as never))],
  'Model.toOnnx': [row('toOnnx', (o) => model.toOnnx(o as never))],
  'Model.toBytes': [row('toBytes', (o) => model.toBytes(o as never))],
  'Model.loadBytes': [row('loadBytes', (o) => model.loadBytes(new Uint8Array(0), o as never))],
  'Model.save': [row('save', (o) => model.save('/nonexistent/x', o as never))],
  'Model.load': [row('load', (o) => model.load('/nonexistent/x', o as never))],
  exportOnnx: [row('toOnnx', (o) => exportOnnx(model.spec, model.getWeights(), o as never))],
  pytorchLayout: [row('pytorchLayout', (o) => pytorchLayout(model.spec, o as never))],
  input: [row('input "x"', (o) => input('x', [2], o as never))],
  graph: [row('graph', (o) => { const x = input('x', [2]); return graph({ outputs: [x], losses: [losses.meanSquaredError(x, input('t', [2]))], ...o } as never); })],
  'layers.dense': [
    row('layers.dense', (o) => layers.dense(3, o as never)),
    row('layers.dense: kernelInit', (o) => layers.dense(3, { kernelInit: { kind: 'normal', std: 0.1, ...o } as never })),
  ],
  'layers.dropout': [row('layers.dropout', (o) => layers.dropout(0.5, o as never))],
  'layers.embedding': [row('layers.embedding', (o) => layers.embedding(5, 3, o as never))],
  'layers.parameter': [row('layers.parameter', (o) => layers.parameter([2], o as never))],
  'layers.conv2d': [row('layers.conv2d', (o) => layers.conv2d(2, { kernelSize: 3, ...o } as never))],
  'layers.conv1d': [row('layers.conv1d', (o) => layers.conv1d(2, { kernelSize: 3, ...o } as never))],
  ...Object.fromEntries(['maxPool2d', 'maxPool1d', 'avgPool2d', 'avgPool1d'].map((k) => [`layers.${k}`,
    [row(`layers.${k}`, (o) => (layers as never as Record<string, (...a: unknown[]) => unknown>)[k]!(2, o))]])),
  'layers.lstm': [row('layers.lstm', (o) => layers.lstm(4, o as never))],
  'layers.gru': [row('layers.gru', (o) => layers.gru(4, o as never))],
  'layers.cgru': [row('layers.cgru', (o) => layers.cgru(o as never))],
  ...Object.fromEntries(['add', 'sub', 'mul'].map((k) => [`ops.${k}`, [row(`ops.${k}`, (o) => (ops as never as Record<string, (...a: unknown[]) => unknown>)[k]!(input('a', [2]), input('b', [2]), o))]])),
  ...Object.fromEntries(['relu', 'tanh', 'sigmoid', 'leakyRelu', 'softmax', 'sum', 'mean'].map((k) => [`ops.${k}`,
    [row(`ops.${k}`, (o) => (ops as never as Record<string, (...a: unknown[]) => unknown>)[k]!(input('a', [2]), o))]])),
  'ops.scale': [row('ops.scale', (o) => ops.scale(input('a', [2]), 2, o as never))],
  'ops.tokenMask': [row('ops.tokenMask', (o) => ops.tokenMask(input('a', [2], { dtype: 'i32' }), o as never))],
  'ops.matmul': [row('ops.matmul', (o) => ops.matmul(input('a', [2, 2]), input('b', [2, 2]), o as never))],
  'ops.concat': [row('ops.concat', (o) => ops.concat([input('a', [2])], o as never))],
  'ops.slice': [row('ops.slice', (o) => ops.slice(input('a', [2]), 0, 1, o as never))],
  'ops.reshape': [row('ops.reshape', (o) => ops.reshape(input('a', [2]), [2], o as never))],
  'ops.pad': [row('ops.pad', (o) => ops.pad(input('a', [2]), 1, 1, o as never))],
  'ops.flatten': [row('ops.flatten', (o) => ops.flatten(input('a', [2]), o as never))],
  'ops.constant': [row('ops.constant', (o) => ops.constant([1], [1], o as never))],
  'losses.softmaxCrossEntropy': [row('losses.softmaxCrossEntropy', (o) => losses.softmaxCrossEntropy(input('a', [2]), input('b', [], { dtype: 'i32' }), o as never))],
  'losses.meanSquaredError': [row('losses.meanSquaredError', (o) => losses.meanSquaredError(input('a', [2]), input('b', [2]), o as never))],
  'losses.binaryCrossEntropy': [row('losses.binaryCrossEntropy', (o) => losses.binaryCrossEntropy(input('a', [2]), input('b', [2]), o as never))],
  babi: [row('babi', (o) => babi(o as never))],
  babiData: [row('babiData', (o) => babiData(o as never))],
  babiVocabulary: [row('babiVocabulary', (o) => babiVocabulary([], o as never))],
  encodeBabi: [row('encodeBabi', (o) => encodeBabi([], o as never))],
  parseBabi: [row('parseBabi', (o) => parseBabi('', o as never))],
  readBabiFile: [row('readBabiFile', (o) => readBabiFile('/nonexistent', o as never))],
  readBabi: [row('readBabi', (o) => readBabi('/nonexistent', o as never))],
  writeBabi: [row('writeBabi', (o) => writeBabi('/nonexistent', o as never))],
  algorithmicTask: [row('algorithmicTask', (o) => algorithmicTask('add', o as never))],
  algorithmicBatch: [row('algorithmicBatch', (o) => algorithmicBatch(algorithmicTask('add'), { seed: 1, length: 3, count: 1, ...o } as never))],
  curriculum: [row('curriculum', (o) => curriculum(o as never))],
  curriculumOf: [row('curriculumOf', (o) => curriculumOf(algorithmicTask('add'), o as never))],
};

/** Exported functions that take no option object, and why. */
const EXEMPT: Readonly<Record<string, string>> = {
  Model: 'a class; createModel() and loadModel() build it (its methods are walked as Model.<name>)',
  NonFiniteError: 'an error class the library throws',
  PreparedData: 'a class; model.prepare() builds it',
  crc32: '(bytes, crc)',
  decodeCheckpoint: '(bytes, source name)',
  parseSafetensors: '(bytes, source name)',
  parseIdx: '(bytes, source name)',
  readIdxFile: '(path)',
  chain: '(...transforms), each checked by validateChain',
  clipByGlobalNorm: '(maxNorm): one number',
  clipByValue: '(maxAbs): one number',
  constant: '(lr): one number',
  describeTransform: '(transform)',
  weightsSha256: '(model)',
  threadsAvailable: 'no arguments',
  relaxedSimdAvailable: 'no arguments',
  runtimeInfo: 'no arguments',
  'Model.constructor': 'internal: createModel() and loadModel() build models',
  'Model.evaluate': 'takes no options: an extra argument is refused (tested below)',
  Param: 'a class; layers make parameters',
  Tensor: 'a class; input(), layers and ops make tensors',
  compileGraph: '(spec, where)',
  normalizeGraph: '(spec, where)',
  isGraphSpec: '(value)',
  toGraph: '(spec)',
  babiFileName: '(task, split)',
  babiSentenceLength: '(stories, lowercase)',
  babiStory: '(task, split, seed, index)',
  babiTokens: '(text, lowercase)',
  formatBabi: '(stories)',
  selectBabiTasks: '(data, tasks)',
  subsetBabi: '(data, indices)',
  writeBabiFile: '(path, stories)',
  advanceCurriculum: '(curriculum, current, sequenceErrorRate)',
  algorithmicExample: '(task, seed, length, index, split)',
  curriculumLength: '(curriculum, current, seed, step)',
  errorRates: '(predictions, targets, width)',
  errorRatesFromLogits: '(logits, targets, width, classes)',
  inputWidth: '(task, length, layout)',
  vocabSize: '(layout)',
  sumErrorRates: '(parts)',
  tokensToString: '(ids)',
  'Model.getParam': '(name)',
  'Model.setParam': '(name, values)',
  'Model.getWeights': 'no arguments',
  'Model.getGrad': '(name)',
  'Model.computeGradients': '(x, y)',
  'Model.trainOnBatch': '(x, y)',
  'Model.dispose': 'no arguments',
  'Model.moveStateTo': '(to: Model)',
  'Model.restoreCheckpoint': 'internal (loadModel)',
  'Model.restorePytorch': 'internal (loadModel, load and loadBytes with layout "pytorch")',
  'Model.live': 'private',
  'Model.tensor': 'private',
  'Model.inlineStep': 'private',
  'Model.workerPool': 'private',
  'Model.snapshotSource': 'private',
  'Model.startHelper': 'private',
  'Model.inlineTrace': 'private',
};

/** Every exported function of both barrels, and every method of Model (getters left out). */
function exportedFunctions(): string[] {
  const names = new Set<string>();
  for (const barrel of [universal, index] as Record<string, unknown>[]) {
    for (const [k, v] of Object.entries(barrel)) {
      if (typeof v === 'function') names.add(k);
      // The functional builder's namespaces (layers, ops, losses): every function in them.
      else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
        for (const [f, fv] of Object.entries(v)) if (typeof fv === 'function') names.add(`${k}.${f}`);
      }
    }
  }
  for (const k of Object.getOwnPropertyNames(Model.prototype)) {
    if (typeof Object.getOwnPropertyDescriptor(Model.prototype, k)!.value === 'function') names.add(`Model.${k}`);
  }
  return [...names].sort();
}

/** The error of a call, sync or async (a call that does not throw fails the test). */
async function errorOf(what: string, call: () => unknown): Promise<Error> {
  let r: unknown;
  try {
    r = await call();
  } catch (e) {
    expect(e, what).toBeInstanceOf(Error);
    return e as Error;
  }
  if (r instanceof Model) await r.dispose();
  throw new Error(`${what} was accepted`);
}

/** Typical typos of `key`: lowercased, a letter dropped, a letter doubled, two letters swapped. */
function misspellings(key: string): string[] {
  const out = new Set<string>([key.toLowerCase(), `${key}${key.at(-1)}`]);
  if (key.length >= 4) out.add(key.slice(0, 2) + key.slice(3));
  if (key.length >= 3) out.add(key[0] + key[2] + key[1] + key.slice(3));
  out.delete(key);
  return [...out];
}

describe('every public option object refuses unknown keys (issue #23)', () => {
  it('every exported function is registered: in OPTION_TAKERS or EXEMPT, not both, and none is stale', () => {
    const exported = exportedFunctions();
    const registered = [...Object.keys(OPTION_TAKERS), ...Object.keys(EXEMPT)];
    const missing = exported.filter((n) => !registered.includes(n));
    expect(missing, 'new exported functions: add each to OPTION_TAKERS (it takes options: check them with ' +
      'core/check.ts checkFields) or to EXEMPT with the reason').toEqual([]);
    expect(registered.filter((n) => !exported.includes(n)), 'registered but no longer exported').toEqual([]);
    expect(Object.keys(OPTION_TAKERS).filter((n) => n in EXEMPT), 'both an option taker and exempt').toEqual([]);
  });

  for (const [name, rows] of Object.entries(OPTION_TAKERS)) {
    for (const { where, call } of rows) {
      it(`${name}: ${where} refuses an unknown key, and a misspelt one with a did-you-mean`, async () => {
        const e = await errorOf(`${where} with zzUnknownKey`, () => call({ zzUnknownKey: 1 }));
        const prefix = `${where}: unknown option "zzUnknownKey" (allowed: `;
        expect(e.message.startsWith(prefix), e.message).toBe(true);
        expect(e.message).not.toMatch(/did you mean/);
        const allowed = e.message.slice(prefix.length).replace(/\)$/, '').split(', ');
        expect(allowed.length).toBeGreaterThan(0);
        for (const key of allowed) {
          for (const typo of misspellings(key).filter((t) => !allowed.includes(t))) {
            const m = (await errorOf(`${where} with ${typo}`, () => call({ [typo]: 1 }))).message;
            expect(m.startsWith(`${where}: unknown option "${typo}" (allowed: `), m).toBe(true);
            const near = /; did you mean (.+)\?$/.exec(m)?.[1]?.split(' or ') ?? [];
            expect(near, `${m} should suggest ${key}`).toContain(key);
          }
        }
      });
    }
  }

  it('evaluate() and predict() take no options: one passed anyway is refused, not ignored', () => {
    expect(() => model.predict(X, {}, { batchSize: 1 } as never)).toThrow(/^predict: takes no options \(.*\), got \{"batchSize":1\}$/);
    expect(() => model.evaluate(X, Y, { batchSize: 1 } as never)).toThrow(/^evaluate: takes no options \(.*\), got \{"batchSize":1\}$/);
    expect(model.predict(X, undefined as never).length).toBe(2 * 3);
  });
});

describe('the builders check values at the call, not later in createModel', () => {
  it("the issue's examples", () => {
    expect(() => mlp({ inputs: 4, hidden: [3], outputs: 2, kernelInit: 'zeros', activaton: 'tanh' } as never)).toThrow(
      new Error('mlp: unknown option "kernelInit" (allowed: inputs, hidden, outputs, activation, init, biasInit, loss, dropout)'));
    expect(() => mlp({ inputs: 4, hidden: [3], outputs: 2, activaton: 'tanh' } as never)).toThrow(
      new Error('mlp: unknown option "activaton" (allowed: inputs, hidden, outputs, activation, init, biasInit, loss, dropout); did you mean activation?'));
    expect(() => dense(3, { kernelinit: 'zeros' } as never)).toThrow(
      new Error('dense: unknown option "kernelinit" (allowed: activation, alpha, kernelInit, biasInit, name); did you mean kernelInit?'));
    expect(() => dense(3, { activation: 'rleu' as never })).toThrow(
      new Error('dense: activation is "rleu" (allowed: linear, relu, leakyRelu, tanh, sigmoid); did you mean relu?'));
  });

  it.each([
    ['dense units 0', () => dense(0), /^dense: units is 0 \(need an integer from 1 to 1048576\)$/],
    ['dense units in the options', () => dense(3, { units: 5 } as never), /^dense: unknown option "units"/],
    ['dense alpha 0', () => dense(3, { activation: 'leakyRelu', alpha: 0 }), /^dense: alpha is 0 \(need a finite number > 0\)$/],
    ['dense name', () => dense(3, { name: 'a b' }), /^dense: name is "a b" \(need a non-empty name of letters, digits, _ \. -\)$/],
    ['dense init name', () => dense(3, { kernelInit: 'heNormall' as never }), /^dense: kernelInit is "heNormall" \(allowed: zeros, .*\); did you mean heNormal\?$/],
    ['dense init kind', () => dense(3, { kernelInit: { kind: 'uniformm', low: 0, high: 1 } as never }), /^dense: kernelInit\.kind is "uniformm" \(allowed: constant, normal, uniform\); did you mean uniform\?$/],
    ['dense init std', () => dense(3, { kernelInit: { kind: 'normal', std: -1 } }), /^dense: kernelInit\.std is -1 \(need a finite number >= 0\)$/],
    ['dense init low > high', () => dense(3, { biasInit: { kind: 'uniform', low: 1, high: 0 } }), /^dense: biasInit\.high is 0 \(need a finite number >= low, 1\)$/],
    ['dense init null', () => dense(3, { kernelInit: null as never }), /^dense: kernelInit is null/],
    ['dropout rate 1', () => dropout(1), /^dropout: rate is 1 \(need a finite number >= 0 and < 1\)$/],
    ['dropout rate NaN', () => dropout(NaN), /^dropout: rate is NaN/],
    ['mlp hidden', () => mlp({ inputs: 4, hidden: [3, 0], outputs: 2 }), /^mlp: hidden\[1\] is 0 \(need an integer from 1 to 1048576\)$/],
    ['mlp without hidden', () => mlp({ inputs: 4, outputs: 2 } as never), /^mlp: hidden is undefined \(need an array of/],
    ['mlp no options', () => mlp(undefined as never), /^mlp: options must be an object/],
    ['mlp loss', () => mlp({ inputs: 4, hidden: [], outputs: 2, loss: 'meanSquareError' as never }), /did you mean meanSquaredError\?$/],
    ['mlp dropout NaN', () => mlp({ inputs: 4, hidden: [3], outputs: 2, dropout: NaN }), /^mlp: dropout is NaN/],
    ['mlp one softmax output', () => mlp({ inputs: 4, hidden: [3], outputs: 1 }), /^mlp: outputs is 1 \(need at least 2 for softmaxCrossEntropy/],
    ['paperNet init', () => paperNet('hee' as never), /^paperNet: init is "hee" \(allowed: simple, sussilloAbbott, he, zero, simpleVar, simpleBias\); did you mean he\?$/],
    ['paperNet depth', () => paperNet('he', { depth: null as never }), /^paperNet: depth is null \(need an integer from 0 up\)$/],
    ['paperNet width', () => paperNet('he', { width: 0 }), /^paperNet: width is 0/],
    ['planLayout typo', () => planLayout({ ...LAYOUT, gradSlot: 2 } as never), /^planLayout: unknown option "gradSlot" .*did you mean gradSlots\?$/],
    ['fromDescription name', () => fromDescription({ name: 'sdg', config: { lr: 0.1 } }), /^fromDescription: unknown transform "sdg" .*did you mean sgd\?$/],
    ['schedule kind', () => sgd({ lr: { kind: 'cosineDcay', lr: 0.1, steps: 2 } as never }), /unknown schedule kind "cosineDcay" .*did you mean cosineDecay\?$/],
  ])('%s', (_what, call, error) => {
    expect(call).toThrow(error);
  });

  it('valid calls still build what they built before', () => {
    expect(dense(3, { activation: null as never, name: null as never })).toEqual({ kind: 'dense', units: 3, activation: null, name: null });
    expect(mlp({ inputs: 4, hidden: [3], outputs: 1, loss: 'meanSquaredError', dropout: 0.5 }).nodes.map((n) => n.op)).toEqual(['dense', 'dropout', 'dense']);
    expect(paperNet('simple', { depth: 2, width: 5 }).nodes.length).toBe(3);
  });

  it('values of the other option objects too: createModelFromConfig may not override the config', async () => {
    await expect(createModelFromConfig(CONFIG, DATA, { seed: 5 } as never)).rejects.toThrow(/^createModelFromConfig: unknown option "seed" \(allowed: workers, onWarning, build, wasm\)/);
    await expect(createModelFromConfig({ ...CONFIG, lr: -1 }, DATA)).rejects.toThrow(/^createModelFromConfig: config: lr is -1/);
    await expect(createModelFromConfig(CONFIG, { features: 0, classes: 3 })).rejects.toThrow(/^createModelFromConfig: data: features is 0/);
    await expect(runTraining(CONFIG, DATA, { workers: 0, diverge: 'recrod' as never })).rejects.toThrow(/^runTraining: diverge is "recrod" \(allowed: throw, record\); did you mean record\?$/);
    await expect(runTraining(CONFIG, DATA, { workers: 0, checkpoint: { path: 'x', every: 0 } })).rejects.toThrow(/^runTraining: checkpoint\.every is 0/);
    await expect(runTraining(CONFIG, { ...DATA, train: { ...SPLIT, x: [0] as never } }, { workers: 0 })).rejects.toThrow(/^runTraining: data: train\.x is \[0\] \(need a Float32Array\)$/);
    await expect(loadModel(new Uint8Array(0), { fuse: 'no' } as never)).rejects.toThrow(/^loadModel: fuse is "no" \(need true or false\)$/);
  });
});
