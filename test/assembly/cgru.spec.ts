// test/assembly/cgru.spec.ts
// assembly/kernels/cgru.ts against its scalar twins (assembly/ref/cgru.ts) bit for bit: the gate kernels
// over positions x every tail channel count, the output kernels over every tail length, writing and
// accumulating, with the aliasing the contract allows (cand = a, da = dy), stale outputs, guard zones and
// infinite inputs. Known answers (f64 equations; u saturated at 1 or 0 gives y = s or y = tanh(a) exactly)
// and every backward output against central differences of the forward; all of it for the plain sigmoid
// gates (cutoff 1) and for the released code's cutoff 1.2, whose gates reach 0 and 1 exactly.

import { cgru_gate_backward_f32, cgru_gate_forward_f32, cgru_out_backward_f32, cgru_out_forward_f32 } from "../../assembly/kernels/cgru";
import {
  cgru_gate_backward_f32_ref, cgru_gate_forward_f32_ref, cgru_out_backward_f32_ref, cgru_out_forward_f32_ref,
} from "../../assembly/ref/cgru";
import { alloc, at, copy, expectSameBits, fill, reseed, uniform } from "./helpers";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
const POS: i32[] = [0, 1, 3, 5];
reseed(1704);

const CUTOFFS: f32[] = [1, 1.2];

function checkGates(n: i32, C: i32, cutoff: f32): void {
  const label = "cgru gates n=" + n.toString() + " C=" + C.toString() + " cutoff=" + cutoff.toString();
  const nc = n * C;
  const g = alloc(2 * nc), s = alloc(nc), u = alloc(nc), uRef = alloc(nc), r = alloc(nc), rRef = alloc(nc);
  const rs = alloc(nc), rsRef = alloc(nc);
  fill(g, 2 * nc, 30, 1e-4, true); fill(s, nc, 1e3, 1e-4, true);
  fill(u, nc, 1e3); fill(r, nc, 1e3); fill(rs, nc, 1e3);
  cgru_gate_forward_f32(u, r, rs, g, s, n, C, cutoff);
  cgru_gate_forward_f32_ref(uRef, rRef, rsRef, g, s, n, C, cutoff);
  expectSameBits(u, uRef, nc, label + " u");
  expectSameBits(r, rRef, nc, label + " r");
  expectSameBits(rs, rsRef, nc, label + " rs");
  const dg = alloc(2 * nc), dgRef = alloc(2 * nc), ds = alloc(nc), dsRef = alloc(nc), drs = alloc(nc), du = alloc(nc);
  fill(drs, nc, 1e3); fill(du, nc, 1e3); fill(ds, nc, 1e3); copy(dsRef, ds, nc); fill(dg, 2 * nc, 1e3);
  cgru_gate_backward_f32(dg, ds, drs, uRef, rRef, s, du, n, C, cutoff);
  cgru_gate_backward_f32_ref(dgRef, dsRef, drs, uRef, rRef, s, du, n, C, cutoff);
  expectSameBits(dg, dgRef, 2 * nc, label + " dg");
  expectSameBits(ds, dsRef, nc, label + " ds (accumulated)");
  heap.free(g); heap.free(s); heap.free(u); heap.free(uRef); heap.free(r); heap.free(rRef); heap.free(rs); heap.free(rsRef);
  heap.free(dg); heap.free(dgRef); heap.free(ds); heap.free(dsRef); heap.free(drs); heap.free(du);
}

function checkOut(n: i32): void {
  const label = "cgru out n=" + n.toString();
  const u = alloc(n), s = alloc(n), a = alloc(n), y = alloc(n), yRef = alloc(n), cand = alloc(n), candRef = alloc(n);
  const aIn = alloc(n), yIn = alloc(n);
  // u in [0, 1] (a sigmoid's output, some exactly 0 or 1), s and a anything
  for (let i = 0; i < n; i++) store<f32>(at(u, i), i % 7 == 0 ? <f32>1 : i % 11 == 0 ? <f32>0 : uniform());
  fill(s, n, 1e3, 1e-4, true); fill(a, n, 30, 1e-4, true);
  fill(y, n, 1e3); fill(cand, n, 1e3);
  cgru_out_forward_f32(y, cand, u, s, a, n);
  cgru_out_forward_f32_ref(yRef, candRef, u, s, a, n);
  expectSameBits(y, yRef, n, label + " y");
  expectSameBits(cand, candRef, n, label + " cand");
  copy(aIn, a, n);
  cgru_out_forward_f32(yIn, aIn, u, s, aIn, n);
  expectSameBits(aIn, candRef, n, label + " cand = a");
  expectSameBits(yIn, yRef, n, label + " y (cand = a)");
  const dy = alloc(n), du = alloc(n), duRef = alloc(n), ds = alloc(n), dsRef = alloc(n), da = alloc(n), daRef = alloc(n);
  const dyIn = alloc(n);
  fill(dy, n, 1e3, 1e-4, true);
  for (let acc = 0; acc < 2; acc++) {
    const l = label + " backward acc=" + acc.toString();
    fill(du, n, 1e3); fill(da, n, 1e3); fill(ds, n, 1e3); copy(dsRef, ds, n);
    cgru_out_backward_f32(du, ds, da, dy, u, s, candRef, n, acc);
    cgru_out_backward_f32_ref(duRef, dsRef, daRef, dy, u, s, candRef, n, acc);
    expectSameBits(du, duRef, n, l + " du");
    expectSameBits(ds, dsRef, n, l + " ds");
    expectSameBits(da, daRef, n, l + " da");
    // da = dy
    copy(dyIn, dy, n);
    cgru_out_backward_f32(du, ds, dyIn, dyIn, u, s, candRef, n, 0);
    expectSameBits(dyIn, daRef, n, l + " da = dy");
  }
  heap.free(u); heap.free(s); heap.free(a); heap.free(y); heap.free(yRef); heap.free(cand); heap.free(candRef);
  heap.free(aIn); heap.free(yIn); heap.free(dy); heap.free(du); heap.free(duRef); heap.free(ds); heap.free(dsRef);
  heap.free(da); heap.free(daRef); heap.free(dyIn);
}

describe("cgru kernels = _ref twins, bit for bit", () => {
  it("gates: positions x every tail channel count, plain and with the cutoff", () => {
    for (let k = 0; k < CUTOFFS.length; k++) {
      for (let a = 0; a < POS.length; a++) for (let b = 0; b < SIZES.length; b++) checkGates(POS[a], SIZES[b], CUTOFFS[k]);
      checkGates(41 * 4, 24, CUTOFFS[k]); // one example of the benchmark's Neural GPU state
    }
  });
  it("output: every tail length, cand = a, da = dy, writing and accumulating ds", () => {
    for (let b = 0; b < SIZES.length; b++) checkOut(SIZES[b]);
    checkOut(1000);
    checkOut(1003);
  });
});

describe("cgru values", () => {
  it("one CGRU step against f64 equations; saturated u gives y = s or y = tanh(a) exactly", () => {
    const n = 3, C = 5, nc = 15;
    const g = alloc(2 * nc), s = alloc(nc), u = alloc(nc), r = alloc(nc), rs = alloc(nc), a = alloc(nc);
    const y = alloc(nc), cand = alloc(nc);
    for (let i = 0; i < 2 * nc; i++) store<f32>(at(g, i), uniform() * 8 - 4);
    for (let i = 0; i < nc; i++) { store<f32>(at(s, i), uniform() * 4 - 2); store<f32>(at(a, i), uniform() * 4 - 2); }
    store<f32>(at(g, 0), 20); //       u[0, 0] = 1 exactly
    store<f32>(at(g, 2 * C), -110); // u[1, 0] = 0 exactly
    cgru_gate_forward_f32(u, r, rs, g, s, n, C, 1);
    cgru_out_forward_f32(y, cand, u, s, a, nc);
    let worst: f64 = 0;
    for (let p = 0; p < n; p++) for (let c = 0; c < C; c++) {
      const q = p * C + c;
      const uv = 1 / (1 + Math.exp(-<f64>load<f32>(at(g, 2 * p * C + c))));
      const rv = 1 / (1 + Math.exp(-<f64>load<f32>(at(g, 2 * p * C + C + c))));
      const sv = <f64>load<f32>(at(s, q)), cv = Math.tanh(<f64>load<f32>(at(a, q)));
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(u, q)) - uv));
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(r, q)) - rv));
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(rs, q)) - rv * sv));
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(y, q)) - (uv * sv + (1 - uv) * cv)));
    }
    expect(worst).toBeLessThanOrEqual(2e-6, "CGRU vs f64");
    expect(load<f32>(at(u, 0))).toBe(1);
    expect(load<f32>(at(y, 0))).toBe(load<f32>(at(s, 0)), "u = 1: y = s");
    expect(load<f32>(at(u, C))).toBe(0);
    expect(load<f32>(at(y, C))).toBe(load<f32>(at(cand, C)), "u = 0: y = tanh(a)");
    heap.free(g); heap.free(s); heap.free(u); heap.free(r); heap.free(rs); heap.free(a); heap.free(y); heap.free(cand);
  });
});

describe("cgru cutoff gates", () => {
  it("clip(1.2 sigmoid - 0.1, 0, 1) against f64; exactly 0 and 1 beyond +-ln 11, and no gradient there", () => {
    const n = 2, C = 7, nc = 14;
    const g = alloc(2 * nc), s = alloc(nc), u = alloc(nc), r = alloc(nc), rs = alloc(nc);
    for (let i = 0; i < 2 * nc; i++) store<f32>(at(g, i), uniform() * 8 - 4);
    for (let i = 0; i < nc; i++) store<f32>(at(s, i), uniform() * 4 - 2);
    store<f32>(at(g, 0), 2.5); store<f32>(at(g, 1), -2.5); //     u: 1.2 sigma - 0.1 beyond [0, 1]
    store<f32>(at(g, C), 2.3); store<f32>(at(g, C + 1), -2.3); // r: just inside
    store<f32>(at(s, 0), 1);
    cgru_gate_forward_f32(u, r, rs, g, s, n, C, 1.2);
    let worst: f64 = 0;
    const cut = (x: f64): f64 => Math.min(1, Math.max(0, 1.2 / (1 + Math.exp(-x)) - 0.1));
    for (let p = 0; p < n; p++) for (let c = 0; c < C; c++) {
      const q = p * C + c;
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(u, q)) - cut(<f64>load<f32>(at(g, 2 * p * C + c)))));
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(r, q)) - cut(<f64>load<f32>(at(g, 2 * p * C + C + c)))));
    }
    expect(worst).toBeLessThanOrEqual(2e-6, "cutoff gates vs f64");
    expect(load<f32>(at(u, 0))).toBe(1);
    expect(load<f32>(at(u, 1))).toBe(0);
    expect(load<f32>(at(r, 0))).toBeGreaterThan(<f32>0.99);
    expect(load<f32>(at(r, 0))).toBeLessThan(<f32>1);
    expect(load<f32>(at(r, 1))).toBeGreaterThan(<f32>0);
    // Saturated gates pass no gradient; the others do.
    const dg = alloc(2 * nc), ds = alloc(nc), drs = alloc(nc), du = alloc(nc);
    for (let i = 0; i < nc; i++) { store<f32>(at(drs, i), 1); store<f32>(at(du, i), 1); store<f32>(at(ds, i), 0); }
    cgru_gate_backward_f32(dg, ds, drs, u, r, s, du, n, C, 1.2);
    expect(load<f32>(at(dg, 0))).toBe(0);
    expect(load<f32>(at(dg, 1))).toBe(0);
    expect(load<f32>(at(dg, C))).toBeGreaterThan(<f32>0);
    heap.free(g); heap.free(s); heap.free(u); heap.free(r); heap.free(rs); heap.free(dg); heap.free(ds); heap.free(drs); heap.free(du);
  });
});

// ---------------------------------------------------------------- central differences
const H_STEP: f32 = 0.01;
let N = 0, CH = 0;
let G: usize = 0, S: usize = 0, U: usize = 0, RR: usize = 0, RS: usize = 0, A: usize = 0, Y: usize = 0, CAND: usize = 0;
let WU: usize = 0, WR: usize = 0, WY: usize = 0;
let CUT: f32 = 1;

// L = sum wu * u + wr * rs over the twin gate forward.
function gateLoss(): f64 {
  cgru_gate_forward_f32_ref(U, RR, RS, G, S, N, CH, CUT);
  let l: f64 = 0;
  for (let i = 0; i < N * CH; i++) {
    l += <f64>load<f32>(at(WU, i)) * <f64>load<f32>(at(U, i)) + <f64>load<f32>(at(WR, i)) * <f64>load<f32>(at(RS, i));
  }
  return l;
}
// L = sum wy * y over the twin output forward (n = N*CH elements).
function outLoss(): f64 {
  cgru_out_forward_f32_ref(Y, CAND, U, S, A, N * CH);
  let l: f64 = 0;
  for (let i = 0; i < N * CH; i++) l += <f64>load<f32>(at(WY, i)) * <f64>load<f32>(at(Y, i));
  return l;
}

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

function checkCentral(cutoff: f32): void {
  N = 4; CH = 6; CUT = cutoff;
  const nc = N * CH;
  G = alloc(2 * nc); S = alloc(nc); U = alloc(nc); RR = alloc(nc); RS = alloc(nc); A = alloc(nc); Y = alloc(nc);
  CAND = alloc(nc); WU = alloc(nc); WR = alloc(nc); WY = alloc(nc);
  for (let i = 0; i < 2 * nc; i++) store<f32>(at(G, i), uniform() * 4 - 2);
  // With the cutoff, some gates saturated (no gradient), all well away from the kinks at +-ln 11.
  if (cutoff != 1) for (let i = 0; i < 2 * nc; i += 5) store<f32>(at(G, i), i % 2 == 0 ? <f32>3.5 : <f32>-3.5);
  for (let i = 0; i < nc; i++) {
    store<f32>(at(S, i), uniform() * 2 - 1); store<f32>(at(A, i), uniform() * 2 - 1);
    store<f32>(at(WU, i), uniform() * 2 - 1); store<f32>(at(WR, i), uniform() * 2 - 1); store<f32>(at(WY, i), uniform() * 2 - 1);
  }
  const dg = alloc(2 * nc), ds = alloc(nc), du = alloc(nc), da = alloc(nc);
  const label = " (cutoff " + cutoff.toString() + ")";
  cgru_gate_forward_f32(U, RR, RS, G, S, N, CH, cutoff);
  for (let i = 0; i < nc; i++) store<f32>(at(ds, i), 0);
  cgru_gate_backward_f32(dg, ds, WR, U, RR, S, WU, N, CH, cutoff);
  expect(worstOver(G, 2 * nc, dg, gateLoss)).toBeLessThanOrEqual(1e-3, "gate dg" + label);
  expect(worstOver(S, nc, ds, gateLoss)).toBeLessThanOrEqual(1e-3, "gate ds" + label);
  cgru_gate_forward_f32(U, RR, RS, G, S, N, CH, cutoff);
  cgru_out_forward_f32(Y, CAND, U, S, A, nc);
  cgru_out_backward_f32(du, ds, da, WY, U, S, CAND, nc, 0);
  expect(worstOver(U, nc, du, outLoss)).toBeLessThanOrEqual(1e-3, "out du" + label);
  expect(worstOver(S, nc, ds, outLoss)).toBeLessThanOrEqual(1e-3, "out ds" + label);
  expect(worstOver(A, nc, da, outLoss)).toBeLessThanOrEqual(1e-3, "out da" + label);
  heap.free(G); heap.free(S); heap.free(U); heap.free(RR); heap.free(RS); heap.free(A); heap.free(Y); heap.free(CAND);
  heap.free(WU); heap.free(WR); heap.free(WY); heap.free(dg); heap.free(ds); heap.free(du); heap.free(da);
}

describe("cgru backward = central difference of the forward", () => {
  it("gates: dg and ds over 4 positions of 6 channels; output: du, ds, da; plain and with the cutoff", () => {
    checkCentral(1);
    checkCentral(1.2);
  });
});
