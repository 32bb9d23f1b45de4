// How messages reach the workers (runtime/protocol.ts toWire / fromWire, applied by runtime/threads.ts):
// a typed array over shared memory crosses as its buffer, offset and length, never as an object with one
// property per element, so that a runtime that walks every received message (Deno's node:worker_threads
// does, issue #22) pays per message, not per training example; and the data a fit() hands its workers is
// one shared buffer, the same one for every worker and every call, never a copy.
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, mlp, type Model } from '../../../src/index.js';
import { fromWire, toWire, WIRE_VIEW } from '../../../src/runtime/protocol.js';
import { blobs, weightsHash } from '../helpers.js';

/** What a for...in walk over a message visits, as Deno's worker_threads does on every message (own keys, any depth). */
function visited(m: unknown, seen = new Set<unknown>()): number {
  if (m === null || typeof m !== 'object' || seen.has(m)) return 0;
  seen.add(m);
  let n = 0;
  for (const k in m) if (Object.hasOwn(m, k)) n += 1 + visited((m as Record<string, unknown>)[k], seen);
  return n;
}

/** Every ArrayBuffer view anywhere in a message (plain objects and arrays). */
function views(m: unknown, out: ArrayBufferView[] = []): ArrayBufferView[] {
  if (ArrayBuffer.isView(m)) out.push(m);
  else if (m !== null && typeof m === 'object' && !(m instanceof SharedArrayBuffer) && !(m instanceof ArrayBuffer)) {
    for (const v of Object.values(m)) views(v, out);
  }
  return out;
}

const sharedF32 = (n: number, offset = 0) => new Float32Array(new SharedArrayBuffer(4 * (n + offset)), 4 * offset, n);

function message(rows: number) {
  const x = sharedF32(rows * 784, 4);
  x[0] = 0.5;
  return {
    type: 'fit',
    data: { count: rows, x, labels: new Int32Array(new SharedArrayBuffer(4 * rows)), targets: null },
    order: new Uint32Array(new SharedArrayBuffer(4 * rows)),
    cfg: { count: rows, epochs: 1, maxSteps: Infinity },
    steps: [{ step: 1, loss: 2.3 }],
  };
}

describe('toWire / fromWire', () => {
  it('carries shared typed arrays as buffers: a walk of the message visits as much for 10 examples as for 60,000', () => {
    const small = toWire(message(10)), large = toWire(message(60000));
    expect(views(small)).toEqual([]);
    expect(views(large)).toEqual([]);
    expect(visited(large)).toBe(visited(small));
    expect(visited(large)).toBeLessThan(40);
    // Before: the typed arrays themselves, one property per element.
    expect(visited(message(10))).toBeGreaterThan(7840);
  });

  it('rebuilds each view (type, offset, length) over the very same memory on the other side of a port', async () => {
    const m = message(3);
    const { port1, port2 } = new MessageChannel();
    const got = new Promise<ReturnType<typeof message>>((resolve) => port2.once('message', (r) => resolve(fromWire(r) as never)));
    port1.postMessage(toWire(m));
    const r = await got;
    port1.close();
    expect(r.data.x).toBeInstanceOf(Float32Array);
    expect([r.data.x.byteOffset, r.data.x.length, r.data.x[0]]).toEqual([16, 3 * 784, 0.5]);
    expect(r.data.labels).toBeInstanceOf(Int32Array);
    expect(r.order).toBeInstanceOf(Uint32Array);
    expect(r.data.targets).toBeNull();
    expect(r.cfg).toEqual(m.cfg);
    expect(r.steps).toEqual(m.steps);
    r.data.x[1] = 7; // shared, not copied: the write shows on this side
    r.order[2] = 9;
    expect([m.data.x[1], m.order[2]]).toEqual([7, 9]);
  });

  it('leaves everything else as it is, and refuses a view type it does not know', () => {
    const unshared = new Float32Array([1, 2]);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const sab = new SharedArrayBuffer(8);
    const w = toWire({ a: [1, 'b', null, undefined, unshared], memory, sab, nested: [[{ n: 1 }]] }) as Record<string, unknown>;
    expect((w.a as unknown[])[4]).toBe(unshared);
    expect(w.memory).toBe(memory);
    expect(w.sab).toBe(sab);
    expect(w.nested).toEqual([[{ n: 1 }]]);
    expect(toWire(3)).toBe(3);
    expect(toWire(null)).toBeNull();
    const big = toWire(new BigInt64Array(new SharedArrayBuffer(16)));
    expect(big).toBeInstanceOf(BigInt64Array); // not a type the protocol uses: crosses as structured cloning has it
    expect(() => fromWire({ [WIRE_VIEW]: 'Float16Array', buffer: sab, byteOffset: 0, length: 1 }))
      .toThrow(/^internal: a message holds a shared view of unknown type Float16Array/);
  });
});

describe('what fit() posts to its workers', () => {
  const models: Model[] = [];
  afterEach(async () => { await Promise.all(models.splice(0).map((m) => m.dispose())); });

  it('prepared data reaches both workers as one shared buffer, the same in every call, in no typed array; same bits', async () => {
    const DATA = blobs(300, 1);
    const spec = mlp({ inputs: 8, hidden: [16], outputs: 4 });
    const ref = await createModel(spec, { batchSize: 30, seed: 2, workers: 0 });
    models.push(ref);
    await ref.fit(DATA.x, DATA.y, { steps: 12 });

    const posted: unknown[] = [];
    const original = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, m: unknown, ...rest: never[]) {
      posted.push(m);
      return original.call(this, m, ...rest);
    };
    try {
      const m = await createModel(spec, { batchSize: 30, seed: 2, workers: 2 });
      models.push(m);
      const train = m.prepare(DATA.x, DATA.y);
      await m.fit(train, { steps: 5 });
      await m.fit(train, { steps: 7 });
      expect(weightsHash(m)).toBe(weightsHash(ref));
    } finally {
      Worker.prototype.postMessage = original;
    }
    const fits = (posted.filter((p) => (p as { type: string }).type === 'fit') as { data: { arrays: { x: Record<string, unknown> } } }[]).map((f) => ({ data: f.data.arrays }));
    expect(fits).toHaveLength(4); // 2 workers x 2 calls
    expect(posted.flatMap((p) => views(p))).toEqual([]);
    const buffers = new Set(fits.map((f) => f.data.x.buffer));
    expect(buffers.size).toBe(1);
    expect((fits[0]!.data.x.buffer as SharedArrayBuffer).byteLength).toBe(DATA.x.byteLength);
    expect(fits.every((f) => f.data.x[WIRE_VIEW] === 'Float32Array')).toBe(true);
  });
});
