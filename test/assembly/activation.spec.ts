// test/assembly/activation.spec.ts
// assembly/kernels/activation.ts against its scalar twins (assembly/ref/activation.ts) bit for bit at the
// tail sizes, in place (y = x, dx = dy) and out of place, with a guard zone after every output that must
// stay untouched; then a central-difference gradient check of every backward.

import {
  leaky_relu_backward_f32, leaky_relu_forward_f32, relu_backward_f32, relu_forward_f32,
  sigmoid_backward_f32, sigmoid_forward_f32, tanh_backward_f32, tanh_forward_f32,
} from "../../assembly/kernels/activation";
import {
  leaky_relu_backward_f32_ref, leaky_relu_forward_f32_ref, relu_backward_f32_ref, relu_forward_f32_ref,
  sigmoid_backward_f32_ref, sigmoid_forward_f32_ref, tanh_backward_f32_ref, tanh_forward_f32_ref,
} from "../../assembly/ref/activation";
import { alloc as guardedAlloc, copy, expectSameBits, fill, reseed, uniform } from "./helpers";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
const ALPHA: f32 = 0.01;
const LARGE: f32 = 1000; // nextValue's large values are in [-LARGE, LARGE)
reseed(12345);

// Every buffer is also checked for heap.alloc's 16-byte alignment.
function alloc(n: i32): usize {
  const p = guardedAlloc(n);
  expect<usize>(p & 15).toBe(0, "heap.alloc is 16-byte aligned");
  return p;
}

// ---- kernel dispatch by code, so one loop covers every activation ----
const RELU = 0;
const LEAKY = 1;
const TANH = 2;
const SIGMOID = 3;
const NAMES: string[] = ["relu", "leaky_relu", "tanh", "sigmoid"];

function fwd(k: i32, y: usize, x: usize, n: i32): void {
  if (k == RELU) relu_forward_f32(y, x, n);
  else if (k == LEAKY) leaky_relu_forward_f32(y, x, n, ALPHA);
  else if (k == TANH) tanh_forward_f32(y, x, n);
  else sigmoid_forward_f32(y, x, n);
}
function fwdRef(k: i32, y: usize, x: usize, n: i32): void {
  if (k == RELU) relu_forward_f32_ref(y, x, n);
  else if (k == LEAKY) leaky_relu_forward_f32_ref(y, x, n, ALPHA);
  else if (k == TANH) tanh_forward_f32_ref(y, x, n);
  else sigmoid_forward_f32_ref(y, x, n);
}
function bwd(k: i32, dx: usize, y: usize, dy: usize, n: i32): void {
  if (k == RELU) relu_backward_f32(dx, y, dy, n);
  else if (k == LEAKY) leaky_relu_backward_f32(dx, y, dy, n, ALPHA);
  else if (k == TANH) tanh_backward_f32(dx, y, dy, n);
  else sigmoid_backward_f32(dx, y, dy, n);
}
function bwdRef(k: i32, dx: usize, y: usize, dy: usize, n: i32): void {
  if (k == RELU) relu_backward_f32_ref(dx, y, dy, n);
  else if (k == LEAKY) leaky_relu_backward_f32_ref(dx, y, dy, n, ALPHA);
  else if (k == TANH) tanh_backward_f32_ref(dx, y, dy, n);
  else sigmoid_backward_f32_ref(dx, y, dy, n);
}

function checkAgainstRef(k: i32): void {
  for (let s = 0; s < SIZES.length; s++) {
    const n = SIZES[s];
    const label = NAMES[k] + " n=" + n.toString();
    const x = alloc(n), y = alloc(n), yRef = alloc(n), yIn = alloc(n);
    const dy = alloc(n), dx = alloc(n), dxRef = alloc(n), dIn = alloc(n);
    fill(x, n, LARGE);
    fill(dy, n, LARGE);
    // forward, out of place and in place (y = x)
    fwd(k, y, x, n);
    fwdRef(k, yRef, x, n);
    expectSameBits(y, yRef, n, label + " forward");
    copy(yIn, x, n);
    fwd(k, yIn, yIn, n);
    expectSameBits(yIn, yRef, n, label + " forward in place");
    // backward from the forward output, out of place and in place (dx = dy)
    bwd(k, dx, yRef, dy, n);
    bwdRef(k, dxRef, yRef, dy, n);
    expectSameBits(dx, dxRef, n, label + " backward");
    copy(dIn, dy, n);
    bwd(k, dIn, yRef, dIn, n);
    expectSameBits(dIn, dxRef, n, label + " backward in place");
    // backward WRITES: a stale dx must not leak into the result
    fill(dx, n, LARGE);
    bwd(k, dx, yRef, dy, n);
    expectSameBits(dx, dxRef, n, label + " backward overwrites");
    heap.free(x); heap.free(y); heap.free(yRef); heap.free(yIn);
    heap.free(dy); heap.free(dx); heap.free(dxRef); heap.free(dIn);
  }
}

// Central difference of the scalar forward, differenced in f64: for L = sum_i w_i f(x_i),
// dL/dx_i = w_i f'(x_i) ~ w_i (f(x_i + h) - f(x_i - h)) / ((x_i + h) - (x_i - h)), with the perturbed
// points rounded to f32 first and the true step used. Truncation error ~ h^2 |f'''| / 6 ~ 3e-5, rounding
// noise ~ ulp(f) / h ~ 1e-5, so 5e-4 is safe but far below any wrong formula (a missing square or a
// missing (1 - y) is off by > 0.05 somewhere on [-4, 4]).
function gradCheck(k: i32): void {
  const n = 43;
  const x = alloc(n), y = alloc(n), dy = alloc(n), dx = alloc(n), p = alloc(1), q = alloc(1);
  for (let i = 0; i < n; i++) {
    let v = uniform() * 8 - 4;
    if (k <= LEAKY && Math.abs(v) < 0.05) v = v < 0 ? v - <f32>0.05 : v + <f32>0.05; // stay off the kink
    store<f32>(x + (<usize>i << 2), v);
    store<f32>(dy + (<usize>i << 2), uniform() * 2 - 1);
  }
  fwd(k, y, x, n);
  bwd(k, dx, y, dy, n);
  const h: f32 = 0.01;
  let worst: f64 = 0;
  for (let i = 0; i < n; i++) {
    const xi = load<f32>(x + (<usize>i << 2));
    const w = <f64>load<f32>(dy + (<usize>i << 2));
    const xp = xi + h, xm = xi - h;
    store<f32>(p, xp);
    store<f32>(q, xm);
    fwdRef(k, p, p, 1);
    fwdRef(k, q, q, 1);
    const fd = w * (<f64>load<f32>(p) - <f64>load<f32>(q)) / (<f64>xp - <f64>xm);
    const err = Math.abs(<f64>load<f32>(dx + (<usize>i << 2)) - fd);
    if (err > worst) worst = err;
  }
  expect(worst).toBeLessThanOrEqual(5e-4, NAMES[k] + " backward vs central difference");
  heap.free(x); heap.free(y); heap.free(dy); heap.free(dx); heap.free(p); heap.free(q);
}

describe("activation kernels = _ref twins, bit for bit", () => {
  it("relu", () => { checkAgainstRef(RELU); });
  it("leaky_relu", () => { checkAgainstRef(LEAKY); });
  it("tanh", () => { checkAgainstRef(TANH); });
  it("sigmoid", () => { checkAgainstRef(SIGMOID); });
  it("large n (1000 + 3) with every value class", () => {
    for (let k = 0; k < 4; k++) {
      const n = 1003;
      const x = alloc(n), y = alloc(n), yRef = alloc(n), dx = alloc(n), dxRef = alloc(n), dy = alloc(n);
      fill(x, n, LARGE);
      fill(dy, n, LARGE);
      fwd(k, y, x, n);
      fwdRef(k, yRef, x, n);
      expectSameBits(y, yRef, n, NAMES[k] + " forward n=1003");
      bwd(k, dx, yRef, dy, n);
      bwdRef(k, dxRef, yRef, dy, n);
      expectSameBits(dx, dxRef, n, NAMES[k] + " backward n=1003");
      heap.free(x); heap.free(y); heap.free(yRef); heap.free(dx); heap.free(dxRef); heap.free(dy);
    }
  });
});

describe("activation values", () => {
  it("relu / leaky relu on known inputs (zeros, signs, NaN)", () => {
    const x = alloc(8), y = alloc(8);
    store<f32>(x, -2); store<f32>(x, -0.0, 4); store<f32>(x, 0, 8); store<f32>(x, 3, 12);
    store<f32>(x, -Infinity, 16); store<f32>(x, Infinity, 20); store<u32>(x, 0x7fc00001, 24); store<f32>(x, 1e-40, 28);
    relu_forward_f32(y, x, 8);
    expect(load<u32>(y)).toBe(0, "relu(-2) = +0");
    expect(load<u32>(y, 4)).toBe(0, "relu(-0) = +0");
    expect(load<f32>(y, 12)).toBe(3);
    expect(load<u32>(y, 16)).toBe(0, "relu(-Inf) = +0");
    expect(load<f32>(y, 20)).toBe(Infinity);
    expect(load<u32>(y, 24)).toBe(0x7fc00001, "relu passes NaN unchanged");
    expect(load<f32>(y, 28)).toBe(<f32>1e-40);
    leaky_relu_forward_f32(y, x, 8, 0.1);
    expect(load<f32>(y)).toBe(<f32>-0.2);
    expect(load<u32>(y, 4)).toBe(0x80000000, "leaky(-0) = -0");
    expect(load<f32>(y, 12)).toBe(3);
    expect(load<u32>(y, 24)).toBe(0x7fc00001, "leaky passes NaN unchanged");
    heap.free(x); heap.free(y);
  });
  it("backward derivatives at known points", () => {
    const y = alloc(4), dy = alloc(4), dx = alloc(4);
    store<f32>(y, 0.5); store<f32>(y, 0, 4); store<f32>(y, -0.25, 8); store<f32>(y, 0.9, 12);
    for (let i = 0; i < 4; i++) store<f32>(dy + (<usize>i << 2), 2);
    relu_backward_f32(dx, y, dy, 4);
    expect(load<f32>(dx)).toBe(2); expect(load<f32>(dx, 4)).toBe(0); expect(load<f32>(dx, 8)).toBe(0);
    leaky_relu_backward_f32(dx, y, dy, 4, 0.5);
    expect(load<f32>(dx)).toBe(2); expect(load<f32>(dx, 4)).toBe(1); expect(load<f32>(dx, 8)).toBe(1);
    tanh_backward_f32(dx, y, dy, 4);
    expect(load<f32>(dx)).toBe(<f32>1.5); expect(load<f32>(dx, 4)).toBe(2);
    sigmoid_backward_f32(dx, y, dy, 4);
    expect(load<f32>(dx)).toBe(<f32>0.5); expect(load<f32>(dx, 4)).toBe(0);
    heap.free(y); heap.free(dy); heap.free(dx);
  });
});

describe("activation backward = central difference of the forward", () => {
  it("relu", () => { gradCheck(RELU); });
  it("leaky_relu", () => { gradCheck(LEAKY); });
  it("tanh", () => { gradCheck(TANH); });
  it("sigmoid", () => { gradCheck(SIGMOID); });
});
