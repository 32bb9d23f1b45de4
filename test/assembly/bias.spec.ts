// test/assembly/bias.spec.ts
// assembly/kernels/bias.ts against its scalar twins (assembly/ref/bias.ts) bit for bit over odd
// row/column combinations, with a guard zone after every output; then a central-difference check of
// bias_backward_f32 through the scalar forward.

import { bias_backward_f32, bias_forward_f32 } from "../../assembly/kernels/bias";
import { bias_backward_f32_ref, bias_forward_f32_ref } from "../../assembly/ref/bias";
import { alloc, expectSameBits, fill, reseed, uniform } from "./helpers";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
const LARGE: f32 = 1e6; // nextValue's large values are in [-LARGE, LARGE)
reseed(777);

function checkShape(rows: i32, cols: i32): void {
  const label = "bias " + rows.toString() + "x" + cols.toString();
  const n = rows * cols;
  const y = alloc(n), yRef = alloc(n), b = alloc(cols), db = alloc(cols), dbRef = alloc(cols), dy = alloc(n);
  fill(y, n, LARGE);
  memory.copy(yRef, y, <usize>n << 2);
  fill(b, cols, LARGE);
  bias_forward_f32(y, b, rows, cols);
  bias_forward_f32_ref(yRef, b, rows, cols);
  expectSameBits(y, yRef, n, label + " forward");
  fill(dy, n, LARGE);
  fill(db, cols, LARGE); // stale values: the backward must overwrite, not accumulate
  bias_backward_f32(db, dy, rows, cols);
  bias_backward_f32_ref(dbRef, dy, rows, cols);
  expectSameBits(db, dbRef, cols, label + " backward");
  heap.free(y); heap.free(yRef); heap.free(b); heap.free(db); heap.free(dbRef); heap.free(dy);
}

describe("bias kernels = _ref twins, bit for bit", () => {
  it("every rows x cols in the tail sizes", () => {
    for (let i = 0; i < SIZES.length; i++) {
      for (let j = 0; j < SIZES.length; j++) checkShape(SIZES[i], SIZES[j]);
    }
  });
  it("named odd shapes and a wide one", () => {
    checkShape(1, 1);
    checkShape(3, 5);
    checkShape(17, 43);
    checkShape(43, 10);
    checkShape(64, 100);
    checkShape(5, 257);
  });
});

describe("bias values", () => {
  it("forward adds b to every row; backward sums columns in row order from +0", () => {
    const y = alloc(6), b = alloc(3), db = alloc(3);
    for (let i = 0; i < 6; i++) store<f32>(y + (<usize>i << 2), <f32>i);
    store<f32>(b, 10); store<f32>(b, 20, 4); store<f32>(b, 30, 8);
    bias_forward_f32(y, b, 2, 3);
    expect(load<f32>(y)).toBe(10); expect(load<f32>(y, 8)).toBe(32); expect(load<f32>(y, 20)).toBe(35);
    bias_backward_f32(db, y, 2, 3);
    expect(load<f32>(db)).toBe(23); expect(load<f32>(db, 4)).toBe(45); expect(load<f32>(db, 8)).toBe(67);
    // the fixed order is visible in rounding: (0 + 1e8) + 1 + (-1e8) = 0 in f32, not 1
    const dy = alloc(12);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) store<f32>(dy + (<usize>(r * 4 + c) << 2), r == 0 ? <f32>1e8 : r == 1 ? <f32>1 : <f32>-1e8);
    }
    bias_backward_f32(db, dy, 3, 4);
    for (let c = 0; c < 4; c++) expect(load<f32>(db + (<usize>c << 2))).toBe(0);
    // zero rows write zeros
    fill(db, 3, LARGE);
    bias_backward_f32(db, dy, 0, 3);
    for (let c = 0; c < 3; c++) expect(load<u32>(db + (<usize>c << 2))).toBe(0, "+0 for rows = 0");
    heap.free(y); heap.free(b); heap.free(db); heap.free(dy);
  });
});

describe("bias backward = central difference of the forward", () => {
  it("dL/db for L = sum w * (x + b), 17 x 43", () => {
    const rows = 17, cols = 43, n = rows * cols;
    const x = alloc(n), y = alloc(n), w = alloc(n), b = alloc(cols), db = alloc(cols);
    for (let i = 0; i < n; i++) {
      store<f32>(x + (<usize>i << 2), uniform() * 8 - 4);
      store<f32>(w + (<usize>i << 2), uniform() * 2 - 1);
    }
    for (let c = 0; c < cols; c++) store<f32>(b + (<usize>c << 2), uniform() * 2 - 1);
    bias_backward_f32(db, w, rows, cols);
    const h: f32 = 0.01;
    let worst: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const bc = load<f32>(b + (<usize>c << 2));
      const bp = bc + h, bm = bc - h;
      store<f32>(b + (<usize>c << 2), bp);
      const lp = loss(x, y, w, b, rows, cols);
      store<f32>(b + (<usize>c << 2), bm);
      const lm = loss(x, y, w, b, rows, cols);
      store<f32>(b + (<usize>c << 2), bc);
      const fd = (lp - lm) / (<f64>bp - <f64>bm);
      worst = Math.max(worst, Math.abs(<f64>load<f32>(db + (<usize>c << 2)) - fd));
    }
    // rounding noise ~ sqrt(17) ulp(4) / h ~ 1e-4; a missing row or a 1/rows factor is off by > 0.1
    expect(worst).toBeLessThanOrEqual(1e-3, "bias backward vs central difference");
    heap.free(x); heap.free(y); heap.free(w); heap.free(b); heap.free(db);
  });
});

// L = sum_{r,c} w[r][c] * y[r][c] in f64, with y = x + b from the scalar forward (f32).
function loss(x: usize, y: usize, w: usize, b: usize, rows: i32, cols: i32): f64 {
  const n = rows * cols;
  memory.copy(y, x, <usize>n << 2);
  bias_forward_f32_ref(y, b, rows, cols);
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(w + (<usize>i << 2)) * <f64>load<f32>(y + (<usize>i << 2));
  return s;
}
