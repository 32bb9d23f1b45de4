// The one place a seed becomes the Philox key: a safe integer in [0, 2^53) split into its low and high
// 32-bit halves (key words k0, k1), as every counter-based stream of the library expects.
export function seedHalves(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}
