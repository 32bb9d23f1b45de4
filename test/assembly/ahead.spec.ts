// Noise computed ahead (optim/step.ts: noise_fill_f32, fused_update_ahead_f32): the filled values are the
// library's Gaussian stream scaled by sigma, exactly what pass 2 adds; pass 2 reading any prefix of them
// gives the bits of pass 2 drawing its own, for every kind and flag subset; and, with the 1024-element
// chunks, ranges that start inside a chunk and cross several still equal the scalar twin.
import { fused_update_f32, fused_update_ahead_f32, noise_fill_f32, STEP_CHUNK, STEP_SCRATCH_BYTES } from "../../assembly/optim/step";
import { fused_update_f32_ref } from "../../assembly/ref/step";
import { gaussian_fill_f32 } from "../../assembly/rng";
import {
  U_BYTES, OPT_SGD, U_F_CLIP_VALUE, U_F_CLIP_NORM, U_F_NOISE, U_F_WD, RNG_DOMAIN_NOISE,
} from "../../assembly/shared/abi";
import { mismatches, reseed } from "./helpers";
import { Copies, flagSet, KINDS, writeHyper } from "./update";

const TENSOR = 5;
const SEED_LO: u32 = 0xdeadbeef;
const SEED_HI: u32 = 0x01234567;
const STEP: u32 = 11;
const MAXN = 3200;

const H = heap.alloc(<usize>U_BYTES + 16);
const TMP = heap.alloc(<usize>STEP_SCRATCH_BYTES + 16);
const COPIES = new Copies(MAXN);
const P1 = COPIES.p1, G1 = COPIES.g1, A1 = COPIES.a1, B1 = COPIES.b1, C1 = COPIES.c1;
const P2 = COPIES.p2, G2 = COPIES.g2, A2 = COPIES.a2, B2 = COPIES.b2, C2 = COPIES.c2;
const NZ = heap.alloc(<usize>(MAXN * 4 + 32)), REF = heap.alloc(<usize>(MAXN * 4 + 32));
reseed(777);

function setHyper(flags: u32): void { writeHyper(H, flags, STEP, SEED_LO, SEED_HI); }
function prepare(n: i32): void { COPIES.prepare(n); }
function differ(n: i32): i32 { return COPIES.differ(n + 1); }

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
