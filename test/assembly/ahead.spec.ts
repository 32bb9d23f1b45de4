// Noise computed ahead (optim/step.ts: noise_fill_f32, fused_update_ahead_f32): the filled values are the
// library's Gaussian stream scaled by sigma, exactly what pass 2 adds; pass 2 reading any prefix of them
// gives the bits of pass 2 drawing its own, for every kind and flag subset; and, with the 1024-element
// chunks, ranges that start inside a chunk and cross several still equal the scalar twin.
import { fused_update_f32, fused_update_ahead_f32, noise_fill_f32, STEP_CHUNK, STEP_SCRATCH_BYTES } from "../../assembly/optim/step";
import { fused_update_f32_ref } from "../../assembly/ref/step";
import { gaussian_fill_f32 } from "../../assembly/rng";
import {
  U_GSCALE, U_CLIP_VALUE, U_CLIP_SCALE, U_SIGMA, U_LR, U_WD, U_A, U_B, U_C, U_D, U_EPS, U_E, U_F, U_FLAGS,
  U_STEP, U_SEED_LO, U_SEED_HI, U_G, U_BYTES, OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_ADAGRAD, OPT_RMSPROP,
  U_F_CLIP_VALUE, U_F_CLIP_NORM, U_F_NOISE, U_F_PRESCALED, U_F_MOMENTUM, U_F_NESTEROV, U_F_FIRST,
  U_F_CENTERED, U_F_WD, RNG_DOMAIN_NOISE,
} from "../../assembly/shared/abi";

const TENSOR = 5;
const SEED_LO: u32 = 0xdeadbeef;
const SEED_HI: u32 = 0x01234567;
const STEP: u32 = 11;
const MAXN = 3200;

const H = heap.alloc(<usize>U_BYTES + 16);
const TMP = heap.alloc(<usize>STEP_SCRATCH_BYTES + 16);
function arr(): usize { return heap.alloc(<usize>(MAXN * 4 + 32)); }
const P1 = arr(), G1 = arr(), A1 = arr(), B1 = arr(), C1 = arr();
const P2 = arr(), G2 = arr(), A2 = arr(), B2 = arr(), C2 = arr();
const NZ = arr(), REF = arr();

let seed: u32 = 777;
function fill(p: usize, n: i32, lo: f32, hi: f32): void {
  for (let i = 0; i < n; i++) {
    seed = seed * 1664525 + 1013904223;
    store<f32>(p + (<usize>i << 2), lo + (hi - lo) * (<f32>(seed >> 8) * <f32>5.9604644775390625e-8));
  }
}
function mismatches(a: usize, b: usize, n: i32): i32 {
  let bad = 0;
  for (let i = 0; i < n; i++) if (load<u32>(a + (<usize>i << 2)) != load<u32>(b + (<usize>i << 2))) bad++;
  return bad;
}
function setHyper(flags: u32): void {
  store<f32>(H, <f32>1 / 3, U_GSCALE);
  store<f32>(H, 0.7, U_CLIP_VALUE);
  store<f32>(H, 0.37, U_CLIP_SCALE);
  store<f32>(H, 0.1, U_SIGMA);
  store<f32>(H, 0.05, U_LR);
  store<f32>(H, 0.01, U_WD);
  store<f32>(H, 0.9, U_A);
  store<f32>(H, 0.1, U_B);
  store<f32>(H, 0.999, U_C);
  store<f32>(H, 0.001, U_D);
  store<f32>(H, 1e-3, U_EPS);
  store<f32>(H, 0.3, U_E);
  store<f32>(H, 0.04, U_F);
  store<f32>(H, 0.9995, U_G);
  store<u32>(H, flags, U_FLAGS);
  store<u32>(H, STEP, U_STEP);
  store<u32>(H, SEED_LO, U_SEED_LO);
  store<u32>(H, SEED_HI, U_SEED_HI);
}
function prepare(n: i32): void {
  fill(P1, n, -1, 1);
  fill(G1, n, -3, 3);
  fill(A1, n, 0.5, 1);
  fill(B1, n, 0.01, 0.2);
  fill(C1, n, -0.1, 0.1);
  memory.copy(P2, P1, <usize>(n * 4));
  memory.copy(G2, G1, <usize>(n * 4));
  memory.copy(A2, A1, <usize>(n * 4));
  memory.copy(B2, B1, <usize>(n * 4));
  memory.copy(C2, C1, <usize>(n * 4));
}
function differ(n: i32): i32 {
  const m = n + 1;
  return mismatches(P1, P2, m) + mismatches(G1, G2, m) + mismatches(A1, A2, m) + mismatches(B1, B2, m) + mismatches(C1, C2, m);
}

const KINDS: u32[] = [OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_ADAGRAD, OPT_RMSPROP];
const FLAG_BITS: u32[] = [
  U_F_CLIP_VALUE, U_F_CLIP_NORM, U_F_NOISE, U_F_PRESCALED, U_F_MOMENTUM, U_F_NESTEROV, U_F_FIRST,
  U_F_CENTERED, U_F_WD,
];
function flagSet(bits: i32): u32 {
  let f: u32 = 0;
  for (let b = 0; b < FLAG_BITS.length; b++) if ((bits >> b) & 1) f |= FLAG_BITS[b];
  return f;
}

describe("noise_fill_f32", () => {
  it("writes fr(0 + fr(sigma * z)) of the tensor's stream at any start and size, and nothing past it", () => {
    setHyper(OPT_SGD);
    const starts: i32[] = [0, 1, 7, 4096, 16383];
    const sizes: i32[] = [0, 1, 3, 17, 50, 1000, 3000];
    for (let a = 0; a < starts.length; a++) {
      for (let b = 0; b < sizes.length; b++) {
        const start = starts[a], n = sizes[b];
        store<u32>(NZ + (<usize>n << 2), 0x7fa5a5a5);
        noise_fill_f32(H, NZ, n, TENSOR, start);
        gaussian_fill_f32(REF, (<u64>TENSOR << 34) + <u64>start, n, 0, 0.1, SEED_LO, SEED_HI, STEP, RNG_DOMAIN_NOISE);
        expect<i32>(mismatches(NZ, REF, n)).toBe(0, "start " + start.toString() + ", n " + n.toString());
        expect<u32>(load<u32>(NZ + (<usize>n << 2))).toBe(0x7fa5a5a5);
      }
    }
  });
});

describe("fused_update_ahead_f32", () => {
  it("gives the bits of fused_update_f32 for any ready prefix, every kind and flag subset", () => {
    const sizes: i32[] = [1, 43, 1030, 3000];
    const starts: i32[] = [0, 2 * STEP_CHUNK];
    let bad = 0;
    for (let k = 0; k < KINDS.length; k++) {
      for (let bits = 0; bits < 512; bits += 7) { // a spread of the 512 subsets (all of them is step.spec's job)
        const flags = KINDS[k] | flagSet(bits);
        for (let a = 0; a < sizes.length; a++) {
          for (let b = 0; b < starts.length; b++) {
            const n = sizes[a], start = starts[b];
            setHyper(flags);
            noise_fill_f32(H, NZ, n, TENSOR, start);
            const readies: i32[] = [0, STEP_CHUNK, 2 * STEP_CHUNK, n];
            for (let r = 0; r < readies.length; r++) {
              prepare(n + 1);
              fused_update_f32(H, P1, G1, A1, B1, C1, n, TENSOR, start, TMP);
              fused_update_ahead_f32(H, P2, G2, A2, B2, C2, n, TENSOR, start, TMP, NZ, min<i32>(readies[r], n));
              bad += differ(n);
            }
          }
        }
      }
    }
    expect<i32>(bad).toBe(0);
  });

  it("reads the noise it is given (a wrong prefix shows), and only inside the ready prefix", () => {
    const n = 3000;
    setHyper(OPT_SGD | U_F_NOISE);
    noise_fill_f32(H, NZ, n, TENSOR, 0);
    for (let i = 0; i < n; i++) store<f32>(NZ + (<usize>i << 2), load<f32>(NZ + (<usize>i << 2)) + 1);
    prepare(n + 1);
    fused_update_f32(H, P1, G1, A1, B1, C1, n, TENSOR, 0, TMP);
    fused_update_ahead_f32(H, P2, G2, A2, B2, C2, n, TENSOR, 0, TMP, NZ, STEP_CHUNK);
    expect<i32>(mismatches(P1, P2, STEP_CHUNK)).toBe(STEP_CHUNK);
    expect<i32>(mismatches(P1 + (<usize>STEP_CHUNK << 2), P2 + (<usize>STEP_CHUNK << 2), n - STEP_CHUNK)).toBe(0);
  });
});

describe("1024-element chunks", () => {
  it("ranges that start inside a chunk and cross several equal the scalar twin (every kind, noise, clip)", () => {
    const starts: i32[] = [1, 1000, 1023, 3071];
    let bad = 0;
    for (let k = 0; k < KINDS.length; k++) {
      for (let v = 0; v < 4; v++) {
        const flags = KINDS[k] | U_F_NOISE | (v & 1 ? U_F_CLIP_NORM : 0) | (v & 2 ? U_F_CLIP_VALUE | U_F_WD : 0);
        for (let s = 0; s < starts.length; s++) {
          setHyper(flags);
          prepare(3000 + 1);
          fused_update_f32(H, P1, G1, A1, B1, C1, 3000, TENSOR, starts[s], TMP);
          fused_update_f32_ref(H, P2, G2, A2, B2, C2, 3000, TENSOR, starts[s], 0);
          bad += differ(3000);
        }
      }
    }
    expect<i32>(bad).toBe(0);
  });
});
