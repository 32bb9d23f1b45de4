// assembly/math.ts
// The module's own f32 transcendentals: exp, log, tanh, sigmoid, each as a scalar f32 function and as an
// f32x4 (v128) function. We never call the host's Math: JS engines may differ in the last bits, and
// training must give the same bits in every engine.
//
// Contract
//   * The v128 version of each function performs EXACTLY the same sequence of f32 operations on every
//     lane as the scalar version (same constants, same order, same roundings), so a SIMD kernel and its
//     scalar _ref twin produce identical bits. Only deterministic wasm operations are used: + - * /,
//     min/max (pmin/pmax in the f32x4 forms, equal on every lane that is not NaN), abs/neg, nearest,
//     int<->float conversion, bit reinterpretation, compares and selects.
//     No relaxed SIMD, no fused multiply-add.
//   * NaN in -> the same NaN out, bit for bit (a final select returns the input), so even NaN results
//     are reproducible; wasm arithmetic alone leaves NaN sign/payload unspecified.
//   * Branch-free in both versions: every branch of a piecewise formula is evaluated and the lanes pick
//     one with a select, so the scalar code is a literal transcription of one vector lane.
//
// Approximations (range reduction + polynomial; coefficients are those of the Cephes single-precision
// library, S. L. Moshier, "Methods and Programs for Mathematical Functions", 1989: expf.c, logf.c,
// tanhf.c; the branch-free form, clamps and subnormal handling are ours). Max errors measured against
// f64 Math at EVERY f32 in the range (-O3 build, scalar and v128 agreeing on all of them), in ulps of
// the exact result's f32 binade (subnormal spacing below 2^-126):
//   exp_f32      0.99 ulp on [-103.9, 88.72], subnormal results included. +Inf for x >= 88.722839
//                (first f32 above ln FLT_MAX), +0 for x <= -103.972 (below 2^-150), exp(+-0) = 1.
//                n = nearest(x log2 e), r = x - n ln2 (Cody-Waite, 2 constants), e^r = 1 + r + r^2 P(r)
//                with a degree-5 P on |r| <= ln2/2, times 2^n applied as two exact powers of two
//                2^(n >> 1) 2^(n - (n >> 1)), so subnormal results are rounded once and n = 128 gives Inf.
//   log_f32      0.83 ulp on (0, 1] (subnormals included) and on [1, FLT_MAX]. log(+-0) = -Inf,
//                log(x < 0) = NaN (0x7fc00000), log(+Inf) = +Inf, log(1) = +0. x = m 2^e with m in
//                [sqrt(1/2), sqrt 2), t = m - 1 exactly, log(1+t) = t - t^2/2 + t^3 P(t) with a
//                degree-8 P, plus e ln2 in two parts; subnormal x is first scaled by 2^23.
//   tanh_f32     1.33 ulp on [-10, 10]. |x| < 0.625: x + x^3 P(x^2) (degree 4; tiny x returns x);
//                |x| >= 0.625: 1 - 2 / (exp(2|x|) + 1) with |x| clamped to 10. Exactly +-1 for
//                |x| > 9.011 (the correctly rounded tanh saturates there too) and for +-Inf;
//                tanh(-0) = -0; odd by construction (the sign of x is OR-ed into |result|).
//   sigmoid_f32  1.50 ulp on [0, 30], 2.40 ulp on [-103, 0] (subnormal results included).
//                t = exp(-|x|) (never overflows), sigma = (x >= 0 ? 1 : t) / (1 + t): no cancellation on
//                either side. Exactly 1 for x >= 16.64 (1 + t rounds to 1; the correctly rounded value
//                reaches 1 at 17.33), +0 for x <= -103.98, sigma(+-0) = 0.5, sigma(+-Inf) = 1 / +0.
// test/assembly/math.spec.ts asserts these bounds (1.0, 1.0, 1.5, 2.5 ulp) on strided sweeps.

// ---- shared constants (f32; typed explicitly so no literal is ever evaluated in f64) ----
const INF: f32 = Infinity;
const QNAN_BITS: i32 = 0x7fc00000;
const SIGN_BITS: i32 = 0x80000000;

// exp
const EXP_HI: f32 = 89.0; //    above ln(FLT_MAX) = 88.7228: clamped, still gives n = 128 -> Inf
const EXP_LO: f32 = -104.0; //  below ln(2^-150) = -103.97: clamped, rounds to +0
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375; //       9 significant bits: n * LN2_HI is exact for |n| <= 2^15
const LN2_LO: f32 = -2.12194440e-4; //    LN2_HI + LN2_LO = ln 2
const EP0: f32 = 1.9875691500e-4;
const EP1: f32 = 1.3981999507e-3;
const EP2: f32 = 8.3334519073e-3;
const EP3: f32 = 4.1665795894e-2;
const EP4: f32 = 1.6666665459e-1;
const EP5: f32 = 5.0000001201e-1;
const MAGIC: f32 = 12582912.0; //  1.5 * 2^23: n + MAGIC has n in its low mantissa bits for |n| < 2^22
const MAGIC_BITS: i32 = 0x4b400000;

// log
const MIN_NORMAL: f32 = 1.17549435e-38; // 2^-126
const TWO23: f32 = 8388608.0; //           2^23, lifts subnormals into the normal range
const SQRTHF: f32 = 0.707106781186547524;
const LP0: f32 = 7.0376836292e-2;
const LP1: f32 = -1.1514610310e-1;
const LP2: f32 = 1.1676998740e-1;
const LP3: f32 = -1.2420140846e-1;
const LP4: f32 = 1.4249322787e-1;
const LP5: f32 = -1.6668057665e-1;
const LP6: f32 = 2.0000714765e-1;
const LP7: f32 = -2.4999993993e-1;
const LP8: f32 = 3.3333331174e-1;
const MHALF: f32 = -0.5;

// tanh
const TANH_SMALL: f32 = 0.625;
const TANH_CLAMP: f32 = 10.0; //   tanh(10) rounds to 1 in f32; keeps exp() finite for |x| = Inf
const TP0: f32 = -5.70498872745e-3;
const TP1: f32 = 2.06390887954e-2;
const TP2: f32 = -5.37397155531e-2;
const TP3: f32 = 1.33314422036e-1;
const TP4: f32 = -3.33332819422e-1;

// ================================================================ exp
@inline
export function exp_f32(x: f32): f32 {
  const xc = max<f32>(min<f32>(x, EXP_HI), EXP_LO);
  const n = nearest<f32>(xc * LOG2E);
  let r = xc - n * LN2_HI;
  r = r - n * LN2_LO;
  const z = r * r;
  let p = EP0 * r + EP1;
  p = p * r + EP2;
  p = p * r + EP3;
  p = p * r + EP4;
  p = p * r + EP5;
  const y = p * z + r + <f32>1.0;
  // 2^n = 2^n1 * 2^n2, both normal for n in [-150, 128]; NaN -> 0 by the saturating conversion
  const ni = <i32>n;
  const n1 = ni >> 1;
  const n2 = ni - n1;
  const s1 = reinterpret<f32>((n1 + 127) << 23);
  const s2 = reinterpret<f32>((n2 + 127) << 23);
  const res = y * s1 * s2;
  return select<f32>(x, res, x != x);
}

// The f32x4 forms use pmin/pmax (x86's minps/maxps, one instruction in V8; min/max's NaN and signed-zero
// rules cost about seven) and convert the integral n to i32 through the bits of n + 1.5 * 2^23 instead of
// trunc_sat (about six instructions): both agree with the scalar forms on every non-NaN lane, and NaN lanes
// end as the input NaN by the final select. bench/math-v128.mjs compares them with the previous forms
// (min/max, trunc_sat) at all 2^32 inputs: the same bits.
@inline
export function exp_v128(x: v128): v128 {
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(f32x4.splat(EP0), r), f32x4.splat(EP1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP5));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, z), r), f32x4.splat(<f32>1.0));
  // n is an integer in [-150, 128]: n + 1.5 * 2^23 holds it exactly in the low mantissa bits
  const ni = i32x4.sub(f32x4.add(n, f32x4.splat(MAGIC)), i32x4.splat(MAGIC_BITS));
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  const res = f32x4.mul(f32x4.mul(y, s1), s2);
  return v128.bitselect(x, res, f32x4.ne(x, x));
}

// ================================================================ log
@inline
export function log_f32(x: f32): f32 {
  const sub = x < MIN_NORMAL;
  const xs = select<f32>(x * TWO23, x, sub);
  const bits = reinterpret<i32>(xs);
  const e = (bits >> 23) - 126 + select<i32>(-23, 0, sub);
  const m = reinterpret<f32>((bits & 0x007fffff) | 0x3f000000); // [0.5, 1)
  const lo = m < SQRTHF;
  const fe = <f32>e - select<f32>(<f32>1.0, <f32>0.0, lo);
  const t = select<f32>(m + m, m, lo) - <f32>1.0; // exact, in [sqrt(1/2) - 1, sqrt(2) - 1)
  const z = t * t;
  let p = LP0 * t + LP1;
  p = p * t + LP2;
  p = p * t + LP3;
  p = p * t + LP4;
  p = p * t + LP5;
  p = p * t + LP6;
  p = p * t + LP7;
  p = p * t + LP8;
  let y = p * t * z;
  y = y + fe * LN2_LO;
  y = y + MHALF * z;
  let r = t + y;
  r = r + fe * LN2_HI;
  r = select<f32>(r, x, x < INF); //                    +Inf -> +Inf, NaN -> the same NaN
  r = select<f32>(-INF, r, x == 0);
  return select<f32>(reinterpret<f32>(QNAN_BITS), r, x < 0);
}

/**
 * The second half of log_v128: log x = log(1 + t) + fe ln 2 from the reduced argument t (x = (1 + t) 2^fe,
 * 1 + t in [sqrt(1/2), sqrt(2)), t exact) and the exponent fe (an exact integer). Shared with rng.ts's
 * Box-Muller radius, which does the range reduction its own way (same t and fe, so the same bits).
 */
// @ts-ignore: decorator
@inline export function log_poly_v128(t: v128, fe: v128): v128 {
  const z = f32x4.mul(t, t);
  let p = f32x4.add(f32x4.mul(f32x4.splat(LP0), t), f32x4.splat(LP1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(LP2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(LP3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(LP4));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(LP5));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(LP6));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(LP7));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(LP8));
  let y = f32x4.mul(f32x4.mul(p, t), z);
  y = f32x4.add(y, f32x4.mul(fe, f32x4.splat(LN2_LO)));
  y = f32x4.add(y, f32x4.mul(f32x4.splat(MHALF), z));
  const r = f32x4.add(t, y);
  return f32x4.add(r, f32x4.mul(fe, f32x4.splat(LN2_HI)));
}

// The core of log_v128 for normal, positive, finite lanes xs whose exponent field is off by `eadj`
// (-23 for lanes lifted from subnormals, else 0): range reduction and the polynomial, no special values.
// @ts-ignore: decorator
@inline function log_core_v128(xs: v128, eadj: v128): v128 {
  const e = i32x4.add(i32x4.sub(i32x4.shr_s(xs, 23), i32x4.splat(126)), eadj);
  const m = v128.or(v128.and(xs, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  const lo = f32x4.lt(m, f32x4.splat(SQRTHF));
  const one = f32x4.splat(<f32>1.0);
  const fe = f32x4.sub(f32x4.convert_i32x4_s(e), v128.and(one, lo));
  const t = f32x4.sub(v128.bitselect(f32x4.add(m, m), m, lo), one);
  return log_poly_v128(t, fe);
}

@inline
export function log_v128(x: v128): v128 {
  const sub = f32x4.lt(x, f32x4.splat(MIN_NORMAL));
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(TWO23)), x, sub);
  let r = log_core_v128(xs, v128.and(i32x4.splat(-23), sub));
  r = v128.bitselect(r, x, f32x4.lt(x, f32x4.splat(INF)));
  r = v128.bitselect(f32x4.splat(-INF), r, f32x4.eq(x, f32x4.splat(<f32>0.0)));
  return v128.bitselect(i32x4.splat(QNAN_BITS), r, f32x4.lt(x, f32x4.splat(<f32>0.0)));
}

// ================================================================ tanh
@inline
export function tanh_f32(x: f32): f32 {
  const ax = abs<f32>(x);
  // small |x|: odd polynomial, no cancellation
  const z = ax * ax;
  let p = TP0 * z + TP1;
  p = p * z + TP2;
  p = p * z + TP3;
  p = p * z + TP4;
  const small = p * z * ax + ax;
  // large |x|: 1 - 2 / (e^{2|x|} + 1), the clamp makes the result exactly 1 from |x| ~ 9.1 on
  const ac = min<f32>(ax, TANH_CLAMP);
  const e = exp_f32(ac + ac);
  const large = <f32>1.0 - <f32>2.0 / (e + <f32>1.0);
  const r = select<f32>(small, large, ax < TANH_SMALL);
  // both branches are >= +0, so OR-ing in the sign of x gives an odd function (and tanh(-0) = -0)
  const s = reinterpret<f32>(reinterpret<i32>(r) | (reinterpret<i32>(x) & SIGN_BITS));
  return select<f32>(x, s, x != x);
}

@inline
export function tanh_v128(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(ax, ax);
  let p = f32x4.add(f32x4.mul(f32x4.splat(TP0), z), f32x4.splat(TP1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TP2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TP3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TP4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), ax), ax);
  const ac = f32x4.pmin(ax, f32x4.splat(TANH_CLAMP));
  const e = exp_v128(f32x4.add(ac, ac));
  const one = f32x4.splat(<f32>1.0);
  const large = f32x4.sub(one, f32x4.div(f32x4.splat(<f32>2.0), f32x4.add(e, one)));
  const r = v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(TANH_SMALL)));
  const s = v128.or(r, v128.and(x, i32x4.splat(SIGN_BITS)));
  return v128.bitselect(x, s, f32x4.ne(x, x));
}

// ================================================================ sigmoid
@inline
export function sigmoid_f32(x: f32): f32 {
  // e^{-|x|} <= 1 never overflows; for x < 0, sigma(x) = t / (1 + t) keeps subnormal results
  const t = exp_f32(-abs<f32>(x));
  const num = select<f32>(<f32>1.0, t, x >= 0);
  const r = num / (<f32>1.0 + t);
  return select<f32>(x, r, x != x);
}

@inline
export function sigmoid_v128(x: v128): v128 {
  const t = exp_v128(f32x4.neg(f32x4.abs(x)));
  const one = f32x4.splat(<f32>1.0);
  const num = v128.bitselect(one, t, f32x4.ge(x, f32x4.splat(<f32>0.0)));
  const r = f32x4.div(num, f32x4.add(one, t));
  return v128.bitselect(x, r, f32x4.ne(x, x));
}
