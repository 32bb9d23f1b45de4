// The TypeScript twin of the RNG (src/core/philox.ts): Random123 known answers, bit-identity with the
// wasm kernels, and the statistics of the normals.
//
// Known-answer vectors: Random123 (D. E. Shaw Research), tests/kat_vectors, the 'philox4x32 10' lines
// (counter[4] key[2] -> output[4]); quoted verbatim by independent ports (E. Sarmas' philox.py, the
// rust Philox4x32_10 crate tests).
//
// The wasm side is a test-only entry, assembly/testing/rng_entry.ts, compiled here with the same flags as
// the release build's SIMD target (--enable simd, stub runtime, -O3), memory exported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTestWasm } from './helpers.js';
import {
  addNormals, initNormal, initUniform, logF32, normals, philox4x32_10, seedKey, sincosF32, uniform01,
  uniform01c,
} from '../../src/core/philox.js';
import { RNG_DOMAIN_INIT, RNG_DOMAIN_NOISE } from '../../assembly/shared/abi.js';

const KAT: [number[], number[], number[]][] = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

interface RngExports {
  memory: WebAssembly.Memory;
  heap_start(): number;
  philox4x32_10(out: number, c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): void;
  gaussian_fill_f32(p: number, start: bigint, n: number, shift: number, scale: number,
    k0: number, k1: number, w2: number, w3: number): void;
  gaussian_add_f32(p: number, start: bigint, n: number, scale: number,
    k0: number, k1: number, w2: number, w3: number): void;
  uniform_fill_f32(p: number, start: bigint, n: number, lo: number, hi: number,
    k0: number, k1: number, w2: number, w3: number): void;
  sincos_f32(out: number, x: number): void;
  init_normal_f32(p: number, n: number, mean: number, std: number,
    k0: number, k1: number, w2: number, domain: number): void;
  init_normal_f32_ref(p: number, n: number, mean: number, std: number,
    k0: number, k1: number, w2: number, domain: number): void;
  init_uniform_f32(p: number, n: number, lo: number, hi: number,
    k0: number, k1: number, w2: number, domain: number): void;
}

let cleanup = () => {};
let wasm: RngExports;
let base = 0;

beforeAll(async () => {
  const built = await compileTestWasm<RngExports>('rng', ['assembly/testing/rng_entry.ts']);
  wasm = built.exports;
  cleanup = built.cleanup;
  base = wasm.heap_start();
  const need = base + (8 << 20);
  const have = wasm.memory.buffer.byteLength;
  if (need > have) wasm.memory.grow(Math.ceil((need - have) / 65536));
}, 60_000);

afterAll(() => cleanup());

function f32(p: number, n: number): Float32Array {
  return new Float32Array(wasm.memory.buffer, p, n).slice();
}
function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}
/** Index of the first differing word, or -1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const x = bits(a);
  const y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe('philox4x32_10 known answers (Random123 kat_vectors)', () => {
  it.each(KAT)('ctr %j key %j', (ctr, key, want) => {
    expect([...philox4x32_10(ctr, key)]).toEqual(want);
  });
  it('the wasm export agrees on the same vectors', () => {
    for (const [ctr, key, want] of KAT) {
      wasm.philox4x32_10(base, ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1]);
      expect([...new Uint32Array(wasm.memory.buffer, base, 4)]).toEqual(want);
    }
  });
  it('seedKey splits the 64-bit seed low/high', () => {
    expect(seedKey(0x0123456789abcdefn)).toEqual([0x89abcdef, 0x01234567]);
    expect(seedKey(-1n)).toEqual([0xffffffff, 0xffffffff]);
  });
});

describe('conversions', () => {
  it('uniform01 in [0, 1), uniform01c in (0, 1]', () => {
    expect(uniform01(0)).toBe(0);
    expect(uniform01(0xffffffff)).toBe(1 - 2 ** -24);
    expect(uniform01c(0)).toBe(2 ** -24);
    expect(uniform01c(0xffffffff)).toBe(1);
    expect(uniform01(0x80000000)).toBe(0.5);
  });
  it('logF32 is close to Math.log and exact at 1', () => {
    expect(logF32(1)).toBe(0);
    for (const x of [2 ** -24, 1e-3, 0.3, 0.7071, 0.9999, 1.5, 1e10]) {
      expect(Math.abs(logF32(x) - Math.log(Math.fround(x)))).toBeLessThan(2e-7 * Math.max(1, Math.abs(Math.log(x))));
    }
  });
  it('sincosF32 agrees with the wasm sincos_f32 bit for bit on 10^4 angles', () => {
    for (let i = 0; i < 10000; i++) {
      const x = Math.fround((i + 0.37) * ((2 * Math.PI) / 10000));
      wasm.sincos_f32(base, x);
      const [s, c] = sincosF32(x);
      const got = new Float32Array(wasm.memory.buffer, base, 2);
      expect(Object.is(got[0], Math.fround(s)) && Object.is(got[1], Math.fround(c))).toBe(true);
    }
  });
});

describe('the TypeScript twin equals the wasm kernels bit for bit', () => {
  const seed = 0xdeadbeef_cafef00dn;
  const [k0, k1] = seedKey(seed);

  it.each([0, 1, 3, 4, 5, 8, 17, 43, 50, 1000, 65536])('init_normal_f32, n = %i', (n) => {
    wasm.init_normal_f32(base, n, 0.5, 0.02, k0, k1, 7, RNG_DOMAIN_INIT);
    expect(firstDiff(f32(base, n), initNormal(seed, RNG_DOMAIN_INIT, 7, n, 0.5, 0.02))).toBe(-1);
  });
  it('init_normal_f32 with mean 0, std 1 equals normals() except that -0 becomes +0', () => {
    const n = 4096;
    wasm.init_normal_f32(base, n, 0, 1, k0, k1, 3, RNG_DOMAIN_INIT);
    const z = normals(seed, RNG_DOMAIN_INIT, 3, n);
    const w = f32(base, n);
    for (let i = 0; i < n; i++) expect(w[i]).toBe(z[i] + 0);
  });
  it.each([0, 1, 3, 4, 5, 8, 17, 43, 50, 1000])('init_uniform_f32, n = %i', (n) => {
    wasm.init_uniform_f32(base, n, -0.1, 0.1, k0, k1, 2, RNG_DOMAIN_INIT);
    expect(firstDiff(f32(base, n), initUniform(seed, RNG_DOMAIN_INIT, 2, n, -0.1, 0.1))).toBe(-1);
  });
  it('gaussian_fill_f32 / uniform_fill_f32 / gaussian_add_f32 at unaligned starts, incl. past 2^34', () => {
    for (const start of [1, 2, 3, 6, 1001, 4 * 2 ** 32 - 9]) {
      for (const n of [0, 1, 5, 16, 37, 100]) {
        wasm.gaussian_fill_f32(base, BigInt(start), n, -1, 3, k0, k1, 11, RNG_DOMAIN_NOISE);
        expect(firstDiff(f32(base, n), initNormal(seed, RNG_DOMAIN_NOISE, 11, n, -1, 3, start))).toBe(-1);
        wasm.uniform_fill_f32(base, BigInt(start), n, 2, 5, k0, k1, 11, RNG_DOMAIN_NOISE);
        expect(firstDiff(f32(base, n), initUniform(seed, RNG_DOMAIN_NOISE, 11, n, 2, 5, start))).toBe(-1);
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 4);
        new Float32Array(wasm.memory.buffer, base, n).set(x);
        wasm.gaussian_add_f32(base, BigInt(start), n, 0.07, k0, k1, 11, RNG_DOMAIN_NOISE);
        expect(firstDiff(f32(base, n), addNormals(x, seed, RNG_DOMAIN_NOISE, 11, 0.07, start))).toBe(-1);
      }
    }
  });
  it('a one-bit change anywhere is detected (the comparison is not vacuous)', () => {
    const n = 1000;
    wasm.init_normal_f32(base, n, 0, 1, k0, k1, 7, RNG_DOMAIN_INIT);
    const w = f32(base, n);
    const t = initNormal(seed, RNG_DOMAIN_INIT, 7, n, 0, 1);
    expect(firstDiff(w, t)).toBe(-1);
    bits(t)[613] ^= 1;
    expect(firstDiff(w, t)).toBe(613);
    // and a neighbouring key or word 2 gives a different stream
    expect(firstDiff(w, initNormal(seed ^ 1n, RNG_DOMAIN_INIT, 7, n, 0, 1))).toBe(0);
    expect(firstDiff(w, initNormal(seed, RNG_DOMAIN_INIT, 8, n, 0, 1))).toBe(0);
  });
});

describe('statistics of 10^6 normals', () => {
  // Bounds are 5 standard errors of each statistic for N = 10^6 independent N(0, 1) samples, so a correct
  // generator fails with probability < 1e-6 per check (the seed is fixed, so the test is deterministic).
  const N = 1_000_000;
  let z: Float32Array;
  beforeAll(() => {
    wasm.init_normal_f32(base, N, 0, 1, 0x1234, 0x5678, 0, RNG_DOMAIN_INIT);
    z = f32(base, N);
  });
  it('equals the TypeScript twin on all 10^6 values', () => {
    expect(firstDiff(z, initNormal(0x5678_00001234n, RNG_DOMAIN_INIT, 0, N, 0, 1))).toBe(-1);
  }, 60_000);
  it('mean, variance, kurtosis, 3-sigma tails, lag-1 correlation, range', () => {
    let s1 = 0, s2 = 0, s4 = 0, tail = 0, lag = 0, mx = 0;
    for (let i = 0; i < N; i++) {
      const v = z[i];
      s1 += v;
      s2 += v * v;
      s4 += v * v * v * v;
      if (Math.abs(v) > 3) tail++;
      if (i > 0) lag += v * z[i - 1];
      mx = Math.max(mx, Math.abs(v));
    }
    const mean = s1 / N;
    const m2 = s2 / N;
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(1 / N)); //                    SE 1/sqrt(N)
    expect(Math.abs(m2 - 1)).toBeLessThan(5 * Math.sqrt(2 / N)); //                  Var(z^2) = 2
    expect(Math.abs(s4 / N - 3)).toBeLessThan(5 * Math.sqrt(96 / N)); //             Var(z^4) = 105 - 9
    const p3 = 0.0026997960632601866; //                                               P(|z| > 3)
    expect(Math.abs(tail / N - p3)).toBeLessThan(5 * Math.sqrt((p3 * (1 - p3)) / N));
    expect(Math.abs(lag / (N - 1))).toBeLessThan(5 * Math.sqrt(1 / N)); //            pairs (z0, z1) share r
    expect(mx).toBeLessThanOrEqual(5.7682);
    expect(mx).toBeGreaterThan(4.5);
  });
  it('uniforms: mean 1/2 and variance 1/12', () => {
    wasm.init_uniform_f32(base, N, 0, 1, 0x1234, 0x5678, 0, RNG_DOMAIN_INIT);
    const u = f32(base, N);
    let s1 = 0, s2 = 0, lo = 1, hi = 0;
    for (let i = 0; i < N; i++) {
      s1 += u[i];
      s2 += u[i] * u[i];
      lo = Math.min(lo, u[i]);
      hi = Math.max(hi, u[i]);
    }
    const mean = s1 / N;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(s2 / N - mean * mean - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / N)); // Var((u - 1/2)^2) = 1/180
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
  });
});
