// A/B benchmark of the noise path: an old and a new build of gradnoise measured alternately in one run, so
// that the load of a shared machine hits both alike. Each round measures every case once for A, then once
// for B (the order swaps every round); the figures are medians over the rounds with min and max, and the
// B/A ratio is the median of the per-round ratios.
//
//   node bench/noise-ab.mjs --old <dist dir of the old build> [--new dist] [--rounds 15] [--step-rounds 60]
//                           [--step-workers 0,2] [--only kernels|steps]
//
// A dist dir is what `npm run build` leaves in dist/ (dist/src for the facade, dist/build for the wasm):
// copy it before changing anything (cp -r dist /tmp/old; ln -s $PWD/node_modules /tmp/node_modules) and
// pass it as --old. Cases:
//   normals   gaussian stream fill (init_normal_f32 = gaussian_fill_f32 from index 0), ns per normal, at
//             n = 88,210 (the paper net) and 2^20
//   update    pass 2 (fused_update_f32) over the paper net's update units: clip + noise + sgd and clip +
//             sgd, ns per parameter (pass 1 is the same kernel with or without noise after clipping)
//   step      the paper net's training step (batch 100, 4 shards, clip 10 + SGD, with and without
//             annealed noise, eta 0.01, gamma 0.55), inline and on 2 workers: ms per step (one sample is
//             an epoch of 20 steps on 2,000 MNIST images, timed inside the training loop; the models with
//             and without noise run back to back) and the noise overhead, per round with-noise /
//             without-noise step time - 1; on 2 workers also with the noise-ahead of runtime/parallel.ts
//             switched off (its testing hook), to isolate what it saves. A busy machine inflates wall-clock
//             times: many short samples and the median of the paired ratios are what survives it
//             (--step-rounds, default 60).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const oldDir = arg('old');
if (!oldDir) throw new Error('noise-ab: pass --old <dist dir of the old build>');
const newDir = arg('new', 'dist');
const rounds = Number(arg('rounds', 15));
const stepRounds = Number(arg('step-rounds', 60));
const stepWorkers = arg('step-workers', '0,2').split(',').map(Number);
const only = arg('only', 'all');

// Kernel timings use this thread's CPU time (process.cpuUsage: only the main thread runs then), which a
// shared machine's other processes do not inflate the way they inflate wall-clock time.
const AHEAD_HOOK = Symbol.for('gradnoise.testing.noiseAhead');
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[s.length >> 1], min: s[0], max: s[s.length - 1], n: s.length };
}
const r2 = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const fmt = (s, d = 2) => `${r2(s.median, d)} (${r2(s.min, d)}-${r2(s.max, d)})`;

const variants = await Promise.all([['A (old)', oldDir], ['B (new)', newDir]].map(async ([label, dir]) => {
  const root = resolve(dir);
  const facade = await import(pathToFileURL(`${root}/src/index.js`).href);
  const abi = await import(pathToFileURL(`${root}/src/core/abi.js`).href);
  const wasm = readFileSync(`${root}/build/gradnoise.threads.wasm`);
  // one compiled module per build, shared by all its models and workers (and so by V8's tier-up)
  return { label, root, facade, abi, wasm, module: new WebAssembly.Module(wasm) };
}));

// The paper net's parameter tensors in layout order (kernel, bias per layer) and their update units.
const dims = [784, ...Array(20).fill(50), 10];
const tensors = [];
for (let i = 0; i + 1 < dims.length; i++) tensors.push(dims[i] * dims[i + 1], dims[i + 1]);
const P = tensors.reduce((a, b) => a + b, 0); // 88,210

function kernelBench(v) {
  const { abi } = v;
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 1024, shared: true });
  const k = new WebAssembly.Instance(new WebAssembly.Module(v.wasm), { env: { memory } }).exports;
  const base = (k.arena_base() + 63) & ~63;
  const hyper = base, p = base + 1024, g = p + 4 * P + 64, tmp = g + 4 * P + 64, fill = tmp + 65536;
  const f32 = new Float32Array(memory.buffer), u32 = new Uint32Array(memory.buffer);
  for (let i = 0; i < P; i++) { f32[(p >> 2) + i] = Math.sin(i); f32[(g >> 2) + i] = Math.cos(i) * 100; }
  const units = [];
  let off = 0;
  tensors.forEach((n, t) => {
    for (let s = 0; s < n; s += abi.UPDATE_UNIT) units.push([t, s, Math.min(abi.UPDATE_UNIT, n - s), off + s]);
    off += n;
  });
  const setHyper = (noise) => {
    const h = hyper >> 2;
    f32[h + (abi.U_GSCALE >> 2)] = 0.01; f32[h + (abi.U_CLIP_SCALE >> 2)] = 0.5; f32[h + (abi.U_SIGMA >> 2)] = 0.1;
    f32[h + (abi.U_LR >> 2)] = 0.01;
    u32[h + (abi.U_FLAGS >> 2)] = abi.OPT_SGD | abi.U_F_CLIP_NORM | (noise ? abi.U_F_NOISE : 0);
    u32[h + (abi.U_STEP >> 2)] = 7; u32[h + (abi.U_SEED_LO >> 2)] = 1; u32[h + (abi.U_SEED_HI >> 2)] = 0;
  };
  const update = (noise, reps) => {
    setHyper(noise);
    const t = cpuMs();
    for (let r = 0; r < reps; r++) {
      for (const [tensor, start, n, o] of units) k.fused_update_f32(hyper, p + 4 * o, g + 4 * o, 0, 0, 0, n, tensor, start, tmp);
    }
    return ((cpuMs() - t) * 1e6) / (reps * P);
  };
  const normals = (n, reps) => {
    const t = cpuMs();
    for (let r = 0; r < reps; r++) k.init_normal_f32(fill, n, 0, 1, 1, 0, r, abi.RNG_DOMAIN_NOISE);
    return ((cpuMs() - t) * 1e6) / (reps * n);
  };
  // warm-up: enough calls for dynamic tiering to reach TurboFan code in every kernel
  for (let i = 0; i < 200; i++) { update(true, 1); update(false, 1); normals(P, 1); }
  normals(1 << 20, 4);
  return {
    'normals n=88,210 (ns/normal)': () => normals(P, 100),
    'normals n=2^20 (ns/normal)': () => normals(1 << 20, 8),
    'pass 2 clip+noise+sgd (ns/param)': () => update(true, 100),
    'pass 2 clip+sgd (ns/param)': () => update(false, 400),
  };
}

async function stepBench(v) {
  const { createModel, paperNet, chain, clipByGlobalNorm, addNoise, sgd, mnist } = v.facade;
  const full = mnist({ limit: { train: 2000, test: 1 } }).train;
  const cases = {};
  for (const workers of stepWorkers) {
    const models = {};
    for (const noise of [false, true]) {
      const optimizer = noise ? chain(clipByGlobalNorm(10), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.01 }))
        : chain(clipByGlobalNorm(10), sgd({ lr: 0.01 }));
      const m = await createModel(paperNet('he'), { batchSize: 100, seed: 1, workers, shards: 4, optimizer, wasm: v.module });
      for (let i = 0; i < 5; i++) await m.fit(full.x, full.y, { epochs: 1 }); // warm-up, and the workers' start
      models[noise] = m;
    }
    // ms per step of one epoch (20 steps), timed inside the training loop (examples/s of the epoch)
    const msPerStep = async (m) => 100 / (await m.fit(full.x, full.y, { epochs: 1 })).epochs[0].examplesPerSecond * 1000;
    const run = (ahead) => async (r) => {
      // plain and noisy back to back (order alternating), so both see the same load; `ahead` sets the
      // workers' noise-ahead mode of the noisy run through the pool's testing hook (a build without
      // noise ahead ignores it)
      const noisy = async () => {
        if (ahead) globalThis[AHEAD_HOOK] = ahead;
        try { return await msPerStep(models.true); } finally { delete globalThis[AHEAD_HOOK]; }
      };
      if (r % 2) { const b = await noisy(); return { plain: await msPerStep(models.false), noisy: b }; }
      const a = await msPerStep(models.false);
      return { plain: a, noisy: await noisy() };
    };
    cases[`step ${workers ? `${workers} workers` : 'inline'}`] = { models, run: run(null) };
    if (workers) cases[`step ${workers} workers, noise ahead off`] = { models, run: run('off') };
  }
  return cases;
}

const results = new Map(); // case -> label -> samples
const push = (c, label, x) => {
  if (!results.has(c)) results.set(c, new Map());
  const m = results.get(c);
  if (!m.has(label)) m.set(label, []);
  m.get(label).push(x);
};

if (only === 'all' || only === 'kernels') {
  const benches = variants.map(kernelBench);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [1, 0] : [0, 1];
    for (const c of Object.keys(benches[0])) for (const i of order) push(c, variants[i].label, benches[i][c]());
  }
}
if (only === 'all' || only === 'steps') {
  const benches = [];
  for (const v of variants) benches.push(await stepBench(v));
  for (let r = 0; r < stepRounds; r++) {
    const order = r % 2 ? [1, 0] : [0, 1];
    for (const c of Object.keys(benches[0])) {
      for (const i of order) {
        const { plain, noisy } = await benches[i][c].run(r);
        push(`${c}, clip+sgd (ms)`, variants[i].label, plain);
        push(`${c}, clip+noise+sgd (ms)`, variants[i].label, noisy);
        push(`${c}, noise overhead (%)`, variants[i].label, 100 * (noisy / plain - 1));
      }
    }
  }
  for (const b of benches) for (const m of new Set(Object.values(b).flatMap((c) => Object.values(c.models)))) await m.dispose();
}

console.log(`noise A/B, ${rounds} kernel rounds and ${stepRounds} step rounds interleaved; A = ${variants[0].root}, B = ${variants[1].root}`);
console.log(`median (min-max) per case; B/A = median of per-round ratios`);
for (const [c, m] of results) {
  const [a, b] = variants.map((v) => m.get(v.label));
  const ratio = stats(a.map((x, i) => b[i] / x));
  const isPct = c.endsWith('(%)');
  console.log(`${c.padEnd(60)} A ${fmt(stats(a), isPct ? 1 : 3).padEnd(24)} B ${fmt(stats(b), isPct ? 1 : 3).padEnd(24)}` +
    (isPct ? '' : ` B/A ${r2(ratio.median, 3)} (${r2(ratio.min, 3)}-${r2(ratio.max, 3)})`));
}
// Load only ever adds time: the 10th percentiles of the step times are the steadiest figures on a busy
// machine, and their ratio a second estimate of the noise overhead.
const q10 = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(0.1 * (xs.length - 1))];
for (const w of ['inline', ...stepWorkers.filter((n) => n > 0).flatMap((n) => [`${n} workers`, `${n} workers, noise ahead off`])]) {
  const plain = results.get(`step ${w}, clip+sgd (ms)`), noisy = results.get(`step ${w}, clip+noise+sgd (ms)`);
  if (!plain) continue;
  console.log(`step ${w}, 10th percentiles: ` + variants.map((v) => {
    const p = q10(plain.get(v.label)), n = q10(noisy.get(v.label));
    return `${v.label} ${r2(p, 3)} ms without noise, ${r2(n, 3)} with: +${r2(100 * (n / p - 1), 1)}%`;
  }).join('; '));
}
// The noise's cost in the update alone (pass 2 with minus without), per step of the paper net.
const upd = (label, v) => stats(results.get(label)?.get(v.label) ?? [NaN]).median;
if (results.has('pass 2 clip+noise+sgd (ns/param)')) {
  console.log('noise in pass 2, per step: ' + variants.map((v) =>
    `${v.label} ${r2((upd('pass 2 clip+noise+sgd (ns/param)', v) - upd('pass 2 clip+sgd (ns/param)', v)) * P / 1000, 0)} µs`).join(', '));
}
