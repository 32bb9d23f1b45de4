// assembly/kernels/cgru.ts
// The Neural GPU's convolutional GRU (Kaiser & Sutskever 2015, "Neural GPUs Learn Algorithms", eq. 1):
//   CGRU(s) = u ⊙ s + (1 − u) ⊙ tanh(U ∗ (r ⊙ s) + B),  u = σ(U′ ∗ s + B′),  r = σ(U″ ∗ s + B″).
// The convolutions are im2col + GEMM (+ bias) in the op; these kernels are the rest, fused: the gates and
// r ⊙ s, then the output, and their backwards. Scalar twins: assembly/ref/cgru.ts (suffix _ref), identical
// bits. The gates may take the released code's "sigmoid cutoff" (Kaiser & Sutskever's neural_gpu.py):
// σ_c(x) = min(1, max(0, c·σ(x) − (c − 1)/2)), c >= 1 (c = 1.2 there), which reaches 0 and 1 exactly, so
// that a saturated gate keeps the state unchanged however many steps follow; c = 1 is the plain sigmoid.
//
// Legend: n positions (rows x height x width of the state), C channels (the state's maps).
//   g, dg: [n, 2C] (per position C values for u, then C for r; biases already added);
//   u, r, rs, s, ds, drs, du: [n, C]. The output kernels work on flat arrays of n ELEMENTS (pass n*C).
//   Byte addresses, 16-byte aligned at the start of each buffer; rows need not be. Any n, C >= 0.
//   sigma, tanh: assembly/math.ts's sigmoid and tanh (the v128 and f32 forms give identical bits).
//
// Contract. One f32 operation per element per step, in this order (the twin does the same):
//   cgru_gate_forward_f32(u, r, rs, g, s, n, C, cutoff): u[p, c] = sigma(g[p, c]); r[p, c] = sigma(g[p, C + c]);
//     then, when cutoff != 1, v = min(1, max(0, (cutoff * v) - d)) for each of u and r, d = (cutoff - 1) * 0.5
//     (f32 min/max: a NaN stays NaN); rs = r * s. No output aliases an input.
//   cgru_out_forward_f32(y, cand, u, s, a, n): cand = tanh(a); y = (u * s) + ((1 - u) * cand).
//     cand may alias a; y aliases nothing.
//   cgru_out_backward_f32(du, ds, da, dy, u, s, cand, n, accumulate): du = dy * (s - cand); v = dy * u;
//     ds = accumulate != 0 ? ds + v : v (the flag applies to ds only: one add after v);
//     da = (dy * (1 - u)) * (1 - (cand * cand)). Outputs alias no input, except that da may alias dy.
//   cgru_gate_backward_f32(dg, ds, drs, u, r, s, du, n, C, cutoff): dr = drs * s; ds = ds + (drs * r) (ds always
//     accumulates here: it already holds the output's share); cutoff = 1: dg[p, c] = (du * u) * (1 - u),
//     dg[p, C + c] = (dr * r) * (1 - r); else, with v the gate and x its gradient (u, du or r, dr), y = v + d
//     (= cutoff * sigma), dg = 0 < v < 1 ? x * ((y * (cutoff - y)) * (1 / cutoff)) : 0 (the derivative of
//     cutoff * sigma, where the clip is not active; 0 where it is, as TensorFlow's min and max give).
//     Outputs alias no input.
//
// Body: sigmoid and tanh go through simd.ts's sigmoid_rows / tanh_rows (one copy of each body in the
// module, one call per pass: the u rows and the r rows of g, the whole array for cand), then whole-array passes
// for the cutoff, r * s and y, 8 wide, 4 wide, then a scalar tail, as the output's backward. The gate backward
// runs per position (g's rows are 2C long), one v128 at a time with a partial vector at the end of each row.

import { load_lanes, sigmoid_rows, store_lanes, tanh_rows } from "../simd";

// v = min(1, max(0, (c * v) - d)) over n elements in place.
function cutoff_pass(v: usize, n: i32, c: f32, d: f32): void {
  const cv = f32x4.splat(c), dv = f32x4.splat(d), zero = f32x4.splat(0), one = f32x4.splat(1);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = f32x4.min(one, f32x4.max(zero, f32x4.sub(f32x4.mul(cv, v128.load(v + o)), dv)));
    const b = f32x4.min(one, f32x4.max(zero, f32x4.sub(f32x4.mul(cv, v128.load(v + o, 16)), dv)));
    v128.store(v + o, a);
    v128.store(v + o, b, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(v + o, f32x4.min(one, f32x4.max(zero, f32x4.sub(f32x4.mul(cv, v128.load(v + o)), dv))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(v + o, min<f32>(1, max<f32>(0, (c * load<f32>(v + o)) - d)));
  }
}

export function cgru_gate_forward_f32(u: usize, r: usize, rs: usize, g: usize, s: usize, n: i32, C: i32, cutoff: f32): void {
  if (n <= 0 || C <= 0) return;
  sigmoid_rows(u, C, g, 2 * C, 0, 0, n, C);
  sigmoid_rows(r, C, g + (<usize>C << 2), 2 * C, 0, 0, n, C);
  const nc = n * C;
  if (cutoff != 1) {
    const d = (cutoff - 1) * <f32>0.5;
    cutoff_pass(u, nc, cutoff, d);
    cutoff_pass(r, nc, cutoff, d);
  }
  let i = 0;
  for (; i + 8 <= nc; i += 8) {
    const o = <usize>i << 2;
    const a = f32x4.mul(v128.load(r + o), v128.load(s + o));
    const b = f32x4.mul(v128.load(r + o, 16), v128.load(s + o, 16));
    v128.store(rs + o, a);
    v128.store(rs + o, b, 16);
  }
  for (; i + 4 <= nc; i += 4) {
    const o = <usize>i << 2;
    v128.store(rs + o, f32x4.mul(v128.load(r + o), v128.load(s + o)));
  }
  for (; i < nc; i++) {
    const o = <usize>i << 2;
    store<f32>(rs + o, load<f32>(r + o) * load<f32>(s + o));
  }
}

export function cgru_out_forward_f32(y: usize, cand: usize, u: usize, s: usize, a: usize, n: i32): void {
  if (n <= 0) return;
  tanh_rows(cand, 0, a, 0, 0, 0, 1, n);
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const u0 = v128.load(u + o), u1 = v128.load(u + o, 16);
    const y0 = f32x4.add(f32x4.mul(u0, v128.load(s + o)), f32x4.mul(f32x4.sub(one, u0), v128.load(cand + o)));
    const y1 = f32x4.add(f32x4.mul(u1, v128.load(s + o, 16)), f32x4.mul(f32x4.sub(one, u1), v128.load(cand + o, 16)));
    v128.store(y + o, y0);
    v128.store(y + o, y1, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const u0 = v128.load(u + o);
    v128.store(y + o, f32x4.add(f32x4.mul(u0, v128.load(s + o)), f32x4.mul(f32x4.sub(one, u0), v128.load(cand + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const uv = load<f32>(u + o);
    store<f32>(y + o, (uv * load<f32>(s + o)) + ((<f32>1 - uv) * load<f32>(cand + o)));
  }
}

// du, ds, da of elements [i, i + 4) from their loaded inputs (ACC: ds accumulates).
// @ts-ignore: decorator
@inline function out_back_v(du: usize, ds: usize, da: usize, dyv: v128, uv: v128, sv: v128, cv: v128, o: usize,
                            ACC: bool): void {
  const one = f32x4.splat(1);
  let v = f32x4.mul(dyv, uv);
  if (ACC) v = f32x4.add(v128.load(ds + o), v);
  v128.store(du + o, f32x4.mul(dyv, f32x4.sub(sv, cv)));
  v128.store(ds + o, v);
  v128.store(da + o, f32x4.mul(f32x4.mul(dyv, f32x4.sub(one, uv)), f32x4.sub(one, f32x4.mul(cv, cv))));
}

// @ts-ignore: decorator
@inline function out_back(du: usize, ds: usize, da: usize, dy: usize, u: usize, s: usize, cand: usize, n: i32,
                          ACC: bool): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const d0 = v128.load(dy + o), d1 = v128.load(dy + o, 16);
    const u0 = v128.load(u + o), u1 = v128.load(u + o, 16);
    const s0 = v128.load(s + o), s1 = v128.load(s + o, 16);
    const c0 = v128.load(cand + o), c1 = v128.load(cand + o, 16);
    out_back_v(du, ds, da, d0, u0, s0, c0, o, ACC);
    out_back_v(du, ds, da, d1, u1, s1, c1, o + 16, ACC);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    out_back_v(du, ds, da, v128.load(dy + o), v128.load(u + o), v128.load(s + o), v128.load(cand + o), o, ACC);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const dyv = load<f32>(dy + o), uv = load<f32>(u + o), cv = load<f32>(cand + o);
    let v = dyv * uv;
    if (ACC) v = load<f32>(ds + o) + v;
    store<f32>(du + o, dyv * (load<f32>(s + o) - cv));
    store<f32>(ds + o, v);
    store<f32>(da + o, (dyv * (<f32>1 - uv)) * (<f32>1 - (cv * cv)));
  }
}

export function cgru_out_backward_f32(du: usize, ds: usize, da: usize, dy: usize, u: usize, s: usize, cand: usize,
                                      n: i32, accumulate: i32): void {
  if (accumulate != 0) out_back(du, ds, da, dy, u, s, cand, n, true);
  else out_back(du, ds, da, dy, u, s, cand, n, false);
}

// The cutoff gate's gradient: x * ((y * (c - y)) * ic) where 0 < v < 1, else 0 (y = v + d).
// @ts-ignore: decorator
@inline function cut_grad(x: v128, v: v128, c: v128, d: v128, ic: v128): v128 {
  const y = f32x4.add(v, d);
  const inside = v128.and(f32x4.gt(v, f32x4.splat(0)), f32x4.lt(v, f32x4.splat(1)));
  return v128.and(f32x4.mul(x, f32x4.mul(f32x4.mul(y, f32x4.sub(c, y)), ic)), inside);
}

export function cgru_gate_backward_f32(dg: usize, ds: usize, drs: usize, u: usize, r: usize, s: usize, du: usize,
                                       n: i32, C: i32, cutoff: f32): void {
  if (n <= 0 || C <= 0) return;
  const one = f32x4.splat(1);
  const cb = <usize>C << 2;
  if (cutoff == 1) {
    for (let p = 0; p < n; p++) {
      const o0 = <usize>p * cb, gp = dg + (o0 << 1);
      for (let c = 0; c < C; c += 4) {
        const k = min<i32>(4, C - c), o = <usize>c << 2, q = o0 + o;
        const drsv = load_lanes(drs + q, k), rv = load_lanes(r + q, k), uv = load_lanes(u + q, k);
        const dr = f32x4.mul(drsv, load_lanes(s + q, k));
        store_lanes(ds + q, f32x4.add(load_lanes(ds + q, k), f32x4.mul(drsv, rv)), k);
        store_lanes(gp + o, f32x4.mul(f32x4.mul(load_lanes(du + q, k), uv), f32x4.sub(one, uv)), k);
        store_lanes(gp + cb + o, f32x4.mul(f32x4.mul(dr, rv), f32x4.sub(one, rv)), k);
      }
    }
    return;
  }
  const cv = f32x4.splat(cutoff), dv = f32x4.splat((cutoff - 1) * <f32>0.5), ic = f32x4.splat(<f32>1 / cutoff);
  for (let p = 0; p < n; p++) {
    const o0 = <usize>p * cb, gp = dg + (o0 << 1);
    for (let c = 0; c < C; c += 4) {
      const k = min<i32>(4, C - c), o = <usize>c << 2, q = o0 + o;
      const drsv = load_lanes(drs + q, k), rv = load_lanes(r + q, k), uv = load_lanes(u + q, k);
      const dr = f32x4.mul(drsv, load_lanes(s + q, k));
      store_lanes(ds + q, f32x4.add(load_lanes(ds + q, k), f32x4.mul(drsv, rv)), k);
      store_lanes(gp + o, cut_grad(load_lanes(du + q, k), uv, cv, dv, ic), k);
      store_lanes(gp + cb + o, cut_grad(dr, rv, cv, dv, ic), k);
    }
  }
}
