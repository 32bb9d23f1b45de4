// The pure pieces of the parallel step: how a batch is cut into shards, how update units are cut and
// shared out, and the global norm's fixed order over units.
import { describe, expect, it } from 'vitest';
import { createModel, mlp } from '../../../src/index.js';
import { splitUnits } from '../../../src/runtime/parallel.js';
import { sumOfSquares } from '../../../src/optim/transforms.js';
import { UPDATE_UNIT } from '../../../src/core/abi.js';

describe('shards of a batch', () => {
  it('cover the batch exactly, in order, on multiples of 4 rows except the end, for any batch and shard count', async () => {
    for (const shards of [1, 2, 3, 4, 5, 8]) {
      const m = await createModel(mlp({ inputs: 2, hidden: [3], outputs: 2 }), { batchSize: 64, shards, workers: 0 });
      const net = (m as unknown as { engine: { net: { shardRows(r: number, s: number): [number, number] } } }).engine.net;
      for (let rows = 1; rows <= 64; rows++) {
        let at = 0;
        for (let s = 0; s < shards; s++) {
          const [r0, r1] = net.shardRows(rows, s);
          expect(r0, `rows ${rows}, shard ${s}`).toBe(at);
          expect(r1).toBeGreaterThanOrEqual(r0);
          if (s < shards - 1) expect(r1 % 4).toBe(0);
          at = r1;
        }
        expect(at).toBe(rows);
      }
    }
  });

  it('the paper batch of 100 in 4 shards: 24, 24, 24 and 28 rows', async () => {
    const m = await createModel(mlp({ inputs: 2, hidden: [3], outputs: 2 }), { batchSize: 100, workers: 0 });
    const net = (m as unknown as { engine: { net: { shardRows(r: number, s: number): [number, number] } } }).engine.net;
    expect([0, 1, 2, 3].map((s) => net.shardRows(100, s))).toEqual([[0, 24], [24, 48], [48, 72], [72, 100]]);
  });
});

describe('update units', () => {
  it('are shared out in contiguous runs that cover every unit once, balanced by elements', () => {
    const sizes = [16384, 16384, 6448, 50, 2500, 50, 2500, 50, 500, 10];
    for (let w = 1; w <= 6; w++) {
      const parts = splitUnits(sizes, w);
      expect(parts).toHaveLength(w);
      let at = 0;
      for (const [a, b] of parts) { expect(a).toBe(at); expect(b).toBeGreaterThanOrEqual(a); at = b; }
      expect(at).toBe(sizes.length);
    }
    const [p0, p1] = splitUnits(sizes, 2);
    const load = ([a, b]: [number, number]) => sizes.slice(a, b).reduce((x, y) => x + y, 0);
    expect(Math.abs(load(p0!) - load(p1!))).toBeLessThan(16384);
  });

  it('the norm of a tensor longer than a unit is the sum of its units\' lane-order sums, added in order', () => {
    const n = 2 * UPDATE_UNIT + 7;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * (i % 97 === 0 ? 1e6 : 1));
    const part = (a: number, b: number) => sumOfSquares(x.subarray(a, b));
    expect(sumOfSquares(x)).toBe((0 + part(0, UPDATE_UNIT)) + part(UPDATE_UNIT, 2 * UPDATE_UNIT) + part(2 * UPDATE_UNIT, n));
  });
});
