// test/assembly/dropout.spec.ts
// assembly/kernels/dropout.ts against its scalar twins (assembly/ref/dropout.ts) bit for bit at the tail
// sizes, in place and out of place, at every start % 4, with a guard zone after every output; then the
// properties of the mask: it is a pure function of (seed, step, layer, element) (split runs equal one
// run; the stream is the library's uniform stream), rate 0 is the identity, the keep fraction is
// 1 - rate within 5 binomial standard deviations, kept values are exactly x * scale, backward reuses the
// forward's mask, and a central-difference gradient check of the backward.

import { dropout_backward_f32, dropout_forward_f32 } from "../../assembly/kernels/dropout";
import { dropout_backward_f32_ref, dropout_forward_f32_ref } from "../../assembly/ref/dropout";
import { uniform_at_f32 } from "../../assembly/rng";
import { RNG_DOMAIN_DROPOUT } from "../../assembly/shared/abi";
import {
  GUARD, SENTINEL, alloc, at, copy, expectSameBits, fill, mismatches, nextU32, reseed, uniform,
} from "./helpers";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43, 50, 1000]; // 50 = 32 body + 16 body + tail
const STARTS: i32[] = [0, 1, 2, 3, 4, 37, 1000003];
const RATES: f32[] = [0.5, 0.1, 0.9, 0.25];
const K0: u32 = 0x9e3779b9;
const K1: u32 = 0x01234567;
const STEP: u32 = 7;
const LAYER: u32 = 2;

// nextValue's mix here: large values in [-LARGE, LARGE), tiny ones in [-TINY, TINY), and infinities.
const LARGE: f32 = 1000;
const TINY: f32 = 1e-30;
reseed(12345);

// Nonzero, finite, in [-4, -0.25] u [0.25, 4].
function nextNonzero(): f32 {
  const v = uniform() * <f32>3.75 + <f32>0.25;
  return (nextU32() & 1) ? -v : v;
}
function fillMixed(p: usize, n: i32): void {
  fill(p, n, LARGE, TINY, true);
}
function fillNonzero(p: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(p, i), nextNonzero());
}
/** Same bits over [0, n) (b may be an input, not a _ref output) and a's guard zone untouched. */
function expectSame(a: usize, b: usize, n: i32, label: string): void {
  expectSameBits(a, b, n, label, false);
}
function scaleOf(rate: f32): f32 { return <f32>1 / (<f32>1 - rate); }
/** Elements where the two buffers differ in being zero or not (the masks of nonzero inputs). */
function maskDiff(a: usize, b: usize, n: i32): i32 {
  let d = 0;
  for (let i = 0; i < n; i++) if ((load<f32>(at(a, i)) != 0) != (load<f32>(at(b, i)) != 0)) d++;
  return d;
}

function fwd(y: usize, x: usize, n: i32, rate: f32, start: i32): void {
  dropout_forward_f32(y, x, n, rate, K0, K1, STEP, LAYER, start);
}

describe("dropout kernels = _ref twins, bit for bit", () => {
  it("every size, start % 4, rate; in place and out of place; backward", () => {
    for (let r = 0; r < RATES.length; r++) {
      const rate = RATES[r];
      for (let s = 0; s < SIZES.length; s++) {
        for (let t = 0; t < STARTS.length; t++) {
          const n = SIZES[s], start = STARTS[t];
          const label = "n=" + n.toString() + " start=" + start.toString() + " rate=" + rate.toString();
          const x = alloc(n), y = alloc(n), yRef = alloc(n), yIn = alloc(n);
          const dy = alloc(n), dx = alloc(n), dxRef = alloc(n), dIn = alloc(n);
          fillMixed(x, n);
          fillMixed(dy, n);
          dropout_forward_f32(y, x, n, rate, K0, K1, STEP, LAYER, start);
          dropout_forward_f32_ref(yRef, x, n, rate, K0, K1, STEP, LAYER, start);
          expectSame(y, yRef, n, label + " forward");
          copy(yIn, x, n);
          dropout_forward_f32(yIn, yIn, n, rate, K0, K1, STEP, LAYER, start);
          expectSame(yIn, yRef, n, label + " forward in place");
          dropout_backward_f32(dx, dy, n, rate, K0, K1, STEP, LAYER, start);
          dropout_backward_f32_ref(dxRef, dy, n, rate, K0, K1, STEP, LAYER, start);
          expectSame(dx, dxRef, n, label + " backward");
          copy(dIn, dy, n);
          dropout_backward_f32(dIn, dIn, n, rate, K0, K1, STEP, LAYER, start);
          expectSame(dIn, dxRef, n, label + " backward in place");
          heap.free(x); heap.free(y); heap.free(yRef); heap.free(yIn);
          heap.free(dy); heap.free(dx); heap.free(dxRef); heap.free(dIn);
        }
      }
    }
  });
  it("unaligned buffers (x and y at 4-byte offsets)", () => {
    const n = 101;
    const xb = alloc(n + 1), yb = alloc(n + 3), rb = alloc(n + 3);
    const x = xb + 4, y = yb + 12, yRef = rb + 12;
    fillMixed(x, n);
    for (let i = 0; i < n + GUARD; i++) { store<u32>(at(y, i), SENTINEL); store<u32>(at(yRef, i), SENTINEL); }
    dropout_forward_f32(y, x, n, 0.3, K0, K1, STEP, LAYER, 5);
    dropout_forward_f32_ref(yRef, x, n, 0.3, K0, K1, STEP, LAYER, 5);
    expectSame(y, yRef, n, "unaligned");
    heap.free(xb); heap.free(yb); heap.free(rb);
  });
  it("the uniforms are the library's stream: layer 0 keeps e iff uniform_at_f32(e, seed, step, DROPOUT) >= rate", () => {
    const n = 1000, start = 13;
    const rate: f32 = 0.4;
    const x = alloc(n), y = alloc(n);
    for (let i = 0; i < n; i++) store<f32>(at(x, i), 1);
    dropout_forward_f32(y, x, n, rate, K0, K1, STEP, 0, start);
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const u = uniform_at_f32(<u64>(start + i), K0, K1, STEP, <u32>RNG_DOMAIN_DROPOUT);
      const want: f32 = u >= rate ? scaleOf(rate) : 0;
      if (load<f32>(at(y, i)) != want) bad++;
    }
    expect(bad).toBe(0);
    heap.free(x); heap.free(y);
  });
});

describe("dropout mask is a pure function of (seed, step, layer, element)", () => {
  it("a run split anywhere equals one run, and a run from START equals the tail of a run from 0", () => {
    const n = 203;
    const rate: f32 = 0.3;
    const splits: i32[] = [0, 1, 2, 3, 5, 16, 31, 32, 33, 100, 202, 203];
    for (let t = 0; t < STARTS.length; t++) {
      const start = STARTS[t];
      const x = alloc(n), whole = alloc(n), parts = alloc(n);
      fillMixed(x, n);
      fwd(whole, x, n, rate, start);
      for (let k = 0; k < splits.length; k++) {
        const m = splits[k];
        fwd(parts, x, m, rate, start);
        fwd(at(parts, m), at(x, m), n - m, rate, start + m);
        expect(mismatches(whole, parts, n)).toBe(0, "split at " + m.toString() + " start " + start.toString());
      }
      heap.free(x); heap.free(whole); heap.free(parts);
    }
    // from 0 over 37 + n elements, the last n equal a run from 37
    const pre = 37, m = pre + n;
    const x = alloc(m), y0 = alloc(m), y1 = alloc(n);
    fillMixed(x, m);
    fwd(y0, x, m, rate, 0);
    fwd(y1, at(x, pre), n, rate, pre);
    expect(mismatches(at(y0, pre), y1, n)).toBe(0);
    heap.free(x); heap.free(y0); heap.free(y1);
  });
  it("another step, layer or seed gives another mask (and the same arguments the same one)", () => {
    const n = 1000;
    const rate: f32 = 0.5;
    const x = alloc(n), a = alloc(n), b = alloc(n);
    fillNonzero(x, n);
    dropout_forward_f32(a, x, n, rate, K0, K1, STEP, LAYER, 0);
    dropout_forward_f32(b, x, n, rate, K0, K1, STEP, LAYER, 0);
    expect(mismatches(a, b, n)).toBe(0, "deterministic");
    // independent masks at rate 1/2 differ in n/2 +- sqrt(n)/2 places; ask for more than n/2 - 5 sigma
    const lo = 500 - 5 * 16;
    dropout_forward_f32(b, x, n, rate, K0, K1, STEP + 1, LAYER, 0);
    expect(maskDiff(a, b, n)).toBeGreaterThan(lo, "step");
    dropout_forward_f32(b, x, n, rate, K0, K1, STEP, LAYER + 1, 0);
    expect(maskDiff(a, b, n)).toBeGreaterThan(lo, "layer");
    dropout_forward_f32(b, x, n, rate, K0 ^ 1, K1, STEP, LAYER, 0);
    expect(maskDiff(a, b, n)).toBeGreaterThan(lo, "seed low half");
    dropout_forward_f32(b, x, n, rate, K0, K1 ^ 0x80000000, STEP, LAYER, 0);
    expect(maskDiff(a, b, n)).toBeGreaterThan(lo, "seed high half");
    dropout_forward_f32(b, x, n, rate, K0, K1, STEP, LAYER, 4); // shifted by one block
    expect(maskDiff(a, b, n)).toBeGreaterThan(lo, "start");
    heap.free(x); heap.free(a); heap.free(b);
  });
});

describe("dropout values", () => {
  it("rate 0 is the identity bit for bit (-0, Inf, NaN payloads), in place and out of place", () => {
    const n = 43;
    const x = alloc(n), y = alloc(n), d = alloc(n);
    fillMixed(x, n);
    store<u32>(x, 0x80000000); store<u32>(x, 0x7fc00001, 4); store<u32>(x, 0xffa00002, 8);
    dropout_forward_f32(y, x, n, 0, K0, K1, STEP, LAYER, 3);
    expectSame(y, x, n, "forward rate 0");
    dropout_backward_f32(d, x, n, 0, K0, K1, STEP, LAYER, 3);
    expectSame(d, x, n, "backward rate 0");
    copy(y, x, n);
    dropout_forward_f32(y, y, n, 0, K0, K1, STEP, LAYER, 3);
    expectSame(y, x, n, "forward rate 0 in place");
    dropout_forward_f32_ref(d, x, n, 0, K0, K1, STEP, LAYER, 3);
    expectSame(d, x, n, "ref rate 0");
    heap.free(x); heap.free(y); heap.free(d);
  });
  it("kept values are exactly x * f32(1 / (1 - rate)); dropped ones are +0 (also for Inf)", () => {
    const n = 1000;
    for (let r = 0; r < RATES.length; r++) {
      const rate = RATES[r], scale = scaleOf(rate);
      const x = alloc(n), y = alloc(n), ones = alloc(n), mask = alloc(n);
      fillMixed(x, n);
      for (let i = 0; i < n; i++) store<f32>(at(ones, i), 1);
      fwd(y, x, n, rate, 11);
      fwd(mask, ones, n, rate, 11); // scale where kept, +0 where dropped
      let bad = 0, kept = 0;
      for (let i = 0; i < n; i++) {
        const m = load<f32>(at(mask, i));
        const got = load<u32>(at(y, i));
        if (m == scale) {
          kept++;
          if (got != reinterpret<u32>(load<f32>(at(x, i)) * scale)) bad++;
        } else {
          if (load<u32>(at(mask, i)) != 0) bad++;
          if (got != 0) bad++;
        }
      }
      expect(bad).toBe(0, "rate " + rate.toString());
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(n);
      heap.free(x); heap.free(y); heap.free(ones); heap.free(mask);
    }
    // 1 / (1 - rate) in f32 for a few rates
    expect(scaleOf(0.5)).toBe(2);
    expect(scaleOf(0.75)).toBe(4);
    expect(scaleOf(0.1)).toBe(<f32>1.1111112);
  });
  it("keep fraction over 10^5 elements is 1 - rate within 5 binomial standard deviations", () => {
    const n = 100000;
    const rates: f32[] = [0.1, 0.5, 0.9, 0.01, 0.999];
    const x = alloc(n), y = alloc(n), yRef = alloc(n);
    for (let i = 0; i < n; i++) store<f32>(at(x, i), 1);
    for (let r = 0; r < rates.length; r++) {
      const rate = rates[r];
      fwd(y, x, n, rate, 0);
      let kept = 0;
      for (let i = 0; i < n; i++) if (load<f32>(at(y, i)) != 0) kept++;
      const p = 1 - <f64>rate;
      const sd = Math.sqrt(<f64>n * p * (1 - p)); // binomial(n, p) standard deviation
      expect(Math.abs(<f64>kept - <f64>n * p)).toBeLessThan(5 * sd, "rate " + rate.toString());
      dropout_forward_f32_ref(yRef, x, n, rate, K0, K1, STEP, LAYER, 0);
      expect(mismatches(y, yRef, n)).toBe(0, "10^5 elements = _ref");
    }
    heap.free(x); heap.free(y); heap.free(yRef);
  });
  it("backward uses the forward's mask: dx != 0 exactly where y != 0 (nonzero inputs)", () => {
    const n = 1003;
    for (let r = 0; r < RATES.length; r++) {
      const rate = RATES[r];
      for (let t = 0; t < 4; t++) {
        const x = alloc(n), y = alloc(n), dy = alloc(n), dx = alloc(n);
        fillNonzero(x, n);
        fillNonzero(dy, n);
        fwd(y, x, n, rate, STARTS[t]);
        dropout_backward_f32(dx, dy, n, rate, K0, K1, STEP, LAYER, STARTS[t]);
        expect(maskDiff(y, dx, n)).toBe(0);
        let bad = 0;
        const scale = scaleOf(rate);
        for (let i = 0; i < n; i++) {
          const g = load<f32>(at(dx, i));
          if (g != 0 && g != load<f32>(at(dy, i)) * scale) bad++;
        }
        expect(bad).toBe(0, "dx = dy * scale where kept");
        heap.free(x); heap.free(y); heap.free(dy); heap.free(dx);
      }
    }
  });
});

describe("dropout backward = central difference of the forward", () => {
  it("L = sum w_i y_i, dL/dx_i against (L(x + h e_i) - L(x - h e_i)) / 2h", () => {
    // For a fixed (seed, step, layer) the layer is linear, y = D x with D = diag(mask * scale), so the
    // difference quotient is exact up to the f32 rounding of y: |error| <~ 2^-24 |x| scale |w| / h.
    const n = 43, start = 6;
    const rate: f32 = 0.3;
    const h: f32 = 1.0 / 64;
    const x = alloc(n), w = alloc(n), dx = alloc(n), p = alloc(n), q = alloc(n);
    fillNonzero(x, n);
    fillNonzero(w, n);
    dropout_backward_f32(dx, w, n, rate, K0, K1, STEP, LAYER, start);
    let worst = 0.0;
    for (let i = 0; i < n; i++) {
      copy(p, x, n);
      copy(q, x, n);
      store<f32>(at(p, i), load<f32>(at(x, i)) + h);
      store<f32>(at(q, i), load<f32>(at(x, i)) - h);
      fwd(p, p, n, rate, start);
      fwd(q, q, n, rate, start);
      let lp = 0.0, lq = 0.0;
      for (let j = 0; j < n; j++) {
        lp += <f64>load<f32>(at(w, j)) * <f64>load<f32>(at(p, j));
        lq += <f64>load<f32>(at(w, j)) * <f64>load<f32>(at(q, j));
      }
      const fd = (lp - lq) / (2 * <f64>h);
      const err = Math.abs(<f64>load<f32>(at(dx, i)) - fd);
      if (err > worst) worst = err;
    }
    expect(worst).toBeLessThanOrEqual(1e-4, "backward vs central difference");
    heap.free(x); heap.free(w); heap.free(dx); heap.free(p); heap.free(q);
  });
});
