// PyTorch interop: safetensors files of PyTorch state_dicts in (load / loadModel with layout 'pytorch') and
// out (save({ layout: 'pytorch' })), through the name and layout map of src/export/pytorch.ts.
//
//   - A PyTorch-trained MLP and 2-layer LSTM (test/fixtures/pytorch/make_pytorch_models.py, Debian's
//     python3-torch; committed files) load and predict PyTorch's float32 outputs within 2e-6 (x max(1, |y|)),
//     and so does ONNX Runtime on their ONNX export.
//   - gradnoise-trained models (an MLP, an LSTM, embedding + GRU + LSTM, a CNN) saved with the PyTorch layout
//     load into the PyTorch modules of test/fixtures/pytorch/models.py with load_state_dict(strict=True) and
//     give gradnoise's outputs within 1e-5 there (one Python process checks them all, with python3-torch;
//     skipped with a warning without it, a failure with GRADNOISE_PYTHON_TESTS=required).
//   - Every mismatch is an error naming the tensor, the parameter and the layout expected.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import {
  addNoise, chain, createModel, graph, input, layers, loadModel, losses, ops, pytorchLayout, sgd, type GraphSpec, type Model,
} from '../../../src/index.js';
import * as g from '../../../src/index.js';
import { encodeSafetensors } from '../../../src/export/pytorch.js';
// @ts-expect-error: a plain .mjs module without types
import * as shared from '../../../bench/export/models.mjs';
import { lcg } from '../helpers.js';
import { hasPython, python } from './python.js';

ort.env.wasm.numThreads = 1;
const FIXTURES = new URL('../../fixtures/pytorch/', import.meta.url);
const fixture = (f: string) => new URL(f, FIXTURES).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gradnoise-pytorch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** max |a - b| / max(1, max |b|). */
function error(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 1;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

// The graphs of models.py's modules (the PyTorch-trained two in bench/export/models.mjs).
const mlp = (): GraphSpec => shared.pytorchMlp(g);
const lstm = (): GraphSpec => shared.pytorchLstm(g);
const MLP_NAMES = shared.MLP_NAMES as Record<string, string>;

function tokens(): GraphSpec {
  const ids = input('ids', [9], { dtype: 'i32' }), y = input('y', [2]);
  const seq = layers.gru(6, { returnSequences: true, name: 'gru' })(layers.embedding(12, 4, { name: 'embed' })(ids));
  const out = layers.dense(2, { name: 'head' })(layers.lstm(5, { name: 'lstm' })(seq));
  return graph({ outputs: [out], losses: [losses.meanSquaredError(out, y)] });
}

function cnn(): GraphSpec {
  const x = input('image', [8, 7, 2]), y = input('y', [5]);
  let h = layers.conv2d(4, { kernelSize: 3, padding: [1, 1], activation: 'relu', name: 'conv1' })(x); // [8, 7, 4]
  h = layers.maxPool2d(2)(h); //                                                                     [4, 3, 4]
  h = layers.conv2d(3, { kernelSize: [2, 3], activation: 'tanh', name: 'conv2' })(h); //             [3, 1, 3]
  const out = layers.dense(5, { name: 'fc' })(ops.flatten(h));
  return graph({ outputs: [out], losses: [losses.meanSquaredError(out, y)] });
}

const floats = (n: number, seed: number) => {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, () => r());
};

describe('a PyTorch-trained model loads and predicts what PyTorch does', () => {
  for (const [name, spec, names] of [['mlp', mlp(), MLP_NAMES], ['lstm', lstm(), undefined]] as const) {
    it(`${name.toUpperCase()}: within 2e-6, in predict() and in ONNX Runtime`, async () => {
      const f = JSON.parse(readFileSync(fixture(`${name}.json`), 'utf8')) as { rows: number; inputs: number[]; outputs: number[] };
      const m = await loadModel(fixture(`${name}.safetensors`), { layout: 'pytorch', spec, names, workers: 0 });
      const x = Float32Array.from(f.inputs);
      expect(error(m.predict(x), f.outputs)).toBeLessThanOrEqual(2e-6);
      const session = await ort.InferenceSession.create(await m.toOnnx());
      const shape = m.spec.inputs[0]!.shape;
      const out = await session.run({ [m.inputNames[0]!]: new ort.Tensor('float32', x, [f.rows, ...shape]) });
      expect(error(out[m.outputNames[0]!]!.data as Float32Array, f.outputs)).toBeLessThanOrEqual(2e-6);
      await session.release();
      await m.dispose();
    });
  }

  it('load() into an existing model changes the parameters only, and fine-tunes with annealed noise', async () => {
    const m = await createModel(mlp(), { workers: 0, seed: 3, optimizer: chain(addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.01 })) });
    const x = floats(32 * 6, 1), y = floats(32 * 3, 2);
    await m.fit(x, y, { steps: 2 });
    await m.load(fixture('mlp.safetensors'), { layout: 'pytorch', names: MLP_NAMES });
    expect(m.step).toBe(2);
    const f = JSON.parse(readFileSync(fixture('mlp.json'), 'utf8')) as { inputs: number[]; outputs: number[] };
    expect(error(m.predict(Float32Array.from(f.inputs)), f.outputs)).toBeLessThanOrEqual(2e-6);
    const before = m.evaluate(x, y).loss;
    await m.fit(x, y, { epochs: 5 });
    expect(m.evaluate(x, y).loss).toBeLessThan(before);
    await m.dispose();
  });
});

describe('save({ layout: "pytorch" }) writes what load_state_dict takes', () => {
  const cases: { name: string; spec: () => GraphSpec; names?: Record<string, string>; x: (rows: number) => Float32Array | Int32Array }[] = [
    { name: 'mlp', spec: mlp, names: MLP_NAMES, x: (rows) => floats(rows * 6, 3) },
    { name: 'lstm', spec: lstm, x: (rows) => floats(rows * 21, 4) },
    { name: 'tokens', spec: tokens, x: (rows) => Int32Array.from(floats(rows * 9, 5), (v) => Math.floor((v + 1) * 6)) },
    { name: 'cnn', spec: cnn, x: (rows) => floats(rows * 8 * 7 * 2, 6) },
  ];
  const torch = hasPython('torch', 'python3-torch', 'the PyTorch load_state_dict tests');

  const saved: { name: string; names: string[]; casePath: string }[] = [];
  for (const c of cases) {
    it(`${c.name}: trained and saved, loads back to the same bits`, async () => {
      const rows = 4, spec = c.spec();
      const m = await createModel(spec, { workers: 0, seed: 7, batchSize: 8, optimizer: chain(addNoise({ eta: 0.01 }), sgd({ lr: 0.05 })) });
      const y = floats(16 * m.spec.inputs.find((i) => i.name === 'y')!.shape[0]!, 8);
      const key = m.inputNames[0]!;
      await m.fit({ [key]: c.x(16) }, { y }, { epochs: 2 });
      const file = join(dir, `${c.name}.safetensors`);
      await m.save(file, { layout: 'pytorch', names: c.names });

      // Back into a fresh model (the graph and the names come from the file): the same bits.
      const back = await loadModel(file, { layout: 'pytorch', workers: 0 });
      for (const [name, w] of m.getWeights()) expect(back.getParam(name), name).toEqual(w);
      await back.dispose();

      const x = c.x(rows), out = m.predict({ [key]: x });
      await m.dispose();
      const casePath = join(dir, `${c.name}.json`);
      writeFileSync(casePath, JSON.stringify({ rows, file, inputs: Array.from(x), outputs: Array.from(out) }));
      saved.push({ name: c.name, names: pytorchLayout(spec, { names: c.names }).map((t) => t.name).sort(), casePath });
    });
  }

  // One Python process for all of them (importing torch is most of its time).
  it.skipIf(!torch)('each loads into its PyTorch module with load_state_dict(strict=True) and gives gradnoise\'s outputs within 1e-5', () => {
    expect(saved.map((s) => s.name)).toEqual(cases.map((c) => c.name));
    const lines = python([fixture('check_gradnoise_model.py'), ...saved.flatMap((s) => [s.name, s.casePath])]).trim().split('\n');
    expect(lines).toHaveLength(saved.length);
    lines.forEach((line, i) => {
      const r = JSON.parse(line) as { model: string; maxDiff: number; maxAbs: number; names: string[] };
      expect(r.model).toBe(saved[i]!.name);
      expect(r.names).toEqual(saved[i]!.names);
      expect(r.maxDiff / Math.max(1, r.maxAbs), r.model).toBeLessThanOrEqual(1e-5);
    });
  });
});

describe('the name and layout map', () => {
  it('names and lays out every kind of parameter as PyTorch does', () => {
    const ids = input('ids', [4, 3], { dtype: 'i32' }), x = input('x', [6, 2]), y = input('y', [4]);
    const E = layers.embedding(10, 3, { name: 'E' });
    const s = layers.cgru({ name: 'ngpu' })(ops.reshape(E(ids), [4, 3, 3]));
    const c = layers.conv1d(5, { kernelSize: 3, name: 'c1' })(x); //                                  [4, 5]
    const P = layers.parameter([5], { name: 'blocks/P' });
    const tied = layers.dense(10, { kernel: E.param('embeddings'), transposeKernel: true, useBias: false, name: 'tied' })(ops.reshape(s, [12, 3]));
    const out = ops.add(ops.sum(ops.add(c, P), { axis: 1 }), ops.sum(ops.reshape(tied, [4, 30]), { axis: 1 }));
    const spec = graph({ outputs: [out], losses: [losses.meanSquaredError(out, y)] });
    const table = pytorchLayout(spec, { names: { ngpu: 'gpu.cell', 'blocks/P': 'pos' } }).map((t) => [t.param, t.name, t.pytorchShape.join('x'), t.layout]);
    expect(table.sort()).toEqual([
      ['E/embeddings', 'E.weight', '10x3', 'same'],
      ['ngpu/gates', 'gpu.cell.gates.weight', '6x3x3x3', 'hwio'],
      ['ngpu/gatesBias', 'gpu.cell.gates.bias', '6', 'same'],
      ['ngpu/candidate', 'gpu.cell.candidate.weight', '3x3x3x3', 'hwio'],
      ['ngpu/candidateBias', 'gpu.cell.candidate.bias', '3', 'same'],
      ['c1/kernel', 'c1.weight', '5x2x3', 'hwio'],
      ['c1/bias', 'c1.bias', '5', 'same'],
      ['blocks/P', 'pos', '5', 'same'],
    ].sort());
  });

  it('moves conv, dense and recurrent weights exactly and back', async () => {
    for (const spec of [cnn(), tokens(), mlp()]) {
      const m = await createModel(spec, { workers: 0, seed: 2 });
      const bytes = m.toBytes({ layout: 'pytorch' });
      const n = await createModel(spec, { workers: 0, seed: 9 });
      n.loadBytes(bytes, { layout: 'pytorch' });
      for (const [name, w] of m.getWeights()) expect(n.getParam(name), name).toEqual(w);
      await m.dispose();
      await n.dispose();
    }
  });
});

describe('PyTorch files: every mismatch is an error naming the tensor', () => {
  let m: Model;
  const state = () => {
    const bytes = readFileSync(fixture('mlp.safetensors'));
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
    const data = bytes.subarray(8 + n);
    return new Map(Object.entries(header).map(([k, e]) => [k, { name: k, shape: e.shape, data: new Float32Array(data.buffer.slice(data.byteOffset + e.data_offsets[0], data.byteOffset + e.data_offsets[1])) }]));
  };
  const file = (tensors: Map<string, { name: string; shape: number[]; data: Float32Array }>) => encodeSafetensors([...tensors.values()], {});
  const load = (bytes: Uint8Array, extra: object = {}) => m.loadBytes(bytes, { layout: 'pytorch', names: MLP_NAMES, ...extra });

  it('a missing tensor, a wrong shape, an unknown name, a dtype that is no float, a value that is not finite', async () => {
    m = await createModel(mlp(), { workers: 0 });
    const before = m.getWeights();
    const t = state();
    t.delete('fc2.bias');
    expect(() => load(file(t))).toThrow(/^loadBytes <bytes> \(layout pytorch\): tensor "fc2.bias" is missing \(gradnoise's "dense_1\/bias", nn.Linear bias \[out\] \[16\]\); the file has fc1.bias, fc1.weight, fc2.weight, out.bias, out.weight$/);
    const s = state();
    s.set('fc1.weight', { name: 'fc1.weight', shape: [6, 16], data: s.get('fc1.weight')!.data });
    expect(() => load(file(s))).toThrow('loadBytes <bytes> (layout pytorch): tensor "fc1.weight" has shape [6, 16]; gradnoise\'s "dense_0/kernel" [6, 16] needs [16, 6] (nn.Linear weight [out, in])');
    const u = state();
    u.set('fc3.weight', { name: 'fc3.weight', shape: [1], data: new Float32Array(1) });
    expect(() => load(file(u))).toThrow(/tensor "fc3.weight" matches no parameter of this model; did you mean fc1.weight or fc2.weight\? \(map it with names, or pass strict: false to ignore it;/);
    load(file(u), { strict: false });
    const v = state();
    v.get('out.bias')!.data[1] = Infinity;
    expect(() => load(file(v))).toThrow('loadBytes <bytes> (layout pytorch): tensor "out.bias"[1] is Infinity: parameters must be finite');
    const i32 = file(state()), n = Number(new DataView(i32.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(i32.subarray(8, 8 + n)).replace('"fc1.bias":{"dtype":"F32"', '"fc1.bias":{"dtype":"I32"');
    i32.set(new TextEncoder().encode(header), 8); //                                                  same length
    expect(() => load(i32)).toThrow('tensor "fc1.bias" has dtype I32; parameters need a float dtype (F32, F64, F16 or BF16)');
    // Nothing was written by the failed loads; the strict: false one wrote the file's weights.
    expect(m.getParam('dense_0/bias')).toEqual(state().get('fc1.bias')!.data);
    expect(m.getParam('dense_0/bias')).not.toEqual(before.get('dense_0/bias'));
    await m.dispose();
  });

  it('names that name nothing, or two parameters the same', () => {
    expect(() => pytorchLayout(mlp(), { names: { dense_7: 'x' } })).toThrow('pytorchLayout: names has "dense_7", which is neither a layer nor a parameter of the graph; did you mean dense_0 or dense_1 or dense_2?');
    expect(() => pytorchLayout(mlp(), { names: { dense_0: 'fc', dense_1: 'fc' } })).toThrow('pytorchLayout: parameters "dense_0/kernel" and "dense_1/kernel" would both be PyTorch\'s "fc.weight" (rename one with names)');
    expect(() => pytorchLayout(mlp(), { names: { dense_0: 'a b' } })).toThrow('pytorchLayout: names["dense_0"] is "a b" (need a PyTorch name: letters, digits, _ and .)');
  });

  it('a PyTorch file without the layout, a PyTorch file without a graph, options that need the layout', async () => {
    const n = await createModel(mlp(), { workers: 0 });
    await expect(n.load(fixture('mlp.safetensors'))).rejects.toThrow(/not a gradnoise checkpoint \(tensors: fc1.bias, fc1.weight, fc2.bias, fc2.weight, \.\.\.\); a PyTorch state_dict loads with \{ layout: "pytorch" \}/);
    expect(() => n.toBytes({ names: MLP_NAMES })).toThrow('toBytes: names and strict apply to layout "pytorch" only (got layout "gradnoise")');
    expect(() => n.toBytes({ layout: 'onnx' } as never)).toThrow(/toBytes: layout is "onnx" \(allowed: gradnoise, pytorch\)/);
    await n.dispose();
    await expect(loadModel(fixture('mlp.safetensors'), { layout: 'pytorch' })).rejects.toThrow(/mlp.safetensors \(layout pytorch\): the file names no gradnoise graph \(a PyTorch state_dict does not\): pass the graph that matches it as options.spec/);
    await expect(loadModel(fixture('mlp.safetensors'), { layout: 'pytorch', spec: mlp(), workers: 0 })).rejects.toThrow(/tensor "dense_0.weight" is missing/);
  });
});
