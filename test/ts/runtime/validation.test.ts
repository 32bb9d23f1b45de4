// Bad input gets an error that names the problem, thrown before anything runs in wasm.
import { describe, expect, it } from 'vitest';
import { createModel, dense, dropout, mlp, NonFiniteError, sgd, type ModelSpec, type SequentialSpec } from '../../../src/index.js';

const spec = mlp({ inputs: 4, hidden: [5], outputs: 3 });
// The sequential form of the same network, which the bad specs below edit.
const sequential: SequentialSpec = { inputs: 4, layers: [dense(5, { activation: 'relu' }), dense(3)], loss: 'softmaxCrossEntropy' };
const x = new Float32Array(4 * 6).map((_, i) => i / 24);
const y = new Uint8Array([0, 1, 2, 0, 1, 2]);

// Raw layers (as from a JSON file): the builders dense() and dropout() refuse these already
// (test/ts/model/builders.test.ts); normalizeSpec must refuse them too.
const d = (units: unknown, o: Record<string, unknown> = {}) => ({ kind: 'dense', units, ...o }) as never;
const drop = (rate: unknown) => ({ kind: 'dropout', rate }) as never;

describe('model specs and options', () => {
  const bad: [string, ModelSpec, RegExp][] = [
    ['zero inputs', { ...sequential, inputs: 0 }, /inputs is 0/],
    ['fractional units', { ...sequential, layers: [d(2.5), dense(3)] }, /layers\[0\]: units is 2.5/],
    ['unknown activation', { ...sequential, layers: [d(5, { activation: 'gelu' }), dense(3)] }, /unknown activation "gelu".*allowed: linear, relu/],
    ['unknown loss', { ...sequential, loss: 'hinge' as never }, /unknown loss "hinge"/],
    ['no layers', { ...sequential, layers: [] }, /layers must be a non-empty array/],
    ['duplicate names', { ...sequential, layers: [dense(5, { name: 'a' }), dense(3, { name: 'a' })] }, /layer name "a" is used twice/],
    ['softmax after relu', { ...sequential, layers: [dense(3, { activation: 'relu' })] }, /last layer's activation must be linear \(got relu\)/],
    ['unknown init', { ...sequential, layers: [d(3, { kernelInit: 'orthogonal' })] }, /kernelInit: unknown initializer "orthogonal"/],
    ['negative std', { ...sequential, layers: [d(3, { kernelInit: { kind: 'normal', std: -1 } })] }, /normal initializer std is -1/],
    ['low > high', { ...sequential, layers: [d(3, { biasInit: { kind: 'uniform', low: 1, high: 0 } })] }, /biasInit: uniform initializer needs finite low <= high, got low=1 high=0/],
    ['dropout rate 1', { ...sequential, layers: [dense(5), drop(1), dense(3)] }, /layers\[1\]: dropout rate is 1 \(need a number in \[0, 1\)\)/],
    ['dropout last', { ...sequential, layers: [dense(3), dropout(0.5)] }, /the last layer must be dense \(got dropout\)/],
    ['zero alpha', { ...sequential, layers: [d(5, { activation: 'leakyRelu', alpha: 0 }), dense(3)] }, /alpha is 0/],
  ];
  for (const [what, s, re] of bad) it(`rejects ${what}`, async () => { await expect(createModel(s)).rejects.toThrow(re); });

  it('rejects unknown and mistyped option keys instead of ignoring them', async () => {
    await expect(createModel(spec, { optimiser: sgd({ lr: 1 }) } as never)).rejects.toThrow(/createModel: unknown option "optimiser".*did you mean optimizer\?/);
    await expect(createModel(spec, { fuse: 'no' } as never)).rejects.toThrow(/createModel: fuse is "no" \(need true or false\)/);
    await expect(createModel(spec, { build: 'fast' } as never)).rejects.toThrow(/createModel: build is "fast" \(allowed: auto, threads, single, relaxed, threads-relaxed, single-relaxed\)/);
    await expect(createModel(spec, { build: 'thread' } as never)).rejects.toThrow(/createModel: build is "thread" \(allowed: auto, threads, single, relaxed, threads-relaxed, single-relaxed\); did you mean threads\?/);
    await expect(createModel(spec, { wasm: 'bytes' } as never)).rejects.toThrow(/createModel: wasm is "bytes" \(need the core's bytes \(a Uint8Array or ArrayBuffer\) or a compiled WebAssembly.Module\)/);
    const m = await createModel(spec, { batchSize: 2 });
    await expect(m.fit(x, y, { epoch: 5 } as never)).rejects.toThrow(/fit: unknown option "epoch".*did you mean epochs/);
    await expect(m.fit(x, y, { shuffle: 'no' } as never)).rejects.toThrow(/fit: shuffle is "no" \(need true or false\)/);
    await expect(m.fit(x, y, { onStep: 5 } as never)).rejects.toThrow(/fit: onStep is 5 \(need a function\)/);
    await expect(m.fit(x, y, { nonFinite: 'ignore' } as never)).rejects.toThrow(/nonFinite is "ignore" \(allowed: throw, skip\)/);
    await expect(m.fit(x, y, { nonFinite: 'skp' } as never)).rejects.toThrow(/fit: nonFinite is "skp" \(allowed: throw, skip\); did you mean skip\?/);
    await expect(m.fit(x, y, { validation: { x, y, weights: y } } as never)).rejects.toThrow(/fit: validation: unknown option "weights" \(allowed: x, y\)/);
    expect(() => m.predict(x, { batchSize: 2 } as never)).toThrow(/^predict: unknown option "batchSize" \(allowed: all\)/);
    expect(() => m.evaluate(x, y, { batchSize: 2 } as never)).toThrow(/^evaluate: takes no options .*got \{"batchSize":2\}/);
    expect(m.step).toBe(0);
  });

  it('rejects bad options, naming the field', async () => {
    await expect(createModel(spec, { seed: -1 })).rejects.toThrow(/seed is -1/);
    await expect(createModel(spec, { seed: 1.5 })).rejects.toThrow(/seed is 1.5/);
    await expect(createModel(spec, { batchSize: 0 })).rejects.toThrow(/batchSize is 0/);
    expect(() => sgd({ lr: NaN })).toThrow(/sgd: lr is NaN/);
    expect(() => sgd({ lr: -0.1 })).toThrow(/sgd: lr is -0.1/);
    await expect(createModel(spec, { optimizer: { name: 'lamb', config: {} } as never })).rejects.toThrow(/unknown transform "lamb" \(allowed: clipByValue, .*sgd, adam/);
    await expect(createModel(spec, { optimizer: { name: 'sgd', config: { lr: Infinity } } as never })).rejects.toThrow(/sgd: lr is Infinity/);
    await expect(createModel(spec, { optimizer: 42 as never })).rejects.toThrow(/transform is 42/);
  });
});

describe('data given to fit, evaluate, predict', async () => {
  const model = await createModel(spec, { batchSize: 4, seed: 1, optimizer: sgd({ lr: 0.1 }) });
  const before = model.getWeights();

  it('names the shape problem', async () => {
    await expect(model.fit(x.subarray(0, 10), y)).rejects.toThrow(/fit: x.length is 10, not a multiple of the model's 4 inputs/);
    await expect(model.fit(x, y.subarray(0, 5))).rejects.toThrow(/fit: y.length is 5, expected count = 6/);
    await expect(model.fit(new Float32Array(0), new Uint8Array(0))).rejects.toThrow(/fit: x is empty/);
    await expect(model.fit([1, 2, 3, 4] as never, y)).rejects.toThrow(/x must be a Float32Array or Uint8Array, got Array/);
    await expect(model.fit(x, new Float32Array(6))).rejects.toThrow(/integer class labels \(Uint8Array or Int32Array\).*got Float32Array/);
  });

  it('names the NaN or Infinity, with its example and feature', async () => {
    const bad = x.slice(); bad[9] = NaN;
    await expect(model.fit(bad, y)).rejects.toThrow(/x\[9\] is NaN \(example 2, feature 1\)/);
    bad[9] = -Infinity;
    expect(() => model.evaluate(bad, y)).toThrow(/evaluate: x\[9\] is -Infinity \(example 2, feature 1\)/);
    expect(() => model.predict(bad)).toThrow(/predict: x\[9\] is -Infinity/);
  });

  it('requires labels wherever a loss is computed', async () => {
    expect(() => model.evaluate(x, undefined as never)).toThrow(/evaluate: y is missing/);
    await expect(model.fit(x, y, { validation: { x } as never })).rejects.toThrow(/fit validation: y is missing/);
  });

  it('names the label out of range', async () => {
    await expect(model.fit(x, new Uint8Array([0, 1, 2, 3, 0, 1]))).rejects.toThrow(/y\[3\] is 3, labels must be 0..2/);
    expect(() => model.evaluate(x, new Int32Array([0, -1, 2, 0, 1, 2]))).toThrow(/y\[1\] is -1/);
  });

  it('rejects a batch larger than the data and than the planned batch', async () => {
    await expect(model.fit(x.subarray(0, 8), y.subarray(0, 2), { batchSize: 3 })).rejects.toThrow(/batchSize 3 is larger than the 2 examples given/);
    await expect(model.fit(x, y, { batchSize: 5 })).rejects.toThrow(/fit: batchSize is 5 \(need an integer from 1 to 4\)/);
    expect(() => model.trainOnBatch(x, y)).toThrow(/6 examples exceed the model's batchSize 4/);
    await expect(model.fit(x, y, { epochs: -1 })).rejects.toThrow(/epochs is -1/);
  });

  it('checks meanSquaredError targets', async () => {
    const m = await createModel({ inputs: 4, layers: [dense(2)], loss: 'meanSquaredError' }, { batchSize: 8 });
    await expect(m.fit(x, y)).rejects.toThrow(/float targets \(Float32Array, examples x 2\)/);
    await expect(m.fit(x, new Float32Array(11))).rejects.toThrow(/y.length is 11, expected 6 examples x 2 outputs = 12/);
    const t = new Float32Array(12); t[5] = NaN;
    await expect(m.fit(x, t)).rejects.toThrow(/y\[5\] is NaN \(example 2, output 1\)/);
  });

  it('left the parameters untouched through all of the above', () => {
    expect(model.step).toBe(0);
    for (const [n, w] of model.getWeights()) expect(w).toEqual(before.get(n));
  });

  it('names unknown parameters and bad setParam values', () => {
    expect(() => model.getParam('dense_9/kernel')).toThrow(/no parameter "dense_9\/kernel" \(have: dense_0\/kernel, dense_0\/bias/);
    expect(() => model.setParam('dense_0/bias', new Float32Array(4))).toThrow(/needs a Float32Array of 5 values/);
    expect(() => model.setParam('dense_0/bias', new Float32Array([0, 0, NaN, 0, 0]))).toThrow(/"dense_0\/bias"\[2\] is NaN/);
    expect(() => model.getGrad('dense_0/bias')).toThrow(/no gradient \(call computeGradients\(\) first/);
  });
});

describe('failures inside training', () => {
  it('a diverging run stops with an error naming the step instead of training on NaN', async () => {
    // A linear model with an absurd learning rate: the weights oscillate with growing amplitude until f32 overflows.
    const m = await createModel({ inputs: 4, layers: [dense(3, { kernelInit: 'heNormal' })], loss: 'meanSquaredError' }, { batchSize: 2, seed: 1, optimizer: sgd({ lr: 1e3 }) });
    const err = await m.fit(x, new Float32Array(18).fill(1), { epochs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as Error).message).toMatch(/fit: the loss is (NaN|Infinity) at step \d+: training diverged/);
    expect((err as NonFiniteError).step).toBe(m.step);
  });

  it('a wasm trap surfaces as an error that says what was running', async () => {
    const m = await createModel(spec, { batchSize: 8 });
    // Sabotage one node's output address so that its forward writes out of bounds: the core traps mid-step.
    const net = (m as unknown as { net: { regions: { forward: { node: { y: number } }[] }[] } }).net;
    net.regions[0]!.forward[1]!.node.y = 0x7ffffff0;
    expect(() => m.evaluate(x, y)).toThrow(/evaluate: the core trapped during forward of node dense_1 at step 0: .*out of bounds/);
  });

  it('a disposed model says so', async () => {
    const m = await createModel(spec);
    m.dispose();
    expect(() => m.predict(x)).toThrow(/predict: the model has been disposed/);
  });
});
