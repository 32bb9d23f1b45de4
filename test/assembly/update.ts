// test/assembly/update.ts
// The fixture shared by the two update suites (step: the fused update against its scalar twin; ahead: the
// noise computed ahead): the hyper struct with fixed, unremarkable values, the optimizer kinds and every
// subset of the flag bits, and two copies (kernel, twin) of p, g and the three state buffers, filled with
// values that every optimizer accepts. Not a spec file: the suites import it.
import {
  U_GSCALE, U_CLIP_VALUE, U_CLIP_SCALE, U_SIGMA, U_LR, U_WD, U_A, U_B, U_C, U_D, U_EPS, U_E, U_F, U_FLAGS,
  U_STEP, U_SEED_LO, U_SEED_HI, U_G, OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_ADAGRAD, OPT_RMSPROP,
  U_F_CLIP_VALUE, U_F_CLIP_NORM, U_F_NOISE, U_F_PRESCALED, U_F_MOMENTUM, U_F_NESTEROV, U_F_FIRST,
  U_F_CENTERED, U_F_WD,
} from "../../assembly/shared/abi";
import { copy, mismatches, uniform } from "./helpers";

export const KINDS: u32[] = [OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_ADAGRAD, OPT_RMSPROP];
// every flag bit above the kind: 9 bits, 512 subsets (bits a kind does not use must be ignored)
export const FLAG_BITS: u32[] = [
  U_F_CLIP_VALUE, U_F_CLIP_NORM, U_F_NOISE, U_F_PRESCALED, U_F_MOMENTUM, U_F_NESTEROV, U_F_FIRST,
  U_F_CENTERED, U_F_WD,
];
/** The flags whose FLAG_BITS positions are set in bits. */
export function flagSet(bits: i32): u32 {
  let f: u32 = 0;
  for (let b = 0; b < FLAG_BITS.length; b++) if ((bits >> b) & 1) f |= FLAG_BITS[b];
  return f;
}

/** The hyper struct at h: fixed values (each field is used by some kind), the flags, step and seed. */
export function writeHyper(h: usize, flags: u32, step: u32, seedLo: u32, seedHi: u32): void {
  store<f32>(h, <f32>1 / 3, U_GSCALE);
  store<f32>(h, 0.7, U_CLIP_VALUE);
  store<f32>(h, 0.37, U_CLIP_SCALE);
  store<f32>(h, 0.1, U_SIGMA);
  store<f32>(h, 0.05, U_LR);
  store<f32>(h, 0.01, U_WD);
  store<f32>(h, 0.9, U_A);
  store<f32>(h, 0.1, U_B);
  store<f32>(h, 0.999, U_C);
  store<f32>(h, 0.001, U_D);
  store<f32>(h, 1e-3, U_EPS);
  store<f32>(h, 0.3, U_E);
  store<f32>(h, 0.04, U_F);
  store<f32>(h, 0.9995, U_G);
  store<u32>(h, flags, U_FLAGS);
  store<u32>(h, step, U_STEP);
  store<u32>(h, seedLo, U_SEED_LO);
  store<u32>(h, seedHi, U_SEED_HI);
}

/** n values uniform in [lo, hi) from the helpers' LCG. */
export function fillRange(p: usize, n: i32, lo: f32, hi: f32): void {
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), lo + (hi - lo) * uniform());
}

/** Two copies (1: the kernel's, 2: the twin's) of p, g, s0, s1, s2, each of maxn f32 plus slack. */
export class Copies {
  p1: usize; g1: usize; a1: usize; b1: usize; c1: usize;
  p2: usize; g2: usize; a2: usize; b2: usize; c2: usize;
  constructor(maxn: i32) {
    const bytes = <usize>(maxn * 4 + 32);
    this.p1 = heap.alloc(bytes); this.g1 = heap.alloc(bytes); this.a1 = heap.alloc(bytes);
    this.b1 = heap.alloc(bytes); this.c1 = heap.alloc(bytes);
    this.p2 = heap.alloc(bytes); this.g2 = heap.alloc(bytes); this.a2 = heap.alloc(bytes);
    this.b2 = heap.alloc(bytes); this.c2 = heap.alloc(bytes);
  }
  /** Fresh inputs in copy 1, duplicated into copy 2; states in ranges every optimizer accepts. */
  prepare(n: i32): void {
    fillRange(this.p1, n, -1, 1);
    fillRange(this.g1, n, -3, 3);
    fillRange(this.a1, n, 0.5, 1); //    sgd/rmsprop momentum, adam m: any sign is fine, but rmsprop/adagrad need > 0
    fillRange(this.b1, n, 0.01, 0.2); // adam v, rmsprop momentum buffer
    fillRange(this.c1, n, -0.1, 0.1); // rmsprop centered mean: s0 - s2^2 stays positive
    copy(this.p2, this.p1, n); copy(this.g2, this.g1, n); copy(this.a2, this.a1, n);
    copy(this.b2, this.b1, n); copy(this.c2, this.c1, n);
  }
  /** Words that differ between the copies over [0, n), all five buffers together. */
  differ(n: i32): i32 {
    return mismatches(this.p1, this.p2, n) + mismatches(this.g1, this.g2, n) + mismatches(this.a1, this.a2, n)
      + mismatches(this.b1, this.b2, n) + mismatches(this.c1, this.c2, n);
  }
}
