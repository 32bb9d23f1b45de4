// A run of a graph model (src/runs/): the graph held by the config as plain data (checked, hashed into run
// ids, the MLP's ids unchanged), arrays from files paired with the graph's named inputs (runs/inputs.ts)
// with every bad file an error naming the file, example, input, position and value, and runTraining on a
// graph to one weights hash for any worker count.
import { describe, expect, it } from 'vitest';
import {
  createModelFromConfig, DEFAULT_TRAIN_CONFIG, graph, input, layers, losses, ops, resolveTrainConfig, runTraining, weightsSha256, type GraphSpec,
} from 'gradnoise';
import type { ArrayFile } from '../../../src/data/load.js';
import { graphRunData, type GraphDataOptions, type SplitSource } from '../../../src/runs/inputs.js';
import { jobId } from '../../../src/sweeps/plan.js';
import { configId } from '../../../src/sweeps/ids.js';

/** Token ids [3] (vocabulary 5, 0 pads), two features, a class label (3 classes) and a BCE target. */
function twoInputGraph(): GraphSpec {
  const ids = input('ids', [3], { dtype: 'i32' }), f = input('f', [2]), label = input('label', [], { dtype: 'i32' }), p = input('p', [1]);
  const bag = ops.sum(layers.embedding(5, 4, { paddingId: 0 })(ids), { axis: 0 });
  const h = layers.dense(8, { activation: 'tanh' })(ops.concat([bag, f]));
  const logits = layers.dense(3)(h);
  return graph({ outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, label), losses.binaryCrossEntropy(layers.dense(1)(h), p)] });
}
const G = twoInputGraph();

const N = 64;
const arr = (shape: number[], data: ArrayFile['data'], kind: ArrayFile['kind']): ArrayFile => ({ shape, data, kind });
function arrays(n = N): Record<string, ArrayFile> {
  const ids = new Int32Array(n * 3), f = new Float32Array(n * 2), label = new Int32Array(n), p = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) ids[3 * i + k] = (i * 7 + k * 3) % 5;
    f[2 * i] = ((i % 9) - 4) / 4;
    f[2 * i + 1] = ((i % 5) - 2) / 2;
    label[i] = (ids[3 * i]! + (f[2 * i]! > 0 ? 1 : 0)) % 3;
    p[i] = i % 2;
  }
  return { ids: arr([n, 3], ids, 'int'), f: arr([n, 2], f, 'float'), label: arr([n, 1], label, 'int'), p: arr([n], p, 'float') };
}
const files = (a: Record<string, ArrayFile>): SplitSource =>
  ({ arrays: Object.fromEntries(Object.entries(a).map(([k, v]) => [k, { label: `--input ${k}=${k}.npy`, array: v }])), jsonl: null });
const OPTS: GraphDataOptions = {
  padId: null, trainLimit: null, testLimit: null, rawInputs: false,
  how: { train: 'give it with --input NAME=FILE', test: 'give it with --test-input NAME=FILE', padId: '--pad-id' },
};

describe('graphRunData: files paired with the graph\'s inputs', () => {
  it('splits the inputs into what the network reads (x) and what only the losses read (y)', () => {
    const d = graphRunData(G, files(arrays()), files(arrays(10)), { ...OPTS, trainLimit: 50 });
    expect(d.train.count).toBe(50);
    expect(Object.keys(d.train.x)).toEqual(['ids', 'f']);
    expect(Object.keys(d.train.y)).toEqual(['label', 'p']);
    const x = d.train.x as Record<string, Int32Array | Float32Array>;
    expect(x.ids).toBeInstanceOf(Int32Array);
    expect(x.ids!.length).toBe(150);
    expect(d.test!.count).toBe(10);
    expect([d.features, d.classes]).toEqual([undefined, undefined]);
  });

  it('converts: whole floats to i32 ids, 8-bit files to [0, 1] floats (or as they are with rawInputs), a [N, 2, 1] file to a [2] input', () => {
    const a = arrays();
    const ids = arr([N, 3], Float64Array.from(a.ids!.data), 'float');
    const f = arr([N, 2, 1], Uint8Array.from({ length: 2 * N }, (_, i) => (i * 37) % 256), 'u8');
    const d = graphRunData(G, files({ ...a, ids, f }), null, OPTS);
    const x = d.train.x as Record<string, Int32Array | Float32Array>;
    expect(x.ids).toEqual(a.ids!.data);
    expect(x.f![1]).toBe(Math.fround(37 / 255));
    const raw = graphRunData(G, files({ ...a, ids, f }), null, { ...OPTS, rawInputs: true });
    expect((raw.train.x as Record<string, Float32Array>).f![1]).toBe(37);
  });

  it('reads the inputs no file gives from JSON Lines, padding short id lists with the pad id', () => {
    const a = arrays(2);
    const text = '{"ids": [1, 2], "label": 2, "p": [1]}\n{"ids": [4], "label": 0, "p": [0]}\n';
    const d = graphRunData(G, { arrays: files({ f: a.f! }).arrays, jsonl: { label: '--data d.jsonl', text } }, null, { ...OPTS, padId: 0 });
    expect((d.train.x as Record<string, Int32Array>).ids).toEqual(new Int32Array([1, 2, 0, 4, 0, 0]));
    expect((d.train.y as Record<string, Int32Array>).label).toEqual(new Int32Array([2, 0]));
  });

  const bad = (patch: (a: Record<string, ArrayFile>) => void) => { const a = arrays(); patch(a); return files(a); };
  it.each<[string, () => unknown, RegExp]>([
    ['an input the graph does not have', () => graphRunData(G, bad((a) => { a.idz = a.ids!; }), null, OPTS),
      /^--input idz=idz\.npy: the model has no input "idz" \(its inputs: "ids" \[3\] i32, "f" \[2\], "label" \[\] i32, "p" \[1\]\); did you mean ids\?$/],
    ['an input without data', () => graphRunData(G, bad((a) => { delete a.p; }), null, OPTS),
      /^training data: input "p" \[1\] has no data \(give it with --input NAME=FILE\); the model's inputs: /],
    ['a test input without data', () => graphRunData(G, files(arrays()), bad((a) => { delete a.label; }), OPTS),
      /^test data: input "label" \[\] i32 has no data \(give it with --test-input NAME=FILE\)/],
    ['a shape that does not fit', () => graphRunData(G, bad((a) => { a.ids = arr([N / 2, 6], a.ids!.data, 'int'); }), null, OPTS),
      /^--input ids=ids\.npy: shape \[32, 6\] holds 6 values per example; input "ids" \[3\] i32 takes 3$/],
    ['counts that disagree', () => graphRunData(G, bad((a) => { a.p = arr([N - 1], a.p!.data.subarray(1), 'float'); }), null, OPTS),
      /^--input p=p\.npy: 63 examples, but --input ids=ids\.npy has 64$/],
    ['a token id out of the vocabulary', () => graphRunData(G, bad((a) => { a.ids!.data[3 * 17 + 2] = 5; }), null, OPTS),
      /^--input ids=ids\.npy: example 17, position \[2\] of input "ids" is token id 5, outside \[0, 5\), the vocabulary of node "embedding_0"$/],
    ['a negative token id', () => graphRunData(G, bad((a) => { a.ids!.data[1] = -1; }), null, OPTS),
      /^--input ids=ids\.npy: example 0, position \[1\] of input "ids" is token id -1, outside \[0, 5\)/],
    ['a label out of the classes', () => graphRunData(G, bad((a) => { a.label!.data[9] = 3; }), null, OPTS),
      /^--input label=label\.npy: example 9 of input "label" is label 3, outside 0\.\.2, the classes of softmaxCrossEntropy$/],
    ['a fractional id', () => graphRunData(G, bad((a) => { a.ids = arr([N, 3], Float64Array.from(a.ids!.data, (v, i) => (i === 4 ? 1.5 : v)), 'float'); }), null, OPTS),
      /^--input ids=ids\.npy: example 1, position \[1\] of input "ids" is 1\.5 \(an i32 input: need whole numbers/],
    ['a NaN feature', () => graphRunData(G, bad((a) => { a.f!.data[7] = Number.NaN; }), null, OPTS),
      /^--input f=f\.npy: example 3, position \[1\] of input "f" is NaN \(values must be finite\)$/],
    ['a BCE target outside [0, 1]', () => graphRunData(G, bad((a) => { a.p!.data[5] = 2; }), null, OPTS),
      /^--input p=p\.npy: example 5, position \[0\] of input "p" is 2 \(binaryCrossEntropy targets must lie in \[0, 1\]\)$/],
    ['a JSON Lines file with nothing left to read', () => graphRunData(G, { ...files(arrays()), jsonl: { label: '--data d.jsonl', text: '{}' } }, null, OPTS),
      /^--data d\.jsonl: every input of the model has its own file already .*: this file would not be read$/],
    ['a JSON Lines line holding an input a file gives', () => graphRunData(G, { arrays: files({ f: arrays(1).f! }).arrays, jsonl: { label: '--data d.jsonl', text: '{"ids": [1, 2, 3], "label": 2, "p": [1], "f": [0, 0]}' } }, null, OPTS),
      /^--data d\.jsonl: line 1: "f" is given by --input f=f\.npy, so this file must not hold it too$/],
    ['a token id out of range on a JSON Lines line', () => graphRunData(G, { arrays: files({ f: arrays(2).f! }).arrays, jsonl: { label: '--data d.jsonl', text: '{"ids": [1, 2, 3], "label": 2, "p": [1]}\n{"ids": [1, 7, 3], "label": 2, "p": [1]}' } }, null, OPTS),
      /^--data d\.jsonl: line 2 \(example 1\), "ids"\[1\] is token id 7, outside \[0, 5\), the vocabulary of node "embedding_0"$/],
    ['a pad id out of the vocabulary', () => graphRunData(G, { arrays: files({ f: arrays(1).f! }).arrays, jsonl: { label: '--data d.jsonl', text: '{"ids": [1], "label": 2, "p": [1]}' } }, null, { ...OPTS, padId: 9 }),
      /^--data d\.jsonl: line 1 \(example 0\), "ids"\[1\] is token id 9, outside \[0, 5\), .* \(9 is the pad id of --pad-id, which fills the short lists of this input\)$/],
  ])('%s is an error naming the file and the place', (_, f, message) => {
    expect(f).toThrow(message);
  });
});

describe('a config that holds a graph', () => {
  it('is checked like any field: a broken graph names its place, the MLP\'s fields must keep their defaults', () => {
    expect(resolveTrainConfig({ model: G }).model).toBe(G);
    const broken = { ...G, nodes: G.nodes.map((n, i) => (i === 1 ? { ...n, op: 'summ' } : n)) };
    expect(() => resolveTrainConfig({ model: broken })).toThrow(/^config: model: nodes\[1\] \("sum_0"\): unknown op "summ" \(allowed: .*\); did you mean sub or sum\?$/);
    expect(() => resolveTrainConfig({ model: 'graph.json' })).toThrow(/^config: model is "graph\.json" \(need null or a graph \(format "gradnoise\.graph": inputs, params, nodes, outputs, losses\)\)$/);
    expect(() => resolveTrainConfig({ model: G, depth: 3 })).toThrow(/^config: depth 3 does not go with a model \(the graph names its own layers/);
    expect(() => resolveTrainConfig({ model: G, biasInit: 0.1 })).toThrow(/^config: biasInit 0\.1 does not go with a model \(the graph names its own layers/);
  });

  it('is hashed into the run id; a config without one keeps the id it had before configs had the field', () => {
    const data = { source: 'mnist', trainX: null, trainY: null, testX: null, testY: null, trainLimit: 100, testLimit: null, rawInputs: false } as const;
    const mlp = resolveTrainConfig({ lr: 0.1 });
    const { model: _, biasInit: _b, ...before } = mlp;
    expect(jobId(mlp, data, null)).toBe(configId({ config: before, data: { trainLimit: 100, testLimit: null } }));
    // A graph's config is hashed whole, but biasInit 0, left out as for every config (sweeps/plan.ts).
    const { biasInit: _g, ...graph } = resolveTrainConfig({ model: G });
    const a = jobId(resolveTrainConfig({ model: G }), data, null);
    expect(a).toBe(configId({ config: graph, data: { trainLimit: 100, testLimit: null } }));
    const b = jobId(resolveTrainConfig({ model: twoInputGraph() }), data, null);
    const other = jobId(resolveTrainConfig({ model: { ...G, losses: [G.losses[0]!, { ...G.losses[1]!, weight: 2 }] } }), data, null);
    expect(a).toBe(b); // the same graph built again
    expect(new Set([a, other, jobId(mlp, data, null)]).size).toBe(3);
  });

  it('trains through runTraining to one weights hash inline and on 2 workers, and as createModelFromConfig builds it', async () => {
    const c = resolveTrainConfig({ model: G, batchSize: 16, steps: 12, lr: 0.1, clip: 5, noise: true, seed: 3 });
    const data = graphRunData(G, files(arrays()), files(arrays(16)), OPTS);
    const quiet = { onWarning: () => {} };
    const [r0, r2] = [await runTraining(c, data, { workers: 0, hooks: quiet }), await runTraining(c, data, { workers: 2, hooks: quiet })];
    expect(r0.summary.steps).toBe(12);
    expect(r0.summary.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r2.summary.weightsSha256).toBe(r0.summary.weightsSha256);
    expect(r0.summary.testAccuracy).toBeGreaterThanOrEqual(0);
    const m = await createModelFromConfig(c, undefined, { workers: 0 });
    await m.fit(data.train.x, data.train.y, { steps: 12 });
    expect(await weightsSha256(m)).toBe(r0.summary.weightsSha256);
    await m.dispose();
    // The MLP of a config without a model reads rows of floats and their classes: a graph's data are refused by name.
    await expect(runTraining(DEFAULT_TRAIN_CONFIG, data, { workers: 0 })).rejects.toThrow(/^runTraining: data: train\.x is \{"ids":.* \(need a Float32Array\)$/);
    await expect(runTraining(DEFAULT_TRAIN_CONFIG, { train: { x: new Float32Array(8), y: new Int32Array(2), count: 2 }, test: null }, { workers: 0 }))
      .rejects.toThrow(/^runTraining: data: features is undefined \(need an integer from 1 up\)$/);
  });
});
