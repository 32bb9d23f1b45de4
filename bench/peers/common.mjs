// What every JavaScript runner of the peer benchmarks (issue #9) shares: the workloads, the data and initial
// weights they all read from one cache directory, the command line, and the sampling loop.
//
// The driver (run.mjs) writes the cache once per run: a fixed permutation of 10,000 real MNIST training
// images and their labels, and gradnoise's He-normal initial weights (zero biases) of each net. Every
// system reads the same bytes, so all train the same architecture from the same weights on the same
// batches in the same order: step s uses examples [(s mod nb)·B, (s mod nb + 1)·B) of the permuted data,
// nb = floor(10,000 / B) (the last partial batch is dropped).
//
// The graph workloads W5-W8 (models.mjs) have their own cache files, written by the driver from gradnoise's
// model of each graph (seed 1): W.json lists the inputs (name, shape per example, dtype, file) and the
// parameters (name, shape, offset in W.params.f32) in gradnoise's order and layout; every runner converts
// from there (TF.js and PyTorch keep some tensors in another layout: the conversion is exact).
//
// Sampling: warm up (compilation, caches, allocator: `warmup` steps, fewer where one step takes seconds),
// then calibrate the steps per sample by doubling a timed run until it takes a fifth of the target
// seconds; then time `samples` runs of that fixed step count (at least one step).
// A runner prints one JSON line: { system, variant, workload, threads, series: { name: [values] }, info }.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Layer widths, input first. FLOPs per example of a training step: 2 per weight forward, 4 backward (dW
// and dX), no dX for the first layer; the same count as bench/run.mjs.
export const NETS = {
  W1: { dims: [784, ...Array(20).fill(50), 10], batch: 100 },
  W2: { dims: [784, 1024, 1024, 10], batch: 128 },
};
export const GEMMS = [[512, 512, 512], [128, 1024, 1024]]; // W3: M x K x N, C = A·B, all row-major
export const LR = 0.01;
export const CLIP = 10; // W4: clip by global norm, then noise of variance ETA / (1 + t)^GAMMA, t from 0
export const ETA = 0.01;
export const GAMMA = 0.55;
export const W4_VARIANTS = ['sgd', 'clip+sgd', 'clip+noise+sgd'];

export function flopsPerExample(dims) {
  let f = 0;
  for (let i = 0; i + 1 < dims.length; i++) f += dims[i] * dims[i + 1] * (i === 0 ? 4 : 6);
  return f;
}

/** The standard deviation of the paper's noise at step t (t = 0 for the first update). */
export const sigmaAt = (t) => Math.sqrt(ETA / (1 + t) ** GAMMA);

export function parseArgs(argv = process.argv.slice(2)) {
  const o = { workload: 'W1', threads: 1, variant: '', samples: 3, seconds: 1, warmup: 0, cache: '', check: 0 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, ''), v = argv[i + 1];
    if (!(k in o)) throw new Error(`unknown option ${argv[i]}`);
    o[k] = typeof o[k] === 'number' ? Number(v) : v;
    i++;
  }
  if (!o.cache) throw new Error('--cache DIR is required (the driver writes it)');
  return o;
}

/**
 * The cache the driver wrote: x (count x 784 f32, permuted), y (count labels), one-hot labels, and per
 * net the initial parameters as [{ W: Float32Array (IN x OUT, row-major), b: Float32Array (OUT) }].
 */
export function loadCache(dir) {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const f32 = (name) => { const b = readFileSync(join(dir, name)); return new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2); };
  const x = f32('x.f32');
  const yb = readFileSync(join(dir, 'y.u8'));
  const y = new Uint8Array(yb.buffer, yb.byteOffset, yb.byteLength);
  const oneHot = new Float32Array(meta.count * 10);
  for (let i = 0; i < meta.count; i++) oneHot[i * 10 + y[i]] = 1;
  const params = {};
  for (const [net, { dims }] of Object.entries(NETS)) {
    const all = f32(`${net}.f32`);
    let off = 0;
    params[net] = [];
    for (let l = 0; l + 1 < dims.length; l++) {
      const W = all.subarray(off, off += dims[l] * dims[l + 1]);
      const b = all.subarray(off, off += dims[l + 1]);
      params[net].push({ W: W.slice(), b: b.slice() });
    }
  }
  return { meta, count: meta.count, x, y, oneHot, params };
}

/**
 * A graph workload's cache: { count, batch, inputs: { name: Float32Array | Int32Array (count x shape) },
 * shapes: { name: shape per example }, params: Map(name -> { shape, values }) }.
 */
export function loadGraphCache(dir, workload) {
  const meta = JSON.parse(readFileSync(join(dir, `${workload}.json`), 'utf8'));
  const bytes = (name) => { const b = readFileSync(join(dir, name)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
  const inputs = {}, shapes = {};
  for (const i of meta.inputs) {
    inputs[i.name] = i.dtype === 'i32' ? new Int32Array(bytes(i.file)) : new Float32Array(bytes(i.file));
    shapes[i.name] = i.shape;
  }
  const all = new Float32Array(bytes(`${workload}.params.f32`));
  const params = new Map(meta.params.map((p) => [p.name, { shape: p.shape, values: all.slice(p.offset, p.offset + p.shape.reduce((a, b) => a * b, 1)) }]));
  return { count: meta.count, batch: meta.batch, inputs, shapes, params };
}

/** Rows [from, from + B) of a graph input (count x shape, row-major). */
export function batchRows(array, shape, from, B) {
  const per = shape.reduce((a, b) => a * b, 1);
  return array.subarray(from * per, (from + B) * per);
}

/** The batch of step s: the offset (in examples) of its first row. */
export function batchStart(step, batch, count) {
  return (step % Math.floor(count / batch)) * batch;
}

/**
 * Times `run(n)` (n steps or repetitions, resolved when they are done; it may return its own measured
 * seconds) and returns `samples` rates in units/s, where one step is `perStep` units.
 */
export async function sampleRates(run, { warmup, samples, seconds, perStep, minSteps = 1 }) {
  const timed = async (n) => {
    const t0 = performance.now();
    const own = await run(n);
    return typeof own === 'number' ? own : (performance.now() - t0) / 1000;
  };
  // The first step compiles and allocates; a slow system (seconds per step) warms up on fewer steps.
  const t1 = await timed(1);
  const more = Math.min(warmup - 1, Math.floor((2 * seconds) / t1));
  if (more > 0) await timed(more);
  let n = 1, t = await timed(n);
  while (t < seconds / 5 && n < 1e7) { n *= 2; t = await timed(n); }
  const steps = Math.max(minSteps, Math.round((n * seconds) / t));
  const out = [];
  for (let i = 0; i < samples; i++) out.push((steps * perStep) / await timed(steps));
  return { samples: out, steps };
}

/**
 * The same for several variants of one workload in one process, interleaved: each turn times every
 * variant once, at one common step count, so the variants of a turn see the same machine state (W4
 * compares them as ratios). Turns are a third of a sample long and three times as many, so that the
 * load changes less within a turn and the median of the ratios has more of them.
 */
export async function sampleInterleaved(runs, opts) {
  const names = Object.keys(runs);
  const turn = { ...opts, seconds: opts.seconds / 3, samples: 3 * opts.samples };
  const steps = {};
  for (const name of names) steps[name] = (await sampleRates(runs[name], { ...turn, samples: 0 })).steps;
  const common = Math.max(...Object.values(steps));
  const series = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < turn.samples; i++) {
    for (const name of names) {
      const t0 = performance.now();
      const own = await runs[name](common);
      const sec = typeof own === 'number' ? own : (performance.now() - t0) / 1000;
      series[name].push((common * opts.perStep) / sec);
    }
  }
  return { series, steps: common };
}

/** Prints the runner's one line of output. */
export function report(o) {
  // CPU time over wall time of the whole process (start-up included): about 1 on one busy thread, up to
  // the thread count when threads really run in parallel (less on a machine shared with other work).
  const cpu = process.cpuUsage();
  const cpuPerWall = (cpu.user + cpu.system) / 1e3 / performance.now();
  process.stdout.write(JSON.stringify({ ...o, cpuPerWall }) + '\n');
}

/** A small seeded generator (mulberry32) and Box-Muller normals, for the no-library baseline's noise. */
export function rng(seed) {
  let s = seed >>> 0;
  const u32 = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  let spare = null;
  const normal = () => {
    if (spare !== null) { const v = spare; spare = null; return v; }
    const u = (u32() + 1) / 4294967297, v = u32() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { u32, normal };
}
