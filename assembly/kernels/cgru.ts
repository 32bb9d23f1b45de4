// assembly/kernels/cgru.ts
// The Neural GPU's convolutional GRU (Kaiser & Sutskever 2015, "Neural GPUs Learn Algorithms", eq. 1):
//   CGRU(s) = u ⊙ s + (1 − u) ⊙ tanh(U ∗ (r ⊙ s) + B),  u = σ(U′ ∗ s + B′),  r = σ(U″ ∗ s + B″).
// The convolutions are im2col + GEMM (+ bias) in the op; these kernels are the rest, fused: the gates and
// r ⊙ s, then the output, and their backwards. Scalar twins: assembly/ref/cgru.ts (suffix _ref), identical
// bits.
//
// Legend: n positions (rows x height x width of the state), C channels (the state's maps).
//   g, dg: [n, 2C] (per position C values for u, then C for r; biases already added);
//   u, r, rs, s, ds, drs, du: [n, C]. The output kernels work on flat arrays of n ELEMENTS (pass n*C).
//   Byte addresses, 16-byte aligned at the start of each buffer; rows need not be. Any n, C >= 0.
//   sigma, tanh: assembly/math.ts's sigmoid and tanh (the v128 and f32 forms give identical bits).
//
// Contract. One f32 operation per element per step, in this order (the twin does the same):
//   cgru_gate_forward_f32(u, r, rs, g, s, n, C): u[p, c] = sigma(g[p, c]); r[p, c] = sigma(g[p, C + c]);
//     rs = r * s. No output aliases an input.
//   cgru_out_forward_f32(y, cand, u, s, a, n): cand = tanh(a); y = (u * s) + ((1 - u) * cand).
//     cand may alias a; y aliases nothing.
//   cgru_out_backward_f32(du, ds, da, dy, u, s, cand, n, accumulate): du = dy * (s - cand); v = dy * u;
//     ds = accumulate != 0 ? ds + v : v (the flag applies to ds only: one add after v);
//     da = (dy * (1 - u)) * (1 - (cand * cand)). Outputs alias no input, except that da may alias dy.
//   cgru_gate_backward_f32(dg, ds, drs, u, r, s, du, n, C): dr = drs * s; ds = ds + (drs * r) (ds always
//     accumulates here: it already holds the output's share); dg[p, c] = (du * u) * (1 - u);
//     dg[p, C + c] = (dr * r) * (1 - r). Outputs alias no input.
//
// Body: the kernels with a tanh or a sigmoid go one v128 per iteration (math.ts's, called out of line
// through simd.ts; the chain is long, unrolling would only double the code) and end a row with the same
// vector code on a partial vector (simd.ts); the output's
// backward, four products, goes 8 wide, 4 wide, then a scalar tail. The gate kernels run per position
// (g's rows are 2C long); with C = 1 a row is one partial vector.

import { load_lanes, sigmoid_x4, store_lanes, tanh_x4 } from "../simd";

export function cgru_gate_forward_f32(u: usize, r: usize, rs: usize, g: usize, s: usize, n: i32, C: i32): void {
  if (n <= 0 || C <= 0) return;
  const cb = <usize>C << 2;
  for (let p = 0; p < n; p++) {
    const o0 = <usize>p * cb, gp = g + (o0 << 1);
    for (let c = 0; c < C; c += 4) {
      const k = min<i32>(4, C - c), o = <usize>c << 2;
      const uv = sigmoid_x4(load_lanes(gp + o, k));
      const rv = sigmoid_x4(load_lanes(gp + cb + o, k));
      store_lanes(u + o0 + o, uv, k);
      store_lanes(r + o0 + o, rv, k);
      store_lanes(rs + o0 + o, f32x4.mul(rv, load_lanes(s + o0 + o, k)), k);
    }
  }
}

export function cgru_out_forward_f32(y: usize, cand: usize, u: usize, s: usize, a: usize, n: i32): void {
  const one = f32x4.splat(1);
  for (let i = 0; i < n; i += 4) {
    const k = min<i32>(4, n - i), o = <usize>i << 2;
    const cv = tanh_x4(load_lanes(a + o, k));
    const uv = load_lanes(u + o, k);
    store_lanes(cand + o, cv, k);
    store_lanes(y + o, f32x4.add(f32x4.mul(uv, load_lanes(s + o, k)), f32x4.mul(f32x4.sub(one, uv), cv)), k);
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

export function cgru_gate_backward_f32(dg: usize, ds: usize, drs: usize, u: usize, r: usize, s: usize, du: usize,
                                       n: i32, C: i32): void {
  if (n <= 0 || C <= 0) return;
  const one = f32x4.splat(1);
  const cb = <usize>C << 2;
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
}
