// test/assembly/helpers.ts
// Test helpers shared by the kernel suites (activation, bias, loss, dropout): deterministic inputs from a
// 32-bit LCG, guarded buffers (GUARD sentinel words after every buffer, which no kernel may write), and
// bit-exact comparison with a guard-zone check. Not a spec file: suites import what they use.
//
// The LCG state is module-global, so each suite calls reseed() with its own starting seed before drawing;
// the draws, and so every input, are then a pure function of that seed and the suite's call order.

export const GUARD = 8; //               f32 slots after each buffer that no kernel may write
export const SENTINEL: u32 = 0x7fa5a5a5; // a signalling-NaN pattern no kernel produces

// ---- deterministic inputs: a 32-bit LCG (Numerical Recipes constants) ----
let seed: u32 = 12345;
/** Restarts the LCG at s. */
export function reseed(s: u32): void {
  seed = s;
}
export function nextU32(): u32 {
  seed = seed * 1664525 + 1013904223;
  return seed;
}
export function uniform(): f32 { // [0, 1)
  return <f32>(nextU32() >>> 8) * <f32>(1.0 / 16777216.0);
}
/**
 * A mix of zeros (both signs), ordinary values in [-4, 4), large values in [-large, large), and tiny
 * values in [-tiny, tiny); the remaining eighth of the draws are values in [-30, 30), or, with
 * infinities, +-Infinity instead. Each kind takes a fixed number of LCG draws.
 */
export function nextValue(large: f32, tiny: f32 = 1e-4, infinities: bool = false): f32 {
  const kind = nextU32() >>> 29;
  if (kind == 0) return (nextU32() & 1) ? <f32>-0.0 : <f32>0.0;
  if (kind <= 4) return uniform() * 8 - 4;
  if (kind == 5) {
    if (infinities) return (nextU32() & 1) ? <f32>-Infinity : <f32>Infinity;
    return uniform() * 60 - 30;
  }
  if (kind == 6) return uniform() * (large * 2) - large; // large * 2 is exact in f32
  return (uniform() * 2 - 1) * tiny;
}

// ---- guarded buffers ----
/** Address of f32/i32/u32 slot i of p. */
export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}
/** n f32 slots plus GUARD more, all set to SENTINEL. */
export function alloc(n: i32): usize {
  const p = heap.alloc(<usize>(n + GUARD) << 2);
  for (let i = 0; i < n + GUARD; i++) store<u32>(at(p, i), SENTINEL);
  return p;
}
/** n values of nextValue(large, tiny, infinities). */
export function fill(p: usize, n: i32, large: f32, tiny: f32 = 1e-4, infinities: bool = false): void {
  for (let i = 0; i < n; i++) store<f32>(at(p, i), nextValue(large, tiny, infinities));
}
export function copy(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

// ---- bit-exact comparison ----
/** Words that differ over [0, n). */
export function mismatches(a: usize, b: usize, n: i32): i32 {
  let bad = 0;
  for (let i = 0; i < n; i++) if (load<u32>(at(a, i)) != load<u32>(at(b, i))) bad++;
  return bad;
}
/**
 * Expects a and b to hold the same bits and a's guard zone to be untouched. With withGuard (for
 * comparisons against a _ref twin) the comparison runs over [0, n + GUARD), so the twin's guard zone must
 * be untouched as well; without it, over [0, n) only (b need not be a guarded buffer written by a kernel).
 */
export function expectSameBits(a: usize, b: usize, n: i32, label: string, withGuard: bool = true): void {
  if (withGuard) {
    expect(mismatches(a, b, n + GUARD)).toBe(0, label + ": words differing from the _ref twin (incl. guard zone)");
  } else {
    expect(mismatches(a, b, n)).toBe(0, label + ": words differing");
  }
  let guard = 0;
  for (let i = n; i < n + GUARD; i++) if (load<u32>(at(a, i)) != SENTINEL) guard++;
  expect(guard).toBe(0, label + ": wrote past n");
}
