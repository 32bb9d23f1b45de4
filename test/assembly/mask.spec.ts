// test/assembly/mask.spec.ts
// assembly/kernels/mask.ts against its scalar twin bit for bit at the tail sizes, for L = 1 (elementwise)
// and rows of several ids (any id not padding), with guard zones; known answers.

import { token_mask_f32 } from "../../assembly/kernels/mask";
import { token_mask_f32_ref } from "../../assembly/ref/mask";
import { alloc, at, expectSameBits, fill, nextU32, reseed } from "./helpers";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
reseed(909);

describe("token_mask_f32", () => {
  test("SIMD = scalar twin at every size, padding ids common", () => {
    for (let i = 0; i < SIZES.length; i++) {
      for (let L = 0; L <= 5; L++) {
        const rows = SIZES[i];
        const ids = alloc(rows * L), y = alloc(rows), yRef = alloc(rows);
        // ids 0..2, padding 0: about a third of the ids, so some rows are all padding
        for (let k = 0; k < rows * L; k++) store<i32>(at(ids, k), <i32>(nextU32() % 3) == 0 ? 0 : <i32>(nextU32() % 7));
        fill(y, rows, 1e3);
        fill(yRef, rows, 1e3);
        token_mask_f32(y, ids, rows, L, 0);
        token_mask_f32_ref(yRef, ids, rows, L, 0);
        expectSameBits(y, yRef, rows, "rows " + rows.toString() + " L " + L.toString());
        heap.free(ids); heap.free(y); heap.free(yRef);
      }
    }
  });

  test("known answers", () => {
    const ids = alloc(6), y = alloc(3);
    const v: i32[] = [0, 0, 5, 0, 7, 7];
    for (let k = 0; k < 6; k++) store<i32>(at(ids, k), v[k]);
    token_mask_f32(y, ids, 3, 2, 0); //  rows (0 0), (5 0), (7 7)
    expect(load<f32>(at(y, 0))).toBe(0);
    expect(load<f32>(at(y, 1))).toBe(1);
    expect(load<f32>(at(y, 2))).toBe(1);
    token_mask_f32(y, ids, 3, 1, 7); //  elementwise, padding 7: ids 0 0 5
    expect(load<f32>(at(y, 0))).toBe(1);
    expect(load<f32>(at(y, 2))).toBe(1);
    heap.free(ids); heap.free(y);
  });
});
