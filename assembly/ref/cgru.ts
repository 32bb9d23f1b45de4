// assembly/ref/cgru.ts
// Scalar twins of assembly/kernels/cgru.ts, identical bits: one element at a time, the operations of the
// kernel file's contract in the same order, with math.ts's f32 sigmoid and tanh. For tests and benchmarks.
// Legend and contract: see the kernel file.

import { sigmoid_f32, tanh_f32 } from "../math";

@inline
function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
@inline
function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

// The gate's cutoff (the identity for c = 1).
@inline
function cut(v: f32, c: f32, d: f32): f32 {
  return c != 1 ? min<f32>(1, max<f32>(0, (c * v) - d)) : v;
}

// The cutoff gate's gradient (the kernel's cut_grad), one element.
@inline
function cut_grad(x: f32, v: f32, c: f32, d: f32, ic: f32): f32 {
  const y = v + d;
  return v > 0 && v < 1 ? x * ((y * (c - y)) * ic) : 0;
}

export function cgru_gate_forward_f32_ref(u: usize, r: usize, rs: usize, g: usize, s: usize, n: i32, C: i32, cutoff: f32): void {
  const d = (cutoff - 1) * <f32>0.5;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < C; c++) {
      const q = p * C + c;
      const uv = cut(sigmoid_f32(ld(g, 2 * p * C + c)), cutoff, d);
      const rv = cut(sigmoid_f32(ld(g, 2 * p * C + C + c)), cutoff, d);
      st(u, q, uv);
      st(r, q, rv);
      st(rs, q, rv * ld(s, q));
    }
  }
}

export function cgru_out_forward_f32_ref(y: usize, cand: usize, u: usize, s: usize, a: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const cv = tanh_f32(ld(a, i));
    const uv = ld(u, i);
    st(cand, i, cv);
    st(y, i, (uv * ld(s, i)) + ((<f32>1 - uv) * cv));
  }
}

export function cgru_out_backward_f32_ref(du: usize, ds: usize, da: usize, dy: usize, u: usize, s: usize, cand: usize,
                                          n: i32, accumulate: i32): void {
  for (let i = 0; i < n; i++) {
    const dyv = ld(dy, i), uv = ld(u, i), cv = ld(cand, i);
    const v = dyv * uv;
    st(du, i, dyv * (ld(s, i) - cv));
    st(ds, i, accumulate != 0 ? ld(ds, i) + v : v);
    st(da, i, (dyv * (<f32>1 - uv)) * (<f32>1 - (cv * cv)));
  }
}

export function cgru_gate_backward_f32_ref(dg: usize, ds: usize, drs: usize, u: usize, r: usize, s: usize, du: usize,
                                           n: i32, C: i32, cutoff: f32): void {
  const d = (cutoff - 1) * <f32>0.5, ic = <f32>1 / cutoff;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < C; c++) {
      const q = p * C + c;
      const drsv = ld(drs, q), rv = ld(r, q), uv = ld(u, q);
      const dr = drsv * ld(s, q);
      st(ds, q, ld(ds, q) + (drsv * rv));
      if (cutoff == 1) {
        st(dg, 2 * p * C + c, (ld(du, q) * uv) * (<f32>1 - uv));
        st(dg, 2 * p * C + C + c, (dr * rv) * (<f32>1 - rv));
      } else {
        st(dg, 2 * p * C + c, cut_grad(ld(du, q), uv, cutoff, d, ic));
        st(dg, 2 * p * C + C + c, cut_grad(dr, rv, cutoff, d, ic));
      }
    }
  }
}
