// assembly/simd.ts
// Small helpers shared by the SIMD kernels built around sigmoid and tanh (the recurrent cells, the CGRU):
//   * loads and stores of the first k lanes of an f32x4, so that the last 1-3 columns of a row run the
//     same vector code on a partial vector instead of a second, scalar copy of the body (math.ts's f32 and
//     v128 functions round identically, so either gives the same bits; one copy keeps the module small).
//     Lanes past k read as +0 and are never written; nothing outside [p, p + 4k) is touched, so a row may
//     end at the end of memory. Words move as i32, so NaN payloads are kept. The full-vector case is
//     inline; the partial one is a call, taken once per row.
//   * sigmoid and tanh over a row (math.ts's f32x4 forms, the same bits): the kernels apply them a row at
//     a time in separate passes, so the module holds one copy of each body and the calls are per row.

import { sigmoid_v128, tanh_v128 } from "./math";

function load_partial(p: usize, k: i32): v128 {
  let v = i32x4.replace_lane(i32x4.splat(0), 0, load<i32>(p));
  if (k > 1) v = i32x4.replace_lane(v, 1, load<i32>(p, 4));
  if (k > 2) v = i32x4.replace_lane(v, 2, load<i32>(p, 8));
  return v;
}

function store_partial(p: usize, v: v128, k: i32): void {
  store<i32>(p, i32x4.extract_lane(v, 0));
  if (k > 1) store<i32>(p, i32x4.extract_lane(v, 1), 4);
  if (k > 2) store<i32>(p, i32x4.extract_lane(v, 2), 8);
}

/** The f32x4 whose first k lanes (1 <= k <= 4) are the k words at p, the others +0. */
// @ts-ignore: decorator
@inline export function load_lanes(p: usize, k: i32): v128 {
  return k >= 4 ? v128.load(p) : load_partial(p, k);
}

/** Stores the first k lanes (1 <= k <= 4) of v at p. */
// @ts-ignore: decorator
@inline export function store_lanes(p: usize, v: v128, k: i32): void {
  if (k >= 4) v128.store(p, v);
  else store_partial(p, v, k);
}

// dst = F(a + b) (F(a) when b == 0) over `rows` rows of n, each operand's rows `*Stride` elements apart.
// @ts-ignore: decorator
@inline function map_rows(dst: usize, dstStride: i32, a: usize, aStride: i32, b: usize, bStride: i32, rows: i32,
                          n: i32, TANH: bool): void {
  for (let r = 0; r < rows; r++) {
    const ru = <usize>r;
    const dr = dst + ((ru * <usize>dstStride) << 2), ar = a + ((ru * <usize>aStride) << 2);
    const br = b + ((ru * <usize>bStride) << 2);
    for (let j = 0; j < n; j += 4) {
      const k = min<i32>(4, n - j), o = <usize>j << 2;
      let v = load_lanes(ar + o, k);
      if (b != 0) v = f32x4.add(v, load_lanes(br + o, k));
      store_lanes(dr + o, TANH ? tanh_v128(v) : sigmoid_v128(v), k);
    }
  }
}

/**
 * dst[r, j] = sigmoid(a[r, j] + b[r, j]) (sigmoid(a[r, j]) when b == 0) for r < rows, j < n, rows of each
 * operand `*Stride` elements apart; math.ts's f32x4 sigmoid, the same bits as sigmoid_f32. dst may alias a or
 * b element for element. One copy of the body in the module and one call per pass (a call per vector costs
 * up to 2x in V8).
 */
export function sigmoid_rows(dst: usize, dstStride: i32, a: usize, aStride: i32, b: usize, bStride: i32, rows: i32,
                             n: i32): void {
  map_rows(dst, dstStride, a, aStride, b, bStride, rows, n, false);
}

/** As sigmoid_rows with math.ts's tanh. */
export function tanh_rows(dst: usize, dstStride: i32, a: usize, aStride: i32, b: usize, bStride: i32, rows: i32,
                          n: i32): void {
  map_rows(dst, dstStride, a, aStride, b, bStride, rows, n, true);
}
