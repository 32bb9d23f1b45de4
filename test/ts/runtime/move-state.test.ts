// Model.moveStateTo: one training state carried between models whose graphs share their parameters (the
// Neural GPU built for two widths, as its per-length training does). Training that moves between twins
// keeps the bits of one model trained throughout, on the fused and the reference update alike; a move
// between widths carries parameters, optimizer state and step; models that cannot share a state are
// refused with the difference named, before anything is written.
import { afterEach, describe, expect, it } from 'vitest';
import { adam, addNoise, chain, clipByGlobalNorm, createModel, sgd, type GradientTransformation, type Model, type ModelOptions } from '../../../src/index.js';
import { neuralGpu } from '../../../src/model/neuralgpu.js';
import { lcg } from '../helpers.js';

const graphOf = (width: number, maps = 4) => neuralGpu({ width, vocab: 5, classes: 3, maps, height: 2, layers: 1 });
const NOISY = (): GradientTransformation => chain(clipByGlobalNorm(1), addNoise({ eta: 0.3, gamma: 0.55 }), adam({ lr: 0.01 }));

const models: Model[] = [];
async function model(width: number, options: ModelOptions = {}, maps = 4): Promise<Model> {
  const m = await createModel(graphOf(width, maps), { batchSize: 8, seed: 5, optimizer: NOISY(), workers: 0, ...options });
  models.push(m);
  return m;
}
afterEach(async () => { await Promise.all(models.splice(0).map((m) => m.dispose())); });

// `count` examples of `width` columns: symbols 1..4, the last column padding, targets 1..2 (0 at padding).
function data(width: number, count: number, seed: number) {
  const next = lcg(seed), r = () => (next() + 1) / 2; // [0, 1)
  const tokens = new Int32Array(count * width), targets = new Int32Array(count * width);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < width - 1; j++) {
      tokens[i * width + j] = 1 + Math.floor(r() * 4);
      targets[i * width + j] = 1 + Math.floor(r() * 2);
    }
  }
  return { x: { tokens }, y: { targets } };
}

const fit = async (m: Model, d: ReturnType<typeof data>) => { await m.fit(d.x, d.y, { epochs: 1, shuffle: false }); };

describe('Model.moveStateTo', () => {
  it('training that moves to a twin and back keeps the bits of one model trained throughout (fused and reference update)', async () => {
    const [d1, d2, d3] = [data(6, 24, 1), data(6, 16, 2), data(6, 24, 3)];
    const single = await model(6);
    for (const d of [d1, d2, d3]) await fit(single, d);
    for (const fuse of [true, false]) {
      const a = await model(6), b = await model(6, { fuse });
      await fit(a, d1);
      a.moveStateTo(b);
      await fit(b, d2);
      b.moveStateTo(a);
      await fit(a, d3);
      expect(a.step).toBe(single.step);
      // The whole checkpoint: parameters, Adam's moments, step, epoch.
      expect(Buffer.from(a.toBytes()).equals(Buffer.from(single.toBytes())), `fuse ${fuse}`).toBe(true);
    }
  });

  it('carries parameters, optimizer state and step to the graph of another width, and training there uses them', async () => {
    const narrow = await model(6), wide = await model(10);
    await fit(narrow, data(6, 24, 1));
    narrow.moveStateTo(wide);
    expect(wide.step).toBe(narrow.step);
    for (const [name, w] of narrow.getWeights()) expect(wide.getParam(name)).toEqual(w);
    // Adam's moments came along: the next step on the wide graph differs from one on fresh moments.
    const fresh = await model(10);
    for (const [name, w] of narrow.getWeights()) fresh.setParam(name, w);
    const d = data(10, 8, 4);
    await fit(wide, d);
    await fit(fresh, d);
    expect(wide.getParam('cgru_0/gates')).not.toEqual(fresh.getParam('cgru_0/gates'));
    expect(wide.step).toBe(narrow.step + 1);
  });

  it.each([
    ['other parameters', () => model(10, {}, 6), /moveStateTo: the models' parameters differ \(.*cgru_0\/gates \[3, 3, 4, 8\].* vs .*\[3, 3, 6, 12\]/],
    ['another optimizer', () => model(10, { optimizer: sgd({ lr: 0.1 }) }), /moveStateTo: the models' optimizers differ at /],
    ['another seed', () => model(10, { seed: 6 }), /moveStateTo: the models' seeds differ \(5 vs 6\)/],
    ['other shards', () => model(10, { shards: 2 }), /moveStateTo: the models' shard counts differ \(4 vs 2\)/],
  ])('refuses a model of %s, and writes nothing', async (_what, other, message) => {
    const a = await model(6);
    await fit(a, data(6, 8, 1));
    const b = await other();
    const before = b.getWeights(), step = b.step;
    expect(() => a.moveStateTo(b)).toThrow(message);
    expect(b.getWeights()).toEqual(before);
    expect(b.step).toBe(step);
  });

  it('refuses a disposed model and a non-model', async () => {
    const a = await model(6), b = await model(10);
    expect(() => a.moveStateTo({} as Model)).toThrow(/moveStateTo: to is .* \(need a Model\)/);
    await b.dispose();
    expect(() => a.moveStateTo(b)).toThrow(/moveStateTo \(the target\): the model has been disposed/);
  });
});
