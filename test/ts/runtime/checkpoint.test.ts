// Checkpoints (issue #6): the safetensors file and its independent readers, exact resume (in this process
// and in a fresh one, across worker counts, across the fused and reference paths), complete validation
// before anything is loaded (docs/checkpoints.md's table of bad inputs is checked against the real
// messages here), atomic saves that survive a kill mid-write, and NaN that stops a run with its last
// checkpoint intact.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  adam, addNoise, chain, NonFiniteError, clipByGlobalNorm, clipByValue, createModel, crc32, decodeCheckpoint, dense, dropout, loadModel, mlp,
  parseSafetensors, rmsprop, sgd, type GradientTransformation, type Model, type ModelOptions, type ModelSpec,
} from '../../../src/index.js';
import { tableHash as tableHashOf } from '../../../src/runtime/checkpoint.js';
import { blobs, lcg } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DIST = join(ROOT, 'dist/src/index.js');
const TMP = mkdtempSync(join(tmpdir(), 'gradnoise-ckpt-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const SPEC: ModelSpec = {
  inputs: 8, loss: 'softmaxCrossEntropy',
  layers: [dense(24, { activation: 'relu' }), dropout(0.1), dense(24, { activation: 'tanh', name: 'middle' }), dense(4)],
};
const DATA = blobs(300, 7);
const NOISY = () => chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.05, momentum: 0.9 }));

const models: Model[] = [];
async function model(options: ModelOptions = {}, spec = SPEC): Promise<Model> {
  const m = await createModel(spec, { batchSize: 32, seed: 9, optimizer: NOISY(), workers: 0, ...options });
  models.push(m);
  return m;
}
const track = (m: Model) => { models.push(m); return m; };
afterEach(async () => { await Promise.all(models.splice(0).map((m) => m.dispose())); });

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('the file: safetensors that independent readers parse back to the same arrays', () => {
  it('a plain reader (header length, JSON, offsets) gets every parameter and state tensor back, bit for bit', async () => {
    const m = await model();
    await m.fit(DATA.x, DATA.y, { steps: 13 });
    const bytes = m.toBytes();
    // Written from the safetensors spec alone, sharing no code with src/.
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    const data = bytes.slice(8 + n);
    expect((8 + n) % 8).toBe(0);
    const read = (name: string) => {
      const e = header[name]!;
      expect(e.dtype).toBe('F32');
      return new Float32Array(data.slice(e.data_offsets[0], e.data_offsets[1]).buffer);
    };
    for (const [name, w] of m.getWeights()) expect(read(name)).toEqual(w);
    expect(header['dense_0/kernel']!.shape).toEqual([8, 24]);
    expect(header['middle/bias']!.shape).toEqual([24]);
    expect(Object.keys(header).filter((k) => k.startsWith('optimizer/')).sort()).toEqual(
      m.paramNames.map((p) => `optimizer/momentumBuffer/${p}`).sort());
    const meta = JSON.parse((header as unknown as { __metadata__: Record<string, string> }).__metadata__.gradnoise!);
    expect(meta).toMatchObject({ format: 'gradnoise.checkpoint', version: 1, seed: 9, shards: 4, batchSize: 32, step: 13, epoch: 1, state: ['momentumBuffer'] });
    expect(meta.position).toEqual({ batch: 3, count: 300, batchSize: 32, seed: 9, shuffle: true, dropLast: false });
    expect(meta.crc32).toBe(crc32(data).toString(16).padStart(8, '0'));
  });

  it('Python\'s standard library (struct, json, array; no gradnoise code) reads the same arrays', async () => {
    let python = 'python3';
    try { execFileSync(python, ['--version']); } catch { python = ''; }
    if (!python) {
      console.warn('python3 is not installed: the Python reader check is skipped (the JavaScript reader above still runs)');
      return;
    }
    const m = await model({ optimizer: adam({ lr: 0.01 }) });
    await m.fit(DATA.x, DATA.y, { steps: 5 });
    const file = join(TMP, 'py.safetensors');
    await m.save(file);
    const script = [
      'import array, json, struct, sys, zlib',
      'b = open(sys.argv[1], "rb").read()',
      'n = struct.unpack("<Q", b[:8])[0]',
      'h = json.loads(b[8:8 + n])',
      'meta = json.loads(h.pop("__metadata__")["gradnoise"])',
      'data = b[8 + n:]',
      'assert "%08x" % zlib.crc32(data) == meta["crc32"]',
      'out = {}',
      'for k, e in h.items():',
      '    a = array.array("f"); a.frombytes(data[e["data_offsets"][0]:e["data_offsets"][1]])',
      '    out[k] = {"shape": e["shape"], "sum": sum(a), "first": a[0] if len(a) else None}',
      'print(json.dumps({"step": meta["step"], "tensors": out}))',
    ].join('\n');
    const got = JSON.parse(execFileSync(python, ['-c', script, file], { encoding: 'utf8' }));
    expect(got.step).toBe(5);
    expect(Object.keys(got.tensors)).toHaveLength(3 * m.paramNames.length);
    for (const [name, w] of m.getWeights()) {
      expect(got.tensors[name].first).toBe(w[0]);
      expect(got.tensors[name].sum).toBeCloseTo(w.reduce((a, b) => a + b, 0), 3);
    }
  });

  it('numpy, given only the file, runs the same network: its logits match predict()', async () => {
    try { execFileSync('python3', ['-c', 'import numpy']); } catch {
      console.warn('python3 with numpy is not installed: the numpy forward pass is skipped');
      return;
    }
    const m = await model();
    await m.fit(DATA.x, DATA.y, { steps: 20 });
    const file = join(TMP, 'np.safetensors');
    await m.save(file);
    const x = DATA.x.subarray(0, 16 * 8);
    // The nodes of the metadata's graph in order (dense and dropout here), the weights by the names the
    // nodes give: kernel [inputs, units], so y = x @ W + b.
    const script = [
      'import json, struct, sys, numpy as np',
      'b = open(sys.argv[1], "rb").read()',
      'n = struct.unpack("<Q", b[:8])[0]',
      'h = json.loads(b[8:8 + n]); meta = json.loads(h["__metadata__"]["gradnoise"]); data = b[8 + n:]',
      'def t(name):',
      '    e = h[name]; s, f = e["data_offsets"]',
      '    return np.frombuffer(data[s:f], dtype="<f4").reshape(e["shape"])',
      'x = np.array(json.loads(sys.stdin.read()), dtype=np.float32).reshape(-1, meta["spec"]["inputs"][0]["shape"][0])',
      'act = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, "linear": lambda v: v, "sigmoid": lambda v: 1 / (1 + np.exp(-v))}',
      'for node in meta["spec"]["nodes"]:',
      '    if node["op"] == "dense":',
      '        x = act[node["attrs"]["activation"]](x @ t(node["params"]["kernel"]) + t(node["params"]["bias"]))',
      'print(json.dumps(x.astype(float).ravel().tolist()))',
    ].join('\n');
    const got = JSON.parse(execFileSync('python3', ['-c', script, file], { input: JSON.stringify([...x]), encoding: 'utf8' })) as number[];
    const want = m.predict(x);
    expect(got).toHaveLength(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(want[i]!)));
  });

  it('CRC-32 is zlib\'s (the check value of "123456789"), and runs on in pieces', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const r = lcg(5), big = new Uint8Array(100_003).map(() => Math.floor((r() + 1) * 128));
    expect(crc32(big)).toBe(crc32(big.subarray(50_001), crc32(big.subarray(0, 50_001))));
    // Unaligned views take the byte-wise path and must agree with the aligned one.
    const shifted = new Uint8Array(big.length + 3);
    shifted.set(big, 3);
    expect(crc32(shifted.subarray(3))).toBe(crc32(big));
    // Python's zlib.crc32 of the same bytes, where python3 exists.
    try {
      const py = execFileSync('python3', ['-c', 'import sys, zlib; print(zlib.crc32(sys.stdin.buffer.read()))'], { input: big, encoding: 'utf8' });
      expect(crc32(big)).toBe(Number(py.trim()));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  });

  it('a checkpoint loaded and saved again is the same file, byte for byte', async () => {
    const m = await model();
    await m.fit(DATA.x, DATA.y, { steps: 21 });
    const bytes = m.toBytes();
    const again = track(await loadModel(bytes, { workers: 0 }));
    expect(sha(again.toBytes())).toBe(sha(bytes));
    expect([again.step, again.epoch, again.seed, again.shards]).toEqual([21, 2, 9, 4]);
  });
});

describe('resume is exact: N steps, save, load, M steps = N + M steps', () => {
  const CHAINS: [string, () => GradientTransformation][] = [
    ['clip + noise + sgd momentum', NOISY],
    ['noise before clip + adam', () => chain(addNoise({ eta: 0.3, gamma: 0.55 }), clipByGlobalNorm(1), adam({ lr: 0.01 }))],
    ['clip value + rmsprop centered with momentum', () => chain(clipByValue(0.5), rmsprop({ lr: 0.01, momentum: 0.5, centered: true }))],
  ];
  for (const [label, opt] of CHAINS) {
    it(`${label}: cut mid-epoch, in this process, inline`, async () => {
      const whole = await model({ optimizer: opt() });
      await whole.fit(DATA.x, DATA.y, { steps: 37 });
      const first = await model({ optimizer: opt() });
      await first.fit(DATA.x, DATA.y, { steps: 15 });
      const second = track(await loadModel(first.toBytes(), { workers: 0 }));
      await second.fit(DATA.x, DATA.y, { steps: 22 });
      expect(sha(second.toBytes())).toBe(sha(whole.toBytes()));
    });
  }

  it('the reference path and the fused update read each other\'s checkpoints (same bits on)', async () => {
    const whole = await model();
    await whole.fit(DATA.x, DATA.y, { steps: 30 });
    const ref = await model({ fuse: false });
    await ref.fit(DATA.x, DATA.y, { steps: 10 });
    const fused = track(await loadModel(ref.toBytes(), { workers: 0 }));
    await fused.fit(DATA.x, DATA.y, { steps: 10 });
    const refAgain = track(await loadModel(fused.toBytes(), { workers: 0, fuse: false }));
    expect(refAgain.isFused).toBe(false);
    await refAgain.fit(DATA.x, DATA.y, { steps: 10 });
    expect(sha(refAgain.toBytes())).toBe(sha(whole.toBytes()));
  });

  it('a checkpoint at step 0 with SGD momentum resumes like PyTorch (the first step copies the gradient in)', async () => {
    const opt = () => sgd({ lr: 0.05, momentum: 0.9, dampening: 0.3 });
    const whole = await model({ optimizer: opt(), fuse: false });
    await whole.fit(DATA.x, DATA.y, { steps: 4 });
    const fresh = await model({ optimizer: opt() });
    const resumed = track(await loadModel(fresh.toBytes(), { workers: 0, fuse: false }));
    await resumed.fit(DATA.x, DATA.y, { steps: 4 });
    expect(sha(resumed.toBytes())).toBe(sha(whole.toBytes()));
  });

  it('1 worker -> 2 workers, in a fresh process, gives the uninterrupted run\'s bits', async () => {
    const whole = await model({ workers: 2 });
    await whole.fit(DATA.x, DATA.y, { steps: 40 });
    const first = await model({ workers: 1 });
    await first.fit(DATA.x, DATA.y, { steps: 17 });
    const file = join(TMP, 'w1.safetensors');
    await first.save(file);
    const dataFile = join(TMP, 'data.json');
    writeFileSync(dataFile, JSON.stringify({ x: [...DATA.x], y: [...DATA.y] }));
    const script = `
      import { readFileSync } from 'node:fs';
      import { createHash } from 'node:crypto';
      const { loadModel } = await import(${JSON.stringify(DIST)});
      const d = JSON.parse(readFileSync(${JSON.stringify(dataFile)}, 'utf8'));
      const m = await loadModel(${JSON.stringify(file)}, { workers: 2 });
      await m.fit(new Float32Array(d.x), new Uint8Array(d.y), { steps: 23 });
      process.stdout.write(JSON.stringify({ workers: m.workers, step: m.step, sha: createHash('sha256').update(m.toBytes()).digest('hex') }));
      await m.dispose();`;
    const out = await new Promise<string>((res, rej) => execFile(process.execPath, ['--input-type=module', '-e', script], (e, so, se) => (e ? rej(new Error(se)) : res(so))));
    expect(JSON.parse(out)).toEqual({ workers: 2, step: 40, sha: sha(whole.toBytes()) });
  });

  it('a model saved at an epoch boundary, and one loaded in a model built by hand (load(path)), go on alike', async () => {
    const whole = await model();
    await whole.fit(DATA.x, DATA.y, { epochs: 3 });
    const first = await model();
    await first.fit(DATA.x, DATA.y, { epochs: 1 });
    const file = join(TMP, 'boundary.safetensors');
    await first.save(file);
    const byHand = await model({ workers: 2 });
    await byHand.load(file);
    await byHand.fit(DATA.x, DATA.y, { epochs: 2 });
    expect(sha(byHand.toBytes())).toBe(sha(whole.toBytes()));
  });
});

// ---------------------------------------------------------------- bad inputs

/** Rebuilds a safetensors file from a header object and a data section (the length prefix recomputed). */
function build(header: unknown, data: Uint8Array, raw?: string): Uint8Array {
  const h = new TextEncoder().encode(raw ?? JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function split(bytes: Uint8Array): { header: Record<string, any>; meta: Record<string, any>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  return { header, meta: JSON.parse(header.__metadata__.gradnoise), data: bytes.slice(8 + n) };
}

const crcHex = (d: Uint8Array) => crc32(d).toString(16).padStart(8, '0');

/** The __metadata__ of `meta`, with its checksum: an edit that a checksum would catch is then caught further on. */
const metadata = (meta: unknown) => {
  const text = JSON.stringify(meta);
  return { gradnoise: text, 'gradnoise.crc32': crcHex(new TextEncoder().encode(text)) };
};

/** A file with its header or metadata edited; the metadata's checksum is recomputed, the tensors' CRC and layout hash kept. */
function withMeta(bytes: Uint8Array, edit: (meta: Record<string, any>, header: Record<string, any>) => void, data?: Uint8Array): Uint8Array {
  const { header, meta, data: d } = split(bytes);
  edit(meta, header);
  header.__metadata__ = metadata(meta);
  return build(header, data ?? d);
}

interface BadCase {
  /** What the docs table calls the input. */
  readonly input: string;
  readonly make: (good: Uint8Array) => Uint8Array;
  /** Where it is caught: decoding the file, or checking it against the model. */
  readonly error: RegExp;
}

const CASES: BadCase[] = [
  { input: 'an empty file', make: () => new Uint8Array(0), error: /^checkpoint <bytes>: the file is 0 bytes; a safetensors file starts with an 8-byte header length$/ },
  { input: 'a 5-byte file', make: (g) => g.slice(0, 5), error: /the file is 5 bytes/ },
  { input: 'a PNG image', make: () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), error: /the header length is \d+ bytes, but only 4 bytes follow it/ },
  { input: 'the file cut in half', make: (g) => g.slice(0, g.length >> 1), error: /tensor "[^"]+" ends at byte \d+ of the data, which holds only \d+ bytes \(truncated file\?\)/ },
  { input: 'the file cut inside its header', make: (g) => g.slice(0, 100), error: /the header length is \d+ bytes, but only 92 bytes follow it \(truncated file, or not safetensors\)/ },
  { input: 'bytes appended to the file', make: (g) => new Uint8Array([...g, 1, 2, 3, 4]), error: /the data holds \d+ bytes but its tensors end at byte \d+ \(trailing bytes, or a tensor is missing\)/ },
  { input: 'header length 2^63', make: (g) => { const b = g.slice(); new DataView(b.buffer).setBigUint64(0, 1n << 63n, true); return b; }, error: /the header length is 9223372036854775808 bytes, but only/ },
  { input: 'header that is not UTF-8', make: (g) => { const b = g.slice(); b[9] = 0xff; return b; }, error: /the header is not valid UTF-8/ },
  { input: 'header that is not JSON', make: (g) => { const b = g.slice(); b[9] = 0x3a; return b; }, error: /the header is not valid JSON/ },
  { input: 'header that is a JSON array', make: (g) => build(null, split(g).data, '[1, 2]'), error: /the header does not start with "\{"/ },
  { input: 'a safetensors file from another program (no gradnoise metadata)', make: (g) => { const { header, data } = split(g); delete header.__metadata__; return build(header, data); }, error: /no "gradnoise" entry in __metadata__: a safetensors file, but not a gradnoise checkpoint \(tensors: / },
  { input: 'metadata value that is not a string', make: (g) => { const { header, data } = split(g); header.__metadata__ = { gradnoise: 1 }; return build(header, data); }, error: /__metadata__\.gradnoise is 1; metadata values must be strings/ },
  { input: 'gradnoise metadata that is not JSON (its checksum matching)', make: (g) => { const { header, data } = split(g); header.__metadata__ = { gradnoise: '{"format":', 'gradnoise.crc32': crcHex(new TextEncoder().encode('{"format":')) }; return build(header, data); }, error: /metadata "gradnoise" is not valid JSON/ },
  { input: 'one byte of the metadata changed (step 7 made 9)', make: (g) => {
    const { header, data } = split(g);
    header.__metadata__.gradnoise = header.__metadata__.gradnoise.replace('"step":7', '"step":9');
    return build(header, data);
  }, error: /^checkpoint <bytes>: the metadata is corrupt: CRC-32 [0-9a-f]{8}, "gradnoise.crc32" says "[0-9a-f]{8}"$/ },
  { input: 'no metadata checksum', make: (g) => { const { header, data } = split(g); delete header.__metadata__['gradnoise.crc32']; return build(header, data); }, error: /no "gradnoise.crc32" entry in __metadata__/ },
  { input: 'metadata nested 10,000 levels deep (checksum matching)', make: (g) => {
    // Written as text: JSON.stringify itself overflows the stack on such a value.
    const { header, data } = split(g);
    const text = header.__metadata__.gradnoise.replace('"units":24', `"units":${'['.repeat(10_000)}1${']'.repeat(10_000)}`);
    header.__metadata__ = { gradnoise: text, 'gradnoise.crc32': crcHex(new TextEncoder().encode(text)) };
    return build(header, data);
  }, error: /^checkpoint <bytes>: metadata spec nests deeper than 16 levels$/ },
  { input: 'a position past the end of its epoch', make: (g) => withMeta(g, (m) => { m.position.batch = 50; }), error: /metadata position says batch 50 of an epoch of 10 batches \(300 examples, batchSize 32\): past its end/ },
  { input: 'a newer format version', make: (g) => withMeta(g, (m) => { m.version = 2; }), error: /written in checkpoint format version 2; this gradnoise reads up to version 1 \(upgrade gradnoise\)/ },
  { input: 'a wrong format name', make: (g) => withMeta(g, (m) => { m.format = 'other'; }), error: /metadata format is "other" \(need "gradnoise.checkpoint"\)/ },
  { input: 'a negative step', make: (g) => withMeta(g, (m) => { m.step = -1; }), error: /metadata step is -1 \(need an integer >= 0\)/ },
  { input: 'a seed that is not an integer', make: (g) => withMeta(g, (m) => { m.seed = 1.5; }), error: /metadata seed is 1.5 \(need an integer from 0 to 2\^53 - 1\)/ },
  { input: 'a broken data position', make: (g) => withMeta(g, (m) => { m.position.shuffle = 'yes'; }), error: /metadata position is .* \(need \{ batch, count, batchSize, seed, shuffle, dropLast \}\)/ },
  { input: 'an unknown dtype', make: (g) => withMeta(g, (_m, h) => { h['dense_0/bias'].dtype = 'F12'; }), error: /tensor "dense_0\/bias" has dtype "F12" \(known: BOOL, U8/ },
  { input: 'an f64 tensor (bytes to match)', make: (g) => withMeta(g, (_m, h) => { h['dense_0/bias'].dtype = 'F64'; }), error: /tensor "dense_0\/bias": shape \[24\] of F64 needs 192 bytes, data_offsets give 96/ },
  { input: 'an i32 tensor of the right size', make: (g) => withMeta(g, (_m, h) => { h['dense_0/bias'].dtype = 'I32'; }), error: /tensor "dense_0\/bias" has dtype I32; gradnoise checkpoints hold F32/ },
  { input: 'a negative dimension', make: (g) => withMeta(g, (_m, h) => { h['dense_0/bias'].shape = [-24]; }), error: /tensor "dense_0\/bias" has shape \[-24\]; need an array of integers >= 0/ },
  { input: 'offsets past the end of the file', make: (g) => withMeta(g, (_m, h) => { h['dense_0/bias'].data_offsets = [1e9, 1e9 + 96]; }), error: /tensor "dense_0\/bias" ends at byte 1000000096 of the data, which holds only \d+ bytes/ },
  { input: 'offsets that are not [begin, end]', make: (g) => withMeta(g, (_m, h) => { h['dense_0/bias'].data_offsets = [96, 0]; }), error: /tensor "dense_0\/bias" has data_offsets \[96,0\]; need \[begin, end\] with 0 <= begin <= end/ },
  { input: 'two tensors over the same bytes', make: (g) => withMeta(g, (_m, h) => { h['dense_0/bias'].data_offsets = h['middle/bias'].data_offsets; }), error: /overlaps the tensor before it|belong to no tensor/ },
  { input: 'a tensor missing (its bytes cut too)', make: (g) => {
    const { header, meta, data } = split(g);
    const last = Object.entries(header).filter(([k]) => k !== '__metadata__').sort((a: any, b: any) => b[1].data_offsets[0] - a[1].data_offsets[0])[0]!;
    delete header[last[0]];
    header.__metadata__ = metadata(meta);
    return build(header, data.slice(0, (last[1] as any).data_offsets[0]));
  }, error: /tensor "optimizer\/momentumBuffer\/dense_3\/bias" is missing \(the metadata lists it\)/ },
  { input: 'a tensor the metadata does not list', make: (g) => withMeta(g, (_m, h) => { h.extra = h['dense_0/bias']; delete h['dense_0/bias']; }), error: /tensor "dense_0\/bias" is missing|tensor "extra" is not one the metadata lists/ },
  { input: 'two tensors swapped in the table (same sizes)', make: (g) => withMeta(g, (_m, h) => { const a = h['dense_0/bias'].data_offsets; h['dense_0/bias'].data_offsets = h['middle/bias'].data_offsets; h['middle/bias'].data_offsets = a; }), error: /the tensor table does not match its layout hash [0-9a-f]{8} \(got [0-9a-f]{8}\): the header was edited or mixed up/ },
  { input: 'an optimizer-state tensor of another shape than its parameter (CRC and hash recomputed)', make: (g) => {
    const { header, meta, data } = split(g);
    const e = header['optimizer/momentumBuffer/middle/bias'];
    e.shape = [12]; e.data_offsets = [e.data_offsets[0], e.data_offsets[0] + 48];
    // Cut the 48 bytes that no longer belong to it and move every later tensor down.
    const cut = new Uint8Array([...data.subarray(0, e.data_offsets[1]), ...data.subarray(e.data_offsets[1] + 48)]);
    for (const [k, v] of Object.entries(header)) if (k !== '__metadata__' && v !== e && v.data_offsets[0] >= e.data_offsets[1]) v.data_offsets = v.data_offsets.map((o: number) => o - 48);
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__').map(([name, v]: [string, any]) => ({ name, shape: v.shape, at: v.data_offsets[0] })).sort((a, b) => a.at - b.at);
    meta.crc32 = crcHex(cut);
    meta.layout = tableHashOf(entries);
    header.__metadata__ = metadata(meta);
    return build(header, cut);
  }, error: /^checkpoint <bytes>: tensor "optimizer\/momentumBuffer\/middle\/bias" has shape \[12\]; its parameter "middle\/bias" has \[24\]$/ },
  { input: 'a kernel reshaped [8, 24] -> [24, 8]', make: (g) => withMeta(g, (_m, h) => { h['dense_0/kernel'].shape = [24, 8]; }), error: /the tensor table does not match its layout hash/ },
  { input: 'one bit flipped in the tensor bytes', make: (g) => { const b = g.slice(); b[b.length - 7]! ^= 0x10; return b; }, error: /the tensor bytes are corrupt: CRC-32 [0-9a-f]{8}, the metadata says [0-9a-f]{8}/ },
  { input: 'a NaN written into a weight (CRC-32 updated to match)', make: (g) => {
    const { header, meta, data } = split(g);
    new DataView(data.buffer).setFloat32(header['middle/kernel'].data_offsets[0] + 4 * 5, NaN, true);
    meta.crc32 = crcHex(data);
    header.__metadata__ = metadata(meta);
    return build(header, data);
  }, error: /^load <bytes>: tensor "middle\/kernel"\[5\] is NaN: a checkpoint holds finite values only$/ },
  { input: 'the spec edited (an activation changed; tensors and hash kept)', make: (g) => withMeta(g, (m) => { m.spec.nodes[2].attrs.activation = 'relu'; }), error: /^load <bytes>: the checkpoint's model spec differs from this model's at nodes\[2\]\.attrs\.activation: "relu" vs "tanh" \(checkpoint vs model\)/ },
];

describe('loading validates everything, and a bad file changes nothing', () => {
  let good: Uint8Array;
  const errors = new Map<string, string>();

  it.each(CASES.map((c) => [c.input, c] as const))('%s', async (_name, c) => {
    const m = await model();
    await m.fit(DATA.x, DATA.y, { steps: 7 });
    good ??= m.toBytes();
    const target = await model();
    await target.fit(DATA.x, DATA.y, { steps: 3 });
    const before = sha(target.toBytes());
    let err: Error | undefined;
    try { target.loadBytes(c.make(good)); } catch (e) { err = e as Error; }
    expect(err, 'no error').toBeInstanceOf(Error);
    expect(err!.message).toMatch(c.error);
    expect(sha(target.toBytes()), 'the model changed').toBe(before);
    errors.set(c.input, err!.message);
  });

  it('a checkpoint of another model, seed or optimizer is refused with what differs; an optimizer with other settings loads with a warning', async () => {
    const m = await model();
    await m.fit(DATA.x, DATA.y, { steps: 5 });
    const bytes = m.toBytes();
    const other = await model({}, { ...SPEC, layers: [dense(24, { activation: 'relu' }), dense(4)] });
    expect(() => other.loadBytes(bytes)).toThrow(/^load <bytes>: the checkpoint's model spec differs from this model's at params: 6 entries vs 4/);
    const seed = await model({ seed: 10 });
    expect(() => seed.loadBytes(bytes)).toThrow('load <bytes>: the checkpoint was trained with seed 9, this model has seed 10 (the seed keys the noise, dropout and data order; create the model with seed 9, or use loadModel())');
    const adamModel = await model({ optimizer: adam() });
    expect(() => adamModel.loadBytes(bytes)).toThrow('load <bytes>: the checkpoint holds optimizer state [momentumBuffer] (chain of clipByGlobalNorm, addNoise, sgd); this model\'s adam keeps [m, v]');
    const warnings: string[] = [];
    const lr = await model({ optimizer: chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.1, momentum: 0.9 })), shards: 2, onWarning: (w) => warnings.push(w) });
    lr.loadBytes(bytes);
    expect(lr.step).toBe(5);
    expect(warnings).toEqual([
      'gradnoise: load <bytes>: the checkpoint was trained with another optimizer config (config.transforms[2].config.lr: 0.05 vs 0.1, checkpoint vs model); this model keeps its own',
      'gradnoise: load <bytes>: the checkpoint was trained with 4 shards, this model has 2: training goes on, but not in the bits of an uninterrupted run',
    ]);
  });

  it('loadModel: a missing file, a tampered spec and wrong options say so', async () => {
    await expect(loadModel(join(TMP, 'nope.safetensors'))).rejects.toThrow(/^loadModel: cannot read .*nope\.safetensors \(ENOENT\)$/);
    const m = await model();
    const bad = withMeta(m.toBytes(), (meta) => { meta.spec.nodes[0].attrs.units = 0; });
    await expect(loadModel(bad)).rejects.toThrow(/^checkpoint <bytes>: cannot build its model: graph: node "dense_0" \(dense\): attrs: units is 0/);
    const badOpt = withMeta(m.toBytes(), (meta) => { meta.optimizer = { name: 'sgd', config: { lr: -1 } }; });
    await expect(loadModel(badOpt)).rejects.toThrow(/^checkpoint <bytes>: metadata optimizer: sgd: lr is -1/);
    await expect(loadModel(m.toBytes(), { seed: 3 })).rejects.toThrow('loadModel: spec and seed apply to layout "pytorch" only (a checkpoint holds its own)');
    await expect(loadModel(m.toBytes(), { sede: 3 } as never)).rejects.toThrow(/loadModel: unknown option "sede" .*did you mean seed/);
    await expect(loadModel(42 as never)).rejects.toThrow('loadModel: need a path, a Uint8Array or an ArrayBuffer, got 42');
  });

  it('docs/checkpoints.md lists every bad input above with the message it really gets', () => {
    expect(errors.size).toBe(CASES.length);
    const doc = readFileSync(join(ROOT, 'docs/checkpoints.md'), 'utf8');
    const rows = CASES.map((c) => `| ${c.input} | \`${errors.get(c.input)!.replace(/\|/g, '\\|')}\` |`);
    const table = ['| bad input | error |', '|---|---|', ...rows].join('\n');
    if (process.env.GRADNOISE_UPDATE_DOCS) {
      writeFileSync(join(ROOT, 'docs/checkpoints.md'), doc.replace(/<!-- bad-inputs -->[\s\S]*<!-- \/bad-inputs -->/, `<!-- bad-inputs -->\n${table}\n<!-- /bad-inputs -->`));
      return;
    }
    expect(doc, 'run GRADNOISE_UPDATE_DOCS=1 npx vitest run test/ts/runtime/checkpoint.test.ts to refresh the table').toContain(table);
  });
});

// ---------------------------------------------------------------- atomic saves

describe('saving is atomic', () => {
  // A child that saves a 1.1 MB checkpoint A, then is killed (SIGKILL) half-way through writing checkpoint B.
  const child = (file: string) => `
    const { createModel, dense } = await import(${JSON.stringify(DIST)});
    const m = await createModel({ inputs: 784, loss: 'softmaxCrossEntropy', layers: [dense(256, { activation: 'relu' }), dense(256, { activation: 'relu' }), dense(10)] },
      { batchSize: 16, seed: 1, workers: 0 });
    await m.save(${JSON.stringify(file)});
    const x = new Float32Array(16 * 784).fill(0.5), y = new Uint8Array(16).fill(3);
    m.trainOnBatch(x, y);
    process.stdout.write('A saved\\n');
    globalThis[Symbol.for('gradnoise.testing.fault')] = { onSaveProgress: (written, total) => { if (written >= total / 2) process.kill(process.pid, 'SIGKILL'); } };
    await m.save(${JSON.stringify(file)});
    process.stdout.write('B saved\\n');`;

  it('a process killed half-way through a save leaves the previous checkpoint whole and loadable', async () => {
    const dir = mkdtempSync(join(TMP, 'kill-')), file = join(dir, 'model.safetensors');
    const r = await new Promise<{ code: number | null; signal: string | null; out: string }>((res) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', child(file)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.on('exit', (code, signal) => res({ code, signal, out }));
    });
    expect(r.signal).toBe('SIGKILL');
    expect(r.out).toBe('A saved\n');
    // The half-written B is a stray temporary file; the checkpoint itself is A, whole.
    const strays = readdirSync(dir).filter((f) => f.startsWith('.tmp-'));
    expect(strays).toHaveLength(1);
    const full = statSync(file).size;
    expect(statSync(join(dir, strays[0]!)).size).toBeLessThan(full);
    const m = track(await loadModel(file, { workers: 0 }));
    expect(m.step).toBe(0);
  });

  it('kills at random moments of a save loop never leave a broken checkpoint', async () => {
    const dir = mkdtempSync(join(TMP, 'loop-')), file = join(dir, 'model.safetensors');
    const loop = `
      const { createModel, dense } = await import(${JSON.stringify(DIST)});
      const m = await createModel({ inputs: 784, loss: 'softmaxCrossEntropy', layers: [dense(256, { activation: 'relu' }), dense(10)] },
        { batchSize: 16, seed: 1, workers: 0 });
      const x = new Float32Array(16 * 784).fill(0.5), y = new Uint8Array(16).fill(3);
      for (;;) { m.trainOnBatch(x, y); await m.save(${JSON.stringify(file)}); process.stdout.write('.'); }`;
    const r = lcg(3);
    let seen = -1;
    for (let i = 0; i < 6; i++) {
      await new Promise<void>((res) => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', loop], { stdio: ['ignore', 'pipe', 'inherit'] });
        let dots = 0, armed = false;
        p.stdout.on('data', (d: Buffer) => {
          dots += d.length; // several saves' dots may arrive in one chunk
          // Wait for a few saves, then kill at a random moment of the next ones.
          if (!armed && dots >= 3) {
            armed = true;
            setTimeout(() => p.kill('SIGKILL'), Math.floor((r() + 1) * 15));
          }
        });
        // Whatever happens above, the child never outlives its round.
        const safety = setTimeout(() => p.kill('SIGKILL'), 20_000);
        p.on('exit', () => { clearTimeout(safety); res(); });
      });
      const m = track(await loadModel(file, { workers: 0 }));
      expect(m.step).toBeGreaterThanOrEqual(3);
      seen = Math.max(seen, m.step);
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('a save that cannot write throws and leaves the previous file and no stray', async () => {
    const m = await model();
    const dir = mkdtempSync(join(TMP, 'ro-')), file = join(dir, 'm.safetensors');
    await m.save(file);
    const before = readFileSync(file);
    writeFileSync(join(dir, 'blocker'), 'x');
    await expect(m.save(join(dir, 'blocker', 'm.safetensors'))).rejects.toThrow(/ENOTDIR|EEXIST/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['blocker', 'm.safetensors']);
    expect(existsSync(join(dir, 'blocker'))).toBe(true);
  });
});

describe('NaN mid-training', () => {
  it('parameters that overflowed in an update are never written to a checkpoint: toBytes and save refuse, the old file stays', async () => {
    expect(() => sgd({ lr: 1e39 })).toThrow(/sgd: lr is 1e\+39 \(need a finite number >= 0 and <= 3.4028234663852886e\+38\)/);
    const m = await model({ optimizer: sgd({ lr: 3e38 }) });
    const file = join(TMP, 'overflow.safetensors');
    await m.save(file);
    const before = readFileSync(file);
    // Inputs 1000x larger: the loss stays finite, but lr x gradient passes the largest f32.
    m.trainOnBatch(DATA.x.subarray(0, 32 * 8).map((v) => v * 1000), DATA.y.subarray(0, 32));
    let err: unknown;
    try { m.toBytes(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as Error).message).toMatch(/^toBytes: step 1: (dense_0|middle|dense_3)\/(kernel|bias) holds (-?Infinity|NaN) at index \d+, and a checkpoint holds finite values only \(training diverged in layer (dense_0|middle|dense_3); the last good checkpoint is the one to keep\)$/);
    await expect(m.save(file)).rejects.toThrow(NonFiniteError);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a far too large learning rate stops the run naming the step and the layer, and the last checkpoint is intact', async () => {
    for (const workers of [0, 2]) {
      const relu: ModelSpec = { inputs: 8, loss: 'softmaxCrossEntropy', layers: [dense(24, { activation: 'relu' }), dense(24, { activation: 'relu', name: 'middle' }), dense(4)] };
      const m = await model({ workers, optimizer: sgd({ lr: 1e6 }) }, relu);
      const file = join(TMP, `nan-${workers}.safetensors`);
      // Checkpoint after every step, as `gradnoise train --checkpoint-every 1` does.
      let err: unknown = null;
      while (err === null && m.step < 100) {
        err = await m.fit(DATA.x, DATA.y, { steps: 1 }).then(() => null, (e: unknown) => e);
        if (err === null) await m.save(file);
      }
      expect(err).toBeInstanceOf(NonFiniteError);
      const e = err as NonFiniteError;
      expect(e.message).toMatch(/^fit: (the loss is (NaN|Infinity) at step \d+: training diverged in layer (dense_0|middle|dense_2)|step \d+: the gradient of (dense_0|middle|dense_2)\/(kernel|bias) is)/);
      expect(e.layer).toMatch(/^(dense_0|middle|dense_2)$/);
      expect(e.message).toContain(e.layer);
      expect([e.step, m.step]).toEqual([m.step, m.step]);
      // The checkpoint holds the state before the refused step, and replaying from it fails the same way.
      const back = track(await loadModel(file, { workers }));
      expect(back.step).toBe(m.step);
      expect(sha(back.toBytes())).toBe(sha(m.toBytes()));
      await expect(back.fit(DATA.x, DATA.y, { steps: 1 })).rejects.toThrow(e.message);
    }
  });
});
