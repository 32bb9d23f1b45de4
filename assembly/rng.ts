// Counter-based random numbers: Philox4x32-10 and the Gaussian / uniform streams built on it.
//
// Philox4x32-10: J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel random numbers: as easy as
// 1, 2, 3", SC'11, and the Random123 library (include/Random123/philox.h). A keyed bijection of a 128-bit
// counter; 10 rounds of  (hi, lo) = M * x  (32x32 -> 64 bit), two multipliers, Weyl-sequence key schedule.
// There is no generator state anywhere: every number is a pure function of (key, counter).
//
// Counter convention for the whole library
//   key      k0 = low 32 bits of the 64-bit seed, k1 = high 32 bits
//   word 0   block index (element index / 4), low 32 bits
//   word 1   block index, high 32 bits. Streams are far below 2^32 blocks, so the top bits of word 1 are
//            free for a caller that needs another coordinate (dropout: layer index in the top bits; the
//            fills here put the plain high word there, so such a caller builds its own counters)
//   word 2   the purpose's own index: tensor index for init, step t for gradient noise, epoch for shuffle
//   word 3   domain, RNG_DOMAIN_* from shared/abi.ts
// Element i of a stream is lane i % 4 of block i / 4. So the value at i depends only on
// (seed, domain, word 2, i), never on n, on where a fill starts, on chunking, or on which thread runs it.
//
// Uniforms from a 32-bit word u (exact in f32, the top 24 bits are used):
//   [0, 1):  (u >>> 8) * 2^-24            (0, 1]:  ((u >>> 8) + 1) * 2^-24
// Gaussians: Box-Muller within a block, words (u0, u1) -> lanes (z0, z1), (u2, u3) -> (z2, z3):
//   r = sqrt(-2 ln a), a = (u_even in (0, 1]),  theta = 2 pi b, b = (u_odd in [0, 1)),
//   z_even = r cos theta,  z_odd = r sin theta.
//   ln from math.ts (log_f32), sin/cos from trig.ts (the trig_*_f32 blocks). The f32x4 path computes the
//   same f32 operations per lane with math.ts's log polynomial (log_poly_v128) and trig.ts's f32x4 blocks,
//   reaching the arguments by cheaper exact routes (see "Box-Muller, f32x4" below).
// Range: a >= 2^-24, so |z| <= sqrt(48 ln 2) = 5.7681 (5.768124 in f32): the tails beyond ~5.77 sigma
// (probability 8e-9 per sample) are absent, and beyond ~4.5 sigma the radius takes few distinct values
// (a = 1, 2, 3, ... times 2^-24). Gradient noise and weight init do not care; do not use this for tail
// probability estimates.
//
// Bit-exactness: the f32x4 path computes four blocks at once (lane = block), emulating the 32x32 -> 64
// multiply with i64x2.extmul_{low,high}_i32x4_u (baseline simd128) and performing per lane exactly the
// f32 operations of the scalar path, so both give the same bits (test/assembly/rng.spec.ts). The
// TypeScript twin src/core/philox.ts reproduces the same bits on the host.
//
// Fills (gaussian_fill_f32, gaussian_add_f32, uniform_fill_f32). Legend: P f32 output (byte address, any
// 4-byte alignment), START stream index of p[0] (u64, any value), N element count (any N >= 0).
// Structure: scalar head up to a block boundary; body of 8 blocks (32 elements, two interleaved groups of
// 4 Philox lanes); one 4-block body; scalar tail, one Philox per block. The SIMD bodies stage the raw
// Philox words in the output itself before overwriting them, so they touch exactly p[0 .. N) and nothing
// else (no scratch, safe for disjoint chunks on several threads), and gaussian_add_f32 reads each old
// value before staging. Measured (Node 20, x86-64 AMD EPYC, CPU time, interleaved with the previous build
// in one run of bench/noise-ab.mjs, medians of 21 rounds with min-max): 3.92 (3.60-4.58) ns per normal at
// n = 88,210 and 4.09 (3.64-4.29) at 2^20, against 4.42 (3.90-5.06) and 4.52 (3.92-4.86) before the exact
// shortcuts of "Box-Muller, f32x4" below (34.3 instead of 36.9 instructions per normal in V8's code,
// counted with callgrind); ~2 ns per uniform, ~49 ns per normal for the scalar per-block path. Tried and
// slower or no better: one word pair at a time through memory (fewer spills, latency bound: +6-10%), the
// 4-block body alone (+27%), two Philox rounds per loop iteration or all ten unrolled, and the low product
// words taken from the extmul results instead of i32x4.mul (within +-5%).
import { log_f32, log_poly_v128 } from "./math";
import {
  trig_quadrant_f32, trig_reduce_f32, trig_sin_poly_f32, trig_cos_poly_f32, trig_sin_fix_f32,
  trig_cos_fix_f32, trig_quadrant_v128, trig_reduce_v128, trig_sin_poly_v128, trig_cos_poly_v128,
} from "./trig";

// ---- Philox constants (Random123 philox.h) ----
// @ts-ignore: decorator
@inline const PHILOX_M0: u32 = 0xD2511F53;
// @ts-ignore: decorator
@inline const PHILOX_M1: u32 = 0xCD9E8D57;
// @ts-ignore: decorator
@inline const PHILOX_W0: u32 = 0x9E3779B9; // golden ratio
// @ts-ignore: decorator
@inline const PHILOX_W1: u32 = 0xBB67AE85; // sqrt(3) - 1

// ---- conversion constants (f32) ----
// @ts-ignore: decorator
@inline const TWO_M24: f32 = 5.9604644775390625e-8; // 2^-24
// @ts-ignore: decorator
@inline const TWO_PI: f32 = 6.28318530717958648; //    rounds to 6.2831855 in f32

// ================================================================ Philox, scalar

/** Philox4x32-10 of one counter, scalar arithmetic; the 4 output words packed as i32x4 lanes 0..3. */
export function philox4x32_10_x1(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): v128 {
  for (let r = 0; r < 10; r++) {
    const p0 = <u64>PHILOX_M0 * <u64>c0;
    const p1 = <u64>PHILOX_M1 * <u64>c2;
    const n0 = <u32>(p1 >>> 32) ^ c1 ^ k0;
    const n2 = <u32>(p0 >>> 32) ^ c3 ^ k1;
    c1 = <u32>p1;
    c3 = <u32>p0;
    c0 = n0;
    c2 = n2;
    k0 += PHILOX_W0; // the bump after round 10 is never used
    k1 += PHILOX_W1;
  }
  return i32x4(c0, c1, c2, c3);
}

/** Philox4x32-10: writes the 4 output words of counter (c0, c1, c2, c3) under key (k0, k1) to out. */
export function philox4x32_10(out: usize, c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  v128.store(out, philox4x32_10_x1(c0, c1, c2, c3, k0, k1));
}

// ================================================================ Philox, 4 counters in f32x4 lanes

/** High 32 bits of the 4 unsigned products x * m, lane by lane. */
// @ts-ignore: decorator
@inline function mulhi_u32x4(x: v128, m: v128): v128 {
  const lo = i64x2.extmul_low_i32x4_u(x, m); //  lanes 0, 1 as u64
  const hi = i64x2.extmul_high_i32x4_u(x, m); // lanes 2, 3
  return i32x4.shuffle(lo, hi, 1, 3, 5, 7);
}

/**
 * Philox4x32-10 of 4 counters at once: lane j of (c0, c1, c2, c3) is counter j. Writes the result
 * lane-transposed: out + 16*w holds word w of the 4 outputs (lane j = counter j).
 */
// @ts-ignore: decorator
@inline export function philox4x32_10_x4(
  out: usize, c0: v128, c1: v128, c2: v128, c3: v128, k0: u32, k1: u32,
): void {
  const m0 = i32x4.splat(PHILOX_M0);
  const m1 = i32x4.splat(PHILOX_M1);
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi_u32x4(c0, m0);
    const hi1 = mulhi_u32x4(c2, m1);
    const lo0 = i32x4.mul(c0, m0);
    const lo1 = i32x4.mul(c2, m1);
    const n0 = v128.xor(v128.xor(hi1, c1), i32x4.splat(k0));
    const n2 = v128.xor(v128.xor(hi0, c3), i32x4.splat(k1));
    c1 = lo1;
    c3 = lo0;
    c0 = n0;
    c2 = n2;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  v128.store(out, c0);
  v128.store(out, c1, 16);
  v128.store(out, c2, 32);
  v128.store(out, c3, 48);
}

/**
 * Philox4x32-10 of 8 counters: two independent groups of 4 lanes, (c0..c3) and (d0..d3), interleaved
 * round by round so the two multiply chains overlap (the 4-lane version is latency bound; this one is
 * ~25% faster per block). Group c is written to out .. out+63 and group d to out+64 .. out+127, each
 * lane-transposed as in philox4x32_10_x4. Same bits as two calls of philox4x32_10_x4.
 */
// @ts-ignore: decorator
@inline export function philox4x32_10_x8(
  out: usize, c0: v128, c1: v128, c2: v128, c3: v128, d0: v128, d1: v128, d2: v128, d3: v128,
  k0: u32, k1: u32,
): void {
  const m0 = i32x4.splat(PHILOX_M0);
  const m1 = i32x4.splat(PHILOX_M1);
  for (let r = 0; r < 10; r++) {
    const kv0 = i32x4.splat(k0);
    const kv1 = i32x4.splat(k1);
    const chi0 = mulhi_u32x4(c0, m0);
    const chi1 = mulhi_u32x4(c2, m1);
    const dhi0 = mulhi_u32x4(d0, m0);
    const dhi1 = mulhi_u32x4(d2, m1);
    const clo0 = i32x4.mul(c0, m0);
    const clo1 = i32x4.mul(c2, m1);
    const dlo0 = i32x4.mul(d0, m0);
    const dlo1 = i32x4.mul(d2, m1);
    const cn0 = v128.xor(v128.xor(chi1, c1), kv0);
    const cn2 = v128.xor(v128.xor(chi0, c3), kv1);
    const dn0 = v128.xor(v128.xor(dhi1, d1), kv0);
    const dn2 = v128.xor(v128.xor(dhi0, d3), kv1);
    c1 = clo1;
    c3 = clo0;
    c0 = cn0;
    c2 = cn2;
    d1 = dlo1;
    d3 = dlo0;
    d0 = dn0;
    d2 = dn2;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  v128.store(out, c0);
  v128.store(out, c1, 16);
  v128.store(out, c2, 32);
  v128.store(out, c3, 48);
  v128.store(out, d0, 64);
  v128.store(out, d1, 80);
  v128.store(out, d2, 96);
  v128.store(out, d3, 112);
}

/** Counter word 0 of blocks blk .. blk+3. */
// @ts-ignore: decorator
@inline function block_lo_x4(blk: u64): v128 {
  return i32x4.add(i32x4.splat(<u32>blk), i32x4(0, 1, 2, 3));
}
/** Counter word 1 of the same blocks: the high word, plus the carry where the low word wrapped. */
// @ts-ignore: decorator
@inline function block_hi_x4(blk: u64, lo: v128): v128 {
  const carry = i32x4.lt_u(lo, i32x4.splat(<u32>blk)); // -1 where the low word wrapped
  return i32x4.sub(i32x4.splat(<u32>(blk >>> 32)), carry);
}

// ================================================================ uniforms and Box-Muller, scalar

/** Word j (0..3) of a packed Philox output. */
// @ts-ignore: decorator
@inline export function word_u32(w: v128, j: i32): u32 {
  const pair = i64x2.extract_lane(w, 0);
  const pair1 = i64x2.extract_lane(w, 1);
  const p = (j & 2) != 0 ? pair1 : pair;
  return <u32>(p >>> (<u64>(j & 1) << 5));
}

/** u -> [0, 1). */
// @ts-ignore: decorator
@inline export function u01_f32(u: u32): f32 {
  return <f32>(u >>> 8) * TWO_M24;
}

/** u -> (0, 1]. */
// @ts-ignore: decorator
@inline export function u01c_f32(u: u32): f32 {
  return <f32>((u >>> 8) + 1) * TWO_M24;
}

/** Lane j of the Box-Muller transform of a packed Philox output w: a standard normal f32. */
// @ts-ignore: decorator
@inline export function gaussian_lane_f32(w: v128, j: i32): f32 {
  const a = u01c_f32(word_u32(w, j & 2));
  const b = u01_f32(word_u32(w, (j & 2) | 1));
  const r = Mathf.sqrt(<f32>-2.0 * log_f32(a));
  const th = TWO_PI * b;
  const k = trig_quadrant_f32(th);
  const x = trig_reduce_f32(th, k);
  const z = x * x;
  const s = trig_sin_poly_f32(x, z);
  const c = trig_cos_poly_f32(z);
  const q = <i32>k & 3;
  return r * ((j & 1) != 0 ? trig_sin_fix_f32(q, s, c) : trig_cos_fix_f32(q, s, c));
}

/** Standard normal number i of stream (seed, w2, w3), computed alone: the scalar definition. */
export function gaussian_at_f32(i: u64, k0: u32, k1: u32, w2: u32, w3: u32): f32 {
  const blk = i >>> 2;
  return gaussian_lane_f32(philox4x32_10_x1(<u32>blk, <u32>(blk >>> 32), w2, w3, k0, k1), <i32>(i & 3));
}

/** Uniform [0, 1) number i of stream (seed, w2, w3), computed alone. */
export function uniform_at_f32(i: u64, k0: u32, k1: u32, w2: u32, w3: u32): f32 {
  const blk = i >>> 2;
  const w = philox4x32_10_x1(<u32>blk, <u32>(blk >>> 32), w2, w3, k0, k1);
  return u01_f32(word_u32(w, <i32>(i & 3)));
}

// ================================================================ Box-Muller, f32x4 (lane = block)

// ---- Box-Muller building blocks specialised to its domain (same bits as the scalar path) ----
// The scalar path (gaussian_lane_f32) uses the general log_f32 and trig_*_f32, which handle inputs
// Box-Muller never produces. The f32x4 blocks below compute, lane by lane, the same f32 operations on the
// same values, and get there with fewer instructions (each shortcut is exact; the reasoning is beside it).
// They are checked against the scalar path on every one of the 2^24 inputs of each uniform (radius and
// angle, test/assembly/rng.spec.ts), and against src/core/philox.ts in test/ts/philox.test.ts.

// @ts-ignore: decorator
@inline const SQRTHF_BITS: i32 = 0x3f3504f3; //  bits of math.ts's SQRTHF, sqrt(1/2) in f32
// @ts-ignore: decorator
@inline const TWO_PI_M24_BITS: i32 = 0x34c90fdb; // TWO_PI * 2^-24 in f32 (0x40c90fdb, exponent - 24)

/**
 * sqrt(-2 ln a) for a = ((ua >>> 8) + 1) 2^-24, lane by lane: the bits of the scalar
 * Mathf.sqrt(-2 * log_f32(u01c_f32(ua))). k = (ua >>> 8) + 1 in [1, 2^24] converts exactly (the signed
 * conversion: the unsigned one costs ~8 instructions on x86 without AVX-512), and a = k 2^-24 is k with
 * its exponent field lowered by 24 (a >= 2^-24 is normal), so a itself is never formed. Cephes' range
 * reduction (math.ts: a = m 2^e, m in [1/2, 1); below sqrt(1/2), m doubled and e decremented) then
 * comes from one integer subtraction, as in musl's logf: ix = bits(a) - bits(sqrt(1/2)) has the final
 * exponent in its top bits (e = ix >> 23, arithmetic) and 1 + t = the float with the bits
 * (ix & 0x7fffff) + bits(sqrt(1/2)) (m or 2m, exactly). The polynomial is math.ts's, on the same t, fe.
 */
// @ts-ignore: decorator
@inline export function radius_v128(ua: v128): v128 {
  const k = f32x4.convert_i32x4_s(i32x4.add(i32x4.shr_u(ua, 8), i32x4.splat(1)));
  const ix = i32x4.sub(k, i32x4.splat(SQRTHF_BITS + (24 << 23)));
  const fe = f32x4.convert_i32x4_s(i32x4.shr_s(ix, 23));
  const w = i32x4.add(v128.and(ix, i32x4.splat(0x007fffff)), i32x4.splat(SQRTHF_BITS));
  const t = f32x4.sub(w, f32x4.splat(<f32>1.0));
  return f32x4.sqrt(f32x4.mul(f32x4.splat(<f32>-2.0), log_poly_v128(t, fe)));
}

/**
 * theta = 2 pi b, b = (ub >>> 8) 2^-24: fr(TWO_PI * fr(j * 2^-24)) = fr(j * (TWO_PI 2^-24)) for the
 * integer j, since scaling by a power of two is exact here (no result is subnormal), so one multiply.
 */
// @ts-ignore: decorator
@inline export function angle_v128(ub: v128): v128 {
  return f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(ub, 8)), f32x4.splat(reinterpret<f32>(TWO_PI_M24_BITS)));
}

/**
 * The last step of Box-Muller for one word pair of 4 blocks (lane = block): r cos theta when `even`, else
 * r sin theta, from the radius r, the polynomials s = sin x, c = cos x of the reduced angle x and
 * kk = k + 1.5 2^23 (the quadrant k, an exact integer 0..4, then sits in the low mantissa bits), lane by
 * lane the bits of gaussian_lane_f32. For odd k, sin and cos swap (one masked xor swap instead of two
 * selects); the sign of sin is bit 1 of k, that of cos bit 1 of k + 1 (= bit 1 xor bit 0 of k), applied to
 * the polynomial before the product as trig.ts does.
 */
// @ts-ignore: decorator
@inline export function box_muller_fix_v128(r: v128, s: v128, c: v128, kk: v128, even: bool): v128 {
  const odd = i32x4.shl(kk, 31); //                         bit 0 of k, at the sign
  const swap = v128.and(v128.xor(s, c), i32x4.shr_s(odd, 31));
  const sign_s = i32x4.shl(i32x4.shr_u(kk, 1), 31); //      bit 1 of k, at the sign
  return even
    ? f32x4.mul(r, v128.xor(v128.xor(c, swap), v128.xor(sign_s, odd)))
    : f32x4.mul(r, v128.xor(v128.xor(s, swap), sign_s));
}

/** k + 1.5 2^23 for the quadrant k of trig_quadrant_v128: k, two's complement, in the low mantissa bits. */
// @ts-ignore: decorator
@inline export function quadrant_bits_v128(k: v128): v128 {
  return f32x4.add(k, f32x4.splat(<f32>12582912.0));
}

/**
 * Box-Muller of 4 blocks whose Philox words are staged lane-transposed at p (64 bytes, as written by
 * philox4x32_10_x4), then p[j] = base_j + scale * z_j for the 16 stream elements, in stream order.
 */
// @ts-ignore: decorator
@inline function gaussian_staged_x16(
  p: usize, b0: v128, b1: v128, b2: v128, b3: v128, scale: f32,
): void {
  // pair (word 0, word 1) -> z0, z1 of each block
  const r01 = radius_v128(v128.load(p));
  const t01 = angle_v128(v128.load(p, 16));
  const k01 = trig_quadrant_v128(t01);
  const x01 = trig_reduce_v128(t01, k01);
  const zz01 = f32x4.mul(x01, x01);
  const s01 = trig_sin_poly_v128(x01, zz01);
  const c01 = trig_cos_poly_v128(zz01);
  const kk01 = quadrant_bits_v128(k01);
  const z0 = box_muller_fix_v128(r01, s01, c01, kk01, true);
  const z1 = box_muller_fix_v128(r01, s01, c01, kk01, false);
  // pair (word 2, word 3) -> z2, z3
  const r23 = radius_v128(v128.load(p, 32));
  const t23 = angle_v128(v128.load(p, 48));
  const k23 = trig_quadrant_v128(t23);
  const x23 = trig_reduce_v128(t23, k23);
  const zz23 = f32x4.mul(x23, x23);
  const s23 = trig_sin_poly_v128(x23, zz23);
  const c23 = trig_cos_poly_v128(zz23);
  const kk23 = quadrant_bits_v128(k23);
  const z2 = box_muller_fix_v128(r23, s23, c23, kk23, true);
  const z3 = box_muller_fix_v128(r23, s23, c23, kk23, false);
  // lane = block  ->  stream order (block j = z0[j], z1[j], z2[j], z3[j])
  const t0 = i32x4.shuffle(z0, z1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(z0, z1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(z2, z3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(z2, z3, 2, 6, 3, 7);
  const sc = f32x4.splat(scale);
  v128.store(p, f32x4.add(b0, f32x4.mul(sc, i32x4.shuffle(t0, t2, 0, 1, 4, 5))));
  v128.store(p, f32x4.add(b1, f32x4.mul(sc, i32x4.shuffle(t0, t2, 2, 3, 6, 7))), 16);
  v128.store(p, f32x4.add(b2, f32x4.mul(sc, i32x4.shuffle(t1, t3, 0, 1, 4, 5))), 32);
  v128.store(p, f32x4.add(b3, f32x4.mul(sc, i32x4.shuffle(t1, t3, 2, 3, 6, 7))), 48);
}

/** The base vector of output vector v: p[v] itself when accumulating, else splat(shift). */
// @ts-ignore: decorator
@inline function base_v128(p: usize, v: i32, shift: f32, accumulate: bool): v128 {
  return accumulate ? v128.load(p + (<usize>v << 4)) : f32x4.splat(shift);
}

/**
 * 32 consecutive elements from element 4*blk (8 blocks, interleaved Philox): p[j] = base_j + scale * z_j,
 * base_j = p[j] when `accumulate`, else `shift`. The Philox words are staged in p itself on the way, so
 * the old values are read first.
 */
// @ts-ignore: decorator
@inline function gaussian_x32(
  p: usize, blk: u64, k0: u32, k1: u32, w2: u32, w3: u32, shift: f32, scale: f32, accumulate: bool,
): void {
  const a0 = base_v128(p, 0, shift, accumulate), a1 = base_v128(p, 1, shift, accumulate);
  const a2 = base_v128(p, 2, shift, accumulate), a3 = base_v128(p, 3, shift, accumulate);
  const a4 = base_v128(p, 4, shift, accumulate), a5 = base_v128(p, 5, shift, accumulate);
  const a6 = base_v128(p, 6, shift, accumulate), a7 = base_v128(p, 7, shift, accumulate);
  const w2v = i32x4.splat(w2), w3v = i32x4.splat(w3);
  const lo = block_lo_x4(blk), lo4 = block_lo_x4(blk + 4);
  philox4x32_10_x8(p,
    lo, block_hi_x4(blk, lo), w2v, w3v,
    lo4, block_hi_x4(blk + 4, lo4), w2v, w3v, k0, k1);
  gaussian_staged_x16(p, a0, a1, a2, a3, scale);
  gaussian_staged_x16(p + 64, a4, a5, a6, a7, scale);
}

/** 16 consecutive elements from element 4*blk (4 blocks): as gaussian_x32. */
// @ts-ignore: decorator
@inline function gaussian_x16(
  p: usize, blk: u64, k0: u32, k1: u32, w2: u32, w3: u32, shift: f32, scale: f32, accumulate: bool,
): void {
  const a0 = base_v128(p, 0, shift, accumulate), a1 = base_v128(p, 1, shift, accumulate);
  const a2 = base_v128(p, 2, shift, accumulate), a3 = base_v128(p, 3, shift, accumulate);
  const lo = block_lo_x4(blk);
  philox4x32_10_x4(p, lo, block_hi_x4(blk, lo), i32x4.splat(w2), i32x4.splat(w3), k0, k1);
  gaussian_staged_x16(p, a0, a1, a2, a3, scale);
}

/** Uniforms of 4 blocks staged lane-transposed at p: p[j] = lo + span * u_j in stream order. */
// @ts-ignore: decorator
@inline function uniform_staged_x16(p: usize, lo: f32, span: f32): void {
  const x0 = v128.load(p), x1 = v128.load(p, 16), x2 = v128.load(p, 32), x3 = v128.load(p, 48);
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  const l = f32x4.splat(lo), s = f32x4.splat(span), m = f32x4.splat(TWO_M24);
  const o0 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(i32x4.shuffle(t0, t2, 0, 1, 4, 5), 8)), m);
  const o1 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(i32x4.shuffle(t0, t2, 2, 3, 6, 7), 8)), m);
  const o2 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(i32x4.shuffle(t1, t3, 0, 1, 4, 5), 8)), m);
  const o3 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(i32x4.shuffle(t1, t3, 2, 3, 6, 7), 8)), m);
  v128.store(p, f32x4.add(l, f32x4.mul(s, o0)));
  v128.store(p, f32x4.add(l, f32x4.mul(s, o1)), 16);
  v128.store(p, f32x4.add(l, f32x4.mul(s, o2)), 32);
  v128.store(p, f32x4.add(l, f32x4.mul(s, o3)), 48);
}

// ================================================================ stream fills

// Head (up to the next block boundary) and tail (fewer than 16 left): one scalar Philox per block.
// @ts-ignore: decorator
@inline function gaussian_scalar(
  p: usize, e: u64, n: i32, k0: u32, k1: u32, w2: u32, w3: u32, shift: f32, scale: f32, accumulate: bool,
): void {
  let i = 0;
  while (i < n) {
    const blk = e >>> 2;
    const w = philox4x32_10_x1(<u32>blk, <u32>(blk >>> 32), w2, w3, k0, k1);
    for (let j = <i32>(e & 3); j < 4 && i < n; j++, i++, e++) {
      const q = p + (<usize>i << 2);
      const base = accumulate ? load<f32>(q) : shift;
      store<f32>(q, base + scale * gaussian_lane_f32(w, j));
    }
  }
}

// @ts-ignore: decorator
@inline function gaussian_range(
  p: usize, start: u64, n: i32, k0: u32, k1: u32, w2: u32, w3: u32, shift: f32, scale: f32, accumulate: bool,
): void {
  if (n <= 0) return;
  const head = min<i32>(n, <i32>((4 - (start & 3)) & 3));
  gaussian_scalar(p, start, head, k0, k1, w2, w3, shift, scale, accumulate);
  let i = head;
  for (; i + 32 <= n; i += 32) {
    gaussian_x32(p + (<usize>i << 2), (start + <u64>i) >>> 2, k0, k1, w2, w3, shift, scale, accumulate);
  }
  for (; i + 16 <= n; i += 16) {
    gaussian_x16(p + (<usize>i << 2), (start + <u64>i) >>> 2, k0, k1, w2, w3, shift, scale, accumulate);
  }
  gaussian_scalar(p + (<usize>i << 2), start + <u64>i, n - i, k0, k1, w2, w3, shift, scale, accumulate);
}

/**
 * p[j] = shift + scale * z(start + j), j < n: standard normals z of stream (k0, k1, w2, w3), scaled.
 * Each value is rounded twice (the product, then the sum), identically on every path.
 */
export function gaussian_fill_f32(
  p: usize, start: u64, n: i32, shift: f32, scale: f32, k0: u32, k1: u32, w2: u32, w3: u32,
): void {
  gaussian_range(p, start, n, k0, k1, w2, w3, shift, scale, false);
}

/** p[j] = p[j] + scale * z(start + j), j < n: adds scaled stream normals in place (gradient noise). */
export function gaussian_add_f32(
  p: usize, start: u64, n: i32, scale: f32, k0: u32, k1: u32, w2: u32, w3: u32,
): void {
  gaussian_range(p, start, n, k0, k1, w2, w3, 0, scale, true);
}

/**
 * p[j] = lo + (hi - lo) * u(start + j), u in [0, 1) of stream (k0, k1, w2, w3). hi - lo is rounded to f32
 * once; the result lies in [lo, hi] (hi only through rounding of the last step).
 */
export function uniform_fill_f32(
  p: usize, start: u64, n: i32, lo: f32, hi: f32, k0: u32, k1: u32, w2: u32, w3: u32,
): void {
  if (n <= 0) return;
  const span = hi - lo;
  let i = 0;
  let e = start;
  // scalar head up to the block boundary
  for (; i < n && (e & 3) != 0; i++, e++) {
    store<f32>(p + (<usize>i << 2), lo + span * uniform_at_f32(e, k0, k1, w2, w3));
  }
  const w2v = i32x4.splat(w2), w3v = i32x4.splat(w3);
  for (; i + 32 <= n; i += 32, e += 32) {
    const q = p + (<usize>i << 2);
    const blk = e >>> 2;
    const c0 = block_lo_x4(blk), d0 = block_lo_x4(blk + 4);
    philox4x32_10_x8(q, c0, block_hi_x4(blk, c0), w2v, w3v, d0, block_hi_x4(blk + 4, d0), w2v, w3v, k0, k1);
    uniform_staged_x16(q, lo, span);
    uniform_staged_x16(q + 64, lo, span);
  }
  for (; i + 16 <= n; i += 16, e += 16) {
    const q = p + (<usize>i << 2);
    const c0 = block_lo_x4(e >>> 2);
    philox4x32_10_x4(q, c0, block_hi_x4(e >>> 2, c0), w2v, w3v, k0, k1);
    uniform_staged_x16(q, lo, span);
  }
  // tail: one Philox per block
  while (i < n) {
    const blk = e >>> 2;
    const w = philox4x32_10_x1(<u32>blk, <u32>(blk >>> 32), w2, w3, k0, k1);
    for (let j = 0; j < 4 && i < n; j++, i++, e++) {
      store<f32>(p + (<usize>i << 2), lo + span * u01_f32(word_u32(w, j)));
    }
  }
}
