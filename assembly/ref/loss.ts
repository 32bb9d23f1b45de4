// assembly/ref/loss.ts
// Scalar twins of assembly/kernels/loss.ts, identical bits. For tests and benchmarks.
// Legend and contract: see the kernel file. The row reductions below spell out the kernel's fixed
// lane order: four accumulators l0..l3 over the first K4 = K & ~3 elements (element c goes to lane c % 4,
// in increasing c), combined as (l0 + l1) + (l2 + l3), then the tail added one element at a time.

import { exp_f32, log_f32, sigmoid_f32 } from "../math";

@inline
function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

export function softmax_xent_f32_ref(dlogits: usize, logits: usize, labels: usize, rows: i32, classes: i32): f32 {
  if (classes <= 0) return 0;
  const k4 = classes & ~3;
  let total: f32 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = logits + <usize>r * (<usize>classes << 2);
    const dr = dlogits + <usize>r * (<usize>classes << 2);
    const label = load<i32>(at(labels, r));

    let m0: f32 = -Infinity, m1: f32 = -Infinity, m2: f32 = -Infinity, m3: f32 = -Infinity;
    for (let c = 0; c < k4; c += 4) {
      m0 = max<f32>(m0, load<f32>(at(xr, c)));
      m1 = max<f32>(m1, load<f32>(at(xr, c + 1)));
      m2 = max<f32>(m2, load<f32>(at(xr, c + 2)));
      m3 = max<f32>(m3, load<f32>(at(xr, c + 3)));
    }
    let m = max<f32>(max<f32>(m0, m1), max<f32>(m2, m3));
    for (let c = k4; c < classes; c++) m = max<f32>(m, load<f32>(at(xr, c)));

    const xl = load<f32>(at(xr, label));

    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let c = 0; c < k4; c += 4) {
      const e0 = exp_f32(load<f32>(at(xr, c)) - m);
      const e1 = exp_f32(load<f32>(at(xr, c + 1)) - m);
      const e2 = exp_f32(load<f32>(at(xr, c + 2)) - m);
      const e3 = exp_f32(load<f32>(at(xr, c + 3)) - m);
      store<f32>(at(dr, c), e0);
      store<f32>(at(dr, c + 1), e1);
      store<f32>(at(dr, c + 2), e2);
      store<f32>(at(dr, c + 3), e3);
      s0 = s0 + e0;
      s1 = s1 + e1;
      s2 = s2 + e2;
      s3 = s3 + e3;
    }
    let s = (s0 + s1) + (s2 + s3);
    for (let c = k4; c < classes; c++) {
      const e = exp_f32(load<f32>(at(xr, c)) - m);
      store<f32>(at(dr, c), e);
      s = s + e;
    }

    total = total + (log_f32(s) - (xl - m));

    for (let c = 0; c < classes; c++) store<f32>(at(dr, c), load<f32>(at(dr, c)) / s);
    store<f32>(at(dr, label), load<f32>(at(dr, label)) - <f32>1);
  }
  return total;
}

export function mse_f32_ref(dy: usize, y: usize, target: usize, rows: i32, cols: i32): f32 {
  if (cols <= 0) return 0;
  const c4 = cols & ~3;
  const fc = <f32>cols;
  let total: f32 = 0;
  for (let r = 0; r < rows; r++) {
    const ro = <usize>r * (<usize>cols << 2);
    const yr = y + ro, tr = target + ro, gr = dy + ro;
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let c = 0; c < c4; c += 4) {
      const d0 = load<f32>(at(yr, c)) - load<f32>(at(tr, c));
      const d1 = load<f32>(at(yr, c + 1)) - load<f32>(at(tr, c + 1));
      const d2 = load<f32>(at(yr, c + 2)) - load<f32>(at(tr, c + 2));
      const d3 = load<f32>(at(yr, c + 3)) - load<f32>(at(tr, c + 3));
      store<f32>(at(gr, c), (d0 + d0) / fc);
      store<f32>(at(gr, c + 1), (d1 + d1) / fc);
      store<f32>(at(gr, c + 2), (d2 + d2) / fc);
      store<f32>(at(gr, c + 3), (d3 + d3) / fc);
      s0 = s0 + d0 * d0;
      s1 = s1 + d1 * d1;
      s2 = s2 + d2 * d2;
      s3 = s3 + d3 * d3;
    }
    let s = (s0 + s1) + (s2 + s3);
    for (let c = c4; c < cols; c++) {
      const d = load<f32>(at(yr, c)) - load<f32>(at(tr, c));
      store<f32>(at(gr, c), (d + d) / fc);
      s = s + d * d;
    }
    total = total + s / fc;
  }
  return total;
}

@inline
function row_argmax_ref(xr: usize, cols: i32): i32 {
  let best = 0;
  let bv = load<f32>(xr);
  for (let c = 1; c < cols; c++) {
    const v = load<f32>(at(xr, c));
    if (v > bv) { bv = v; best = c; }
  }
  return best;
}

export function argmax_f32_ref(out: usize, x: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    store<i32>(at(out, r), cols > 0 ? row_argmax_ref(x + <usize>r * (<usize>cols << 2), cols) : -1);
  }
}

export function correct_count_f32_ref(x: usize, labels: usize, rows: i32, cols: i32): i32 {
  if (cols <= 0) return 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (row_argmax_ref(x + <usize>r * (<usize>cols << 2), cols) == load<i32>(at(labels, r))) count++;
  }
  return count;
}

// ---- sequences: the contract written out, one position at a time, through softmax_xent_f32_ref's row

@inline
function valid_ref(labels: usize, mask: usize, r: i32, ignoreIndex: i32): bool {
  return load<i32>(at(labels, r)) != ignoreIndex && (mask == 0 || load<f32>(at(mask, r)) != 0);
}

export function seq_softmax_xent_f32_ref(dlogits: usize, logits: usize, labels: usize, mask: usize, E: i32, T: i32,
                                         C: i32, ignoreIndex: i32, mean: i32): f32 {
  if (C <= 0 || T <= 0) return 0;
  let total: f32 = 0;
  for (let e = 0; e < E; e++) {
    let cnt = 0;
    for (let t = 0; t < T; t++) if (valid_ref(labels, mask, e * T + t, ignoreIndex)) cnt++;
    let w: f32 = 1;
    if (mean != 0) w = cnt > 0 ? <f32>1 / <f32>cnt : <f32>0;
    let S: f32 = 0;
    for (let t = 0; t < T; t++) {
      const r = e * T + t;
      const dr = at(dlogits, r * C);
      if (valid_ref(labels, mask, r, ignoreIndex)) {
        S = S + softmax_xent_f32_ref(dr, at(logits, r * C), at(labels, r), 1, C); // (0 + ce_t): ce_t exactly
        if (w != 1) for (let c = 0; c < C; c++) store<f32>(at(dr, c), load<f32>(at(dr, c)) * w);
      } else {
        for (let c = 0; c < C; c++) store<f32>(at(dr, c), 0);
      }
    }
    total = total + S * w;
  }
  return total;
}

export function seq_correct_count_f32_ref(logits: usize, labels: usize, mask: usize, E: i32, T: i32, C: i32,
                                          ignoreIndex: i32): i32 {
  if (C <= 0) return 0;
  let count = 0;
  for (let r = 0; r < E * T; r++) {
    if (valid_ref(labels, mask, r, ignoreIndex) && row_argmax_ref(at(logits, r * C), C) == load<i32>(at(labels, r))) count++;
  }
  return count;
}

export function seq_valid_count_f32_ref(labels: usize, mask: usize, E: i32, T: i32, ignoreIndex: i32): i32 {
  let count = 0;
  for (let r = 0; r < E * T; r++) if (valid_ref(labels, mask, r, ignoreIndex)) count++;
  return count;
}

// ---- binary cross-entropy with logits

// l_j, and dx_j = (sigmoid(x_j) - t_j) / n stored (after x_j is read: dx may alias x)
@inline
function bce_elem_ref(dr: usize, xr: usize, tr: usize, j: i32, fn: f32): f32 {
  const xv = load<f32>(at(xr, j)), tv = load<f32>(at(tr, j));
  const l = (max<f32>(xv, 0) - xv * tv) + log_f32(<f32>1 + exp_f32(-abs<f32>(xv)));
  store<f32>(at(dr, j), (sigmoid_f32(xv) - tv) / fn);
  return l;
}

export function bce_logits_f32_ref(dx: usize, x: usize, t: usize, rows: i32, n: i32): f32 {
  if (n <= 0) return 0;
  const n4 = n & ~3;
  const fn = <f32>n;
  let total: f32 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * n), tr = at(t, r * n), dr = at(dx, r * n);
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let j = 0; j < n4; j += 4) {
      s0 = s0 + bce_elem_ref(dr, xr, tr, j, fn);
      s1 = s1 + bce_elem_ref(dr, xr, tr, j + 1, fn);
      s2 = s2 + bce_elem_ref(dr, xr, tr, j + 2, fn);
      s3 = s3 + bce_elem_ref(dr, xr, tr, j + 3, fn);
    }
    let s = (s0 + s1) + (s2 + s3);
    for (let j = n4; j < n; j++) s = s + bce_elem_ref(dr, xr, tr, j, fn);
    total = total + s / fn;
  }
  return total;
}
