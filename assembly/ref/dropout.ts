// assembly/ref/dropout.ts
// Scalar twins of assembly/kernels/dropout.ts: the definition written out, one Philox call per element
// (4x redundant, for clarity), the same f32 operations as every SIMD lane, so results are identical bit
// for bit. For tests and benchmarks.
// Legend and contract: see the kernel file (N = n; START = start; rate in [0, 1); rate == 0 is a bit
// copy; y may alias x; dx may alias dy; backward WRITES dx with the forward's mask and scale).

import { RNG_DOMAIN_DROPOUT } from "../shared/abi";
import { philox4x32_10_x1, u01_f32, word_u32 } from "../rng";

/** Keep bit of stream element e: u_e >= rate, u_e = word e % 4 of Philox(e / 4, layer, step, DROPOUT). */
function keep_ref(e: u32, rate: f32, k0: u32, k1: u32, step: u32, layer: u32): bool {
  const w = philox4x32_10_x1(e >>> 2, layer, step, <u32>RNG_DOMAIN_DROPOUT, k0, k1);
  return u01_f32(word_u32(w, <i32>(e & 3))) >= rate;
}

function dropout_apply_ref(
  y: usize, x: usize, n: i32, rate: f32, k0: u32, k1: u32, step: u32, layer: u32, start: i32,
): void {
  if (rate == 0) {
    for (let i = 0; i < n; i++) store<u32>(y + (<usize>i << 2), load<u32>(x + (<usize>i << 2)));
    return;
  }
  const scale: f32 = <f32>1 / (<f32>1 - rate);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o) * scale;
    store<f32>(y + o, select<f32>(v, 0, keep_ref(<u32>start + <u32>i, rate, k0, k1, step, layer)));
  }
}

export function dropout_forward_f32_ref(
  y: usize, x: usize, n: i32, rate: f32, k0: u32, k1: u32, step: u32, layer: u32, start: i32,
): void {
  dropout_apply_ref(y, x, n, rate, k0, k1, step, layer, start);
}

export function dropout_backward_f32_ref(
  dx: usize, dy: usize, n: i32, rate: f32, k0: u32, k1: u32, step: u32, layer: u32, start: i32,
): void {
  dropout_apply_ref(dx, dy, n, rate, k0, k1, step, layer, start);
}
