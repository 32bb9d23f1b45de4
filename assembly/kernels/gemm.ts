// GEMM: C = op(A) · op(B) in the three forms training a dense layer needs, f32, row-major.
//
// Legend: M rows of C, N columns of C, K the inner dimension. Pointers are byte addresses.
//   gemm_nn_f32: C[M,N] = A[M,K] · B[K,N]      forward      Y  = X · W
//   gemm_nt_f32: C[M,N] = A[M,K] · B[N,K]ᵀ     backward     dX = dY · Wᵀ
//   gemm_tn_f32: C[M,N] = A[K,M]ᵀ · B[K,N]     backward     dW = Xᵀ · dY
//   gemm_batched_f32: `batch` items of one of the three forms at element strides sa, sb, sc (0 = shared;
//   sc = 0 folds every item into one C in item order): attention's q·Kᵀ and p·V, shared weights.
//
// Contract
// - Any M, N, K >= 0. C must not alias A or B. `accumulate` != 0 computes C += op(A)·op(B), else C = ...
// - Every element of C is the f32 fold  acc = (accumulate ? C : 0); for k = 0..K-1: acc = acc + a_k * b_k,
//   each product and each sum rounded to f32 (baseline SIMD has no fused multiply-add). The order over k is
//   fixed, so the bits never depend on tiling, on the cache blocking below, or on which worker computes
//   which block of C; the scalar twins in assembly/ref/gemm.ts compute the same fold and tests demand
//   bit-identity. In the opt-in relaxed build every vector step acc + a_k * b_k is madd() (assembly/madd.ts):
//   fused with one rounding or not, as the CPU has it; the scalar edge columns stay unfused. Same k order,
//   so the bits still do not depend on tiling or workers on one machine, but differ from the baseline's.
// - `scratch` points to gemm_scratch_bytes(M, K, N) bytes (see shared/abi.ts), 16-byte aligned, owned by
//   the caller (the planner's scratch block). Nothing is allocated here.
// - Nothing outside A, B, C and the scratch is read or written, at any shape (test/assembly/gemm.spec.ts
//   places each operand at the end of memory). The planner still leaves GEMM_READ_SLACK bytes after the
//   arena, which this kernel no longer needs.
//
// Structure (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", 2008): for each
// NC-wide column block and K slice (equal slices of at most KC), op(B) is packed into NR-wide panels
// (k-major), then for each MC-tall row block op(A) is packed into MR-tall panels (k-major, zero padded),
// and an MR x NR register tile (MR * NR / 4 f32x4 accumulators) sweeps the panels. Packing turns every
// access pattern (plain, transposed) into the same unit-stride stream, so one tile serves all three forms.
// Small problems pack only what the tile cannot read in place (gemm_small). Edge blocks run in place: a
// tile of 1-3 rows, and for the last 1-3 columns a column tile (one vector over 4 rows per column).
import { GEMM_MR, GEMM_NR, GEMM_KC, GEMM_MC, GEMM_NC } from "../shared/abi";
import { madd } from "../madd";

// @ts-ignore: decorator
@inline const MR: i32 = GEMM_MR;
// @ts-ignore: decorator
@inline const NR: i32 = GEMM_NR;
// @ts-ignore: decorator
@inline const KC: i32 = GEMM_KC;
// @ts-ignore: decorator
@inline const MC: i32 = GEMM_MC;
// @ts-ignore: decorator
@inline const NC: i32 = GEMM_NC;

// @ts-ignore: decorator
@inline function min_i32(a: i32, b: i32): i32 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline function round_up(x: i32, m: i32): i32 { return (x + m - 1) / m * m; }

// The small-problem path: K and N fit one panel block, and A (M x K floats) fits in L2 (256 KiB).
// @ts-ignore: decorator
@inline const SMALL_K: i32 = KC;
// @ts-ignore: decorator
@inline const SMALL_N: i32 = 256;
// @ts-ignore: decorator
@inline const SMALL_MK: i32 = 65536;

/** Bytes of scratch a GEMM of this shape needs: packed B block and packed A block (small problems: one A
 *  panel and, for the nt form, all of B). */
export function gemm_scratch_bytes(M: i32, K: i32, N: i32): i32 {
  if (K <= SMALL_K && N <= SMALL_N && M * K <= SMALL_MK) return (MR * K + K * round_up(N, NR)) << 2;
  const kc = min_i32(K, KC);
  const nc = round_up(min_i32(N, NC), NR);
  const mc = round_up(min_i32(M, MC), MR);
  return (kc * nc + mc * kc) << 2;
}

// Four rows r0..r3 (stride `stride` bytes from s) of four consecutive floats each, stored transposed: at
// dst + t * dstride the four values (r0[t], r1[t], r2[t], r3[t]), for t = 0..3. Pure data movement.
// @ts-ignore: decorator
@inline function transpose_store(dst: usize, dstride: usize, s: usize, stride: usize): void {
  const v0 = v128.load(s), v1 = v128.load(s + stride), v2 = v128.load(s + 2 * stride), v3 = v128.load(s + 3 * stride);
  const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5), t1 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(v2, v3, 0, 4, 1, 5), t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstride, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstride, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstride, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

// Packs op(B)[pc .. pc+kc, jc .. jc+nc] into NR-wide panels: panel p holds, for each k, NR consecutive
// columns. Element (k, j) of op(B) lives at b + k * rsb + j * csb (bytes). Columns past nc are left as they
// are: no tile reads a column past the valid ones (block()).
function pack_b(dst: usize, b: usize, rsb: usize, csb: usize, kc: i32, nc: i32): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = min_i32(NR, nc - j0);
    const src = b + <usize>j0 * csb;
    if (w == NR && csb == 4) {
      // Plain rows of B: two vector copies per k.
      for (let k = 0; k < kc; k++) {
        const s = src + <usize>k * rsb;
        v128.store(dst, v128.load(s));
        v128.store(dst, v128.load(s, 16), 16);
        dst += NR << 2;
      }
    } else if (w == NR && rsb == 4) {
      // Transposed B with k along its rows (the nt form): 4 k at a time, load 4 consecutive k of each of
      // the NR rows and transpose 4 x 4 blocks in registers; the k tail one by one.
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const s = src + (<usize>k << 2);
        transpose_store(dst, NR << 2, s, csb);
        transpose_store(dst + 16, NR << 2, s + (csb << 2), csb);
        dst += NR << 4;
      }
      for (; k < kc; k++) {
        const s = src + (<usize>k << 2);
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), load<f32>(s + <usize>j * csb));
        dst += NR << 2;
      }
    } else if (w == NR) {
      // Transposed B (csb = row length): gather NR rows, k-major.
      for (let k = 0; k < kc; k++) {
        const s = src + <usize>k * rsb;
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), load<f32>(s + <usize>j * csb));
        dst += NR << 2;
      }
    } else {
      // The last, partial panel: column by column, k inner.
      for (let j = 0; j < w; j++) {
        const s = src + <usize>j * csb, d = dst + (<usize>j << 2);
        for (let k = 0; k < kc; k++) store<f32>(d + <usize>k * (NR << 2), load<f32>(s + <usize>k * rsb));
      }
    }
  }
}

// Packs op(A)[ic .. ic+mc, pc .. pc+kc] into MR-tall panels: panel p holds, for each k, MR consecutive
// rows. Element (i, k) of op(A) lives at a + i * rsa + k * csa (bytes). Rows past mc are zero.
function pack_a(dst: usize, a: usize, rsa: usize, csa: usize, mc: i32, kc: i32): void {
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const h = min_i32(MR, mc - i0);
    const src = a + <usize>i0 * rsa;
    if (h == MR && rsa == 4) {
      // Transposed A (rows of op(A) are adjacent floats): one vector per k.
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src + <usize>k * csa));
        dst += MR << 2;
      }
    } else if (h == MR && csa == 4) {
      // Plain rows of A (the nn and nt forms): 4 k at a time through a 4 x 4 register transpose.
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        transpose_store(dst, MR << 2, src + (<usize>k << 2), rsa);
        dst += MR << 4;
      }
      for (; k < kc; k++) {
        const s = src + (<usize>k << 2);
        store<f32>(dst, load<f32>(s));
        store<f32>(dst, load<f32>(s + rsa), 4);
        store<f32>(dst, load<f32>(s + 2 * rsa), 8);
        store<f32>(dst, load<f32>(s + 3 * rsa), 12);
        dst += MR << 2;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const s = src + <usize>k * csa;
        let i = 0;
        for (; i < h; i++) store<f32>(dst + (<usize>i << 2), load<f32>(s + <usize>i * rsa));
        for (; i < MR; i++) store<f32>(dst + (<usize>i << 2), 0);
        dst += MR << 2;
      }
    }
  }
}

// The register tiles. The A panel holds 4 adjacent floats per k (rows 0..3 of op(A) at a, a + 4, a + 8,
// a + 12; the next k at a + aks): a packed panel (aks = 16) or, for op(A) = Aᵀ, A itself (aks = M floats).
// Row k of the B panel is at b + k * bks: packed (bks = 32) or B in place. tile() computes C[0..R, 0..4V]
// (row stride ldc bytes) = (load_c ? C : 0) + A · B over kc >= 1 steps, k in order, reading rows 0..R-1
// of the panel and columns 0..4V-1 of B only. R (1..4) and V (1, 2) are constants at every call site, so
// the branches on them fold away: the 4 x 8 instance is the main tile, the others serve edge blocks.
// 4 x 8: 8 accumulators + 2 B vectors + 4 broadcasts + 1 product = the 15 xmm registers V8 allocates
// (V8 loads all of a step's operands first). The row offsets are load immediates (wasm adds them without
// wrapping, so V8 folds them into the address; an i32.add it must compute) and the loop runs on the B
// pointer alone: 2 adds and a compare per k. Unrolling k by hand does not pay: V8 then hoists the loads of
// several k steps and spills accumulators; its own unrolling (2 steps) keeps them apart.
// @ts-ignore: decorator
@inline function tile(c: usize, ldc: usize, R: i32, V: i32, a: usize, aks: usize, b: usize, bks: usize,
                      kc: i32, load_c: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (load_c) {
    c00 = v128.load(c); if (V > 1) c01 = v128.load(c, 16);
    if (R > 1) { c10 = v128.load(c + ldc); if (V > 1) c11 = v128.load(c + ldc, 16); }
    if (R > 2) { c20 = v128.load(c + 2 * ldc); if (V > 1) c21 = v128.load(c + 2 * ldc, 16); }
    if (R > 3) { c30 = v128.load(c + 3 * ldc); if (V > 1) c31 = v128.load(c + 3 * ldc, 16); }
  }
  const end = b + <usize>kc * bks;
  do {
    const b0 = v128.load(b);
    const b1 = V > 1 ? v128.load(b, 16) : b0;
    let x = v128.load32_splat(a);
    c00 = madd(c00, x, b0); if (V > 1) c01 = madd(c01, x, b1);
    if (R > 1) {
      x = v128.load32_splat(a, 4);
      c10 = madd(c10, x, b0); if (V > 1) c11 = madd(c11, x, b1);
    }
    if (R > 2) {
      x = v128.load32_splat(a, 8);
      c20 = madd(c20, x, b0); if (V > 1) c21 = madd(c21, x, b1);
    }
    if (R > 3) {
      x = v128.load32_splat(a, 12);
      c30 = madd(c30, x, b0); if (V > 1) c31 = madd(c31, x, b1);
    }
    a += aks;
    b += bks;
  } while (b < end);
  v128.store(c, c00); if (V > 1) v128.store(c, c01, 16);
  if (R > 1) { v128.store(c + ldc, c10); if (V > 1) v128.store(c + ldc, c11, 16); }
  if (R > 2) { v128.store(c + 2 * ldc, c20); if (V > 1) v128.store(c + 2 * ldc, c21, 16); }
  if (R > 3) { v128.store(c + 3 * ldc, c30); if (V > 1) v128.store(c + 3 * ldc, c31, 16); }
}

// Narrow edge panels (w <= 3 columns) turn the tile around: column j of the block is one vector over the
// A panel's 4 rows, acc_j += A[0..4, k] * splat(B[k, j]), so w = 2 costs 2 products per k instead of the 4
// of a 4 x 4 tile. The fold of each element is the same. C is read and written lane by lane, rows 0..h-1
// only; the panel's rows past h are zero padding (packed) or real rows of Aᵀ (in place, h = 4).
// @ts-ignore: decorator
@inline function load_col(p: usize, ldc: usize, h: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (h > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + ldc));
  if (h > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * ldc));
  if (h > 3) v = f32x4.replace_lane(v, 3, load<f32>(p + 3 * ldc));
  return v;
}
// @ts-ignore: decorator
@inline function store_col(p: usize, ldc: usize, h: i32, v: v128): void {
  v128.store32_lane(p, v, 0);
  if (h > 1) v128.store32_lane(p + ldc, v, 1);
  if (h > 2) v128.store32_lane(p + 2 * ldc, v, 2);
  if (h > 3) v128.store32_lane(p + 3 * ldc, v, 3);
}
// W (1..3) is a constant at every call site; h is not (it only guards C's lanes).
// @ts-ignore: decorator
@inline function tile_cols(c: usize, ldc: usize, h: i32, W: i32, a: usize, aks: usize, b: usize, bks: usize,
                           kc: i32, load_c: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
  if (load_c) {
    c0 = load_col(c, ldc, h);
    if (W > 1) c1 = load_col(c + 4, ldc, h);
    if (W > 2) c2 = load_col(c + 8, ldc, h);
  }
  const end = b + <usize>kc * bks;
  do {
    const x = v128.load(a);
    c0 = madd(c0, x, v128.load32_splat(b));
    if (W > 1) c1 = madd(c1, x, v128.load32_splat(b, 4));
    if (W > 2) c2 = madd(c2, x, v128.load32_splat(b, 8));
    a += aks;
    b += bks;
  } while (b < end);
  store_col(c, ldc, h, c0);
  if (W > 1) store_col(c + 4, ldc, h, c1);
  if (W > 2) store_col(c + 8, ldc, h, c2);
}

// The first 4V columns of a block of R rows (R dispatched to its constant instance).
// @ts-ignore: decorator
@inline function tile_rows(c: usize, ldc: usize, h: i32, V: i32, a: usize, aks: usize, b: usize, bks: usize,
                           kc: i32, load_c: bool): void {
  if (h == 4) tile(c, ldc, 4, V, a, aks, b, bks, kc, load_c);
  else if (h == 3) tile(c, ldc, 3, V, a, aks, b, bks, kc, load_c);
  else if (h == 2) tile(c, ldc, 2, V, a, aks, b, bks, kc, load_c);
  else tile(c, ldc, 1, V, a, aks, b, bks, kc, load_c);
}

// One MR x NR block of C at ct (h valid rows, w valid columns), written in place: a tile of h rows for the
// first 8 or 4 columns, the column tile for the last 1-3. Nothing is read outside the h rows of the A
// panel and the w columns of B, and every element gets exactly the fold of the contract.
// @ts-ignore: decorator
@inline function block(ct: usize, ldc: usize, h: i32, w: i32, a: usize, aks: usize,
                       b: usize, bks: usize, kc: i32, load_c: bool): void {
  if (w == NR) {
    tile_rows(ct, ldc, h, 2, a, aks, b, bks, kc, load_c);
    return;
  }
  let j = 0;
  if (w >= 4) {
    tile_rows(ct, ldc, h, 1, a, aks, b, bks, kc, load_c);
    j = 4;
  }
  const rest = w - j, cj = ct + (<usize>j << 2), bj = b + (<usize>j << 2);
  if (rest == 1) tile_cols(cj, ldc, h, 1, a, aks, bj, bks, kc, load_c);
  else if (rest == 2) tile_cols(cj, ldc, h, 2, a, aks, bj, bks, kc, load_c);
  else if (rest == 3) tile_cols(cj, ldc, h, 3, a, aks, bj, bks, kc, load_c);
}

// Runs the macro-kernel over one packed A block (mc x kc) and one packed B block (kc x nc).
function macro(c: usize, ldc: usize, ap: usize, bp: usize, mc: i32, nc: i32, kc: i32, load_c: bool): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = min_i32(NR, nc - j0);
    const bpanel = bp + (<usize>(j0 * kc) << 2);
    for (let i0 = 0; i0 < mc; i0 += MR) {
      const apanel = ap + (<usize>(i0 * kc) << 2);
      block(c + <usize>i0 * ldc + (<usize>j0 << 2), ldc, min_i32(MR, mc - i0), w,
            apanel, MR << 2, bpanel, NR << 2, kc, load_c);
    }
  }
}

// Small problems (the paper net's layers: K and N within one panel block, A within L2) skip most packing.
// Row block by row block: the tile reads op(A) = Aᵀ where it lies (4 adjacent floats per k), and packs
// plain A (the nn and nt forms) and a partial last block one 4 x K panel at a time; B is read where it lies
// when its columns are contiguous, else (the nt form) packed once, whole. The fold over k is exactly the
// packed path's.
function gemm_small(c: usize, a: usize, rsa: usize, csa: usize, b: usize, rsb: usize, csb: usize,
                    M: i32, K: i32, N: i32, load_c: bool, scratch: usize): void {
  const ldc = <usize>N << 2;
  const apanel = scratch;                           // one packed A panel: MR x K (nn, nt)
  const bpack = apanel + (<usize>(MR * K) << 2);    // all of op(B), packed: K x round_up(N, NR) (nt)
  const directA = rsa == 4, directB = csb == 4;
  if (!directB) pack_b(bpack, b, rsb, csb, K, N);
  for (let i0 = 0; i0 < M; i0 += MR) {
    const h = min_i32(MR, M - i0);
    let ap = a + <usize>i0 * rsa, aks = csa;
    // A partial block of Aᵀ is packed too: the column tile loads all 4 rows of the panel at once.
    if (!directA || h < MR) {
      pack_a(apanel, ap, rsa, csa, h, K);
      ap = apanel;
      aks = MR << 2;
    }
    const crow = c + <usize>i0 * ldc;
    for (let j0 = 0; j0 < N; j0 += NR) {
      const w = min_i32(NR, N - j0);
      let bp = b + (<usize>j0 << 2), bks = rsb;
      if (!directB) {
        bp = bpack + (<usize>(j0 * K) << 2);
        bks = NR << 2;
      }
      block(crow + (<usize>j0 << 2), ldc, h, w, ap, aks, bp, bks, K, load_c);
    }
  }
}

// The shared driver: element (i, k) of op(A) at a + i*rsa + k*csa, element (k, j) of op(B) at
// b + k*rsb + j*csb, C row-major with N columns.
function gemm_strided(c: usize, a: usize, rsa: usize, csa: usize, b: usize, rsb: usize, csb: usize,
                      M: i32, K: i32, N: i32, accumulate: bool, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  const ldc = <usize>N << 2;
  if (K <= 0) {
    if (!accumulate) memory.fill(c, 0, <usize>M * ldc);
    return;
  }
  if (K <= SMALL_K && N <= SMALL_N && M * K <= SMALL_MK) {
    gemm_small(c, a, rsa, csa, b, rsb, csb, M, K, N, accumulate, scratch);
    return;
  }
  const kcMax = min_i32(K, KC);
  const ncMax = round_up(min_i32(N, NC), NR);
  const mcMax = round_up(min_i32(M, MC), MR);
  const bpack = scratch;
  const apack = bpack + (<usize>(kcMax * ncMax) << 2);
  // K in equal slices of at most KC (784 = 4 x 196, not 3 x 256 + 16: a thin last slice is mostly tile
  // overhead). C carries each element's running fold from slice to slice, in k order.
  const slices = (K + KC - 1) / KC, kcStep = (K + slices - 1) / slices;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min_i32(NC, N - jc);
    for (let pc = 0; pc < K; pc += kcStep) {
      const kc = min_i32(kcStep, K - pc);
      const load_c = accumulate || pc > 0;
      pack_b(bpack, b + <usize>pc * rsb + <usize>jc * csb, rsb, csb, kc, nc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min_i32(MC, M - ic);
        pack_a(apack, a + <usize>ic * rsa + <usize>pc * csa, rsa, csa, mc, kc);
        macro(c + <usize>ic * ldc + (<usize>jc << 2), ldc, apack, bpack, mc, nc, kc, load_c);
      }
    }
  }
}

/** C[M,N] (+)= A[M,K] · B[K,N]. */
export function gemm_nn_f32(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32,
                            accumulate: i32, scratch: usize): void {
  gemm_strided(c, a, <usize>K << 2, 4, b, <usize>N << 2, 4, M, K, N, accumulate != 0, scratch);
}

/** C[M,N] (+)= A[M,K] · B[N,K]ᵀ. */
export function gemm_nt_f32(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32,
                            accumulate: i32, scratch: usize): void {
  gemm_strided(c, a, <usize>K << 2, 4, b, 4, <usize>K << 2, M, K, N, accumulate != 0, scratch);
}

/** C[M,N] (+)= A[K,M]ᵀ · B[K,N]. */
export function gemm_tn_f32(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32,
                            accumulate: i32, scratch: usize): void {
  gemm_strided(c, a, 4, <usize>M << 2, b, <usize>N << 2, 4, M, K, N, accumulate != 0, scratch);
}

// ---------------------------------------------------------------- one row of C (M = 1), for gemm_batched_f32
// Attention multiplies one query row by a matrix per item, where the tiles above are at their worst: one
// row gives a tile a single accumulator chain per 8 columns (latency-bound), and the nt form packs all of
// B for it. These paths keep many independent chains instead; every element is still the fold
// acc = (accumulate ? C : 0); acc = acc + a_k * b_kj for k in order.

// c[0..4G) (+)= a · B[.., j..j+4G) for B rows `rb` bytes apart (nn; tn with M = 1 reads a the same way),
// G = 8 or 1 four-column groups, one accumulator each. G is a constant at every call site.
// @ts-ignore: decorator
@inline function gemv_nn_block(c: usize, a: usize, b: usize, rb: usize, K: i32, G: i32, load_c: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  if (load_c) {
    c0 = v128.load(c);
    if (G > 1) {
      c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48);
      c4 = v128.load(c, 64); c5 = v128.load(c, 80); c6 = v128.load(c, 96); c7 = v128.load(c, 112);
    }
  }
  const end = a + (<usize>K << 2);
  do {
    const x = v128.load32_splat(a);
    c0 = madd(c0, x, v128.load(b));
    if (G > 1) {
      c1 = madd(c1, x, v128.load(b, 16));
      c2 = madd(c2, x, v128.load(b, 32));
      c3 = madd(c3, x, v128.load(b, 48));
      c4 = madd(c4, x, v128.load(b, 64));
      c5 = madd(c5, x, v128.load(b, 80));
      c6 = madd(c6, x, v128.load(b, 96));
      c7 = madd(c7, x, v128.load(b, 112));
    }
    a += 4;
    b += rb;
  } while (a < end);
  v128.store(c, c0);
  if (G > 1) {
    v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
    v128.store(c, c4, 64); v128.store(c, c5, 80); v128.store(c, c6, 96); v128.store(c, c7, 112);
  }
}

// C[1, N] (+)= a[K] · B[K, N] (K >= 1): 32 columns at a time, then 4, then scalar columns.
function gemv_nn(c: usize, a: usize, b: usize, K: i32, N: i32, load_c: bool): void {
  const rb = <usize>N << 2;
  let j = 0;
  for (; j + 32 <= N; j += 32) gemv_nn_block(c + (<usize>j << 2), a, b + (<usize>j << 2), rb, K, 8, load_c);
  for (; j + 4 <= N; j += 4) gemv_nn_block(c + (<usize>j << 2), a, b + (<usize>j << 2), rb, K, 1, load_c);
  for (; j < N; j++) {
    const cj = c + (<usize>j << 2);
    let acc: f32 = load_c ? load<f32>(cj) : 0;
    let bp = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      acc = acc + load<f32>(a + (<usize>k << 2)) * load<f32>(bp);
      bp += rb;
    }
    store<f32>(cj, acc);
  }
}

// One 4-column group of the nt form: the four B rows r, r + rb, r + 2rb, r + 3rb (each K floats) read 4 k
// at a time and transposed in registers, so lane t folds column t in k order; the k tail lane by lane.
// @ts-ignore: decorator
@inline function gemv_nt_step(acc: v128, r: usize, rb: usize, k: usize,
                              x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const v0 = v128.load(r + k), v1 = v128.load(r + rb + k), v2 = v128.load(r + 2 * rb + k), v3 = v128.load(r + 3 * rb + k);
  const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5), t1 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(v2, v3, 0, 4, 1, 5), t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
  acc = madd(acc, x0, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  acc = madd(acc, x1, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  acc = madd(acc, x2, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  return madd(acc, x3, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}
// @ts-ignore: decorator
@inline function gemv_nt_tail(acc: v128, r: usize, rb: usize, k: usize, x: v128): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(r + k));
  v = f32x4.replace_lane(v, 1, load<f32>(r + rb + k));
  v = f32x4.replace_lane(v, 2, load<f32>(r + 2 * rb + k));
  v = f32x4.replace_lane(v, 3, load<f32>(r + 3 * rb + k));
  return madd(acc, x, v);
}

// C[1, N] (+)= a[K] · B[N, K]ᵀ (K >= 1): 16 columns (four groups, four chains) at a time, then 4, then
// scalar columns.
function gemv_nt(c: usize, a: usize, b: usize, K: i32, N: i32, load_c: bool): void {
  const rb = <usize>K << 2;
  const kb4 = <usize>(K & ~3) << 2, kb = <usize>K << 2;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    const cj = c + (<usize>j << 2), r = b + <usize>j * rb, r4 = r + 4 * rb, r8 = r + 8 * rb, r12 = r + 12 * rb;
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    if (load_c) { c0 = v128.load(cj); c1 = v128.load(cj, 16); c2 = v128.load(cj, 32); c3 = v128.load(cj, 48); }
    let k: usize = 0;
    for (; k < kb4; k += 16) {
      const x0 = v128.load32_splat(a + k), x1 = v128.load32_splat(a + k, 4);
      const x2 = v128.load32_splat(a + k, 8), x3 = v128.load32_splat(a + k, 12);
      c0 = gemv_nt_step(c0, r, rb, k, x0, x1, x2, x3);
      c1 = gemv_nt_step(c1, r4, rb, k, x0, x1, x2, x3);
      c2 = gemv_nt_step(c2, r8, rb, k, x0, x1, x2, x3);
      c3 = gemv_nt_step(c3, r12, rb, k, x0, x1, x2, x3);
    }
    for (; k < kb; k += 4) {
      const x = v128.load32_splat(a + k);
      c0 = gemv_nt_tail(c0, r, rb, k, x);
      c1 = gemv_nt_tail(c1, r4, rb, k, x);
      c2 = gemv_nt_tail(c2, r8, rb, k, x);
      c3 = gemv_nt_tail(c3, r12, rb, k, x);
    }
    v128.store(cj, c0); v128.store(cj, c1, 16); v128.store(cj, c2, 32); v128.store(cj, c3, 48);
  }
  for (; j + 4 <= N; j += 4) {
    const cj = c + (<usize>j << 2), r = b + <usize>j * rb;
    let c0 = load_c ? v128.load(cj) : f32x4.splat(0);
    let k: usize = 0;
    for (; k < kb4; k += 16) {
      c0 = gemv_nt_step(c0, r, rb, k, v128.load32_splat(a + k), v128.load32_splat(a + k, 4),
                        v128.load32_splat(a + k, 8), v128.load32_splat(a + k, 12));
    }
    for (; k < kb; k += 4) c0 = gemv_nt_tail(c0, r, rb, k, v128.load32_splat(a + k));
    v128.store(cj, c0);
  }
  for (; j < N; j++) {
    const cj = c + (<usize>j << 2), r = b + <usize>j * rb;
    let acc: f32 = load_c ? load<f32>(cj) : 0;
    for (let k: usize = 0; k < kb; k += 4) acc = acc + load<f32>(a + k) * load<f32>(r + k);
    store<f32>(cj, acc);
  }
}

/**
 * `batch` GEMMs of one form (0 = nn, 1 = nt, 2 = tn; M, K, N and the operand shapes as above): item t
 * computes exactly gemm_<form>_f32(C_t, A_t, B_t, M, K, N, acc_t, scratch) with A_t = a + t*sa,
 * B_t = b + t*sb, C_t = c + t*sc (strides in elements; 0 shares an operand between items). acc_t =
 * accumulate for every item when sc != 0; when sc == 0 (one C for all items, e.g. a weight gradient summed
 * over the batch) acc_0 = accumulate and acc_t = 1 for t >= 1, so items fold into C in item order. batch = 0
 * with sc == 0 and accumulate == 0 writes C = 0 (the empty sum), like K = 0. Scratch:
 * gemm_scratch_bytes(M, K, N). A form outside 0..2 traps (unreachable).
 *
 * Items of contiguous A and C against one shared B (nn, nt: sa = M*K, sb = 0, sc = M*N) run as one GEMM of
 * batch*M rows when that needs no more scratch than gemm_scratch_bytes(M, K, N): every element's fold is
 * the same (the same bits), with fuller 4-row tiles and one pass over B per row block instead of per item.
 * Other items of one row (M = 1: attention's query against its keys, nt, or its weights against its
 * values, nn) run on the row-vector paths above. (A weight gradient over contiguous items, sc = 0, is one
 * gemm_tn_f32 over batch*K; the caller sizes its scratch for that shape.)
 */
export function gemm_batched_f32(form: i32, c: usize, a: usize, b: usize, batch: i32, M: i32, K: i32, N: i32,
                                 sa: i32, sb: i32, sc: i32, accumulate: i32, scratch: usize): void {
  let rsa: usize = 0, csa: usize = 0, rsb: usize = 0, csb: usize = 0;
  if (form == 0) { rsa = <usize>K << 2; csa = 4; rsb = <usize>N << 2; csb = 4; }
  else if (form == 1) { rsa = <usize>K << 2; csa = 4; rsb = 4; csb = <usize>K << 2; }
  else if (form == 2) { rsa = 4; csa = <usize>M << 2; rsb = <usize>N << 2; csb = 4; }
  else unreachable();
  if (batch <= 0) {
    if (sc == 0 && accumulate == 0 && M > 0 && N > 0) memory.fill(c, 0, <usize>M * <usize>N << 2);
    return;
  }
  const acc = accumulate != 0;
  if (batch > 1 && M > 0 && N > 0 && K > 0) {
    const own = gemm_scratch_bytes(M, K, N);
    const mk = <i64>M * <i64>K, mn = <i64>M * <i64>N;
    if (form != 2 && sb == 0 && <i64>sa == mk && <i64>sc == mn && <i64>batch * <i64>M <= <i64>i32.MAX_VALUE &&
        gemm_scratch_bytes(batch * M, K, N) <= own) {
      gemm_strided(c, a, rsa, csa, b, rsb, csb, batch * M, K, N, acc, scratch);
      return;
    }
  }
  const ba = <usize>sa << 2, bb = <usize>sb << 2, bc = <usize>sc << 2;
  const row = M == 1 && N > 0 && K > 0;
  for (let t = 0; t < batch; t++) {
    const ct = c + <usize>t * bc, at = a + <usize>t * ba, bt = b + <usize>t * bb, acct = acc || (sc == 0 && t > 0);
    if (row && form == 1) gemv_nt(ct, at, bt, K, N, acct);
    else if (row) gemv_nn(ct, at, bt, K, N, acct);   // nn, and tn: a [K, 1] is the same K floats
    else gemm_strided(ct, at, rsa, csa, bt, rsb, csb, M, K, N, acct, scratch);
  }
}
