// The kernels of issue #17 at the workloads' shapes, each SIMD kernel interleaved with its scalar `_ref` twin
// and with a reference on the same memory:
//   * LeNet-5 on MNIST, batch 64 (BENCH_E=n for another batch): im2col / col2im of both convolutions and
//     both poolings; reference: copy_f32 (memory.copy) of the same number of floats;
//   * a 1-layer LSTM with hidden size 128, batch 32 (one of its 50 steps), and a GRU of the same size: the
//     cells; reference: the step's recurrent GEMM h·W_hhᵀ (32 x 128 x G*128), which every step also runs;
//   * a Neural GPU step, state [32, 4, 41, 24] (2n + 1 = 41 columns for 20-bit operands, 24 maps), 3 x 3
//     convolutions: im2col / col2im and the CGRU kernels; reference: the gate convolution's GEMM.
// Prints ns per element (per float of cols for im2col / col2im, per input for pooling, per hidden unit of
// a row for the cells, per state element for the CGRU), GB/s of the bytes the kernel must move (kernel and
// twin), in CPU time, median (min-max) of 15 interleaved rounds, and ratio = median / the SIMD kernel's median.
// The module is compiled here from bench/wasm/conv-cells.ts with the core's asc options (repeated in
// bench/wasm/asconfig.json): the same kernel code as in build/*.wasm, plus the twins, which the core does
// not export.
// Usage: node bench/conv-cells.mjs   (output of one run: bench/measured/conv-cells.txt)
import asc from 'assemblyscript/asc';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(os.tmpdir(), `gradnoise-conv-cells-${process.pid}.wasm`);
const { error, stderr } = await asc.main([
  path.join(here, 'wasm', 'conv-cells.ts'), '--outFile', out, '--config', path.join(here, 'wasm', 'asconfig.json'),
]);
if (error) { console.error(stderr.toString()); throw error; }
const memory = new WebAssembly.Memory({ initial: 4096, maximum: 4096 });
const { instance } = await WebAssembly.instantiate(fs.readFileSync(out), { env: { memory } });
fs.rmSync(out);
const k = instance.exports;
const f = new Float32Array(memory.buffer);
const iv = new Int32Array(memory.buffer);
let top = k.arena_base();
let seed = 1;
/** n f32 of uniform values in [-1, 1), 64-byte aligned. */
const al = (n) => {
  const p = top;
  top += Math.ceil(n * 4 / 64) * 64 + 64;
  if (top > memory.buffer.byteLength) throw new Error('bench memory too small');
  for (let i = p >> 2; i < (p >> 2) + n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; f[i] = (seed >>> 9) / 2 ** 23 - 1; }
  return p;
};

const groups = [];
/** A group: label, elements per call, bytes per call, variants { name: fn }; the first variant is the kernel. */
const group = (label, elements, bytes, variants) => groups.push({ label, elements, bytes, variants });

// ---- LeNet-5 on MNIST, batch 64: conv1 28x28x1 5x5 pad 2 -> 28x28x6, pool 2x2 -> 14x14x6,
// conv2 14x14x6 5x5 valid -> 10x10x16, pool 2x2 -> 5x5x16
{
  const E = +(process.env.BENCH_E ?? 64);
  const c1 = [E, 28, 28, 1, 5, 5, 1, 1, 2, 2, 1, 1, 28, 28];
  const c2 = [E, 14, 14, 6, 5, 5, 1, 1, 0, 0, 1, 1, 10, 10];
  for (const [name, s] of [['conv1 28x28x1 5x5 pad 2', c1], ['conv2 14x14x6 5x5', c2]]) {
    const [, H, W, C, KH, KW, , , , , , , OH, OW] = s;
    const nx = E * H * W * C, nc = E * OH * OW * KH * KW * C;
    const x = al(nx), cols = al(nc), copyDst = al(nc);
    // im2col writes nc floats and reads each from x (cached): 8 bytes per element
    group(`im2col ${name} (E ${E}: ${nc} floats)`, nc, 8 * nc, {
      simd: () => k.im2col_f32(cols, x, ...s),
      twin: () => k.im2col_f32_ref(cols, x, ...s),
      'copy same bytes': () => k.copy_f32(copyDst, cols, nc),
    });
    const dx = al(nx);
    // col2im reads nc floats and adds each into dx (cached): 8 bytes per element
    group(`col2im ${name}`, nc, 8 * nc, {
      simd: () => k.col2im_f32(dx, cols, ...s, 0),
      twin: () => k.col2im_f32_ref(dx, cols, ...s, 0),
      'copy same bytes': () => k.copy_f32(copyDst, cols, nc),
    });
  }
  for (const [name, H, C] of [['pool1 28x28x6 2x2', 28, 6], ['pool2 10x10x16 2x2', 10, 16]]) {
    const O = H / 2, nx = E * H * H * C, ny = E * O * O * C;
    const x = al(nx), y = al(ny), idx = al(ny), dx = al(nx), copyDst = al(nx);
    const s = [E, H, H, C, 2, 2, 2, 2, 0, 0, O, O];
    group(`maxpool forward ${name} (${nx} inputs)`, nx, 4 * nx + 8 * ny, {
      simd: () => k.maxpool_forward_f32(y, idx, x, ...s),
      twin: () => k.maxpool_forward_f32_ref(y, idx, x, ...s),
      'copy same bytes': () => k.copy_f32(copyDst, x, nx),
    });
    group(`maxpool backward ${name}`, nx, 4 * nx + 8 * ny, {
      simd: () => k.maxpool_backward_f32(dx, y, idx, E, H, H, C, O, O, 0),
      twin: () => k.maxpool_backward_f32_ref(dx, y, idx, E, H, H, C, O, O, 0),
      'copy same bytes': () => k.copy_f32(copyDst, x, nx),
    });
    group(`avgpool forward ${name}`, nx, 4 * nx + 4 * ny, {
      simd: () => k.avgpool_forward_f32(y, x, ...s, 0),
      twin: () => k.avgpool_forward_f32_ref(y, x, ...s, 0),
      'copy same bytes': () => k.copy_f32(copyDst, x, nx),
    });
    group(`avgpool backward ${name}`, nx, 4 * nx + 4 * ny, {
      simd: () => k.avgpool_backward_f32(dx, y, ...s, 0, 0),
      twin: () => k.avgpool_backward_f32_ref(dx, y, ...s, 0, 0),
      'copy same bytes': () => k.copy_f32(copyDst, x, nx),
    });
  }
}

// ---- 1-layer LSTM, hidden 128, batch 32 (one of 50 steps), and a GRU of the same size; the reference is
// the step's recurrent GEMM h_{t-1}·W_hhᵀ (32 x 128 x G*128), which the cell follows every step
{
  const rows = 32, Hd = 128, n = rows * Hd;
  for (const [name, G] of [['LSTM', 4], ['GRU', 3]]) {
    const gx = al(rows * G * Hd), gh = al(rows * G * Hd), gates = al(rows * G * Hd), cp = al(n), hp = al(n);
    const c = al(n), h = al(n), dh = al(n), dc = al(n), dgx = al(rows * G * Hd), dgh = al(rows * G * Hd);
    const dcp = al(n), dhp = al(n), whh = al(Hd * G * Hd);
    const scr = al(k.gemm_scratch_bytes(rows, Hd, G * Hd) >> 2);
    const gemm = () => k.gemm_nn_f32(gh, hp, whh, rows, Hd, G * Hd, 0, scr);
    if (G === 4) {
      group(`LSTM cell forward, ${rows} x ${Hd} (${n} elements)`, n, 4 * (2 * 4 * n + 4 * n + 4 * n), {
        simd: () => k.lstm_cell_forward_f32(gates, c, h, gx, 4 * Hd, gh, cp, hp, 0, 1, rows, Hd),
        twin: () => k.lstm_cell_forward_f32_ref(gates, c, h, gx, 4 * Hd, gh, cp, hp, 0, 1, rows, Hd),
        'step GEMM': gemm,
      });
      group(`LSTM cell backward, ${rows} x ${Hd}`, n, 4 * (4 * n + 4 * n + 4 * n + 2 * n), {
        simd: () => k.lstm_cell_backward_f32(dgx, 4 * Hd, dcp, dhp, dh, dc, gates, c, cp, 0, 1, rows, Hd),
        twin: () => k.lstm_cell_backward_f32_ref(dgx, 4 * Hd, dcp, dhp, dh, dc, gates, c, cp, 0, 1, rows, Hd),
        'step GEMM': gemm,
      });
    } else {
      group(`GRU cell forward, ${rows} x ${Hd}`, n, 4 * (2 * 3 * n + 3 * n + 2 * n), {
        simd: () => k.gru_cell_forward_f32(gates, h, gx, 3 * Hd, gh, hp, 0, 1, rows, Hd),
        twin: () => k.gru_cell_forward_f32_ref(gates, h, gx, 3 * Hd, gh, hp, 0, 1, rows, Hd),
        'step GEMM': gemm,
      });
      group(`GRU cell backward, ${rows} x ${Hd}`, n, 4 * (3 * n + 3 * n + 6 * n + 3 * n), {
        simd: () => k.gru_cell_backward_f32(dgx, 3 * Hd, dgh, dhp, dh, gates, gh, hp, 0, 1, rows, Hd),
        twin: () => k.gru_cell_backward_f32_ref(dgx, 3 * Hd, dgh, dhp, dh, gates, gh, hp, 0, 1, rows, Hd),
        'step GEMM': gemm,
      });
    }
  }
}

// ---- Neural GPU step: state [32, 4, 41, 24] (batch 32, width 4, 2n + 1 = 41 columns for 20-bit
// operands, 24 maps), 3 x 3 convolutions 'same'; the reference is the gate convolution's GEMM
// (positions x 216 x 48), which every CGRU step runs before cgru_gate_forward_f32
{
  const E = 32, Hs = 4, Ws = 41, C = 24, n = E * Hs * Ws, nc = n * C, K = 9 * C;
  const s = al(nc), g = al(2 * nc), u = al(nc), r = al(nc), rs = al(nc), a = al(nc), y = al(nc), cand = al(nc);
  const dy = al(nc), du = al(nc), ds = al(nc), da = al(nc), drs = al(nc), dg = al(2 * nc);
  const cols = al(n * K), wg = al(K * 2 * C), copyDst = al(n * K);
  const scr = al(k.gemm_scratch_bytes(n, K, 2 * C) >> 2);
  const gemm = () => k.gemm_nn_f32(g, cols, wg, n, K, 2 * C, 0, scr);
  const conv = [E, Hs, Ws, C, 3, 3, 1, 1, 1, 1, 1, 1, Hs, Ws];
  group(`im2col CGRU state 4x41x24 3x3 'same' (E ${E}: ${n * K} floats)`, n * K, 8 * n * K, {
    simd: () => k.im2col_f32(cols, s, ...conv),
    twin: () => k.im2col_f32_ref(cols, s, ...conv),
    'copy same bytes': () => k.copy_f32(copyDst, cols, n * K),
  });
  group(`col2im CGRU state 4x41x24 3x3 'same'`, n * K, 8 * n * K, {
    simd: () => k.col2im_f32(da, cols, ...conv, 0),
    twin: () => k.col2im_f32_ref(da, cols, ...conv, 0),
    'copy same bytes': () => k.copy_f32(copyDst, cols, n * K),
  });
  // u, r in (0, 1) as the kernels see them
  new Float32Array(memory.buffer, u, nc).forEach((_, i, arr) => { arr[i] = 0.5 + 0.4 * Math.sin(i); });
  new Float32Array(memory.buffer, r, nc).forEach((_, i, arr) => { arr[i] = 0.5 + 0.4 * Math.cos(i); });
  group(`cgru_gate_forward, ${n} positions x ${C} (${nc} elements)`, nc, 4 * (2 * nc + 4 * nc), {
    simd: () => k.cgru_gate_forward_f32(u, r, rs, g, s, n, C, 1),
    twin: () => k.cgru_gate_forward_f32_ref(u, r, rs, g, s, n, C, 1),
    'gate GEMM': gemm,
  });
  group(`cgru_out_forward`, nc, 4 * 5 * nc, {
    simd: () => k.cgru_out_forward_f32(y, cand, u, s, a, nc),
    twin: () => k.cgru_out_forward_f32_ref(y, cand, u, s, a, nc),
    'gate GEMM': gemm,
  });
  group(`cgru_out_backward`, nc, 4 * 7 * nc, {
    simd: () => k.cgru_out_backward_f32(du, ds, da, dy, u, s, cand, nc, 0),
    twin: () => k.cgru_out_backward_f32_ref(du, ds, da, dy, u, s, cand, nc, 0),
    'gate GEMM': gemm,
  });
  group(`cgru_gate_backward`, nc, 4 * 9 * nc, {
    simd: () => k.cgru_gate_backward_f32(dg, ds, drs, u, r, s, du, n, C, 1),
    twin: () => k.cgru_gate_backward_f32_ref(dg, ds, drs, u, r, s, du, n, C, 1),
    'gate GEMM': gemm,
  });
}

const ROUNDS = 15;
// CPU time of the process (user + system), not wall time: the machine is shared, and other tenants' slices
// would otherwise land in whichever variant was running. Each timing is about 10 ms of calls.
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
const res = new Map();
const callsOf = new Map();
for (const g of groups) {
  for (const [n, fn] of Object.entries(g.variants)) {
    const t = performance.now();
    let c = 0;
    while (performance.now() - t < 20) { fn(); c++; }
    callsOf.set(`${g.label}|${n}`, Math.max(1, Math.round(c / 2)));
    res.set(`${g.label}|${n}`, []);
  }
}
for (let round = 0; round < ROUNDS; round++) {
  for (const g of groups) for (const [n, fn] of Object.entries(g.variants)) {
    const calls = callsOf.get(`${g.label}|${n}`);
    const t = cpuMs();
    for (let i = 0; i < calls; i++) fn();
    res.get(`${g.label}|${n}`).push((cpuMs() - t) / calls * 1e6); // ns per call
  }
}
const med = (r) => [...r].sort((a, b) => a - b)[r.length >> 1];
console.log(`${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`CPU ns per element and GB/s of the kernel's bytes: median (min-max) of ${ROUNDS} interleaved rounds of ~10 ms; ratio = this / the SIMD kernel (medians)`);
for (const g of groups) {
  console.log(g.label);
  const first = Object.keys(g.variants)[0];
  const base = med(res.get(`${g.label}|${first}`));
  for (const n of Object.keys(g.variants)) {
    const r = res.get(`${g.label}|${n}`);
    const perEl = (v) => (v / g.elements).toFixed(3);
    const gbs = n === 'simd' || n === 'twin' ? `${(g.bytes / med(r)).toFixed(1).padStart(5)} GB/s` : ' '.repeat(10);
    console.log(`  ${n.padEnd(16)} ${perEl(med(r)).padStart(7)} ns/el (${perEl(Math.min(...r))}-${perEl(Math.max(...r))})  ${gbs}  ratio ${(med(r) / base).toFixed(2)}`);
  }
}
