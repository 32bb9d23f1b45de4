// test/assembly/softmax.spec.ts
// assembly/kernels/softmax.ts against its scalar twins (assembly/ref/softmax.ts) bit for bit: the forward
// over E x P rows of every tail length n, without a mask and with keep-masks of Q rows per example (zeros
// of both signs, NaN kept, whole rows masked), out of place and y = x; the backward writing and
// accumulating, and dx = dy; guard zones after every output. Then known answers (an f64 softmax, masked
// positions, the mask row p % Q, fully masked rows) and a central-difference check of the backward.

import { softmax_backward_f32, softmax_forward_f32 } from "../../assembly/kernels/softmax";
import { softmax_backward_f32_ref, softmax_forward_f32_ref } from "../../assembly/ref/softmax";
import { alloc, at, copy, expectSameBits, fill, nextU32, reseed, uniform } from "./helpers";

const NS: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
// (E, P, Q) with P % Q == 0
const EPQ: i32[] = [0, 1, 1, 1, 1, 1, 1, 3, 1, 1, 3, 3, 2, 4, 2, 3, 6, 3, 2, 5, 5];
const LARGE: f32 = 100;
reseed(16016);

// A keep-mask: about a third masked (as +0 or -0), some NaN (kept), and every fifth row all masked.
function fillMask(m: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      const k = nextU32() % 9;
      const v: f32 = r % 5 == 4 ? 0 : k < 2 ? <f32>0 : k == 2 ? <f32>-0.0 : k == 3 ? <f32>NaN : <f32>1;
      store<f32>(at(m, r * n + j), v);
    }
  }
}

function checkForward(E: i32, P: i32, Q: i32, n: i32): void {
  const label = "softmax " + E.toString() + "x" + P.toString() + " Q=" + Q.toString() + " n=" + n.toString();
  const rows = E * P, len = rows * n;
  const x = alloc(len), y = alloc(len), yRef = alloc(len), yIn = alloc(len), mask = alloc(E * Q * n);
  fill(x, len, LARGE);
  fillMask(mask, E * Q, n);
  for (let withMask = 0; withMask < 2; withMask++) {
    const m = withMask ? mask : 0;
    const l = label + (withMask ? " masked" : "");
    fill(y, len, LARGE); // stale: written over
    softmax_forward_f32(y, x, m, E, P, Q, n);
    softmax_forward_f32_ref(yRef, x, m, E, P, Q, n);
    expectSameBits(y, yRef, len, l);
    copy(yIn, x, len);
    softmax_forward_f32(yIn, yIn, m, E, P, Q, n);
    expectSameBits(yIn, yRef, len, l + " y = x");
  }
  heap.free(x); heap.free(y); heap.free(yRef); heap.free(yIn); heap.free(mask);
}

function checkBackward(rows: i32, n: i32): void {
  const label = "softmax_backward " + rows.toString() + "x" + n.toString();
  const len = rows * n;
  const x = alloc(len), y = alloc(len), dy = alloc(len), dx = alloc(len), dxRef = alloc(len);
  fill(x, len, 10);
  softmax_forward_f32_ref(y, x, 0, 1, rows, 1, n);
  fill(dy, len, LARGE);
  for (let acc = 0; acc < 2; acc++) {
    fill(dx, len, LARGE);
    copy(dxRef, dx, len);
    softmax_backward_f32(dx, y, dy, rows, n, acc);
    softmax_backward_f32_ref(dxRef, y, dy, rows, n, acc);
    expectSameBits(dx, dxRef, len, label + " acc=" + acc.toString());
  }
  copy(dx, dy, len);
  softmax_backward_f32(dx, y, dx, rows, n, 0);
  softmax_backward_f32_ref(dxRef, y, dy, rows, n, 0);
  expectSameBits(dx, dxRef, len, label + " dx = dy");
  heap.free(x); heap.free(y); heap.free(dy); heap.free(dx); heap.free(dxRef);
}

describe("softmax kernels = _ref twins, bit for bit", () => {
  it("forward over E x P rows and every tail length, unmasked and masked, y = x too", () => {
    for (let k = 0; k < EPQ.length; k += 3) {
      for (let i = 0; i < NS.length; i++) checkForward(EPQ[k], EPQ[k + 1], EPQ[k + 2], NS[i]);
    }
    checkForward(2, 50, 1, 50);
    checkForward(3, 6, 2, 1000);
  });
  it("backward writing and accumulating, dx = dy too", () => {
    const ROWS: i32[] = [0, 1, 3, 7];
    for (let r = 0; r < ROWS.length; r++) for (let i = 0; i < NS.length; i++) checkBackward(ROWS[r], NS[i]);
    checkBackward(5, 1000);
  });
});

// exp(x - m) inherits the rounding of x - m (half an ulp of |x - m|, relative error ~ |x - m| 2^-24), then
// exp, the sum and the division add a few ulps: 1e-6 (1 + |x - m|) relative.
function tol(x: usize, j: i32, m: f64, want: f64): f64 {
  return 1e-6 * (1 + Math.abs(<f64>load<f32>(at(x, j)) - m)) * want + 1e-38;
}

describe("softmax values", () => {
  it("matches an f64 softmax; masked entries are +0 and the rest renormalised", () => {
    const n = 19, x = alloc(n), y = alloc(n), mask = alloc(n);
    for (let j = 0; j < n; j++) store<f32>(at(x, j), uniform() * 20 - 10);
    store<f32>(at(x, 3), 60);
    softmax_forward_f32(y, x, 0, 1, 1, 1, n);
    let m: f64 = -Infinity, s: f64 = 0;
    for (let j = 0; j < n; j++) m = Math.max(m, <f64>load<f32>(at(x, j)));
    for (let j = 0; j < n; j++) s += Math.exp(<f64>load<f32>(at(x, j)) - m);
    for (let j = 0; j < n; j++) {
      const want = Math.exp(<f64>load<f32>(at(x, j)) - m) / s;
      expect(Math.abs(<f64>load<f32>(at(y, j)) - want)).toBeLessThanOrEqual(tol(x, j, m, want), "f64 softmax");
    }
    // mask the maximum and every even position: the odd ones share the mass
    for (let j = 0; j < n; j++) store<f32>(at(mask, j), j % 2 == 0 || j == 3 ? <f32>0 : <f32>1);
    softmax_forward_f32(y, x, mask, 1, 1, 1, n);
    m = -Infinity; s = 0;
    for (let j = 1; j < n; j += 2) if (j != 3) m = Math.max(m, <f64>load<f32>(at(x, j)));
    for (let j = 1; j < n; j += 2) if (j != 3) s += Math.exp(<f64>load<f32>(at(x, j)) - m);
    for (let j = 0; j < n; j++) {
      if (j % 2 == 0 || j == 3) {
        expect(load<u32>(at(y, j))).toBe(0, "masked -> +0");
      } else {
        const want = Math.exp(<f64>load<f32>(at(x, j)) - m) / s;
        expect(Math.abs(<f64>load<f32>(at(y, j)) - want)).toBeLessThanOrEqual(tol(x, j, m, want), "masked f64");
      }
    }
    heap.free(x); heap.free(y); heap.free(mask);
  });
  it("row p of example e uses mask row p % Q of e; a fully masked row is all +0", () => {
    // E = 2, P = 4, Q = 2, n = 3; x = 0 everywhere so kept entries share 1 equally
    const x = alloc(24), y = alloc(24), mask = alloc(12);
    for (let i = 0; i < 24; i++) store<f32>(at(x, i), 0);
    const mv: f32[] = [1, 1, 0,   0, 1, 0,    1, 1, 1,   0, 0, -0.0];
    for (let i = 0; i < 12; i++) store<f32>(at(mask, i), mv[i]);
    softmax_forward_f32(y, x, mask, 2, 4, 2, 3);
    const h: f32 = 0.5, t: f32 = <f32>1 / <f32>3;
    const want: f32[] = [h, h, 0, 0, 1, 0, h, h, 0, 0, 1, 0,   t, t, t, 0, 0, 0, t, t, t, 0, 0, 0];
    for (let i = 0; i < 24; i++) expect(load<f32>(at(y, i))).toBe(want[i], "element " + i.toString());
    for (let i = 15; i < 18; i++) expect(load<u32>(at(y, i))).toBe(0, "fully masked row is +0");
    // a row of -Infinity logits counts as fully masked
    for (let i = 0; i < 3; i++) store<f32>(at(x, i), -Infinity);
    softmax_forward_f32(y, x, 0, 1, 1, 1, 3);
    for (let i = 0; i < 3; i++) expect(load<u32>(at(y, i))).toBe(0, "-Inf row is +0");
    heap.free(x); heap.free(y); heap.free(mask);
  });
});

// L = sum w * softmax(x) in f64 over the scalar forward; dL/dx = softmax_backward(y, w).
describe("softmax backward = central difference of the forward", () => {
  it("3 rows of 7 and 2 rows of 12, one masked", () => {
    gradCheck(3, 7, false);
    gradCheck(2, 12, true);
  });
});

function gradCheck(rows: i32, n: i32, masked: bool): void {
  const len = rows * n;
  const x = alloc(len), y = alloc(len), w = alloc(len), dx = alloc(len), mask = alloc(len);
  for (let i = 0; i < len; i++) {
    store<f32>(at(x, i), uniform() * 4 - 2);
    store<f32>(at(w, i), uniform() * 2 - 1);
    store<f32>(at(mask, i), i % 5 == 2 ? <f32>0 : <f32>1);
  }
  const m = masked ? mask : 0;
  softmax_forward_f32(y, x, m, 1, rows, rows, n);
  softmax_backward_f32(dx, y, w, rows, n, 0);
  const h: f32 = 0.01;
  let worst: f64 = 0;
  for (let k = 0; k < len; k++) {
    const v = load<f32>(at(x, k)), vp = v + h, vm = v - h;
    store<f32>(at(x, k), vp);
    softmax_forward_f32_ref(y, x, m, 1, rows, rows, n);
    const lp = dot(w, y, len);
    store<f32>(at(x, k), vm);
    softmax_forward_f32_ref(y, x, m, 1, rows, rows, n);
    const lm = dot(w, y, len);
    store<f32>(at(x, k), v);
    const fd = (lp - lm) / (<f64>vp - <f64>vm);
    worst = Math.max(worst, Math.abs(<f64>load<f32>(at(dx, k)) - fd));
    if (masked && k % 5 == 2) expect(load<f32>(at(dx, k))).toBe(0, "no gradient through a masked entry");
  }
  expect(worst).toBeLessThanOrEqual(1e-3, "softmax backward vs central difference");
  heap.free(x); heap.free(y); heap.free(w); heap.free(dx); heap.free(mask);
}

function dot(a: usize, b: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(at(a, i)) * <f64>load<f32>(at(b, i));
  return s;
}
