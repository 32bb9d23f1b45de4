// assembly/kernels/activation.ts
// Elementwise activations, forward and backward side by side: relu, leaky relu, tanh, sigmoid.
// Scalar twins: assembly/ref/activation.ts (same signatures, suffix _ref), identical bits.
//
// Legend: N = element count (n). x, y, dy, dx: N contiguous f32 at byte addresses (usize) into linear
// memory, 16-byte aligned at the start; any N >= 0 (the tail is handled in scalar code).
//
// Contract
//   * forward:  y = f(x). y may alias x.
//   * backward: dx = dy * f'(x), computed from the forward OUTPUT y, never the input (that is all the
//     four functions need):
//       relu   f' = y > 0 ? 1 : 0
//       leaky  f' = y > 0 ? 1 : alpha   (alpha > 0 assumed, so sign(y) = sign(x); alpha is an argument)
//       tanh   f' = 1 - y^2
//       sigmoid f' = y (1 - y)
//     The backward WRITES dx, it does not accumulate. dx may alias dy.
//   * At the kink x = 0 relu and leaky relu take the left derivative (0 and alpha).
//   * NaN: relu and leaky relu pass a NaN x through to y unchanged; tanh and sigmoid return the input NaN
//     (assembly/math.ts). relu(-0) = +0, leaky(-0) = -0.
//   * Transcendentals come from assembly/math.ts: the v128 and f32 versions round identically, so the
//     SIMD body, the scalar tail and the _ref twin agree bit for bit.
//
// Body of every kernel: 8 elements (two v128) per iteration, then one v128, then a scalar tail.

import { sigmoid_f32, sigmoid_v128, tanh_f32, tanh_v128 } from "../math";

// ---------------------------------------------------------------- relu
export function relu_forward_f32(y: usize, x: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(x + o);
    const b = v128.load(x + o, 16);
    v128.store(y + o, v128.andnot(a, f32x4.le(a, zero)));
    v128.store(y + o, v128.andnot(b, f32x4.le(b, zero)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const a = v128.load(x + o);
    v128.store(y + o, v128.andnot(a, f32x4.le(a, zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const a = load<f32>(x + o);
    store<f32>(y + o, select<f32>(0, a, a <= 0));
  }
}

export function relu_backward_f32(dx: usize, y: usize, dy: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const ya = v128.load(y + o);
    const yb = v128.load(y + o, 16);
    const ga = v128.load(dy + o);
    const gb = v128.load(dy + o, 16);
    v128.store(dx + o, v128.and(ga, f32x4.gt(ya, zero)));
    v128.store(dx + o, v128.and(gb, f32x4.gt(yb, zero)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const ya = v128.load(y + o);
    const ga = v128.load(dy + o);
    v128.store(dx + o, v128.and(ga, f32x4.gt(ya, zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, select<f32>(load<f32>(dy + o), 0, load<f32>(y + o) > 0));
  }
}

// ---------------------------------------------------------------- leaky relu
export function leaky_relu_forward_f32(y: usize, x: usize, n: i32, alpha: f32): void {
  const zero = f32x4.splat(0);
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(x + o);
    const b = v128.load(x + o, 16);
    v128.store(y + o, v128.bitselect(f32x4.mul(va, a), a, f32x4.le(a, zero)));
    v128.store(y + o, v128.bitselect(f32x4.mul(va, b), b, f32x4.le(b, zero)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const a = v128.load(x + o);
    v128.store(y + o, v128.bitselect(f32x4.mul(va, a), a, f32x4.le(a, zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const a = load<f32>(x + o);
    store<f32>(y + o, select<f32>(alpha * a, a, a <= 0));
  }
}

export function leaky_relu_backward_f32(dx: usize, y: usize, dy: usize, n: i32, alpha: f32): void {
  const zero = f32x4.splat(0);
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const ya = v128.load(y + o);
    const yb = v128.load(y + o, 16);
    const ga = v128.load(dy + o);
    const gb = v128.load(dy + o, 16);
    v128.store(dx + o, v128.bitselect(ga, f32x4.mul(va, ga), f32x4.gt(ya, zero)));
    v128.store(dx + o, v128.bitselect(gb, f32x4.mul(va, gb), f32x4.gt(yb, zero)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const ya = v128.load(y + o);
    const ga = v128.load(dy + o);
    v128.store(dx + o, v128.bitselect(ga, f32x4.mul(va, ga), f32x4.gt(ya, zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, select<f32>(g, alpha * g, load<f32>(y + o) > 0));
  }
}

// ---------------------------------------------------------------- tanh
export function tanh_forward_f32(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(x + o);
    const b = v128.load(x + o, 16);
    v128.store(y + o, tanh_v128(a));
    v128.store(y + o, tanh_v128(b), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, tanh_v128(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, tanh_f32(load<f32>(x + o)));
  }
}

export function tanh_backward_f32(dx: usize, y: usize, dy: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const ya = v128.load(y + o);
    const yb = v128.load(y + o, 16);
    const ga = v128.load(dy + o);
    const gb = v128.load(dy + o, 16);
    v128.store(dx + o, f32x4.mul(ga, f32x4.sub(one, f32x4.mul(ya, ya))));
    v128.store(dx + o, f32x4.mul(gb, f32x4.sub(one, f32x4.mul(yb, yb))), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const ya = v128.load(y + o);
    const ga = v128.load(dy + o);
    v128.store(dx + o, f32x4.mul(ga, f32x4.sub(one, f32x4.mul(ya, ya))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (<f32>1 - v * v));
  }
}

// ---------------------------------------------------------------- sigmoid
export function sigmoid_forward_f32(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(x + o);
    const b = v128.load(x + o, 16);
    v128.store(y + o, sigmoid_v128(a));
    v128.store(y + o, sigmoid_v128(b), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, sigmoid_v128(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, sigmoid_f32(load<f32>(x + o)));
  }
}

export function sigmoid_backward_f32(dx: usize, y: usize, dy: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const ya = v128.load(y + o);
    const yb = v128.load(y + o, 16);
    const ga = v128.load(dy + o);
    const gb = v128.load(dy + o, 16);
    v128.store(dx + o, f32x4.mul(ga, f32x4.mul(ya, f32x4.sub(one, ya))));
    v128.store(dx + o, f32x4.mul(gb, f32x4.mul(yb, f32x4.sub(one, yb))), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const ya = v128.load(y + o);
    const ga = v128.load(dy + o);
    v128.store(dx + o, f32x4.mul(ga, f32x4.mul(ya, f32x4.sub(one, ya))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (v * (<f32>1 - v)));
  }
}
