// test/assembly/loss.spec.ts
// assembly/kernels/loss.ts against its scalar twins (assembly/ref/loss.ts) bit for bit (returned loss and
// every written word, guard zones untouched) over odd rows x cols, with the aliasing the contract allows;
// the losses against an f64 computation; the gradients against central differences of the scalar
// forward; argmax / correct_count on ties, signed zeros and NaN. The sequence losses (masks, ignored
// labels, per-example means) and binary cross-entropy on logits the same way.

import {
  argmax_f32, bce_logits_f32, correct_count_f32, mse_f32, seq_correct_count_f32, seq_softmax_xent_f32,
  seq_valid_count_f32, softmax_xent_f32,
} from "../../assembly/kernels/loss";
import {
  argmax_f32_ref, bce_logits_f32_ref, correct_count_f32_ref, mse_f32_ref, seq_correct_count_f32_ref,
  seq_softmax_xent_f32_ref, seq_valid_count_f32_ref, softmax_xent_f32_ref,
} from "../../assembly/ref/loss";
import { alloc, at, copy, expectSameBits, fill, nextU32, reseed, uniform } from "./helpers";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
const LARGE: f32 = 1000; // nextValue's large values are in [-LARGE, LARGE)
reseed(4242);

function fillUniform(p: usize, n: i32, lo: f32, hi: f32): void {
  for (let i = 0; i < n; i++) store<f32>(at(p, i), lo + (hi - lo) * uniform());
}
function fillLabels(p: usize, rows: i32, classes: i32): void {
  for (let r = 0; r < rows; r++) store<i32>(at(p, r), <i32>(nextU32() % <u32>classes));
}

// ------------------------------------------------------------------ softmax cross-entropy
function checkSoftmax(rows: i32, classes: i32): void {
  const label = "softmax_xent " + rows.toString() + "x" + classes.toString();
  const n = rows * classes;
  const x = alloc(n), labels = alloc(rows), d = alloc(n), dRef = alloc(n), xIn = alloc(n);
  fill(x, n, LARGE);
  if (classes > 0) fillLabels(labels, rows, classes);
  const l = softmax_xent_f32(d, x, labels, rows, classes);
  const lRef = softmax_xent_f32_ref(dRef, x, labels, rows, classes);
  expect(reinterpret<u32>(l)).toBe(reinterpret<u32>(lRef), label + " loss bits");
  expectSameBits(d, dRef, n, label + " dlogits");
  // dlogits aliasing logits
  memory.copy(xIn, x, <usize>n << 2);
  const lIn = softmax_xent_f32(xIn, xIn, labels, rows, classes);
  expect(reinterpret<u32>(lIn)).toBe(reinterpret<u32>(lRef), label + " loss bits in place");
  expectSameBits(xIn, dRef, n, label + " dlogits in place");
  heap.free(x); heap.free(labels); heap.free(d); heap.free(dRef); heap.free(xIn);
}

// ------------------------------------------------------------------ mse
function checkMse(rows: i32, cols: i32): void {
  const label = "mse " + rows.toString() + "x" + cols.toString();
  const n = rows * cols;
  const y = alloc(n), t = alloc(n), g = alloc(n), gRef = alloc(n), buf = alloc(n);
  fill(y, n, LARGE);
  fill(t, n, LARGE);
  fill(g, n, LARGE); // stale: must be overwritten
  const l = mse_f32(g, y, t, rows, cols);
  const lRef = mse_f32_ref(gRef, y, t, rows, cols);
  expect(reinterpret<u32>(l)).toBe(reinterpret<u32>(lRef), label + " loss bits");
  expectSameBits(g, gRef, n, label + " dy");
  memory.copy(buf, y, <usize>n << 2);
  const lA = mse_f32(buf, buf, t, rows, cols);
  expect(reinterpret<u32>(lA)).toBe(reinterpret<u32>(lRef), label + " loss bits, dy = y");
  expectSameBits(buf, gRef, n, label + " dy = y");
  memory.copy(buf, t, <usize>n << 2);
  const lB = mse_f32(buf, y, buf, rows, cols);
  expect(reinterpret<u32>(lB)).toBe(reinterpret<u32>(lRef), label + " loss bits, dy = target");
  expectSameBits(buf, gRef, n, label + " dy = target");
  heap.free(y); heap.free(t); heap.free(g); heap.free(gRef); heap.free(buf);
}

// ------------------------------------------------------------------ argmax / correct_count
// mode 0: random mixed values; mode 1: values from {-1, 0, 1} (ties everywhere, signed zeros)
function checkArgmax(rows: i32, cols: i32, mode: i32): void {
  const label = "argmax " + rows.toString() + "x" + cols.toString() + " mode " + mode.toString();
  const n = rows * cols;
  const x = alloc(n), out = alloc(rows), outRef = alloc(rows), labels = alloc(rows);
  if (mode == 0) fill(x, n, LARGE);
  else {
    for (let i = 0; i < n; i++) {
      const v = <i32>(nextU32() % 4) - 2;
      store<f32>(at(x, i), v == -2 ? <f32>-0.0 : <f32>v);
    }
  }
  argmax_f32(out, x, rows, cols);
  argmax_f32_ref(outRef, x, rows, cols);
  expectSameBits(out, outRef, rows, label);
  // labels: half the rows get their argmax, the rest a random class
  for (let r = 0; r < rows; r++) {
    const want = load<i32>(at(outRef, r));
    store<i32>(at(labels, r), (nextU32() & 1) || cols == 0 ? want : <i32>(nextU32() % <u32>cols));
  }
  let expected = 0;
  for (let r = 0; r < rows; r++) if (load<i32>(at(outRef, r)) == load<i32>(at(labels, r))) expected++;
  const got = correct_count_f32(x, labels, rows, cols);
  expect(got).toBe(correct_count_f32_ref(x, labels, rows, cols), label + " correct_count vs _ref");
  expect(got).toBe(cols > 0 ? expected : 0, label + " correct_count vs argmax");
  heap.free(x); heap.free(out); heap.free(outRef); heap.free(labels);
}

function forShapes(kind: i32): void {
  for (let i = 0; i < SIZES.length; i++) {
    for (let j = 0; j < SIZES.length; j++) {
      if (kind == 0) checkSoftmax(SIZES[i], SIZES[j]);
      else if (kind == 1) checkMse(SIZES[i], SIZES[j]);
      else { checkArgmax(SIZES[i], SIZES[j], 0); checkArgmax(SIZES[i], SIZES[j], 1); }
    }
  }
  const named: i32[] = [1, 1, 3, 5, 17, 43, 43, 10, 64, 10, 2, 1000];
  for (let k = 0; k < named.length; k += 2) {
    if (kind == 0) checkSoftmax(named[k], named[k + 1]);
    else if (kind == 1) checkMse(named[k], named[k + 1]);
    else { checkArgmax(named[k], named[k + 1], 0); checkArgmax(named[k], named[k + 1], 1); }
  }
}

describe("loss kernels = _ref twins, bit for bit", () => {
  it("softmax_xent_f32 (also dlogits = logits)", () => { forShapes(0); });
  it("mse_f32 (also dy = y, dy = target)", () => { forShapes(1); });
  it("argmax_f32 and correct_count_f32", () => { forShapes(2); });
});

describe("softmax_xent values", () => {
  it("loss matches an f64 log-sum-exp and each dlogits row sums to ~0", () => {
    const rows = 17, classes = 43, n = rows * classes;
    const x = alloc(n), labels = alloc(rows), d = alloc(n);
    fillUniform(x, n, -20, 20);
    store<f32>(at(x, 5), 80); // one row with a big logit: the max subtraction keeps it finite
    fillLabels(labels, rows, classes);
    const l = softmax_xent_f32(d, x, labels, rows, classes);
    let want: f64 = 0;
    for (let r = 0; r < rows; r++) {
      let m: f64 = -Infinity;
      for (let c = 0; c < classes; c++) m = Math.max(m, <f64>load<f32>(at(x, r * classes + c)));
      let s: f64 = 0;
      for (let c = 0; c < classes; c++) s += Math.exp(<f64>load<f32>(at(x, r * classes + c)) - m);
      want += Math.log(s) + m - <f64>load<f32>(at(x, r * classes + load<i32>(at(labels, r))));
      let rowSum: f64 = 0;
      for (let c = 0; c < classes; c++) rowSum += <f64>load<f32>(at(d, r * classes + c));
      expect(Math.abs(rowSum)).toBeLessThanOrEqual(1e-6, "dlogits row sum");
    }
    expect(Math.abs(<f64>l - want) / want).toBeLessThanOrEqual(1e-6, "loss vs f64");
    heap.free(x); heap.free(labels); heap.free(d);
  });
  it("uniform logits give log(K) per row and softmax 1/K", () => {
    const x = alloc(20), labels = alloc(2), d = alloc(20);
    for (let i = 0; i < 20; i++) store<f32>(at(x, i), 3);
    store<i32>(labels, 7); store<i32>(labels, 0, 4);
    const l = softmax_xent_f32(d, x, labels, 2, 10);
    expect(Math.abs(<f64>l - 2 * Math.log(10))).toBeLessThanOrEqual(2e-6);
    expect(load<f32>(at(d, 0))).toBe(<f32>0.1);
    expect(load<f32>(at(d, 7))).toBe(<f32>0.1 - 1);
    expect(load<f32>(at(d, 10))).toBe(<f32>0.1 - 1);
    heap.free(x); heap.free(labels); heap.free(d);
  });
});

// Central differences of the scalar forward, one row at a time (loss of a single row, so the rounding
// of the row-order sum does not add noise): d loss / d logit[r][c] must equal dlogits[r][c] (not divided
// by rows). Loss rounding ~ 1e-6, h = 0.01 -> noise ~ 1e-4; truncation ~ h^2/6 ~ 2e-5. Tolerance 1e-3:
// a gradient divided by rows, or without the one-hot, is off by >= 0.1.
describe("loss gradients = central difference of the forward", () => {
  it("softmax_xent_f32, 5 x 7 and 3 x 12", () => {
    gradSoftmax(5, 7);
    gradSoftmax(3, 12);
  });
  it("mse_f32, 5 x 7 and 3 x 12", () => {
    gradMse(5, 7);
    gradMse(3, 12);
  });
});

function gradSoftmax(rows: i32, classes: i32): void {
  const n = rows * classes;
  const x = alloc(n), labels = alloc(rows), d = alloc(n), scratch = alloc(classes);
  fillUniform(x, n, -3, 3);
  fillLabels(labels, rows, classes);
  softmax_xent_f32(d, x, labels, rows, classes);
  const h: f32 = 0.01;
  let worst: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * classes), lr = at(labels, r);
    for (let c = 0; c < classes; c++) {
      const v = load<f32>(at(xr, c));
      const vp = v + h, vm = v - h;
      store<f32>(at(xr, c), vp);
      const lp = softmax_xent_f32_ref(scratch, xr, lr, 1, classes);
      store<f32>(at(xr, c), vm);
      const lm = softmax_xent_f32_ref(scratch, xr, lr, 1, classes);
      store<f32>(at(xr, c), v);
      const fd = (<f64>lp - <f64>lm) / (<f64>vp - <f64>vm);
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(d, r * classes + c)) - fd));
    }
  }
  expect(worst).toBeLessThanOrEqual(1e-3, "softmax_xent dlogits vs central difference");
  heap.free(x); heap.free(labels); heap.free(d); heap.free(scratch);
}

function gradMse(rows: i32, cols: i32): void {
  const n = rows * cols;
  const y = alloc(n), t = alloc(n), g = alloc(n), scratch = alloc(cols);
  fillUniform(y, n, -3, 3);
  fillUniform(t, n, -3, 3);
  mse_f32(g, y, t, rows, cols);
  const h: f32 = 0.01;
  let worst: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const yr = at(y, r * cols), tr = at(t, r * cols);
    for (let c = 0; c < cols; c++) {
      const v = load<f32>(at(yr, c));
      const vp = v + h, vm = v - h;
      store<f32>(at(yr, c), vp);
      const lp = mse_f32_ref(scratch, yr, tr, 1, cols);
      store<f32>(at(yr, c), vm);
      const lm = mse_f32_ref(scratch, yr, tr, 1, cols);
      store<f32>(at(yr, c), v);
      const fd = (<f64>lp - <f64>lm) / (<f64>vp - <f64>vm);
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(g, r * cols + c)) - fd));
    }
  }
  expect(worst).toBeLessThanOrEqual(1e-3, "mse dy vs central difference");
  heap.free(y); heap.free(t); heap.free(g); heap.free(scratch);
}

describe("mse values", () => {
  it("known answer: rows sum of mean squared error, dy = 2 (y - t) / C", () => {
    const y = alloc(6), t = alloc(6), g = alloc(6);
    for (let i = 0; i < 6; i++) { store<f32>(at(y, i), <f32>i); store<f32>(at(t, i), 0); }
    const l = mse_f32(g, y, t, 2, 3); // (0 + 1 + 4) / 3 + (9 + 16 + 25) / 3 = 55 / 3
    expect(l).toBe(<f32>5 / <f32>3 + <f32>50 / <f32>3);
    expect(load<f32>(at(g, 4))).toBe(<f32>8 / <f32>3);
    expect(mse_f32(g, y, t, 2, 0)).toBe(0);
    heap.free(y); heap.free(t); heap.free(g);
  });
});

describe("argmax values", () => {
  it("first maximum, ties, signed zeros, NaN, max in the tail or in any lane", () => {
    const x = alloc(11), out = alloc(1);
    // ties: the first index wins, also across lanes and into the tail
    for (let i = 0; i < 11; i++) store<f32>(at(x, i), 5);
    argmax_f32(out, x, 1, 11);
    expect(load<i32>(out)).toBe(0, "all equal -> 0");
    // every position of a unique max, and a tie with a later copy
    for (let p = 0; p < 11; p++) {
      for (let i = 0; i < 11; i++) store<f32>(at(x, i), <f32>(i % 3) - 10);
      store<f32>(at(x, p), 7);
      if (p + 4 < 11) store<f32>(at(x, p + 4), 7);
      argmax_f32(out, x, 1, 11);
      expect(load<i32>(out)).toBe(p, "max at " + p.toString());
    }
    // -0 and +0 are equal: the first wins
    for (let i = 0; i < 11; i++) store<f32>(at(x, i), -1);
    store<f32>(at(x, 6), -0.0); store<f32>(at(x, 2), 0);
    argmax_f32(out, x, 1, 11);
    expect(load<i32>(out)).toBe(2, "+0 at 2 before -0 at 6");
    // NaN: skipped unless it is x[0]
    store<u32>(at(x, 1), 0x7fc00000);
    argmax_f32(out, x, 1, 11);
    expect(load<i32>(out)).toBe(2, "NaN at 1 skipped");
    store<u32>(at(x, 0), 0x7fc00000);
    argmax_f32(out, x, 1, 11);
    expect(load<i32>(out)).toBe(0, "NaN at 0 wins");
    // cols = 0 writes -1
    argmax_f32(out, x, 1, 0);
    expect(load<i32>(out)).toBe(-1);
    heap.free(x); heap.free(out);
  });
});

// ------------------------------------------------------------------ sequence softmax cross-entropy
const IGNORE = -100;

// labels in [0, C), about one in six IGNORE; mask: none, or about one in five 0.0 (or -0.0), and every
// third example entirely masked
function fillSeq(labels: usize, mask: usize, E: i32, T: i32, C: i32): void {
  for (let e = 0; e < E; e++) {
    for (let t = 0; t < T; t++) {
      const r = e * T + t;
      store<i32>(at(labels, r), nextU32() % 6 == 0 || C == 0 ? IGNORE : <i32>(nextU32() % <u32>C));
      const k = nextU32() % 10;
      store<f32>(at(mask, r), e % 3 == 2 ? <f32>0 : k == 0 ? <f32>0 : k == 1 ? <f32>-0.0 : <f32>1);
    }
  }
}

function checkSeq(E: i32, T: i32, C: i32): void {
  const n = E * T * C;
  const x = alloc(n), labels = alloc(E * T), mask = alloc(E * T), d = alloc(n), dRef = alloc(n), xIn = alloc(n);
  fill(x, n, LARGE);
  fillSeq(labels, mask, E, T, C);
  for (let withMask = 0; withMask < 2; withMask++) for (let mean = 0; mean < 2; mean++) {
    const m = withMask ? mask : 0;
    const label = "seq_softmax_xent " + E.toString() + "x" + T.toString() + "x" + C.toString() +
      (withMask ? " masked" : "") + (mean ? " mean" : " sum");
    fill(d, n, LARGE); // stale: every row is written (+0 where invalid)
    const l = seq_softmax_xent_f32(d, x, labels, m, E, T, C, IGNORE, mean);
    const lRef = seq_softmax_xent_f32_ref(dRef, x, labels, m, E, T, C, IGNORE, mean);
    expect(reinterpret<u32>(l)).toBe(reinterpret<u32>(lRef), label + " loss bits");
    expectSameBits(d, dRef, n, label + " dlogits");
    copy(xIn, x, n);
    const lIn = seq_softmax_xent_f32(xIn, xIn, labels, m, E, T, C, IGNORE, mean);
    expect(reinterpret<u32>(lIn)).toBe(reinterpret<u32>(lRef), label + " loss bits in place");
    expectSameBits(xIn, dRef, n, label + " dlogits in place");
    const cc = seq_correct_count_f32(x, labels, m, E, T, C, IGNORE);
    expect(cc).toBe(seq_correct_count_f32_ref(x, labels, m, E, T, C, IGNORE), label + " correct count");
    expect(seq_valid_count_f32(labels, m, E, T, IGNORE)).toBe(seq_valid_count_f32_ref(labels, m, E, T, IGNORE),
      label + " valid count");
  }
  heap.free(x); heap.free(labels); heap.free(mask); heap.free(d); heap.free(dRef); heap.free(xIn);
}

describe("sequence losses = _ref twins, bit for bit", () => {
  it("seq_softmax_xent_f32, seq_correct_count_f32, seq_valid_count_f32 over E x T x C, masks, means", () => {
    const ES: i32[] = [0, 1, 2, 4], TS: i32[] = [0, 1, 3, 5];
    for (let i = 0; i < ES.length; i++) for (let j = 0; j < TS.length; j++) for (let k = 0; k < SIZES.length; k++) {
      checkSeq(ES[i], TS[j], SIZES[k]);
    }
    checkSeq(3, 20, 50);
  });
});

describe("sequence loss values", () => {
  it("one example, nothing masked, sum: the loss and dlogits of softmax_xent_f32 over its rows", () => {
    const T = 7, C = 11, n = T * C;
    const x = alloc(n), labels = alloc(T), d = alloc(n), d2 = alloc(n);
    fill(x, n, LARGE);
    for (let t = 0; t < T; t++) store<i32>(at(labels, t), <i32>(nextU32() % <u32>C));
    const l = seq_softmax_xent_f32(d, x, labels, 0, 1, T, C, IGNORE, 0);
    const l2 = softmax_xent_f32(d2, x, labels, T, C);
    expect(reinterpret<u32>(l)).toBe(reinterpret<u32>(l2), "loss");
    expectSameBits(d, d2, n, "dlogits", false);
    // mean: every g times 1/T (one product) and the loss S * (1/T)
    const lm = seq_softmax_xent_f32(d, x, labels, 0, 1, T, C, IGNORE, 1);
    const w = <f32>1 / <f32>T;
    expect(lm).toBe(l2 * w, "mean loss");
    for (let i = 0; i < n; i++) expect(load<f32>(at(d, i))).toBe(load<f32>(at(d2, i)) * w, "mean dlogits");
    // ignore position 2, mask position 4: the mean runs over 5 positions, those rows are +0
    store<i32>(at(labels, 2), IGNORE);
    const mask = alloc(T);
    for (let t = 0; t < T; t++) store<f32>(at(mask, t), t == 4 ? <f32>0 : <f32>1);
    const lv = seq_softmax_xent_f32(d, x, labels, mask, 1, T, C, IGNORE, 1);
    let want: f64 = 0;
    for (let t = 0; t < T; t++) {
      if (t == 2 || t == 4) continue;
      want += <f64>softmax_xent_f32_ref(d2, at(x, t * C), at(labels, t), 1, C);
    }
    want /= 5;
    expect(Math.abs(<f64>lv - want)).toBeLessThanOrEqual(1e-6 * want, "masked mean vs f64");
    for (let c = 0; c < C; c++) {
      expect(load<u32>(at(d, 2 * C + c))).toBe(0, "ignored row +0");
      expect(load<u32>(at(d, 4 * C + c))).toBe(0, "masked row +0");
    }
    expect(seq_valid_count_f32(labels, mask, 1, T, IGNORE)).toBe(5);
    // every position invalid: loss 0, all +0, no NaN from 1 / 0
    for (let t = 0; t < T; t++) store<f32>(at(mask, t), 0);
    expect(seq_softmax_xent_f32(d, x, labels, mask, 1, T, C, IGNORE, 1)).toBe(0);
    for (let i = 0; i < n; i++) expect(load<u32>(at(d, i))).toBe(0, "all invalid -> +0");
    heap.free(x); heap.free(labels); heap.free(d); heap.free(d2); heap.free(mask);
  });
  it("seq_correct_count_f32 counts valid positions whose first maximum is the label", () => {
    // E = 1, T = 4, C = 3
    const x = alloc(12), labels = alloc(4), mask = alloc(4);
    const xv: f32[] = [0, 5, 1,   2, 2, 0,   9, 0, 0,   0, 0, 1];
    for (let i = 0; i < 12; i++) store<f32>(at(x, i), xv[i]);
    const lv: i32[] = [1, 1, IGNORE, 2];
    for (let t = 0; t < 4; t++) { store<i32>(at(labels, t), lv[t]); store<f32>(at(mask, t), 1); }
    expect(seq_correct_count_f32(x, labels, 0, 1, 4, 3, IGNORE)).toBe(2, "tie at 2, 2 picks class 0");
    store<f32>(at(mask, 3), 0);
    expect(seq_correct_count_f32(x, labels, mask, 1, 4, 3, IGNORE)).toBe(1, "masked position not counted");
    heap.free(x); heap.free(labels); heap.free(mask);
  });
});

// ------------------------------------------------------------------ binary cross-entropy with logits
function checkBce(rows: i32, n: i32): void {
  const label = "bce " + rows.toString() + "x" + n.toString();
  const len = rows * n;
  const x = alloc(len), t = alloc(len), g = alloc(len), gRef = alloc(len), buf = alloc(len);
  fill(x, len, LARGE);
  for (let i = 0; i < len; i++) {
    const k = nextU32() % 4;
    store<f32>(at(t, i), k == 0 ? <f32>0 : k == 1 ? <f32>1 : uniform()); // hard and soft targets
  }
  fill(g, len, LARGE);
  const l = bce_logits_f32(g, x, t, rows, n);
  const lRef = bce_logits_f32_ref(gRef, x, t, rows, n);
  expect(reinterpret<u32>(l)).toBe(reinterpret<u32>(lRef), label + " loss bits");
  expectSameBits(g, gRef, len, label + " dx");
  copy(buf, x, len);
  const lIn = bce_logits_f32(buf, buf, t, rows, n);
  expect(reinterpret<u32>(lIn)).toBe(reinterpret<u32>(lRef), label + " loss bits, dx = x");
  expectSameBits(buf, gRef, len, label + " dx = x");
  heap.free(x); heap.free(t); heap.free(g); heap.free(gRef); heap.free(buf);
}

describe("bce_logits_f32 = _ref twin, bit for bit", () => {
  it("rows x n at the tail sizes, also dx = x", () => {
    for (let i = 0; i < SIZES.length; i++) for (let j = 0; j < SIZES.length; j++) checkBce(SIZES[i], SIZES[j]);
    checkBce(3, 1000);
  });
});

describe("bce_logits values", () => {
  it("matches an f64 evaluation, stays finite for large logits, n = 0 returns 0", () => {
    const rows = 5, n = 13, len = rows * n;
    const x = alloc(len), t = alloc(len), g = alloc(len);
    for (let i = 0; i < len; i++) { store<f32>(at(x, i), uniform() * 40 - 20); store<f32>(at(t, i), uniform()); }
    store<f32>(at(x, 3), 90); store<f32>(at(x, 4), -90); // exp(90) overflows f32: the stable form does not
    const l = bce_logits_f32(g, x, t, rows, n);
    let want: f64 = 0;
    for (let r = 0; r < rows; r++) {
      let s: f64 = 0;
      for (let j = 0; j < n; j++) {
        const xv = <f64>load<f32>(at(x, r * n + j)), tv = <f64>load<f32>(at(t, r * n + j));
        s += Math.max(xv, 0) - xv * tv + Math.log(1 + Math.exp(-Math.abs(xv)));
        const sig = 1 / (1 + Math.exp(-xv));
        expect(Math.abs(<f64>load<f32>(at(g, r * n + j)) - (sig - tv) / n)).toBeLessThanOrEqual(1e-7, "dx vs f64");
      }
      want += s / n;
    }
    expect(Math.abs(<f64>l - want)).toBeLessThanOrEqual(2e-6 * want, "loss vs f64");
    expect(bce_logits_f32(g, x, t, rows, 0)).toBe(0);
    heap.free(x); heap.free(t); heap.free(g);
  });
});

describe("sequence and bce gradients = central difference of the forward", () => {
  it("seq_softmax_xent_f32: 2 examples x 4 positions x 5 classes, masked, ignored, mean", () => {
    const E = 2, T = 4, C = 5, n = E * T * C;
    const x = alloc(n), labels = alloc(E * T), mask = alloc(E * T), d = alloc(n), scratch = alloc(n);
    fillUniform(x, n, -3, 3);
    const lv: i32[] = [0, 4, IGNORE, 2,   1, 1, 3, 0];
    const mv: f32[] = [1, 1, 1, 0,   1, 1, 1, 1];
    for (let r = 0; r < E * T; r++) { store<i32>(at(labels, r), lv[r]); store<f32>(at(mask, r), mv[r]); }
    seq_softmax_xent_f32(d, x, labels, mask, E, T, C, IGNORE, 1);
    const h: f32 = 0.01;
    let worst: f64 = 0;
    for (let k = 0; k < n; k++) {
      const v = load<f32>(at(x, k)), vp = v + h, vm = v - h;
      store<f32>(at(x, k), vp);
      const lp = seq_softmax_xent_f32_ref(scratch, x, labels, mask, E, T, C, IGNORE, 1);
      store<f32>(at(x, k), vm);
      const lm = seq_softmax_xent_f32_ref(scratch, x, labels, mask, E, T, C, IGNORE, 1);
      store<f32>(at(x, k), v);
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(d, k)) - (<f64>lp - <f64>lm) / (<f64>vp - <f64>vm)));
    }
    expect(worst).toBeLessThanOrEqual(1e-3, "seq_softmax_xent dlogits vs central difference");
    heap.free(x); heap.free(labels); heap.free(mask); heap.free(d); heap.free(scratch);
  });
  it("bce_logits_f32: 3 x 7, soft targets", () => {
    const rows = 3, n = 7, len = rows * n;
    const x = alloc(len), t = alloc(len), g = alloc(len), scratch = alloc(len);
    fillUniform(x, len, -4, 4);
    fillUniform(t, len, 0, 1);
    bce_logits_f32(g, x, t, rows, n);
    const h: f32 = 0.01;
    let worst: f64 = 0;
    for (let k = 0; k < len; k++) {
      const v = load<f32>(at(x, k)), vp = v + h, vm = v - h;
      store<f32>(at(x, k), vp);
      const lp = bce_logits_f32_ref(scratch, x, t, rows, n);
      store<f32>(at(x, k), vm);
      const lm = bce_logits_f32_ref(scratch, x, t, rows, n);
      store<f32>(at(x, k), v);
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(g, k)) - (<f64>lp - <f64>lm) / (<f64>vp - <f64>vm)));
    }
    expect(worst).toBeLessThanOrEqual(1e-3, "bce dx vs central difference");
    heap.free(x); heap.free(t); heap.free(g); heap.free(scratch);
  });
});
