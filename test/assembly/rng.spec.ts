// Philox4x32-10, the Gaussian/uniform streams and the init kernels.
//
// Known-answer vectors: Random123 (D. E. Shaw Research), file tests/kat_vectors, the three
// "philox4x32 10" lines (columns: counter[4] key[2] -> output[4], hex u32):
//   philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8
//   philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd
//   philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1
// (the last one's inputs are the hex digits of pi). The same lines are quoted verbatim by independent ports,
// e.g. E. Sarmas' philox.py TEST_CASES and the rust Philox4x32_10 crate tests.
import {
  philox4x32_10, philox4x32_10_x1, philox4x32_10_x4, philox4x32_10_x8, gaussian_at_f32, gaussian_lane_f32, uniform_at_f32,
  gaussian_fill_f32, gaussian_add_f32, uniform_fill_f32, radius_v128, angle_v128, box_muller_fix_v128, quadrant_bits_v128,
  u01_f32,
} from "../../assembly/rng";
import {
  sincos_f32, sincos_v128, trig_quadrant_v128, trig_reduce_v128, trig_sin_poly_v128, trig_cos_poly_v128,
  trig_quadrant_f32, trig_reduce_f32, trig_sin_poly_f32, trig_cos_poly_f32, trig_sin_fix_f32, trig_cos_fix_f32,
} from "../../assembly/trig";
import { init_normal_f32, init_uniform_f32, fill_f32 } from "../../assembly/kernels/init";
import { init_normal_f32_ref, init_uniform_f32_ref, fill_f32_ref } from "../../assembly/ref/init";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43, 50, 1000]; // 50: 32-element body + 16-element body + tail
const SENTINEL: u32 = 0x7fa5a5a5; // a NaN pattern no kernel writes
const K0: u32 = 0x9e3779b9;
const K1: u32 = 0x01234567;

function kat(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32, e0: u32, e1: u32, e2: u32, e3: u32): void {
  const p = heap.alloc(16);
  philox4x32_10(p, c0, c1, c2, c3, k0, k1);
  expect<u32>(load<u32>(p)).toBe(e0);
  expect<u32>(load<u32>(p, 4)).toBe(e1);
  expect<u32>(load<u32>(p, 8)).toBe(e2);
  expect<u32>(load<u32>(p, 12)).toBe(e3);
  heap.free(p);
}

/** Number of u32 words that differ between a and b. */
function mismatches(a: usize, b: usize, n: i32): i32 {
  let bad = 0;
  for (let i = 0; i < n; i++) if (load<u32>(a + (<usize>i << 2)) != load<u32>(b + (<usize>i << 2))) bad++;
  return bad;
}

function laneOf(v: v128, lane: i32): u32 {
  if (lane == 0) return <u32>i32x4.extract_lane(v, 0);
  if (lane == 1) return <u32>i32x4.extract_lane(v, 1);
  if (lane == 2) return <u32>i32x4.extract_lane(v, 2);
  return <u32>i32x4.extract_lane(v, 3);
}

function sentinel(p: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u32>(p + (<usize>i << 2), SENTINEL);
}

/** Checks the 4 words past n are still the sentinel (no overrun). */
function intactAfter(p: usize, n: i32): bool {
  for (let i = n; i < n + 4; i++) if (load<u32>(p + (<usize>i << 2)) != SENTINEL) return false;
  return true;
}

describe("philox4x32_10 known answers (Random123 kat_vectors)", () => {
  it("counter 0, key 0", () => {
    kat(0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
  });
  it("all ones", () => {
    kat(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
      0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
  });
  it("pi digits", () => {
    kat(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
  });
  it("the f32x4 Philox gives the KAT outputs in every lane", () => {
    const p = heap.alloc(64);
    philox4x32_10_x4(p,
      i32x4(0, 0xffffffff, 0x243f6a88, 0), i32x4(0, 0xffffffff, 0x85a308d3, 0),
      i32x4(0, 0xffffffff, 0x13198a2e, 0), i32x4(0, 0xffffffff, 0x03707344, 0), 0, 0);
    // lane 0: counter 0 key 0; the other lanes use key 0 too, so compare them with the scalar path below
    expect<u32>(load<u32>(p, 0)).toBe(0x6627e8d5);
    expect<u32>(load<u32>(p, 16)).toBe(0xe169c58d);
    expect<u32>(load<u32>(p, 32)).toBe(0xbc57ac4c);
    expect<u32>(load<u32>(p, 48)).toBe(0x9b00dbd8);
    philox4x32_10_x4(p,
      i32x4.splat(0x243f6a88), i32x4.splat(0x85a308d3), i32x4.splat(0x13198a2e), i32x4.splat(0x03707344),
      0xa4093822, 0x299f31d0);
    for (let lane = 0; lane < 4; lane++) {
      expect<u32>(load<u32>(p + (<usize>lane << 2), 0)).toBe(0xd16cfe09);
      expect<u32>(load<u32>(p + (<usize>lane << 2), 16)).toBe(0x94fdcceb);
      expect<u32>(load<u32>(p + (<usize>lane << 2), 32)).toBe(0x5001e420);
      expect<u32>(load<u32>(p + (<usize>lane << 2), 48)).toBe(0x24126ea1);
    }
    heap.free(p);
  });
  it("the f32x4 Philox (x4 and x8) equals the scalar one on 4096 pseudo-random counters and keys", () => {
    const p = heap.alloc(192);
    let bad = 0;
    let s: u32 = 12345;
    for (let t = 0; t < 1024; t++) {
      // counters and keys from the scalar Philox itself (distinct per lane)
      const a = philox4x32_10_x1(s, 1, 2, 3, 4, 5);
      const b = philox4x32_10_x1(s, 6, 7, 8, 9, 10);
      const k0 = i32x4.extract_lane(a, 0), k1 = i32x4.extract_lane(b, 0);
      const c0 = a, c1 = b, c2 = i32x4.mul(a, b), c3 = v128.xor(a, i32x4.shl(b, 7));
      philox4x32_10_x4(p, c0, c1, c2, c3, k0, k1);
      // x8: group c = (c0..c3), group d = the same counters rotated (so the groups differ)
      philox4x32_10_x8(p + 64, c0, c1, c2, c3, c3, c0, c1, c2, k0, k1);
      for (let lane = 0; lane < 4; lane++) {
        const w = philox4x32_10_x1(
          laneOf(c0, lane), laneOf(c1, lane), laneOf(c2, lane), laneOf(c3, lane), k0, k1);
        const v = philox4x32_10_x1(
          laneOf(c3, lane), laneOf(c0, lane), laneOf(c1, lane), laneOf(c2, lane), k0, k1);
        for (let g = 0; g < 2; g++) {
          const q = p + (<usize>g << 6) + (<usize>lane << 2);
          if (load<u32>(q, 0) != <u32>i32x4.extract_lane(w, 0)) bad++;
          if (load<u32>(q, 16) != <u32>i32x4.extract_lane(w, 1)) bad++;
          if (load<u32>(q, 32) != <u32>i32x4.extract_lane(w, 2)) bad++;
          if (load<u32>(q, 48) != <u32>i32x4.extract_lane(w, 3)) bad++;
        }
        const r = p + 128 + (<usize>lane << 2);
        if (load<u32>(r, 0) != <u32>i32x4.extract_lane(v, 0)) bad++;
        if (load<u32>(r, 16) != <u32>i32x4.extract_lane(v, 1)) bad++;
        if (load<u32>(r, 32) != <u32>i32x4.extract_lane(v, 2)) bad++;
        if (load<u32>(r, 48) != <u32>i32x4.extract_lane(v, 3)) bad++;
      }
      s = <u32>i32x4.extract_lane(a, 3);
    }
    expect<i32>(bad).toBe(0);
    heap.free(p);
  });
});

describe("init kernels: SIMD against the scalar _ref twins", () => {
  it("init_normal_f32 bit-exact at every size, no overrun", () => {
    for (let t = 0; t < SIZES.length; t++) {
      const n = SIZES[t];
      const a = heap.alloc(<usize>(n + 4) << 2), b = heap.alloc(<usize>(n + 4) << 2);
      sentinel(a, n + 4);
      sentinel(b, n + 4);
      init_normal_f32(a, n, 0.25, 0.1, K0, K1, 3, 1);
      init_normal_f32_ref(b, n, 0.25, 0.1, K0, K1, 3, 1);
      expect<i32>(mismatches(a, b, n)).toBe(0, "n = " + n.toString());
      expect<bool>(intactAfter(a, n)).toBe(true);
      heap.free(a);
      heap.free(b);
    }
  });
  it("init_uniform_f32 bit-exact at every size, no overrun", () => {
    for (let t = 0; t < SIZES.length; t++) {
      const n = SIZES[t];
      const a = heap.alloc(<usize>(n + 4) << 2), b = heap.alloc(<usize>(n + 4) << 2);
      sentinel(a, n + 4);
      sentinel(b, n + 4);
      init_uniform_f32(a, n, -0.3, 0.7, K0, K1, 5, 1);
      init_uniform_f32_ref(b, n, -0.3, 0.7, K0, K1, 5, 1);
      expect<i32>(mismatches(a, b, n)).toBe(0, "n = " + n.toString());
      expect<bool>(intactAfter(a, n)).toBe(true);
      for (let i = 0; i < n; i++) {
        const v = load<f32>(a + (<usize>i << 2));
        expect<bool>(v >= <f32>-0.3 && v <= <f32>0.7).toBe(true);
      }
      heap.free(a);
      heap.free(b);
    }
  });
  it("fill_f32 at every size, no overrun", () => {
    for (let t = 0; t < SIZES.length; t++) {
      const n = SIZES[t];
      const a = heap.alloc(<usize>(n + 4) << 2), b = heap.alloc(<usize>(n + 4) << 2);
      sentinel(a, n + 4);
      sentinel(b, n + 4);
      fill_f32(a, n, -1.5);
      fill_f32_ref(b, n, -1.5);
      expect<i32>(mismatches(a, b, n)).toBe(0);
      expect<bool>(intactAfter(a, n)).toBe(true);
      if (n > 0) expect<f32>(load<f32>(a + (<usize>(n - 1) << 2))).toBe(<f32>-1.5);
      heap.free(a);
      heap.free(b);
    }
  });
  it("the normal kernel really uses the scalar definition (a spot value)", () => {
    const a = heap.alloc(64);
    init_normal_f32(a, 16, 0, 1, K0, K1, 3, 1);
    // element 13 = lane 1 of block 3: the sine side of the pair (words 0, 1)
    expect<f32>(load<f32>(a, 13 * 4)).toBe(gaussian_at_f32(13, K0, K1, 3, 1));
    expect<f32>(load<f32>(a, 13 * 4)).not.toBe(gaussian_at_f32(12, K0, K1, 3, 1));
    heap.free(a);
  });
});

describe("stream properties", () => {
  it("prefix: a fill of n equals the first n of a fill of 2n", () => {
    for (let t = 0; t < SIZES.length; t++) {
      const n = SIZES[t];
      const a = heap.alloc(<usize>(2 * n + 1) << 2), b = heap.alloc(<usize>(2 * n + 1) << 2);
      init_normal_f32(a, n, 0, 1, K0, K1, 9, 1);
      init_normal_f32(b, 2 * n, 0, 1, K0, K1, 9, 1);
      expect<i32>(mismatches(a, b, n)).toBe(0, "normal n = " + n.toString());
      init_uniform_f32(a, n, 0, 1, K0, K1, 9, 1);
      init_uniform_f32(b, 2 * n, 0, 1, K0, K1, 9, 1);
      expect<i32>(mismatches(a, b, n)).toBe(0, "uniform n = " + n.toString());
      heap.free(a);
      heap.free(b);
    }
  });
  it("any start: gaussian_fill_f32 and uniform_fill_f32 from start s equal elements s.. of the stream", () => {
    const N = 200;
    const full = heap.alloc(N << 2), part = heap.alloc(N << 2);
    init_normal_f32(full, N, 0.5, 2, K0, K1, 11, 2);
    const starts: i32[] = [1, 2, 3, 4, 5, 6, 7, 17, 31, 64];
    for (let t = 0; t < starts.length; t++) {
      const s = starts[t];
      for (let m = 0; m + s <= N; m += 37) {
        gaussian_fill_f32(part, <u64>s, m, 0.5, 2, K0, K1, 11, 2);
        expect<i32>(mismatches(part, full + (<usize>s << 2), m)).toBe(0);
      }
    }
    init_uniform_f32(full, N, -1, 1, K0, K1, 11, 4);
    for (let t = 0; t < starts.length; t++) {
      const s = starts[t];
      for (let m = 0; m + s <= N; m += 37) {
        uniform_fill_f32(part, <u64>s, m, -1, 1, K0, K1, 11, 4);
        expect<i32>(mismatches(part, full + (<usize>s << 2), m)).toBe(0);
      }
    }
    heap.free(full);
    heap.free(part);
  });
  it("block index carries into counter word 1 (start near 2^34 elements)", () => {
    const N = 64;
    const start: u64 = ((<u64>1 << 32) - 5) * 4 + 3; // crosses block 2^32 inside the SIMD body
    const a = heap.alloc(N << 2);
    gaussian_fill_f32(a, start, N, 0, 1, K0, K1, 1, 2);
    let bad = 0;
    for (let i = 0; i < N; i++) {
      const want = gaussian_at_f32(start + <u64>i, K0, K1, 1, 2);
      if (reinterpret<u32>(load<f32>(a + (<usize>i << 2))) != reinterpret<u32>(<f32>0 + <f32>1 * want)) bad++;
    }
    expect<i32>(bad).toBe(0);
    uniform_fill_f32(a, start, N, 0, 1, K0, K1, 1, 2);
    bad = 0;
    for (let i = 0; i < N; i++) {
      if (load<f32>(a + (<usize>i << 2)) != uniform_at_f32(start + <u64>i, K0, K1, 1, 2)) bad++;
    }
    expect<i32>(bad).toBe(0);
    // and the high word matters: block 2^32 + j differs from block j
    expect<f32>(gaussian_at_f32((<u64>1 << 34) + 5, K0, K1, 1, 2)).not.toBe(gaussian_at_f32(5, K0, K1, 1, 2));
    heap.free(a);
  });
  it("gaussian_add_f32 adds scale * z in place at any start and size", () => {
    const N = 100;
    const a = heap.alloc(N << 2);
    for (let s = 0; s < 6; s++) {
      for (let m = 0; m + s <= N; m += 19) {
        for (let i = 0; i < m; i++) store<f32>(a + (<usize>i << 2), <f32>i * <f32>0.125 - <f32>3);
        gaussian_add_f32(a, <u64>s, m, 0.01, K0, K1, 7, 2);
        let bad = 0;
        for (let i = 0; i < m; i++) {
          const x = <f32>i * <f32>0.125 - <f32>3;
          const want = x + <f32>0.01 * gaussian_at_f32(<u64>(s + i), K0, K1, 7, 2);
          if (reinterpret<u32>(load<f32>(a + (<usize>i << 2))) != reinterpret<u32>(want)) bad++;
        }
        expect<i32>(bad).toBe(0);
      }
    }
    heap.free(a);
  });
  it("seed, domain and word 2 each change the stream", () => {
    const z = gaussian_at_f32(0, K0, K1, 3, 1);
    expect<f32>(gaussian_at_f32(0, K0 ^ 1, K1, 3, 1)).not.toBe(z);
    expect<f32>(gaussian_at_f32(0, K0, K1 ^ 1, 3, 1)).not.toBe(z);
    expect<f32>(gaussian_at_f32(0, K0, K1, 4, 1)).not.toBe(z);
    expect<f32>(gaussian_at_f32(0, K0, K1, 3, 2)).not.toBe(z);
  });
});

describe("trig", () => {
  it("sincos_f32 matches Math.sin/cos on [0, 2pi) within 1.2e-7, and sincos_v128 matches it bit for bit", () => {
    const p = heap.alloc(32), q = heap.alloc(32);
    const N = 1 << 20;
    const TWO_PI: f32 = 6.28318530717958648;
    let maxS: f64 = 0, maxC: f64 = 0;
    let bad = 0;
    for (let i = 0; i < N; i += 4) {
      const x0 = <f32>i * (TWO_PI / <f32>N), x1 = <f32>(i + 1) * (TWO_PI / <f32>N);
      const x2 = <f32>(i + 2) * (TWO_PI / <f32>N), x3 = <f32>(i + 3) * (TWO_PI / <f32>N);
      sincos_v128(q, f32x4(x0, x1, x2, x3));
      for (let j = 0; j < 4; j++) {
        const x = j == 0 ? x0 : j == 1 ? x1 : j == 2 ? x2 : x3;
        sincos_f32(p, x);
        const s = load<f32>(p), c = load<f32>(p, 4);
        maxS = Math.max(maxS, Math.abs(<f64>s - Math.sin(<f64>x)));
        maxC = Math.max(maxC, Math.abs(<f64>c - Math.cos(<f64>x)));
        if (load<u32>(q + (<usize>j << 2)) != reinterpret<u32>(s)) bad++;
        if (load<u32>(q + (<usize>j << 2), 16) != reinterpret<u32>(c)) bad++;
      }
    }
    log<string>("sincos max abs error: sin " + maxS.toString() + ", cos " + maxC.toString());
    expect<f64>(maxS).toBeLessThan(1.2e-7);
    expect<f64>(maxC).toBeLessThan(1.2e-7);
    expect<i32>(bad).toBe(0);
    heap.free(p);
    heap.free(q);
  });
  it("the quadrant boundaries and the ends of the domain", () => {
    const p = heap.alloc(8);
    sincos_f32(p, 0);
    expect<f32>(load<f32>(p)).toBe(0);
    expect<f32>(load<f32>(p, 4)).toBe(1);
    sincos_f32(p, <f32>6.2831850); // largest f32 below 2 pi
    expect<f64>(Math.abs(<f64>load<f32>(p) - Math.sin(<f64><f32>6.2831850))).toBeLessThan(1.2e-7);
    expect<f64>(Math.abs(<f64>load<f32>(p, 4) - 1)).toBeLessThan(1.2e-7);
    heap.free(p);
  });
});

describe("Gaussian range", () => {
  it("|z| <= 5.7682: the extreme word (u_a = 2^-24) gives the documented radius", () => {
    // words (0, 0): a = 2^-24, theta = 0 -> z0 = r = sqrt(48 ln 2) = 5.768124..., z1 = r sin 0 = 0
    const r = gaussian_lane_f32(i32x4(0, 0, 0, 0), 0);
    expect<f64>(Math.abs(<f64>r - Math.sqrt(48 * Math.LN2))).toBeLessThan(1e-6);
    expect<f32>(r).toBeLessThanOrEqual(<f32>5.7682);
    expect<f32>(gaussian_lane_f32(i32x4(0, 0, 0, 0), 1)).toBe(0);
    // words with a = 1 (u >>> 8 = 2^24 - 1): r = 0
    expect<f32>(abs<f32>(gaussian_lane_f32(i32x4(-1, 12345, -1, 0), 2))).toBe(0);
    const N = 1 << 18;
    const a = heap.alloc(N << 2);
    init_normal_f32(a, N, 0, 1, K0, K1, 0, 1);
    let mx: f32 = 0;
    for (let i = 0; i < N; i++) mx = max<f32>(mx, abs<f32>(load<f32>(a + (<usize>i << 2))));
    expect<f32>(mx).toBeLessThanOrEqual(<f32>5.7682);
    expect<f32>(mx).toBeGreaterThan(<f32>3.5);
    heap.free(a);
  });
});

// The f32x4 Box-Muller blocks of rng.ts reach the scalar path's values by other (exact) routes: the radius
// through an integer range reduction, the angle in one multiply, the quadrant fix-up by xor. Checked here
// against gaussian_lane_f32 on every one of the 2^24 values each uniform can take (u >>> 8), the other
// word of the pair held at a few values; the low 8 bits of a word are ignored by both paths. With
// `unitRadius` the angle and fix-up alone: radius 1 against the scalar path's cos and sin of theta (in the
// products r cos, r sin a 1-ulp error can round away).
function boxMullerMismatches(vary_a: bool, other: u32, unitRadius: bool = false): i32 {
  let bad = 0;
  for (let j: u32 = 0; j < (1 << 24); j += 4) {
    const v = i32x4.shl(i32x4(j, j + 1, j + 2, j + 3), 8);
    const o = i32x4.splat(other);
    const ua = vary_a ? v : o, ub = vary_a ? o : v;
    const r = unitRadius ? f32x4.splat(1) : radius_v128(ua);
    const th = angle_v128(ub);
    const k = trig_quadrant_v128(th);
    const x = trig_reduce_v128(th, k);
    const zz = f32x4.mul(x, x);
    const s = trig_sin_poly_v128(x, zz), c = trig_cos_poly_v128(zz);
    const kk = quadrant_bits_v128(k);
    const ze = box_muller_fix_v128(r, s, c, kk, true), zo = box_muller_fix_v128(r, s, c, kk, false);
    for (let lane = 0; lane < 4; lane++) {
      let we: f32, wo: f32;
      if (unitRadius) {
        const t = <f32>6.28318530717958648 * u01_f32(laneOf(ub, lane));
        const q = trig_quadrant_f32(t), xr = trig_reduce_f32(t, q), z = xr * xr;
        const ss = trig_sin_poly_f32(xr, z), cs = trig_cos_poly_f32(z);
        we = trig_cos_fix_f32(<i32>q & 3, ss, cs);
        wo = trig_sin_fix_f32(<i32>q & 3, ss, cs);
      } else {
        const w = i32x4(laneOf(ua, lane), laneOf(ub, lane), 0, 0);
        we = gaussian_lane_f32(w, 0);
        wo = gaussian_lane_f32(w, 1);
      }
      if (laneOf(ze, lane) != reinterpret<u32>(we)) bad++;
      if (laneOf(zo, lane) != reinterpret<u32>(wo)) bad++;
    }
  }
  return bad;
}

describe("Box-Muller, f32x4 against scalar on every input", () => {
  it("radius: all 2^24 values of the even word (the odd word 0: theta 0, so z_even is the radius itself)", () => {
    expect<i32>(boxMullerMismatches(true, 0)).toBe(0);
    expect<i32>(boxMullerMismatches(true, 0x5a5a5a5a)).toBe(0);
  });
  it("angle and quadrant fix-up: all 2^24 values of the odd word, at radius 1 and in the products", () => {
    expect<i32>(boxMullerMismatches(false, 0, true)).toBe(0);
    expect<i32>(boxMullerMismatches(false, 0x12345678)).toBe(0);
  });
});
