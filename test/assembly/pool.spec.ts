// test/assembly/pool.spec.ts
// assembly/kernels/pool.ts against its scalar twins (assembly/ref/pool.ts) bit for bit: max pooling (with
// and without idx; ties, signed zeros, NaN and infinities in the input) and average pooling (both divisor
// rules), forward and backward writing and accumulating, over every tail channel count and windows with
// padding, overlap, ragged edges and windows wholly in the padding; stale outputs, guard zones. Known
// answers by hand (the scan rule on ties and NaN, padding skipped, empty windows, both divisors, the
// folds' order shown by rounding) and both backwards against central differences.

import { avgpool_backward_f32, avgpool_forward_f32, maxpool_backward_f32, maxpool_forward_f32 } from "../../assembly/kernels/pool";
import {
  avgpool_backward_f32_ref, avgpool_forward_f32_ref, maxpool_backward_f32_ref, maxpool_forward_f32_ref,
} from "../../assembly/ref/pool";
import { alloc, at, copy, expectSameBits, fill, nextU32, reseed, uniform } from "./helpers";

const CS: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
reseed(1702);

// H, W, KH, KW, SH, SW, PH, PW, then the padding after (bottom, right):
// OH = floor((H + PH + PB - KH) / SH) + 1.
const CONFIGS: i32[] = [
  4, 4, 2, 2, 2, 2, 0, 0, 0, 0, //   LeNet's 2x2 stride 2
  5, 5, 3, 3, 1, 1, 1, 1, 1, 1, //   overlapping 3x3 'same'
  5, 4, 3, 2, 2, 3, 1, 1, 1, 2, //   strides 2 x 3, ragged
  3, 3, 2, 2, 2, 2, 1, 1, 1, 1, //   padding on every side
  2, 2, 1, 1, 1, 1, 2, 2, 2, 1, //   windows wholly in the padding
  1, 9, 1, 3, 1, 2, 0, 1, 0, 1, //   pool1d
  6, 5, 3, 3, 3, 3, 0, 0, 0, 1, //   3x3 stride 3
  2, 3, 4, 5, 1, 2, 1, 2, 1, 2, //   window larger than the input
];

function outSize(N: i32, K: i32, S: i32, P0: i32, P1: i32): i32 {
  const span = N + P0 + P1 - K;
  return span < 0 ? 0 : span / S + 1;
}

// Values that tie often: +-0, 1, -2, 7, NaN, +Inf, -Inf.
function fillRough(p: usize, n: i32): void {
  const vals: f32[] = [0, -0.0, 1, 1, -2, 7, NaN, Infinity, -Infinity];
  for (let i = 0; i < n; i++) store<f32>(at(p, i), vals[<i32>(nextU32() % 9)]);
}

function check(E: i32, C: i32, k: i32, rough: bool): void {
  const H = CONFIGS[k], W = CONFIGS[k + 1], KH = CONFIGS[k + 2], KW = CONFIGS[k + 3], SH = CONFIGS[k + 4];
  const SW = CONFIGS[k + 5], PH = CONFIGS[k + 6], PW = CONFIGS[k + 7];
  const OH = outSize(H, KH, SH, PH, CONFIGS[k + 8]), OW = outSize(W, KW, SW, PW, CONFIGS[k + 9]);
  const label = "pool E=" + E.toString() + " C=" + C.toString() + " config " + (k / 10).toString() + (rough ? " rough" : "");
  const nx = E * H * W * C, ny = E * OH * OW * C;
  const x = alloc(nx), y = alloc(ny), yRef = alloc(ny), idx = alloc(ny), idxRef = alloc(ny);
  const dy = alloc(ny), dx = alloc(nx), dxRef = alloc(nx);
  if (rough) fillRough(x, nx); else fill(x, nx, 1e6, 1e-4, true);
  // max, with idx and without
  fill(y, ny, 1e6); fill(idx, ny, 1e6);
  maxpool_forward_f32(y, idx, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW);
  maxpool_forward_f32_ref(yRef, idxRef, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW);
  expectSameBits(y, yRef, ny, label + " maxpool y");
  expectSameBits(idx, idxRef, ny, label + " maxpool idx");
  fill(y, ny, 1e6);
  maxpool_forward_f32(y, 0, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW);
  expectSameBits(y, yRef, ny, label + " maxpool y without idx");
  fill(dy, ny, 1e4);
  for (let acc = 0; acc < 2; acc++) {
    fill(dx, nx, 1e4);
    copy(dxRef, dx, nx);
    maxpool_backward_f32(dx, dy, idx, E, H, W, C, OH, OW, acc);
    maxpool_backward_f32_ref(dxRef, dy, idxRef, E, H, W, C, OH, OW, acc);
    expectSameBits(dx, dxRef, nx, label + " maxpool backward acc=" + acc.toString());
  }
  // average, both divisors
  for (let countPad = 0; countPad < 2; countPad++) {
    const l = label + " countPad=" + countPad.toString();
    fill(y, ny, 1e6);
    avgpool_forward_f32(y, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW, countPad);
    avgpool_forward_f32_ref(yRef, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW, countPad);
    expectSameBits(y, yRef, ny, l + " avgpool y");
    for (let acc = 0; acc < 2; acc++) {
      fill(dx, nx, 1e4);
      copy(dxRef, dx, nx);
      avgpool_backward_f32(dx, dy, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW, countPad, acc);
      avgpool_backward_f32_ref(dxRef, dy, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW, countPad, acc);
      expectSameBits(dx, dxRef, nx, l + " avgpool backward acc=" + acc.toString());
    }
  }
  heap.free(x); heap.free(y); heap.free(yRef); heap.free(idx); heap.free(idxRef);
  heap.free(dy); heap.free(dx); heap.free(dxRef);
}

describe("pool kernels = _ref twins, bit for bit", () => {
  it("every window configuration at every tail channel count, one and two examples", () => {
    for (let k = 0; k < CONFIGS.length; k += 10) {
      for (let i = 0; i < CS.length; i++) {
        check(1, CS[i], k, false);
        check(2, CS[i], k, false);
        check(2, CS[i], k, true);
      }
      check(0, 3, k, false);
    }
  });
});

describe("pool values", () => {
  it("max: the first maximum wins ties, NaN never replaces and stays when first, padding is skipped", () => {
    // 1 example, 2x4, C = 1, windows 2x2 stride 2: [3 3 | NaN 5]   -> 3 at (0,0); NaN at (0,2)
    //                                             [1 3 | 2   9]
    const x = alloc(8), y = alloc(2), idx = alloc(2);
    const xv: f32[] = [3, 3, NaN, 5, 1, 3, 2, 9];
    for (let i = 0; i < 8; i++) store<f32>(at(x, i), xv[i]);
    maxpool_forward_f32(y, idx, x, 1, 2, 4, 1, 2, 2, 2, 2, 0, 0, 1, 2);
    expect(load<f32>(at(y, 0))).toBe(3);
    expect(load<i32>(at(idx, 0))).toBe(0, "tie keeps the earlier");
    expect(isNaN(load<f32>(at(y, 1)))).toBe(true, "NaN first stays");
    expect(load<i32>(at(idx, 1))).toBe(2);
    // [1 NaN; 2 0]: NaN later never replaces, 2 > 1 does
    const xw: f32[] = [1, NaN, 2, 0];
    for (let i = 0; i < 4; i++) store<f32>(at(x, i), xw[i]);
    maxpool_forward_f32(y, idx, x, 1, 2, 2, 1, 2, 2, 2, 2, 0, 0, 1, 1);
    expect(load<f32>(at(y, 0))).toBe(2);
    expect(load<i32>(at(idx, 0))).toBe(2);
    // -0 then +0: equal, the earlier -0 stays
    store<f32>(at(x, 0), -0.0); store<f32>(at(x, 1), 0);
    maxpool_forward_f32(y, idx, x, 1, 1, 2, 1, 1, 2, 1, 1, 0, 0, 1, 1);
    expect(load<u32>(at(y, 0))).toBe(0x80000000, "-0 kept");
    // all negative with padding 1 around a 1x1 input: the window's max is the value, not a padded 0
    store<f32>(at(x, 0), -5);
    maxpool_forward_f32(y, idx, x, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1);
    expect(load<f32>(at(y, 0))).toBe(-5);
    expect(load<i32>(at(idx, 0))).toBe(0);
    heap.free(x); heap.free(y); heap.free(idx);
  });
  it("max and average over 4 channels at once (one v128) pick per channel", () => {
    // 1x2 input of 5 channels (the vector and the overlapping last vector), window 1x2
    const x = alloc(10), y = alloc(5), idx = alloc(5);
    const xv: f32[] = [1, 9, -1, 4, 6,   2, 3, -1, 8, 5];
    for (let i = 0; i < 10; i++) store<f32>(at(x, i), xv[i]);
    maxpool_forward_f32(y, idx, x, 1, 1, 2, 5, 1, 2, 1, 1, 0, 0, 1, 1);
    const wy: f32[] = [2, 9, -1, 8, 6], wi: i32[] = [1, 0, 0, 1, 0];
    for (let c = 0; c < 5; c++) {
      expect(load<f32>(at(y, c))).toBe(wy[c], "max channel " + c.toString());
      expect(load<i32>(at(idx, c))).toBe(wi[c], "idx channel " + c.toString());
    }
    avgpool_forward_f32(y, x, 1, 1, 2, 5, 1, 2, 1, 1, 0, 0, 1, 1, 0);
    const wa: f32[] = [1.5, 6, -1, 6, 5.5];
    for (let c = 0; c < 5; c++) expect(load<f32>(at(y, c))).toBe(wa[c], "avg channel " + c.toString());
    heap.free(x); heap.free(y); heap.free(idx);
  });
  it("windows with no in-range position give y = +0 and idx = -1; their dy goes nowhere", () => {
    // 1x1 input, 1x1 windows, padding 1 on every side: OH = OW = 3, only the centre is in range
    const x = alloc(1), y = alloc(9), idx = alloc(9), dy = alloc(9), dx = alloc(1);
    store<f32>(at(x, 0), -3);
    fill(y, 9, 10);
    maxpool_forward_f32(y, idx, x, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3);
    for (let i = 0; i < 9; i++) {
      expect(load<i32>(at(idx, i))).toBe(i == 4 ? 0 : -1, "idx " + i.toString());
      if (i != 4) expect(load<u32>(at(y, i))).toBe(0, "y +0 " + i.toString());
    }
    for (let i = 0; i < 9; i++) store<f32>(at(dy, i), <f32>(i + 1));
    maxpool_backward_f32(dx, dy, idx, 1, 1, 1, 1, 3, 3, 0);
    expect(load<f32>(at(dx, 0))).toBe(5);
    for (let countPad = 0; countPad < 2; countPad++) {
      fill(y, 9, 10);
      avgpool_forward_f32(y, x, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, countPad);
      for (let i = 0; i < 9; i++) {
        if (i != 4) expect(load<u32>(at(y, i))).toBe(0, "avg y +0 " + i.toString());
      }
      expect(load<f32>(at(y, 4))).toBe(-3);
      avgpool_backward_f32(dx, dy, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, countPad, 0);
      expect(load<f32>(at(dx, 0))).toBe(5);
    }
    heap.free(x); heap.free(y); heap.free(idx); heap.free(dy); heap.free(dx);
  });
  it("average: count_include_pad divides by KH*KW, otherwise by the in-range count", () => {
    // 3x3 of ones, 3x3 windows, stride 1, padding 1: corners see 4 values, edges 6, the centre 9
    const x = alloc(9), y = alloc(9), dy = alloc(9), dx = alloc(9);
    for (let i = 0; i < 9; i++) { store<f32>(at(x, i), 1); store<f32>(at(dy, i), 9); }
    avgpool_forward_f32(y, x, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1, 3, 3, 1);
    const seen: f32[] = [4, 6, 4, 6, 9, 6, 4, 6, 4];
    for (let i = 0; i < 9; i++) expect(load<f32>(at(y, i))).toBe(seen[i] / <f32>9, "countPad " + i.toString());
    avgpool_forward_f32(y, x, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1, 3, 3, 0);
    for (let i = 0; i < 9; i++) expect(load<f32>(at(y, i))).toBe(1, "in-range mean " + i.toString());
    // backward with dy = 9 and countPad: each input gets 1 from each of the windows covering it
    avgpool_backward_f32(dx, dy, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1, 3, 3, 1, 0);
    for (let i = 0; i < 9; i++) expect(load<f32>(at(dx, i))).toBe(seen[i], "backward " + i.toString());
    heap.free(x); heap.free(y); heap.free(dy); heap.free(dx);
  });
  it("the backward folds add overlapping windows in (oh, ow) order", () => {
    // 1x5 input with its maximum in the middle, windows 1x3 stride 1: all three choose x[2];
    // dy = 1, 1e8, -1e8 folds to (0 + 1) + 1e8 - 1e8 = 0 in f32 (the reverse order would give 1)
    const x = alloc(5), y = alloc(3), idx = alloc(3), dy = alloc(3), dx = alloc(5);
    for (let i = 0; i < 5; i++) store<f32>(at(x, i), i == 2 ? <f32>5 : <f32>0);
    maxpool_forward_f32(y, idx, x, 1, 1, 5, 1, 1, 3, 1, 1, 0, 0, 1, 3);
    for (let i = 0; i < 3; i++) expect(load<i32>(at(idx, i))).toBe(2);
    store<f32>(at(dy, 0), 1); store<f32>(at(dy, 1), 1e8); store<f32>(at(dy, 2), -1e8);
    maxpool_backward_f32(dx, dy, idx, 1, 1, 5, 1, 1, 3, 0);
    expect(load<f32>(at(dx, 2))).toBe(0, "maxpool fold order");
    // average with KH*KW = 1x3 -> dy / 3 each: (1/3 + 1e8/3) - 1e8/3 rounds to 0 in this order
    avgpool_backward_f32(dx, dy, 1, 1, 5, 1, 1, 3, 1, 1, 0, 0, 1, 3, 1, 0);
    const third: f32 = <f32>1 / <f32>3, big: f32 = <f32>1e8 / <f32>3;
    expect(load<f32>(at(dx, 2))).toBe((third + big) - big, "avgpool fold order");
    heap.free(x); heap.free(y); heap.free(idx); heap.free(dy); heap.free(dx);
  });
});

// L = sum w * pool(x) in f64 over the twin forward; dL/dx from the backward with dy = w.
describe("pool backward = central difference of the forward", () => {
  it("max (distinct values) and average (both divisors), overlapping padded windows", () => {
    gradCheck(2, 3, 5, 4, 3, 2, 2, 1, 1, 1, 1, 0);
    gradCheck(1, 5, 4, 4, 2, 2, 2, 2, 0, 0, 0, 0);
    gradCheck(1, 2, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1);
  });
});

function gradCheck(E: i32, C: i32, H: i32, W: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32,
                   PB: i32, PR: i32): void {
  const OH = outSize(H, KH, SH, PH, PB), OW = outSize(W, KW, SW, PW, PR);
  const nx = E * H * W * C, ny = E * OH * OW * C;
  const x = alloc(nx), y = alloc(ny), idx = alloc(ny), w = alloc(ny), dx = alloc(nx);
  // distinct values 0.1 apart (a permutation), so a step of 0.01 never changes which element is the max
  for (let i = 0; i < nx; i++) store<f32>(at(x, i), <f32>i * <f32>0.1);
  for (let i = nx - 1; i > 0; i--) {
    const j = <i32>(nextU32() % <u32>(i + 1));
    const t = load<f32>(at(x, i)); store<f32>(at(x, i), load<f32>(at(x, j))); store<f32>(at(x, j), t);
  }
  for (let i = 0; i < ny; i++) store<f32>(at(w, i), uniform() * 2 - 1);
  const h: f32 = 0.01;
  for (let mode = 0; mode < 3; mode++) { // max, avg countPad 0, avg countPad 1
    if (mode == 0) {
      maxpool_forward_f32(y, idx, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW);
      maxpool_backward_f32(dx, w, idx, E, H, W, C, OH, OW, 0);
    } else {
      avgpool_backward_f32(dx, w, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW, mode - 1, 0);
    }
    let worst: f64 = 0;
    for (let k = 0; k < nx; k++) {
      const v = load<f32>(at(x, k)), vp = v + h, vm = v - h;
      store<f32>(at(x, k), vp);
      const lp = loss(mode, y, x, w, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW);
      store<f32>(at(x, k), vm);
      const lm = loss(mode, y, x, w, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW);
      store<f32>(at(x, k), v);
      worst = Math.max(worst, Math.abs(<f64>load<f32>(at(dx, k)) - (lp - lm) / (<f64>vp - <f64>vm)));
    }
    expect(worst).toBeLessThanOrEqual(1e-4, "pool backward vs central difference, mode " + mode.toString());
  }
  heap.free(x); heap.free(y); heap.free(idx); heap.free(w); heap.free(dx);
}

function loss(mode: i32, y: usize, x: usize, w: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32,
              SW: i32, PH: i32, PW: i32, OH: i32, OW: i32): f64 {
  if (mode == 0) maxpool_forward_f32_ref(y, 0, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW);
  else avgpool_forward_f32_ref(y, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW, mode - 1);
  let s: f64 = 0;
  for (let i = 0; i < E * OH * OW * C; i++) s += <f64>load<f32>(at(w, i)) * <f64>load<f32>(at(y, i));
  return s;
}
