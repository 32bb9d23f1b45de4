// test/assembly/embedding.spec.ts
// assembly/kernels/embedding.ts against its scalar twins (assembly/ref/embedding.ts) bit for bit over n ids
// x width d at the tail sizes, with repeated ids, a padding id or none, guard zones after y and dtable,
// rows that never occur left untouched; known answers (lookup, padding rows, the scatter-add's order shown
// by rounding); the backward against central differences of L = sum w * y.

import { embedding_backward_f32, embedding_forward_f32 } from "../../assembly/kernels/embedding";
import { embedding_backward_f32_ref, embedding_forward_f32_ref } from "../../assembly/ref/embedding";
import { alloc, at, copy, expectSameBits, fill, mismatches, nextU32, reseed, uniform } from "./helpers";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
const DS: i32[] = [0, 1, 3, 4, 5, 8, 16, 17, 32, 43];
const V = 7;
reseed(1717);

function check(n: i32, d: i32, paddingId: i32): void {
  const label = "embedding n=" + n.toString() + " d=" + d.toString() + " pad=" + paddingId.toString();
  const ids = alloc(n), table = alloc(V * d), y = alloc(n * d), yRef = alloc(n * d);
  const dy = alloc(n * d), dt = alloc(V * d), dtRef = alloc(V * d), before = alloc(V * d);
  // ids cover few rows (repeats); about one in five is the padding id when there is one
  for (let i = 0; i < n; i++) {
    let id = <i32>(nextU32() % 5);
    if (paddingId >= 0 && nextU32() % 5 == 0) id = paddingId;
    store<i32>(at(ids, i), id);
  }
  fill(table, V * d, 1e6, 1e-4, true);
  fill(y, n * d, 1e6); // stale: written over
  embedding_forward_f32(y, ids, table, n, d, paddingId);
  embedding_forward_f32_ref(yRef, ids, table, n, d, paddingId);
  expectSameBits(y, yRef, n * d, label + " forward");
  fill(dy, n * d, 1e4);
  fill(dt, V * d, 1e4);
  copy(dtRef, dt, V * d);
  copy(before, dt, V * d);
  embedding_backward_f32(dt, ids, dy, n, d, paddingId);
  embedding_backward_f32_ref(dtRef, ids, dy, n, d, paddingId);
  expectSameBits(dt, dtRef, V * d, label + " backward");
  // rows 5 and 6 never occur; the padding row is never accumulated into
  expect(mismatches(at(dt, 5 * d), at(before, 5 * d), 2 * d)).toBe(0, label + " unused rows untouched");
  if (paddingId >= 0) {
    expect(mismatches(at(dt, paddingId * d), at(before, paddingId * d), d)).toBe(0, label + " padding row untouched");
  }
  heap.free(ids); heap.free(table); heap.free(y); heap.free(yRef);
  heap.free(dy); heap.free(dt); heap.free(dtRef); heap.free(before);
}

describe("embedding kernels = _ref twins, bit for bit", () => {
  it("every n x d at the tail sizes, with padding id 2 and without (-1)", () => {
    for (let i = 0; i < SIZES.length; i++) for (let j = 0; j < DS.length; j++) {
      check(SIZES[i], DS[j], -1);
      check(SIZES[i], DS[j], 2);
    }
    check(300, 50, 0);
  });
});

describe("embedding values", () => {
  it("lookup, padding rows of +0, and the scatter-add in id order", () => {
    const d = 5;
    const ids = alloc(4), table = alloc(3 * d), y = alloc(4 * d), dt = alloc(3 * d), dy = alloc(4 * d);
    for (let i = 0; i < 3 * d; i++) store<f32>(at(table, i), <f32>i);
    store<i32>(at(ids, 0), 2); store<i32>(at(ids, 1), 0); store<i32>(at(ids, 2), 1); store<i32>(at(ids, 3), 2);
    embedding_forward_f32(y, ids, table, 4, d, 1);
    for (let j = 0; j < d; j++) {
      expect(load<f32>(at(y, j))).toBe(<f32>j + 10);
      expect(load<f32>(at(y, d + j))).toBe(<f32>j);
      expect(load<u32>(at(y, 2 * d + j))).toBe(0, "padding -> +0");
      expect(load<f32>(at(y, 3 * d + j))).toBe(<f32>j + 10);
    }
    // id 0 three times with rows 1, 1e8, -1e8: in order (0 + 1) + 1e8 - 1e8 = 0 in f32; reversed gives 1
    store<i32>(at(ids, 0), 0); store<i32>(at(ids, 1), 0); store<i32>(at(ids, 2), 0); store<i32>(at(ids, 3), 1);
    const rowv: f32[] = [1, 1e8, -1e8, 7];
    for (let i = 0; i < 4; i++) for (let j = 0; j < d; j++) store<f32>(at(dy, i * d + j), rowv[i]);
    for (let i = 0; i < 3 * d; i++) store<f32>(at(dt, i), 0);
    embedding_backward_f32(dt, ids, dy, 4, d, -1);
    for (let j = 0; j < d; j++) {
      expect(load<f32>(at(dt, j))).toBe(0, "in-order scatter-add");
      expect(load<f32>(at(dt, d + j))).toBe(7);
      expect(load<f32>(at(dt, 2 * d + j))).toBe(0);
    }
    embedding_backward_f32(dt, ids, dy, 4, d, -1); // accumulates: row 1 doubles
    expect(load<f32>(at(dt, d))).toBe(14);
    heap.free(ids); heap.free(table); heap.free(y); heap.free(dt); heap.free(dy);
  });
});

describe("embedding backward = central difference of the forward", () => {
  it("L = sum w * y over 9 ids (repeats, one padding) of width 6", () => {
    const n = 9, d = 6, rows = 4;
    const ids = alloc(n), table = alloc(rows * d), y = alloc(n * d), w = alloc(n * d), dt = alloc(rows * d);
    const idv: i32[] = [1, 3, 1, 0, 2, 1, 3, 0, 2];
    for (let i = 0; i < n; i++) store<i32>(at(ids, i), idv[i]);
    for (let i = 0; i < rows * d; i++) { store<f32>(at(table, i), uniform() * 2 - 1); store<f32>(at(dt, i), 0); }
    for (let i = 0; i < n * d; i++) store<f32>(at(w, i), uniform() * 2 - 1);
    embedding_backward_f32(dt, ids, w, n, d, 2);
    const h: f32 = 0.01;
    let worst: f64 = 0;
    for (let k = 0; k < rows * d; k++) {
      const v = load<f32>(at(table, k)), vp = v + h, vm = v - h;
      store<f32>(at(table, k), vp);
      embedding_forward_f32_ref(y, ids, table, n, d, 2);
      const lp = dot(w, y, n * d);
      store<f32>(at(table, k), vm);
      embedding_forward_f32_ref(y, ids, table, n, d, 2);
      const lm = dot(w, y, n * d);
      store<f32>(at(table, k), v);
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(dt, k)) - (lp - lm) / (<f64>vp - <f64>vm)));
    }
    expect(worst).toBeLessThanOrEqual(1e-4, "embedding backward vs central difference");
    heap.free(ids); heap.free(table); heap.free(y); heap.free(w); heap.free(dt);
  });
});

function dot(a: usize, b: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(at(a, i)) * <f64>load<f32>(at(b, i));
  return s;
}

// ------------------------------------------------------------------ bags
import { embedding_bag_backward_f32, embedding_bag_forward_f32 } from "../../assembly/kernels/embedding";
import { embedding_bag_backward_f32_ref, embedding_bag_forward_f32_ref } from "../../assembly/ref/embedding";

function checkBag(n: i32, L: i32, d: i32, weighted: bool, paddingId: i32): void {
  const label = "bag n=" + n.toString() + " L=" + L.toString() + " d=" + d.toString() + (weighted ? " weighted" : "") + " pad=" + paddingId.toString();
  const ids = alloc(n * L), table = alloc(V * d), w = weighted ? alloc(L * d) : 0;
  const y = alloc(n * d), yRef = alloc(n * d), dy = alloc(n * d);
  const dt = alloc(V * d), dtRef = alloc(V * d), dw = weighted ? alloc(L * d) : 0, dwRef = weighted ? alloc(L * d) : 0;
  for (let i = 0; i < n * L; i++) {
    let id = <i32>(nextU32() % 5);
    if (paddingId >= 0 && nextU32() % 4 == 0) id = paddingId;
    store<i32>(at(ids, i), id);
  }
  fill(table, V * d, 1e3);
  if (weighted) fill(w, L * d, 10);
  fill(y, n * d, 1e3);
  embedding_bag_forward_f32(y, ids, table, w, n, L, d, paddingId);
  embedding_bag_forward_f32_ref(yRef, ids, table, w, n, L, d, paddingId);
  expectSameBits(y, yRef, n * d, label + " forward");
  fill(dy, n * d, 1e3);
  fill(dt, V * d, 1e3);
  copy(dtRef, dt, V * d);
  if (weighted) { fill(dw, L * d, 1e3); copy(dwRef, dw, L * d); }
  embedding_bag_backward_f32(dt, dw, ids, table, w, dy, n, L, d, paddingId);
  embedding_bag_backward_f32_ref(dtRef, dwRef, ids, table, w, dy, n, L, d, paddingId);
  expectSameBits(dt, dtRef, V * d, label + " dtable");
  if (weighted) expectSameBits(dw, dwRef, L * d, label + " dw");
}

describe("embedding_bag_forward_f32 / embedding_bag_backward_f32", () => {
  test("SIMD = scalar twin over bags, widths and weights, with and without padding", () => {
    const NS: i32[] = [0, 1, 3, 5];
    const LS: i32[] = [1, 3, 6];
    for (let a = 0; a < NS.length; a++) for (let b = 0; b < LS.length; b++) for (let c = 0; c < DS.length; c++) {
      checkBag(NS[a], LS[b], DS[c], false, -1);
      checkBag(NS[a], LS[b], DS[c], true, 0);
      checkBag(NS[a], LS[b], DS[c], true, -1);
    }
  });

  test("known answer: a bag is the weighted sum of its rows, padding skipped", () => {
    const ids = alloc(3), table = alloc(4), w = alloc(3 * 1), y = alloc(1);
    store<i32>(at(ids, 0), 1); store<i32>(at(ids, 1), 0); store<i32>(at(ids, 2), 3);
    for (let i = 0; i < 4; i++) store<f32>(at(table, i), <f32>(i * 10));
    store<f32>(at(w, 0), 2); store<f32>(at(w, 1), 100); store<f32>(at(w, 2), 0.5);
    embedding_bag_forward_f32(y, ids, table, w, 1, 3, 1, 0); // 2*10 + (pad skipped) + 0.5*30
    expect(load<f32>(at(y, 0))).toBe(35);
  });
});
