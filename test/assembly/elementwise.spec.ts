// test/assembly/elementwise.spec.ts
// assembly/kernels/elementwise.ts against its scalar twins (assembly/ref/elementwise.ts) bit for bit over
// G x P x I at the tail sizes (I also at the 16-column block sizes), both broadcast strides (bs = I, 0),
// writing and accumulating, in place where the contract allows (y = a, da = dy), with a guard zone after
// every output; known answers (broadcast, the fixed order of the sums made visible by rounding); central
// differences of L = sum w * (a * b) and of L = sum w * mean(x) for the backward kernels.

import {
  add_forward_f32, broadcast_groups_f32, mul_backward_f32, mul_forward_f32, mul_sum_groups_f32, sub_forward_f32,
  sum_groups_f32,
} from "../../assembly/kernels/elementwise";
import {
  add_forward_f32_ref, broadcast_groups_f32_ref, mul_backward_f32_ref, mul_forward_f32_ref, mul_sum_groups_f32_ref,
  sub_forward_f32_ref, sum_groups_f32_ref,
} from "../../assembly/ref/elementwise";
import { alloc, at, copy, expectSameBits, fill, reseed, uniform } from "./helpers";

const GS: i32[] = [0, 1, 2, 3, 5];
const PS: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
const IS: i32[] = [0, 1, 3, 4, 5, 8, 16, 17, 20, 43];
const LARGE: f32 = 1e4;
reseed(1616);

function shape(G: i32, P: i32, I: i32, bs: i32): string {
  return G.toString() + "x" + P.toString() + "x" + I.toString() + " bs=" + bs.toString();
}

function checkBinary(G: i32, P: i32, I: i32, bs: i32): void {
  const n = G * P * I, nb = bs == 0 ? I : G * I;
  const a = alloc(n), b = alloc(nb), y = alloc(n), yRef = alloc(n), yIn = alloc(n);
  fill(a, n, LARGE, 1e-4, true);
  fill(b, nb, LARGE, 1e-4, true);
  for (let op = 0; op < 3; op++) {
    const label = (op == 0 ? "add " : op == 1 ? "sub " : "mul ") + shape(G, P, I, bs);
    fill(y, n, LARGE);
    copy(yIn, a, n);
    if (op == 0) {
      add_forward_f32(y, a, b, G, P, I, bs); add_forward_f32_ref(yRef, a, b, G, P, I, bs);
      add_forward_f32(yIn, yIn, b, G, P, I, bs);
    } else if (op == 1) {
      sub_forward_f32(y, a, b, G, P, I, bs); sub_forward_f32_ref(yRef, a, b, G, P, I, bs);
      sub_forward_f32(yIn, yIn, b, G, P, I, bs);
    } else {
      mul_forward_f32(y, a, b, G, P, I, bs); mul_forward_f32_ref(yRef, a, b, G, P, I, bs);
      mul_forward_f32(yIn, yIn, b, G, P, I, bs);
    }
    expectSameBits(y, yRef, n, label);
    expectSameBits(yIn, yRef, n, label + " y = a");
  }
  // mul backward: da (+)= dy * b
  const dy = a;
  for (let acc = 0; acc < 2; acc++) {
    const label = "mul_backward acc=" + acc.toString() + " " + shape(G, P, I, bs);
    fill(y, n, LARGE);
    copy(yRef, y, n);
    mul_backward_f32(y, dy, b, G, P, I, bs, acc);
    mul_backward_f32_ref(yRef, dy, b, G, P, I, bs, acc);
    expectSameBits(y, yRef, n, label);
  }
  copy(yIn, dy, n);
  mul_backward_f32(yIn, yIn, b, G, P, I, bs, 0);
  mul_backward_f32_ref(yRef, dy, b, G, P, I, bs, 0);
  expectSameBits(yIn, yRef, n, "mul_backward da = dy " + shape(G, P, I, bs));
  heap.free(a); heap.free(b); heap.free(y); heap.free(yRef); heap.free(yIn);
}

function checkReduce(G: i32, P: i32, I: i32, bs: i32): void {
  const n = G * P * I, nb = bs == 0 ? I : G * I;
  const x = alloc(n), w = alloc(n), out = alloc(nb), outRef = alloc(nb), big = alloc(n), bigRef = alloc(n);
  fill(x, n, LARGE, 1e-4, true);
  fill(w, n, LARGE);
  const scales: f32[] = [1, -1, P > 0 ? <f32>1 / <f32>P : <f32>0.37];
  for (let acc = 0; acc < 2; acc++) {
    for (let k = 0; k < scales.length; k++) {
      const label = "sum_groups acc=" + acc.toString() + " scale=" + scales[k].toString() + " " + shape(G, P, I, bs);
      fill(out, nb, LARGE); // stale values (written over) or the sum to fold into
      copy(outRef, out, nb);
      sum_groups_f32(out, x, G, P, I, bs, scales[k], acc);
      sum_groups_f32_ref(outRef, x, G, P, I, bs, scales[k], acc);
      expectSameBits(out, outRef, nb, label);
    }
    const label = "mul_sum_groups acc=" + acc.toString() + " " + shape(G, P, I, bs);
    fill(out, nb, LARGE);
    copy(outRef, out, nb);
    mul_sum_groups_f32(out, x, w, G, P, I, bs, acc);
    mul_sum_groups_f32_ref(outRef, x, w, G, P, I, bs, acc);
    expectSameBits(out, outRef, nb, label);

    // the broadcast back: out [G, P, I] from x [nb]
    for (let k = 0; k < scales.length; k++) {
      const bl = "broadcast_groups acc=" + acc.toString() + " scale=" + scales[k].toString() + " " + shape(G, P, I, bs);
      fill(big, n, LARGE);
      copy(bigRef, big, n);
      broadcast_groups_f32(big, x, G, P, I, bs, scales[k], acc);
      broadcast_groups_f32_ref(bigRef, x, G, P, I, bs, scales[k], acc);
      expectSameBits(big, bigRef, n, bl);
    }
  }
  heap.free(x); heap.free(w); heap.free(out); heap.free(outRef); heap.free(big); heap.free(bigRef);
}

describe("elementwise kernels = _ref twins, bit for bit", () => {
  it("add, sub, mul forward and mul backward over G x P x I, bs = I and 0 (also y = a, da = dy)", () => {
    for (let gi = 0; gi < GS.length; gi++) for (let pi = 0; pi < PS.length; pi++) for (let ii = 0; ii < IS.length; ii++) {
      checkBinary(GS[gi], PS[pi], IS[ii], IS[ii]);
      checkBinary(GS[gi], PS[pi], IS[ii], 0);
    }
    checkBinary(7, 6, 32, 32);
    checkBinary(1, 1, 1000, 1000);
    checkBinary(9, 50, 1, 1);
  });
  it("sum_groups, mul_sum_groups and broadcast_groups over G x P x I, bs = I and 0, write and accumulate", () => {
    for (let gi = 0; gi < GS.length; gi++) for (let pi = 0; pi < PS.length; pi++) for (let ii = 0; ii < IS.length; ii++) {
      checkReduce(GS[gi], PS[pi], IS[ii], IS[ii]);
      checkReduce(GS[gi], PS[pi], IS[ii], 0);
    }
    checkReduce(7, 6, 32, 32);
    checkReduce(9, 50, 1, 1);
    checkReduce(4, 1, 37, 37);
  });
});

function setAll(p: usize, vals: f32[]): void {
  for (let i = 0; i < vals.length; i++) store<f32>(at(p, i), vals[i]);
}
function expectAll(p: usize, vals: f32[], label: string): void {
  for (let i = 0; i < vals.length; i++) expect(load<f32>(at(p, i))).toBe(vals[i], label + " [" + i.toString() + "]");
}

describe("elementwise values", () => {
  it("broadcast over the middle axis and over every leading axis", () => {
    // a: [2, 2, 3]; b per group [2, 3] or shared [3]
    const a = alloc(12), b = alloc(6), y = alloc(12);
    for (let i = 0; i < 12; i++) store<f32>(at(a, i), <f32>i);
    setAll(b, [100, 200, 300, 1000, 2000, 3000]);
    add_forward_f32(y, a, b, 2, 2, 3, 3);
    expectAll(y, [100, 201, 302, 103, 204, 305, 1006, 2007, 3008, 1009, 2010, 3011], "add bs=I");
    sub_forward_f32(y, a, b, 2, 2, 3, 0);
    expectAll(y, [-100, -199, -298, -97, -196, -295, -94, -193, -292, -91, -190, -289], "sub bs=0");
    mul_forward_f32(y, a, b, 1, 1, 6, 6);
    expectAll(y, [0, 200, 600, 3000, 8000, 15000], "mul elementwise");
    mul_forward_f32(y, a, b, 4, 3, 1, 1); // I = 1: one value per group of 3
    expectAll(y, [0, 100, 200, 600, 800, 1000, 1800, 2100, 2400, 9000, 10000, 11000], "mul I=1");
    heap.free(a); heap.free(b); heap.free(y);
  });
  it("sums, means and their broadcasts", () => {
    const x = alloc(12), out = alloc(6), big = alloc(12);
    for (let i = 0; i < 12; i++) store<f32>(at(x, i), <f32>i);
    sum_groups_f32(out, x, 2, 2, 3, 3, 1, 0);     // sum over the middle axis of [2, 2, 3]
    expectAll(out, [3, 5, 7, 15, 17, 19], "sum over P");
    sum_groups_f32(out, x, 2, 2, 3, 0, 1, 0);     // over both leading axes
    expectAll(out, [18, 22, 26], "sum over G and P");
    sum_groups_f32(out, x, 2, 2, 3, 0, -1, 1);    // sub's db accumulated: 18 - 18 ...
    expectAll(out, [0, 0, 0], "accumulated -sum");
    sum_groups_f32(out, x, 4, 3, 1, 1, <f32>1 / <f32>3, 0); // mean over the last axis of [4, 3]
    expectAll(out, [1, 4, 7, 10], "mean over the last axis");
    mul_sum_groups_f32(out, x, x, 1, 4, 3, 3, 0);  // sum of squares down the rows of [4, 3]
    expectAll(out, [0 + 9 + 36 + 81, 1 + 16 + 49 + 100, 4 + 25 + 64 + 121], "mul_sum");
    broadcast_groups_f32(big, out, 2, 2, 3, 0, 0.5, 0);
    expectAll(big, [63, 83, 107, 63, 83, 107, 63, 83, 107, 63, 83, 107], "broadcast bs=0");
    setAll(out, [1, 2]);
    broadcast_groups_f32(big, out, 2, 3, 1, 1, 1, 1); // accumulate one value per group of 3
    expectAll(big, [64, 84, 108, 65, 85, 109, 63, 83, 107, 63, 83, 107], "broadcast I=1 acc");
    heap.free(x); heap.free(out); heap.free(big);
  });
  it("the fixed order of the sums shows in rounding: rows in order from +0, g outer for bs = 0", () => {
    // (0 + 1e8) + 1 + (-1e8) = 0 in f32 (1 is lost); any other order of the three gives 1
    const vals: f32[] = [1e8, 1, -1e8];
    const x = alloc(3 * 20), out = alloc(20);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 20; c++) store<f32>(at(x, r * 20 + c), vals[r]);
    sum_groups_f32(out, x, 1, 3, 20, 20, 1, 0);
    for (let c = 0; c < 20; c++) expect(load<f32>(at(out, c))).toBe(0, "P order");
    sum_groups_f32(out, x, 3, 1, 20, 0, 1, 0);  // G = 3 groups of one row, summed g outer
    for (let c = 0; c < 20; c++) expect(load<f32>(at(out, c))).toBe(0, "G order");
    for (let g = 0; g < 5; g++) for (let p = 0; p < 3; p++) store<f32>(at(x, g * 3 + p), vals[p]);
    sum_groups_f32(out, x, 5, 3, 1, 1, 1, 0);   // the interleaved I = 1 path
    for (let g = 0; g < 5; g++) expect(load<f32>(at(out, g))).toBe(0, "last-axis order");
    // -0 + the +0 start is +0
    store<f32>(x, -0.0);
    sum_groups_f32(out, x, 1, 1, 1, 1, 1, 0);
    expect(load<u32>(out)).toBe(0, "+0 start");
    heap.free(x); heap.free(out);
  });
});

// L = sum w * (a * b) with b broadcast (f64 over the scalar forward): dL/da = w * b (mul_backward),
// dL/db = mul_sum_groups(w, a); L = sum w * mean_P(x): dL/dx = broadcast(w, 1/P).
describe("elementwise backward = central difference of the forward", () => {
  it("mul with b broadcast over P (bs = I) and over everything (bs = 0), 3 x 5 x 7", () => {
    gradMul(3, 5, 7, 7);
    gradMul(3, 5, 7, 0);
  });
  it("mean over P and its broadcast, 3 x 5 x 7", () => {
    const G = 3, P = 5, I = 7, n = G * P * I;
    const x = alloc(n), w = alloc(G * I), dx = alloc(n), m = alloc(G * I);
    for (let i = 0; i < n; i++) store<f32>(at(x, i), uniform() * 4 - 2);
    for (let i = 0; i < G * I; i++) store<f32>(at(w, i), uniform() * 2 - 1);
    const scale = <f32>1 / <f32>P;
    broadcast_groups_f32(dx, w, G, P, I, I, scale, 0);
    const h: f32 = 0.01;
    let worst: f64 = 0;
    for (let k = 0; k < n; k++) {
      const v = load<f32>(at(x, k)), vp = v + h, vm = v - h;
      store<f32>(at(x, k), vp);
      sum_groups_f32_ref(m, x, G, P, I, I, scale, 0);
      const lp = dot(w, m, G * I);
      store<f32>(at(x, k), vm);
      sum_groups_f32_ref(m, x, G, P, I, I, scale, 0);
      const lm = dot(w, m, G * I);
      store<f32>(at(x, k), v);
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(dx, k)) - (lp - lm) / (<f64>vp - <f64>vm)));
    }
    expect(worst).toBeLessThanOrEqual(1e-3, "mean backward vs central difference");
    heap.free(x); heap.free(w); heap.free(dx); heap.free(m);
  });
});

function dot(a: usize, b: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(at(a, i)) * <f64>load<f32>(at(b, i));
  return s;
}

function gradMul(G: i32, P: i32, I: i32, bs: i32): void {
  const n = G * P * I, nb = bs == 0 ? I : G * I;
  const a = alloc(n), b = alloc(nb), w = alloc(n), y = alloc(n), da = alloc(n), db = alloc(nb);
  for (let i = 0; i < n; i++) { store<f32>(at(a, i), uniform() * 4 - 2); store<f32>(at(w, i), uniform() * 2 - 1); }
  for (let i = 0; i < nb; i++) store<f32>(at(b, i), uniform() * 4 - 2);
  mul_backward_f32(da, w, b, G, P, I, bs, 0);
  mul_sum_groups_f32(db, w, a, G, P, I, bs, 0);
  const h: f32 = 0.01;
  let worst: f64 = 0;
  for (let pass = 0; pass < 2; pass++) {
    const t = pass == 0 ? a : b, dt = pass == 0 ? da : db, m = pass == 0 ? n : nb;
    for (let k = 0; k < m; k++) {
      const v = load<f32>(at(t, k)), vp = v + h, vm = v - h;
      store<f32>(at(t, k), vp);
      mul_forward_f32_ref(y, a, b, G, P, I, bs);
      const lp = dot(w, y, n);
      store<f32>(at(t, k), vm);
      mul_forward_f32_ref(y, a, b, G, P, I, bs);
      const lm = dot(w, y, n);
      store<f32>(at(t, k), v);
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(dt, k)) - (lp - lm) / (<f64>vp - <f64>vm)));
    }
  }
  expect(worst).toBeLessThanOrEqual(1e-3, "mul backward vs central difference, bs=" + bs.toString());
  heap.free(a); heap.free(b); heap.free(w); heap.free(y); heap.free(da); heap.free(db);
}
