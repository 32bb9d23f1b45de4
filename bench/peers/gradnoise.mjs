// gradnoise in the peer benchmarks, through its public API (dist/src/index.js, built by `npm run build`).
//
// W1, W2, W4: createModel(spec, { batchSize, seed: 1, optimizer, workers, shards }), the cache's initial
// weights set with setParam (they are gradnoise's own He init, seed 1, so this changes nothing), trained
// with fit(x, y, { steps, shuffle: false, dropLast: true }) on the cache's permuted data: the batch order
// every peer uses. A sample is one fit() of n + 1 steps timed from the first onStep to the last, so it
// covers exactly n steps and leaves out what fit() does once per call (checking and staging the data,
// waking the workers), as in a long training run.
//   --threads 1 --variant inline : workers 0, shards 1 (the plain single-threaded step)
//   --threads 1 --variant sharded: workers 1, shards 4 (the deterministic parallel mode on one worker)
//   --threads 2 --variant sharded: workers 2, shards 4 (what users get with workers: 2)
// W3: the core's gemm_nn_f32 kernel called directly (as bench/run.mjs does); one thread, since gradnoise
// parallelises a training step across the batch (shards on workers), not inside one GEMM.
// W5-W8, the graph workloads: createModel(graph, ...) of models.mjs's builder (W8 with its clip + Adam,
// the others with SGD), the cache's weights set by name, the cache's inputs prepared once
// (model.prepare(x, y)) and trained with fit(data, { steps, shuffle: false, dropLast: true }). A sample is one fit() of n steps timed by the training loop itself
// (its epochs' examples / examplesPerSecond): on workers the loop runs there, so the time covers the steps
// and nothing of fit()'s hand-over; onStep timing would not do on workers, which post steps in batches
// every 25 ms. Only inline (1 thread) and 2 workers, 4 shards are measured.
//
// Usage: node bench/peers/gradnoise.mjs --workload W1|...|W8 --threads 1|2 --variant inline|sharded --cache DIR
import { pathToFileURL } from 'node:url';
import { CLIP, ETA, GAMMA, GEMMS, LR, NETS, W4_VARIANTS, flopsPerExample, loadCache, loadGraphCache, parseArgs, report, rng, sampleInterleaved, sampleRates } from './common.mjs';
import { GRAPHS } from './models.mjs';

const dist = new URL('../../dist/src/', import.meta.url);
const g = await import(new URL('index.js', dist).href);

/** The model spec of a net: W1 is paperNet('he'); W2 the same kind of MLP, wider. */
export function spec(net) {
  if (net === 'W1') return g.paperNet('he');
  const { dims } = NETS[net];
  return g.mlp({ inputs: dims[0], hidden: dims.slice(1, -1), outputs: dims.at(-1), activation: 'relu', init: 'heNormal', biasInit: 'zeros' });
}

export function optimizer(variant) {
  if (variant === 'sgd') return g.sgd({ lr: LR });
  if (variant === 'clip+sgd') return g.chain(g.clipByGlobalNorm(CLIP), g.sgd({ lr: LR }));
  return g.chain(g.clipByGlobalNorm(CLIP), g.addNoise({ eta: ETA, gamma: GAMMA }), g.sgd({ lr: LR }));
}

/** A model of the net; with `init` (the cache's weights, [{ W, b }] per layer) set as its parameters. */
export async function model(net, variant, workers, shards, init = null) {
  const m = await g.createModel(spec(net), { batchSize: NETS[net].batch, seed: 1, optimizer: optimizer(variant), workers, shards });
  if (init) m.paramNames.forEach((name, i) => m.setParam(name, i % 2 === 0 ? init[i >> 1].W : init[i >> 1].b));
  return m;
}

// n steps, timed between the first and the last onStep (n + 1 steps run).
function runner(m, cache) {
  const fitOptions = (n, onStep) => ({ steps: n + 1, shuffle: false, dropLast: true, onStep });
  return async (n) => {
    let first = 0, last = 0, seen = 0;
    await m.fit(cache.x, cache.y, fitOptions(n, () => {
      const t = performance.now();
      if (seen++ === 0) first = t; else last = t;
    }));
    return (last - first) / 1000;
  };
}

/** A model of a graph workload with the cache's weights, and its data prepared once. */
export async function graphModel(workload, workers, shards, cache) {
  const { build, batch, features, optimizer: update } = GRAPHS[workload];
  const m = await g.createModel(build(g), { batchSize: batch, seed: 1, optimizer: update ? update(g) : g.sgd({ lr: LR }), workers, shards });
  if (cache) {
    for (const [name, p] of cache.params) m.setParam(name, p.values);
    const pick = (names) => Object.fromEntries(names.map((n) => [n, cache.inputs[n]]));
    const targets = Object.keys(cache.inputs).filter((n) => !features.includes(n));
    const x = features.length === 1 ? cache.inputs[features[0]] : pick(features);
    const y = targets.length === 1 ? cache.inputs[targets[0]] : pick(targets);
    return { m, data: m.prepare(x, y) };
  }
  return { m, data: null };
}

// n steps of a graph workload, timed by the training loop (every epoch's examples / examplesPerSecond).
function graphRunner(m, data) {
  return async (n) => {
    const h = await m.fit(data, { steps: n, shuffle: false, dropLast: true });
    return h.epochs.reduce((a, e) => a + e.examples / e.examplesPerSecond, 0);
  };
}

async function graphMain(o, base, workers, shards) {
  const cache = loadGraphCache(o.cache, o.workload);
  if (o.threads === 1 && workers > 0) return report({ ...base, unsupported: 'one thread: the inline row' });
  const { m, data } = await graphModel(o.workload, workers, shards, cache);
  if (o.check > 0) {
    const loss = [];
    await m.fit(data, { steps: o.check, shuffle: false, dropLast: true, onStep: (s) => loss.push(s.loss) });
    // How far the weights moved: the L2 norm of (final - initial) over every parameter (same-work check).
    let sq = 0;
    for (const [name, p] of cache.params) {
      const w = m.getParam(name);
      for (let i = 0; i < w.length; i++) sq += (w[i] - p.values[i]) ** 2;
    }
    await m.dispose();
    return report({ ...base, workload: `check-${o.workload}`, series: { loss }, moved: Math.sqrt(sq) });
  }
  const r = await sampleRates(graphRunner(m, data), { warmup: o.warmup || 10, samples: o.samples, seconds: o.seconds, perStep: cache.batch });
  await m.dispose();
  report({ ...base, unit: 'examples/s', series: { 'examples/s': r.samples }, steps: r.steps });
}

async function main() {
  const o = parseArgs();
  const cache = loadCache(o.cache);
  const variant = o.variant || (o.threads === 1 ? 'inline' : 'sharded');
  const workers = variant === 'inline' ? 0 : o.threads;
  const shards = variant === 'inline' ? 1 : 4;
  const base = { system: 'gradnoise', variant, workload: o.workload, threads: o.threads, info: { workers, shards } };
  if (variant === 'inline' && o.threads !== 1) return report({ ...base, unsupported: 'inline is one thread' });

  if (o.workload in GRAPHS) return graphMain(o, base, workers, shards);

  if (o.check > 0) {
    const m = await model('W1', 'sgd', workers, shards, cache.params.W1);
    const loss = [];
    await m.fit(cache.x, cache.y, { steps: o.check, shuffle: false, dropLast: true, onStep: (s) => loss.push(s.loss) });
    await m.dispose();
    return report({ ...base, workload: 'check', series: { loss } });
  }

  if (o.workload === 'W3') {
    if (o.threads !== 1) return report({ ...base, unsupported: 'one GEMM runs on one thread (workers split the batch of a training step, not a GEMM)' });
    const { createMemory, instantiateCore, loadCoreModule } = await import(new URL('core/wasm.js', dist).href);
    const { readCoreBuild } = await import(new URL('runtime/threads.js', dist).href);
    const mod = await loadCoreModule('threads', readCoreBuild);
    const memory = createMemory(mod, 2048);
    const k = instantiateCore(mod, memory).exports;
    const series = {};
    for (const [M, K, N] of GEMMS) {
      const a = mod.arenaBase, b = a + M * K * 4 + 64, c = b + K * N * 4 + 64, s = c + M * N * 4 + 64;
      const f = new Float32Array(memory.buffer), r = rng(M + K + N);
      for (let i = a >> 2; i < c >> 2; i++) f[i] = r.normal();
      series[`${M}x${K}x${N}`] = (await sampleRates((n) => { for (let i = 0; i < n; i++) k.gemm_nn_f32(c, a, b, M, K, N, 0, s); },
        { warmup: 2, samples: o.samples, seconds: o.seconds, perStep: 2 * M * K * N / 1e9 })).samples;
    }
    return report({ ...base, unit: 'GFLOP/s', series, info: { ...base.info, kernel: 'gemm_nn_f32', build: mod.build } });
  }

  const net = o.workload === 'W4' ? 'W1' : o.workload;
  const { batch, dims } = NETS[net];
  const opts = { warmup: o.warmup || (net === 'W1' ? 30 : 3), samples: o.samples, seconds: o.seconds, perStep: batch };
  if (o.workload === 'W4') {
    const models = {};
    for (const v of W4_VARIANTS) models[v] = await model(net, v, workers, shards, cache.params[net]);
    const r = await sampleInterleaved(Object.fromEntries(W4_VARIANTS.map((v) => [v, runner(models[v], cache)])), opts);
    for (const m of Object.values(models)) await m.dispose();
    return report({ ...base, unit: 'examples/s', series: r.series, steps: r.steps,
      info: { ...base.info, how: 'chain(clipByGlobalNorm(10), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.01 })), one fused wasm pass' } });
  }
  const m = await model(net, 'sgd', workers, shards, cache.params[net]);
  const r = await sampleRates(runner(m, cache), opts);
  await m.dispose();
  report({ ...base, unit: 'examples/s', flopsPerExample: flopsPerExample(dims), series: { 'examples/s': r.samples }, steps: r.steps });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
