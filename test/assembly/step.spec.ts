// The fused update (optim/step.ts) against its scalar twin (ref/step.ts), bit for bit, for every optimizer
// kind and flag combination at tail sizes and across chunk boundaries; against hand-computed values of
// each optimizer (f64, 1e-6 relative); the noise is really there and equals the library's Gaussian stream;
// the gradient is zeroed; pass 1 sums in the order of docs/update.md and writes back the noisy gradient.
import { grad_sumsq_f64, fused_update_f32, first_nonfinite_f32, STEP_CHUNK, STEP_SCRATCH_BYTES } from "../../assembly/optim/step";
import { grad_sumsq_f64_ref, fused_update_f32_ref, first_nonfinite_f32_ref } from "../../assembly/ref/step";
import { gaussian_fill_f32 } from "../../assembly/rng";
import {
  U_GSCALE, U_CLIP_VALUE, U_CLIP_SCALE, U_SIGMA, U_LR, U_WD, U_A, U_B, U_C, U_D, U_EPS, U_E, U_F, U_FLAGS,
  U_G, U_BYTES, OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_ADAGRAD, OPT_RMSPROP, U_F_CLIP_VALUE, U_F_CLIP_NORM,
  U_F_NOISE, U_F_PRESCALED, U_F_MOMENTUM, U_F_NESTEROV, U_F_FIRST, U_F_CENTERED, U_F_WD, RNG_DOMAIN_NOISE,
} from "../../assembly/shared/abi";
import { mismatches, reseed } from "./helpers";
import { Copies, fillRange, FLAG_BITS, flagSet, KINDS, writeHyper } from "./update";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43, 300];
const STARTS: i32[] = [5, 253]; // inside the first chunk; the ranges across chunks are the second test's
const TENSOR = 3;
const SEED_LO: u32 = 0x12345678;
const SEED_HI: u32 = 0x9abcdef0;
const STEP: u32 = 7;
const SENTINEL: u32 = 0x7fa5a5a5; // a NaN pattern no kernel writes
const LONG = 2 * STEP_CHUNK + 52; // a range over three chunks from a start inside the first
const MAXN = LONG + 8;

// ---- memory: one hyper struct, two copies (kernel, twin) of p, g, s0, s1, s2, scratch ----
const H = heap.alloc(<usize>U_BYTES + 16);
const TMP = heap.alloc(<usize>STEP_SCRATCH_BYTES + 16);
const COPIES = new Copies(MAXN);
const P1 = COPIES.p1, G1 = COPIES.g1, A1 = COPIES.a1, B1 = COPIES.b1, C1 = COPIES.c1;
const P2 = COPIES.p2, G2 = COPIES.g2, A2 = COPIES.a2, B2 = COPIES.b2, C2 = COPIES.c2;
const NZ = heap.alloc(<usize>(MAXN * 4 + 32));
reseed(12345);

function at(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
function put(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
function setHyper(flags: u32): void { writeHyper(H, flags, STEP, SEED_LO, SEED_HI); }
function prepare(n: i32): void { COPIES.prepare(n); }

/** Runs pass 1 and pass 2 on both copies; returns the number of differing words (sums included). */
function compareRun(flags: u32, n: i32, start: i32, off: usize): i32 {
  setHyper(flags);
  const m = n + 1 + <i32>(off >> 2); // through one element past the range (off bytes in): untouched in both
  prepare(m);
  // the facade's flow: noise first = pass 1 with NOISE_FIRST and U_F_NOISE, pass 2 with U_F_PRESCALED
  // (here the same struct for both: a PRESCALED pass 2 ignores U_F_NOISE)
  const first = (flags & U_F_PRESCALED) != 0 ? 1 : 0;
  const s1 = grad_sumsq_f64(H, G1 + off, n, TENSOR, start, TMP, first);
  const s2 = grad_sumsq_f64_ref(H, G2 + off, n, TENSOR, start, 0, first);
  let bad = reinterpret<u64>(s1) == reinterpret<u64>(s2) ? 0 : 1;
  fused_update_f32(H, P1 + off, G1 + off, A1 + off, B1 + off, C1 + off, n, TENSOR, start, TMP);
  fused_update_f32_ref(H, P2 + off, G2 + off, A2 + off, B2 + off, C2 + off, n, TENSOR, start, 0);
  return bad + COPIES.differ(m);
}

describe("fused_update_f32 and grad_sumsq_f64 equal their scalar twins bit for bit", () => {
  it("for every kind x every flag subset x tail sizes x two starts (tensor 3)", () => {
    let bad = 0;
    for (let k = 0; k < KINDS.length; k++) {
      for (let bits = 0; bits < 1 << FLAG_BITS.length; bits++) {
        const flags = KINDS[k] | flagSet(bits);
        for (let si = 0; si < SIZES.length; si++) {
          for (let st = 0; st < STARTS.length; st++) {
            const b = compareRun(flags, SIZES[si], STARTS[st], 0);
            if (b != 0 && bad == 0) log<string>("first mismatch: flags " + flags.toString() + " n " + SIZES[si].toString());
            bad += b;
          }
        }
      }
    }
    expect<i32>(bad).toBe(0);
  });
  it("for every kind x every flag subset over three chunks from an unaligned start, pointers + 4 bytes", () => {
    let bad = 0;
    for (let k = 0; k < KINDS.length; k++) {
      for (let bits = 0; bits < 1 << FLAG_BITS.length; bits++) {
        const flags = KINDS[k] | flagSet(bits);
        const b = compareRun(flags, LONG, STEP_CHUNK - 24, 4);
        if (b != 0 && bad == 0) log<string>("first mismatch: flags " + flags.toString());
        bad += b;
      }
    }
    expect<i32>(bad).toBe(0);
  });
  it("at unaligned pointers and several chunks (n = 600, start = 1000, pointers + 4 bytes)", () => {
    let bad = 0;
    for (let k = 0; k < KINDS.length; k++) {
      bad += compareRun(KINDS[k] | U_F_NOISE | U_F_CLIP_NORM | U_F_MOMENTUM | U_F_CENTERED, 599, 1000, 4);
      bad += compareRun(KINDS[k] | U_F_PRESCALED | U_F_NOISE | U_F_WD | U_F_CLIP_VALUE, 599, 1001, 4);
      bad += compareRun(KINDS[k] | U_F_NOISE, 599, 0, 0);
    }
    expect<i32>(bad).toBe(0);
  });
});

// ---- hand-computed single steps (f64, from the same f32 hyperparameters) ----

function f(x: f32): f64 { return <f64>x; }
function close(got: f32, want: f64): bool {
  return Math.abs(<f64>got - want) <= 1e-6 * Math.abs(want) + 1e-30;
}
/** One element through the kernel; returns p after the step (states stay at A1/B1/C1 for inspection). */
function one(flags: u32, p: f32, g: f32, s0: f32, s1: f32, s2: f32): f32 {
  store<u32>(H, flags, U_FLAGS);
  put(P1, 0, p); put(G1, 0, g); put(A1, 0, s0); put(B1, 0, s1); put(C1, 0, s2);
  fused_update_f32(H, P1, G1, A1, B1, C1, 1, 0, 0, TMP);
  expect<f32>(at(G1, 0)).toBe(0);
  return at(P1, 0);
}

describe("fused_update_f32 computes each optimizer's step", () => {
  it("sgd: plain, weight decay, momentum (first step, later step), Nesterov, clipping", () => {
    setHyper(0);
    const gs = f(load<f32>(H, U_GSCALE)), lr = f(load<f32>(H, U_LR)), a = f(load<f32>(H, U_A));
    const b = f(load<f32>(H, U_B)), wd = f(load<f32>(H, U_WD)), cv = f(load<f32>(H, U_CLIP_VALUE));
    const cs = f(load<f32>(H, U_CLIP_SCALE));
    const x = 1.5 * gs;
    expect<bool>(close(one(OPT_SGD, 1, 1.5, 0, 0, 0), 1 - lr * x)).toBe(true);
    expect<bool>(close(one(OPT_SGD | U_F_WD, 1, 1.5, 0, 0, 0), 1 - lr * (x + wd))).toBe(true);
    expect<bool>(close(one(OPT_SGD | U_F_MOMENTUM | U_F_FIRST, 1, 1.5, 0.25, 0, 0), 1 - lr * x)).toBe(true);
    expect<bool>(close(at(A1, 0), x)).toBe(true); // buffer = gradient on the first step
    const buf = a * 0.25 + b * x;
    expect<bool>(close(one(OPT_SGD | U_F_MOMENTUM, 1, 1.5, 0.25, 0, 0), 1 - lr * buf)).toBe(true);
    expect<bool>(close(at(A1, 0), buf)).toBe(true);
    expect<bool>(close(one(OPT_SGD | U_F_MOMENTUM | U_F_NESTEROV, 1, 1.5, 0.25, 0, 0), 1 - lr * (x + a * buf))).toBe(true);
    // clip by value: g * gscale = 3 / 3 = 1 > 0.7 -> 0.7; then clip by norm scales by 0.37
    expect<bool>(close(one(OPT_SGD | U_F_CLIP_VALUE, 1, 3, 0, 0, 0), 1 - lr * cv)).toBe(true);
    expect<bool>(close(one(OPT_SGD | U_F_CLIP_VALUE, 1, -3, 0, 0, 0), 1 + lr * cv)).toBe(true);
    expect<bool>(close(one(OPT_SGD | U_F_CLIP_VALUE | U_F_CLIP_NORM, 1, 3, 0, 0, 0), 1 - lr * cv * cs)).toBe(true);
    // prescaled: g is already g * gscale
    expect<bool>(close(one(OPT_SGD | U_F_PRESCALED, 1, 0.5, 0, 0, 0), 1 - lr * 0.5)).toBe(true);
  });
  it("adam: first step from zero moments moves p by about lr against the gradient's sign", () => {
    // PyTorch Adam, lr = 1e-3, betas (0.9, 0.999), eps 1e-8, t = 1: m = 0.1 x, v = 0.001 x^2,
    // p -= lr / (1 - 0.9) * m / (sqrt(v) / sqrt(1 - 0.999) + eps) = lr * x / (|x| + eps)
    setHyper(OPT_ADAM);
    const lr = 1e-3;
    store<f32>(H, 0.9, U_A); store<f32>(H, 0.1, U_B); store<f32>(H, 0.999, U_C); store<f32>(H, 0.001, U_D);
    store<f32>(H, <f32>(lr / (1 - 0.9)), U_E); store<f32>(H, <f32>Math.sqrt(1 - 0.999), U_F);
    store<f32>(H, 1e-8, U_EPS);
    const e = f(load<f32>(H, U_E)), ff = f(load<f32>(H, U_F)), eps = f(load<f32>(H, U_EPS));
    const gs = f(load<f32>(H, U_GSCALE));
    const x = -2.0 * gs;
    const m = f(<f32>0.1) * x, v = f(<f32>0.001) * x * x;
    const want = 0.5 - e * (m / (Math.sqrt(v) / ff + eps));
    expect<bool>(close(one(OPT_ADAM, 0.5, -2.0, 0, 0, 0), want)).toBe(true);
    expect<bool>(Math.abs(<f64>at(P1, 0) - (0.5 + lr)) < 1e-6).toBe(true); // sign-like step
    expect<bool>(close(at(A1, 0), m)).toBe(true);
    expect<bool>(close(at(B1, 0), v)).toBe(true);
    // a later step from nonzero moments
    const m2 = 0.9 * 0.02 + f(<f32>0.1) * x, v2 = f(<f32>0.999) * 0.003 + f(<f32>0.001) * x * x;
    const want2 = 0.5 - e * (m2 / (Math.sqrt(v2) / ff + eps));
    expect<bool>(close(one(OPT_ADAM, 0.5, -2.0, 0.02, 0.003, 0), want2)).toBe(true);
    // L2 weight decay enters the gradient
    store<f32>(H, 0.1, U_WD);
    const xw = x + f(<f32>0.1) * 0.5;
    const want3 = 0.5 - e * (f(<f32>0.1) * xw / (Math.sqrt(f(<f32>0.001) * xw * xw) / ff + eps));
    expect<bool>(close(one(OPT_ADAM | U_F_WD, 0.5, -2.0, 0, 0, 0), want3)).toBe(true);
  });
  it("adamw: decoupled decay p * (1 - lr wd) before the Adam step; U_F_WD does not add L2", () => {
    setHyper(OPT_ADAMW);
    store<f32>(H, 0.98, U_G);
    const e = f(load<f32>(H, U_E)), ff = f(load<f32>(H, U_F)), eps = f(load<f32>(H, U_EPS));
    const x = 1.2 * f(load<f32>(H, U_GSCALE));
    const m = 0.9 * 0.1 + f(<f32>0.1) * x, v = f(<f32>0.999) * 0.05 + f(<f32>0.001) * x * x;
    const want = 2.0 * f(<f32>0.98) - e * (m / (Math.sqrt(v) / ff + eps));
    expect<bool>(close(one(OPT_ADAMW, 2.0, 1.2, 0.1, 0.05, 0), want)).toBe(true);
    expect<bool>(close(one(OPT_ADAMW | U_F_WD, 2.0, 1.2, 0.1, 0.05, 0), want)).toBe(true);
  });
  it("adagrad: sum += x^2, p -= e x / (sqrt(sum) + eps)", () => {
    setHyper(OPT_ADAGRAD);
    const e = f(load<f32>(H, U_E)), eps = f(load<f32>(H, U_EPS));
    const x = 0.9 * f(load<f32>(H, U_GSCALE));
    const s = 0.1 + x * x;
    expect<bool>(close(one(OPT_ADAGRAD, -1, 0.9, 0.1, 0, 0), -1 - e * x / (Math.sqrt(s) + eps))).toBe(true);
    expect<bool>(close(at(A1, 0), s)).toBe(true);
  });
  it("rmsprop: plain, centered, momentum, centered + momentum", () => {
    setHyper(OPT_RMSPROP);
    const lr = f(load<f32>(H, U_LR)), a = f(load<f32>(H, U_A)), b = f(load<f32>(H, U_B));
    const c = f(load<f32>(H, U_C)), eps = f(load<f32>(H, U_EPS));
    const x = 2.4 * f(load<f32>(H, U_GSCALE));
    const sq = a * 0.6 + b * x * x;
    const mu = a * 0.05 + b * x;
    const den = Math.sqrt(sq) + eps, denc = Math.sqrt(sq - mu * mu) + eps;
    expect<bool>(close(one(OPT_RMSPROP, 1, 2.4, 0.6, 0.2, 0.05), 1 - lr * x / den)).toBe(true);
    expect<bool>(close(at(A1, 0), sq)).toBe(true);
    expect<bool>(close(one(OPT_RMSPROP | U_F_CENTERED, 1, 2.4, 0.6, 0.2, 0.05), 1 - lr * x / denc)).toBe(true);
    expect<bool>(close(at(C1, 0), mu)).toBe(true);
    const bm = c * 0.2 + x / den;
    expect<bool>(close(one(OPT_RMSPROP | U_F_MOMENTUM, 1, 2.4, 0.6, 0.2, 0.05), 1 - lr * bm)).toBe(true);
    expect<bool>(close(at(B1, 0), bm)).toBe(true);
    const bmc = c * 0.2 + x / denc;
    expect<bool>(close(one(OPT_RMSPROP | U_F_CENTERED | U_F_MOMENTUM, 1, 2.4, 0.6, 0.2, 0.05), 1 - lr * bmc)).toBe(true);
  });
});

// ---- the noise ----

/** The stream noise of elements [start, start + n) of `tensor`: what docs/update.md calls n(i). */
function streamNoise(out: usize, tensor: i32, start: i32, n: i32, sigma: f32, step: u32): void {
  gaussian_fill_f32(out, (<u64>tensor << 34) + <u64>start, n, 0, sigma, SEED_LO, SEED_HI, step, RNG_DOMAIN_NOISE);
}

describe("the gradient noise", () => {
  it("is really added: zero gradient, sgd lr 1 moves p by exactly -n(i)", () => {
    for (let si = 0; si < SIZES.length; si++) {
      const n = SIZES[si];
      setHyper(OPT_SGD | U_F_NOISE);
      store<f32>(H, 1, U_LR);
      for (let i = 0; i < n; i++) { put(P1, i, 0); put(G1, i, 0); }
      fused_update_f32(H, P1, G1, 0, 0, 0, n, TENSOR, 77, TMP);
      streamNoise(NZ, TENSOR, 77, n, 0.1, STEP);
      let bad = 0, nonzero = 0;
      for (let i = 0; i < n; i++) {
        if (at(P1, i) != -at(NZ, i)) bad++;
        if (at(P1, i) != 0) nonzero++;
      }
      expect<i32>(bad).toBe(0);
      expect<i32>(nonzero).toBe(n);
    }
  });
  it("has standard deviation sigma and depends on the step, the tensor and the element", () => {
    const n = MAXN;
    setHyper(OPT_SGD | U_F_NOISE);
    store<f32>(H, 1, U_LR);
    store<f32>(H, 0.5, U_SIGMA);
    for (let i = 0; i < n; i++) { put(P1, i, 0); put(G1, i, 0); }
    fused_update_f32(H, P1, G1, 0, 0, 0, n, 1, 0, TMP);
    let s: f64 = 0, ss: f64 = 0;
    for (let i = 0; i < n; i++) { s += f(at(P1, i)); ss += f(at(P1, i)) * f(at(P1, i)); }
    const sd = Math.sqrt(ss / n - (s / n) * (s / n));
    expect<bool>(sd > 0.45 && sd < 0.55).toBe(true);
    for (let i = 0; i < n; i++) put(P1, i, -at(P1, i)); // the noise itself
    streamNoise(NZ, 1, 0, n, 0.5, STEP);
    expect<i32>(mismatches(NZ, P1, n)).toBe(0);
    // another step, another tensor: different noise
    streamNoise(NZ, 1, 0, n, 0.5, STEP + 1);
    expect<bool>(mismatches(NZ, P1, n) > n - 5).toBe(true);
    streamNoise(NZ, 2, 0, n, 0.5, STEP);
    expect<bool>(mismatches(NZ, P1, n) > n - 5).toBe(true);
  });
  it("does not depend on how a tensor is split into ranges", () => {
    const n = 560;
    setHyper(OPT_ADAM | U_F_NOISE | U_F_CLIP_NORM);
    prepare(n);
    fused_update_f32(H, P1, G1, A1, B1, C1, n, TENSOR, 0, TMP);
    // copy 2 in three ranges: [0, 3), [3, 301), [301, 560)
    fused_update_f32(H, P2, G2, A2, B2, C2, 3, TENSOR, 0, TMP);
    fused_update_f32(H, P2 + 12, G2 + 12, A2 + 12, B2 + 12, C2 + 12, 298, TENSOR, 3, TMP);
    fused_update_f32(H, P2 + 1204, G2 + 1204, A2 + 1204, B2 + 1204, C2 + 1204, 259, TENSOR, 301, TMP);
    expect<i32>(mismatches(P1, P2, n) + mismatches(A1, A2, n) + mismatches(B1, B2, n)).toBe(0);
  });
  it("leaves the RNG alone without U_F_NOISE (and with PRESCALED, where pass 1 added it)", () => {
    const nz = TMP + (<usize>STEP_CHUNK << 2);
    const words = (STEP_SCRATCH_BYTES >> 2) - STEP_CHUNK;
    for (let i = 0; i < words; i++) store<u32>(nz + (<usize>i << 2), SENTINEL);
    setHyper(OPT_SGD | U_F_CLIP_NORM | U_F_CLIP_VALUE | U_F_WD);
    prepare(300);
    fused_update_f32(H, P1, G1, A1, B1, C1, 300, TENSOR, 5, TMP);
    setHyper(OPT_ADAM | U_F_PRESCALED | U_F_NOISE);
    fused_update_f32(H, P1, G1, A1, B1, C1, 300, TENSOR, 5, TMP);
    let touched = 0;
    for (let i = 0; i < words; i++) if (load<u32>(nz + (<usize>i << 2)) != SENTINEL) touched++;
    expect<i32>(touched).toBe(0);
  });
  it("noise before clipping: pass 1 writes fr(fr(g * gscale) + n) back, pass 2 PRESCALED gives the same step", () => {
    for (let si = 0; si < SIZES.length; si++) {
      const n = SIZES[si];
      // copy 1: noise after scaling in pass 2 (no clip, so the order does not matter)
      setHyper(OPT_RMSPROP | U_F_MOMENTUM | U_F_NOISE);
      prepare(n);
      fused_update_f32(H, P1, G1, A1, B1, C1, n, TENSOR, 9, TMP);
      // copy 2: noise first (pass 1 with NOISE_FIRST and U_F_NOISE, pass 2 PRESCALED without U_F_NOISE)
      setHyper(OPT_RMSPROP | U_F_MOMENTUM | U_F_NOISE);
      streamNoise(NZ, TENSOR, 9, n, 0.1, STEP);
      const gs = load<f32>(H, U_GSCALE);
      let expectSum: f64 = 0, l0: f64 = 0, l1: f64 = 0, l2: f64 = 0, l3: f64 = 0;
      const n4 = n & ~3;
      for (let i = 0; i < n4; i += 4) {
        const x0 = f(at(G2, i) * gs + at(NZ, i)), x1 = f(at(G2, i + 1) * gs + at(NZ, i + 1));
        const x2 = f(at(G2, i + 2) * gs + at(NZ, i + 2)), x3 = f(at(G2, i + 3) * gs + at(NZ, i + 3));
        l0 += x0 * x0; l1 += x1 * x1; l2 += x2 * x2; l3 += x3 * x3;
      }
      expectSum = (l0 + l1) + (l2 + l3);
      for (let i = n4; i < n; i++) { const x = f(at(G2, i) * gs + at(NZ, i)); expectSum += x * x; }
      for (let i = 0; i < n; i++) put(NZ, i, at(G2, i) * gs + at(NZ, i)); // the expected write-back
      const sum = grad_sumsq_f64(H, G2, n, TENSOR, 9, TMP, 1);
      expect<u64>(reinterpret<u64>(sum)).toBe(reinterpret<u64>(expectSum));
      expect<i32>(mismatches(G2, NZ, n)).toBe(0);
      store<u32>(H, OPT_RMSPROP | U_F_MOMENTUM | U_F_PRESCALED, U_FLAGS);
      fused_update_f32(H, P2, G2, A2, B2, C2, n, TENSOR, 9, TMP);
      expect<i32>(mismatches(P1, P2, n) + mismatches(A1, A2, n) + mismatches(B1, B2, n)).toBe(0);
    }
  });
});

describe("the gradient buffer and pass 1", () => {
  it("pass 2 zeroes g for every kind", () => {
    for (let k = 0; k < KINDS.length; k++) {
      setHyper(KINDS[k] | U_F_NOISE | U_F_MOMENTUM);
      prepare(43);
      fused_update_f32(H, P1, G1, A1, B1, C1, 43, 0, 0, TMP);
      let nz = 0;
      for (let i = 0; i < 43; i++) if (load<u32>(G1 + (<usize>i << 2)) != 0) nz++;
      expect<i32>(nz).toBe(0);
    }
  });
  it("grad_sumsq_f64 is the f64 sum of fr(g * gscale)^2 in four lanes, then the tail, and leaves g alone", () => {
    for (let si = 0; si < SIZES.length; si++) {
      const n = SIZES[si];
      setHyper(OPT_SGD | U_F_NOISE | U_F_PRESCALED); // NOISE_FIRST = 0: pass 1 neither adds nor writes
      prepare(n);
      const gs = load<f32>(H, U_GSCALE);
      const lanes: f64[] = [0, 0, 0, 0];
      const n4 = n & ~3;
      for (let i = 0; i < n4; i++) { const x = f(at(G1, i) * gs); lanes[i & 3] += x * x; }
      let want = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
      for (let i = n4; i < n; i++) { const x = f(at(G1, i) * gs); want += x * x; }
      expect<u64>(reinterpret<u64>(grad_sumsq_f64(H, G1, n, TENSOR, 0, TMP, 0))).toBe(reinterpret<u64>(want));
      expect<i32>(mismatches(G1, G2, n)).toBe(0);
    }
  });
  it("a NaN or Inf makes the sum non-finite, and first_nonfinite_f32 finds the first one", () => {
    setHyper(OPT_SGD);
    for (let si = 0; si < SIZES.length; si++) {
      const n = SIZES[si];
      fillRange(G1, n, -3, 3);
      expect<i32>(first_nonfinite_f32(G1, n)).toBe(-1);
      expect<bool>(isFinite<f64>(grad_sumsq_f64(H, G1, n, 0, 0, TMP, 0))).toBe(true);
      for (let pos = 0; pos < n; pos += max<i32>(1, n / 7)) {
        fillRange(G1, n, -3, 3);
        const bad: f32 = pos % 3 == 0 ? <f32>NaN : (pos % 3 == 1 ? <f32>Infinity : <f32>-Infinity);
        put(G1, pos, bad);
        if (pos + 2 < n) put(G1, pos + 2, <f32>NaN);
        expect<i32>(first_nonfinite_f32(G1, n)).toBe(pos);
        expect<i32>(first_nonfinite_f32_ref(G1, n)).toBe(pos);
        expect<bool>(isFinite<f64>(grad_sumsq_f64(H, G1, n, 0, 0, TMP, 0))).toBe(false);
      }
    }
  });
});
