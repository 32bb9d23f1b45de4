// assembly/ref/softmax.ts
// Scalar twins of assembly/kernels/softmax.ts, identical bits. For tests and benchmarks.
// Legend and contract: see the kernel file. The row reductions spell out the fixed lane order: four
// accumulators over the first n4 = n & ~3 elements (element j in lane j % 4, increasing j), combined as
// (l0 + l1) + (l2 + l3) (max: max(max(l0, l1), max(l2, l3))), then the tail one element at a time.

import { exp_f32 } from "../math";

@inline
function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

// x_j, or -Infinity where the mask row mr (0: none) has a 0.0
@inline
function kept_x(xr: usize, mr: usize, j: i32): f32 {
  const v = load<f32>(at(xr, j));
  return mr == 0 || load<f32>(at(mr, j)) != 0 ? v : <f32>-Infinity;
}
@inline
function exp_kept(xr: usize, mr: usize, j: i32, m: f32): f32 {
  const e = exp_f32(load<f32>(at(xr, j)) - m);
  return mr == 0 || load<f32>(at(mr, j)) != 0 ? e : <f32>0;
}

function softmax_row_ref(yr: usize, xr: usize, mr: usize, n: i32): void {
  const n4 = n & ~3;
  let m0: f32 = -Infinity, m1: f32 = -Infinity, m2: f32 = -Infinity, m3: f32 = -Infinity;
  for (let j = 0; j < n4; j += 4) {
    m0 = max<f32>(m0, kept_x(xr, mr, j));
    m1 = max<f32>(m1, kept_x(xr, mr, j + 1));
    m2 = max<f32>(m2, kept_x(xr, mr, j + 2));
    m3 = max<f32>(m3, kept_x(xr, mr, j + 3));
  }
  let m = max<f32>(max<f32>(m0, m1), max<f32>(m2, m3));
  for (let j = n4; j < n; j++) m = max<f32>(m, kept_x(xr, mr, j));
  if (m == -Infinity) {
    for (let j = 0; j < n; j++) store<f32>(at(yr, j), 0);
    return;
  }
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  for (let j = 0; j < n4; j += 4) {
    const e0 = exp_kept(xr, mr, j, m), e1 = exp_kept(xr, mr, j + 1, m);
    const e2 = exp_kept(xr, mr, j + 2, m), e3 = exp_kept(xr, mr, j + 3, m);
    store<f32>(at(yr, j), e0); store<f32>(at(yr, j + 1), e1);
    store<f32>(at(yr, j + 2), e2); store<f32>(at(yr, j + 3), e3);
    s0 = s0 + e0; s1 = s1 + e1; s2 = s2 + e2; s3 = s3 + e3;
  }
  let s = (s0 + s1) + (s2 + s3);
  for (let j = n4; j < n; j++) {
    const e = exp_kept(xr, mr, j, m);
    store<f32>(at(yr, j), e);
    s = s + e;
  }
  for (let j = 0; j < n; j++) store<f32>(at(yr, j), load<f32>(at(yr, j)) / s);
}

export function softmax_forward_f32_ref(y: usize, x: usize, mask: usize, E: i32, P: i32, Q: i32, n: i32): void {
  for (let e = 0; e < E; e++) {
    for (let p = 0; p < P; p++) {
      const r = e * P + p;
      const mr: usize = mask == 0 ? <usize>0 : at(mask, (e * Q + p % Q) * n);
      softmax_row_ref(at(y, r * n), at(x, r * n), mr, n);
    }
  }
}

export function softmax_backward_f32_ref(dx: usize, y: usize, dy: usize, rows: i32, n: i32, accumulate: i32): void {
  const n4 = n & ~3;
  for (let r = 0; r < rows; r++) {
    const yr = at(y, r * n), gr = at(dy, r * n), dr = at(dx, r * n);
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let j = 0; j < n4; j += 4) {
      s0 = s0 + load<f32>(at(gr, j)) * load<f32>(at(yr, j));
      s1 = s1 + load<f32>(at(gr, j + 1)) * load<f32>(at(yr, j + 1));
      s2 = s2 + load<f32>(at(gr, j + 2)) * load<f32>(at(yr, j + 2));
      s3 = s3 + load<f32>(at(gr, j + 3)) * load<f32>(at(yr, j + 3));
    }
    let s = (s0 + s1) + (s2 + s3);
    for (let j = n4; j < n; j++) s = s + load<f32>(at(gr, j)) * load<f32>(at(yr, j));
    for (let j = 0; j < n; j++) {
      const v = load<f32>(at(yr, j)) * (load<f32>(at(gr, j)) - s);
      store<f32>(at(dr, j), accumulate != 0 ? load<f32>(at(dr, j)) + v : v);
    }
  }
}
