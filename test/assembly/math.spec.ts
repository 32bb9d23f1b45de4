// test/assembly/math.spec.ts
// assembly/math.ts against f64 Math (AssemblyScript's own f64 Math, used here as the oracle only), the
// v128 versions against the scalar ones bit for bit, and the edge cases.
//
// Sweeps walk f32 bit patterns with a fixed stride, so every binade of the range is covered evenly
// (subnormals included). Error is |result - exact| / ulp(exact), exact = the f64 function. Measured
// maxima at every f32 of the same ranges (stride 1, -O3 build): exp 0.99, log 0.83, tanh 1.33,
// sigmoid 1.50 (x >= 0) / 2.40 (x < 0) ulp. The asserted bounds below leave only a little slack.

import {
  exp_f32, exp_v128, log_f32, log_v128, sigmoid_f32, sigmoid_v128, tanh_f32, tanh_v128,
} from "../../assembly/math";

const EXP = 0;
const LOG = 1;
const TANH = 2;
const SIGMOID = 3;

function scalar(k: i32, x: f32): f32 {
  if (k == EXP) return exp_f32(x);
  if (k == LOG) return log_f32(x);
  if (k == TANH) return tanh_f32(x);
  return sigmoid_f32(x);
}

function vector(k: i32, x: v128): v128 {
  if (k == EXP) return exp_v128(x);
  if (k == LOG) return log_v128(x);
  if (k == TANH) return tanh_v128(x);
  return sigmoid_v128(x);
}

function exact(k: i32, x: f64): f64 {
  if (k == EXP) return Math.exp(x);
  if (k == LOG) return Math.log(x);
  if (k == TANH) return Math.tanh(x);
  return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
}

// |r - e| in ulps of the f32 binade of e (subnormal spacing 2^-149 below 2^-126).
function ulpError(r: f32, e: f64): f64 {
  const re = <f32>e;
  if (!isFinite(re)) return r == re ? 0 : Infinity;
  const a = Math.abs(e);
  let ulp: f64 = 1.401298464324817e-45;
  if (a >= 1.1754943508222875e-38) {
    const eb = <i32>((reinterpret<u64>(a) >> 52) & 0x7ff) - 1023;
    ulp = reinterpret<f64>(<u64>(eb - 23 + 1023) << 52);
  }
  return Math.abs(<f64>r - e) / ulp;
}

let worstX: f32 = 0;
let laneMismatches: i32 = 0;

// Max ulp error over |x| in [lo, hi] (bit patterns, given stride), sign taken from neg. Every group of
// four consecutive points also goes through the v128 version, one point per lane, and must match the
// scalar bits exactly.
function sweep(k: i32, lo: f32, hi: f32, stride: u32, neg: bool): f64 {
  const b0 = reinterpret<u32>(lo);
  const b1 = reinterpret<u32>(hi);
  const sign: u32 = neg ? 0x80000000 : 0;
  let worst: f64 = 0;
  worstX = 0;
  laneMismatches = 0;
  for (let b: u64 = b0; b <= <u64>b1; b += <u64>stride * 4) {
    const x0 = reinterpret<f32>(<u32>min<u64>(b, b1) | sign);
    const x1 = reinterpret<f32>(<u32>min<u64>(b + stride, b1) | sign);
    const x2 = reinterpret<f32>(<u32>min<u64>(b + 2 * stride, b1) | sign);
    const x3 = reinterpret<f32>(<u32>min<u64>(b + 3 * stride, b1) | sign);
    const v = vector(k, f32x4(x0, x1, x2, x3));
    const r0 = scalar(k, x0);
    const r1 = scalar(k, x1);
    const r2 = scalar(k, x2);
    const r3 = scalar(k, x3);
    if (reinterpret<u32>(f32x4.extract_lane(v, 0)) != reinterpret<u32>(r0)) laneMismatches++;
    if (reinterpret<u32>(f32x4.extract_lane(v, 1)) != reinterpret<u32>(r1)) laneMismatches++;
    if (reinterpret<u32>(f32x4.extract_lane(v, 2)) != reinterpret<u32>(r2)) laneMismatches++;
    if (reinterpret<u32>(f32x4.extract_lane(v, 3)) != reinterpret<u32>(r3)) laneMismatches++;
    let e = ulpError(r0, exact(k, <f64>x0));
    if (e > worst) { worst = e; worstX = x0; }
    e = ulpError(r1, exact(k, <f64>x1));
    if (e > worst) { worst = e; worstX = x1; }
    e = ulpError(r2, exact(k, <f64>x2));
    if (e > worst) { worst = e; worstX = x2; }
    e = ulpError(r3, exact(k, <f64>x3));
    if (e > worst) { worst = e; worstX = x3; }
  }
  return worst;
}

function checkSweep(k: i32, lo: f32, hi: f32, neg: bool, bound: f64, label: string): void {
  // ~250k points per range keeps the debug build fast; offsets of the stride start vary per range
  const span = reinterpret<u32>(hi) - reinterpret<u32>(lo);
  const stride = max<u32>(1, span / 250000) | 1;
  const w = sweep(k, lo, hi, stride, neg);
  expect(laneMismatches).toBe(0, label + ": v128 lanes differ from the scalar bits");
  expect(w).toBeLessThanOrEqual(bound, label + ": max ulp error " + w.toString() + " at x = " + worstX.toString());
}

// Both versions at once: the scalar result must have bits `want` and every lane of the v128 too.
function expectBits(k: i32, x: f32, want: u32, label: string): void {
  expect(reinterpret<u32>(scalar(k, x))).toBe(want, label + " (scalar)");
  const v = vector(k, f32x4(x, 1, x, -1));
  expect(reinterpret<u32>(f32x4.extract_lane(v, 0))).toBe(want, label + " (v128 lane 0)");
  expect(reinterpret<u32>(f32x4.extract_lane(v, 2))).toBe(want, label + " (v128 lane 2)");
  expect(reinterpret<u32>(f32x4.extract_lane(v, 1))).toBe(reinterpret<u32>(scalar(k, 1)), label + " (lane 1)");
  expect(reinterpret<u32>(f32x4.extract_lane(v, 3))).toBe(reinterpret<u32>(scalar(k, -1)), label + " (lane 3)");
}

const INF_BITS: u32 = 0x7f800000;
const NINF_BITS: u32 = 0xff800000;
const ONE_BITS: u32 = 0x3f800000;
const MONE_BITS: u32 = 0xbf800000;
const QNAN: u32 = 0x7fc00000;
const ODD_NAN: u32 = 0xffc12345; // negative NaN with a payload: must come back unchanged

describe("math: exp", () => {
  it("is within 1.0 ulp over [-103.9, 88.72] (subnormal results included)", () => {
    checkSweep(EXP, 0, 88.72, false, 1.0, "exp+");
    checkSweep(EXP, 0, 103.9, true, 1.0, "exp-");
    checkSweep(EXP, 0.25, 0.5, false, 1.0, "exp [0.25,0.5]"); // a denser look at one reduced interval
  });
  it("overflows to +Inf and underflows to +0 at the f32 limits", () => {
    expectBits(EXP, 88.72283, 0x7f7fff84, "exp(88.72283) is finite");
    expectBits(EXP, 88.722839, INF_BITS, "exp(88.722839) = +Inf");
    expectBits(EXP, 89, INF_BITS, "exp(89)");
    expectBits(EXP, 1e30, INF_BITS, "exp(1e30)");
    expectBits(EXP, Infinity, INF_BITS, "exp(+Inf)");
    expectBits(EXP, -103.972, 1, "exp(-103.972) = 2^-149");
    expectBits(EXP, -104, 0, "exp(-104) = +0");
    expectBits(EXP, -1e30, 0, "exp(-1e30)");
    expectBits(EXP, -Infinity, 0, "exp(-Inf)");
  });
  it("exp(+-0) = 1, exp(1) = e, NaN passes through unchanged", () => {
    expectBits(EXP, 0, ONE_BITS, "exp(0)");
    expectBits(EXP, -0.0, ONE_BITS, "exp(-0)");
    expectBits(EXP, 1, reinterpret<u32>(<f32>Math.E), "exp(1)");
    expectBits(EXP, reinterpret<f32>(QNAN), QNAN, "exp(NaN)");
    expectBits(EXP, reinterpret<f32>(ODD_NAN), ODD_NAN, "exp(-NaN payload)");
  });
});

describe("math: log", () => {
  it("is within 1.0 ulp on (0, 1] (subnormals included) and on [1, FLT_MAX]", () => {
    checkSweep(LOG, reinterpret<f32>(1), 1, false, 1.0, "log (0,1]");
    checkSweep(LOG, 1, reinterpret<f32>(0x7f7fffff), false, 1.0, "log [1,max]");
    checkSweep(LOG, 0.5, 2, false, 1.0, "log [0.5,2]"); // dense near 1, where log is smallest
    checkSweep(LOG, 0.99, 1.01, false, 1.0, "log [0.99,1.01]");
  });
  it("log(0) = -Inf, log(x < 0) = NaN, log(+Inf) = +Inf, log(1) = +0, NaN passes through", () => {
    expectBits(LOG, 0, NINF_BITS, "log(+0)");
    expectBits(LOG, -0.0, NINF_BITS, "log(-0)");
    expectBits(LOG, -1, QNAN, "log(-1)");
    expectBits(LOG, reinterpret<f32>(0x80000001), QNAN, "log(-denormal)");
    expectBits(LOG, -Infinity, QNAN, "log(-Inf)");
    expectBits(LOG, Infinity, INF_BITS, "log(+Inf)");
    expectBits(LOG, 1, 0, "log(1)");
    expectBits(LOG, 2, reinterpret<u32>(<f32>Math.LN2), "log(2)");
    expectBits(LOG, reinterpret<f32>(1), reinterpret<u32>(<f32>(-149.0 * Math.LN2)), "log(2^-149)");
    expectBits(LOG, reinterpret<f32>(QNAN), QNAN, "log(NaN)");
    expectBits(LOG, reinterpret<f32>(ODD_NAN), ODD_NAN, "log(-NaN payload)");
  });
});

describe("math: tanh", () => {
  it("is within 1.5 ulp over [-10, 10], accurate for tiny |x|", () => {
    checkSweep(TANH, 0, 10, false, 1.5, "tanh+");
    checkSweep(TANH, 0, 10, true, 1.5, "tanh-");
    checkSweep(TANH, 0.5, 0.75, false, 1.5, "tanh around the 0.625 switch");
    checkSweep(TANH, reinterpret<f32>(1), 1e-3, false, 1.0, "tanh tiny");
  });
  it("saturates to exactly +-1, is odd, keeps -0, passes NaN", () => {
    expectBits(TANH, 9.1, ONE_BITS, "tanh(9.1)");
    expectBits(TANH, 50, ONE_BITS, "tanh(50)");
    expectBits(TANH, 1e30, ONE_BITS, "tanh(1e30)");
    expectBits(TANH, Infinity, ONE_BITS, "tanh(+Inf)");
    expectBits(TANH, -9.1, MONE_BITS, "tanh(-9.1)");
    expectBits(TANH, -Infinity, MONE_BITS, "tanh(-Inf)");
    expectBits(TANH, 0, 0, "tanh(0)");
    expectBits(TANH, -0.0, 0x80000000, "tanh(-0)");
    expectBits(TANH, reinterpret<f32>(1), 1, "tanh(2^-149)");
    expectBits(TANH, reinterpret<f32>(QNAN), QNAN, "tanh(NaN)");
    expectBits(TANH, reinterpret<f32>(ODD_NAN), ODD_NAN, "tanh(-NaN payload)");
    for (let i = 0; i < 2000; i++) {
      const x = <f32>i * <f32>0.00731;
      expect(reinterpret<u32>(tanh_f32(-x))).toBe(reinterpret<u32>(tanh_f32(x)) ^ 0x80000000, "odd");
    }
  });
});

describe("math: sigmoid", () => {
  it("is within 2.5 ulp over [-103, 30] (subnormal results included)", () => {
    checkSweep(SIGMOID, 0, 30, false, 2.5, "sigmoid+");
    checkSweep(SIGMOID, 0, 103, true, 2.5, "sigmoid-");
    checkSweep(SIGMOID, 1, 8, true, 2.5, "sigmoid [-8,-1]");
  });
  it("saturates to exactly 1 and +0, sigmoid(0) = 0.5, passes NaN", () => {
    expectBits(SIGMOID, 17, ONE_BITS, "sigmoid(17)");
    expectBits(SIGMOID, Infinity, ONE_BITS, "sigmoid(+Inf)");
    expectBits(SIGMOID, -105, 0, "sigmoid(-105)");
    expectBits(SIGMOID, -Infinity, 0, "sigmoid(-Inf)");
    expectBits(SIGMOID, 0, 0x3f000000, "sigmoid(0)");
    expectBits(SIGMOID, -0.0, 0x3f000000, "sigmoid(-0)");
    expectBits(SIGMOID, reinterpret<f32>(QNAN), QNAN, "sigmoid(NaN)");
    expectBits(SIGMOID, reinterpret<f32>(ODD_NAN), ODD_NAN, "sigmoid(-NaN payload)");
  });
  it("satisfies sigmoid(-x) ~ 1 - sigmoid(x) and sigmoid = (1 + tanh(x / 2)) / 2 to a few ulps", () => {
    for (let i = 0; i < 4000; i++) {
      const x = <f32>(i - 2000) * <f32>0.00517;
      const s = <f64>sigmoid_f32(x);
      expect(Math.abs(s + <f64>sigmoid_f32(-x) - 1.0)).toBeLessThanOrEqual(3e-7, "symmetry");
      expect(Math.abs(s - 0.5 * (1.0 + <f64>tanh_f32(x * <f32>0.5)))).toBeLessThanOrEqual(3e-7, "tanh identity");
    }
  });
});
