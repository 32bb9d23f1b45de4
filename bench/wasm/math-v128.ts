// bench/wasm/math-v128.ts: the entry of bench/math-v128.mjs. It compares assembly/math.ts's f32x4 exp, tanh
// and sigmoid with their previous forms, copied verbatim below (f32x4.min/max and trunc_sat, before the
// pmin/pmax + 1.5 * 2^23 rewrite), bit for bit at every f32, and times both. Not part of the core's ABI.
import { exp_v128, sigmoid_v128, tanh_v128 } from "../../assembly/math";

// ---- the previous forms (assembly/math.ts before the rewrite), constants included
const EXP_HI: f32 = 89.0;
const EXP_LO: f32 = -104.0;
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EP0: f32 = 1.9875691500e-4;
const EP1: f32 = 1.3981999507e-3;
const EP2: f32 = 8.3334519073e-3;
const EP3: f32 = 4.1665795894e-2;
const EP4: f32 = 1.6666665459e-1;
const EP5: f32 = 5.0000001201e-1;
const SIGN_BITS: i32 = 0x80000000;
const TANH_SMALL: f32 = 0.625;
const TANH_CLAMP: f32 = 10.0;
const TP0: f32 = -5.70498872745e-3;
const TP1: f32 = 2.06390887954e-2;
const TP2: f32 = -5.37397155531e-2;
const TP3: f32 = 1.33314422036e-1;
const TP4: f32 = -3.33332819422e-1;

@inline
function exp_before(x: v128): v128 {
  const xc = f32x4.max(f32x4.min(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
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
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  const res = f32x4.mul(f32x4.mul(y, s1), s2);
  return v128.bitselect(x, res, f32x4.ne(x, x));
}

@inline
function tanh_before(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(ax, ax);
  let p = f32x4.add(f32x4.mul(f32x4.splat(TP0), z), f32x4.splat(TP1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TP2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TP3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(TP4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), ax), ax);
  const ac = f32x4.min(ax, f32x4.splat(TANH_CLAMP));
  const e = exp_before(f32x4.add(ac, ac));
  const one = f32x4.splat(<f32>1.0);
  const large = f32x4.sub(one, f32x4.div(f32x4.splat(<f32>2.0), f32x4.add(e, one)));
  const r = v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(TANH_SMALL)));
  const s = v128.or(r, v128.and(x, i32x4.splat(SIGN_BITS)));
  return v128.bitselect(x, s, f32x4.ne(x, x));
}

@inline
function sigmoid_before(x: v128): v128 {
  const t = exp_before(f32x4.neg(f32x4.abs(x)));
  const one = f32x4.splat(<f32>1.0);
  const num = v128.bitselect(one, t, f32x4.ge(x, f32x4.splat(<f32>0.0)));
  const r = f32x4.div(num, f32x4.add(one, t));
  return v128.bitselect(x, r, f32x4.ne(x, x));
}

// ---- checks and timing. fn: 0 exp, 1 tanh, 2 sigmoid.
// @ts-ignore: decorator
@inline function now(fn: i32, x: v128): v128 {
  return fn == 0 ? exp_v128(x) : fn == 1 ? tanh_v128(x) : sigmoid_v128(x);
}
// @ts-ignore: decorator
@inline function before(fn: i32, x: v128): v128 {
  return fn == 0 ? exp_before(x) : fn == 1 ? tanh_before(x) : sigmoid_before(x);
}

/** The number of f32 bit patterns b in [lo, lo + 4*count) (wrapping u32) where the two forms differ. */
export function mismatches(fn: i32, lo: u32, count: i32): i32 {
  let bad = 0;
  let v = i32x4(<i32>lo, <i32>lo + 1, <i32>lo + 2, <i32>lo + 3);
  const four = i32x4.splat(4);
  for (let i = 0; i < count; i++) {
    const a = fn == 0 ? exp_v128(v) : fn == 1 ? tanh_v128(v) : sigmoid_v128(v);
    const b = fn == 0 ? exp_before(v) : fn == 1 ? tanh_before(v) : sigmoid_before(v);
    const eq = i32x4.eq(a, b);
    if (!i32x4.all_true(eq)) bad += 4 - popcnt<i32>(i32x4.bitmask(eq));
    v = i32x4.add(v, four);
  }
  return bad;
}

export function apply_now(fn: i32, y: usize, x: usize, n: i32): void {
  if (fn == 0) for (let i = 0; i < n; i += 4) v128.store(y + (<usize>i << 2), now(0, v128.load(x + (<usize>i << 2))));
  else if (fn == 1) for (let i = 0; i < n; i += 4) v128.store(y + (<usize>i << 2), now(1, v128.load(x + (<usize>i << 2))));
  else for (let i = 0; i < n; i += 4) v128.store(y + (<usize>i << 2), now(2, v128.load(x + (<usize>i << 2))));
}
export function apply_before(fn: i32, y: usize, x: usize, n: i32): void {
  if (fn == 0) for (let i = 0; i < n; i += 4) v128.store(y + (<usize>i << 2), before(0, v128.load(x + (<usize>i << 2))));
  else if (fn == 1) for (let i = 0; i < n; i += 4) v128.store(y + (<usize>i << 2), before(1, v128.load(x + (<usize>i << 2))));
  else for (let i = 0; i < n; i += 4) v128.store(y + (<usize>i << 2), before(2, v128.load(x + (<usize>i << 2))));
}
export function base(): usize {
  return (__heap_base + 63) & ~<usize>63;
}
