// Fuzzing the checkpoint loader (issue #6): random bytes, and random mutations of a valid checkpoint (bytes
// flipped, cut, inserted; header fields replaced with values of every type), go to loadBytes() and to
// loadModel(). Each one loads (a byte mutation only when it changes nothing the file says) or gets an Error
// starting "checkpoint " or "load ", never a trap or a TypeError; a failed load leaves the model unchanged;
// and nothing takes long (the whole suite runs in seconds; a hang would time the test out).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addNoise, chain, clipByGlobalNorm, crc32, createModel, dense, dropout, loadModel, sgd, type Model, type ModelSpec,
} from '../../../src/index.js';
import { blobs } from '../helpers.js';

const SPEC: ModelSpec = {
  inputs: 8, loss: 'softmaxCrossEntropy', layers: [dense(12, { activation: 'relu' }), dropout(0.2), dense(4)],
};
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let model: Model;
let good: Uint8Array;
let before: string;
beforeAll(async () => {
  const opt = chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.05, momentum: 0.9 }));
  const src = await createModel(SPEC, { batchSize: 16, seed: 4, optimizer: opt, workers: 0 });
  const d = blobs(100, 3);
  await src.fit(d.x, d.y, { steps: 9 });
  good = src.toBytes();
  await src.dispose();
  model = await createModel(SPEC, { batchSize: 16, seed: 4, optimizer: opt, workers: 0, onWarning: () => {} });
  before = sha(model.toBytes());
});
afterAll(() => model.dispose());

/**
 * Loads `bytes` into the model: 'ok', or the error, which must be one of ours (and leave the model as it
 * was). `exact`: a load that succeeds must have loaded exactly the good file's state (a byte-level mutation
 * may only have touched what carries no meaning, like the header's padding).
 */
function attempt(bytes: Uint8Array, exact = false): 'ok' | Error {
  try {
    model.loadBytes(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(TypeError);
    expect(e).not.toBeInstanceOf(RangeError);
    expect(e).not.toBeInstanceOf(WebAssembly.RuntimeError);
    expect((e as Error).message).toMatch(/^(checkpoint|load) <bytes>: \S/);
    expect(sha(model.toBytes())).toBe(before);
    return e as Error;
  }
  if (exact) expect(sha(model.toBytes())).toBe(sha(good));
  // Reset for the next case.
  model.loadBytes(good);
  before = sha(model.toBytes());
  return 'ok';
}

/** The JSON header of the good file, parsed, and its data section. */
function parts() {
  const n = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + n))) as Record<string, any>, data: good.subarray(8 + n) };
}

/** The bytes of a file with this header and data; the metadata's checksum is recomputed (so that the checks behind it run). */
function build(header: Record<string, any>, data: Uint8Array): Uint8Array {
  const m = header.__metadata__;
  if (m && typeof m === 'object' && typeof m.gradnoise === 'string') {
    m['gradnoise.crc32'] = crc32(new TextEncoder().encode(m.gradnoise)).toString(16).padStart(8, '0');
  }
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

// Values of every JSON type and the edge numbers, to put anywhere in a header.
const anyValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, 2 ** 64, -0, 1e308, '', 'F32', 'F64', [], {}, [0], [1, 2, 3], [-1, 5], { a: 1 }),
  fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.array(fc.integer({ min: -2, max: 1e6 }), { maxLength: 4 }),
);

describe('the checkpoint loader under fuzzing', () => {
  it('random bytes: a clear error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => { expect(attempt(b)).toBeInstanceOf(Error); }), { seed: 6, numRuns: 400 });
  });

  it('random bytes behind a plausible header length: a clear error', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 1n << 64n }).map((n) => n % (1n << 64n)), fc.uint8Array({ maxLength: 300 }), (n, rest) => {
      const b = new Uint8Array(8 + rest.length);
      new DataView(b.buffer).setBigUint64(0, n, true);
      b.set(rest, 8);
      expect(attempt(b)).toBeInstanceOf(Error);
    }), { seed: 7, numRuns: 300 });
  });

  it('a valid file with bytes flipped, cut or inserted anywhere: loads only when nothing it says changed', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
      let b = good.slice();
      for (const m of ms) {
        const at = m.at % (b.length + 1);
        if (m.kind === 'flip' && at < b.length) b[at]! ^= 1 << m.bit;
        else if (m.kind === 'set' && at < b.length) b[at] = m.byte;
        else if (m.kind === 'cut') b = b.slice(0, at);
        else if (m.kind === 'insert') b = new Uint8Array([...b.subarray(0, at), m.byte, ...b.subarray(at)]);
      }
      // A change in the tensor bytes or the metadata always fails (their CRCs); one in the header's padding
      // spaces, or in the JSON's layout, may load, and must then load exactly the good state.
      attempt(b, true);
    }), { seed: 8, numRuns: 500 });
  });

  it('header fields replaced with any JSON value: a clear error, never a crash', () => {
    const { header, data } = parts();
    const tensors = Object.keys(header).filter((k) => k !== '__metadata__');
    const metaFields = Object.keys(JSON.parse(header.__metadata__.gradnoise));
    fc.assert(fc.property(
      fc.oneof(
        fc.record({ where: fc.constant('tensor' as const), name: fc.constantFrom(...tensors), field: fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra'), value: anyValue }),
        fc.record({ where: fc.constant('meta' as const), name: fc.constantFrom(...metaFields), field: fc.constant(''), value: anyValue }),
        fc.record({ where: fc.constant('position' as const), name: fc.constantFrom('batch', 'count', 'batchSize', 'seed', 'shuffle', 'dropLast'), field: fc.constant(''), value: anyValue }),
        fc.record({ where: fc.constant('spec' as const), name: fc.constantFrom('format', 'inputs', 'params', 'nodes', 'outputs', 'losses'), field: fc.constant(''), value: anyValue }),
        fc.record({ where: fc.constant('entry' as const), name: fc.constantFrom(...tensors, '__metadata__'), field: fc.constant(''), value: anyValue }),
      ),
      (m) => {
        const h = structuredClone(header);
        const meta = JSON.parse(h.__metadata__.gradnoise);
        if (m.where === 'tensor') h[m.name][m.field] = m.value;
        else if (m.where === 'meta') meta[m.name] = m.value;
        else if (m.where === 'position') meta.position[m.name] = m.value;
        else if (m.where === 'spec') meta.spec[m.name] = m.value;
        if (m.where !== 'entry') h.__metadata__ = { gradnoise: JSON.stringify(meta) };
        else h[m.name] = m.value;
        attempt(build(h, data));
      },
    ), { seed: 9, numRuns: 600 });
  });

  it('loadModel() on mutated files: a clear error or a working model, never a crash', async () => {
    const { header, data } = parts();
    const fields = ['inputs', 'units', 'activation', 'rate', 'op', 'nodeInputs', 'params', 'paramShape', 'loss', 'optimizer', 'shards', 'batchSize'] as const;
    await fc.assert(fc.asyncProperty(fc.constantFrom(...fields), anyValue, async (field, value) => {
      const h = structuredClone(header);
      const meta = JSON.parse(h.__metadata__.gradnoise);
      // The checkpoint's graph (graph/spec.ts): nodes[0] is a dense layer, nodes[1] a dropout.
      if (field === 'inputs') meta.spec.inputs[0].shape = value;
      else if (field === 'units') meta.spec.nodes[0].attrs.units = value;
      else if (field === 'activation') meta.spec.nodes[0].attrs.activation = value;
      else if (field === 'rate') meta.spec.nodes[1].attrs.rate = value;
      else if (field === 'op') meta.spec.nodes[1].op = value;
      else if (field === 'nodeInputs') meta.spec.nodes[1].inputs = value;
      else if (field === 'params') meta.spec.nodes[0].params = value;
      else if (field === 'paramShape') meta.spec.params[0].shape = value;
      else if (field === 'loss') meta.spec.losses[0] = value;
      else if (field === 'optimizer') meta.optimizer.config.transforms[1].config = value;
      else meta[field] = value;
      h.__metadata__ = { gradnoise: JSON.stringify(meta) };
      try {
        const m = await loadModel(build(h, data), { workers: 0, onWarning: () => {} });
        await m.dispose();
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect(e).not.toBeInstanceOf(TypeError);
        expect((e as Error).message).toMatch(/^(checkpoint|load) <bytes>: \S/);
      }
    }), { seed: 10, numRuns: 300 });
  });
});
