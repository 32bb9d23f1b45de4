// assembly/kernels/elementwise.ts
// Binary element-wise ops with broadcast over leading axes (add, sub, mul), their backward reductions
// (sum over the broadcast axes, optionally weighted) and the broadcast that is the backward of a sum or
// mean over an axis. Scalar twins: assembly/ref/elementwise.ts (suffix _ref), identical bits.
//
// Legend: G groups, P rows per group, I inner width (the columns every row shares).
//   a, y, dy, da, x (of the reductions), out (of the broadcast), w: [G, P, I] f32 contiguous.
//   b, db, out (of the reductions), x (of the broadcast): for group g the I values at element g * bs,
//   bs = I (one row per group) or 0 (one row shared by every group).
//   A broadcast over axis k of a tensor [A, K, B] is G = A, P = K, I = B; a plain element-wise op is
//   G = P = 1, I = n (or P = 1, bs = I). Byte addresses, 16-byte aligned at the start of each buffer; rows
//   inside need not be (unaligned v128 loads). Any G, P, I >= 0.
//
// Contract (`accumulate` != 0 adds the fully computed v to the output with one rounding, else writes v)
//   add_forward_f32(y, a, b, G, P, I, bs)       y[g,p,i] = a[g,p,i] + b[g*bs + i]
//   sub_forward_f32(y, a, b, G, P, I, bs)       y[g,p,i] = a[g,p,i] - b[g*bs + i]
//   mul_forward_f32(y, a, b, G, P, I, bs)       y[g,p,i] = a[g,p,i] * b[g*bs + i]
//     y may alias a (not b).
//   mul_backward_f32(da, dy, b, G, P, I, bs, accumulate)    v = dy[g,p,i] * b[g*bs + i]; da (+)= v.
//     da may alias dy when accumulate == 0.
//   sum_groups_f32(out, x, G, P, I, bs, scale, accumulate): the sum over P (and over G when bs == 0):
//     s = +0; s = s + x[g,p,i] for p = 0..P-1 (bs == I: per group; bs == 0: g outer, p inner, i.e. rows
//     0..G*P-1 in order); v = s * scale; out[g*bs + i] (+)= v. scale 1 for add's db, -1 for sub's db,
//     1 / P for a mean. G*P = 0 gives v = +0 * scale.
//   mul_sum_groups_f32(out, x, w, G, P, I, bs, accumulate): the same fold of the rounded products
//     x[g,p,i] * w[g,p,i], v = s (scale 1 is not multiplied). db of mul: x = dy, w = a.
//   broadcast_groups_f32(out, x, G, P, I, bs, scale, accumulate): out[g,p,i] (+)= x[g*bs + i] * scale.
//   The reductions' and the broadcast's out never alias x (or w).
//   The reductions run SIMD across i and sequentially down the rows (like bias_backward_f32), so every
//   column sees exactly the twin's roundings; nothing depends on where the pointers lie.
//
// Body of every row loop: 8 elements (two v128) per iteration, one v128, scalar tail. The reductions:
// column blocks of 16 (four v128 accumulators live across the whole row loop), of 4, then scalar
// columns; for I = 1 (a sum over the last axis) four groups' folds interleaved. I = 1 runs the forward
// ops and the broadcast as one row per group (or one row for bs = 0) against a splatted value, and P = 1
// with bs = I as one row of G*I: the same element operations, fewer loop entries.

// @ts-ignore: decorator
@inline const ADD: i32 = 0;
// @ts-ignore: decorator
@inline const SUB: i32 = 1;
// @ts-ignore: decorator
@inline const MUL: i32 = 2;

// @ts-ignore: decorator
@inline function op_v(OP: i32, a: v128, b: v128): v128 {
  return OP == ADD ? f32x4.add(a, b) : OP == SUB ? f32x4.sub(a, b) : f32x4.mul(a, b);
}
// @ts-ignore: decorator
@inline function op_s(OP: i32, a: f32, b: f32): f32 {
  return OP == ADD ? a + b : OP == SUB ? a - b : a * b;
}

// y[i] (+)= a[i] OP b[i] for i < n; with SPLAT, b[0] for every i. OP, SPLAT and ACC are constants at every
// call site, so their branches fold away.
// @ts-ignore: decorator
@inline function binary_row(y: usize, a: usize, b: usize, n: i32, OP: i32, SPLAT: bool, ACC: bool): void {
  const sb = SPLAT ? load<f32>(b) : <f32>0;
  const vb = f32x4.splat(sb);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    let v0 = op_v(OP, v128.load(a + o), SPLAT ? vb : v128.load(b + o));
    let v1 = op_v(OP, v128.load(a + o, 16), SPLAT ? vb : v128.load(b + o, 16));
    if (ACC) {
      v0 = f32x4.add(v128.load(y + o), v0);
      v1 = f32x4.add(v128.load(y + o, 16), v1);
    }
    v128.store(y + o, v0);
    v128.store(y + o, v1, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let v0 = op_v(OP, v128.load(a + o), SPLAT ? vb : v128.load(b + o));
    if (ACC) v0 = f32x4.add(v128.load(y + o), v0);
    v128.store(y + o, v0);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let v = op_s(OP, load<f32>(a + o), SPLAT ? sb : load<f32>(b + o));
    if (ACC) v = load<f32>(y + o) + v;
    store<f32>(y + o, v);
  }
}

// The [G, P, I] loop nest of the binary ops around binary_row: ng groups of `per` rows of `len` elements,
// the b row advancing by bstep bytes per group. I = 1 runs rows against a splatted b value instead.
// @ts-ignore: decorator
@inline function binary_groups(y: usize, a: usize, b: usize, G: i32, P: i32, I: i32, bs: i32, OP: i32,
                               ACC: bool): void {
  if (G <= 0 || P <= 0 || I <= 0) return;
  if (I == 1) {
    // one value of b per group of P (or one for all G*P)
    const ng = bs == 0 ? 1 : G, len = bs == 0 ? G * P : P;
    const bstep: usize = bs == 0 ? 0 : 4, rb = <usize>len << 2;
    for (let g = 0; g < ng; g++) {
      const o = <usize>g * rb;
      binary_row(y + o, a + o, b + <usize>g * bstep, len, OP, true, ACC);
    }
    return;
  }
  // bs = 0: one group of G*P rows of I; P = 1: one row of G*I; else G groups of P rows of I
  const ng = bs == 0 || P == 1 ? 1 : G;
  const per = bs == 0 ? G * P : P == 1 ? 1 : P;
  const len = bs != 0 && P == 1 ? G * I : I;
  const rb = <usize>len << 2, bstep = <usize>I << 2;
  let o: usize = 0;
  for (let g = 0; g < ng; g++) {
    const bg = b + <usize>g * bstep;
    for (let p = 0; p < per; p++) {
      binary_row(y + o, a + o, bg, len, OP, false, ACC);
      o += rb;
    }
  }
}

export function add_forward_f32(y: usize, a: usize, b: usize, G: i32, P: i32, I: i32, bs: i32): void {
  binary_groups(y, a, b, G, P, I, bs, ADD, false);
}

export function sub_forward_f32(y: usize, a: usize, b: usize, G: i32, P: i32, I: i32, bs: i32): void {
  binary_groups(y, a, b, G, P, I, bs, SUB, false);
}

export function mul_forward_f32(y: usize, a: usize, b: usize, G: i32, P: i32, I: i32, bs: i32): void {
  binary_groups(y, a, b, G, P, I, bs, MUL, false);
}

export function mul_backward_f32(da: usize, dy: usize, b: usize, G: i32, P: i32, I: i32, bs: i32,
                                 accumulate: i32): void {
  if (accumulate != 0) binary_groups(da, dy, b, G, P, I, bs, MUL, true);
  else binary_groups(da, dy, b, G, P, I, bs, MUL, false);
}

// ---------------------------------------------------------------- reductions over rows

// v = s * scale (scaled; else v = s), then out (+)= v (acc). Once per column block, outside the row loop.
// @ts-ignore: decorator
@inline function finish_v(out: usize, s: v128, vscale: v128, scaled: bool, acc: bool): void {
  let v = scaled ? f32x4.mul(s, vscale) : s;
  if (acc) v = f32x4.add(v128.load(out), v);
  v128.store(out, v);
}
// @ts-ignore: decorator
@inline function finish_s(out: usize, s: f32, scale: f32, scaled: bool, acc: bool): void {
  let v = scaled ? s * scale : s;
  if (acc) v = load<f32>(out) + v;
  store<f32>(out, v);
}
// The element a row contributes at byte offset o: x, or the rounded product x * w (PROD).
// @ts-ignore: decorator
@inline function term_s(PROD: bool, x: usize, w: usize, o: usize): f32 {
  return PROD ? load<f32>(x + o) * load<f32>(w + o) : load<f32>(x + o);
}

// out[i] (+)= (fold over r = 0..rows-1 of term(r, i), from +0) [* scale] for i < cols; rows lie cols
// elements apart. SIMD across columns: 16 at a time, then 4, then scalar columns. PROD is a constant.
// @ts-ignore: decorator
@inline function col_sums(out: usize, x: usize, w: usize, rows: i32, cols: i32, scale: f32,
                          PROD: bool, scaled: bool, acc: bool): void {
  const rowBytes = <usize>cols << 2;
  const vscale = f32x4.splat(scale);
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    const o = <usize>c << 2;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let xp = x + o, wp = w + o;
    for (let r = 0; r < rows; r++) {
      if (PROD) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load(xp), v128.load(wp)));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(xp, 16), v128.load(wp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(xp, 32), v128.load(wp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(xp, 48), v128.load(wp, 48)));
        wp += rowBytes;
      } else {
        a0 = f32x4.add(a0, v128.load(xp));
        a1 = f32x4.add(a1, v128.load(xp, 16));
        a2 = f32x4.add(a2, v128.load(xp, 32));
        a3 = f32x4.add(a3, v128.load(xp, 48));
      }
      xp += rowBytes;
    }
    finish_v(out + o, a0, vscale, scaled, acc);
    finish_v(out + o + 16, a1, vscale, scaled, acc);
    finish_v(out + o + 32, a2, vscale, scaled, acc);
    finish_v(out + o + 48, a3, vscale, scaled, acc);
  }
  for (; c + 4 <= cols; c += 4) {
    const o = <usize>c << 2;
    let a0 = f32x4.splat(0);
    let xp = x + o, wp = w + o;
    for (let r = 0; r < rows; r++) {
      if (PROD) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load(xp), v128.load(wp)));
        wp += rowBytes;
      } else {
        a0 = f32x4.add(a0, v128.load(xp));
      }
      xp += rowBytes;
    }
    finish_v(out + o, a0, vscale, scaled, acc);
  }
  for (; c < cols; c++) {
    const o = <usize>c << 2;
    let s: f32 = 0;
    let p: usize = o;
    for (let r = 0; r < rows; r++) {
      s = s + term_s(PROD, x, w, p);
      p += rowBytes;
    }
    finish_s(out + o, s, scale, scaled, acc);
  }
}

// I = 1, bs = 1: out[g] (+)= (fold over p of term(g, p)) [* scale], groups of P contiguous elements. Four
// groups' folds run interleaved (independent dependency chains), each in p order.
// @ts-ignore: decorator
@inline function row_sums(out: usize, x: usize, w: usize, G: i32, P: i32, scale: f32,
                          PROD: bool, scaled: bool, acc: bool): void {
  const rb = <usize>P << 2;
  let g = 0;
  for (; g + 4 <= G; g += 4) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    let o = <usize>g * rb;
    const end = o + rb;
    for (; o < end; o += 4) {
      s0 = s0 + term_s(PROD, x, w, o);
      s1 = s1 + term_s(PROD, x, w, o + rb);
      s2 = s2 + term_s(PROD, x, w, o + 2 * rb);
      s3 = s3 + term_s(PROD, x, w, o + 3 * rb);
    }
    const q = out + (<usize>g << 2);
    finish_s(q, s0, scale, scaled, acc);
    finish_s(q + 4, s1, scale, scaled, acc);
    finish_s(q + 8, s2, scale, scaled, acc);
    finish_s(q + 12, s3, scale, scaled, acc);
  }
  for (; g < G; g++) {
    let s: f32 = 0;
    let o = <usize>g * rb;
    const end = o + rb;
    for (; o < end; o += 4) s = s + term_s(PROD, x, w, o);
    finish_s(out + (<usize>g << 2), s, scale, scaled, acc);
  }
}

// The [G, P, I] nest of the reductions: ng column sums of `rows` rows of `cols` (bs = 0: one of G*P rows
// of I; P = 1: one row of G*I; G = 1: one of P rows; else one per group), or, for I = 1, the groups' folds
// interleaved.
// @ts-ignore: decorator
@inline function reduce_groups(out: usize, x: usize, w: usize, G: i32, P: i32, I: i32, bs: i32, scale: f32,
                               PROD: bool, scaled: bool, acc: bool): void {
  if (I <= 0 || G < 0 || P < 0) return;
  if (bs != 0 && I == 1 && G > 1 && P > 1) {
    row_sums(out, x, w, G, P, scale, PROD, scaled, acc);
    return;
  }
  const one = bs == 0 || P == 1 || G == 1;
  const ng = one ? 1 : G;
  const rows = bs == 0 ? G * P : P;
  const cols = bs != 0 && P == 1 ? G * I : I;
  const ob = <usize>cols << 2, xb = <usize>rows * ob;
  for (let g = 0; g < ng; g++) {
    col_sums(out + <usize>g * ob, x + <usize>g * xb, w + <usize>g * xb, rows, cols, scale, PROD, scaled, acc);
  }
}

export function sum_groups_f32(out: usize, x: usize, G: i32, P: i32, I: i32, bs: i32, scale: f32,
                               accumulate: i32): void {
  reduce_groups(out, x, 0, G, P, I, bs, scale, false, true, accumulate != 0);
}

export function mul_sum_groups_f32(out: usize, x: usize, w: usize, G: i32, P: i32, I: i32, bs: i32,
                                   accumulate: i32): void {
  reduce_groups(out, x, w, G, P, I, bs, 1, true, false, accumulate != 0);
}

// ---------------------------------------------------------------- broadcast

// out[i] (+)= x[i] * scale for i < n; with SPLAT, x[0] * scale for every i.
// @ts-ignore: decorator
@inline function bcast_row(out: usize, x: usize, n: i32, scale: f32, SPLAT: bool, ACC: bool): void {
  const vscale = f32x4.splat(scale);
  const sv = SPLAT ? load<f32>(x) * scale : <f32>0;
  const vv = f32x4.splat(sv);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    let v0 = SPLAT ? vv : f32x4.mul(v128.load(x + o), vscale);
    let v1 = SPLAT ? vv : f32x4.mul(v128.load(x + o, 16), vscale);
    if (ACC) {
      v0 = f32x4.add(v128.load(out + o), v0);
      v1 = f32x4.add(v128.load(out + o, 16), v1);
    }
    v128.store(out + o, v0);
    v128.store(out + o, v1, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let v0 = SPLAT ? vv : f32x4.mul(v128.load(x + o), vscale);
    if (ACC) v0 = f32x4.add(v128.load(out + o), v0);
    v128.store(out + o, v0);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let v = SPLAT ? sv : load<f32>(x + o) * scale;
    if (ACC) v = load<f32>(out + o) + v;
    store<f32>(out + o, v);
  }
}

// The [G, P, I] nest of the broadcast, as binary_groups's.
// @ts-ignore: decorator
@inline function bcast_groups(out: usize, x: usize, G: i32, P: i32, I: i32, bs: i32, scale: f32, ACC: bool): void {
  if (G <= 0 || P <= 0 || I <= 0) return;
  if (I == 1) {
    const ng = bs == 0 ? 1 : G, len = bs == 0 ? G * P : P;
    const xstep: usize = bs == 0 ? 0 : 4, rb = <usize>len << 2;
    for (let g = 0; g < ng; g++) bcast_row(out + <usize>g * rb, x + <usize>g * xstep, len, scale, true, ACC);
    return;
  }
  const ng = bs == 0 || P == 1 ? 1 : G;
  const per = bs == 0 ? G * P : P == 1 ? 1 : P;
  const len = bs != 0 && P == 1 ? G * I : I;
  const rb = <usize>len << 2, xstep = <usize>I << 2;
  let o = out;
  for (let g = 0; g < ng; g++) {
    const xg = x + <usize>g * xstep;
    for (let p = 0; p < per; p++) {
      bcast_row(o, xg, len, scale, false, ACC);
      o += rb;
    }
  }
}

export function broadcast_groups_f32(out: usize, x: usize, G: i32, P: i32, I: i32, bs: i32, scale: f32,
                                     accumulate: i32): void {
  if (accumulate != 0) bcast_groups(out, x, G, P, I, bs, scale, true);
  else bcast_groups(out, x, G, P, I, bs, scale, false);
}
