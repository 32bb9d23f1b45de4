// assembly/kernels/dropout.ts
// Inverted dropout (Srivastava, Hinton, Krizhevsky, Sutskever, Salakhutdinov, "Dropout: a simple way to
// prevent neural networks from overfitting", JMLR 15, 2014), scaled at training time so inference is the
// identity. The mask is never stored: it is a pure function of (seed, step, layer, element), drawn from the
// counter-based Philox stream of assembly/rng.ts, and the backward pass regenerates it.
// Scalar twins: assembly/ref/dropout.ts (same signatures, suffix _ref), identical bits.
// TypeScript twin of the mask: src/core/dropout.ts (dropoutMask).
//
// Legend: N = element count (n). x, y, dy, dx: N contiguous f32 at byte addresses (any 4-byte alignment;
// fastest 16-byte aligned with START % 4 == 0). START = stream index of element 0 (start), so element j
// is stream element e = START + j. (k0, k1) = Philox key (seed low / high half).
//
// Mask. Element e is kept iff u_e >= rate, where u_e in [0, 1) is the library's uniform of word e % 4 of
//   Philox4x32-10( ctr = (e / 4, layer, step, RNG_DOMAIN_DROPOUT), key = (k0, k1) )
// converted as (word >>> 8) * 2^-24 (exact in f32). Word 1 holds the whole layer index: the rng.ts
// convention puts the block index's high half there, which is 0 here because START, N >= 0 are i32, so
// (START + N) / 4 < 2^30 < 2^32. With layer = 0 the mask's uniforms are exactly uniform_at_f32(e, k0, k1,
// step, RNG_DOMAIN_DROPOUT). The mask depends only on (seed, step, layer, e): never on N, on where a call
// starts, on chunking or on the thread, so a run split at any point equals one run.
// P(keep) = (2^24 - ceil(rate * 2^24)) / 2^24, i.e. 1 - rate up to 2^-24.
//
// Contract
//   * forward:  y_j = keep_e ? x_j * scale : +0, with scale = f32(1 / f32(1 - rate)) computed here in f32
//     (two roundings; the facade passes rate as f32). Dropped elements are +0 whatever x_j is (Inf and NaN
//     included: the mask is applied with a bitwise AND, not a multiply by 0). y may alias x (y == x
//     exactly; no partial overlap).
//   * backward: dx_j = keep_e ? dy_j * scale : +0, the same mask and scale (the layer is linear in x for a
//     fixed step, so this is its exact transpose). WRITES dx. dx may alias dy.
//   * rate must be in [0, 1); the facade validates, the kernel does not. rate == 0 is the identity bit for
//     bit (a memmove, no RNG: -0, NaN payloads kept). rate >= 1 or NaN drops everything.
//   * n >= 0 and start >= 0 (n <= 0 is a no-op).
//
// Body: scalar head up to a block boundary (START % 4 != 0); 8 blocks = 32 elements per iteration (two
// interleaved groups of 4 Philox lanes, philox4x32_10_x8); one 4-block group (16 elements); a scalar tail
// with one Philox per block. The SIMD bodies load x first, stage the raw Philox words in y itself and then
// overwrite them, so they touch exactly y[0 .. N) (no scratch, safe for disjoint chunks on several
// threads, and in place works because x is read before y is written).
// Cost is the RNG: 10 Philox rounds per 4 elements; the mask and the multiply are a few ops per vector.

import { RNG_DOMAIN_DROPOUT } from "../shared/abi";
import { philox4x32_10_x1, philox4x32_10_x4, philox4x32_10_x8, u01_f32, word_u32 } from "../rng";

// @ts-ignore: decorator
@inline const TWO_M24: f32 = 5.9604644775390625e-8; // 2^-24, as in rng.ts

/** Keep mask (-1 / 0 per lane) of 4 Philox words: u >= rate, u = (w >>> 8) * 2^-24. */
// @ts-ignore: decorator
@inline function keep_v128(w: v128, rate: v128): v128 {
  // w >>> 8 < 2^24, so the signed conversion (one instruction on x86) equals the unsigned one (u01_f32)
  const u = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(w, 8)), f32x4.splat(TWO_M24));
  return f32x4.ge(u, rate);
}

/**
 * 16 elements whose 4 Philox blocks are staged lane-transposed at p (p + 16*w = word w of blocks 0..3):
 * p[4b + w] = keep ? a_b[w] * scale : +0, with a_b = the 4 inputs of block b, already loaded.
 */
// @ts-ignore: decorator
@inline function dropout_staged_x16(
  p: usize, a0: v128, a1: v128, a2: v128, a3: v128, rate: v128, scale: v128,
): void {
  // the compare is lane-wise, so do it before the transpose: mask m_w, lane b = element 4b + w
  const m0 = keep_v128(v128.load(p), rate);
  const m1 = keep_v128(v128.load(p, 16), rate);
  const m2 = keep_v128(v128.load(p, 32), rate);
  const m3 = keep_v128(v128.load(p, 48), rate);
  // 4x4 transpose to stream order: s_b = (m0[b], m1[b], m2[b], m3[b])
  const t0 = i32x4.shuffle(m0, m1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(m0, m1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(m2, m3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(m2, m3, 2, 6, 3, 7);
  v128.store(p, v128.and(f32x4.mul(a0, scale), i32x4.shuffle(t0, t2, 0, 1, 4, 5)));
  v128.store(p, v128.and(f32x4.mul(a1, scale), i32x4.shuffle(t0, t2, 2, 3, 6, 7)), 16);
  v128.store(p, v128.and(f32x4.mul(a2, scale), i32x4.shuffle(t1, t3, 0, 1, 4, 5)), 32);
  v128.store(p, v128.and(f32x4.mul(a3, scale), i32x4.shuffle(t1, t3, 2, 3, 6, 7)), 48);
}

/** Counter word 0 of blocks blk .. blk + 3 (no wrap: blk + 3 < 2^30). */
// @ts-ignore: decorator
@inline function blocks_x4(blk: u32): v128 {
  return i32x4.add(i32x4.splat(blk), i32x4(0, 1, 2, 3));
}

/** Elements e .. e + n - 1 (n >= 0), one scalar Philox per block: the head and the tail. */
// @ts-ignore: decorator
@inline function dropout_scalar(
  y: usize, x: usize, n: i32, e: u32, rate: f32, scale: f32, k0: u32, k1: u32, step: u32, layer: u32,
): void {
  let i = 0;
  while (i < n) {
    const w = philox4x32_10_x1(e >>> 2, layer, step, <u32>RNG_DOMAIN_DROPOUT, k0, k1);
    for (let j = <i32>(e & 3); j < 4 && i < n; j++, i++, e++) {
      const o = <usize>i << 2;
      const v = load<f32>(x + o) * scale;
      store<f32>(y + o, select<f32>(v, 0, u01_f32(word_u32(w, j)) >= rate));
    }
  }
}

/** y = mask * scale * x over stream elements start .. start + n - 1 (the whole contract above). */
// @ts-ignore: decorator
@inline function dropout_apply(
  y: usize, x: usize, n: i32, rate: f32, k0: u32, k1: u32, step: u32, layer: u32, start: i32,
): void {
  if (n <= 0) return;
  if (rate == 0) { // identity, bit for bit, and no RNG work
    if (y != x) memory.copy(y, x, <usize>n << 2);
    return;
  }
  const scale: f32 = <f32>1 / (<f32>1 - rate);
  const e0 = <u32>start;
  const head = min<i32>(n, <i32>((4 - (e0 & 3)) & 3));
  dropout_scalar(y, x, head, e0, rate, scale, k0, k1, step, layer);
  const vr = f32x4.splat(rate), vs = f32x4.splat(scale);
  const c1 = i32x4.splat(layer), c2 = i32x4.splat(step), c3 = i32x4.splat(<u32>RNG_DOMAIN_DROPOUT);
  let i = head;
  for (; i + 32 <= n; i += 32) {
    const o = <usize>i << 2;
    const p = y + o, q = x + o;
    const a0 = v128.load(q), a1 = v128.load(q, 16), a2 = v128.load(q, 32), a3 = v128.load(q, 48);
    const a4 = v128.load(q, 64), a5 = v128.load(q, 80), a6 = v128.load(q, 96), a7 = v128.load(q, 112);
    const blk = (e0 + <u32>i) >>> 2;
    philox4x32_10_x8(p, blocks_x4(blk), c1, c2, c3, blocks_x4(blk + 4), c1, c2, c3, k0, k1);
    dropout_staged_x16(p, a0, a1, a2, a3, vr, vs);
    dropout_staged_x16(p + 64, a4, a5, a6, a7, vr, vs);
  }
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const p = y + o, q = x + o;
    const a0 = v128.load(q), a1 = v128.load(q, 16), a2 = v128.load(q, 32), a3 = v128.load(q, 48);
    philox4x32_10_x4(p, blocks_x4((e0 + <u32>i) >>> 2), c1, c2, c3, k0, k1);
    dropout_staged_x16(p, a0, a1, a2, a3, vr, vs);
  }
  const o = <usize>i << 2;
  dropout_scalar(y + o, x + o, n - i, e0 + <u32>i, rate, scale, k0, k1, step, layer);
}

/** y = dropout(x): kept elements x * f32(1 / (1 - rate)), dropped +0. y may alias x. */
export function dropout_forward_f32(
  y: usize, x: usize, n: i32, rate: f32, k0: u32, k1: u32, step: u32, layer: u32, start: i32,
): void {
  dropout_apply(y, x, n, rate, k0, k1, step, layer, start);
}

/** dx = dy * the forward's mask * scale (regenerated, not stored). WRITES dx; dx may alias dy. */
export function dropout_backward_f32(
  dx: usize, dy: usize, n: i32, rate: f32, k0: u32, k1: u32, step: u32, layer: u32, start: i32,
): void {
  dropout_apply(dx, dy, n, rate, k0, k1, step, layer, start);
}
