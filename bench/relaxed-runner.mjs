// The measuring half of bench/relaxed.mjs: the baseline and the relaxed build side by side, in the runtime
// that runs it (Deno, Bun, Node started with --experimental-wasm-relaxed-simd, or a Chromium page, which
// imports measure()). Runtime-agnostic: it gets the two cores' bytes and the gradnoise bundle from its
// caller, uses only WebAssembly, performance.now() and createModel, and returns plain data.
//
// Measured, builds interleaved round by round (first build alternating). Time is the process's CPU time
// (process.cpuUsage: Node, Deno, Bun; in Chromium the page thread's, through the DevTools protocol) where
// the caller passes it as `clock`, so that other tenants of a shared machine slow a sample only through
// shared caches and cores, not by taking its time slices; wall time (performance.now) for training on
// workers (their CPU time adds up, and it is the speed they give that counts):
// - roofline_f32: 12 independent register-resident chains, f32x4 mul+add (baseline) or relaxed_madd;
// - the GEMMs: 512^3 in the three forms, the wide net's layer (128 x 1024 x 1024) and the paper net's first
//   layer (100 x 784 x 50), best of 3 bursts of ~50 ms per sample;
// - the paper net's training step (784 -> 20 x 50 ReLU -> 10, batch 100, clip 10 + annealed noise + SGD,
//   4 shards) on random inputs: inline, and (`workers: true`) on 2 workers where the runtime has them.
//   examples/s over `steps` steps after a warm-up fit.
// Each figure: median, min and max over the rounds, and the median of the per-round ratios relaxed/baseline.
// It also reports whether the two builds' GEMM bits differ here (they do only where the engine fuses).

const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); return { median: s[s.length >> 1], min: s[0], max: s[s.length - 1], n: s.length }; };

/** Instantiates a core's bytes on a fresh (shared, when `shared`) memory of `pages` pages. */
async function instantiate(bytes, shared, pages) {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, ...(shared ? { shared: true } : {}) });
  const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
  return { k: instance.exports, memory, base: instance.exports.arena_base() };
}

/** The best of 5 bursts of `inner` calls, as units per second of `clock` (ms; it may return a promise). */
async function burst(clock, fn, units, inner) {
  for (let i = 0; i < inner; i++) fn();
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t = await clock();
    for (let i = 0; i < inner; i++) fn();
    best = Math.min(best, (await clock()) - t);
  }
  return (units * inner) / (best / 1000);
}

/**
 * measure({ gradnoise, cores: { baseline, relaxed }, shared, rounds, steps, workers }): the figures above.
 * `cores` are the two builds' bytes (of one memory kind: `shared` says which); `gradnoise` the bundle.
 */
export async function measure({ gradnoise: g, cores, shared, rounds = 7, steps = 150, workers = false, clock = null, log = () => {} }) {
  const wall = () => performance.now();
  const cpu = clock ?? wall;
  const builds = [];
  for (const name of ['baseline', 'relaxed']) {
    const c = await instantiate(cores[name], shared, 2048);
    builds.push({ name, ...c, relaxedFlag: c.k.relaxed_simd() });
  }
  if (builds[0].relaxedFlag !== 0 || builds[1].relaxedFlag !== 1) throw new Error(`relaxed_simd() is ${builds.map((b) => b.relaxedFlag)}: the cores are not baseline, relaxed`);
  const order = (round) => (round % 2 ? [builds[1], builds[0]] : builds);
  // Warm-up: engines compile wasm with a baseline compiler first and swap in optimised code in the
  // background, for the next call (a running call is never replaced): call every timed function often, on
  // small sizes, and give the background compiler time, twice.
  for (let pass = 0; pass < 2; pass++) {
    for (const b of builds) {
      for (let i = 0; i < 50; i++) b.k.roofline_f32(1000, 1);
      for (const form of ['nn', 'nt', 'tn']) for (let i = 0; i < 50; i++) b.k[`gemm_${form}_f32`](b.base, b.base, b.base + 65536, 37, 301, 45, 0, b.base + 4 * 65536);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const out = { rounds, clock: clock ? 'cpu' : 'wall', roofline: null, gemm: [], training: [] };

  // Roofline.
  {
    const iters = 1.5e6, samples = { baseline: [], relaxed: [] }, ratio = [];
    for (let r = 0; r < rounds; r++) {
      const g1 = {};
      for (const b of order(r)) g1[b.name] = (await burst(cpu, () => b.k.roofline_f32(iters, 1), 96 * iters, 1)) / 1e9;
      samples.baseline.push(g1.baseline); samples.relaxed.push(g1.relaxed); ratio.push(g1.relaxed / g1.baseline);
    }
    out.roofline = { baseline: stats(samples.baseline), relaxed: stats(samples.relaxed), ratio: stats(ratio) };
    log(`roofline: baseline ${out.roofline.baseline.median.toFixed(1)}, relaxed ${out.roofline.relaxed.median.toFixed(1)} GFLOP/s`);
  }

  // GEMMs: the same pseudo-random operands in both memories.
  const shapes = [['nn', 512, 512, 512, '512^3'], ['nt', 512, 512, 512, '512^3'], ['tn', 512, 512, 512, '512^3'],
    ['nn', 128, 1024, 1024, 'wide net layer'], ['nn', 100, 784, 50, 'paper net layer 1']];
  for (const [form, M, K, N, label] of shapes) {
    const at = builds.map((b) => {
      const a = b.base, bb = a + M * K * 4 + 64, c = bb + K * N * 4 + 64, s = c + M * N * 4 + 64;
      const f = new Float32Array(b.memory.buffer);
      let x = 1;
      for (let i = a >> 2; i < c >> 2; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; f[i] = (x >>> 9) / 2 ** 23 - 1; }
      return { a, b: bb, c, s };
    });
    const outs = builds.map((b, i) => {
      const p = at[i];
      b.k[`gemm_${form}_f32`](p.c, p.a, p.b, M, K, N, 0, p.s);
      return new Uint32Array(b.memory.buffer, p.c, M * N).slice();
    });
    const flops = 2 * M * K * N, inner = Math.max(1, Math.round(2e8 / flops));
    const samples = { baseline: [], relaxed: [] }, ratio = [];
    for (let r = 0; r < rounds; r++) {
      const g1 = {};
      for (const b of order(r)) {
        const p = at[builds.indexOf(b)], fn = b.k[`gemm_${form}_f32`];
        g1[b.name] = (await burst(cpu, () => fn(p.c, p.a, p.b, M, K, N, 0, p.s), flops, inner)) / 1e9;
      }
      samples.baseline.push(g1.baseline); samples.relaxed.push(g1.relaxed); ratio.push(g1.relaxed / g1.baseline);
    }
    const row = { form, M, K, N, label, sameBits: outs[0].every((v, i) => v === outs[1][i]),
      baseline: stats(samples.baseline), relaxed: stats(samples.relaxed), ratio: stats(ratio) };
    out.gemm.push(row);
    log(`gemm ${form} ${M}x${K}x${N}: baseline ${row.baseline.median.toFixed(1)}, relaxed ${row.relaxed.median.toFixed(1)} GFLOP/s`);
  }

  // The paper net's training step, on seeded random inputs (the speed does not depend on the values).
  const count = 5000;
  const x = new Float32Array(count * 784), y = new Int32Array(count);
  let s = 3;
  for (let i = 0; i < x.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; x[i] = (s >>> 8) / 2 ** 24; }
  for (let i = 0; i < count; i++) y[i] = i % 10;
  const optimizer = g.chain(g.clipByGlobalNorm(10), g.addNoise({ eta: 0.01, gamma: 0.55 }), g.sgd({ lr: 0.01 }));
  const configs = [0, ...(workers && shared ? [2] : [])];
  for (const w of configs) {
    const models = [];
    for (const b of builds) {
      const m = await g.createModel(g.paperNet('he'), { batchSize: 100, seed: 1, optimizer, workers: w, shards: 4, build: b.name === 'relaxed' ? 'relaxed' : 'auto', onWarning: (m) => { throw new Error(m); } });
      const data = m.prepare(x, y);
      await m.fit(data, { steps: 30 }); // warm-up (and tier-up)
      models.push({ name: b.name, m, data, build: m.build });
    }
    const samples = { baseline: [], relaxed: [] }, ratio = [];
    for (let r = 0; r < rounds; r++) {
      const e = {};
      for (const c of r % 2 ? [...models].reverse() : models) {
        const time = w ? wall : cpu, t = await time();
        await c.m.fit(c.data, { steps });
        e[c.name] = (steps * 100) / (((await time()) - t) / 1000);
      }
      samples.baseline.push(e.baseline); samples.relaxed.push(e.relaxed); ratio.push(e.relaxed / e.baseline);
    }
    out.training.push({ workers: w, clock: w || !clock ? 'wall' : 'cpu', builds: models.map((c) => c.build), baseline: stats(samples.baseline), relaxed: stats(samples.relaxed), ratio: stats(ratio) });
    log(`paper net, ${w ? `${w} workers` : 'inline'}: baseline ${Math.round(stats(samples.baseline).median)}, relaxed ${Math.round(stats(samples.relaxed).median)} examples/s`);
    for (const c of models) await c.m.dispose();
  }
  return out;
}

// Run as a script (Node, Deno, Bun): read the cores from build/, measure, print one JSON line.
const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process?.argv?.slice(2);
const main = globalThis.Deno ? import.meta.main : typeof process !== 'undefined' && process.argv[1] && new URL(import.meta.url).pathname === process.argv[1];
if (main) {
  const o = JSON.parse(args[0] ?? '{}');
  const g = await import('../dist/node/gradnoise.js');
  const read = async (name) => {
    const url = new URL(`../build/gradnoise.${name}.wasm`, import.meta.url);
    if (globalThis.Deno) return globalThis.Deno.readFile(url);
    const { readFileSync } = await import('node:fs');
    return readFileSync(url);
  };
  if (!g.relaxedSimdAvailable()) throw new Error(`${g.runtimeInfo().name} has no relaxed SIMD (Node 20: start it with --experimental-wasm-relaxed-simd)`);
  const shared = g.threadsAvailable();
  const kind = shared ? 'threads' : 'single';
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const r = await measure({ gradnoise: g, cores: { baseline: await read(kind), relaxed: await read(`${kind}-relaxed`) }, shared, clock: cpuMs, ...o,
    log: (m) => (globalThis.Deno ? console.error(m) : process.stderr.write(`${m}\n`)) });
  console.log(JSON.stringify({ runtime: g.runtimeInfo(), build: kind, ...r }));
}
