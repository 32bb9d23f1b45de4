// How closely ONNX Runtime (onnxruntime-web's wasm backend, in Node) reproduces gradnoise on the models of
// the export suite (bench/export/models.mjs): for each, the largest |ONNX Runtime - predict()| and
// |ONNX Runtime - the f64 reference path| over its outputs (absolute, and relative to the largest
// |output|), the file's size and its node and initializer counts. test/ts/export/onnx.test.ts holds them
// to 1e-5 x max(1, max |output|). Then the PyTorch-trained MLP and LSTM of test/fixtures/pytorch: how
// far predict() and ONNX Runtime are from PyTorch's float32 outputs (test/ts/export/pytorch.test.ts: 2e-6).
// This prints the figures (bench/measured/onnx-agreement.txt).
//
// Usage: npm run build && node bench/export/onnx-agreement.mjs
import * as ort from 'onnxruntime-web';
import * as g from '../../dist/src/index.js';
import { neuralGpu } from '../../dist/src/model/neuralgpu.js';
import { compileGraph } from '../../dist/src/graph/spec.js';
import { referenceRun } from '../../dist/src/graph/reference.js';
import { buildOnnx } from '../../dist/src/export/onnx/index.js';
import { readFileSync } from 'node:fs';
import { allCases, MLP_NAMES, pytorchLstm, pytorchMlp } from './models.mjs';

ort.env.wasm.numThreads = 1;

/** Every 1-axis parameter drawn in [-0.5, 0.5), as the test does (biases start at zero). */
function randomizeBiases(m, seed) {
  m.paramNames.forEach((name, i) => {
    const p = m.spec.params.find((q) => q.name === name);
    if (p.shape.length !== 1) return;
    let s = (seed + i) >>> 0;
    m.setParam(name, Float32Array.from({ length: p.shape[0] }, () => ((((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1) * 0.5)));
  });
}

const worst = (a, b) => {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return { abs: d, rel: d / Math.max(m, Number.MIN_VALUE), max: m };
};
const e = (x) => x.toExponential(1);

console.log('| model | ONNX nodes | initializers | bytes | output | max abs output | vs predict(): abs | rel | vs f64 reference: abs | rel |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const c of allCases(g, neuralGpu)) {
  const m = await g.createModel(c.spec, { workers: 0, batchSize: c.rows, seed: 1 });
  randomizeBiases(m, 100);
  const proto = buildOnnx(m.spec, m.getWeights());
  const bytes = await m.toOnnx();
  const session = await ort.InferenceSession.create(bytes);
  const feeds = {};
  for (const [name, data] of Object.entries(c.inputs)) {
    const shape = m.spec.inputs.find((i) => i.name === name).shape;
    feeds[name] = new ort.Tensor(data instanceof Int32Array ? 'int32' : 'float32', data, [c.rows, ...shape]);
  }
  const got = await session.run(feeds);
  const predicted = m.predict(c.inputs, { all: true });
  const graph = compileGraph(m.spec);
  const inputs = new Map(graph.spec.inputs.map((i) => {
    const n = c.rows * i.shape.reduce((a, b) => a * b, 1), given = c.inputs[i.name];
    return [i.name, given instanceof Int32Array ? given : given ? Float64Array.from(given) : i.dtype === 'i32' ? new Int32Array(n) : new Float64Array(n)];
  }));
  const ref = referenceRun(graph, new Map([...m.getWeights()].map(([k, v]) => [k, Float64Array.from(v)])), inputs, c.rows, false).values;
  for (const name of m.outputNames) {
    const p = worst(got[name].data, predicted[name]), r = worst(got[name].data, ref.get(name));
    console.log(`| ${c.name} | ${proto.graph.node.length} | ${proto.graph.initializer.length} | ${bytes.length} | ${name} | ${p.max.toFixed(3)} | ${e(p.abs)} | ${e(p.rel)} | ${e(r.abs)} | ${e(r.rel)} |`);
  }
  await session.release();
  await m.dispose();
}

console.log('\nPyTorch-trained models (test/fixtures/pytorch), 5 examples, against PyTorch\'s float32 outputs:\n');
console.log('| model | max abs output | predict(): abs | ONNX Runtime: abs |');
console.log('|---|---|---|---|');
for (const [name, spec, names] of [['mlp', pytorchMlp(g), MLP_NAMES], ['lstm', pytorchLstm(g), undefined]]) {
  const dir = new URL('../../test/fixtures/pytorch/', import.meta.url);
  const f = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8'));
  const m = await g.loadModel(new URL(`${name}.safetensors`, dir).pathname, { layout: 'pytorch', spec, names, workers: 0 });
  const x = Float32Array.from(f.inputs);
  const session = await ort.InferenceSession.create(await m.toOnnx());
  const served = (await session.run({ x: new ort.Tensor('float32', x, [f.rows, ...m.spec.inputs[0].shape]) }))[m.outputNames[0]].data;
  const p = worst(m.predict(x), f.outputs), o = worst(served, f.outputs);
  console.log(`| ${name} | ${p.max.toFixed(3)} | ${e(p.abs)} | ${e(o.abs)} |`);
  await session.release();
  await m.dispose();
}
