// Test-only wasm entry (not part of the ABI in assembly/index.ts): exports the RNG, trig and init kernels
// so test/ts/philox.test.ts can compare the TypeScript twin src/core/philox.ts with the wasm bits.
// Built by that test with --enable simd --runtime stub -O3, memory exported.
export { philox4x32_10, gaussian_fill_f32, gaussian_add_f32, uniform_fill_f32 } from "../rng";
export { sincos_f32, sincos_x4_f32 } from "../trig";
export { init_normal_f32, init_uniform_f32, fill_f32 } from "../kernels/init";
export { init_normal_f32_ref, init_uniform_f32_ref, fill_f32_ref } from "../ref/init";

/** First free byte past the static data, 16-byte aligned: tests place their buffers from here. */
export function heap_start(): usize {
  return (__heap_base + 15) & ~<usize>15;
}
