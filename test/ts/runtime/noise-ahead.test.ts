// Noise ahead (runtime/parallel.ts): workers waiting at the barrier after the shards compute pieces of the
// step's noise into a planned block, and pass 2 reads them. The contract: the same bits whether every
// piece, none or whatever the timing allows is computed ahead, for 0-4 workers; the block is planned
// exactly when it can be used; and what it holds is the noise pass 2 would have drawn.
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { RNG_DOMAIN_NOISE } from '../../../src/core/abi.js';
import { initNormal } from '../../../src/core/philox.js';
import { addNoise, adam, chain, clipByGlobalNorm, createModel, dense, sgd, type Model, type ModelSpec } from '../../../src/index.js';
import { noiseSigma } from '../../../src/optim/transforms.js';
import { aheadPieces, AHEAD_PIECE } from '../../../src/runtime/parallel.js';
import type { AheadMode } from '../../../src/runtime/protocol.js';
import { AHEAD_HOOK } from '../../../src/runtime/pool.js';
import type { Engine } from '../../../src/runtime/engine.js';
import { lcg, weightsHash } from '../helpers.js';

// The first kernel (784 x 40 = 31,360 elements) spans two update units and several pieces of noise.
const SPEC: ModelSpec = {
  inputs: 784,
  layers: [dense(40, { activation: 'relu' }), ...Array.from({ length: 4 }, () => dense(24, { activation: 'relu' })), dense(10)],
  loss: 'softmaxCrossEntropy',
};
const DATA = (() => {
  const r = lcg(5), n = 500;
  return { x: new Float32Array(n * 784).map(() => r()), y: new Uint8Array(n).map(() => Math.floor((r() + 1) * 5)) };
})();
const NOISY = () => chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.05, momentum: 0.9 }));
const QUIET = () => chain(clipByGlobalNorm(1), sgd({ lr: 0.05, momentum: 0.9 }));
const SEED = 77;

const models: Model[] = [];
const setMode = (mode: AheadMode | undefined) => {
  if (mode) (globalThis as Record<symbol, unknown>)[AHEAD_HOOK] = mode;
  else delete (globalThis as Record<symbol, unknown>)[AHEAD_HOOK];
};
afterEach(async () => {
  setMode(undefined);
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});
const engineOf = (m: Model) => (m as unknown as { engine: Engine }).engine;

describe('noise computed ahead by waiting workers', () => {
  it('gives the bits of inline training for 2, 3 and 4 workers, whether all, none or some of it is ahead', async () => {
    const hashes = new Map<string, string>();
    for (const [workers, mode] of [[0, undefined], [2, 'all'], [2, 'off'], [2, undefined], [3, 'all'], [4, 'all'], [4, 'off'], [3, undefined]] as const) {
      setMode(mode);
      const m = await createModel(SPEC, { batchSize: 50, seed: SEED, optimizer: NOISY(), workers, shards: 4 });
      models.push(m);
      expect(m.workers).toBe(workers);
      await m.fit(DATA.x, DATA.y, { epochs: 4 });
      hashes.set(`${workers} workers, ${mode ?? 'idle'}`, weightsHash(m));
    }
    expect(new Set(hashes.values()).size, JSON.stringify([...hashes], null, 1)).toBe(1);
  });

  it('is what pass 2 adds: with the block zeroed after the fills, the update adds no noise', async () => {
    const run = async (workers: number, mode: AheadMode | undefined, optimizer: ReturnType<typeof NOISY>) => {
      setMode(mode);
      const m = await createModel(SPEC, { batchSize: 50, seed: SEED, optimizer, workers, shards: 4 });
      models.push(m);
      await m.fit(DATA.x, DATA.y, { epochs: 2 });
      return weightsHash(m);
    };
    const noisy = await run(0, undefined, NOISY());
    const zeroed = await run(2, 'zeroed', NOISY());
    expect(zeroed).not.toBe(noisy);
    // A zero noise sample leaves the clipped gradient as it is: the bits of the same chain without noise.
    expect(zeroed).toBe(await run(0, undefined, QUIET()));
  });

  it('leaves in the block exactly the noise of the last step (every piece computed ahead)', async () => {
    setMode('all');
    const m = await createModel(SPEC, { batchSize: 50, seed: SEED, optimizer: NOISY(), workers: 2, shards: 4 });
    models.push(m);
    await m.fit(DATA.x, DATA.y, { epochs: 1 });
    const net = engineOf(m).net, block = net.plan.noise[0]!;
    const t = net.step - 1, sigma = Math.fround(noiseSigma(0.01, 0.55, t));
    [...net.plan.paramTensors.values()].forEach((p, k) => {
      const got = net.f32(p.offset - net.plan.params.offset + block.offset, p.elements);
      const want = initNormal(BigInt(SEED), RNG_DOMAIN_NOISE, t, p.elements, 0, sigma, k * 2 ** 34);
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer))).toBe(true);
    });
  });

  it('is planned only where it can be used: 2 or more workers (or inline, its helper) and noise after clipping', async () => {
    const planned = async (workers: number, optimizer: ReturnType<typeof NOISY>, noiseHelper = false) => {
      const m = await createModel(SPEC, { batchSize: 50, seed: SEED, optimizer, workers, shards: 4, noiseHelper });
      models.push(m);
      const plan = engineOf(m).net.plan;
      if (plan.noise.length) expect(plan.noise[0]!.bytes).toBe(plan.params.bytes);
      return plan.noise.length;
    };
    expect(await planned(2, NOISY())).toBe(1);
    expect(await planned(4, chain(clipByGlobalNorm(1), addNoise({ eta: 1, gamma: 0.55 }), adam({ lr: 1e-3 })))).toBe(1);
    expect(await planned(0, NOISY())).toBe(0);
    // inline, the noise helper's block (runtime/helper.ts; it needs a second core)
    expect(await planned(0, NOISY(), true)).toBe(availableParallelism() >= 2 ? 1 : 0);
    expect(await planned(1, NOISY(), true)).toBe(0);
    expect(await planned(1, NOISY())).toBe(0);
    expect(await planned(2, chain(clipByGlobalNorm(1), sgd({ lr: 0.05 })))).toBe(0);
    expect(await planned(2, chain(addNoise({ eta: 0.01, gamma: 0.55 }), clipByGlobalNorm(1), sgd({ lr: 0.05 })))).toBe(0);
  });

  it('orders the pieces round-robin over the workers, each a prefix of its units', () => {
    const sizes = [16384, 16384, 6432, 50, 2500, 50, 2500];
    for (const workers of [2, 3, 4]) {
      const all = aheadPieces(sizes, workers);
      expect(all.reduce((a, p) => a + p.piece.n, 0)).toBe(sizes.reduce((a, b) => a + b, 0));
      for (const { piece } of all) {
        expect(piece.off % AHEAD_PIECE).toBe(0);
        expect(piece.n).toBeLessThanOrEqual(AHEAD_PIECE);
      }
      // within a worker, pieces come in unit and offset order; consecutive claims alternate workers
      for (let w = 0; w < workers; w++) {
        const mine = all.filter((p) => p.worker === w).map((p) => p.piece.unit * 1e6 + p.piece.off);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
      // the first round takes one piece of every worker that has any, in worker order
      const having = [...new Set(all.map((p) => p.worker))].sort((a, b) => a - b);
      expect(all.slice(0, having.length).map((p) => p.worker)).toEqual(having);
    }
  });
});
