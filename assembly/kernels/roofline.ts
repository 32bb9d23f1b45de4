// The machine's ceiling for this module: f32x4 multiply + add on register-resident data.
// Legend: iters = loop trips. Each trip issues 12 independent mul+add pairs on f32x4 (96 flops), enough
// independent chains to cover the add latency on current x86 and ARM cores. Returns a value that depends
// on every accumulator so the loop cannot be removed. bench/ divides 96 * iters by the elapsed time.
// In the relaxed build (assembly/madd.ts) each pair is one f32x4.relaxed_madd: the ceiling of that build.

// @ts-ignore: decorator
@inline function step(a: v128, m: v128, d: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, m, d);
  return f32x4.add(f32x4.mul(a, m), d);
}

export function roofline_f32(iters: i32, seed: f32): f32 {
  const m = f32x4.splat(<f32>0.999999);
  let a0 = f32x4.splat(seed), a1 = f32x4.splat(seed + 1), a2 = f32x4.splat(seed + 2);
  let a3 = f32x4.splat(seed + 3), a4 = f32x4.splat(seed + 4), a5 = f32x4.splat(seed + 5);
  let a6 = f32x4.splat(seed + 6), a7 = f32x4.splat(seed + 7), a8 = f32x4.splat(seed + 8);
  let a9 = f32x4.splat(seed + 9), a10 = f32x4.splat(seed + 10), a11 = f32x4.splat(seed + 11);
  const d = f32x4.splat(<f32>1e-7);
  for (let i = 0; i < iters; i++) {
    a0 = step(a0, m, d); a1 = step(a1, m, d);
    a2 = step(a2, m, d); a3 = step(a3, m, d);
    a4 = step(a4, m, d); a5 = step(a5, m, d);
    a6 = step(a6, m, d); a7 = step(a7, m, d);
    a8 = step(a8, m, d); a9 = step(a9, m, d);
    a10 = step(a10, m, d); a11 = step(a11, m, d);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)),
    f32x4.add(f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)),
      f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
