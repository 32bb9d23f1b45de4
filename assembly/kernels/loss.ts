// assembly/kernels/loss.ts
// Losses and their gradients, plus argmax / accuracy. Scalar twins: assembly/ref/loss.ts (suffix _ref),
// identical bits.
//
// Legend: R = rows (batch), K = classes, C = cols; sequences: E examples, T positions, C classes.
//   logits, dlogits: R x K f32 row-major; labels: R i32 (one class index per row, 0 <= label < K: not
//   checked here, the facade checks); y, target, dy, x: R x C f32 row-major; out: R i32.
//   Sequence losses: logits, dlogits: [E, T, C]; labels: [E, T] i32; mask: 0 (none) or [E, T] f32.
//   Byte addresses (usize) into linear memory, 16-byte aligned at the start; any R, K, C, E, T >= 0.
//
// softmax_xent_f32 -> f32   (numerically stable: the row max is subtracted before exp)
//   per row r:  m = max_c x[c];  e[c] = exp(x[c] - m);  s = sum_c e[c]
//               loss_r = log(s) - (x[label] - m)
//               dlogits[c] = e[c] / s - (c == label ? 1 : 0)     (NOT divided by R)
//   returns ((0 + loss_0) + loss_1) + ... + loss_{R-1} (row order). dlogits may alias logits.
//   K = 0 returns 0 and writes nothing. Logits are assumed finite.
// mse_f32 -> f32
//   per row r:  loss_r = (sum_c (y - t)^2) / C;  dy[c] = ((y - t) + (y - t)) / C  (= 2 (y - t) / C with
//   one rounding); returns the row-order sum of loss_r. dy may alias y or target. C = 0 returns 0.
// argmax_f32: out[r] = index of the FIRST maximum of row r (strict >, so ties keep the earlier index;
//   -0 == +0). NaN: if x[r][0] is NaN the answer is 0, other NaNs are skipped. C = 0 writes -1.
// correct_count_f32 -> i32: number of rows whose argmax equals the label.
// seq_softmax_xent_f32(dlogits, logits, labels, mask, E, T, C, ignoreIndex, mean) -> f32
//   position (e, t) is valid when labels[e,t] != ignoreIndex and (mask == 0 or mask[e,t] != 0.0); valid
//   labels are in [0, C). Per example: cnt = valid positions; w = mean != 0 ? (cnt > 0 ? 1 / cnt : 0) : 1
//   (one f32 division). For valid t, ce_t and g_t are softmax_xent_f32's row loss and dlogits (the same
//   code, the same bits); S = +0, S = S + ce_t in t order; L_e = S * w; dlogits[e,t,:] = g_t * w (g_t
//   itself when w == 1: each g fully computed, then one product); +0 for invalid positions. Returns
//   (0 + L_0) + L_1 + ... in example order. dlogits may alias logits. C = 0 or T = 0 returns 0.
// seq_correct_count_f32 -> i32: valid positions whose argmax (argmax_f32's rule) equals the label.
// seq_valid_count_f32 -> i32: valid positions.
// bce_logits_f32(dx, x, t, rows, n) -> f32   (binary cross-entropy on logits, targets t in [0, 1])
//   per row: l_j = (max(x_j, 0) - x_j t_j) + log(1 + exp(-|x_j|)); L_r = (sum_j l_j) / n;
//   dx_j = (sigmoid(x_j) - t_j) / n with math.ts's sigmoid (computed from the same exp(-|x_j|));
//   returns ((0 + L_0) + L_1) + ... (row order). n = 0 returns 0. dx may alias x (each element is read
//   before its dx is stored), not t.
//
// Fixed reduction order of every row sum (sum of e in softmax, sum of squares in mse, sum of l in bce),
// reproduced by the
// scalar twins: with K4 = K & ~3, four lane accumulators start at +0 and lane j adds the elements
// j, j+4, j+8, ... < K4 in increasing order; then s = (lane0 + lane1) + (lane2 + lane3); then the tail
// elements K4 .. K-1 are added to s one by one. The row max uses the same lane split (with -Inf start
// values and max(max(l0, l1), max(l2, l3))); max is exact, so its order only matters for NaN.
// Transcendentals are assembly/math.ts's exp_v128 / exp_f32 and log_v128 / log_f32 (identical bits).
//
// Body of every row loop: 8 elements (two v128, one accumulator, so lane order is unchanged) per
// iteration, then one v128, then the scalar tail.

import { exp_f32, exp_v128, log_f32, log_v128 } from "../math";

// ---------------------------------------------------------------- softmax cross-entropy

// One row of K >= 1 logits at xr: writes g = softmax - onehot(label) into dr (times w when scaled: each
// g_c fully computed, then one product) and returns the row's loss log(s) - (x[label] - m). dr may be xr.
// One function for softmax_xent_f32 and seq_softmax_xent_f32 (the same code, so the same bits); a call per
// row, and `scaled` picks one of two pass-3 loops.
function xent_row(dr: usize, xr: usize, label: i32, classes: i32, w: f32, scaled: bool): f32 {
  // pass 1: row max
  let mv = f32x4.splat(-Infinity);
  let c = 0;
  for (; c + 8 <= classes; c += 8) {
    const o = <usize>c << 2;
    mv = f32x4.max(mv, v128.load(xr + o));
    mv = f32x4.max(mv, v128.load(xr + o, 16));
  }
  for (; c + 4 <= classes; c += 4) {
    mv = f32x4.max(mv, v128.load(xr + (<usize>c << 2)));
  }
  let m = max<f32>(
    max<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
    max<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)),
  );
  for (; c < classes; c++) m = max<f32>(m, load<f32>(xr + (<usize>c << 2)));

  // read the label's logit before pass 2 overwrites it when dlogits aliases logits
  const xl = load<f32>(xr + (<usize>label << 2));

  // pass 2: e = exp(x - m) into dlogits, lane-parallel sum
  const vm = f32x4.splat(m);
  let sv = f32x4.splat(0);
  c = 0;
  for (; c + 8 <= classes; c += 8) {
    const o = <usize>c << 2;
    const ea = exp_v128(f32x4.sub(v128.load(xr + o), vm));
    const eb = exp_v128(f32x4.sub(v128.load(xr + o, 16), vm));
    v128.store(dr + o, ea);
    v128.store(dr + o, eb, 16);
    sv = f32x4.add(sv, ea);
    sv = f32x4.add(sv, eb);
  }
  for (; c + 4 <= classes; c += 4) {
    const o = <usize>c << 2;
    const ea = exp_v128(f32x4.sub(v128.load(xr + o), vm));
    v128.store(dr + o, ea);
    sv = f32x4.add(sv, ea);
  }
  let s = (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) +
    (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
  for (; c < classes; c++) {
    const o = <usize>c << 2;
    const e = exp_f32(load<f32>(xr + o) - m);
    store<f32>(dr + o, e);
    s = s + e;
  }

  const loss = log_f32(s) - (xl - m);

  // pass 3: softmax = e / s, then subtract the one-hot label (scaled: then times w)
  const pl = dr + (<usize>label << 2);
  const vs = f32x4.splat(s);
  if (scaled) {
    const el = load<f32>(pl);
    const vw = f32x4.splat(w);
    c = 0;
    for (; c + 8 <= classes; c += 8) {
      const o = <usize>c << 2;
      const a = f32x4.mul(f32x4.div(v128.load(dr + o), vs), vw);
      const b = f32x4.mul(f32x4.div(v128.load(dr + o, 16), vs), vw);
      v128.store(dr + o, a);
      v128.store(dr + o, b, 16);
    }
    for (; c + 4 <= classes; c += 4) {
      const o = <usize>c << 2;
      v128.store(dr + o, f32x4.mul(f32x4.div(v128.load(dr + o), vs), vw));
    }
    for (; c < classes; c++) {
      const o = <usize>c << 2;
      store<f32>(dr + o, load<f32>(dr + o) / s * w);
    }
    store<f32>(pl, (el / s - <f32>1) * w);
  } else {
    c = 0;
    for (; c + 8 <= classes; c += 8) {
      const o = <usize>c << 2;
      v128.store(dr + o, f32x4.div(v128.load(dr + o), vs));
      v128.store(dr + o, f32x4.div(v128.load(dr + o, 16), vs), 16);
    }
    for (; c + 4 <= classes; c += 4) {
      const o = <usize>c << 2;
      v128.store(dr + o, f32x4.div(v128.load(dr + o), vs));
    }
    for (; c < classes; c++) {
      const o = <usize>c << 2;
      store<f32>(dr + o, load<f32>(dr + o) / s);
    }
    store<f32>(pl, load<f32>(pl) - <f32>1);
  }
  return loss;
}

export function softmax_xent_f32(dlogits: usize, logits: usize, labels: usize, rows: i32, classes: i32): f32 {
  if (classes <= 0) return 0;
  const rowBytes = <usize>classes << 2;
  let total: f32 = 0;
  for (let r = 0; r < rows; r++) {
    const label = load<i32>(labels + (<usize>r << 2));
    total = total + xent_row(dlogits + <usize>r * rowBytes, logits + <usize>r * rowBytes, label, classes, 1, false);
  }
  return total;
}

// ---------------------------------------------------------------- mean squared error
export function mse_f32(dy: usize, y: usize, target: usize, rows: i32, cols: i32): f32 {
  if (cols <= 0) return 0;
  const rowBytes = <usize>cols << 2;
  const fc = <f32>cols;
  const vc = f32x4.splat(fc);
  let total: f32 = 0;
  for (let r = 0; r < rows; r++) {
    const ro = <usize>r * rowBytes;
    const yr = y + ro;
    const tr = target + ro;
    const gr = dy + ro;
    let sv = f32x4.splat(0);
    let c = 0;
    for (; c + 8 <= cols; c += 8) {
      const o = <usize>c << 2;
      const da = f32x4.sub(v128.load(yr + o), v128.load(tr + o));
      const db = f32x4.sub(v128.load(yr + o, 16), v128.load(tr + o, 16));
      v128.store(gr + o, f32x4.div(f32x4.add(da, da), vc));
      v128.store(gr + o, f32x4.div(f32x4.add(db, db), vc), 16);
      sv = f32x4.add(sv, f32x4.mul(da, da));
      sv = f32x4.add(sv, f32x4.mul(db, db));
    }
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      const da = f32x4.sub(v128.load(yr + o), v128.load(tr + o));
      v128.store(gr + o, f32x4.div(f32x4.add(da, da), vc));
      sv = f32x4.add(sv, f32x4.mul(da, da));
    }
    let s = (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) +
      (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      const d = load<f32>(yr + o) - load<f32>(tr + o);
      store<f32>(gr + o, (d + d) / fc);
      s = s + d * d;
    }
    total = total + s / fc;
  }
  return total;
}

// ---------------------------------------------------------------- argmax / accuracy

// First maximum of one row of C >= 1 values. Lane j tracks the elements j, j+4, ... < C4 with a strict >,
// starting from (x[0], 0); the lanes are merged by (larger value, then smaller index); the tail continues
// with a strict >. This equals the scalar "best = 0; if (x[c] > x[best]) best = c" for every input,
// NaN included (a NaN never wins a >, and a NaN x[0] is never beaten).
@inline
function row_argmax(xr: usize, cols: i32): i32 {
  const x0 = load<f32>(xr);
  let vm = f32x4.splat(x0);
  let vi = i32x4.splat(0);
  let idx = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  let c = 0;
  for (; c + 8 <= cols; c += 8) {
    const o = <usize>c << 2;
    const a = v128.load(xr + o);
    const ga = f32x4.gt(a, vm);
    vm = v128.bitselect(a, vm, ga);
    vi = v128.bitselect(idx, vi, ga);
    idx = i32x4.add(idx, four);
    const b = v128.load(xr + o, 16);
    const gb = f32x4.gt(b, vm);
    vm = v128.bitselect(b, vm, gb);
    vi = v128.bitselect(idx, vi, gb);
    idx = i32x4.add(idx, four);
  }
  for (; c + 4 <= cols; c += 4) {
    const a = v128.load(xr + (<usize>c << 2));
    const ga = f32x4.gt(a, vm);
    vm = v128.bitselect(a, vm, ga);
    vi = v128.bitselect(idx, vi, ga);
    idx = i32x4.add(idx, four);
  }
  let bv = f32x4.extract_lane(vm, 0);
  let bi = i32x4.extract_lane(vi, 0);
  let v = f32x4.extract_lane(vm, 1);
  let i = i32x4.extract_lane(vi, 1);
  if (v > bv || (v == bv && i < bi)) { bv = v; bi = i; }
  v = f32x4.extract_lane(vm, 2);
  i = i32x4.extract_lane(vi, 2);
  if (v > bv || (v == bv && i < bi)) { bv = v; bi = i; }
  v = f32x4.extract_lane(vm, 3);
  i = i32x4.extract_lane(vi, 3);
  if (v > bv || (v == bv && i < bi)) { bv = v; bi = i; }
  for (; c < cols; c++) {
    const t = load<f32>(xr + (<usize>c << 2));
    if (t > bv) { bv = t; bi = c; }
  }
  return bi;
}

export function argmax_f32(out: usize, x: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    store<i32>(out + (<usize>r << 2), cols > 0 ? row_argmax(x + <usize>r * rowBytes, cols) : -1);
  }
}

export function correct_count_f32(x: usize, labels: usize, rows: i32, cols: i32): i32 {
  if (cols <= 0) return 0;
  const rowBytes = <usize>cols << 2;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (row_argmax(x + <usize>r * rowBytes, cols) == load<i32>(labels + (<usize>r << 2))) count++;
  }
  return count;
}

// ---------------------------------------------------------------- sequences: [E, T, C] with a mask

// Position (e, t) = row r counts when its label is not ignoreIndex and the mask (if any) is not 0.0.
// @ts-ignore: decorator
@inline function valid_at(labels: usize, mask: usize, r: usize, ignoreIndex: i32): bool {
  return load<i32>(labels + (r << 2)) != ignoreIndex && (mask == 0 || load<f32>(mask + (r << 2)) != 0);
}

export function seq_softmax_xent_f32(dlogits: usize, logits: usize, labels: usize, mask: usize, E: i32, T: i32,
                                     C: i32, ignoreIndex: i32, mean: i32): f32 {
  if (C <= 0 || T <= 0) return 0;
  const rowBytes = <usize>C << 2;
  let total: f32 = 0;
  for (let e = 0; e < E; e++) {
    const r0 = <usize>e * <usize>T;
    let cnt = 0;
    for (let t = 0; t < T; t++) if (valid_at(labels, mask, r0 + <usize>t, ignoreIndex)) cnt++;
    const w: f32 = mean != 0 ? (cnt > 0 ? <f32>1 / <f32>cnt : <f32>0) : <f32>1;
    let S: f32 = 0;
    for (let t = 0; t < T; t++) {
      const r = r0 + <usize>t;
      const xr = logits + r * rowBytes, dr = dlogits + r * rowBytes;
      if (valid_at(labels, mask, r, ignoreIndex)) {
        const label = load<i32>(labels + (r << 2));
        const ce = xent_row(dr, xr, label, C, w, w != 1);
        S = S + ce;
      } else {
        memory.fill(dr, 0, rowBytes);
      }
    }
    total = total + S * w;
  }
  return total;
}

export function seq_correct_count_f32(logits: usize, labels: usize, mask: usize, E: i32, T: i32, C: i32,
                                      ignoreIndex: i32): i32 {
  if (C <= 0 || T <= 0 || E <= 0) return 0;
  const rowBytes = <usize>C << 2;
  const rows = <usize>E * <usize>T;
  let count = 0;
  for (let r: usize = 0; r < rows; r++) {
    if (valid_at(labels, mask, r, ignoreIndex) &&
        row_argmax(logits + r * rowBytes, C) == load<i32>(labels + (r << 2))) count++;
  }
  return count;
}

export function seq_valid_count_f32(labels: usize, mask: usize, E: i32, T: i32, ignoreIndex: i32): i32 {
  if (T <= 0 || E <= 0) return 0;
  const rows = <usize>E * <usize>T;
  let count = 0;
  for (let r: usize = 0; r < rows; r++) if (valid_at(labels, mask, r, ignoreIndex)) count++;
  return count;
}

// ---------------------------------------------------------------- binary cross-entropy with logits

// l = (max(x, 0) - x t) + log(1 + exp(-|x|)) and dx = (sigmoid(x) - t) / n on one vector; sigmoid as
// math.ts's sigmoid_v128 computes it, from the same exp(-|x|).
// @ts-ignore: decorator
@inline function bce_v(dxp: usize, xp: usize, tp: usize, vn: v128): v128 {
  const x = v128.load(xp), t = v128.load(tp);
  const one = f32x4.splat(<f32>1.0), zero = f32x4.splat(<f32>0.0);
  const e = exp_v128(f32x4.neg(f32x4.abs(x)));
  const onePlus = f32x4.add(one, e);
  const l = f32x4.add(f32x4.sub(f32x4.max(x, zero), f32x4.mul(x, t)), log_v128(onePlus));
  const num = v128.bitselect(one, e, f32x4.ge(x, zero));
  const sig = v128.bitselect(x, f32x4.div(num, onePlus), f32x4.ne(x, x));
  v128.store(dxp, f32x4.div(f32x4.sub(sig, t), vn));
  return l;
}
// @ts-ignore: decorator
@inline function bce_s(dxp: usize, xp: usize, tp: usize, fn: f32): f32 {
  const x = load<f32>(xp), t = load<f32>(tp);
  const e = exp_f32(-abs<f32>(x));
  const onePlus = <f32>1.0 + e;
  const l = (max<f32>(x, 0) - x * t) + log_f32(onePlus);
  const num = select<f32>(<f32>1.0, e, x >= 0);
  const sig = select<f32>(x, num / onePlus, x != x);
  store<f32>(dxp, (sig - t) / fn);
  return l;
}

export function bce_logits_f32(dx: usize, x: usize, t: usize, rows: i32, n: i32): f32 {
  if (n <= 0) return 0;
  const rowBytes = <usize>n << 2;
  const fn = <f32>n;
  const vn = f32x4.splat(fn);
  let total: f32 = 0;
  for (let r = 0; r < rows; r++) {
    const ro = <usize>r * rowBytes;
    const xr = x + ro, tr = t + ro, dr = dx + ro;
    let sv = f32x4.splat(0);
    let c = 0;
    for (; c + 8 <= n; c += 8) {
      const o = <usize>c << 2;
      sv = f32x4.add(sv, bce_v(dr + o, xr + o, tr + o, vn));
      sv = f32x4.add(sv, bce_v(dr + o + 16, xr + o + 16, tr + o + 16, vn));
    }
    for (; c + 4 <= n; c += 4) {
      const o = <usize>c << 2;
      sv = f32x4.add(sv, bce_v(dr + o, xr + o, tr + o, vn));
    }
    let s = (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) +
      (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
    for (; c < n; c++) {
      const o = <usize>c << 2;
      s = s + bce_s(dr + o, xr + o, tr + o, fn);
    }
    total = total + s / fn;
  }
  return total;
}
