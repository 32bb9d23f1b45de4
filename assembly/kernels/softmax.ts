// assembly/kernels/softmax.ts
// Softmax over the last axis with an optional keep-mask (attention over padded positions), forward and
// backward side by side. Scalar twins: assembly/ref/softmax.ts (suffix _ref), identical bits.
//
// Legend: E examples, P rows per example, Q mask rows per example (P % Q == 0, the facade checks),
//   n row length.
//   x, y: [E, P, n] f32 (E*P rows of n); mask: 0 (no mask) or [E, Q, n] f32, 0.0 (or -0.0) = masked out,
//   anything else (NaN included) = kept; row p of example e uses mask row p % Q of example e.
//   Backward: y, dy, dx: rows x n. Byte addresses, 16-byte aligned at the start of each buffer; rows need
//   not be (unaligned v128 loads). Any E, P, Q, n, rows >= 0.
//
// Contract
//   softmax_forward_f32(y, x, mask, E, P, Q, n), per row:
//     m = max over kept x_j; e_j = exp(x_j - m) for kept j, +0 for masked j; s = sum_j e_j; y_j = e_j / s.
//     A row whose m is -Infinity (every entry masked, or every kept entry -Infinity) is all +0; n = 0
//     writes nothing. y may alias x (not the mask).
//   softmax_backward_f32(dx, y, dy, rows, n, accumulate), per row:
//     s = sum_j dy_j * y_j; v_j = y_j * (dy_j - s); dx_j (+)= v_j (one add after v). dx may alias dy when
//     accumulate == 0.
//   Fixed orders (kernels/loss.ts's softmax_xent_f32 split): with n4 = n & ~3, four lane accumulators
//   over j < n4 (element j in lane j % 4, increasing j), combined as (l0 + l1) + (l2 + l3), then the tail
//   j = n4 .. n-1 one by one. The max starts its lanes at -Infinity and combines max(max(l0, l1),
//   max(l2, l3)); masked entries enter the max as -Infinity and the sum as +0 in their lane.
//   exp is assembly/math.ts's exp_v128 / exp_f32 (identical bits).
//
// Body of every row pass: 8 elements (two v128 into the same lane accumulators, so the lane order is
// unchanged) per iteration, one v128, scalar tail. Without a mask the masking folds away (MASK constant).

import { exp_f32, exp_v128 } from "../math";

// @ts-ignore: decorator
@inline function hmax(v: v128): f32 {
  return max<f32>(max<f32>(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
                  max<f32>(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// One row: yr = softmax(xr) under the keep-mask row mr (MASK) or none.
// @ts-ignore: decorator
@inline function softmax_row(yr: usize, xr: usize, mr: usize, n: i32, MASK: bool): void {
  const zero = f32x4.splat(0);
  const ninf = f32x4.splat(-Infinity);

  // pass 1: max over kept entries
  let mv = ninf;
  let c = 0;
  for (; c + 8 <= n; c += 8) {
    const o = <usize>c << 2;
    let a = v128.load(xr + o);
    let b = v128.load(xr + o, 16);
    if (MASK) {
      a = v128.bitselect(a, ninf, f32x4.ne(v128.load(mr + o), zero));
      b = v128.bitselect(b, ninf, f32x4.ne(v128.load(mr + o, 16), zero));
    }
    mv = f32x4.max(mv, a);
    mv = f32x4.max(mv, b);
  }
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    let a = v128.load(xr + o);
    if (MASK) a = v128.bitselect(a, ninf, f32x4.ne(v128.load(mr + o), zero));
    mv = f32x4.max(mv, a);
  }
  let m = hmax(mv);
  for (; c < n; c++) {
    const o = <usize>c << 2;
    let a = load<f32>(xr + o);
    if (MASK) a = select<f32>(a, -Infinity, load<f32>(mr + o) != 0);
    m = max<f32>(m, a);
  }
  if (m == -Infinity) {
    memory.fill(yr, 0, <usize>n << 2);
    return;
  }

  // pass 2: e = exp(x - m) (masked: +0) into y, lane-parallel sum
  const vm = f32x4.splat(m);
  let sv = zero;
  c = 0;
  for (; c + 8 <= n; c += 8) {
    const o = <usize>c << 2;
    let ea = exp_v128(f32x4.sub(v128.load(xr + o), vm));
    let eb = exp_v128(f32x4.sub(v128.load(xr + o, 16), vm));
    if (MASK) {
      ea = v128.and(ea, f32x4.ne(v128.load(mr + o), zero));
      eb = v128.and(eb, f32x4.ne(v128.load(mr + o, 16), zero));
    }
    v128.store(yr + o, ea);
    v128.store(yr + o, eb, 16);
    sv = f32x4.add(sv, ea);
    sv = f32x4.add(sv, eb);
  }
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    let ea = exp_v128(f32x4.sub(v128.load(xr + o), vm));
    if (MASK) ea = v128.and(ea, f32x4.ne(v128.load(mr + o), zero));
    v128.store(yr + o, ea);
    sv = f32x4.add(sv, ea);
  }
  let s = hsum(sv);
  for (; c < n; c++) {
    const o = <usize>c << 2;
    let e = exp_f32(load<f32>(xr + o) - m);
    if (MASK) e = select<f32>(e, 0, load<f32>(mr + o) != 0);
    store<f32>(yr + o, e);
    s = s + e;
  }

  // pass 3: y = e / s
  const vs = f32x4.splat(s);
  c = 0;
  for (; c + 8 <= n; c += 8) {
    const o = <usize>c << 2;
    const a = v128.load(yr + o);
    const b = v128.load(yr + o, 16);
    v128.store(yr + o, f32x4.div(a, vs));
    v128.store(yr + o, f32x4.div(b, vs), 16);
  }
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    v128.store(yr + o, f32x4.div(v128.load(yr + o), vs));
  }
  for (; c < n; c++) {
    const o = <usize>c << 2;
    store<f32>(yr + o, load<f32>(yr + o) / s);
  }
}

export function softmax_forward_f32(y: usize, x: usize, mask: usize, E: i32, P: i32, Q: i32, n: i32): void {
  if (n <= 0 || E <= 0 || P <= 0) return;
  const rowBytes = <usize>n << 2;
  if (mask == 0) {
    const rows = <usize>E * <usize>P;
    for (let r: usize = 0; r < rows; r++) softmax_row(y + r * rowBytes, x + r * rowBytes, 0, n, false);
    return;
  }
  let r: usize = 0;
  for (let e = 0; e < E; e++) {
    const me = mask + <usize>e * <usize>Q * rowBytes;
    let q = 0;
    for (let p = 0; p < P; p++) {
      softmax_row(y + r * rowBytes, x + r * rowBytes, me + <usize>q * rowBytes, n, true);
      r++;
      if (++q == Q) q = 0;
    }
  }
}

// One row of the backward (ACC: fold into dx).
// @ts-ignore: decorator
@inline function softmax_back_row(dr: usize, yr: usize, gr: usize, n: i32, ACC: bool): void {
  let sv = f32x4.splat(0);
  let c = 0;
  for (; c + 8 <= n; c += 8) {
    const o = <usize>c << 2;
    sv = f32x4.add(sv, f32x4.mul(v128.load(gr + o), v128.load(yr + o)));
    sv = f32x4.add(sv, f32x4.mul(v128.load(gr + o, 16), v128.load(yr + o, 16)));
  }
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    sv = f32x4.add(sv, f32x4.mul(v128.load(gr + o), v128.load(yr + o)));
  }
  let s = hsum(sv);
  for (; c < n; c++) {
    const o = <usize>c << 2;
    s = s + load<f32>(gr + o) * load<f32>(yr + o);
  }
  const vs = f32x4.splat(s);
  c = 0;
  for (; c + 8 <= n; c += 8) {
    const o = <usize>c << 2;
    let va = f32x4.mul(v128.load(yr + o), f32x4.sub(v128.load(gr + o), vs));
    let vb = f32x4.mul(v128.load(yr + o, 16), f32x4.sub(v128.load(gr + o, 16), vs));
    if (ACC) {
      va = f32x4.add(v128.load(dr + o), va);
      vb = f32x4.add(v128.load(dr + o, 16), vb);
    }
    v128.store(dr + o, va);
    v128.store(dr + o, vb, 16);
  }
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    let va = f32x4.mul(v128.load(yr + o), f32x4.sub(v128.load(gr + o), vs));
    if (ACC) va = f32x4.add(v128.load(dr + o), va);
    v128.store(dr + o, va);
  }
  for (; c < n; c++) {
    const o = <usize>c << 2;
    let v = load<f32>(yr + o) * (load<f32>(gr + o) - s);
    if (ACC) v = load<f32>(dr + o) + v;
    store<f32>(dr + o, v);
  }
}

export function softmax_backward_f32(dx: usize, y: usize, dy: usize, rows: i32, n: i32, accumulate: i32): void {
  if (n <= 0) return;
  const rowBytes = <usize>n << 2;
  if (accumulate != 0) {
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      softmax_back_row(dx + o, y + o, dy + o, n, true);
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * rowBytes;
      softmax_back_row(dx + o, y + o, dy + o, n, false);
    }
  }
}
