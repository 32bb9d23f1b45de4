// Run configs as plain data (src/runs/config.ts): checked field by field, turned into the same model in
// every runtime, and trained by runTraining; and the core handed over as bytes or as a compiled module
// (what workerd needs), of either build.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createModel, createModelFromConfig, DEFAULT_TRAIN_CONFIG, mlp, paperNet, resolveTrainConfig, runTraining, runtimeInfo, specOfConfig, toGraph, weightsSha256,
} from 'gradnoise';
import { blobs } from '../helpers.js';

const DATA = blobs(256, 5);
const SHAPE = { features: 8, classes: 4 };
const core = (build: 'threads' | 'single') => readFileSync(new URL(`../../../build/gradnoise.${build}.wasm`, import.meta.url));

describe('resolveTrainConfig', () => {
  it('fills the defaults, and keeps what is given', () => {
    expect(resolveTrainConfig({})).toEqual(DEFAULT_TRAIN_CONFIG);
    const c = resolveTrainConfig({ init: 'simple', clip: 10, noise: true, steps: 50 });
    expect(c).toEqual({ ...DEFAULT_TRAIN_CONFIG, init: 'simple', clip: 10, noise: true, steps: 50 });
  });

  it.each([
    [{ lr: 0 }, /config: lr is 0 \(need a finite number > 0\)/],
    [{ lr: Number.NaN }, /config: lr is NaN \(need a finite number > 0\)/],
    [{ depth: 2.5 }, /config: depth is 2.5 \(need an integer from 0 to 1000\)/],
    [{ init: 'xavier' }, /config: init is "xavier" \(allowed: simple, sussilloAbbott, he, zero, glorot, simpleVar\)$/],
    [{ init: 'sussiloAbbott' }, /config: init is "sussiloAbbott" \(allowed: simple, sussilloAbbott, he, zero, glorot, simpleVar\); did you mean sussilloAbbott\?$/],
    [{ clip: -1 }, /config: clip is -1 \(need null or a finite number > 0\)/],
    [{ noise: 'yes' }, /config: noise is "yes" \(need true or false\)/],
    [{ steps: -3 }, /config: steps is -3 \(need null or an integer from 0 up\)/],
    [{ shards: 65 }, /config: shards is 65 \(need an integer from 1 to 64\)/],
    [{ learningRate: 0.1 }, /config: unknown option "learningRate"/],
    [{ sead: 3 }, /unknown option "sead" .*did you mean seed\?/],
    [{ noiseBeforeClip: true }, /config: noiseBeforeClip is true but noise is false/],
    [{ noiseBeforeClip: true, noise: true }, /noiseBeforeClip needs a clip/],
    [{ depth: 0, dropout: 0.5 }, /dropout 0.5 needs hidden layers/],
    [{ biasInit: 'zero' }, /config: biasInit is "zero" \(need a finite number \(a constant\) or "kernel"\)/],
    [{ biasInit: Number.POSITIVE_INFINITY }, /config: biasInit is Infinity/],
    [{ biasInit: null }, /config: biasInit is null/],
    [null, /config: options must be an object/],
    [[1, 2], /config: options must be an object/],
  ])('%j is refused, naming the field and the value', (partial, error) => {
    expect(() => resolveTrainConfig(partial)).toThrow(error);
  });

  it('names the caller in its errors', () => {
    expect(() => resolveTrainConfig({ lr: -1 }, 'sweep point 3')).toThrow(/^sweep point 3: lr is -1/);
  });
});

describe('the inits of a config', () => {
  const MNIST = { features: 784, classes: 10 };
  // The initializers of the dense layers of a config's graph, layer by layer.
  const dense = (c: object) => {
    const g = toGraph(specOfConfig(resolveTrainConfig(c), MNIST));
    const init = (name: string) => g.params.find((p) => p.name === name)!.init;
    return g.nodes.filter((n) => n.op === 'dense').map((n) => ({ kernelInit: init(`${n.name}/kernel`), biasInit: init(`${n.name}/bias`) }));
  };

  it('simple is N(0, 0.1²) with zero biases as before, the net of paperNet(\'simple\'); simpleVar is N(0, 0.1); simpleBias has biases 0.1', () => {
    for (const init of ['simple', 'simpleVar', 'he', 'zero', 'sussilloAbbott'] as const) {
      expect(specOfConfig(resolveTrainConfig({ init }), MNIST)).toEqual(paperNet(init));
    }
    expect(dense({ init: 'simple' }).map((l) => [l.kernelInit, l.biasInit])).toEqual(Array(21).fill([{ kind: 'normal', std: 0.1 }, 'zeros']));
    expect(dense({ init: 'simpleVar' }).map((l) => l.kernelInit)).toEqual(Array(21).fill({ kind: 'normal', std: Math.sqrt(0.1) }));
    expect(specOfConfig(resolveTrainConfig({ init: 'simple', biasInit: 0.1 }), MNIST)).toEqual(paperNet('simpleBias'));
    expect(dense({ init: 'simple', biasInit: 0.1 }).map((l) => [l.kernelInit, l.biasInit])).toEqual(Array(21).fill([{ kind: 'normal', std: 0.1 }, { kind: 'constant', value: 0.1 }]));
    expect(() => paperNet({ depth: 3 } as never)).toThrow(/^paperNet: init is \{"depth":3\} \(allowed: simple, sussilloAbbott, he, zero, simpleVar, simpleBias\)$/);
  });

  it('biasInit: a constant, or drawn as the weights; 0 is the zeros of every earlier config', () => {
    expect(dense({ init: 'simple', biasInit: 0.1 }).map((l) => l.biasInit)).toEqual(Array(21).fill({ kind: 'constant', value: 0.1 }));
    expect(dense({ init: 'simpleVar', biasInit: 'kernel' }).map((l) => l.biasInit)).toEqual(Array(21).fill({ kind: 'normal', std: Math.sqrt(0.1) }));
    expect(dense({ init: 'he', biasInit: 'kernel' }).map((l) => l.biasInit)).toEqual(Array(21).fill('heNormal'));
    expect(dense({ biasInit: -0 })).toEqual(dense({}));
  });

  it('the values: constant biases, and biases drawn as the weights but not the same draws', async () => {
    const shape = { features: 8, classes: 2 };
    const moments = (v: Float32Array) => {
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return [mean, Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length)];
    };
    const c = await createModelFromConfig(resolveTrainConfig({ depth: 1, width: 4096, init: 'simpleVar', biasInit: 0.1 }), shape);
    expect(new Set(c.getParam('dense_0/bias'))).toEqual(new Set([Math.fround(0.1)]));
    const [km, ks] = moments(c.getParam('dense_0/kernel'));
    expect(Math.abs(km!)).toBeLessThan(0.01);
    expect(ks! / Math.sqrt(0.1)).toBeCloseTo(1, 1);
    await c.dispose();
    const k = await createModelFromConfig(resolveTrainConfig({ depth: 1, width: 4096, init: 'simpleVar', biasInit: 'kernel' }), shape);
    const bias = k.getParam('dense_0/bias'), kernel = k.getParam('dense_0/kernel');
    const [bm, bs] = moments(bias);
    expect(Math.abs(bm!)).toBeLessThan(0.02);
    expect(bs! / Math.sqrt(0.1)).toBeCloseTo(1, 1);
    expect(Array.from(bias.subarray(0, 8))).not.toEqual(Array.from(kernel.subarray(0, 8)));
    await k.dispose();
  });
});

describe('createModelFromConfig and runTraining', () => {
  const config = resolveTrainConfig({ depth: 2, width: 16, init: 'simple', lr: 0.1, clip: 10, noise: true, batchSize: 32, steps: 20, seed: 7 });

  it('one config, one hash: inline and on 2 workers, and as runTraining trains it', async () => {
    const hashes: string[] = [];
    for (const workers of [0, 2]) {
      const m = await createModelFromConfig(config, SHAPE, { workers });
      await m.fit(DATA.x, DATA.y, { steps: 20 });
      hashes.push(await weightsSha256(m));
      await m.dispose();
    }
    const { summary } = await runTraining(config, { train: { ...DATA, count: 256 }, test: null, ...SHAPE }, { workers: 2 });
    expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
    expect([hashes[1], summary.weightsSha256]).toEqual([hashes[0], hashes[0]]);
    expect(summary.steps).toBe(20);
  });

  it('runTraining reports the workers and build it really got before the first step', async () => {
    const starts: { workers: number; build: string }[] = [];
    let stepsBeforeStart = 0;
    await runTraining(config, { train: { ...DATA, count: 256 }, test: null, ...SHAPE }, {
      workers: 1, hooks: { onStart: (s) => starts.push(s), onStep: () => { if (starts.length === 0) stepsBeforeStart++; } },
    });
    expect(starts).toEqual([{ workers: 1, build: 'threads' }]);
    expect(stepsBeforeStart).toBe(0);
  });

  it('the summary times start-up, steps and the whole run apart; examplesPerSecond counts the steps only', async () => {
    // 2 epochs of 8 steps in 3 calls (a checkpoint every 6 steps cuts the epochs), validated after each.
    const c = resolveTrainConfig({ ...config, steps: 16 });
    const test = { ...blobs(128, 6), count: 128 };
    const dir = mkdtempSync(join(tmpdir(), 'gradnoise-timing-'));
    for (const workers of [0, 2]) {
      const { summary: s, epochs } = await runTraining(c, { train: { ...DATA, count: 256 }, test, ...SHAPE }, {
        workers, checkpoint: { path: join(dir, `${workers}.safetensors`), every: 6 }, keepSteps: false,
      });
      const w = `${workers} workers`;
      expect(s.examplesPerSecondOver, w).toBe('stepSeconds');
      expect(s.startupSeconds, w).toBeGreaterThan(0);
      expect(s.stepSeconds, w).toBeGreaterThan(0);
      expect(Math.max(s.stepSeconds, s.startupSeconds!), w).toBeLessThan(s.seconds);
      // The epochs' own records (each merged from its parts in two calls) add up to the summary's time.
      const fromEpochs = epochs.reduce((t, e) => t + e.examples / e.examplesPerSecond, 0);
      expect(s.stepSeconds, w).toBeCloseTo(fromEpochs, 9);
      expect(s.examplesPerSecond, w).toBeCloseTo((16 * 32) / s.stepSeconds, 6);
      expect(s.wallExamplesPerSecond, w).toBeCloseTo((16 * 32) / s.seconds, 6);
      expect(s.wallExamplesPerSecond, w).toBeLessThan(s.examplesPerSecond);
    }
    rmSync(dir, { recursive: true });
    // A run with nothing left to train took no step: no start-up to report, and no rate.
    const none = await runTraining(resolveTrainConfig({ ...config, steps: 0 }), { train: { ...DATA, count: 256 }, test: null, ...SHAPE }, { workers: 0 });
    expect([none.summary.startupSeconds, none.summary.stepSeconds, none.summary.examplesPerSecond]).toEqual([null, 0, 0]);
  });
});

describe('the core handed over by the caller', () => {
  const spec = mlp({ inputs: 8, hidden: [8], outputs: 4 });
  const quiet = { onWarning: () => {} };

  it('a compiled module of either build decides the build; bytes and ArrayBuffers compile', async () => {
    for (const build of ['single', 'threads'] as const) {
      const m = await createModel(spec, { ...quiet, wasm: await WebAssembly.compile(core(build)) });
      expect(m.build).toBe(build);
      await m.dispose();
    }
    const bytes = core('single');
    const fromBuffer = await createModel(spec, { ...quiet, build: 'single', wasm: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    expect(fromBuffer.build).toBe('single');
    await fromBuffer.dispose();
  });

  it('a module of the other build than asked for, or not the core at all, says so', async () => {
    const single = await WebAssembly.compile(core('single'));
    await expect(createModel(spec, { ...quiet, build: 'threads', wasm: single })).rejects.toThrow(/the wasm module given is the single build, but build is "threads"/);
    const empty = await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    await expect(createModel(spec, { ...quiet, wasm: empty })).rejects.toThrow(/createModel: wasm is not gradnoise's core \(a compiled module: /);
  });

  it('Node reports itself, with workers', () => {
    expect(runtimeInfo()).toEqual({ name: 'node', version: process.versions.node, workers: true });
  });
});
