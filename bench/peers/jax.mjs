// jax-js (@jax-js/jax 0.1.25) in the peer benchmarks: JAX's programming model in JavaScript, kernels
// generated for its wasm backend. Under Node 20 it is initialised with init('wasm') (the default init()
// probes WebGPU through navigator, which Node 20 does not have).
//
// The training step is the JAX idiom: a loss function of (params, x, y), valueAndGrad of it, the SGD update
// inside the same function, all under jit, so the whole step is traced once and runs as fused kernels:
//   step = jit((params, x, y) => { [loss, grads] = valueAndGrad(lossFn)(params, x, y); return [params - lr·grads, loss] })
// jax-js counts references (every call consumes its array arguments; .ref keeps one), hence the ref() calls.
// W4 adds, inside the jitted step, the global norm of the gradients, the scale min(1, 10 / norm), and noise
// random.normal(key_i, shape) · sigma_t per parameter, with the per-parameter keys split from random.key(t)
// (jax-js 0.1.25 has no fold_in) and sigma_t passed as an argument so the step is traced once.
// A run of n steps ends with blockUntilReady() on the parameters (and blocks every 16 steps so the
// dispatch queue stays short).
// --threads 2 gives its wasm backend a pool of two workers, which needs shims.mjs under Node.
//
// Usage: node bench/peers/jax.mjs --workload W1|W2|W3|W4 --threads 1|2 --cache DIR
import { CLIP, GEMMS, LR, NETS, W4_VARIANTS, batchStart, flopsPerExample, loadCache, parseArgs, report, sampleInterleaved, sampleRates, sigmaAt } from './common.mjs';
import { enableJaxWorkers, jaxWorkerMessages } from './shims.mjs';

const o = parseArgs();
if (o.threads > 1) enableJaxWorkers(o.threads);
const { blockUntilReady, init, jit, nn, numpy: np, random, tree, valueAndGrad } = await import('@jax-js/jax');
const devices = await init('wasm');
const info = { version: '0.1.25', device: 'wasm', devices, workers: o.threads > 1 ? o.threads : 0, get workerMessages() { return jaxWorkerMessages.posted; } };
const base = { system: 'jax', variant: 'jit', workload: o.workload, threads: o.threads, info };
const cache = loadCache(o.cache);

function trainer(net, update = 'sgd') {
  const { dims, batch: B } = NETS[net];
  const L = dims.length - 1;
  const forward = (params, x) => { // consumes params and x
    let h = x;
    for (let l = 0; l < L; l++) {
      h = np.matmul(h, params[l].W).add(params[l].b);
      if (l < L - 1) h = nn.relu(h);
    }
    return h;
  };
  const lossFn = (params, x, y) => nn.logSoftmax(forward(params, x), -1).mul(y).sum().mul(-1 / B);
  const stepFn = (params, x, y, key, sigma) => {
    const [loss, grads] = valueAndGrad(lossFn)(tree.ref(params), x, y);
    if (update === 'sgd') {
      key.dispose(); sigma.dispose();
      return [tree.map((p, g) => p.sub(g.mul(LR)), params, grads), loss];
    }
    const [gs, def] = tree.flatten(grads);
    let ss = null;
    for (const g of gs) { const s = np.square(g.ref).sum(); ss = ss ? ss.add(s) : s; }
    const scale = np.minimum(1, np.divide(CLIP, np.sqrt(ss)));
    const keys = update === 'clip+noise+sgd' ? np.unstack(random.split(key, gs.length)) : (key.dispose(), null);
    const ds = gs.map((g, i) => {
      const shape = g.shape;
      const d = g.mul(scale.ref);
      return keys ? d.add(random.normal(keys[i], shape).mul(sigma.ref)) : d;
    });
    scale.dispose(); sigma.dispose();
    return [tree.map((p, d) => p.sub(d.mul(LR)), params, tree.unflatten(def, ds)), loss];
  };
  const step = jit(stepFn);
  let params = cache.params[net].map((p, l) => ({ W: np.array(p.W).reshape([dims[l], dims[l + 1]]), b: np.array(p.b) }));
  let s = 0;
  const one = () => {
    const from = batchStart(s, B, cache.count);
    const x = np.array(cache.x.subarray(from * dims[0], (from + B) * dims[0])).reshape([B, dims[0]]);
    const y = np.array(cache.oneHot.subarray(from * 10, (from + B) * 10)).reshape([B, 10]);
    const [next, loss] = step(params, x, y, random.key(s), np.array(sigmaAt(s)));
    params = next;
    s++;
    return loss;
  };
  return {
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        one().dispose();
        if (i % 16 === 15) await blockUntilReady(params);
      }
      await blockUntilReady(params);
    },
    loss: async () => (await one().data())[0], // data() consumes the array
  };
}

const opts = (net) => ({ warmup: o.warmup || (net === 'W1' ? 5 : 2), samples: o.samples, seconds: o.seconds, perStep: NETS[net].batch });
if (o.check > 0) {
  const tr = trainer('W1');
  const loss = [];
  for (let i = 0; i < o.check; i++) loss.push(await tr.loss());
  report({ ...base, workload: 'check', series: { loss } });
} else if (o.workload === 'W3') {
  const series = {};
  const mm = jit((a, b) => np.matmul(a, b));
  for (const [M, K, N] of GEMMS) {
    const a = random.normal(random.key(1), [M, K]), b = random.normal(random.key(2), [K, N]);
    series[`${M}x${K}x${N}`] = (await sampleRates(async (n) => {
      for (let i = 0; i < n; i++) { const c = mm(a.ref, b.ref); await c.blockUntilReady(); c.dispose(); }
    }, { warmup: 2, samples: o.samples, seconds: o.seconds, perStep: 2 * M * K * N / 1e9 })).samples;
    a.dispose(); b.dispose();
  }
  report({ ...base, unit: 'GFLOP/s', series });
} else if (o.workload === 'W4') {
  const runs = Object.fromEntries(W4_VARIANTS.map((v) => [v, trainer('W1', v).run]));
  const r = await sampleInterleaved(runs, opts('W1'));
  report({ ...base, unit: 'examples/s', series: r.series, steps: r.steps,
    info: { ...info, how: 'inside the jitted step: norm from np.square(g).sum(), scale np.minimum(1, 10 / norm), noise random.normal(key_i, shape) · sigma_t, keys split from random.key(t)' } });
} else {
  const r = await sampleRates(trainer(o.workload).run, opts(o.workload));
  report({ ...base, unit: 'examples/s', flopsPerExample: flopsPerExample(NETS[o.workload].dims), series: { 'examples/s': r.samples }, steps: r.steps });
}
process.exit(0); // the worker pool would keep Node alive
