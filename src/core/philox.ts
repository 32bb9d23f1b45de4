// TypeScript twin of the wasm RNG (assembly/rng.ts, assembly/trig.ts, log_f32 of assembly/math.ts):
// Philox4x32-10 and the uniform / Gaussian streams, bit for bit. Used as the oracle in tests and for
// host-side random numbers that must agree with the module (e.g. checking a checkpoint's init).
//
// Counter convention (see assembly/rng.ts): key = 64-bit seed (k0 low, k1 high); counter word 0/1 = block
// index (element / 4) low/high, word 2 = the purpose's index (tensor index, step t, ...), word 3 = domain
// (RNG_DOMAIN_* in assembly/shared/abi.ts). Element i is lane i % 4 of block i / 4.
//
// f32 emulation: every f32 operation of the wasm code is an f64 operation followed by Math.fround. For
// + - * / and sqrt of f32 inputs that equals the f32 operation exactly (f64 has more than 2*24 + 2
// significant bits, so the double rounding is innocuous). The polynomials, constants and operation order
// below are transcriptions of the AssemblyScript; change them together.
//
// Slow by design (about 0.25 µs per normal in Node 20, 50x the wasm kernel): fine for oracles and small
// host-side tensors.

const f = Math.fround;

// ---- Philox4x32-10 (Salmon et al., SC'11; Random123 philox.h) ----
const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** High 32 bits of the unsigned 64-bit product a * b (a, b u32), from 16-bit pieces. */
function mulhi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff); // < 3 * 2^16
  return (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox4x32-10 of counter ctr (4 u32) under key (2 u32): the 4 output words. */
export function philox4x32_10(ctr: ArrayLike<number>, key: ArrayLike<number>): Uint32Array {
  let c0 = ctr[0] >>> 0;
  let c1 = ctr[1] >>> 0;
  let c2 = ctr[2] >>> 0;
  let c3 = ctr[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c1 = lo1;
    c3 = lo0;
    c0 = n0;
    c2 = n2;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  return Uint32Array.of(c0, c1, c2, c3);
}

/** The 64-bit seed as the Philox key [k0 = low 32 bits, k1 = high 32 bits]. */
export function seedKey(seed: bigint): [number, number] {
  const s = BigInt.asUintN(64, seed);
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

// ---- uniforms ----
const TWO_M24 = 2 ** -24;

/** Word -> f32 in [0, 1): (u >>> 8) * 2^-24 (exact). */
export function uniform01(u: number): number {
  return (u >>> 8) * TWO_M24;
}

/** Word -> f32 in (0, 1]: ((u >>> 8) + 1) * 2^-24 (exact). */
export function uniform01c(u: number): number {
  return ((u >>> 8) + 1) * TWO_M24;
}

// ---- log_f32 (port of assembly/math.ts) ----
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
function bitsOf(x: number): number {
  F32[0] = x;
  return I32[0];
}
function fromBits(b: number): number {
  I32[0] = b;
  return F32[0];
}

const INF = Infinity;
const MIN_NORMAL = f(1.17549435e-38);
const TWO23 = 8388608.0;
const SQRTHF = f(0.707106781186547524);
const LN2_HI = f(0.693359375);
const LN2_LO = f(-2.12194440e-4);
const LP0 = f(7.0376836292e-2);
const LP1 = f(-1.1514610310e-1);
const LP2 = f(1.1676998740e-1);
const LP3 = f(-1.2420140846e-1);
const LP4 = f(1.4249322787e-1);
const LP5 = f(-1.6668057665e-1);
const LP6 = f(2.0000714765e-1);
const LP7 = f(-2.4999993993e-1);
const LP8 = f(3.3333331174e-1);

/** Natural log in f32, bit-identical to log_f32 of assembly/math.ts. */
export function logF32(x: number): number {
  x = f(x);
  if (x !== x) return x;
  if (x < 0) return NaN;
  if (x === 0) return -INF;
  if (x === INF) return INF;
  const sub = x < MIN_NORMAL;
  const xs = sub ? f(x * TWO23) : x;
  const bits = bitsOf(xs);
  const e = (bits >> 23) - 126 + (sub ? -23 : 0);
  const m = fromBits((bits & 0x007fffff) | 0x3f000000);
  const lo = m < SQRTHF;
  const fe = f(f(e) - (lo ? 1 : 0));
  const t = f((lo ? f(m + m) : m) - 1);
  const z = f(t * t);
  let p = f(f(LP0 * t) + LP1);
  p = f(f(p * t) + LP2);
  p = f(f(p * t) + LP3);
  p = f(f(p * t) + LP4);
  p = f(f(p * t) + LP5);
  p = f(f(p * t) + LP6);
  p = f(f(p * t) + LP7);
  p = f(f(p * t) + LP8);
  let y = f(f(p * t) * z);
  y = f(y + f(fe * LN2_LO));
  y = f(y + f(-0.5 * z));
  let r = f(t + y);
  r = f(r + f(fe * LN2_HI));
  return r;
}

// ---- sincos (port of assembly/trig.ts) ----
const TWO_OVER_PI = f(0.636619772367581343);
const P1 = f(1.5703125);
const P2 = f(4.837512969970703125e-4);
const P3 = f(7.54978995489188216e-8);
const S1 = f(-1.6666654611e-1);
const S2 = f(8.3321608736e-3);
const S3 = f(-1.9515295891e-4);
const C1 = f(4.166664568298827e-2);
const C2 = f(-1.388731625493765e-3);
const C3 = f(2.443315711809948e-5);
const TWO_PI = f(6.28318530717958648);

/** [sin x, cos x] in f32 for x in [0, 2 pi), bit-identical to sincos_f32 of assembly/trig.ts. */
export function sincosF32(x: number): [number, number] {
  x = f(x);
  const k = Math.floor(f(f(x * TWO_OVER_PI) + 0.5));
  const r = f(f(f(x - f(k * P1)) - f(k * P2)) - f(k * P3));
  const z = f(r * r);
  const s = f(r + f(f(r * z) * f(S1 + f(z * f(S2 + f(z * S3))))));
  const c = f(f(1 - f(z * 0.5)) + f(f(z * z) * f(C1 + f(z * f(C2 + f(z * C3))))));
  const q = k & 3;
  const sv = q & 1 ? c : s;
  const cv = q & 1 ? s : c;
  return [q & 2 ? -sv : sv, (q + 1) & 2 ? -cv : cv];
}

// ---- Box-Muller ----

/** Lane j (0..3) of the Box-Muller transform of one Philox output block w. */
export function gaussianLane(w: ArrayLike<number>, j: number): number {
  const a = uniform01c(w[j & 2]);
  const b = uniform01(w[(j & 2) | 1]);
  const r = f(Math.sqrt(f(-2 * logF32(a))));
  const [s, c] = sincosF32(f(TWO_PI * b));
  return f(r * (j & 1 ? s : c));
}

/** Calls fn(i, block words, lane) for elements start .. start + n - 1 of stream (seed, w2, domain). */
function forEachElement(
  seed: bigint, domain: number, w2: number, n: number, start: number,
  fn: (i: number, w: Uint32Array, lane: number) => void,
): void {
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`bad start ${start}`);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad n ${n}`);
  const key = seedKey(seed);
  let w: Uint32Array = new Uint32Array(4);
  let blk = -1;
  for (let i = 0; i < n; i++) {
    const e = start + i;
    const b = Math.floor(e / 4);
    if (b !== blk) {
      blk = b;
      w = philox4x32_10([b >>> 0, Math.floor(b / 2 ** 32) >>> 0, w2 >>> 0, domain >>> 0], key);
    }
    fn(i, w, e % 4);
  }
}

/** n standard normals, elements start .. start + n - 1 of stream (seed, domain, w2): the wasm bits. */
export function normals(seed: bigint, domain: number, w2: number, n: number, start = 0): Float32Array {
  const out = new Float32Array(n);
  forEachElement(seed, domain, w2, n, start, (i, w, j) => {
    out[i] = gaussianLane(w, j);
  });
  return out;
}

/** mean + std * z elementwise, f32: the bits of init_normal_f32 (start 0) / gaussian_fill_f32. */
export function initNormal(
  seed: bigint, domain: number, w2: number, n: number, mean: number, std: number, start = 0,
): Float32Array {
  const m = f(mean);
  const s = f(std);
  const out = new Float32Array(n);
  forEachElement(seed, domain, w2, n, start, (i, w, j) => {
    out[i] = f(m + f(s * gaussianLane(w, j)));
  });
  return out;
}

/** x + scale * z elementwise, f32, into a copy of x: the bits of gaussian_add_f32. */
export function addNormals(
  x: Float32Array, seed: bigint, domain: number, w2: number, scale: number, start = 0,
): Float32Array {
  const s = f(scale);
  const out = new Float32Array(x);
  forEachElement(seed, domain, w2, x.length, start, (i, w, j) => {
    out[i] = f(out[i] + f(s * gaussianLane(w, j)));
  });
  return out;
}

/** lo + (hi - lo) * u elementwise, u in [0, 1), f32: the bits of init_uniform_f32 / uniform_fill_f32. */
export function initUniform(
  seed: bigint, domain: number, w2: number, n: number, lo: number, hi: number, start = 0,
): Float32Array {
  const l = f(lo);
  const span = f(f(hi) - l);
  const out = new Float32Array(n);
  forEachElement(seed, domain, w2, n, start, (i, w, j) => {
    out[i] = f(l + f(span * uniform01(w[j])));
  });
  return out;
}
