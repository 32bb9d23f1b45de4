// The fused update: scale -> clip -> noise -> weight decay -> optimizer, one pass over a parameter range,
// after a sum-of-squares pass for the global norm. Specification: docs/update.md (every operation below
// is one f32 operation of that page, in its order); method: Neelakantan et al. 2015, annealed Gaussian
// gradient noise added after clipping and before the optimizer (shared/PAPER.md).
//
// Legend
//   HYPER   byte address of the hyperparameter struct (arena header + H_HYPER): fields U_* of shared/abi.ts
//   TENSOR  index k of the parameter tensor (the noise stream index is k * 2^34 + element)
//   START   index, inside tensor k, of the first element of the range; N element count of the range
//   P, G    parameters and gradients (batch sums) of elements [START, START + N): pointers at element START
//   S0..S2  optimizer state slots of the same elements (pointers at element START; 0 for an unused slot):
//           sgd s0 = momentum buffer; adam/adamw s0 = m, s1 = v; adagrad s0 = sum of squares;
//           rmsprop s0 = square average, s1 = momentum buffer, s2 = centered mean
//   TMP     scratch, STEP_SCRATCH_BYTES bytes, private to the caller: x chunk at TMP, noise chunk at
//           TMP + 4 * STEP_CHUNK
//   AHEAD   (fused_update_ahead_f32) the noise of the range computed ahead by noise_fill_f32, element START
//           at AHEAD; READY how many of the range's first elements it holds
//
// Noise before clipping: pass 1 is called with NOISE_FIRST = 1 and U_F_NOISE in the flags; it then
// writes x = fr(fr(g * gscale) + n(i)) back into G (just fr(g * gscale) if U_F_NOISE is clear) and sums
// the squares of those. Pass 2 runs with U_F_PRESCALED: x = g, and it never adds noise, whatever U_F_NOISE
// says (docs/update.md has it cleared). With NOISE_FIRST = 0 pass 1 only reads G and never adds noise.
// A noise-first pass 1 writes G even when its non-finite sum makes the facade refuse the step: P and the
// state are untouched then, G is not.
//
// Contract: any N >= 0 (tail handled), any START >= 0, TENSOR in [0, 2^30); P, G, S*, TMP, AHEAD any
// 4-byte alignment (16 is faster); no two of P, G, S0, S1, S2, TMP, AHEAD overlap. The noise of element
// i is a pure function of (seed, step, TENSOR, START + i): a tensor may be split into ranges (threads) at
// any point and gives the same bits, and a chunk of pass 2 inside [0, READY) that reads its noise at
// AHEAD instead of drawing it gets the same values, so READY changes no bit either (workers compute the
// noise ahead while they wait at a barrier, runtime/parallel.ts). Without noise the RNG is never called and the noise half of TMP is untouched.
// Pass 2 zeroes G. Pass 1's lanes count from the start of the range, so its sum is the per-tensor sum of
// docs/update.md when the range is the whole tensor. The scalar twins in ref/step.ts perform per element
// exactly these operations, so both give identical bits (test/assembly/step.spec.ts).
//
// Shape of the passes: the range is cut into chunks of at most STEP_CHUNK elements (pass 2: boundaries
// at multiples of STEP_CHUNK of the tensor index; pass 1: from the range start, keeping the lanes). Per
// chunk the noise (if any) is generated into TMP with gaussian_fill_f32, then a short chain of transform
// loops builds x in TMP: the loop that reads G also applies the clip scale and adds the noise when no
// clip by value comes between (the paper's chain is one loop), otherwise one plain SIMD loop per set flag
// over the L1-resident chunk; then one optimizer loop specialised for (kind, momentum, nesterov, first,
// centered) consumes it. Flags are tested once per chunk, never per element. 1024-element chunks (8 KiB
// of TMP) amortise gaussian_fill_f32's entry (its ~30 constants) better than 256 did. Measured (Node 20,
// AMD EPYC, shared machine, CPU time, interleaved with the previous build in one run of
// bench/noise-ab.mjs, the paper net's 88,210 parameters, medians of 21 rounds with min-max): pass 2 of
// clip + sgd 0.57 (0.39-0.68) ns per parameter, 0.75 (0.49-0.92) before; clip + noise + sgd 4.85
// (4.16-5.33), 5.82 (4.94-6.38) before (the Gaussian stream alone 3.92). Callgrind: 39.9 instructions per
// parameter for clip + noise + sgd, 47.1 before.
import {
  U_GSCALE, U_CLIP_VALUE, U_CLIP_SCALE, U_SIGMA, U_LR, U_WD, U_A, U_B, U_C, U_D, U_EPS, U_E, U_F, U_FLAGS,
  U_STEP, U_SEED_LO, U_SEED_HI, U_G, OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_ADAGRAD, OPT_RMSPROP,
  U_F_CLIP_VALUE, U_F_CLIP_NORM, U_F_NOISE, U_F_PRESCALED, U_F_MOMENTUM, U_F_NESTEROV, U_F_FIRST,
  U_F_CENTERED, U_F_WD, RNG_DOMAIN_NOISE,
} from "../shared/abi";
import { gaussian_fill_f32 } from "../rng";

/** Elements per chunk: x and the noise of a chunk stay in L1 between the loops that use them. */
export const STEP_CHUNK: i32 = 1024;
/**
 * Bytes of scratch TMP that grad_sumsq_f64 and fused_update_f32 need: the x chunk (STEP_CHUNK f32) and
 * the noise chunk (STEP_CHUNK + 32 f32: the noise is generated from the Philox block boundary before the
 * chunk to a multiple of 16 elements, so gaussian_fill_f32 never takes its slow scalar head or tail).
 */
export const STEP_SCRATCH_BYTES: i32 = 4 * (2 * STEP_CHUNK + 32);

/** STEP_SCRATCH_BYTES, for the facade (the same shape as gemm_scratch_bytes). */
export function step_scratch_bytes(): i32 {
  return STEP_SCRATCH_BYTES;
}

// @ts-ignore: decorator
@inline const EXP_MASK: u32 = 0x7f800000;

/** Stream index of element START + c of tensor k: k * 2^34 + START + c. */
// @ts-ignore: decorator
@inline function noise_index(tensor: i32, start: i32, c: i32): u64 {
  return (<u64><u32>tensor << 34) + <u64><u32>(start + c);
}

/**
 * n(i) = fr(0 + fr(sigma * z(i))) for the m elements from element START + c, generated into nz; returns
 * the address of the first one's noise. The fill starts on the Philox block (4 elements) holding it and
 * covers a multiple of 16 elements, so it runs entirely in gaussian_fill_f32's f32x4 bodies (its scalar
 * head and tail cost ~50 ns per normal); the few extra values are discarded. Each value depends only on
 * its own index, so this changes no bits.
 */
// @ts-ignore: decorator
@inline function noise_chunk(hyper: usize, nz: usize, tensor: i32, start: i32, c: i32, m: i32): usize {
  const s = noise_index(tensor, start, c);
  const pre = <i32>(s & 3);
  gaussian_fill_f32(nz, s - <u64>pre, (pre + m + 15) & ~15, 0, load<f32>(hyper, U_SIGMA),
    load<u32>(hyper, U_SEED_LO), load<u32>(hyper, U_SEED_HI), load<u32>(hyper, U_STEP), RNG_DOMAIN_NOISE);
  return nz + (<usize>pre << 2);
}

// ================================================================ pass 1: sum of squares

/**
 * Pass 1 body. x_i = fr(g_i * gscale) (+ n(i) when `noise`), written back when `write`; returns Σ x_i^2
 * in f64 in the fixed order: lane sums l_j over elements j, j + 4, ... of the first floor(N/4)*4
 * (l0, l1 in one f64x2, l2, l3 in another: the unrolling keeps each lane a single serial chain),
 * (l0 + l1) + (l2 + l3), then the tail one by one.
 */
// @ts-ignore: decorator
@inline function sumsq_body(
  hyper: usize, g: usize, n: i32, tensor: i32, start: i32, tmp: usize, write: bool, noise: bool,
): f64 {
  const gs = load<f32>(hyper, U_GSCALE);
  const vs = f32x4.splat(gs);
  let a01 = f64x2.splat(0), a23 = f64x2.splat(0);
  let c = 0;
  while (true) {
    const m = min<i32>(STEP_CHUNK, n - c);
    const gc = g + (<usize>c << 2);
    let nz: usize = 0;
    if (noise && m > 0) nz = noise_chunk(hyper, tmp + (<usize>STEP_CHUNK << 2), tensor, start, c, m);
    let i = 0;
    for (; i + 8 <= m; i += 8) {
      const o = <usize>i << 2;
      let x0 = f32x4.mul(v128.load(gc + o), vs), x1 = f32x4.mul(v128.load(gc + o, 16), vs);
      if (noise) {
        x0 = f32x4.add(x0, v128.load(nz + o));
        x1 = f32x4.add(x1, v128.load(nz + o, 16));
      }
      if (write) { v128.store(gc + o, x0); v128.store(gc + o, x1, 16); }
      const d0 = f64x2.promote_low_f32x4(x0), d1 = f64x2.promote_low_f32x4(i32x4.shuffle(x0, x0, 2, 3, 2, 3));
      a01 = f64x2.add(a01, f64x2.mul(d0, d0));
      a23 = f64x2.add(a23, f64x2.mul(d1, d1));
      const e0 = f64x2.promote_low_f32x4(x1), e1 = f64x2.promote_low_f32x4(i32x4.shuffle(x1, x1, 2, 3, 2, 3));
      a01 = f64x2.add(a01, f64x2.mul(e0, e0));
      a23 = f64x2.add(a23, f64x2.mul(e1, e1));
    }
    for (; i + 4 <= m; i += 4) {
      const o = <usize>i << 2;
      let x0 = f32x4.mul(v128.load(gc + o), vs);
      if (noise) x0 = f32x4.add(x0, v128.load(nz + o));
      if (write) v128.store(gc + o, x0);
      const d0 = f64x2.promote_low_f32x4(x0), d1 = f64x2.promote_low_f32x4(i32x4.shuffle(x0, x0, 2, 3, 2, 3));
      a01 = f64x2.add(a01, f64x2.mul(d0, d0));
      a23 = f64x2.add(a23, f64x2.mul(d1, d1));
    }
    if (c + m == n) {
      // last chunk (STEP_CHUNK is a multiple of 4, so only this one has a tail): combine, then the tail
      let s = (f64x2.extract_lane(a01, 0) + f64x2.extract_lane(a01, 1))
        + (f64x2.extract_lane(a23, 0) + f64x2.extract_lane(a23, 1));
      for (; i < m; i++) {
        const o = <usize>i << 2;
        let x = load<f32>(gc + o) * gs;
        if (noise) x = x + load<f32>(nz + o);
        if (write) store<f32>(gc + o, x);
        const d = <f64>x;
        s += d * d;
      }
      return s;
    }
    c += m;
  }
}

/**
 * Pass 1 over one range: Σ x_i^2 in f64 (docs/update.md, fixed order), x_i = fr(g_i * gscale). With
 * NOISE_FIRST != 0, x_i = fr(fr(g_i * gscale) + n(i)) when the flags hold U_F_NOISE, and x_i is written
 * back into G for a PRESCALED pass 2. A NaN or Inf among the x_i makes the result non-finite. TMP is used
 * only when noise is added.
 */
export function grad_sumsq_f64(
  hyper: usize, g: usize, n: i32, tensor: i32, start: i32, tmp: usize, noise_first: i32,
): f64 {
  if (noise_first == 0) return sumsq_body(hyper, g, n, tensor, start, tmp, false, false);
  if ((load<u32>(hyper, U_FLAGS) & U_F_NOISE) == 0) return sumsq_body(hyper, g, n, tensor, start, tmp, true, false);
  return sumsq_body(hyper, g, n, tensor, start, tmp, true, true);
}

/** Index of the first NaN or +-Inf among g[0 .. N), or -1. */
export function first_nonfinite_f32(g: usize, n: i32): i32 {
  const em = i32x4.splat(EXP_MASK);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const b0 = i32x4.eq(v128.and(v128.load(g + o), em), em);
    const b1 = i32x4.eq(v128.and(v128.load(g + o, 16), em), em);
    if (v128.any_true(v128.or(b0, b1))) break;
  }
  for (; i + 4 <= n; i += 4) {
    if (v128.any_true(i32x4.eq(v128.and(v128.load(g + (<usize>i << 2)), em), em))) break;
  }
  for (; i < n; i++) {
    if ((load<u32>(g + (<usize>i << 2)) & EXP_MASK) == EXP_MASK) return i;
  }
  return -1;
}

// ================================================================ pass 2: the transform chain on a chunk

/**
 * x = fr(g * s) (or x = g when `copy`), then x = fr(x * cs) when `clip` (clip by norm) and x = fr(x + n)
 * when `noise` (n at nz), g = 0: the only loop that reads G. Folding the clip scale and the noise into it
 * (when no clip by value comes between) saves two passes over the chunk; the operations per element and
 * their order are those of the separate loops.
 */
// @ts-ignore: decorator
@inline function take_f32(
  x: usize, g: usize, m: i32, s: f32, copy: bool, cs: f32, clip: bool, nz: usize, noise: bool,
): void {
  const vs = f32x4.splat(s), vcs = f32x4.splat(cs), z = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const o = <usize>i << 2;
    let x0 = v128.load(g + o), x1 = v128.load(g + o, 16);
    if (!copy) { x0 = f32x4.mul(x0, vs); x1 = f32x4.mul(x1, vs); }
    if (clip) { x0 = f32x4.mul(x0, vcs); x1 = f32x4.mul(x1, vcs); }
    if (noise) { x0 = f32x4.add(x0, v128.load(nz + o)); x1 = f32x4.add(x1, v128.load(nz + o, 16)); }
    v128.store(x + o, x0);
    v128.store(x + o, x1, 16);
    v128.store(g + o, z);
    v128.store(g + o, z, 16);
  }
  for (; i + 4 <= m; i += 4) {
    const o = <usize>i << 2;
    let x0 = v128.load(g + o);
    if (!copy) x0 = f32x4.mul(x0, vs);
    if (clip) x0 = f32x4.mul(x0, vcs);
    if (noise) x0 = f32x4.add(x0, v128.load(nz + o));
    v128.store(x + o, x0);
    v128.store(g + o, z);
  }
  for (; i < m; i++) {
    const o = <usize>i << 2;
    let x0 = load<f32>(g + o);
    if (!copy) x0 = x0 * s;
    if (clip) x0 = x0 * cs;
    if (noise) x0 = x0 + load<f32>(nz + o);
    store<f32>(x + o, x0);
    store<f32>(g + o, 0);
  }
}

/** x = min(max(x, -c), c). */
// @ts-ignore: decorator
@inline function clip_value_f32(x: usize, m: i32, c: f32): void {
  const hi = f32x4.splat(c), lo = f32x4.splat(-c);
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.min(f32x4.max(v128.load(x + o), lo), hi));
    v128.store(x + o, f32x4.min(f32x4.max(v128.load(x + o, 16), lo), hi), 16);
  }
  for (; i + 4 <= m; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.min(f32x4.max(v128.load(x + o), lo), hi));
  }
  for (; i < m; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, min<f32>(max<f32>(load<f32>(x + o), -c), c));
  }
}

/** x = fr(x * s). */
// @ts-ignore: decorator
@inline function scale_f32(x: usize, m: i32, s: f32): void {
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), vs));
    v128.store(x + o, f32x4.mul(v128.load(x + o, 16), vs), 16);
  }
  for (; i + 4 <= m; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), vs));
  }
  for (; i < m; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * s);
  }
}

/** x = fr(x + y) (noise), or x = fr(x + fr(s * y)) when `scaled` (weight decay, y = p). */
// @ts-ignore: decorator
@inline function add_f32(x: usize, y: usize, m: i32, s: f32, scaled: bool): void {
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const o = <usize>i << 2;
    const y0 = v128.load(y + o), y1 = v128.load(y + o, 16);
    v128.store(x + o, f32x4.add(v128.load(x + o), scaled ? f32x4.mul(vs, y0) : y0));
    v128.store(x + o, f32x4.add(v128.load(x + o, 16), scaled ? f32x4.mul(vs, y1) : y1), 16);
  }
  for (; i + 4 <= m; i += 4) {
    const o = <usize>i << 2;
    const y0 = v128.load(y + o);
    v128.store(x + o, f32x4.add(v128.load(x + o), scaled ? f32x4.mul(vs, y0) : y0));
  }
  for (; i < m; i++) {
    const o = <usize>i << 2;
    const y0 = load<f32>(y + o);
    store<f32>(x + o, load<f32>(x + o) + (scaled ? s * y0 : y0));
  }
}

// ================================================================ pass 2: the optimizers on a chunk
// One vector function and one scalar function per optimizer, lane for lane the same operations; the
// chunk loop runs the vector one twice per iteration, then once, then the scalar one on the tail.
// `o` is the byte offset of the element in every array.

// ---- sgd (momentum a, b = 1 - dampening) ----
// @ts-ignore: decorator
@inline function sgd_v(
  p: usize, s0: usize, x: usize, o: usize, lr: v128, a: v128, b: v128, mom: bool, nest: bool, first: bool,
): void {
  let u = v128.load(x + o);
  if (mom) {
    const m = first ? u : f32x4.add(f32x4.mul(a, v128.load(s0 + o)), f32x4.mul(b, u));
    v128.store(s0 + o, m);
    u = nest ? f32x4.add(u, f32x4.mul(a, m)) : m;
  }
  v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.mul(lr, u)));
}
// @ts-ignore: decorator
@inline function sgd_s(
  p: usize, s0: usize, x: usize, o: usize, lr: f32, a: f32, b: f32, mom: bool, nest: bool, first: bool,
): void {
  let u = load<f32>(x + o);
  if (mom) {
    const m = first ? u : a * load<f32>(s0 + o) + b * u;
    store<f32>(s0 + o, m);
    u = nest ? u + a * m : m;
  }
  store<f32>(p + o, load<f32>(p + o) - lr * u);
}
// @ts-ignore: decorator
@inline function sgd_chunk(
  hyper: usize, p: usize, s0: usize, x: usize, m: i32, mom: bool, nest: bool, first: bool,
): void {
  const lr = load<f32>(hyper, U_LR), a = load<f32>(hyper, U_A), b = load<f32>(hyper, U_B);
  const vlr = f32x4.splat(lr), va = f32x4.splat(a), vb = f32x4.splat(b);
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const o = <usize>i << 2;
    sgd_v(p, s0, x, o, vlr, va, vb, mom, nest, first);
    sgd_v(p, s0, x, o + 16, vlr, va, vb, mom, nest, first);
  }
  for (; i + 4 <= m; i += 4) sgd_v(p, s0, x, <usize>i << 2, vlr, va, vb, mom, nest, first);
  for (; i < m; i++) sgd_s(p, s0, x, <usize>i << 2, lr, a, b, mom, nest, first);
}

// ---- adam, adamw (a = beta1, b = 1 - beta1, c = beta2, d = 1 - beta2, e = lr / bc1, f = sqrt(bc2)) ----
// @ts-ignore: decorator
@inline function adam_v(
  p: usize, s0: usize, s1: usize, x: usize, o: usize,
  a: v128, b: v128, c: v128, d: v128, e: v128, f: v128, eps: v128, g: v128, decoupled: bool,
): void {
  const u = v128.load(x + o);
  let w = v128.load(p + o);
  if (decoupled) w = f32x4.mul(w, g);
  const m = f32x4.add(f32x4.mul(a, v128.load(s0 + o)), f32x4.mul(b, u));
  const v = f32x4.add(f32x4.mul(c, v128.load(s1 + o)), f32x4.mul(f32x4.mul(d, u), u));
  v128.store(s0 + o, m);
  v128.store(s1 + o, v);
  const den = f32x4.add(f32x4.div(f32x4.sqrt(v), f), eps);
  v128.store(p + o, f32x4.sub(w, f32x4.mul(e, f32x4.div(m, den))));
}
// @ts-ignore: decorator
@inline function adam_s(
  p: usize, s0: usize, s1: usize, x: usize, o: usize,
  a: f32, b: f32, c: f32, d: f32, e: f32, f: f32, eps: f32, g: f32, decoupled: bool,
): void {
  const u = load<f32>(x + o);
  let w = load<f32>(p + o);
  if (decoupled) w = w * g;
  const m = a * load<f32>(s0 + o) + b * u;
  const v = c * load<f32>(s1 + o) + (d * u) * u;
  store<f32>(s0 + o, m);
  store<f32>(s1 + o, v);
  const den = Mathf.sqrt(v) / f + eps;
  store<f32>(p + o, w - e * (m / den));
}
// @ts-ignore: decorator
@inline function adam_chunk(hyper: usize, p: usize, s0: usize, s1: usize, x: usize, m: i32, decoupled: bool): void {
  const a = load<f32>(hyper, U_A), b = load<f32>(hyper, U_B), c = load<f32>(hyper, U_C);
  const d = load<f32>(hyper, U_D), e = load<f32>(hyper, U_E), f = load<f32>(hyper, U_F);
  const eps = load<f32>(hyper, U_EPS), g = load<f32>(hyper, U_G);
  const va = f32x4.splat(a), vb = f32x4.splat(b), vc = f32x4.splat(c), vd = f32x4.splat(d);
  const ve = f32x4.splat(e), vf = f32x4.splat(f), veps = f32x4.splat(eps), vg = f32x4.splat(g);
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const o = <usize>i << 2;
    adam_v(p, s0, s1, x, o, va, vb, vc, vd, ve, vf, veps, vg, decoupled);
    adam_v(p, s0, s1, x, o + 16, va, vb, vc, vd, ve, vf, veps, vg, decoupled);
  }
  for (; i + 4 <= m; i += 4) adam_v(p, s0, s1, x, <usize>i << 2, va, vb, vc, vd, ve, vf, veps, vg, decoupled);
  for (; i < m; i++) adam_s(p, s0, s1, x, <usize>i << 2, a, b, c, d, e, f, eps, g, decoupled);
}

// ---- adagrad (e = lr / (1 + t lr_decay)) ----
// @ts-ignore: decorator
@inline function adagrad_v(p: usize, s0: usize, x: usize, o: usize, e: v128, eps: v128): void {
  const u = v128.load(x + o);
  const s = f32x4.add(v128.load(s0 + o), f32x4.mul(u, u));
  v128.store(s0 + o, s);
  const q = f32x4.div(u, f32x4.add(f32x4.sqrt(s), eps));
  v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.mul(e, q)));
}
// @ts-ignore: decorator
@inline function adagrad_s(p: usize, s0: usize, x: usize, o: usize, e: f32, eps: f32): void {
  const u = load<f32>(x + o);
  const s = load<f32>(s0 + o) + u * u;
  store<f32>(s0 + o, s);
  const q = u / (Mathf.sqrt(s) + eps);
  store<f32>(p + o, load<f32>(p + o) - e * q);
}
// @ts-ignore: decorator
@inline function adagrad_chunk(hyper: usize, p: usize, s0: usize, x: usize, m: i32): void {
  const e = load<f32>(hyper, U_E), eps = load<f32>(hyper, U_EPS);
  const ve = f32x4.splat(e), veps = f32x4.splat(eps);
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const o = <usize>i << 2;
    adagrad_v(p, s0, x, o, ve, veps);
    adagrad_v(p, s0, x, o + 16, ve, veps);
  }
  for (; i + 4 <= m; i += 4) adagrad_v(p, s0, x, <usize>i << 2, ve, veps);
  for (; i < m; i++) adagrad_s(p, s0, x, <usize>i << 2, e, eps);
}

// ---- rmsprop (a = alpha, b = 1 - alpha, c = momentum) ----
// @ts-ignore: decorator
@inline function rmsprop_v(
  p: usize, s0: usize, s1: usize, s2: usize, x: usize, o: usize,
  lr: v128, a: v128, b: v128, c: v128, eps: v128, centered: bool, mom: bool,
): void {
  const u = v128.load(x + o);
  const sq = f32x4.add(f32x4.mul(a, v128.load(s0 + o)), f32x4.mul(f32x4.mul(b, u), u));
  v128.store(s0 + o, sq);
  let den: v128;
  if (centered) {
    const mu = f32x4.add(f32x4.mul(a, v128.load(s2 + o)), f32x4.mul(b, u));
    v128.store(s2 + o, mu);
    den = f32x4.add(f32x4.sqrt(f32x4.sub(sq, f32x4.mul(mu, mu))), eps);
  } else {
    den = f32x4.add(f32x4.sqrt(sq), eps);
  }
  let step: v128;
  if (mom) {
    step = f32x4.add(f32x4.mul(c, v128.load(s1 + o)), f32x4.div(u, den));
    v128.store(s1 + o, step);
  } else {
    step = f32x4.div(u, den);
  }
  v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.mul(lr, step)));
}
// @ts-ignore: decorator
@inline function rmsprop_s(
  p: usize, s0: usize, s1: usize, s2: usize, x: usize, o: usize,
  lr: f32, a: f32, b: f32, c: f32, eps: f32, centered: bool, mom: bool,
): void {
  const u = load<f32>(x + o);
  const sq = a * load<f32>(s0 + o) + (b * u) * u;
  store<f32>(s0 + o, sq);
  let den: f32;
  if (centered) {
    const mu = a * load<f32>(s2 + o) + b * u;
    store<f32>(s2 + o, mu);
    den = Mathf.sqrt(sq - mu * mu) + eps;
  } else {
    den = Mathf.sqrt(sq) + eps;
  }
  let step: f32;
  if (mom) {
    step = c * load<f32>(s1 + o) + u / den;
    store<f32>(s1 + o, step);
  } else {
    step = u / den;
  }
  store<f32>(p + o, load<f32>(p + o) - lr * step);
}
// @ts-ignore: decorator
@inline function rmsprop_chunk(
  hyper: usize, p: usize, s0: usize, s1: usize, s2: usize, x: usize, m: i32, centered: bool, mom: bool,
): void {
  const lr = load<f32>(hyper, U_LR), a = load<f32>(hyper, U_A), b = load<f32>(hyper, U_B);
  const c = load<f32>(hyper, U_C), eps = load<f32>(hyper, U_EPS);
  const vlr = f32x4.splat(lr), va = f32x4.splat(a), vb = f32x4.splat(b), vc = f32x4.splat(c);
  const veps = f32x4.splat(eps);
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const o = <usize>i << 2;
    rmsprop_v(p, s0, s1, s2, x, o, vlr, va, vb, vc, veps, centered, mom);
    rmsprop_v(p, s0, s1, s2, x, o + 16, vlr, va, vb, vc, veps, centered, mom);
  }
  for (; i + 4 <= m; i += 4) rmsprop_v(p, s0, s1, s2, x, <usize>i << 2, vlr, va, vb, vc, veps, centered, mom);
  for (; i < m; i++) rmsprop_s(p, s0, s1, s2, x, <usize>i << 2, lr, a, b, c, eps, centered, mom);
}

/** The optimizer of `flags` on one chunk of x: one specialised loop per (kind, flag) combination. */
function optimizer_chunk(
  hyper: usize, flags: u32, p: usize, s0: usize, s1: usize, s2: usize, x: usize, m: i32,
): void {
  const kind = flags & 15;
  const mom = (flags & U_F_MOMENTUM) != 0;
  if (kind == OPT_SGD) {
    if (!mom) sgd_chunk(hyper, p, s0, x, m, false, false, false);
    else if ((flags & U_F_FIRST) != 0) {
      if ((flags & U_F_NESTEROV) != 0) sgd_chunk(hyper, p, s0, x, m, true, true, true);
      else sgd_chunk(hyper, p, s0, x, m, true, false, true);
    } else {
      if ((flags & U_F_NESTEROV) != 0) sgd_chunk(hyper, p, s0, x, m, true, true, false);
      else sgd_chunk(hyper, p, s0, x, m, true, false, false);
    }
  } else if (kind == OPT_ADAM) {
    adam_chunk(hyper, p, s0, s1, x, m, false);
  } else if (kind == OPT_ADAMW) {
    adam_chunk(hyper, p, s0, s1, x, m, true);
  } else if (kind == OPT_ADAGRAD) {
    adagrad_chunk(hyper, p, s0, x, m);
  } else if (kind == OPT_RMSPROP) {
    const centered = (flags & U_F_CENTERED) != 0;
    if (centered) {
      if (mom) rmsprop_chunk(hyper, p, s0, s1, s2, x, m, true, true);
      else rmsprop_chunk(hyper, p, s0, s1, s2, x, m, true, false);
    } else {
      if (mom) rmsprop_chunk(hyper, p, s0, s1, s2, x, m, false, true);
      else rmsprop_chunk(hyper, p, s0, s1, s2, x, m, false, false);
    }
  } else {
    unreachable(); // the facade never writes another kind
  }
}

/**
 * Pass 2 over one range, both exports below; chunks inside [0, ready) read their noise at ahead. Not
 * inlined into the two: one copy of the specialised loops (the module stays ~4 KiB smaller).
 */
function fused_update(
  hyper: usize, p: usize, g: usize, s0: usize, s1: usize, s2: usize, n: i32, tensor: i32, start: i32,
  tmp: usize, ahead: usize, ready: i32,
): void {
  const flags = load<u32>(hyper, U_FLAGS);
  const prescaled = (flags & U_F_PRESCALED) != 0;
  const noise = !prescaled && (flags & U_F_NOISE) != 0;
  const clipv = (flags & U_F_CLIP_VALUE) != 0;
  const clipn = (flags & U_F_CLIP_NORM) != 0;
  const wd = (flags & U_F_WD) != 0 && (flags & 15) != OPT_ADAMW;
  const gs = load<f32>(hyper, U_GSCALE), cv = load<f32>(hyper, U_CLIP_VALUE);
  const cs = load<f32>(hyper, U_CLIP_SCALE), wdv = load<f32>(hyper, U_WD);
  const x = tmp, nbuf = tmp + (<usize>STEP_CHUNK << 2);
  // chunk boundaries on multiples of STEP_CHUNK in the tensor, so only the first chunk of an unaligned
  // range starts inside a Philox block
  let m = min<i32>(n, STEP_CHUNK - (start & (STEP_CHUNK - 1)));
  for (let c = 0; c < n; c += m, m = min<i32>(STEP_CHUNK, n - c)) {
    const o = <usize>c << 2;
    let nz: usize = 0;
    if (noise) nz = c + m <= ready ? ahead + o : noise_chunk(hyper, nbuf, tensor, start, c, m);
    if (prescaled) {
      take_f32(x, g + o, m, gs, true, 0, false, 0, false);
      if (clipv) clip_value_f32(x, m, cv);
      if (clipn) scale_f32(x, m, cs);
    } else if (clipv) {
      take_f32(x, g + o, m, gs, false, 0, false, 0, false);
      clip_value_f32(x, m, cv);
      if (clipn) scale_f32(x, m, cs);
      if (noise) add_f32(x, nz, m, 0, false);
    } else if (clipn) {
      if (noise) take_f32(x, g + o, m, gs, false, cs, true, nz, true);
      else take_f32(x, g + o, m, gs, false, cs, true, 0, false);
    } else {
      if (noise) take_f32(x, g + o, m, gs, false, 0, false, nz, true);
      else take_f32(x, g + o, m, gs, false, 0, false, 0, false);
    }
    if (wd) add_f32(x, p + o, m, wdv, true);
    optimizer_chunk(hyper, flags, p + o,
      s0 == 0 ? 0 : s0 + o, s1 == 0 ? 0 : s1 + o, s2 == 0 ? 0 : s2 + o, x, m);
  }
}

/**
 * Pass 2 over one range (docs/update.md, "per element, in this order"): x from the gradient, then clip
 * by value, clip by norm, noise, weight decay, each when its flag is set, then the optimizer
 * (kind = flags & 15) updates P and the state slots; G is zeroed.
 */
export function fused_update_f32(
  hyper: usize, p: usize, g: usize, s0: usize, s1: usize, s2: usize, n: i32, tensor: i32, start: i32,
  tmp: usize,
): void {
  fused_update(hyper, p, g, s0, s1, s2, n, tensor, start, tmp, 0, 0);
}

/**
 * fused_update_f32 with the noise of the range's first READY elements computed ahead (noise_fill_f32)
 * at AHEAD (f32, element START of the range at AHEAD): those chunks read it instead of drawing it, the
 * rest draw their own. The values are the same either way (n(i) is a pure function of its index), so
 * the bits do not depend on READY. READY counts from the range start and is a multiple of STEP_CHUNK or
 * the range's end; the range starts on a multiple of STEP_CHUNK of the tensor.
 */
export function fused_update_ahead_f32(
  hyper: usize, p: usize, g: usize, s0: usize, s1: usize, s2: usize, n: i32, tensor: i32, start: i32,
  tmp: usize, ahead: usize, ready: i32,
): void {
  fused_update(hyper, p, g, s0, s1, s2, n, tensor, start, tmp, ahead, ready);
}

/**
 * p[j] = n(START + j), j < N: the gradient noise fr(0 + fr(sigma * z)) of elements START .. START + N - 1
 * of tensor TENSOR at the step of HYPER (sigma, seed, step from the struct), exactly the values pass 2
 * adds. Writes p[0 .. N) and nothing else; any START, any N >= 0.
 */
export function noise_fill_f32(hyper: usize, p: usize, n: i32, tensor: i32, start: i32): void {
  gaussian_fill_f32(p, noise_index(tensor, start, 0), n, 0, load<f32>(hyper, U_SIGMA),
    load<u32>(hyper, U_SEED_LO), load<u32>(hyper, U_SEED_HI), load<u32>(hyper, U_STEP), RNG_DOMAIN_NOISE);
}
