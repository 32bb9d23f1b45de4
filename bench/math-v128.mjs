// assembly/math.ts's f32x4 exp, tanh and sigmoid against their previous forms (bench/wasm/math-v128.ts keeps
// a verbatim copy: f32x4.min/max and trunc_sat where the current ones use pmin/pmax and the bits of
// n + 1.5 * 2^23): first bit for bit at all 2^32 f32 inputs (NaNs of every payload included), then the
// time per element of both, interleaved, on 4096 values spread over the functions' working ranges.
// Prints mismatching inputs (must be 0) and ns per element, median (min-max) of 15 rounds, with the ratio.
// Usage: node bench/math-v128.mjs   (output of one run: bench/measured/math-v128.txt)
import asc from 'assemblyscript/asc';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(os.tmpdir(), `gradnoise-math-v128-${process.pid}.wasm`);
const { error, stderr } = await asc.main([
  path.join(here, 'wasm', 'math-v128.ts'), '--outFile', out, '--config', path.join(here, 'wasm', 'asconfig.json'),
]);
if (error) { console.error(stderr.toString()); throw error; }
const memory = new WebAssembly.Memory({ initial: 16, maximum: 16 });
const { instance } = await WebAssembly.instantiate(fs.readFileSync(out), { env: { memory } });
fs.rmSync(out);
const k = instance.exports;
const names = ['exp', 'tanh', 'sigmoid'];

console.log(`${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (let fn = 0; fn < 3; fn++) {
  const t = performance.now();
  let bad = 0;
  const chunk = 1 << 22; // vectors per call: 2^24 inputs
  for (let lo = 0; lo < 2 ** 32; lo += 4 * chunk) bad += k.mismatches(fn, lo >>> 0, chunk);
  console.log(`${names[fn].padEnd(8)} all 2^32 inputs: ${bad} differ from the previous form (${((performance.now() - t) / 1e3).toFixed(0)} s)`);
}

const n = 4096, b = k.base(), x = b, y = b + 4 * n;
const f = new Float32Array(memory.buffer, x, n);
const ranges = [[-20, 20], [-10, 10], [-20, 20]];
const res = new Map();
for (let round = 0; round < 15; round++) {
  for (let fn = 0; fn < 3; fn++) {
    const [lo, hi] = ranges[fn];
    for (let i = 0; i < n; i++) f[i] = lo + (hi - lo) * ((i * 0.6180339887) % 1);
    for (const [name, apply] of [['now', k.apply_now], ['before', k.apply_before]]) {
      const key = `${fn}|${name}`;
      if (!res.has(key)) { res.set(key, []); for (let i = 0; i < 200; i++) apply(fn, y, x, n); }
      const t = performance.now();
      for (let i = 0; i < 500; i++) apply(fn, y, x, n);
      res.get(key).push((performance.now() - t) / 500 / n * 1e6);
    }
  }
}
const med = (r) => [...r].sort((a, c) => a - c)[r.length >> 1];
console.log('ns per element, median (min-max) of 15 interleaved rounds of 500 calls on 4096 values');
for (let fn = 0; fn < 3; fn++) {
  const now = res.get(`${fn}|now`), before = res.get(`${fn}|before`);
  const fmt = (r) => `${med(r).toFixed(3)} (${Math.min(...r).toFixed(3)}-${Math.max(...r).toFixed(3)})`;
  console.log(`${names[fn].padEnd(8)} before ${fmt(before)}  now ${fmt(now)}  before / now ${(med(before) / med(now)).toFixed(2)}`);
}
