// The one place where the relaxed build differs from the baseline: the multiply-add of the GEMM tiles.
//
// asconfig.json builds the same sources twice per memory kind: baseline SIMD (the default, bit-reproducible
// everywhere) and with `--enable relaxed-simd` (the opt-in `relaxed` builds). ASC_FEATURE_RELAXED_SIMD is a
// compile-time constant, so each build compiles only its own branch: the baseline build's code is the
// separate multiply and add it always was (each rounded to f32), and the relaxed build emits
// f32x4.relaxed_madd, which the engine may run as a fused multiply-add (one rounding; x86 FMA3, ARM NEON)
// or as the same two operations, depending on the CPU. Its results are therefore close to the baseline's
// (within a rounding per term) but not the same bits on every machine (docs/kernels.md, "The relaxed build").

/** acc + x * y, lane by lane: two roundings in the baseline build, one or two in the relaxed one. */
// @ts-ignore: decorator
@inline export function madd(acc: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, y, acc);
  return f32x4.add(acc, f32x4.mul(x, y));
}

/** 1 in the relaxed builds, 0 in the baseline ones: what the facade reads to name the build it was given. */
export function relaxed_simd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
