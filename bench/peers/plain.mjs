// The no-library baseline of the peer benchmarks: the same MLP training step in plain JavaScript on
// Float32Array, what someone writes without a library. Straightforward but decent: the GEMMs are i-k-j
// loops (the innermost loop runs along contiguous rows of both operands, so the JIT can keep it tight),
// buffers are allocated once, no SIMD, no threads (one thread only: JavaScript has no shared-memory
// parallelism without workers, which a straightforward implementation does not have).
//
// Usage: node bench/peers/plain.mjs --workload W1|W2|W3|W4 --cache DIR [--samples N --seconds T --check N]
import { CLIP, GEMMS, LR, NETS, W4_VARIANTS, batchStart, flopsPerExample, loadCache, parseArgs, report, rng, sampleInterleaved, sampleRates, sigmaAt } from './common.mjs';

// C[M,N] = A[M,K]·B[K,N] (overwrites C).
function gemmNN(C, A, B, M, K, N) {
  C.fill(0, 0, M * N);
  for (let i = 0; i < M; i++) {
    const ci = i * N;
    for (let k = 0; k < K; k++) {
      const a = A[i * K + k], bk = k * N;
      for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j];
    }
  }
}

// dW[K,N] = X[M,K]ᵀ·dZ[M,N] (overwrites dW): still i-k-j, rows of dZ and dW contiguous.
function gemmTN(dW, X, dZ, M, K, N) {
  dW.fill(0, 0, K * N);
  for (let i = 0; i < M; i++) {
    const di = i * N;
    for (let k = 0; k < K; k++) {
      const a = X[i * K + k], wk = k * N;
      for (let j = 0; j < N; j++) dW[wk + j] += a * dZ[di + j];
    }
  }
}

// dX[M,K] = dZ[M,N]·W[K,N]ᵀ: a dot product of two contiguous rows per element.
function gemmNT(dX, dZ, W, M, K, N) {
  for (let i = 0; i < M; i++) {
    const di = i * N;
    for (let k = 0; k < K; k++) {
      const wk = k * N;
      let s = 0;
      for (let j = 0; j < N; j++) s += dZ[di + j] * W[wk + j];
      dX[i * K + k] = s;
    }
  }
}

class Mlp {
  constructor(dims, params, B) {
    this.dims = dims; this.B = B;
    this.W = params.map((p) => p.W.slice());
    this.b = params.map((p) => p.b.slice());
    this.dW = this.W.map((w) => new Float32Array(w.length));
    this.db = this.b.map((b) => new Float32Array(b.length));
    this.act = dims.slice(1).map((d) => new Float32Array(B * d)); // post-ReLU (logits for the last)
    this.dact = dims.slice(1).map((d) => new Float32Array(B * d));
    this.noise = rng(1);
    this.t = 0;
  }

  // One SGD step on rows [from, from + B) of x; returns the batch's mean loss (before the update).
  step(x, y, from, variant = 'sgd') {
    const { dims, B, W, b, act, dact, dW, db } = this;
    const L = dims.length - 1;
    const x0 = x.subarray(from * dims[0], (from + B) * dims[0]);
    for (let l = 0; l < L; l++) {
      const IN = dims[l], OUT = dims[l + 1], a = act[l];
      gemmNN(a, l === 0 ? x0 : act[l - 1], W[l], B, IN, OUT);
      for (let i = 0; i < B; i++) for (let j = 0; j < OUT; j++) {
        const v = a[i * OUT + j] + b[l][j];
        a[i * OUT + j] = l < L - 1 && v < 0 ? 0 : v;
      }
    }
    // Softmax cross-entropy: the mean loss and dlogits = (softmax - onehot) / B.
    const O = dims[L], z = act[L - 1], dz = dact[L - 1];
    let loss = 0;
    for (let i = 0; i < B; i++) {
      let m = -Infinity;
      for (let j = 0; j < O; j++) m = Math.max(m, z[i * O + j]);
      let s = 0;
      for (let j = 0; j < O; j++) s += Math.exp(z[i * O + j] - m);
      const label = y[from + i];
      loss += Math.log(s) + m - z[i * O + label];
      for (let j = 0; j < O; j++) dz[i * O + j] = (Math.exp(z[i * O + j] - m) / s - (j === label ? 1 : 0)) / B;
    }
    for (let l = L - 1; l >= 0; l--) {
      const IN = dims[l], OUT = dims[l + 1], d = dact[l];
      gemmTN(dW[l], l === 0 ? x0 : act[l - 1], d, B, IN, OUT);
      db[l].fill(0);
      for (let i = 0; i < B; i++) for (let j = 0; j < OUT; j++) db[l][j] += d[i * OUT + j];
      if (l > 0) {
        const dprev = dact[l - 1], aprev = act[l - 1];
        gemmNT(dprev, d, W[l], B, IN, OUT);
        for (let i = 0; i < B * IN; i++) if (aprev[i] <= 0) dprev[i] = 0; // ReLU mask
      }
    }
    this.update(variant);
    return loss / B;
  }

  update(variant) {
    const grads = [...this.dW, ...this.db], params = [...this.W, ...this.b];
    let scale = 1;
    if (variant !== 'sgd') {
      let ss = 0;
      for (const g of grads) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
      const norm = Math.sqrt(ss);
      if (norm > CLIP) scale = CLIP / norm;
    }
    const sigma = variant === 'clip+noise+sgd' ? sigmaAt(this.t) : 0;
    for (let p = 0; p < params.length; p++) {
      const w = params[p], g = grads[p];
      if (sigma > 0) for (let i = 0; i < w.length; i++) w[i] -= LR * (g[i] * scale + sigma * this.noise.normal());
      else for (let i = 0; i < w.length; i++) w[i] -= LR * g[i] * scale;
    }
    this.t++;
  }
}

const o = parseArgs();
const cache = loadCache(o.cache);
const info = { gemm: 'i-k-j loops on Float32Array' };
const base = { system: 'plain', variant: 'js', workload: o.workload, threads: 1, info };
if (o.threads !== 1) {
  report({ ...base, threads: o.threads, unsupported: 'a single-threaded baseline' });
} else if (o.check > 0) {
  const { dims, batch } = NETS.W1;
  const net = new Mlp(dims, cache.params.W1, batch);
  const loss = [];
  for (let s = 0; s < o.check; s++) loss.push(net.step(cache.x, cache.y, batchStart(s, batch, cache.count)));
  report({ ...base, workload: 'check', series: { loss } });
} else if (o.workload === 'W3') {
  const series = {};
  for (const [M, K, N] of GEMMS) {
    const r = rng(M + K + N), A = Float32Array.from({ length: M * K }, () => r.normal()), B = Float32Array.from({ length: K * N }, () => r.normal());
    const C = new Float32Array(M * N);
    series[`${M}x${K}x${N}`] = (await sampleRates((n) => { for (let i = 0; i < n; i++) gemmNN(C, A, B, M, K, N); },
      { warmup: 1, samples: o.samples, seconds: o.seconds, perStep: 2 * M * K * N / 1e9 })).samples;
  }
  report({ ...base, unit: 'GFLOP/s', series });
} else {
  const netName = o.workload === 'W4' ? 'W1' : o.workload;
  const { dims, batch } = NETS[netName];
  const runner = (variant) => {
    const net = new Mlp(dims, cache.params[netName], batch);
    let s = 0;
    return (n) => { for (let i = 0; i < n; i++, s++) net.step(cache.x, cache.y, batchStart(s, batch, cache.count), variant); };
  };
  const opts = { warmup: o.warmup || (netName === 'W1' ? 10 : 1), samples: o.samples, seconds: o.seconds, perStep: batch };
  if (o.workload === 'W4') {
    const r = await sampleInterleaved(Object.fromEntries(W4_VARIANTS.map((v) => [v, runner(v)])), opts);
    report({ ...base, unit: 'examples/s', series: r.series, steps: r.steps, info: { ...info, how: 'global norm in a JS loop over all gradients, then one update loop: g · scale + sigma_t · N(0, 1) (mulberry32 + Box-Muller) per parameter' } });
  } else {
    const r = await sampleRates(runner('sgd'), opts);
    report({ ...base, unit: 'examples/s', flopsPerExample: flopsPerExample(dims), series: { 'examples/s': r.samples }, steps: r.steps });
  }
}
