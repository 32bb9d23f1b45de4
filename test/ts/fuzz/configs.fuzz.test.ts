// test/ts/fuzz/configs.fuzz.test.ts
// Robustness of the builders under fast-check: model specs (dense / dropout layers, initialisers, loss), the
// model builders (dense, dropout, mlp, paperNet: refused at the call exactly when normalizeSpec would refuse
// the same layer as raw data),
// createModel options, the optimizer builders (sgd, adam, adamw, adagrad, rmsprop, clipByValue,
// clipByGlobalNorm, addNoise, chain, fromDescription), the learning-rate schedules, and fit()'s options
// and data. Configs are mostly valid, with a wrong value mixed in now and then (negative, NaN, Infinity,
// huge, strings, null, wrong types, unknown keys, empty layers, units 0 or > MAX_UNITS, batchSize, shards
// or workers out of range, labels out of range, NaN inputs).
//
// Each generated field knows whether its value is valid, and for an invalid one the words an error about it
// must use (usually the field's name). Property: a config with no invalid field builds, and a couple of
// steps train on tiny random data (trainOnBatch and fit, inline: workers 0); a config with one fails with a
// plain Error (or NonFiniteError where a step may legitimately go non-finite) whose message names one of
// the invalid fields. Never a WebAssembly.RuntimeError (nor a trap turned into "the core trapped"), never a
// TypeError or RangeError from our own code. Every model is disposed.
//
// Models stay tiny (inputs <= 8, <= 3 layers, units <= 16). Seeds are fixed so a failure reproduces.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adagrad, adam, adamw, addNoise, chain, clipByGlobalNorm, clipByValue, constant, cosineDecay, createModel, dense, describeTransform,
  dropout, exponentialDecay, fromDescription, linearWarmup, mlp, NonFiniteError, paperNet, rmsprop, sgd, stepDecay,
  type GradientTransformation, type LayerSpec, type Model, type ModelOptions, type ModelSpec,
} from '../../../src/index.js';
import { MAX_UNITS, normalizeSpec } from '../../../src/model/spec.js';
import { normalizeGraph, type GraphSpec } from '../../../src/graph/spec.js';
import { MAX_SHARDS } from '../../../src/runtime/model.js';
import { scheduleValue, validateSchedule, type Schedule } from '../../../src/optim/schedules.js';
import { lcg } from '../helpers.js';

const SEED = 42;

// ---------------------------------------------------------------------------------------------------
// Fields: a value plus the words naming it when it is invalid.

/** A generated value and, when it is invalid, the words an error about it may use (any one of them). */
interface Gen<T = unknown> {
  readonly value: T;
  readonly bad: readonly string[];
}

const good = <T>(value: T): Gen<T> => ({ value, bad: [] });

/**
 * A field: usually a valid value, one time in `1 + weight` an invalid one from `invalid`, reported with
 * `words`.
 */
function field<T>(valid: fc.Arbitrary<T>, invalid: readonly unknown[], words: string | readonly string[], weight = 30): fc.Arbitrary<Gen> {
  const w = typeof words === 'string' ? [words] : words;
  return fc.oneof(
    { weight, arbitrary: valid.map((v): Gen => good(v)) },
    { weight: 1, arbitrary: fc.constantFrom(...invalid).map((v): Gen => ({ value: v, bad: w })) },
  );
}

/** Combines named fields into an object (undefined values are left out) and their bad words. */
function record(fields: Record<string, fc.Arbitrary<Gen>>): fc.Arbitrary<Gen<Record<string, unknown>>> {
  return fc.record(fields).map((r) => {
    const value: Record<string, unknown> = {};
    const bad: string[] = [];
    for (const [k, g] of Object.entries(r)) {
      if (g.value !== undefined) value[k] = g.value;
      bad.push(...g.bad);
    }
    return { value, bad };
  });
}

/** undefined, except one time in `1 + weight` a value from `arb`. */
function rarely<T>(arb: fc.Arbitrary<T>, weight: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

/** Sometimes adds an unknown key (a typo of a real one): its name is the word. */
function withUnknownKey(g: fc.Arbitrary<Gen<Record<string, unknown>>>, keys: readonly string[]): fc.Arbitrary<Gen<Record<string, unknown>>> {
  return fc.tuple(g, rarely(fc.constantFrom(...keys), 12)).map(([r, key]) =>
    key === undefined ? r : { value: { ...r.value, [key]: 1 }, bad: [...r.bad, key] });
}

// Invalid pools. Fields read with `??` treat null as absent (a default), so null is not invalid there.
const NOT_NUMBERS = [NaN, Infinity, -Infinity, '0.1', true, [], {}] as const;
const BAD_NONNEG = [...NOT_NUMBERS, -1, -1e-9, null];
const BAD_POSITIVE = [...BAD_NONNEG, 0, -0];
const BAD_UNIT = [...BAD_NONNEG, 1, 1.5]; // [0, 1)
const BAD_CLOSED_UNIT = [...BAD_NONNEG, 1.5, 1 + 1e-9]; // [0, 1]
const BAD_BOOL = ['true', 1, 0, null, {}];
const BAD_COUNT = [0, -1, 1.5, NaN, Infinity, '4', true, [2]];

const num = (min: number, max: number) => fc.double({ min, max, noNaN: true });

// ---------------------------------------------------------------------------------------------------
// Error classification

/** Fails unless `e` is a plain Error (or NonFiniteError) whose message names one of `words`. */
function checkError(e: unknown, words: readonly string[], allowNonFinite = false): void {
  if (!(e instanceof Error)) throw new Error(`threw a non-Error: ${String(e)}`);
  if (e instanceof WebAssembly.RuntimeError || e.cause instanceof WebAssembly.RuntimeError || /the core trapped/.test(e.message)) {
    throw new Error(`wasm trap: ${e.message}`, { cause: e });
  }
  if (e instanceof NonFiniteError) {
    if (!allowNonFinite) throw new Error(`unexpected NonFiniteError: ${e.message}`, { cause: e });
    return;
  }
  if (e.constructor !== Error) throw new Error(`threw a ${e.constructor.name}, not a plain Error: ${e.message}`, { cause: e });
  if (e.message.trim() === '') throw new Error('threw an Error with an empty message', { cause: e });
  if (words.length === 0) throw new Error(`rejected a valid config: ${e.message}`, { cause: e });
  if (!words.some((w) => e.message.includes(w))) {
    throw new Error(`the message names none of [${words.join(', ')}]: ${e.message}`, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------------
// Schedules

/** A valid schedule: built by its builder, or the same as plain data (as after JSON or postMessage). */
const validSchedule: fc.Arbitrary<Schedule> = fc.letrec<{ s: Schedule; plain: Schedule }>((tie) => ({
  plain: fc.oneof(
    num(0, 0.5).map((lr) => constant(lr)),
    fc.record({ lr: num(0, 0.5), stepSize: fc.integer({ min: 1, max: 10 }), gamma: fc.option(num(1e-3, 1), { nil: undefined }) })
      .map((o) => stepDecay(o)),
    fc.record({ lr: num(0, 0.5), gamma: num(1e-3, 1) }).map((o) => exponentialDecay(o)),
    fc.record({ lr: num(0, 0.5), steps: fc.integer({ min: 1, max: 100 }), f: num(0, 1) })
      .map(({ lr, steps, f }) => cosineDecay({ lr, steps, minLr: lr * f })),
  ),
  s: fc.oneof(
    { weight: 3, arbitrary: tie('plain') },
    {
      weight: 1,
      arbitrary: fc.record({ steps: fc.integer({ min: 1, max: 50 }), startFactor: fc.option(num(0, 1), { nil: undefined }),
        schedule: fc.oneof(num(0, 0.5), tie('plain')) }).map((o) => linearWarmup(o as never)),
    },
  ),
})).s.chain((s) => fc.constantFrom(s, JSON.parse(JSON.stringify(s)) as Schedule));

/** Invalid schedules, with the words naming the problem. */
const BAD_SCHEDULES: readonly (readonly [unknown, readonly string[]])[] = [
  [{ kind: 'linear', lr: 0.1 }, ['kind']],
  [{ kind: 'stepDecay', lr: 0.1 }, ['stepSize']],
  [{ kind: 'stepDecay', lr: 0.1, stepSize: 0 }, ['stepSize']],
  [{ kind: 'stepDecay', lr: 0.1, stepSize: 2.5 }, ['stepSize']],
  [{ kind: 'stepDecay', lr: 0.1, stepSize: 2, gamma: 0 }, ['gamma']],
  [{ kind: 'exponentialDecay', lr: 0.1, gamma: 1.5 }, ['gamma']],
  [{ kind: 'exponentialDecay', lr: 0.1 }, ['gamma']],
  [{ kind: 'cosineDecay', lr: 0.1, steps: 10, minLr: 0.2 }, ['minLr']],
  [{ kind: 'cosineDecay', lr: NaN, steps: 10 }, ['lr']],
  [{ kind: 'cosineDecay', lr: 0.1, steps: Infinity }, ['steps']],
  [{ kind: 'linearWarmup', steps: 0, schedule: 0.1 }, ['steps']],
  [{ kind: 'linearWarmup', steps: 5, schedule: -1 }, ['lr']],
  [{ kind: 'linearWarmup', steps: 5, schedule: { kind: 'constant', lr: '0.1' } }, ['lr']],
  [{ kind: 'linearWarmup', steps: 5, schedule: 0.1, startFactor: 2 }, ['startFactor']],
  [{ kind: 'constant', lr: -1 }, ['lr']],
  [{ kind: 'constant', lr: 0.1, extra: 1 }, ['extra']],
  [{ kind: 'stepDecay', lr: 0.1, stepSize: 2, step_size: 2 }, ['step_size']],
  [{ lr: 0.1 }, ['kind']],
  [() => 0.1, ['function']],
  [[0.1], ['lr', 'schedule']],
];

/** An optimizer's lr: a number, a schedule, or (rarely) invalid. */
const lrField = (dflt: boolean): fc.Arbitrary<Gen> => fc.oneof(
  { weight: 8, arbitrary: (dflt ? fc.option(num(0, 0.5), { nil: undefined }) : num(0, 0.5)).map(good) },
  { weight: 4, arbitrary: validSchedule.map((s): Gen => good(s)) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_NONNEG, ...(dflt ? [] : [undefined])).map((v): Gen => ({ value: v, bad: ['lr'] })) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_SCHEDULES).map(([v, w]): Gen => ({ value: v, bad: w })) },
);

// ---------------------------------------------------------------------------------------------------
// Optimizers and chains. A transform is generated as a recipe (builder + options) and built inside the
// property, where a throw can be checked.

type Recipe = { build: () => GradientTransformation | unknown; bad: readonly string[]; kind: 'gradient' | 'optimizer'; show: string };

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { freq: 3, nil: undefined });

function recipe(name: string, kind: 'gradient' | 'optimizer', options: fc.Arbitrary<Gen<Record<string, unknown>>>,
                call: (o: Record<string, unknown>) => GradientTransformation): fc.Arbitrary<Recipe> {
  // Now and then the whole options argument is wrong.
  return fc.oneof(
    { weight: 20, arbitrary: options },
    { weight: 1, arbitrary: fc.constantFrom(null, 'lr', 5, [0.1]).map((v): Gen<Record<string, unknown>> => ({ value: v as never, bad: ['options'] })) },
  ).map((o) => ({ build: () => call(o.value), bad: o.bad, kind, show: `${name}(${safeJson(o.value)})` }));
}

const safeJson = (v: unknown): string => {
  try { return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)) ?? String(v); } catch { return String(v); }
};

const sgdRecipe = fc
  .record({ lr: lrField(false), momentum: field(opt(num(0, 0.99)), BAD_NONNEG, 'momentum'),
    dampening: field(opt(fc.oneof(fc.constant(0), num(0, 1))), BAD_CLOSED_UNIT, 'dampening'),
    nesterov: field(opt(fc.boolean()), BAD_BOOL, 'nesterov'), weightDecay: field(opt(num(0, 0.1)), BAD_NONNEG, 'weightDecay') })
  .map((f): Record<string, Gen> => {
    // PyTorch's rule: nesterov needs momentum > 0 and dampening 0; when the other two are valid, a
    // nesterov: true that breaks it is the invalid field.
    const m = f.momentum!.value, d = f.dampening!.value;
    if (f.nesterov!.value === true && f.momentum!.bad.length === 0 && f.dampening!.bad.length === 0 && !((m as number) > 0 && (d ?? 0) === 0)) {
      return { ...f, nesterov: { value: true, bad: ['nesterov'] } };
    }
    return f;
  });
const gensToRecord = (f: Record<string, Gen>): Gen<Record<string, unknown>> => {
  const value: Record<string, unknown> = {};
  const bad: string[] = [];
  for (const [k, g] of Object.entries(f)) { if (g.value !== undefined) value[k] = g.value; bad.push(...g.bad); }
  return { value, bad };
};

const BAD_BETAS = ['x', [0.9], [0.9, 0.999, 0.5], [1, 0.9], [0.9, NaN], [-0.1, 0.9], null, { 0: 0.9, 1: 0.99 }];
const adamOptions = record({
  lr: lrField(true),
  betas: field(opt(fc.tuple(num(0, 0.999), num(0, 0.999))), BAD_BETAS, 'betas'),
  eps: field(opt(num(1e-10, 1e-3)), BAD_POSITIVE, 'eps'),
  weightDecay: field(opt(num(0, 0.1)), BAD_NONNEG, 'weightDecay'),
});

const optimizerRecipe: fc.Arbitrary<Recipe> = fc.oneof(
  recipe('sgd', 'optimizer', withUnknownKey(sgdRecipe.map(gensToRecord), ['learningRate', 'momentun', 'nesterof']), (o) => sgd(o as never)),
  recipe('adam', 'optimizer', withUnknownKey(adamOptions, ['beta1', 'epsilon', 'weight_decay']), (o) => adam(o as never)),
  recipe('adamw', 'optimizer', withUnknownKey(adamOptions, ['amsgrad', 'wd']), (o) => adamw(o as never)),
  recipe('adagrad', 'optimizer', withUnknownKey(record({
    lr: lrField(true), lrDecay: field(opt(num(0, 1)), BAD_NONNEG, 'lrDecay'), weightDecay: field(opt(num(0, 0.1)), BAD_NONNEG, 'weightDecay'),
    initialAccumulatorValue: field(opt(num(0, 1)), BAD_NONNEG, 'initialAccumulatorValue'), eps: field(opt(num(1e-10, 1e-3)), BAD_POSITIVE, 'eps'),
  }), ['lr_decay', 'initialAccumulator']), (o) => adagrad(o as never)),
  recipe('rmsprop', 'optimizer', withUnknownKey(record({
    lr: lrField(true), alpha: field(opt(num(0, 0.999)), BAD_UNIT, 'alpha'), eps: field(opt(num(1e-10, 1e-3)), BAD_POSITIVE, 'eps'),
    weightDecay: field(opt(num(0, 0.1)), BAD_NONNEG, 'weightDecay'), momentum: field(opt(num(0, 0.99)), BAD_NONNEG, 'momentum'),
    centered: field(opt(fc.boolean()), BAD_BOOL, 'centered'),
  }), ['rho', 'centred']), (o) => rmsprop(o as never)),
);

const gradientRecipe: fc.Arbitrary<Recipe> = fc.oneof(
  field(num(1e-3, 10), BAD_POSITIVE, 'maxAbs').map((g): Recipe => ({ build: () => clipByValue(g.value as number), bad: g.bad, kind: 'gradient', show: `clipByValue(${safeJson(g.value)})` })),
  field(num(1e-3, 10), BAD_POSITIVE, 'maxNorm').map((g): Recipe => ({ build: () => clipByGlobalNorm(g.value as number), bad: g.bad, kind: 'gradient', show: `clipByGlobalNorm(${safeJson(g.value)})` })),
  recipe('addNoise', 'gradient', withUnknownKey(record({
    eta: field(opt(num(0, 0.1)), BAD_NONNEG, 'eta'), gamma: field(opt(num(0, 1)), BAD_NONNEG, 'gamma'),
  }), ['gama', 'sigma']), (o) => addNoise(o as never)),
);

/**
 * A training optimizer: a lone optimizer or a chain (gradient transforms, then one optimizer), given as
 * built transforms, nested chains, or plain { name, config } descriptions. Sometimes the structure is
 * wrong: no optimizer, an optimizer not last, an empty chain, an unknown name.
 */
const trainingOptimizer: fc.Arbitrary<Recipe> = fc
  .tuple(fc.array(gradientRecipe, { maxLength: 3 }), optimizerRecipe,
    fc.constantFrom('lone', 'chain', 'chain', 'nested', 'description', 'fromDescription', 'mixed'),
    rarely(fc.constantFrom('noOptimizer', 'optimizerFirst', 'twoOptimizers', 'empty', 'unknownName', 'badConfig', 'notATransform'), 14))
  .map(([grads, o, form, broken]): Recipe => {
    const parts = [...grads, o];
    const bad = parts.flatMap((p) => p.bad);
    const show = `${form}${broken ? `/${broken}` : ''}: ${parts.map((p) => p.show).join(', ')}`;
    const built = () => parts.map((p) => p.build() as GradientTransformation);
    const desc = (t: GradientTransformation) => JSON.parse(JSON.stringify(describeTransform(t))) as unknown;
    if (broken !== undefined) {
      const words: Record<string, string[]> = {
        noOptimizer: ['no optimizer', 'needs at least one'], optimizerFirst: ['must be the last'], twoOptimizers: ['must be the last'],
        empty: ['needs at least one'], unknownName: ['unknown transform'], badConfig: ['unknown option', 'options must be an object'],
        notATransform: ['transform is'],
      };
      const w = [...bad, ...words[broken]!];
      switch (broken) {
        case 'noOptimizer': return { build: () => chain(...built().slice(0, -1)), bad: w, kind: 'gradient', show };
        case 'optimizerFirst': return { build: () => { const b = built(); return chain(b[b.length - 1]!, ...b); }, bad: w, kind: 'optimizer', show };
        case 'twoOptimizers': return { build: () => { const b = built(); return chain(...b, b[b.length - 1]!); }, bad: w, kind: 'optimizer', show };
        case 'empty': return { build: () => chain(), bad: w, kind: 'optimizer', show };
        case 'unknownName': return { build: () => ({ name: 'lamb', config: { lr: 0.1 } }), bad: w, kind: 'optimizer', show };
        case 'badConfig': return { build: () => ({ name: o.kind === 'optimizer' ? 'sgd' : 'adam', config: { lr: 0.1, lrr: 1 } }), bad: w, kind: 'optimizer', show };
        case 'notATransform': return { build: () => 42, bad: w, kind: 'optimizer', show };
      }
    }
    switch (form) {
      case 'lone': return { build: () => o.build(), bad: o.bad, kind: 'optimizer', show };
      case 'chain': return { build: () => chain(...built()), bad, kind: 'optimizer', show };
      case 'nested': return { build: () => { const b = built(); return chain(chain(...b.slice(0, 1)), ...b.slice(1)); }, bad, kind: 'optimizer', show };
      case 'description': return { build: () => desc(chain(...built())), bad, kind: 'optimizer', show };
      case 'fromDescription': return { build: () => fromDescription(desc(chain(...built()))), bad, kind: 'optimizer', show };
      default: return { build: () => chain(...built().map((t, i) => (i % 2 === 0 ? desc(t) as never : t))), bad, kind: 'optimizer', show };
    }
  });

// ---------------------------------------------------------------------------------------------------
// Model specs and options

const ACTIVATIONS = ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'] as const;
const BAD_INITS = [
  'orthogonal', 'Zeros', '', 5, null, { kind: 'normal', std: -1 }, { kind: 'normal' }, { kind: 'normal', std: 0.1, mean: Infinity },
  { kind: 'uniform', low: 1, high: 0 }, { kind: 'uniform', low: 0, high: NaN }, { kind: 'constant', value: NaN }, { kind: 'constant' },
  { kind: 'bogus' }, {}, [],
];
const validInit = fc.oneof(
  fc.constantFrom(undefined, 'zeros', 'glorotUniform', 'glorotNormal', 'heNormal', 'heUniform', 'sussilloAbbott'),
  fc.record({ kind: fc.constant('normal'), std: num(0, 0.5), mean: opt(num(-0.5, 0.5)) }, { requiredKeys: ['kind', 'std'] }),
  fc.tuple(num(-0.5, 0.5), num(0, 1)).map(([low, w]) => ({ kind: 'uniform', low, high: low + w })),
  num(-1, 1).map((value) => ({ kind: 'constant', value })),
);
const BAD_UNITS = [...BAD_COUNT, MAX_UNITS + 1, 2 ** 32, null, undefined, '8'];
const DUP = Symbol('duplicate name');

/** A hidden layer: dense (units <= 16) or dropout. */
const hiddenLayer: fc.Arbitrary<Gen<Record<string, unknown>>> = fc.oneof(
  { weight: 3, arbitrary: record({
    kind: field(fc.constant('dense'), ['conv', 'Dense', null, 5], 'kind', 30),
    units: field(fc.integer({ min: 1, max: 16 }), BAD_UNITS, 'units'),
    activation: field(fc.constantFrom(...ACTIVATIONS, undefined, null), ['gelu', '', 'RELU', 5, {}], 'activation'),
    alpha: field(opt(num(1e-3, 0.5)), [0, -0.1, NaN, Infinity, '0.1', true], 'alpha'),
    kernelInit: field(validInit, BAD_INITS, 'kernelInit', 20),
    biasInit: field(validInit, BAD_INITS, 'biasInit', 20),
    name: field(fc.constantFrom(undefined, null), ['', 'a b', 'é', 5, '../x', DUP], 'name', 20),
  }) },
  { weight: 1, arbitrary: record({
    kind: fc.constant(good('dropout')),
    rate: field(num(0, 0.9), [1, 1.5, -0.1, NaN, Infinity, '0.5', null, undefined], 'rate'),
    name: field(fc.constantFrom(undefined, null), ['', 'x y', DUP], 'name', 20),
  }) },
);

interface SpecGen extends Gen<ModelSpec> { readonly outputs: number; readonly inputs: number }

const specGen: fc.Arbitrary<SpecGen> = fc
  .record({
    inputs: field(fc.integer({ min: 1, max: 8 }), [...BAD_COUNT, MAX_UNITS + 1, null, undefined], 'inputs'),
    loss: field(fc.constantFrom('softmaxCrossEntropy', 'meanSquaredError'), ['hinge', '', 5, null, undefined, 'SoftmaxCrossEntropy'], 'loss'),
    hidden: fc.array(hiddenLayer, { maxLength: 2 }),
    outUnits: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 2, max: 6 }) }, { weight: 1, arbitrary: fc.constant(1) }),
    outActivation: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('linear', undefined, null) }, { weight: 1, arbitrary: fc.constantFrom(...ACTIVATIONS) }),
    outInit: field(validInit, BAD_INITS, 'kernelInit', 30),
    broken: rarely(fc.constantFrom('layers=[]', 'layers=null', 'layers=string', 'lastDropout', 'layer=null', 'layer=5', 'spec=null'), 25),
  })
  .map(({ inputs, loss, hidden, outUnits, outActivation, outInit, broken }): SpecGen => {
    const softmax = loss.value === 'softmaxCrossEntropy';
    const bad: string[] = [...inputs.bad, ...loss.bad, ...outInit.bad];
    const layers: unknown[] = hidden.map((h, i) => {
      if (h.value.name !== DUP) { bad.push(...h.bad); return h.value; }
      if (i === 0) { // nothing earlier to duplicate: the default name, which is valid
        const words = [...h.bad];
        words.splice(words.indexOf('name'), 1);
        bad.push(...words);
        return { ...h.value, name: undefined };
      }
      bad.push(...h.bad);
      const first = hidden[0]!.value;
      return { ...h.value, name: (first.name as string | undefined | null) ?? `${String(first.kind)}_0` };
    });
    // The output layer: valid for the loss unless the generator picked a units/activation pair the loss refuses.
    const last: Record<string, unknown> = { kind: 'dense', units: outUnits, activation: outActivation, kernelInit: outInit.value };
    if (softmax && loss.bad.length === 0) {
      if (outUnits < 2) bad.push('units');
      if (outActivation !== undefined && outActivation !== null && outActivation !== 'linear') bad.push('activation');
    }
    layers.push(last);
    let spec: unknown = { inputs: inputs.value, layers, loss: loss.value };
    if (broken === 'layers=[]') { spec = { ...(spec as object), layers: [] }; bad.push('layers'); }
    if (broken === 'layers=null') { spec = { ...(spec as object), layers: null }; bad.push('layers'); }
    if (broken === 'layers=string') { spec = { ...(spec as object), layers: 'dense' }; bad.push('layers'); }
    if (broken === 'lastDropout') { layers.push({ kind: 'dropout', rate: 0.1 }); bad.push('last layer', 'rate'); }
    if (broken === 'layer=null') { layers.unshift(null); bad.push('kind'); }
    if (broken === 'layer=5') { layers.unshift(5); bad.push('kind'); }
    if (broken === 'spec=null') { spec = null; bad.push('spec'); }
    return { value: spec as ModelSpec, bad, outputs: outUnits, inputs: inputs.value as number };
  });

interface OptionsGen extends Gen<Record<string, unknown>> { readonly optimizer: Recipe | undefined; readonly batchSize: number }

const optionsGen: fc.Arbitrary<OptionsGen> = fc
  .record({
    base: withUnknownKey(record({
      batchSize: field(opt(fc.integer({ min: 1, max: 16 })), [...BAD_COUNT, MAX_UNITS + 1], 'batchSize'),
      seed: field(opt(fc.oneof(fc.nat(1000), fc.constant(2 ** 53 - 1), fc.maxSafeNat())), [-1, 1.5, 2 ** 53, NaN, Infinity, '1', 10n, true], 'seed'),
      shards: field(opt(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(MAX_SHARDS))), [...BAD_COUNT, MAX_SHARDS + 1], 'shards'),
      build: field(fc.constantFrom(undefined, 'auto', 'single', 'threads'), ['fast', 5, null, ''], 'build'),
      fuse: field(fc.constantFrom(undefined, true, false), BAD_BOOL, 'fuse'),
      onWarning: field(fc.constant(undefined), [5, 'log', null, {}], 'onWarning', 30),
      workers: field(fc.constant(0), [-1, 1.5, NaN, '0', Infinity, 'shards+1'], 'workers'),
      wasm: field(fc.constant(undefined), ['bytes', [0, 97, 115, 109], null], 'wasm', 40),
    }), ['optimiser', 'epochs', 'Seed', 'batch_size']),
    optimizer: fc.option(trainingOptimizer, { freq: 6, nil: undefined }),
  })
  .map(({ base, optimizer }): OptionsGen => {
    const value = { ...base.value };
    if (value['workers'] === 'shards+1') value['workers'] = ((value['shards'] as number | undefined) ?? 4) + 1;
    const batchSize = typeof value['batchSize'] === 'number' && Number.isInteger(value['batchSize']) ? value['batchSize'] : 32;
    return { value, bad: [...base.bad, ...(optimizer?.bad ?? [])], optimizer, batchSize };
  });

/** Tiny random data for a spec: x in [-1, 1), labels or targets. */
function dataFor(inputs: number, outputs: number, mse: boolean, n: number, seed: number) {
  const r = lcg(seed);
  const x = new Float32Array(n * inputs).map(() => r());
  const y = mse ? new Float32Array(n * outputs).map(() => r()) : new Uint8Array(n).map(() => Math.floor((r() + 1) / 2 * outputs));
  return { x, y };
}

/** Creates the model (building the optimizer first), trains a couple of steps, checks outputs; always disposes. */
async function buildAndTrain(s: SpecGen, o: OptionsGen, warnings: string[]): Promise<void> {
  const options: Record<string, unknown> = { ...o.value };
  if (!('onWarning' in options)) options['onWarning'] = (m: string) => warnings.push(m);
  if (o.optimizer) options['optimizer'] = o.optimizer.build();
  const model = await createModel(s.value, options as ModelOptions);
  try {
    expect(model.workers).toBe(0);
    const mse = s.value.loss === 'meanSquaredError';
    const n = Math.min(6, model.batchSize);
    const { x, y } = dataFor(s.inputs, s.outputs, mse, n, 7);
    for (let i = 0; i < 2; i++) {
      const r = model.trainOnBatch(x, y);
      expect(Number.isFinite(r.loss)).toBe(true);
    }
    const h = await model.fit(x, y, { epochs: 1, batchSize: Math.min(n, 3) });
    expect(h.steps).toBe(2 + Math.ceil(n / Math.min(n, 3)));
    const p = model.predict(x);
    expect(p.length).toBe(n * s.outputs);
    for (const v of p) expect(Number.isFinite(v)).toBe(true);
    for (const w of model.getWeights().values()) for (const v of w) expect(Number.isFinite(v)).toBe(true);
  } finally {
    await model.dispose();
  }
}

const stats = { built: 0, rejected: 0, nonFinite: 0 };

describe('createModel under fuzzing (workers: 0)', () => {
  afterAll(() => {
    console.log(`createModel fuzz: ${stats.built} built and trained, ${stats.rejected} rejected, ${stats.nonFinite} stopped by NonFiniteError`);
  });

  it('valid configs build and train; invalid ones are refused with an Error naming the field', async () => {
    await fc.assert(
      fc.asyncProperty(specGen, optionsGen, async (s, o) => {
        const bad = [...s.bad, ...o.bad];
        const warnings: string[] = [];
        try {
          await buildAndTrain(s, o, warnings);
        } catch (e) {
          if (e instanceof NonFiniteError && bad.length === 0) { stats.nonFinite++; return; }
          checkError(e, bad);
          stats.rejected++;
          return;
        }
        if (bad.length > 0) throw new Error(`accepted an invalid config (expected an error naming one of [${bad.join(', ')}])`);
        stats.built++;
      }),
      { seed: SEED, numRuns: 1000 },
    );
    // Not vacuous: both sides of the property were exercised.
    expect(stats.built).toBeGreaterThan(200);
    expect(stats.rejected).toBeGreaterThan(200);
  });

  it('the fused wasm update and the TypeScript reference chain give the same bits (random valid specs and optimizers)', async () => {
    let fused = 0;
    await fc.assert(
      fc.asyncProperty(specGen.filter((s) => s.bad.length === 0), trainingOptimizer.filter((r) => r.bad.length === 0), fc.nat(1000), async (s, r, seed) => {
        const mse = s.value.loss === 'meanSquaredError';
        const { x, y } = dataFor(s.inputs, s.outputs, mse, 6, seed + 1);
        // Each path: the weights after 3 trainOnBatch steps and a 2-epoch fit, or the step where a legitimately
        // diverging config (e.g. rmsprop centered with alpha 0: the denominator is eps) stopped, and the weights then.
        const runs: { stoppedAt: number | null; weights: Buffer; steps: number }[] = [];
        for (const fuse of [true, false]) {
          const model = await createModel(s.value, { workers: 0, batchSize: 4, seed, shards: 1 + (seed % 3), fuse, optimizer: r.build() as GradientTransformation, onWarning: () => {} });
          let stoppedAt: number | null = null;
          try {
            if (fuse && model.isFused) fused++;
            for (let i = 0; i < 3; i++) model.trainOnBatch(x.subarray(0, 4 * s.inputs), (mse ? y.subarray(0, 4 * s.outputs) : y.subarray(0, 4)) as never);
            await model.fit(x, y, { epochs: 2, batchSize: 4 });
          } catch (e) {
            if (!(e instanceof NonFiniteError)) throw e;
            stoppedAt = e.step;
          }
          try {
            runs.push({ stoppedAt, steps: model.step, weights: Buffer.from(Float32Array.from(weightsOf(model)).buffer) });
          } finally {
            await model.dispose();
          }
        }
        const [f, t] = runs as [typeof runs[0], typeof runs[0]];
        expect({ stoppedAt: f.stoppedAt, steps: f.steps }, `fused and reference runs stop differently for ${r.show}`).toEqual({ stoppedAt: t.stoppedAt, steps: t.steps });
        expect(f.weights.equals(t.weights), `fused and reference weights differ for ${r.show}`).toBe(true);
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(fused).toBeGreaterThan(100);
  });

  it('a plan past the 4 GiB arena is refused before anything is allocated', async () => {
    const before = process.memoryUsage().rss;
    for (const spec of [
      { inputs: MAX_UNITS, layers: [{ kind: 'dense', units: MAX_UNITS }, { kind: 'dense', units: MAX_UNITS }], loss: 'meanSquaredError' },
      { inputs: 8, layers: [{ kind: 'dense', units: MAX_UNITS }, { kind: 'dense', units: 2 }], loss: 'softmaxCrossEntropy' },
    ] as ModelSpec[]) {
      const e = await createModel(spec, { workers: 0, batchSize: MAX_UNITS }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).constructor).toBe(Error);
      expect((e as Error).message).toMatch(/the planned arena needs \d+ pages of 64 KiB; the limit is 65536/);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
  });
});

// ---------------------------------------------------------------------------------------------------
// Optimizers and schedules on their own (cheap: no model)

describe('optimizer builders under fuzzing', () => {
  it('build, describe, rebuild and update; or an Error naming the field', () => {
    const params = [new Float32Array([0.5, -0.25, 1, 0]), new Float32Array([0.1, 0.2])];
    fc.assert(
      fc.property(trainingOptimizer, fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(num(-3, 3), { minLength: 6, maxLength: 6 }), (r, t, g) => {
        let tr: GradientTransformation;
        try {
          const built = r.build();
          tr = (built !== null && typeof built === 'object' && 'update' in built ? built : fromDescription(built, 'optimizer')) as GradientTransformation;
          if (tr.kind !== 'optimizer') throw new Error(`optimizer: no optimizer in the chain`);
        } catch (e) {
          checkError(e, [...r.bad, 'optimizer']);
          if (r.bad.length === 0) throw new Error(`rejected a valid optimizer ${r.show}`);
          return;
        }
        if (r.bad.length > 0) throw new Error(`accepted an invalid optimizer ${r.show} (expected an error naming one of [${r.bad.join(', ')}])`);
        // The description is plain data that rebuilds the same transform.
        const d = JSON.parse(JSON.stringify(describeTransform(tr)));
        expect(describeTransform(fromDescription(d))).toEqual(describeTransform(tr));
        expect(Object.isFrozen(tr.config)).toBe(true);
        // One update at a random step: fresh arrays of the params' shapes, finite, inputs untouched.
        const grads = [new Float32Array(g.slice(0, 4)), new Float32Array(g.slice(4))];
        const copies = params.map((p) => p.slice());
        const state = tr.init(params);
        const out = tr.update(grads, state, params, t, { seed: 3 });
        expect(params).toEqual(copies);
        expect(out.params!.map((p) => p.length)).toEqual([4, 2]);
        for (const p of out.params!) for (const v of p) expect(Number.isFinite(v)).toBe(true);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('schedules: valid ones give a finite lr in [0, their largest lr] at every step, and survive JSON', () => {
    const peak = (s: Schedule | number): number => (typeof s === 'number' ? s : s.kind === 'linearWarmup' ? peak(s.schedule) : s.lr);
    fc.assert(
      fc.property(validSchedule, fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constant(2 ** 53 - 1)), (s, t) => {
        const v = scheduleValue(s, t);
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(peak(s) * (1 + 1e-12));
        expect(validateSchedule(JSON.parse(JSON.stringify(s)))).toEqual(s);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('schedules: invalid plain data is refused naming the field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BAD_SCHEDULES), fc.constantFrom('sgd', 'adam', 'linearWarmup'), ([s, words], where) => {
        try {
          if (where === 'sgd') sgd({ lr: s as never });
          else if (where === 'adam') adam({ lr: s as never });
          else linearWarmup({ steps: 3, schedule: s as never });
        } catch (e) {
          checkError(e, words);
          return;
        }
        throw new Error(`accepted schedule ${safeJson(s)}`);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('exotic values (symbols, bigints, null-prototype objects) in optimizer and schedule options: a plain Error', () => {
    const exotic = fc.constantFrom<unknown>(Symbol('s'), 10n, Object.create(null), Object.freeze([]), new Map(), new Date(0), /re/);
    const builders: [string, (v: unknown) => unknown][] = [
      ['lr', (v) => sgd({ lr: v as never })], ['momentum', (v) => sgd({ lr: 0.1, momentum: v as never })],
      ['betas', (v) => adam({ betas: v as never })], ['eps', (v) => adamw({ eps: v as never })],
      ['centered', (v) => rmsprop({ centered: v as never })], ['lrDecay', (v) => adagrad({ lrDecay: v as never })],
      ['maxAbs', (v) => clipByValue(v as never)], ['maxNorm', (v) => clipByGlobalNorm(v as never)],
      ['eta', (v) => addNoise({ eta: v as never })],
      ['transform', (v) => fromDescription(v)], ['transform', (v) => chain(v as never)],
      ['stepSize', (v) => stepDecay({ lr: 0.1, stepSize: v as never })], ['steps', (v) => linearWarmup({ steps: v as never, schedule: 0.1 })],
      ['schedule', (v) => validateSchedule(v)],
    ];
    fc.assert(
      fc.property(exotic, fc.constantFrom(...builders), (v, [word, build]) => {
        try {
          build(v);
        } catch (e) {
          checkError(e, [word, 'transform', 'options', 'schedule', 'kind']);
          return;
        }
        throw new Error(`accepted ${String(v)} as ${word}`);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// fit(): options and data

interface FitCase {
  readonly x: unknown;
  readonly y: unknown;
  readonly options: Record<string, unknown>;
  readonly bad: readonly string[];
  readonly show: string;
}

/** fit() arguments for a model with `inputs`, `outputs` and batchSize 4, on 5..12 examples. */
function fitCase(inputs: number, outputs: number, mse: boolean): fc.Arbitrary<FitCase> {
  const rows = fc.integer({ min: 5, max: 12 });
  return rows.chain((n) => {
    const data = fc.integer({ min: 1, max: 1000 }).map((seed) => dataFor(inputs, outputs, mse, n, seed));
    const xGen = fc.oneof(
      { weight: 14, arbitrary: data.map((d): Gen => good(d.x)) },
      { weight: 2, arbitrary: data.map((d): Gen => good(Uint8Array.from(d.x, (v) => Math.floor((v + 1) * 1.5)))) },
      { weight: 1, arbitrary: fc.tuple(data, fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity)).map(([d, i, v]): Gen => {
        const x = d.x.slice(); x[i % x.length] = v; return { value: x, bad: ['must be finite', 'x['] };
      }) },
      { weight: 1, arbitrary: fc.constantFrom<Gen>(
        { value: new Float32Array(0), bad: ['x is empty'] }, { value: new Float32Array(n * inputs + 1), bad: ['x.length'] },
        { value: Array.from({ length: n * inputs }, () => 0), bad: ['x must be'] }, { value: new Float64Array(n * inputs), bad: ['x must be'] },
        { value: null, bad: ['x must be'] }, { value: undefined, bad: ['x must be'] },
      ) },
    );
    const labels = (d: { y: Float32Array | Uint8Array }) => d.y;
    const yGen = fc.oneof(
      { weight: 14, arbitrary: data.map((d): Gen => good(labels(d))) },
      { weight: 1, arbitrary: data.map((d): Gen => good(mse ? d.y : Int32Array.from(d.y))) },
      { weight: 1, arbitrary: fc.tuple(data, fc.nat()).map(([d, i]): Gen => {
        if (mse) { const y = (d.y as Float32Array).slice(); y[i % y.length] = NaN; return { value: y, bad: ['must be finite', 'y['] }; }
        const y = Int32Array.from(d.y); y[i % y.length] = i % 2 === 0 ? outputs : -1; return { value: y, bad: ['y['] };
      }) },
      { weight: 1, arbitrary: fc.constantFrom<Gen>(
        { value: undefined, bad: ['y is missing'] }, { value: mse ? new Float32Array(n * outputs - 1) : new Uint8Array(n + 1), bad: ['y.length'] },
        { value: mse ? new Uint8Array(n) : new Float32Array(n), bad: ['y must'] }, { value: [0, 1], bad: ['y must'] },
      ) },
    );
    const validation = fc.oneof(
      { weight: 6, arbitrary: fc.constant(good(undefined)) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 9 }).map((m): Gen => good(dataFor(inputs, outputs, mse, m, m))) },
      { weight: 1, arbitrary: fc.constantFrom<Gen>(
        { value: null, bad: ['validation'] }, { value: 'val', bad: ['validation'] },
        { value: { x: new Float32Array(inputs + 1), y: new Uint8Array(1) }, bad: ['validation'] },
        { value: { x: new Float32Array(inputs) }, bad: ['validation'] },
        { value: { x: new Float32Array(inputs).fill(NaN), y: mse ? new Float32Array(outputs) : new Uint8Array(1) }, bad: ['validation'] },
      ) },
    );
    return fc.record({
      x: xGen, y: yGen,
      options: withUnknownKey(record({
        epochs: field(fc.constantFrom(undefined, 0, 1, 2, 3, 'Infinity'), [-1, 1.5, NaN, '2', true, -Infinity], 'epochs'),
        steps: field(opt(fc.integer({ min: 0, max: 6 })), [-1, 1.5, NaN, Infinity, '3', 2 ** 53], 'steps'),
        batchSize: field(opt(fc.integer({ min: 1, max: 4 })), [0, 5, 1.5, NaN, '2', -1, 2 ** 31], 'batchSize'),
        seed: field(opt(fc.nat(1e6)), [-1, 0.5, NaN, '7', 2 ** 53], 'seed'),
        shuffle: field(opt(fc.boolean()), BAD_BOOL, 'shuffle'),
        dropLast: field(opt(fc.boolean()), BAD_BOOL, 'dropLast'),
        nonFinite: field(fc.constantFrom(undefined, null, 'throw', 'skip'), ['ignore', 5, '', 'Skip'], 'nonFinite'),
        signal: field(fc.constantFrom(undefined, 'live', 'aborted'), [{ aborted: false }, 5, null], 'signal'),
        onStep: field(fc.constant(undefined), [5, 'f', {}, null], 'onStep', 20),
        onEpoch: field(fc.constant(undefined), [5, 'f', {}, null], 'onEpoch', 20),
        validation,
      }), ['epoch', 'batch_size', 'callbacks', 'verbose']),
    }).map(({ x, y, options }): FitCase => {
      const o = { ...options.value };
      const bad = [...x.bad, ...y.bad, ...options.bad];
      // Infinity epochs are valid only with steps.
      if (o['epochs'] === 'Infinity') {
        o['epochs'] = Infinity;
        if (o['steps'] === undefined) bad.push('epochs');
      }
      if (o['signal'] === 'live') o['signal'] = new AbortController().signal;
      if (o['signal'] === 'aborted') o['signal'] = AbortSignal.abort();
      // A batch larger than the examples given (the default batch is the model's 4; n >= 5) is refused.
      const count = x.value instanceof Float32Array || x.value instanceof Uint8Array ? x.value.length / inputs : 0;
      if (Number.isInteger(count) && count > 0 && typeof o['batchSize'] === 'number' && o['batchSize'] > count) bad.push('batchSize');
      return { x: x.value, y: y.value, options: o, bad, show: `n=${n} ${safeJson(o)}` };
    });
  });
}

function weightsOf(m: Model): number[] {
  return [...m.getWeights().values()].flatMap((w) => Array.from(w));
}

describe('fit() under fuzzing (workers: 0)', () => {
  const models: { model: Model; inputs: number; outputs: number; mse: boolean }[] = [];
  const fitWarnings: string[] = [];
  beforeAll(async () => {
    const soft: ModelSpec = { inputs: 5, layers: [{ kind: 'dense', units: 7, activation: 'tanh' }, { kind: 'dropout', rate: 0.2 }, { kind: 'dense', units: 3 }] as LayerSpec[], loss: 'softmaxCrossEntropy' };
    const mse: ModelSpec = { inputs: 3, layers: [{ kind: 'dense', units: 6, activation: 'relu' }, { kind: 'dense', units: 2 }], loss: 'meanSquaredError' };
    models.push({ model: await createModel(soft, { workers: 0, batchSize: 4, seed: 5, optimizer: chain(clipByGlobalNorm(1), addNoise(), adam({ lr: 0.01 })), onWarning: (m) => fitWarnings.push(m) }), inputs: 5, outputs: 3, mse: false });
    models.push({ model: await createModel(mse, { workers: 0, batchSize: 4, seed: 6, optimizer: chain(clipByGlobalNorm(1), sgd({ lr: 0.05, momentum: 0.9 })), onWarning: (m) => fitWarnings.push(m) }), inputs: 3, outputs: 2, mse: true });
  });
  afterAll(async () => {
    await Promise.all(models.map((m) => m.model.dispose()));
  });

  const counts = { trained: 0, refused: 0 };
  afterAll(() => console.log(`fit fuzz: ${counts.trained} trained, ${counts.refused} refused, ${fitWarnings.length} notices (a cut epoch restarted in another data order)`));

  for (const which of [0, 1]) {
    it(`${which === 0 ? 'softmaxCrossEntropy' : 'meanSquaredError'}: valid calls train the expected steps; invalid ones are refused naming the field and leave the model untouched`, async () => {
      const { model, inputs, outputs, mse } = models[which]!;
      await fc.assert(
        fc.asyncProperty(fitCase(inputs, outputs, mse), async (c) => {
          const stepBefore = model.step;
          const weightsBefore = weightsOf(model);
          const seen: number[] = [];
          const options = { ...c.options };
          if (!('onStep' in options)) options['onStep'] = (i: { loss: number }) => { seen.push(i.loss); };
          let h;
          try {
            h = await model.fit(c.x as never, c.y as never, options);
          } catch (e) {
            checkError(e, c.bad);
            expect(model.step, 'a refused fit() took steps').toBe(stepBefore);
            expect(weightsOf(model), 'a refused fit() changed the weights').toEqual(weightsBefore);
            counts.refused++;
            return;
          }
          if (c.bad.length > 0) throw new Error(`accepted an invalid fit() call (expected an error naming one of [${c.bad.join(', ')}])`);
          counts.trained++;
          const taken = h.steps - stepBefore;
          expect(taken).toBe(model.step - stepBefore);
          expect(seen.length).toBe(taken);
          for (const l of seen) expect(Number.isFinite(l)).toBe(true);
          expect(h.skippedSteps).toBe(0);
          const n = (c.x as Float32Array).length / inputs;
          const batch = (options['batchSize'] as number | undefined) ?? 4;
          const perEpoch = options['dropLast'] ? Math.floor(n / batch) : Math.ceil(n / batch);
          const epochs = (options['epochs'] as number | undefined) ?? (options['steps'] !== undefined ? Infinity : 1);
          const maxSteps = (options['steps'] as number | undefined) ?? Infinity;
          if ((options['signal'] as AbortSignal | undefined)?.aborted) {
            expect(taken).toBe(0);
            expect(h.aborted).toBe(epochs > 0 && maxSteps > 0);
          } else {
            expect(taken).toBeLessThanOrEqual(Math.min(maxSteps, epochs * perEpoch));
            // Whole epochs only: exactly epochs * perEpoch unless an earlier cut epoch is continued.
            if (maxSteps === Infinity && perEpoch > 0) expect(taken).toBeGreaterThanOrEqual((epochs - 1) * perEpoch);
            if (maxSteps !== Infinity && epochs === Infinity && perEpoch > 0) expect(taken).toBe(maxSteps);
          }
          for (const v of weightsOf(model)) expect(Number.isFinite(v)).toBe(true);
        }),
        { seed: SEED, numRuns: 400 },
      );
    });
  }

  it('trainOnBatch, computeGradients, evaluate, predict, getParam, setParam and getGrad with fuzzed arguments', async () => {
    const methods = ['trainOnBatch', 'computeGradients', 'evaluate', 'predict', 'getParam', 'setParam', 'getGrad'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), fc.constantFrom(...methods), fc.integer({ min: 1, max: 7 }), fc.nat(), fc.context(), async (which, method, rows, pick, ctx) => {
        const { model, inputs, outputs, mse } = models[which]!;
        // Data for `rows` examples (the model's batchSize is 4), then fit()'s x/y generators' wrong variants.
        const c = fc.sample(fitCase(inputs, outputs, mse), { seed: pick, numRuns: 1 })[0]!;
        const cut = (v: unknown, per: number): unknown => (v instanceof Float32Array || v instanceof Uint8Array || v instanceof Int32Array) && v.length >= 5 * per && c.bad.length === 0 ? v.subarray(0, rows * per) : v;
        const x = cut(c.x, inputs);
        const y = cut(c.y, mse ? outputs : 1);
        const dataBad = c.bad.filter((w) => !['epochs', 'steps', 'batchSize', 'seed', 'shuffle', 'dropLast', 'nonFinite', 'signal', 'onStep', 'onEpoch', 'validation', 'epoch', 'batch_size', 'callbacks', 'verbose'].includes(w));
        const names = model.paramNames;
        const name = pick % 5 === 0 ? 'nope/kernel' : names[pick % names.length]!;
        const stepBefore = model.step;
        const weightsBefore = weightsOf(model);
        let bad: string[] = [];
        let call: () => unknown;
        switch (method) {
          case 'trainOnBatch':
          case 'computeGradients':
            // Bad data is named first; good data not cut to `rows` (c.bad non-empty) has >= 5 rows, over batchSize 4.
            bad = dataBad.length > 0 ? dataBad : c.bad.length > 0 || rows > 4 ? ['exceed'] : [];
            call = () => model[method](x as never, y as never);
            break;
          case 'evaluate':
            bad = dataBad;
            call = () => model.evaluate(x as never, y as never);
            break;
          case 'predict':
            bad = dataBad.filter((w) => w.startsWith('x'));
            call = () => model.predict(x as never);
            break;
          case 'getParam':
            bad = name === 'nope/kernel' ? ['no parameter'] : [];
            call = () => model.getParam(name);
            break;
          case 'getGrad':
            bad = name === 'nope/kernel' ? ['no parameter'] : [];
            call = () => { try { return model.getGrad(name); } catch (e) { if (/no gradient/.test((e as Error).message)) return null; throw e; } };
            break;
          case 'setParam': {
            const n = name === 'nope/kernel' ? 3 : model.getParam(name).length;
            const variants: [unknown, string[]][] = [
              [model.getParam(name === 'nope/kernel' ? names[0]! : name).map((v) => v * 0.5), []],
              [new Float32Array(n + 1), ['needs a Float32Array']], [new Float64Array(n), ['needs a Float32Array']],
              [Array.from({ length: n }, () => 0), ['needs a Float32Array']], [null, ['needs a Float32Array']],
              [new Float32Array(n).fill(NaN), ['must be finite']], [new Float32Array(n).fill(Infinity), ['must be finite']],
            ];
            const [values, words] = variants[pick % variants.length]!;
            bad = name === 'nope/kernel' ? ['no parameter'] : words;
            call = () => model.setParam(name, values as never);
            break;
          }
        }
        ctx.log(`${method} rows=${rows} bad=[${bad.join(', ')}] ${c.show}`);
        let result: unknown;
        try {
          result = call();
        } catch (e) {
          checkError(e, bad);
          expect(model.step).toBe(stepBefore);
          expect(weightsOf(model)).toEqual(weightsBefore);
          return;
        }
        if (bad.length > 0) throw new Error(`${method} accepted an invalid call (expected an error naming one of [${bad.join(', ')}])`);
        if (method === 'predict') {
          const out = result as Float32Array;
          expect(out.length).toBe(((x as Float32Array).length / inputs) * outputs);
          for (const v of out) expect(Number.isFinite(v)).toBe(true);
        }
        if (method === 'evaluate') expect(Number.isFinite((result as { loss: number }).loss)).toBe(true);
        if (method === 'trainOnBatch') expect(model.step).toBe(stepBefore + 1);
      }),
      { seed: SEED, numRuns: 600 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Model builders (issue #23): they check at the call what normalizeSpec checks later, and agree with it

/** Whether `call` throws; a throw must be a plain Error naming one of `words` (none: it must not throw). */
function refuses(call: () => unknown, words: readonly string[]): boolean {
  try {
    call();
  } catch (e) {
    checkError(e, words);
    return true;
  }
  if (words.length > 0) throw new Error(`accepted (expected an error naming one of [${words.join(', ')}])`);
  return false;
}

/** Whether normalizeSpec refuses `layer` as a hidden layer of a small valid spec. */
const normaliserRefuses = (layer: Record<string, unknown>): boolean => {
  try {
    normalizeSpec({ inputs: 3, layers: [layer as never, { kind: 'dense', units: 2 }], loss: 'meanSquaredError' });
    return false;
  } catch {
    return true;
  }
};

// The typos keep the raw layer a typo for normalizeSpec too (not `units` or `kind`, which it reads).
const LAYER_TYPOS = ['activaton', 'kernelinit', 'bias_init', 'Alpha', 'nmae', 'rate_'];
const layerName = field(fc.constantFrom(undefined, null, 'a', 'layer.1_x-2'), ['', 'a b', 'é', 5, '../x', {}], 'name', 20);
const denseArgs = fc.tuple(
  field(fc.integer({ min: 1, max: 16 }), BAD_UNITS, 'units'),
  withUnknownKey(record({
    activation: field(fc.constantFrom(...ACTIVATIONS, undefined, null), ['gelu', 'rleu', '', 'RELU', 5, {}], 'activation'),
    alpha: field(fc.oneof(opt(num(1e-3, 0.5)), fc.constant(null)), [0, -0.1, NaN, Infinity, '0.1', true], 'alpha'),
    kernelInit: field(validInit, BAD_INITS, 'kernelInit', 20),
    biasInit: field(validInit, BAD_INITS, 'biasInit', 20),
    name: layerName,
  }), LAYER_TYPOS),
);
const dropoutArgs = fc.tuple(
  field(num(0, 0.9), [1, 1.5, -0.1, NaN, Infinity, '0.5', null, undefined], 'rate'),
  withUnknownKey(record({ name: layerName }), LAYER_TYPOS),
);

describe('model builders under fuzzing', () => {
  it('dense(units, options): refused naming the field exactly when normalizeSpec refuses the raw layer; else that layer', () => {
    const seen = { built: 0, refused: 0 };
    fc.assert(
      fc.property(denseArgs, ([units, o]) => {
        const bad = [...units.bad, ...o.bad];
        let built: unknown;
        const refused = refuses(() => { built = dense(units.value as number, o.value as never); }, bad);
        const raw = { kind: 'dense', units: units.value, ...o.value };
        expect(normaliserRefuses(raw), `dense(${safeJson(units.value)}, ${safeJson(o.value)}): builder and normalizeSpec disagree`).toBe(refused);
        if (!refused) expect(built).toEqual(raw);
        seen[refused ? 'refused' : 'built']++;
      }),
      { seed: SEED, numRuns: 3000 },
    );
    expect(seen.built).toBeGreaterThan(500);
    expect(seen.refused).toBeGreaterThan(500);
  });

  it('dropout(rate, options): the same', () => {
    fc.assert(
      fc.property(dropoutArgs, ([rate, o]) => {
        const refused = refuses(() => dropout(rate.value as number, o.value as never), [...rate.bad, ...o.bad]);
        expect(normaliserRefuses({ kind: 'dropout', rate: rate.value, ...o.value })).toBe(refused);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('mlp(options) and paperNet(init, options): refused naming the field, or a graph normalizeGraph accepts', () => {
    const units = (max: number) => field(fc.integer({ min: 1, max }), BAD_UNITS, 'units');
    const mlpOptions = withUnknownKey(record({
      inputs: field(fc.integer({ min: 1, max: 8 }), [...BAD_COUNT, MAX_UNITS + 1, null, undefined], 'inputs'),
      hidden: fc.oneof(
        { weight: 20, arbitrary: fc.array(units(8), { maxLength: 3 }).map((g): Gen => ({ value: g.map((u) => u.value), bad: g.flatMap((u) => u.bad.map(() => 'hidden')) })) },
        { weight: 1, arbitrary: fc.constantFrom<Gen>(...[undefined, null, 3, '3', {}].map((v) => ({ value: v, bad: ['hidden'] }))) },
      ),
      outputs: field(fc.integer({ min: 2, max: 6 }), [0, 1.5, NaN, '2', null, undefined], 'outputs'),
      activation: field(fc.constantFrom(...ACTIVATIONS, undefined, null), ['gelu', 'Tanh', 5], 'activation'),
      init: field(validInit, BAD_INITS, 'init', 20),
      biasInit: field(validInit, BAD_INITS, 'biasInit', 20),
      loss: field(fc.constantFrom('softmaxCrossEntropy', 'meanSquaredError', undefined, null), ['hinge', 'meanSquareError', 5], 'loss'),
      dropout: field(fc.constantFrom(undefined, null, 0, 0.5), [1, -0.1, NaN, '0.5', true], 'dropout'),
    }), ['hiden', 'output', 'activaton', 'kernelInit', 'los']);
    const paperArgs = fc.tuple(
      field(fc.constantFrom('simple', 'sussilloAbbott', 'he', 'zero', 'simpleVar', 'simpleBias', undefined), ['hee', 'He', 'glorot', 5, null], 'init'),
      withUnknownKey(record({
        depth: field(opt(fc.integer({ min: 0, max: 3 })), [-1, 1.5, NaN, '2', null], 'depth'),
        width: field(opt(fc.integer({ min: 1, max: 8 })), [0, 1.5, MAX_UNITS + 1, '8', null], 'width'),
        dropout: field(fc.constantFrom(undefined, 0, 0.3), [1, NaN, '0.5'], 'dropout'),
      }), ['dept', 'widht', 'droput', 'init']),
    );
    fc.assert(
      fc.property(mlpOptions, paperArgs, (o, [init, p]) => {
        let spec: ModelSpec | undefined;
        if (!refuses(() => { spec = mlp(o.value as never); }, o.bad)) normalizeGraph(spec as GraphSpec);
        if (!refuses(() => { spec = paperNet(init.value as never, p.value as never); }, [...init.bad, ...p.bad])) normalizeGraph(spec as GraphSpec);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// What the fuzzing found, kept as regression tests (each was a bug until issue #6 fixed it).

describe('problems the fuzzing found, fixed', () => {
  // WAS: normalizeSpec (src/model/spec.ts) ignored unknown keys in a spec and its layers, unlike
  // createModel, fit and every optimizer builder (checkOptions). A typo trains a different model silently:
  // { kind: 'dense', units: 3, activaton: 'relu' } builds a LINEAR layer.
  it('a misspelled layer option is refused, like a misspelled createModel / fit / optimizer option', async () => {
    const spec = { inputs: 4, layers: [{ kind: 'dense', units: 5, activaton: 'relu' }, { kind: 'dense', units: 3 }], loss: 'softmaxCrossEntropy' } as unknown as ModelSpec;
    const m = await createModel(spec, { workers: 0 }).catch((e: unknown) => e);
    if (m instanceof Error) { expect(m.message).toBe('model spec: layers[0]: unknown option "activaton" (allowed: kind, units, activation, alpha, kernelInit, biasInit, name); did you mean activation?'); return; }
    await (m as Model).dispose();
    throw new Error('built a model from a spec with the unknown layer key "activaton"');
  });

  // WAS: createModel's error messages formatted values with String(v) (src/runtime/model.ts checkType,
  // checkBatchSize, checkCount, the seed check; src/model/spec.ts normalizeSpec), which throws
  // "TypeError: Cannot convert object to primitive value" for an object without a prototype (e.g. parsed
  // by a library that builds dicts with Object.create(null)). The optimizer builders use show() and are fine.
  it('a null-prototype object as a model option or spec field gives a plain Error naming the field', async () => {
    const odd = Object.create(null) as never;
    const spec: ModelSpec = { inputs: 4, layers: [{ kind: 'dense', units: 3 }], loss: 'softmaxCrossEntropy' };
    for (const [word, call] of [
      ['seed', () => createModel(spec, { workers: 0, seed: odd })],
      ['batchSize', () => createModel(spec, { workers: 0, batchSize: odd })],
      ['units', () => createModel({ ...spec, layers: [{ kind: 'dense', units: odd }] }, { workers: 0 })],
    ] as const) {
      const e = await call().catch((x: unknown) => x);
      checkError(e, [word]);
    }
  });

  // WAS: createModel({ wasm }) passed any Uint8Array to WebAssembly.compile; bytes that are not a wasm
  // module reject with a WebAssembly.CompileError ("expected 4 bytes, fell off end @+0") that does not say
  // it is about the `wasm` option.
  it('wasm bytes that are not a module give an Error naming the wasm option', async () => {
    const spec: ModelSpec = { inputs: 4, layers: [{ kind: 'dense', units: 3 }], loss: 'softmaxCrossEntropy' };
    const e = await createModel(spec, { workers: 0, wasm: new Uint8Array([1, 2, 3]) }).catch((x: unknown) => x);
    checkError(e, ['wasm']);
  });
});
