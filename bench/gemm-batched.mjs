// gemm_batched_f32 at the attention block's shapes (issue #16: 32 examples, 50 memories, d = 32), against
// the same items as plain gemm_<form>_f32 calls and against the scalar twin, interleaved in one run: the
// row-vector paths (M = 1) and the shared-B merge (one GEMM of batch*M rows). Prints microseconds per call,
// median (min-max) of 15 rounds of 50 calls each, and the ratio of medians to the plain calls.
// Usage: npm run build && node bench/gemm-batched.mjs   (output of one run: bench/measured/gemm-batched.txt)
import os from 'node:os';
import { createMemory, instantiateCore, loadCoreModule } from '../dist/src/core/wasm.js';
import { readCoreBuild } from '../dist/src/runtime/threads.js';

const mod = await loadCoreModule('single', readCoreBuild);
const memory = createMemory(mod, 1024);
const k = instantiateCore(mod, memory).exports;
const f = new Float32Array(memory.buffer);
let top = mod.arenaBase;
let seed = 1;
const al = (n) => {
  const p = top;
  top += Math.ceil(n * 4 / 64) * 64 + 64;
  for (let i = p >> 2; i < (p >> 2) + n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; f[i] = (seed >>> 9) / 2 ** 23 - 1; }
  return p;
};

const E = 32, S = 50, d = 32, H = 64;
const u = al(E * d), mem = al(E * S * d), sc = al(E * S), o = al(E * d), w = al(d * H), y = al(E * S * H);
const scr = al(k.gemm_scratch_bytes(E * S, d, H) >> 2);
const items = (fn) => () => { for (let t = 0; t < E; t++) fn(t); };
const groups = [
  ['scores q·Kᵀ: nt, 32 items of 1 x 32 x 50', {
    batched: () => k.gemm_batched_f32(1, sc, u, mem, E, 1, d, S, d, S * d, S, 0, scr),
    plain: items((t) => k.gemm_nt_f32(sc + t * S * 4, u + t * d * 4, mem + t * S * d * 4, 1, d, S, 0, scr)),
    twin: () => k.gemm_batched_f32_ref(1, sc, u, mem, E, 1, d, S, d, S * d, S, 0, scr),
  }],
  ['output p·V: nn, 32 items of 1 x 50 x 32', {
    batched: () => k.gemm_batched_f32(0, o, sc, mem, E, 1, S, d, S, S * d, d, 0, scr),
    plain: items((t) => k.gemm_nn_f32(o + t * d * 4, sc + t * S * 4, mem + t * S * d * 4, 1, S, d, 0, scr)),
    twin: () => k.gemm_batched_f32_ref(0, o, sc, mem, E, 1, S, d, S, S * d, d, 0, scr),
  }],
  ['shared weight: nn, 32 items of 50 x 32 x 64, sb = 0', {
    batched: () => k.gemm_batched_f32(0, y, mem, w, E, S, d, H, S * d, 0, S * H, 0, scr),
    plain: items((t) => k.gemm_nn_f32(y + t * S * H * 4, mem + t * S * d * 4, w, S, d, H, 0, scr)),
  }],
];

const res = new Map();
for (const [g, cs] of groups) for (const [n, fn] of Object.entries(cs)) { res.set(`${g}|${n}`, []); for (let i = 0; i < 30; i++) fn(); }
for (let round = 0; round < 15; round++) {
  for (const [g, cs] of groups) for (const [n, fn] of Object.entries(cs)) {
    const t = performance.now();
    for (let i = 0; i < 50; i++) fn();
    res.get(`${g}|${n}`).push((performance.now() - t) / 50 * 1e3);
  }
}
const med = (r) => [...r].sort((a, b) => a - b)[r.length >> 1];
console.log(`${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const [g, cs] of groups) {
  console.log(g);
  const plain = med(res.get(`${g}|plain`));
  for (const n of Object.keys(cs)) {
    const r = res.get(`${g}|${n}`);
    console.log(`  ${n.padEnd(8)} ${med(r).toFixed(1).padStart(7)} us (${Math.min(...r).toFixed(1)}-${Math.max(...r).toFixed(1)})  plain / this ${(plain / med(r)).toFixed(2)}`);
  }
}
