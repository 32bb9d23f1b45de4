// test/assembly/recurrent.spec.ts
// assembly/kernels/recurrent.ts against its scalar twins (assembly/ref/recurrent.ts) bit for bit: the LSTM
// and GRU cells forward and backward over rows x every tail hidden size, with strided gx / dgx rows (gaps
// left untouched), no mask and masks of every kind (0.0, -0.0, NaN = kept, strided), stale outputs, guard
// zones, extreme and infinite inputs, and the aliasing the contract allows (dcPrev = dc, dhPrev = dh).
// Known answers against an f64 evaluation of PyTorch's equations, masked rows passing the state through;
// every backward output against central differences of the forward.

import { gru_cell_backward_f32, gru_cell_forward_f32, lstm_cell_backward_f32, lstm_cell_forward_f32 } from "../../assembly/kernels/recurrent";
import {
  gru_cell_backward_f32_ref, gru_cell_forward_f32_ref, lstm_cell_backward_f32_ref, lstm_cell_forward_f32_ref,
} from "../../assembly/ref/recurrent";
import { alloc, at, copy, expectSameBits, fill, mismatches, reseed, uniform } from "./helpers";

const HDS: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
const ROWS: i32[] = [0, 1, 3, 5];
reseed(1703);

// mask[r * ms]: row 1 +0, row 2 NaN (kept), row 3 -0, the rest 1.
function fillMask(m: usize, rows: i32, ms: i32): void {
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < ms; s++) store<f32>(at(m, r * ms + s), 7); // the gaps are never read as a mask
    const v: f32 = r == 1 ? 0 : r == 2 ? NaN : r == 3 ? -0.0 : 1;
    store<f32>(at(m, r * ms), v);
  }
}

function checkLstm(rows: i32, Hd: i32, gxPad: i32, withMask: bool, ms: i32): void {
  const label = "lstm rows=" + rows.toString() + " Hd=" + Hd.toString() + " pad=" + gxPad.toString() + (withMask ? " masked" : "");
  const G = 4 * Hd, gs = G + gxPad, nh = rows * Hd, ng = rows * G, nx = rows * gs;
  const gx = alloc(nx), gh = alloc(ng), cp = alloc(nh), hp = alloc(nh), m = alloc(rows * ms);
  const gates = alloc(ng), gatesRef = alloc(ng), c = alloc(nh), cRef = alloc(nh), h = alloc(nh), hRef = alloc(nh);
  fill(gx, nx, 30, 1e-4, true); fill(gh, ng, 30); fill(cp, nh, 30, 1e-4, true); fill(hp, nh, 30);
  fillMask(m, rows, ms);
  const mask = withMask ? m : 0;
  fill(gates, ng, 1e3); fill(c, nh, 1e3); fill(h, nh, 1e3); // stale
  lstm_cell_forward_f32(gates, c, h, gx, gs, gh, cp, hp, mask, ms, rows, Hd);
  lstm_cell_forward_f32_ref(gatesRef, cRef, hRef, gx, gs, gh, cp, hp, mask, ms, rows, Hd);
  expectSameBits(gates, gatesRef, ng, label + " gates");
  expectSameBits(c, cRef, nh, label + " c");
  expectSameBits(h, hRef, nh, label + " h");
  // backward, from the forward's gates and c
  const dh = alloc(nh), dc = alloc(nh), dgx = alloc(nx), dgxRef = alloc(nx);
  const dcp = alloc(nh), dcpRef = alloc(nh), dhp = alloc(nh), dhpRef = alloc(nh), dcIn = alloc(nh), dhIn = alloc(nh);
  fill(dh, nh, 1e3); fill(dc, nh, 1e3);
  fill(dgx, nx, 1e3); copy(dgxRef, dgx, nx); // equal stale values: the row gaps must stay as they are
  fill(dcp, nh, 1e3); fill(dhp, nh, 1e3);
  lstm_cell_backward_f32(dgx, gs, dcp, dhp, dh, dc, gatesRef, cRef, cp, mask, ms, rows, Hd);
  lstm_cell_backward_f32_ref(dgxRef, gs, dcpRef, dhpRef, dh, dc, gatesRef, cRef, cp, mask, ms, rows, Hd);
  expectSameBits(dgx, dgxRef, nx, label + " dgx");
  expectSameBits(dcp, dcpRef, nh, label + " dcPrev");
  expectSameBits(dhp, dhpRef, nh, label + " dhPrev");
  // dcPrev = dc and dhPrev = dh in place
  copy(dcIn, dc, nh); copy(dhIn, dh, nh);
  lstm_cell_backward_f32(dgx, gs, dcIn, dhIn, dhIn, dcIn, gatesRef, cRef, cp, mask, ms, rows, Hd);
  expectSameBits(dcIn, dcpRef, nh, label + " dcPrev = dc");
  expectSameBits(dhIn, dhpRef, nh, label + " dhPrev = dh");
  expectSameBits(dgx, dgxRef, nx, label + " dgx (in place run)");
  heap.free(gx); heap.free(gh); heap.free(cp); heap.free(hp); heap.free(m); heap.free(gates); heap.free(gatesRef);
  heap.free(c); heap.free(cRef); heap.free(h); heap.free(hRef); heap.free(dh); heap.free(dc); heap.free(dgx);
  heap.free(dgxRef); heap.free(dcp); heap.free(dcpRef); heap.free(dhp); heap.free(dhpRef); heap.free(dcIn); heap.free(dhIn);
}

function checkGru(rows: i32, Hd: i32, gxPad: i32, withMask: bool, ms: i32): void {
  const label = "gru rows=" + rows.toString() + " Hd=" + Hd.toString() + " pad=" + gxPad.toString() + (withMask ? " masked" : "");
  const G = 3 * Hd, gs = G + gxPad, nh = rows * Hd, ng = rows * G, nx = rows * gs;
  const gx = alloc(nx), gh = alloc(ng), hp = alloc(nh), m = alloc(rows * ms);
  const gates = alloc(ng), gatesRef = alloc(ng), h = alloc(nh), hRef = alloc(nh);
  fill(gx, nx, 30, 1e-4, true); fill(gh, ng, 30); fill(hp, nh, 30, 1e-4, true);
  fillMask(m, rows, ms);
  const mask = withMask ? m : 0;
  fill(gates, ng, 1e3); fill(h, nh, 1e3);
  gru_cell_forward_f32(gates, h, gx, gs, gh, hp, mask, ms, rows, Hd);
  gru_cell_forward_f32_ref(gatesRef, hRef, gx, gs, gh, hp, mask, ms, rows, Hd);
  expectSameBits(gates, gatesRef, ng, label + " gates");
  expectSameBits(h, hRef, nh, label + " h");
  const dh = alloc(nh), dgx = alloc(nx), dgxRef = alloc(nx), dgh = alloc(ng), dghRef = alloc(ng);
  const dhp = alloc(nh), dhpRef = alloc(nh), dhIn = alloc(nh);
  fill(dh, nh, 1e3);
  fill(dgx, nx, 1e3); copy(dgxRef, dgx, nx);
  fill(dgh, ng, 1e3); fill(dhp, nh, 1e3);
  gru_cell_backward_f32(dgx, gs, dgh, dhp, dh, gatesRef, gh, hp, mask, ms, rows, Hd);
  gru_cell_backward_f32_ref(dgxRef, gs, dghRef, dhpRef, dh, gatesRef, gh, hp, mask, ms, rows, Hd);
  expectSameBits(dgx, dgxRef, nx, label + " dgx");
  expectSameBits(dgh, dghRef, ng, label + " dgh");
  expectSameBits(dhp, dhpRef, nh, label + " dhPrev");
  copy(dhIn, dh, nh);
  gru_cell_backward_f32(dgx, gs, dgh, dhIn, dhIn, gatesRef, gh, hp, mask, ms, rows, Hd);
  expectSameBits(dhIn, dhpRef, nh, label + " dhPrev = dh");
  heap.free(gx); heap.free(gh); heap.free(hp); heap.free(m); heap.free(gates); heap.free(gatesRef);
  heap.free(h); heap.free(hRef); heap.free(dh); heap.free(dgx); heap.free(dgxRef); heap.free(dgh);
  heap.free(dghRef); heap.free(dhp); heap.free(dhpRef); heap.free(dhIn);
}

describe("recurrent cells = _ref twins, bit for bit", () => {
  it("LSTM forward and backward: rows x every tail hidden size, contiguous and strided gx, with and without masks", () => {
    for (let a = 0; a < ROWS.length; a++) for (let b = 0; b < HDS.length; b++) {
      checkLstm(ROWS[a], HDS[b], 0, false, 1);
      checkLstm(ROWS[a], HDS[b], 3, true, 1);
      checkLstm(ROWS[a], HDS[b], 0, true, 3);
    }
    checkLstm(32, 128, 0, false, 1); // the benchmark's shape
  });
  it("GRU forward and backward: rows x every tail hidden size, contiguous and strided gx, with and without masks", () => {
    for (let a = 0; a < ROWS.length; a++) for (let b = 0; b < HDS.length; b++) {
      checkGru(ROWS[a], HDS[b], 0, false, 1);
      checkGru(ROWS[a], HDS[b], 5, true, 1);
      checkGru(ROWS[a], HDS[b], 0, true, 2);
    }
    checkGru(32, 128, 0, true, 50);
  });
});

// ---------------------------------------------------------------- known answers (f64 equations)
function sig(x: f64): f64 { return 1 / (1 + Math.exp(-x)); }
// Gate k's column j of row r of a [rows, G] buffer, in f64.
function gate(p: usize, r: i32, G: i32, k: i32, Hd: i32, j: i32): f64 {
  return <f64>load<f32>(at(p, r * G + k * Hd + j));
}

describe("recurrent cells against f64 equations", () => {
  it("LSTM: gates in PyTorch's order i, f, g, o; c and h; masked rows copy the state", () => {
    const rows = 3, Hd = 6, G = 24;
    const gx = alloc(rows * G), gh = alloc(rows * G), cp = alloc(rows * Hd), hp = alloc(rows * Hd), m = alloc(rows);
    const gates = alloc(rows * G), c = alloc(rows * Hd), h = alloc(rows * Hd);
    for (let i = 0; i < rows * G; i++) { store<f32>(at(gx, i), uniform() * 6 - 3); store<f32>(at(gh, i), uniform() * 2 - 1); }
    for (let i = 0; i < rows * Hd; i++) { store<f32>(at(cp, i), uniform() * 4 - 2); store<f32>(at(hp, i), uniform() * 2 - 1); }
    store<f32>(at(m, 0), 1); store<f32>(at(m, 1), -0.0); store<f32>(at(m, 2), NaN);
    lstm_cell_forward_f32(gates, c, h, gx, G, gh, cp, hp, m, 1, rows, Hd);
    let worst: f64 = 0;
    for (let r = 0; r < rows; r++) for (let j = 0; j < Hd; j++) {
      const i = sig(gate(gx, r, G, 0, Hd, j) + gate(gh, r, G, 0, Hd, j));
      const f = sig(gate(gx, r, G, 1, Hd, j) + gate(gh, r, G, 1, Hd, j));
      const g = Math.tanh(gate(gx, r, G, 2, Hd, j) + gate(gh, r, G, 2, Hd, j));
      const o = sig(gate(gx, r, G, 3, Hd, j) + gate(gh, r, G, 3, Hd, j));
      const want: f64[] = [i, f, g, o];
      for (let k = 0; k < 4; k++) worst = Math.max(worst, Math.abs(<f64>load<f32>(at(gates, r * G + k * Hd + j)) - want[k]));
      if (r == 1) {
        expect(load<u32>(at(c, r * Hd + j))).toBe(load<u32>(at(cp, r * Hd + j)), "masked row: c = cPrev");
        expect(load<u32>(at(h, r * Hd + j))).toBe(load<u32>(at(hp, r * Hd + j)), "masked row: h = hPrev");
      } else {
        const cv = f * <f64>load<f32>(at(cp, r * Hd + j)) + i * g;
        worst = Math.max(worst, Math.abs(<f64>load<f32>(at(c, r * Hd + j)) - cv));
        worst = Math.max(worst, Math.abs(<f64>load<f32>(at(h, r * Hd + j)) - o * Math.tanh(cv)));
      }
    }
    expect(worst).toBeLessThanOrEqual(2e-6, "LSTM vs f64");
    heap.free(gx); heap.free(gh); heap.free(cp); heap.free(hp); heap.free(m); heap.free(gates); heap.free(c); heap.free(h);
  });
  it("GRU: r, z, n with r applied to gh_n (b_hn inside), h = (1 - z) n + z hPrev; masked rows copy hPrev", () => {
    const rows = 3, Hd = 5, G = 15;
    const gx = alloc(rows * G), gh = alloc(rows * G), hp = alloc(rows * Hd), m = alloc(rows);
    const gates = alloc(rows * G), h = alloc(rows * Hd);
    for (let i = 0; i < rows * G; i++) { store<f32>(at(gx, i), uniform() * 6 - 3); store<f32>(at(gh, i), uniform() * 4 - 2); }
    for (let i = 0; i < rows * Hd; i++) store<f32>(at(hp, i), uniform() * 2 - 1);
    store<f32>(at(m, 0), 0); store<f32>(at(m, 1), 1); store<f32>(at(m, 2), 0.5);
    gru_cell_forward_f32(gates, h, gx, G, gh, hp, m, 1, rows, Hd);
    let worst: f64 = 0;
    for (let r = 0; r < rows; r++) for (let j = 0; j < Hd; j++) {
      const rv = sig(gate(gx, r, G, 0, Hd, j) + gate(gh, r, G, 0, Hd, j));
      const z = sig(gate(gx, r, G, 1, Hd, j) + gate(gh, r, G, 1, Hd, j));
      const n = Math.tanh(gate(gx, r, G, 2, Hd, j) + rv * gate(gh, r, G, 2, Hd, j));
      const want: f64[] = [rv, z, n];
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(<f64>load<f32>(at(gates, r * G + k * Hd + j)) - want[k]));
      if (r == 0) {
        expect(load<u32>(at(h, j))).toBe(load<u32>(at(hp, j)), "masked row: h = hPrev");
      } else {
        const hv = (1 - z) * n + z * <f64>load<f32>(at(hp, r * Hd + j));
        worst = Math.max(worst, Math.abs(<f64>load<f32>(at(h, r * Hd + j)) - hv));
      }
    }
    expect(worst).toBeLessThanOrEqual(2e-6, "GRU vs f64");
    heap.free(gx); heap.free(gh); heap.free(hp); heap.free(m); heap.free(gates); heap.free(h);
  });
  it("backward of a masked row: dgx = +0, the gradients pass through", () => {
    const Hd = 5;
    const gates = alloc(4 * Hd), c = alloc(Hd), cp = alloc(Hd), dh = alloc(Hd), dc = alloc(Hd), m = alloc(1);
    const dgx = alloc(4 * Hd), dgh = alloc(3 * Hd), dcp = alloc(Hd), dhp = alloc(Hd), gh = alloc(3 * Hd);
    fill(gates, 4 * Hd, 1); fill(c, Hd, 1); fill(cp, Hd, 1); fill(dh, Hd, 10); fill(dc, Hd, 10); fill(gh, 3 * Hd, 1);
    fill(dgx, 4 * Hd, 5); fill(dgh, 3 * Hd, 5);
    store<f32>(at(m, 0), 0);
    lstm_cell_backward_f32(dgx, 4 * Hd, dcp, dhp, dh, dc, gates, c, cp, m, 1, 1, Hd);
    for (let j = 0; j < 4 * Hd; j++) expect(load<u32>(at(dgx, j))).toBe(0, "LSTM dgx +0");
    expect(mismatches(dcp, dc, Hd)).toBe(0, "dcPrev = dc");
    expect(mismatches(dhp, dh, Hd)).toBe(0, "dhPrev = dh");
    fill(dgx, 4 * Hd, 5);
    gru_cell_backward_f32(dgx, 3 * Hd, dgh, dhp, dh, gates, gh, cp, m, 1, 1, Hd);
    for (let j = 0; j < 3 * Hd; j++) {
      expect(load<u32>(at(dgx, j))).toBe(0, "GRU dgx +0");
      expect(load<u32>(at(dgh, j))).toBe(0, "GRU dgh +0");
    }
    expect(mismatches(dhp, dh, Hd)).toBe(0, "GRU dhPrev = dh");
    heap.free(gates); heap.free(c); heap.free(cp); heap.free(dh); heap.free(dc); heap.free(m);
    heap.free(dgx); heap.free(dgh); heap.free(dcp); heap.free(dhp); heap.free(gh);
  });
});

// ---------------------------------------------------------------- central differences
// LSTM: L = sum wc * c + wh * h over the twin forward (f64 sum). The backward with dc = wc, dh = wh gives
// dL/da for a = gx + gh (checked by perturbing gx), dcPrev (perturbing cPrev) and dhPrev (perturbing
// hPrev: 0 on real rows, where h_{t-1} only enters through gh, the caller's GEMM; wh on masked rows).
const H_STEP: f32 = 0.01;

function lstmLoss(gx: usize, gh: usize, cp: usize, hp: usize, m: usize, rows: i32, Hd: i32, wc: usize, wh: usize,
                  gates: usize, c: usize, h: usize): f64 {
  lstm_cell_forward_f32_ref(gates, c, h, gx, 4 * Hd, gh, cp, hp, m, 1, rows, Hd);
  let s: f64 = 0;
  for (let i = 0; i < rows * Hd; i++) {
    s += <f64>load<f32>(at(wc, i)) * <f64>load<f32>(at(c, i)) + <f64>load<f32>(at(wh, i)) * <f64>load<f32>(at(h, i));
  }
  return s;
}

function gruLoss(gx: usize, gh: usize, hp: usize, m: usize, rows: i32, Hd: i32, wh: usize, gates: usize, h: usize): f64 {
  gru_cell_forward_f32_ref(gates, h, gx, 3 * Hd, gh, hp, m, 1, rows, Hd);
  let s: f64 = 0;
  for (let i = 0; i < rows * Hd; i++) s += <f64>load<f32>(at(wh, i)) * <f64>load<f32>(at(h, i));
  return s;
}

// The worst |analytic - central difference| over every element of buffer p (n elements).
function worstOver(p: usize, n: i32, grad: usize, lossFn: () => f64): f64 {
  let worst: f64 = 0;
  for (let k = 0; k < n; k++) {
    const v = load<f32>(at(p, k)), vp = v + H_STEP, vm = v - H_STEP;
    store<f32>(at(p, k), vp);
    const lp = lossFn();
    store<f32>(at(p, k), vm);
    const lm = lossFn();
    store<f32>(at(p, k), v);
    worst = Math.max(worst, Math.abs(<f64>load<f32>(at(grad, k)) - (lp - lm) / (<f64>vp - <f64>vm)));
  }
  return worst;
}

// globals for the closures (AssemblyScript closures cannot capture locals)
let R = 0, HD = 0;
let GX: usize = 0, GH: usize = 0, CP: usize = 0, HP: usize = 0, M: usize = 0, WC: usize = 0, WH: usize = 0;
let GATES: usize = 0, C: usize = 0, HH: usize = 0;

describe("recurrent backward = central difference of the forward", () => {
  it("LSTM: dgx, dcPrev, dhPrev over 3 rows (one masked) of hidden size 5", () => {
    R = 3; HD = 5;
    const nh = R * HD, ng = 4 * nh;
    GX = alloc(ng); GH = alloc(ng); CP = alloc(nh); HP = alloc(nh); M = alloc(R); WC = alloc(nh); WH = alloc(nh);
    GATES = alloc(ng); C = alloc(nh); HH = alloc(nh);
    for (let i = 0; i < ng; i++) { store<f32>(at(GX, i), uniform() * 4 - 2); store<f32>(at(GH, i), uniform() * 2 - 1); }
    for (let i = 0; i < nh; i++) {
      store<f32>(at(CP, i), uniform() * 2 - 1); store<f32>(at(HP, i), uniform() * 2 - 1);
      store<f32>(at(WC, i), uniform() * 2 - 1); store<f32>(at(WH, i), uniform() * 2 - 1);
    }
    store<f32>(at(M, 0), 1); store<f32>(at(M, 1), 0); store<f32>(at(M, 2), 1);
    const dgx = alloc(ng), dcp = alloc(nh), dhp = alloc(nh);
    lstm_cell_forward_f32(GATES, C, HH, GX, 4 * HD, GH, CP, HP, M, 1, R, HD);
    lstm_cell_backward_f32(dgx, 4 * HD, dcp, dhp, WH, WC, GATES, C, CP, M, 1, R, HD);
    const loss = (): f64 => lstmLoss(GX, GH, CP, HP, M, R, HD, WC, WH, GATES, C, HH);
    expect(worstOver(GX, ng, dgx, loss)).toBeLessThanOrEqual(1e-3, "LSTM dgx");
    expect(worstOver(CP, nh, dcp, loss)).toBeLessThanOrEqual(1e-3, "LSTM dcPrev");
    expect(worstOver(HP, nh, dhp, loss)).toBeLessThanOrEqual(1e-3, "LSTM dhPrev");
    for (let j = 0; j < HD; j++) expect(load<f32>(at(dhp, HD + j))).toBe(load<f32>(at(WH, HD + j)), "masked dhPrev = dh");
    heap.free(GX); heap.free(GH); heap.free(CP); heap.free(HP); heap.free(M); heap.free(WC); heap.free(WH);
    heap.free(GATES); heap.free(C); heap.free(HH); heap.free(dgx); heap.free(dcp); heap.free(dhp);
  });
  it("GRU: dgx, dgh, dhPrev over 3 rows (one masked) of hidden size 6", () => {
    R = 3; HD = 6;
    const nh = R * HD, ng = 3 * nh;
    GX = alloc(ng); GH = alloc(ng); HP = alloc(nh); M = alloc(R); WH = alloc(nh); GATES = alloc(ng); HH = alloc(nh);
    for (let i = 0; i < ng; i++) { store<f32>(at(GX, i), uniform() * 4 - 2); store<f32>(at(GH, i), uniform() * 4 - 2); }
    for (let i = 0; i < nh; i++) { store<f32>(at(HP, i), uniform() * 2 - 1); store<f32>(at(WH, i), uniform() * 2 - 1); }
    store<f32>(at(M, 0), 1); store<f32>(at(M, 1), 1); store<f32>(at(M, 2), 0);
    const dgx = alloc(ng), dgh = alloc(ng), dhp = alloc(nh);
    gru_cell_forward_f32(GATES, HH, GX, 3 * HD, GH, HP, M, 1, R, HD);
    gru_cell_backward_f32(dgx, 3 * HD, dgh, dhp, WH, GATES, GH, HP, M, 1, R, HD);
    const loss = (): f64 => gruLoss(GX, GH, HP, M, R, HD, WH, GATES, HH);
    expect(worstOver(GX, ng, dgx, loss)).toBeLessThanOrEqual(1e-3, "GRU dgx");
    expect(worstOver(GH, ng, dgh, loss)).toBeLessThanOrEqual(1e-3, "GRU dgh");
    expect(worstOver(HP, nh, dhp, loss)).toBeLessThanOrEqual(1e-3, "GRU dhPrev");
    heap.free(GX); heap.free(GH); heap.free(HP); heap.free(M); heap.free(WH); heap.free(GATES); heap.free(HH);
    heap.free(dgx); heap.free(dgh); heap.free(dhp);
  });
});
