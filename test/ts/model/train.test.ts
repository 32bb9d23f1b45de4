// End-to-end: small networks learn synthetic tasks to a stated accuracy, and seeded runs are bit-identical.
import { describe, expect, it } from 'vitest';
import { blobs, lcg } from '../helpers.js';
import { createModel, dense, dropout, mlp, sgd, type Model } from '../../../src/index.js';

const bytesOf = (m: Model) => m.paramNames.map((n) => Buffer.from(m.getParam(n).buffer).toString('hex')).join('|');

describe('training end to end', () => {
  it('an 8-32-32-4 ReLU net learns four clusters to >= 97% test accuracy', async () => {
    const train = blobs(2000, 1), test = blobs(1000, 2);
    const model = await createModel(mlp({ inputs: 8, hidden: [32, 32], outputs: 4, init: 'heNormal' }),
      { batchSize: 32, seed: 7, optimizer: sgd({ lr: 0.05 }) });
    const before = model.evaluate(test.x, test.y);
    const h = await model.fit(train.x, train.y, { epochs: 5 });
    const after = model.evaluate(test.x, test.y);
    expect(h.steps).toBe(5 * Math.ceil(2000 / 32));
    expect(model.step).toBe(h.steps);
    expect(before.accuracy).toBeLessThan(0.6);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(after.loss).toBeLessThan(before.loss / 4);
    expect(h.epochs[4]!.loss).toBeLessThan(h.epochs[0]!.loss);
  });

  it('every activation trains (loss falls) on the same task', async () => {
    for (const activation of ['relu', 'leakyRelu', 'tanh', 'sigmoid'] as const) {
      const train = blobs(512, 3);
      const model = await createModel(mlp({ inputs: 8, hidden: [16, 16], outputs: 4, activation, init: 'glorotUniform' }),
        { batchSize: 64, seed: 1, optimizer: sgd({ lr: activation === 'sigmoid' ? 0.5 : 0.1 }) });
      const before = model.evaluate(train.x, train.y).loss;
      await model.fit(train.x, train.y, { epochs: 10 });
      const after = model.evaluate(train.x, train.y);
      expect(after.loss, activation).toBeLessThan(before * 0.5);
      expect(after.accuracy, activation).toBeGreaterThan(0.9);
    }
  });

  it('dropout trains, is active only while training, and evaluates deterministically', async () => {
    const train = blobs(2000, 1), test = blobs(500, 2);
    const model = await createModel(mlp({ inputs: 8, hidden: [64, 64], outputs: 4, init: 'heNormal', dropout: 0.5 }),
      { batchSize: 32, seed: 7, optimizer: sgd({ lr: 0.05 }) });
    expect(model.spec.nodes.map((n) => n.op)).toEqual(['dense', 'dropout', 'dense', 'dropout', 'dense']);
    await model.fit(train.x, train.y, { epochs: 5 });
    const a = model.evaluate(test.x, test.y), b = model.evaluate(test.x, test.y);
    expect(a).toEqual(b);
    expect(a.accuracy).toBeGreaterThan(0.95);
    // Inference = a network without the dropout layers (inverted dropout needs no rescaling at test time).
    const plain = await createModel(mlp({ inputs: 8, hidden: [64, 64], outputs: 4 }), { batchSize: 32 });
    plain.setParam('dense_0/kernel', model.getParam('dense_0/kernel')); plain.setParam('dense_0/bias', model.getParam('dense_0/bias'));
    plain.setParam('dense_1/kernel', model.getParam('dense_2/kernel')); plain.setParam('dense_1/bias', model.getParam('dense_2/bias'));
    plain.setParam('dense_2/kernel', model.getParam('dense_4/kernel')); plain.setParam('dense_2/bias', model.getParam('dense_4/bias'));
    expect(plain.predict(test.x)).toEqual(model.predict(test.x));
    // While training, the loss on the same batch differs from the inference loss (units are dropped).
    const x = test.x.subarray(0, 32 * 8), y = test.y.subarray(0, 32);
    expect(model.computeGradients(x, y)).not.toBeCloseTo(plain.evaluate(x, y).loss, 3);
  });

  it('meanSquaredError regression fits a linear map', async () => {
    const n = 1024, x = new Float32Array(n * 3), y = new Float32Array(n * 2);
    const r = lcg(5);
    for (let i = 0; i < n; i++) {
      const a = r(), b = r(), c = r();
      x.set([a, b, c], i * 3);
      y.set([a - 2 * b + 0.5, 3 * c - 1], i * 2);
    }
    const model = await createModel({ inputs: 3, layers: [dense(2)], loss: 'meanSquaredError' },
      { batchSize: 32, seed: 2, optimizer: sgd({ lr: 0.1 }) });
    await model.fit(x, y, { epochs: 30 });
    expect(model.evaluate(x, y).loss).toBeLessThan(1e-4);
    const w = model.getParam('dense_0/kernel'), b = model.getParam('dense_0/bias');
    expect(w[0]).toBeCloseTo(1, 2); expect(w[2]).toBeCloseTo(-2, 2); expect(w[5]).toBeCloseTo(3, 2);
    expect(b[0]).toBeCloseTo(0.5, 2); expect(b[1]).toBeCloseTo(-1, 2);
  });
});

describe('fit across calls', () => {
  it('fit twice for one epoch equals fit once for two: the data order continues', async () => {
    const d = blobs(200, 4);
    const spec = mlp({ inputs: 8, hidden: [16], outputs: 4 });
    const a = await createModel(spec, { batchSize: 20, seed: 5, optimizer: sgd({ lr: 0.05 }) });
    const b = await createModel(spec, { batchSize: 20, seed: 5, optimizer: sgd({ lr: 0.05 }) });
    const h1 = await a.fit(d.x, d.y, { epochs: 1 });
    const h2 = await a.fit(d.x, d.y, { epochs: 1 });
    const hb = await b.fit(d.x, d.y, { epochs: 2 });
    expect([h1.epochs[0]!.epoch, h2.epochs[0]!.epoch]).toEqual([0, 1]);
    expect(hb.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(bytesOf(a)).toBe(bytesOf(b));
  });

  it('an aborted fit stops at a step boundary, says so, and the next fit continues that epoch', async () => {
    const d = blobs(400, 4);
    // Inline, so that the abort from onStep lands before the next step (with workers onStep comes later).
    const m = await createModel(mlp({ inputs: 8, hidden: [16], outputs: 4 }), { batchSize: 10, seed: 5, workers: 0 });
    const ac = new AbortController();
    const h = await m.fit(d.x, d.y, { epochs: 3, signal: ac.signal, onStep: (s) => { if (s.step === 7) ac.abort(); } });
    expect(h.aborted).toBe(true);
    expect(m.step).toBe(7);
    expect(h.epochs).toHaveLength(1);
    expect(h.epochs[0]!.complete).toBe(false);
    const again = await m.fit(d.x, d.y, { epochs: 1 });
    expect(again.aborted).toBe(false);
    // The interrupted epoch goes on from its 8th batch: 40 steps in all, as one uninterrupted epoch.
    expect([again.epochs[0]!.epoch, again.epochs[0]!.fromBatch, again.epochs[0]!.complete, m.step]).toEqual([0, 7, true, 40]);
    const whole = await createModel(mlp({ inputs: 8, hidden: [16], outputs: 4 }), { batchSize: 10, seed: 5, workers: 0 });
    await whole.fit(d.x, d.y, { epochs: 1 });
    expect(bytesOf(m)).toBe(bytesOf(whole));
  });

  it('a fit in another data order starts a cut epoch again, and says so', async () => {
    const d = blobs(400, 4);
    const warnings: string[] = [];
    const m = await createModel(mlp({ inputs: 8, hidden: [16], outputs: 4 }), { batchSize: 10, seed: 5, workers: 0, onWarning: (w) => warnings.push(w) });
    await m.fit(d.x, d.y, { steps: 7 });
    const h = await m.fit(d.x, d.y, { epochs: 1, batchSize: 8 });
    expect(warnings).toEqual(['gradnoise: fit: the previous fit() stopped after batch 7 of epoch index 0, in another data order ' +
      '(400 examples, batchSize 10, seed 5; now 400 examples, batchSize 8, seed 5): that epoch starts again from its first batch']);
    expect([h.epochs[0]!.epoch, h.epochs[0]!.fromBatch, m.step]).toEqual([0, 0, 57]);
  });
});

describe('bit-reproducibility', () => {
  const spec = mlp({ inputs: 8, hidden: [24, 24, 24], outputs: 4, init: 'heNormal' });
  const run = async (seed: number, build: 'threads' | 'single' = 'threads') => {
    const d = blobs(300, 9);
    const m = await createModel(spec, { batchSize: 50, seed, optimizer: sgd({ lr: 0.05 }), build });
    await m.fit(d.x, d.y, { epochs: 3 });
    return m;
  };

  it('the same seed twice gives identical weights, bit for bit, after initialisation and after training', async () => {
    const a0 = await createModel(spec, { batchSize: 50, seed: 42 }), b0 = await createModel(spec, { batchSize: 50, seed: 42 });
    expect(bytesOf(a0)).toBe(bytesOf(b0));
    const a = await run(42), b = await run(42);
    expect(a.step).toBe(18);
    expect(bytesOf(a)).toBe(bytesOf(b));
    expect(bytesOf(a)).not.toBe(bytesOf(a0));
  });

  it('a different seed gives different weights', async () => {
    expect(bytesOf(await run(1))).not.toBe(bytesOf(await run(2)));
  });

  it('the threads and single builds give the same bits', async () => {
    expect(bytesOf(await run(3, 'single'))).toBe(bytesOf(await run(3, 'threads')));
  });

  it('initialisers draw what they promise', async () => {
    const m = await createModel({
      inputs: 400, loss: 'softmaxCrossEntropy', layers: [
        dense(300, { kernelInit: 'heNormal', biasInit: { kind: 'constant', value: 0.25 }, activation: 'relu' }),
        dense(200, { kernelInit: { kind: 'uniform', low: -0.5, high: 0.5 }, activation: 'relu' }),
        dense(100, { kernelInit: 'sussilloAbbott', activation: 'relu' }),
        dense(10, { kernelInit: 'zeros' }),
      ],
    }, { batchSize: 1, seed: 3 });
    const moments = (a: Float32Array) => {
      let s = 0, q = 0;
      for (const v of a) { s += v; q += v * v; }
      const mean = s / a.length;
      return { mean, std: Math.sqrt(q / a.length - mean * mean) };
    };
    const he = moments(m.getParam('dense_0/kernel'));
    expect(Math.abs(he.mean)).toBeLessThan(0.002);
    expect(he.std).toBeGreaterThan(Math.sqrt(2 / 400) * 0.98);
    expect(he.std).toBeLessThan(Math.sqrt(2 / 400) * 1.02);
    expect([...m.getParam('dense_0/bias')].every((v) => v === 0.25)).toBe(true);
    const un = m.getParam('dense_1/kernel');
    expect(Math.min(...un)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...un)).toBeLessThan(0.5);
    expect(moments(un).std).toBeCloseTo(1 / Math.sqrt(12), 2);
    const g = Math.SQRT2 * Math.exp(1.2 / (200 - 2.4));
    // 20,000 draws: the sample std is within 2% of the target with overwhelming probability (its s.e. is 0.5%).
    const sa = moments(m.getParam('dense_2/kernel')).std / (g / Math.sqrt(200));
    expect(sa).toBeGreaterThan(0.98);
    expect(sa).toBeLessThan(1.02);
    expect([...m.getParam('dense_3/kernel')].every((v) => v === 0)).toBe(true);
  });
});
