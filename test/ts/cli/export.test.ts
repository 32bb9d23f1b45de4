// `gradnoise export` as a user runs it (bin/gradnoise.js over the built dist/): a checkpoint to ONNX and to a
// PyTorch state_dict, a graph file initialised from a seed, a PyTorch state_dict to ONNX, and the errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel, graph, input, layers, loadModel, losses, ops, sgd } from '../../../src/index.js';
import { lcg } from '../helpers.js';

ort.env.wasm.numThreads = 1;
const BIN = fileURLToPath(new URL('../../../bin/gradnoise.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../fixtures/pytorch/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gradnoise-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'export', ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
const floats = (n: number, seed: number) => {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, () => r());
};

function spec() {
  const x = input('features', [5]), y = input('label', [], { dtype: 'i32' });
  const h = layers.dense(8, { activation: 'tanh', name: 'hidden' })(x);
  const logits = layers.dense(3, { name: 'logits' })(ops.add(h, layers.dropout(0.2)(h)));
  return graph({ outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, y)] });
}

async function ortRun(file: string, name: string, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(readFileSync(file));
  const out = await s.run({ [name]: new ort.Tensor('float32', x, shape) });
  await s.release();
  return out[s.outputNames[0]!]!.data as Float32Array;
}

const close = (a: Float32Array, b: Float32Array | number[]) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(b[i]!)));
};

describe('gradnoise export', () => {
  it('writes a checkpoint as ONNX and as a PyTorch state_dict', async () => {
    const m = await createModel(spec(), { workers: 0, seed: 4, optimizer: sgd({ lr: 0.1 }) });
    await m.fit(floats(40 * 5, 1), new Int32Array(40).map((_, i) => i % 3), { epochs: 2, batchSize: 8 });
    const ck = join(dir, 'run.safetensors');
    await m.save(ck);
    const r = run(['--checkpoint', ck, '--onnx', 'model.onnx', '--pytorch', 'torch.safetensors']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^wrote model\.onnx: ONNX \(opset 17\) of .*run\.safetensors \(step 10\), \d+ bytes; inputs features \[batch, 5\]; outputs logits\n/);
    expect(r.stdout).toMatch(/\nwrote torch\.safetensors: PyTorch state_dict \(safetensors\) of .*run\.safetensors \(step 10\), \d+ bytes, 4 tensors\n$/);
    const x = floats(6 * 5, 2);
    close(await ortRun(join(dir, 'model.onnx'), 'features', x, [6, 5]), m.predict(x));
    const back = await loadModel(join(dir, 'torch.safetensors'), { layout: 'pytorch', workers: 0 });
    for (const [name, w] of m.getWeights()) expect(back.getParam(name)).toEqual(w);
    await back.dispose();
    // The library's own export gives the same bytes.
    expect(new Uint8Array(readFileSync(join(dir, 'model.onnx')))).toEqual(await m.toOnnx({ name: 'gradnoise' }));
    await m.dispose();
  });

  it('initialises a graph file from --seed', async () => {
    writeFileSync(join(dir, 'graph.json'), JSON.stringify(spec()));
    const r = run(['--model', 'graph.json', '--seed', '3', '--onnx', 'init.onnx', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    const m = await createModel(spec(), { workers: 0, seed: 3 });
    expect(new Uint8Array(readFileSync(join(dir, 'init.onnx')))).toEqual(await m.toOnnx());
    await m.dispose();
  });

  it('turns a PyTorch state_dict into ONNX, given its graph and names', async () => {
    const x = input('x', [6]), y = input('y', [3]);
    const out = layers.dense(3)(layers.dense(16, { activation: 'tanh' })(layers.dense(16, { activation: 'relu' })(x)));
    writeFileSync(join(dir, 'mlp.json'), JSON.stringify(graph({ outputs: [out], losses: [losses.meanSquaredError(out, y)] })));
    writeFileSync(join(dir, 'names.json'), JSON.stringify({ dense_0: 'fc1', dense_1: 'fc2', dense_2: 'out' }));
    const r = run(['--checkpoint', join(FIXTURES, 'mlp.safetensors'), '--layout', 'pytorch', '--model', 'mlp.json', '--names', 'names.json', '--onnx', 'mlp.onnx']);
    expect(r.stderr).toBe('');
    const f = JSON.parse(readFileSync(join(FIXTURES, 'mlp.json'), 'utf8')) as { rows: number; inputs: number[]; outputs: number[] };
    close(await ortRun(join(dir, 'mlp.onnx'), 'x', Float32Array.from(f.inputs), [f.rows, 6]), f.outputs);
  });

  it.each([
    [[], /^gradnoise: error: nothing to write: give --onnx FILE, --pytorch FILE or both\n$/],
    [['--onnx', 'x.onnx'], /^gradnoise: error: name the model: --checkpoint FILE \(a trained model\), or --model graph\.json \(initialised from --seed\)\n$/],
    [['--onnx', 'x.onnx', '--checkpoint', 'missing.safetensors'], /^gradnoise: error: --checkpoint missing\.safetensors: cannot read it \(ENOENT/],
    [['--onnx', 'x.onnx', '--checkpoint', join(FIXTURES, 'mlp.safetensors')], /not a gradnoise checkpoint .*; a PyTorch state_dict loads with \{ layout: "pytorch" \}/],
    [['--onnx', 'x.onnx', '--checkpoint', join(FIXTURES, 'mlp.safetensors'), '--layout', 'pytorch'], /a PyTorch state_dict names no gradnoise graph: name it with --model graph\.json/],
    [['--onnx', 'x.onnx', '--checkpoint', join(FIXTURES, 'mlp.safetensors'), '--layout', 'pytorch', '--model', 'mlp.json'], /^gradnoise: error: export .*mlp\.safetensors \(layout pytorch\): tensor "dense_0\.weight" is missing \(gradnoise's "dense_0\/kernel", nn\.Linear weight \[out, in\] \[16, 6\]\); the file has fc1\.bias, /],
    [['--onnx', 'x.onnx', '--layout', 'onnx'], /option '--layout <layout>' argument 'onnx' is invalid\. "onnx" is not one of: gradnoise, pytorch\./],
  ])('gradnoise export %j fails naming what is wrong', (args, message) => {
    const r = run(args);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
