// sin and cos in f32 for the Box-Muller transform, scalar and f32x4, bit-identical per lane.
//
// Domain: x in [0, 2*pi) (the angle 2*pi*u of Box-Muller with u in [0, 1)). Slightly negative x and x up to
// ~8 are still reduced exactly (see below); larger |x| is not supported.
//
// Method (the Cephes sinf/cosf scheme, S. L. Moshier, Cephes Math Library 2.x):
//   k = floor(x * 2/pi + 1/2)                     nearest quadrant, k in 0..4 on the domain
//   r = ((x - k*P1) - k*P2) - k*P3                 Cody-Waite: P1 + P2 + P3 = pi/2 to ~2^-50 relative;
//                                                  P1 and P2 have <= 12 significant bits, so k*P1, k*P2
//                                                  are exact, and x - k*P1 is exact (Sterbenz), r in
//                                                  [-pi/4, pi/4] up to an ulp
//   sin r = r + r*z*(S1 + z*(S2 + z*S3)),  cos r = 1 - z/2 + z*z*(C1 + z*(C2 + z*C3)),  z = r*r
//   then rotate by k quarter turns: k&1 swaps sin and cos, and the signs follow the quadrant.
// Error, measured in test/assembly/rng.spec.ts against the f64 Math.sin/cos of the same f32 argument on
// 2^20 points of [0, 2*pi): max 8.5e-8 (sin) and 9.3e-8 (cos) absolute; the test asserts 1.2e-7 (1 ulp
// at 1.0). Cephes states ~1 ulp relative on [-pi/4, pi/4].
//
// Bit-exactness contract: the scalar and the f32x4 paths perform the same IEEE f32 operations in the same
// order (+, -, *, floor, exact conversions, sign flips, selections), never FMA, never host Math, so every
// lane of sincos_v128 equals sincos_f32 bit for bit. src/core/philox.ts ports the same sequence to
// TypeScript with Math.fround after each operation.
//
// The building blocks are @inline so the Box-Muller loops in rng.ts keep everything in registers; the two
// exported wrappers write (sin, cos) through a pointer because a function returns one value.

// ---- constants (f32) ----
// @ts-ignore: decorator
@inline const TWO_OVER_PI: f32 = 0.636619772367581343;
// @ts-ignore: decorator
@inline const P1: f32 = 1.5703125; //                   201/128
// @ts-ignore: decorator
@inline const P2: f32 = 4.837512969970703125e-4; //     Cephes DP2 * 2
// @ts-ignore: decorator
@inline const P3: f32 = 7.54978995489188216e-8; //      Cephes DP3 * 2
// @ts-ignore: decorator
@inline const S1: f32 = -1.6666654611e-1;
// @ts-ignore: decorator
@inline const S2: f32 = 8.3321608736e-3;
// @ts-ignore: decorator
@inline const S3: f32 = -1.9515295891e-4;
// @ts-ignore: decorator
@inline const C1: f32 = 4.166664568298827e-2;
// @ts-ignore: decorator
@inline const C2: f32 = -1.388731625493765e-3;
// @ts-ignore: decorator
@inline const C3: f32 = 2.443315711809948e-5;

// ---- scalar building blocks ----

/** Nearest quadrant index of x, as f32 (an integer value). */
// @ts-ignore: decorator
@inline export function trig_quadrant_f32(x: f32): f32 {
  return Mathf.floor(x * TWO_OVER_PI + <f32>0.5);
}

/** x - k*pi/2 in three exact-ish steps. */
// @ts-ignore: decorator
@inline export function trig_reduce_f32(x: f32, k: f32): f32 {
  return ((x - k * P1) - k * P2) - k * P3;
}

/** sin of the reduced argument r, z = r*r. */
// @ts-ignore: decorator
@inline export function trig_sin_poly_f32(r: f32, z: f32): f32 {
  return r + r * z * (S1 + z * (S2 + z * S3));
}

/** cos of the reduced argument, z = r*r. */
// @ts-ignore: decorator
@inline export function trig_cos_poly_f32(z: f32): f32 {
  return (<f32>1.0 - z * <f32>0.5) + z * z * (C1 + z * (C2 + z * C3));
}

/** sin x from the quadrant q = k & 3 and the polynomials s = sin r, c = cos r. */
// @ts-ignore: decorator
@inline export function trig_sin_fix_f32(q: i32, s: f32, c: f32): f32 {
  const v = (q & 1) != 0 ? c : s;
  return (q & 2) != 0 ? -v : v;
}

/** cos x from the quadrant q = k & 3 and the polynomials s = sin r, c = cos r. */
// @ts-ignore: decorator
@inline export function trig_cos_fix_f32(q: i32, s: f32, c: f32): f32 {
  const v = (q & 1) != 0 ? s : c;
  return ((q + 1) & 2) != 0 ? -v : v;
}

// ---- f32x4 building blocks (the same operations per lane) ----

// @ts-ignore: decorator
@inline export function trig_quadrant_v128(x: v128): v128 {
  return f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(TWO_OVER_PI)), f32x4.splat(0.5)));
}

// @ts-ignore: decorator
@inline export function trig_reduce_v128(x: v128, k: v128): v128 {
  const a = f32x4.sub(x, f32x4.mul(k, f32x4.splat(P1)));
  const b = f32x4.sub(a, f32x4.mul(k, f32x4.splat(P2)));
  return f32x4.sub(b, f32x4.mul(k, f32x4.splat(P3)));
}

// @ts-ignore: decorator
@inline export function trig_sin_poly_v128(r: v128, z: v128): v128 {
  let p = f32x4.add(f32x4.splat(S2), f32x4.mul(z, f32x4.splat(S3)));
  p = f32x4.add(f32x4.splat(S1), f32x4.mul(z, p));
  return f32x4.add(r, f32x4.mul(f32x4.mul(r, z), p));
}

// @ts-ignore: decorator
@inline export function trig_cos_poly_v128(z: v128): v128 {
  let p = f32x4.add(f32x4.splat(C2), f32x4.mul(z, f32x4.splat(C3)));
  p = f32x4.add(f32x4.splat(C1), f32x4.mul(z, p));
  const h = f32x4.sub(f32x4.splat(1.0), f32x4.mul(z, f32x4.splat(0.5)));
  return f32x4.add(h, f32x4.mul(f32x4.mul(z, z), p));
}

/** q = k & 3 as i32x4, from the f32 quadrant k (an exact small integer, so truncation is exact). */
// @ts-ignore: decorator
@inline export function trig_q_v128(k: v128): v128 {
  return v128.and(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(3));
}

// @ts-ignore: decorator
@inline export function trig_sin_fix_v128(q: v128, s: v128, c: v128): v128 {
  const swap = i32x4.ne(v128.and(q, i32x4.splat(1)), i32x4.splat(0));
  const v = v128.bitselect(c, s, swap);
  return v128.xor(v, i32x4.shl(v128.and(q, i32x4.splat(2)), 30)); // bit 1 of q -> sign bit
}

// @ts-ignore: decorator
@inline export function trig_cos_fix_v128(q: v128, s: v128, c: v128): v128 {
  const swap = i32x4.ne(v128.and(q, i32x4.splat(1)), i32x4.splat(0));
  const v = v128.bitselect(s, c, swap);
  const q1 = i32x4.add(q, i32x4.splat(1));
  return v128.xor(v, i32x4.shl(v128.and(q1, i32x4.splat(2)), 30));
}

// ---- exported wrappers ----

/** Writes sin x to out and cos x to out + 4 (f32). */
export function sincos_f32(out: usize, x: f32): void {
  const k = trig_quadrant_f32(x);
  const r = trig_reduce_f32(x, k);
  const z = r * r;
  const s = trig_sin_poly_f32(r, z);
  const c = trig_cos_poly_f32(z);
  const q = <i32>k & 3;
  store<f32>(out, trig_sin_fix_f32(q, s, c));
  store<f32>(out, trig_cos_fix_f32(q, s, c), 4);
}

/** Writes the four sines to out and the four cosines to out + 16 (f32x4). */
// @ts-ignore: decorator
@inline export function sincos_v128(out: usize, x: v128): void {
  const k = trig_quadrant_v128(x);
  const r = trig_reduce_v128(x, k);
  const z = f32x4.mul(r, r);
  const s = trig_sin_poly_v128(r, z);
  const c = trig_cos_poly_v128(z);
  const q = trig_q_v128(k);
  v128.store(out, trig_sin_fix_v128(q, s, c));
  v128.store(out, trig_cos_fix_v128(q, s, c), 16);
}

/** sincos_v128 through memory, callable from JS: 4 f32 angles at x -> 4 sines at out, 4 cosines at out + 16. */
export function sincos_x4_f32(out: usize, x: usize): void {
  sincos_v128(out, v128.load(x));
}
