// assembly/simd.ts
// Small helpers shared by the SIMD kernels whose body is one long chain of vector operations (the
// recurrent cells, the CGRU):
//   * loads and stores of the first k lanes of an f32x4, so that the last 1-3 columns of a row run the
//     same vector code on a partial vector instead of a second, scalar copy of the body (math.ts's f32 and
//     v128 functions round identically, so either gives the same bits; one copy keeps the module small).
//     Lanes past k read as +0 and are never written; nothing outside [p, p + 4k) is touched, so a row may
//     end at the end of memory. Words move as i32, so NaN payloads are kept. The full-vector case is
//     inline; the partial one is a call, taken once per row.
//   * math.ts's f32x4 sigmoid and tanh out of line (the same bits): one copy of each body in the module
//     instead of one per use; a call costs little next to the body.

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

/** math.ts's sigmoid_v128, out of line. */
export function sigmoid_x4(x: v128): v128 {
  return sigmoid_v128(x);
}

/** math.ts's tanh_v128, out of line. */
export function tanh_x4(x: v128): v128 {
  return tanh_v128(x);
}
