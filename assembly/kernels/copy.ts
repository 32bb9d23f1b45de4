// assembly/kernels/copy.ts
// Copies, sums and scalings of f32 ranges and row windows. Scalar twins of the new entry points:
// assembly/ref/copy.ts (suffix _ref), identical bits.
//
// Legend: n = element count; rows x cols = a window of a row-major matrix whose rows lie dstStride /
//   srcStride ELEMENTS apart (the window of the last axis that concat writes and slice reads).
//   Byte addresses (usize), 16-byte aligned at the start of each buffer; rows of a window need not be
//   aligned (unaligned v128 loads). Any n, rows, cols >= 0.
//
// Contract
//   * copy_f32(dst, src, n): memory.copy, the regions may overlap.
//   * add_f32(dst, src, n): dst[i] = dst[i] + src[i]. dst may equal src (doubles it), no partial overlap.
//   * scale_f32(y, x, n, c): y[i] = x[i] * c. y may alias x.
//   * copy_rows_f32(dst, dstStride, src, srcStride, rows, cols, accumulate):
//     dst[r*dstStride + c] = (accumulate != 0 ? dst[...] + src[r*srcStride + c] : src[r*srcStride + c]).
//     dst and src never overlap.
//   * reduce_slots_f32: the fixed pairwise tree over gradient slots (below).
//   All of them are element-wise (one rounding per element at most), so any split of a range, SIMD or
//   scalar, gives the same bits.
//
// Body: 8 elements (two v128) per iteration, one v128, scalar tail.

// Copies n f32 from src to dst (memory.copy: the regions may overlap). Used where a layer passes its input
// through unchanged (dropout at inference) but still owns a separate output buffer.
export function copy_f32(dst: usize, src: usize, n: i32): void {
  if (n > 0) memory.copy(dst, src, <usize>n << 2);
}

// dst[i] = fr(dst[i] + src[i]) for i < n. Element-wise, so any split of a range gives the same bits.
// @ts-ignore: decorator
@inline function add_into(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    v128.store(dst + o, f32x4.add(v128.load(dst + o, 16), v128.load(src + o, 16)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

// dst[i] = src[i] for i < n, through v128 registers (for the short rows of a window memory.copy's call
// overhead dominates). dst and src do not overlap.
// @ts-ignore: decorator
@inline function copy_into(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(src + o);
    const b = v128.load(src + o, 16);
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, v128.load(src + o));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(src + o));
  }
}

/** dst[i] = dst[i] + src[i] for i < n (the gradient of a tensor read twice, summed in place). */
export function add_f32(dst: usize, src: usize, n: i32): void {
  add_into(dst, src, n);
}

/** y[i] = x[i] * c for i < n. y may alias x. */
export function scale_f32(y: usize, x: usize, n: i32, c: f32): void {
  const vc = f32x4.splat(c);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(x + o);
    const b = v128.load(x + o, 16);
    v128.store(y + o, f32x4.mul(a, vc));
    v128.store(y + o, f32x4.mul(b, vc), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(x + o), vc));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(x + o) * c);
  }
}

/**
 * A rows x cols window: dst[r*dstStride + c] (+)= src[r*srcStride + c] (strides in elements). Concat
 * writes each input into its window of the output (and its backward reads the windows back); slice reads
 * one window. Contiguous windows (both strides == cols) run as one range.
 */
export function copy_rows_f32(dst: usize, dstStride: i32, src: usize, srcStride: i32, rows: i32, cols: i32,
                              accumulate: i32): void {
  if (rows <= 0 || cols <= 0) return;
  if (dstStride == cols && srcStride == cols && <i64>rows * <i64>cols <= <i64>i32.MAX_VALUE) {
    if (accumulate != 0) add_into(dst, src, rows * cols);
    else memory.copy(dst, src, <usize>rows * <usize>cols << 2);
    return;
  }
  const db = <usize>dstStride << 2, sb = <usize>srcStride << 2;
  if (accumulate != 0) {
    for (let r = 0; r < rows; r++) add_into(dst + <usize>r * db, src + <usize>r * sb, cols);
  } else {
    for (let r = 0; r < rows; r++) copy_into(dst + <usize>r * db, src + <usize>r * sb, cols);
  }
}

/**
 * Sums `slots` copies of a range of n f32, laid out `stride` bytes apart from `dst`, into the first copy,
 * in a fixed pairwise tree: first slot s += slot s + 1 for even s, then s += s + 2 for s divisible by 4,
 * and so on (4 slots: (g0 + g1) + (g2 + g3)). The order depends only on `slots`, never on who calls it or
 * on how the range is split, which is what makes gradient shards add up to the same bits for any number
 * of workers (docs/workers.md). Slots other than the first hold partial sums afterwards.
 */
export function reduce_slots_f32(dst: usize, stride: usize, slots: i32, n: i32): void {
  for (let step = 1; step < slots; step <<= 1) {
    for (let s = 0; s + step < slots; s += step << 1) {
      add_into(dst + <usize>s * stride, dst + <usize>(s + step) * stride, n);
    }
  }
}
