// test/assembly/copy.spec.ts
// assembly/kernels/copy.ts's add_f32, scale_f32 and copy_rows_f32 against their scalar twins
// (assembly/ref/copy.ts) bit for bit at the tail sizes, in place where the contract allows, with guard
// zones after every output; copy_rows_f32 in windows of wider rows (the gaps between windows must keep
// their bits), writing and accumulating; a concat / slice known answer. (reduce_slots_f32: reduce.spec.ts.)

import { add_f32, copy_rows_f32, scale_f32 } from "../../assembly/kernels/copy";
import { add_f32_ref, copy_rows_f32_ref, scale_f32_ref } from "../../assembly/ref/copy";
import { alloc, at, copy, expectSameBits, fill, mismatches, reseed } from "./helpers";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
const LARGE: f32 = 1e6;
reseed(2024);

function checkAddScale(n: i32): void {
  const label = "n=" + n.toString();
  const dst = alloc(n), dstRef = alloc(n), src = alloc(n), y = alloc(n), yRef = alloc(n);
  fill(dst, n, LARGE, 1e-4, true);
  copy(dstRef, dst, n);
  fill(src, n, LARGE, 1e-4, true);
  add_f32(dst, src, n);
  add_f32_ref(dstRef, src, n);
  expectSameBits(dst, dstRef, n, "add_f32 " + label);
  // dst = src: doubles in place
  copy(y, src, n);
  copy(yRef, src, n);
  add_f32(y, y, n);
  add_f32_ref(yRef, yRef, n);
  expectSameBits(y, yRef, n, "add_f32 dst = src " + label);

  const c: f32 = -0.37;
  scale_f32(y, src, n, c);
  scale_f32_ref(yRef, src, n, c);
  expectSameBits(y, yRef, n, "scale_f32 " + label);
  copy(y, src, n);
  scale_f32(y, y, n, c);
  expectSameBits(y, yRef, n, "scale_f32 y = x " + label);
  heap.free(dst); heap.free(dstRef); heap.free(src); heap.free(y); heap.free(yRef);
}

// A window of rows x cols at column offset `off` of rows dstStride wide, from rows srcStride wide.
function checkRows(rows: i32, cols: i32, dstStride: i32, srcStride: i32, off: i32, accumulate: i32): void {
  const label = "copy_rows " + rows.toString() + "x" + cols.toString() + " strides " + dstStride.toString() +
    "/" + srcStride.toString() + " acc " + accumulate.toString();
  const nd = rows * dstStride, ns = rows * srcStride;
  const dst = alloc(nd), dstRef = alloc(nd), before = alloc(nd), src = alloc(ns);
  fill(dst, nd, LARGE);
  copy(dstRef, dst, nd);
  copy(before, dst, nd);
  fill(src, ns, LARGE);
  copy_rows_f32(at(dst, off), dstStride, at(src, srcStride - cols), srcStride, rows, cols, accumulate);
  copy_rows_f32_ref(at(dstRef, off), dstStride, at(src, srcStride - cols), srcStride, rows, cols, accumulate);
  expectSameBits(dst, dstRef, nd, label);
  // outside the window every word keeps its bits
  let touched = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < dstStride; c++) {
      if (c >= off && c < off + cols) continue;
      if (load<u32>(at(dst, r * dstStride + c)) != load<u32>(at(before, r * dstStride + c))) touched++;
    }
  }
  expect(touched).toBe(0, label + ": words outside the window written");
  heap.free(dst); heap.free(dstRef); heap.free(before); heap.free(src);
}

describe("copy kernels = _ref twins, bit for bit", () => {
  it("add_f32 and scale_f32 at the tail sizes, in place too", () => {
    for (let i = 0; i < SIZES.length; i++) checkAddScale(SIZES[i]);
    checkAddScale(1000);
  });
  it("copy_rows_f32 over rows x cols windows, contiguous and strided, writing and accumulating", () => {
    for (let i = 0; i < SIZES.length; i++) {
      for (let j = 0; j < SIZES.length; j++) {
        const rows = SIZES[i], cols = SIZES[j];
        for (let acc = 0; acc < 2; acc++) {
          checkRows(rows, cols, cols, cols, 0, acc);              // contiguous: one range
          checkRows(rows, cols, cols + 5, cols, 2, acc);          // concat: a window of wider rows
          checkRows(rows, cols, cols, 2 * cols + 3, 0, acc);      // slice: a window of wider source rows
          checkRows(rows, cols, cols + 1, cols + 7, 1, acc);
        }
      }
    }
  });
});

describe("copy values", () => {
  it("concat of [2 x 3] and [2 x 2] along the last axis, then the slice back, then an accumulated window", () => {
    const a = alloc(6), b = alloc(4), y = alloc(10), s = alloc(4);
    for (let i = 0; i < 6; i++) store<f32>(at(a, i), <f32>i + 1);           // [1 2 3; 4 5 6]
    for (let i = 0; i < 4; i++) store<f32>(at(b, i), <f32>i * 10 + 10);     // [10 20; 30 40]
    copy_rows_f32(y, 5, a, 3, 2, 3, 0);
    copy_rows_f32(at(y, 3), 5, b, 2, 2, 2, 0);
    const want: f32[] = [1, 2, 3, 10, 20, 4, 5, 6, 30, 40];
    for (let i = 0; i < 10; i++) expect(load<f32>(at(y, i))).toBe(want[i]);
    copy_rows_f32(s, 2, at(y, 3), 5, 2, 2, 0);
    expect(mismatches(s, b, 4)).toBe(0, "slice gives b back");
    copy_rows_f32(s, 2, at(y, 1), 5, 2, 2, 1);                             // s += y[:, 1:3]
    expect(load<f32>(at(s, 0))).toBe(12); expect(load<f32>(at(s, 1))).toBe(23);
    expect(load<f32>(at(s, 2))).toBe(35); expect(load<f32>(at(s, 3))).toBe(46);
    scale_f32(s, s, 4, 0.5);
    expect(load<f32>(at(s, 0))).toBe(6); expect(load<f32>(at(s, 3))).toBe(23);
    add_f32(s, b, 4);
    expect(load<f32>(at(s, 0))).toBe(16); expect(load<f32>(at(s, 3))).toBe(63);
    heap.free(a); heap.free(b); heap.free(y); heap.free(s);
  });
});
