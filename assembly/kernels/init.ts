// Parameter initialisation and constant fills, f32.
// Legend: N element count; p: N contiguous f32 (any 4-byte alignment; 16-byte aligned in the arena).
//
// Contract
// - Any N >= 0. Element i is a pure function of (seed = k1:k0, domain, w2, i) (counter convention in
//   rng.ts): block i / 4, lane i % 4. So a fill of N elements equals the first N of any longer fill, and
//   the bits do not depend on the SIMD width or the tail handling.
// - init_normal_f32: p[i] = mean + std * z_i, z_i standard normal (Box-Muller on Philox4x32-10, |z| <=
//   5.7681, see rng.ts), the product and the sum each rounded to f32.
// - init_uniform_f32: p[i] = lo + (hi - lo) * u_i, u_i = (word >>> 8) * 2^-24 in [0, 1), (hi - lo) rounded
//   to f32 first.
// - fill_f32: p[i] = value.
// - Callers pass domain = RNG_DOMAIN_INIT and w2 = the tensor's index for initialisation; any other
//   (domain, w2) gives an independent stream.
// Scalar twins with the same signatures: assembly/ref/init.ts (tests demand bit-identity).
import { gaussian_fill_f32, uniform_fill_f32 } from "../rng";

export function init_normal_f32(
  p: usize, n: i32, mean: f32, std: f32, k0: u32, k1: u32, w2: u32, domain: u32,
): void {
  gaussian_fill_f32(p, 0, n, mean, std, k0, k1, w2, domain);
}

export function init_uniform_f32(
  p: usize, n: i32, lo: f32, hi: f32, k0: u32, k1: u32, w2: u32, domain: u32,
): void {
  uniform_fill_f32(p, 0, n, lo, hi, k0, k1, w2, domain);
}

export function fill_f32(p: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    v128.store(q, v);
    v128.store(q, v, 16);
    v128.store(q, v, 32);
    v128.store(q, v, 48);
  }
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), value);
}
