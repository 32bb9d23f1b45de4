// assembly/ref/activation.ts
// Scalar twins of assembly/kernels/activation.ts: one plain loop each, the same f32 operations in the
// same order as every SIMD lane, so results are identical bit for bit. For tests and benchmarks.
// Legend and contract: see the kernel file (N = n; y may alias x; dx may alias dy; backward WRITES dx
// from the forward output y; leaky relu assumes alpha > 0).

import { sigmoid_f32, tanh_f32 } from "../math";

export function relu_forward_f32_ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const a = load<f32>(x + o);
    store<f32>(y + o, select<f32>(0, a, a <= 0));
  }
}

export function relu_backward_f32_ref(dx: usize, y: usize, dy: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, select<f32>(load<f32>(dy + o), 0, load<f32>(y + o) > 0));
  }
}

export function leaky_relu_forward_f32_ref(y: usize, x: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const a = load<f32>(x + o);
    store<f32>(y + o, select<f32>(alpha * a, a, a <= 0));
  }
}

export function leaky_relu_backward_f32_ref(dx: usize, y: usize, dy: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, select<f32>(g, alpha * g, load<f32>(y + o) > 0));
  }
}

export function tanh_forward_f32_ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, tanh_f32(load<f32>(x + o)));
  }
}

export function tanh_backward_f32_ref(dx: usize, y: usize, dy: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (<f32>1 - v * v));
  }
}

export function sigmoid_forward_f32_ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, sigmoid_f32(load<f32>(x + o)));
  }
}

export function sigmoid_backward_f32_ref(dx: usize, y: usize, dy: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (v * (<f32>1 - v)));
  }
}
