// Scalar twins of assembly/kernels/init.ts: the obvious per-element definitions, for tests and benches.
// Every element computes its own Philox block (4x the work of the kernels), so nothing here depends on
// blocking, tails or SIMD.
import { gaussian_at_f32, uniform_at_f32 } from "../rng";

export function init_normal_f32_ref(
  p: usize, n: i32, mean: f32, std: f32, k0: u32, k1: u32, w2: u32, domain: u32,
): void {
  for (let i = 0; i < n; i++) {
    store<f32>(p + (<usize>i << 2), mean + std * gaussian_at_f32(<u64>i, k0, k1, w2, domain));
  }
}

export function init_uniform_f32_ref(
  p: usize, n: i32, lo: f32, hi: f32, k0: u32, k1: u32, w2: u32, domain: u32,
): void {
  const span = hi - lo;
  for (let i = 0; i < n; i++) {
    store<f32>(p + (<usize>i << 2), lo + span * uniform_at_f32(<u64>i, k0, k1, w2, domain));
  }
}

export function fill_f32_ref(p: usize, n: i32, value: f32): void {
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), value);
}
