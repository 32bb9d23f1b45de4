// TensorFlow.js 4.22 in the peer benchmarks: tfjs-core with the wasm backend (XNNPACK, SIMD) or the pure-JS
// cpu backend. The forward and the backward pass are written by hand with tf ops inside tf.tidy (what
// tf.grad would build, minus its tape), so the backward's matrix products are visible and swappable:
//   --variant wasm           dW = matMul(X, dZ, true, false), dX = matMul(dZ, W, false, true): the
//                            transposed matMul calls, which XNNPACK's backend runs far slower than a plain one
//   --variant wasm-explicit  dW = matMul(transpose(X), dZ), dX = matMul(dZ, transpose(W))
//   --variant cpu            the cpu backend, transposed matMul calls (it has no such penalty)
// Weights are tf.variable's updated with assign(); the batch is a tensor2d over the cache's arrays.
// W4's clip and noise use tf ops too: the global norm from tf.sum(tf.square(g)) over all gradients, the
// scale min(1, 10 / norm) as a tensor (no sync), noise from tf.randomNormal(shape, 0, sigma_t).
// --threads 2 (wasm only) runs the threaded SIMD build, which needs shims.mjs under Node.
// A run of n steps ends with dataSync() of a weight, so the time covers all the work.
//
// Usage: node bench/peers/tfjs.mjs --variant wasm|wasm-explicit|cpu --workload W1|W2|W3|W4 --threads 1|2 --cache DIR
import { createRequire } from 'node:module';
import path from 'node:path';
import { CLIP, GEMMS, LR, NETS, W4_VARIANTS, batchStart, flopsPerExample, loadCache, parseArgs, report, sampleInterleaved, sampleRates, sigmaAt } from './common.mjs';
import { enableTfjsThreads } from './shims.mjs';

const o = parseArgs();
const variant = o.variant || 'wasm';
const backend = variant.startsWith('wasm') ? 'wasm' : 'cpu';
const explicit = variant === 'wasm-explicit';
const base = { system: 'tfjs', variant, workload: o.workload, threads: o.threads };
if (backend === 'cpu' && o.threads !== 1) {
  report({ ...base, unsupported: 'the cpu backend is single-threaded JavaScript' });
  process.exit(0);
}

const tf = await import('@tensorflow/tfjs-core');
const info = { version: tf.version_core, backend };
if (backend === 'wasm') {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + '/');
  if (o.threads > 1) await enableTfjsThreads(tf, wasm, o.threads);
  else await tf.setBackend('wasm');
  info.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  info.multithread = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  info.xnnpackThreads = wasm.getThreadsCount();
  if (info.xnnpackThreads !== o.threads) throw new Error(`XNNPACK runs ${info.xnnpackThreads} threads, asked for ${o.threads}`);
} else {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
}
await tf.ready();
if (tf.getBackend() !== backend) throw new Error(`backend is ${tf.getBackend()}, not ${backend}`);
const cache = loadCache(o.cache);

// dW = Xᵀ·dZ and dX = dZ·Wᵀ, with transposed matMul calls or explicit transposes.
const xtdz = (x, dz) => explicit ? tf.matMul(tf.transpose(x), dz) : tf.matMul(x, dz, true, false);
const dzwt = (dz, w) => explicit ? tf.matMul(dz, tf.transpose(w)) : tf.matMul(dz, w, false, true);

function trainer(net, update = 'sgd') {
  const { dims, batch: B } = NETS[net];
  const L = dims.length - 1;
  const W = cache.params[net].map((p, l) => tf.variable(tf.tensor2d(p.W, [dims[l], dims[l + 1]])));
  const b = cache.params[net].map((p) => tf.variable(tf.tensor1d(p.b)));
  let t = 0, s = 0;
  // One step; returns the batch's mean loss when asked (that reads it back, so only --check asks).
  const step = (wantLoss) => tf.tidy(() => {
    const from = batchStart(s++, B, cache.count);
    const x = tf.tensor2d(cache.x.subarray(from * dims[0], (from + B) * dims[0]), [B, dims[0]]);
    const y = tf.tensor2d(cache.oneHot.subarray(from * 10, (from + B) * 10), [B, 10]);
    const inputs = [x]; // the input of each layer
    let z = null;
    for (let l = 0; l < L; l++) {
      z = tf.add(tf.matMul(inputs[l], W[l]), b[l]);
      if (l < L - 1) inputs.push(tf.relu(z));
    }
    const logp = tf.logSoftmax(z);
    const loss = wantLoss ? tf.neg(tf.mean(tf.sum(tf.mul(y, logp), 1))) : null;
    let dz = tf.div(tf.sub(tf.exp(logp), y), B); // d(mean loss)/dlogits = (softmax - onehot) / B
    const gW = [], gb = [];
    for (let l = L - 1; l >= 0; l--) {
      gW[l] = xtdz(inputs[l], dz);
      gb[l] = tf.sum(dz, 0);
      if (l > 0) dz = tf.mul(dzwt(dz, W[l]), tf.step(inputs[l])); // ReLU mask: input > 0
    }
    let scale = null;
    if (update !== 'sgd') {
      const norm = tf.sqrt(tf.addN([...gW, ...gb].map((g) => tf.sum(tf.square(g)))));
      scale = tf.minimum(1, tf.div(CLIP, norm));
    }
    const sigma = update === 'clip+noise+sgd' ? sigmaAt(t) : 0;
    const apply = (v, g) => {
      let d = scale ? tf.mul(g, scale) : g;
      if (sigma > 0) d = tf.add(d, tf.randomNormal(g.shape, 0, sigma));
      v.assign(tf.sub(v, tf.mul(d, LR)));
    };
    for (let l = 0; l < L; l++) { apply(W[l], gW[l]); apply(b[l], gb[l]); }
    t++;
    return loss;
  });
  return {
    run: (n) => { for (let i = 0; i < n; i++) step(false); W[0].dataSync(); },
    loss: () => { const l = step(true); const v = l.dataSync()[0]; l.dispose(); return v; },
  };
}

const opts = (net) => ({ warmup: o.warmup || (net === 'W1' ? 10 : 2), samples: o.samples, seconds: o.seconds, perStep: NETS[net].batch });
if (o.check > 0) {
  const tr = trainer('W1');
  const loss = Array.from({ length: o.check }, () => tr.loss());
  report({ ...base, workload: 'check', info, series: { loss } });
} else if (o.workload === 'W3') {
  const series = {};
  for (const [M, K, N] of GEMMS) {
    const a = tf.randomNormal([M, K], 0, 1, 'float32', 1), b = tf.randomNormal([K, N], 0, 1, 'float32', 2);
    series[`${M}x${K}x${N}`] = (await sampleRates((n) => {
      for (let i = 0; i < n; i++) { const c = tf.matMul(a, b); if (i === n - 1) c.dataSync(); c.dispose(); }
    }, { warmup: 2, samples: o.samples, seconds: o.seconds, perStep: 2 * M * K * N / 1e9 })).samples;
  }
  report({ ...base, unit: 'GFLOP/s', info, series });
} else if (o.workload === 'W4') {
  const runs = Object.fromEntries(W4_VARIANTS.map((v) => [v, trainer('W1', v).run]));
  const r = await sampleInterleaved(runs, opts('W1'));
  report({ ...base, unit: 'examples/s', series: r.series, steps: r.steps,
    info: { ...info, how: 'global norm from tf.sum(tf.square(g)), scale as a tensor, noise tf.randomNormal(shape, 0, sigma_t) per parameter' } });
} else {
  const r = await sampleRates(trainer(o.workload).run, opts(o.workload));
  report({ ...base, unit: 'examples/s', info, flopsPerExample: flopsPerExample(NETS[o.workload].dims), series: { 'examples/s': r.samples }, steps: r.steps });
}
process.exit(0); // the threaded build's workers would keep Node alive
