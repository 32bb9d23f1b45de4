// model.toOnnx() against ONNX Runtime (onnxruntime-web's wasm backend, in Node): for the paper's net, a
// CNN, LSTM and GRU stacks (ONNX's own LSTM/GRU ops, and the unrolled form a padding mask needs), the
// memory network block, a small Neural GPU and a graph with every other op, ONNX Runtime's outputs equal
// predict()'s and the f64 reference path's (graph/reference.ts). Every parameter of 1 axis (the biases,
// zero at init) is drawn at random first, so that a bias in the wrong place or gate order shows.
//
// Tolerance: max |ONNX Runtime - predict()| <= 1e-5 x max(1, max |predict()|) per output, i.e. 1e-5
// absolute for outputs of magnitude up to 1 (the same against the f64 reference).
//
// Every exported file also passes the ONNX checker of Debian's python3-onnx (onnx.checker.check_model
// with full_check, which runs shape inference), where python3-onnx is installed (see python.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, type Model } from '../../../src/index.js';
import { compileGraph, type GraphSpec } from '../../../src/graph/spec.js';
import { OPS } from '../../../src/graph/ops/index.js';
import { referenceRun } from '../../../src/graph/reference.js';
import { AttributeType, DataType } from '../../../src/export/onnx/builder.js';
import { buildOnnx, exportOnnx } from '../../../src/export/onnx/index.js';
import { LOWERINGS } from '../../../src/export/onnx/lower.js';
import { AttributeProto_AttributeType, TensorProto_DataType } from '../../../src/export/onnx/onnx_pb.js';
import { lcg } from '../helpers.js';
import { allCases, paperCase, type ExportCase } from './models.js';
import { hasPython, python } from './python.js';

ort.env.wasm.numThreads = 1;
const dir = mkdtempSync(join(tmpdir(), 'gradnoise-onnx-'));
const written: string[] = [];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Randomises every 1-axis parameter (biases start at zero) in [-0.5, 0.5). */
function randomizeBiases(m: Model, seed: number): void {
  m.paramNames.forEach((name, i) => {
    const p = m.spec.params.find((q) => q.name === name)!;
    if (p.shape.length !== 1) return;
    const r = lcg(seed + i);
    m.setParam(name, Float32Array.from({ length: p.shape[0]! }, () => r() * 0.5));
  });
}

async function runOrt(bytes: Uint8Array, c: ExportCase, spec: GraphSpec): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, data] of Object.entries(c.inputs)) {
    const shape = spec.inputs.find((i) => i.name === name)!.shape;
    feeds[name] = new ort.Tensor(data instanceof Int32Array ? 'int32' : 'float32', data, [c.rows, ...shape]);
  }
  const out = await session.run(feeds);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

function reference(c: ExportCase, spec: GraphSpec, weights: Map<string, Float32Array>): Map<string, Float64Array | Int32Array> {
  const g = compileGraph(spec);
  const inputs = new Map<string, Float64Array | Int32Array>();
  for (const i of g.spec.inputs) {
    const given = c.inputs[i.name];
    const n = c.rows * i.shape.reduce((a, b) => a * b, 1);
    inputs.set(i.name, given instanceof Int32Array ? given : given ? Float64Array.from(given) : i.dtype === 'i32' ? new Int32Array(n) : new Float64Array(n));
  }
  const params = new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
  return referenceRun(g, params, inputs, c.rows, false).values;
}

/** max |a - b| / max(1, max |b|). */
function error(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 1;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

describe('toOnnx() in ONNX Runtime gives predict()\'s outputs', () => {
  for (const c of allCases()) {
    it(`${c.name}`, async () => {
      const m = await createModel(c.spec, { workers: 0, batchSize: c.rows, seed: 1 });
      try {
        randomizeBiases(m, 100);
        const bytes = await m.toOnnx();
        const file = join(dir, `${c.name.replaceAll(' ', '-')}.onnx`);
        writeFileSync(file, bytes);
        written.push(file);
        const got = await runOrt(bytes, c, m.spec);
        expect(Object.keys(got).sort()).toEqual([...m.outputNames].sort());
        const ref = reference(c, m.spec, m.getWeights());
        for (const name of m.outputNames) {
          expect(got[name]!.length).toBe(ref.get(name)!.length);
          expect(error(got[name]!, ref.get(name)!), `${name} against the f64 reference`).toBeLessThanOrEqual(1e-5);
        }
        const predicted = m.predict(c.inputs, { all: true });
        for (const name of m.outputNames) {
          expect(error(got[name]!, predicted[name]!), `${name} against predict()`).toBeLessThanOrEqual(1e-5);
        }
      } finally {
        await m.dispose();
      }
    });
  }
});

describe('the ONNX checker (python3-onnx)', () => {
  const found = hasPython('onnx', 'python3-onnx', 'the ONNX checker tests');
  it.skipIf(!found)('passes every exported file, with full shape inference', () => {
    expect(written.length).toBe(allCases().length);
    const out = python(['-c', [
      'import sys, onnx',
      'for path in sys.argv[1:]:',
      '    m = onnx.load(path)',
      '    onnx.checker.check_model(m, full_check=True)',
      '    print(path, m.ir_version, m.opset_import[0].version)',
    ].join('\n'), ...written]);
    expect(out.trim().split('\n')).toHaveLength(written.length);
    for (const line of out.trim().split('\n')) expect(line).toMatch(/ 8 17$/);
  });
});

describe('the ONNX model', () => {
  it('names the inputs and outputs as the graph does, with a dynamic batch dimension', async () => {
    const c = paperCase(2);
    const m = await createModel(c.spec, { workers: 0, seed: 1 });
    const onnx = buildOnnx(m.spec, m.getWeights());
    const dims = (v: { type?: unknown }) => ((v.type as { value: { value: { shape: { dim: { value: { case: string; value: unknown } }[] } } } }).value.value.shape.dim)
      .map((d) => d.value.value);
    expect(onnx.graph!.input!.map((i) => i.name)).toEqual(['x']);
    expect(dims(onnx.graph!.input![0]!)).toEqual(['batch', 784n]);
    expect(onnx.graph!.output!.map((o) => o.name)).toEqual(['dense_20']);
    expect(dims(onnx.graph!.output![0]!)).toEqual(['batch', 10n]);
    expect(onnx.graph!.initializer!.map((t) => t.name)).toEqual(m.paramNames);
    // Any batch size runs.
    const bytes = await m.toOnnx();
    const session = await ort.InferenceSession.create(bytes);
    for (const rows of [1, 7]) {
      const x = new Float32Array(rows * 784).fill(0.25);
      const out = (await session.run({ x: new ort.Tensor('float32', x, [rows, 784]) })).dense_20!;
      expect(out.dims).toEqual([rows, 10]);
      expect(error(out.data as Float32Array, m.predict(x))).toBeLessThanOrEqual(1e-5);
    }
    await session.release();
    await m.dispose();
  });

  it('writes the enum values of onnx.proto', () => {
    expect(DataType).toEqual({ FLOAT: TensorProto_DataType.FLOAT, INT32: TensorProto_DataType.INT32, INT64: TensorProto_DataType.INT64, BOOL: TensorProto_DataType.BOOL });
    expect(AttributeType).toEqual({
      FLOAT: AttributeProto_AttributeType.FLOAT, INT: AttributeProto_AttributeType.INT, STRING: AttributeProto_AttributeType.STRING,
      FLOATS: AttributeProto_AttributeType.FLOATS, INTS: AttributeProto_AttributeType.INTS,
    });
  });

  it('has a lowering for every op of the graph', () => {
    expect(Object.keys(LOWERINGS).sort()).toEqual(Object.keys(OPS).sort());
  });
});

describe('export errors name the tensor or the node', () => {
  const spec = paperCase().spec;
  let weights: Map<string, Float32Array>;
  beforeAll(async () => {
    const m = await createModel(spec, { workers: 0, seed: 1 });
    weights = m.getWeights();
    await m.dispose();
  });
  const without = (name: string) => new Map([...weights].filter(([k]) => k !== name));

  it('a missing tensor', async () => {
    await expect(exportOnnx(spec, without('dense_3/bias'))).rejects.toThrow('toOnnx: tensor "dense_3/bias" [50] is missing');
  });
  it('a tensor of the wrong size', () => {
    const w = new Map(weights).set('dense_0/kernel', new Float32Array(10));
    expect(() => buildOnnx(spec, w)).toThrow('toOnnx: tensor "dense_0/kernel" has 10 values; its shape [784, 50] needs a Float32Array of 39200');
  });
  it('an unknown name', () => {
    const w = new Map(weights).set('dense_99/kernel', new Float32Array(1));
    expect(() => buildOnnx(spec, w)).toThrow(/toOnnx: tensor "dense_99\/kernel" is not a parameter of the graph \(its parameters: dense_0\/kernel, /);
  });
  it('a value that is not finite', () => {
    const k = weights.get('dense_2/bias')!.slice();
    k[7] = NaN;
    expect(() => buildOnnx(spec, new Map(weights).set('dense_2/bias', k))).toThrow('toOnnx: tensor "dense_2/bias"[7] is NaN: an exported file holds finite values only');
  });
  it('an op without a lowering', () => {
    const { relu: _, ...rest } = LOWERINGS;
    void _;
    const g = { ...spec, nodes: spec.nodes.map((n) => (n.name === 'dense_4' ? { ...n, attrs: { ...n.attrs, activation: 'linear' } } : n)) };
    const withRelu = {
      ...g,
      nodes: [...g.nodes.slice(0, 5), { name: 'act_4', op: 'relu', inputs: ['dense_4'] }, ...g.nodes.slice(5).map((n) => (n.name === 'dense_5' ? { ...n, inputs: ['act_4'] } : n))],
    } as GraphSpec;
    expect(() => buildOnnx(withRelu, weights, {}, 'toOnnx', rest)).toThrow(/toOnnx: node "act_4" \(relu\) cannot be exported to ONNX: no lowering for op relu \(exportable: dense, dropout, /);
  });
  it('bad options', () => {
    expect(() => buildOnnx(spec, weights, { nmae: 'x' } as never)).toThrow(/toOnnx: unknown option "nmae".*did you mean name/);
  });
});
