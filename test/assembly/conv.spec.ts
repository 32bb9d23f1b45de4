// test/assembly/conv.spec.ts
// assembly/kernels/conv.ts against its scalar twins (assembly/ref/conv.ts) bit for bit: im2col and col2im
// (writing and accumulating) over every channel count of the tail sizes and window shapes with strides,
// padding on every side (windows wholly in the padding, a kernel larger than the input), dilation, conv1d
// and 1x1, with stale outputs and guard zones; x and dcols placed at the very end of memory (no read past
// them). Known answers by hand (patches, padding, coverage counts, the fold order shown by rounding), and
// col2im against central differences of L = sum w * im2col(x).

import { col2im_f32, im2col_f32 } from "../../assembly/kernels/conv";
import { col2im_f32_ref, im2col_f32_ref } from "../../assembly/ref/conv";
import { alloc, at, copy, expectSameBits, fill, reseed, uniform } from "./helpers";

const CS: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];
reseed(1701);

// Window configurations: H, W, KH, KW, SH, SW, PH, PW, DH, DW, then the padding after (bottom, right)
// that fixes OH, OW = floor((H + PH + PB - DH*(KH-1) - 1) / SH) + 1.
const CONFIGS: i32[] = [
  5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, //   'same' 3x3
  7, 6, 2, 3, 2, 1, 0, 0, 1, 1, 0, 0, //   valid, stride 2 x 1
  6, 7, 3, 2, 1, 2, 2, 1, 2, 2, 1, 0, //   dilation 2, uneven padding
  3, 3, 5, 5, 1, 1, 2, 2, 1, 1, 2, 2, //   kernel larger than the input
  3, 4, 5, 4, 2, 3, 3, 2, 1, 1, 3, 4, //   padding wider than the kernel reaches: windows wholly outside
  1, 9, 1, 4, 1, 3, 0, 1, 1, 2, 0, 2, //   conv1d, stride 3, dilation 2
  1, 11, 1, 5, 1, 1, 0, 2, 1, 1, 0, 2, //  conv1d 'same'
  4, 3, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, //   1x1
  4, 5, 2, 2, 2, 2, 0, 0, 1, 1, 0, 1, //   2x2 stride 2 with a ragged right edge
  2, 2, 2, 3, 3, 3, 4, 1, 3, 1, 4, 5, //   large stride and dilation, mostly padding
];

function outSize(N: i32, K: i32, S: i32, P0: i32, P1: i32, D: i32): i32 {
  const span = N + P0 + P1 - D * (K - 1) - 1;
  return span < 0 ? 0 : span / S + 1;
}

// n f32 ending exactly at the end of memory, in pages grown for them: a read past them traps.
function atTop(n: i32): usize {
  memory.grow(<i32>(((<usize>n << 2) + 0xffff) >> 16) + 1);
  return (<usize>memory.size() << 16) - (<usize>n << 2);
}

function check(E: i32, C: i32, k: i32, atEnd: bool): void {
  const H = CONFIGS[k], W = CONFIGS[k + 1], KH = CONFIGS[k + 2], KW = CONFIGS[k + 3], SH = CONFIGS[k + 4];
  const SW = CONFIGS[k + 5], PH = CONFIGS[k + 6], PW = CONFIGS[k + 7], DH = CONFIGS[k + 8], DW = CONFIGS[k + 9];
  const OH = outSize(H, KH, SH, PH, CONFIGS[k + 10], DH), OW = outSize(W, KW, SW, PW, CONFIGS[k + 11], DW);
  const label = "conv E=" + E.toString() + " C=" + C.toString() + " config " + (k / 12).toString() + (atEnd ? " at end" : "");
  const nx = E * H * W * C, nc = E * OH * OW * KH * KW * C;
  const xa = alloc(nx), da = alloc(nc);
  let x = xa, dcols = da;
  const cols = alloc(nc), colsRef = alloc(nc), dx = alloc(nx), dxRef = alloc(nx);
  if (atEnd) x = atTop(nx);
  fill(x, nx, 1e6, 1e-4, true);
  fill(cols, nc, 1e6); // stale: every word must be written
  im2col_f32(cols, x, E, H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW);
  im2col_f32_ref(colsRef, x, E, H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW);
  expectSameBits(cols, colsRef, nc, label + " im2col");
  if (atEnd) dcols = atTop(nc);
  fill(dcols, nc, 1e4);
  for (let acc = 0; acc < 2; acc++) {
    fill(dx, nx, 1e4);
    copy(dxRef, dx, nx);
    col2im_f32(dx, dcols, E, H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW, acc);
    col2im_f32_ref(dxRef, dcols, E, H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW, acc);
    expectSameBits(dx, dxRef, nx, label + " col2im acc=" + acc.toString());
  }
  heap.free(xa); heap.free(da);
  heap.free(cols); heap.free(colsRef); heap.free(dx); heap.free(dxRef);
}

describe("conv kernels = _ref twins, bit for bit", () => {
  it("every window configuration at every tail channel count, one and two examples", () => {
    for (let k = 0; k < CONFIGS.length; k += 12) {
      for (let i = 0; i < CS.length; i++) {
        check(1, CS[i], k, false);
        check(2, CS[i], k, false);
      }
      check(0, 3, k, false);
    }
  });
  it("LeNet's shapes: 28x28x1 with 5x5 'same', 14x14x6 with 5x5 valid", () => {
    check(2, 1, pushConfig(28, 28, 5, 5, 1, 1, 2, 2, 1, 1, 2, 2), false);
    check(2, 6, pushConfig(14, 14, 5, 5, 1, 1, 0, 0, 1, 1, 0, 0), false);
  });
  it("reads nothing past the end of x or dcols", () => {
    for (let k = 0; k < CONFIGS.length; k += 12) {
      check(1, 1, k, true);
      check(1, 5, k, true);
      check(2, 6, k, true);
    }
  });
});

function pushConfig(H: i32, W: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, DH: i32, DW: i32,
                    PB: i32, PR: i32): i32 {
  const k = CONFIGS.length;
  CONFIGS.push(H); CONFIGS.push(W); CONFIGS.push(KH); CONFIGS.push(KW); CONFIGS.push(SH); CONFIGS.push(SW);
  CONFIGS.push(PH); CONFIGS.push(PW); CONFIGS.push(DH); CONFIGS.push(DW); CONFIGS.push(PB); CONFIGS.push(PR);
  return k;
}

describe("conv values", () => {
  it("im2col: 2x2 patches of a 3x3 image, then with padding 1 and stride 2", () => {
    const x = alloc(9), cols = alloc(16);
    for (let i = 0; i < 9; i++) store<f32>(at(x, i), <f32>(i + 1));
    im2col_f32(cols, x, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2);
    const want: f32[] = [1, 2, 4, 5,  2, 3, 5, 6,  4, 5, 7, 8,  5, 6, 8, 9];
    for (let i = 0; i < 16; i++) expect(load<f32>(at(cols, i))).toBe(want[i], "valid patch " + i.toString());
    im2col_f32(cols, x, 1, 3, 3, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2);
    const padded: f32[] = [0, 0, 0, 1,  0, 0, 2, 3,  0, 4, 0, 7,  5, 6, 8, 9];
    for (let i = 0; i < 16; i++) {
      expect(load<f32>(at(cols, i))).toBe(padded[i], "padded patch " + i.toString());
      if (padded[i] == 0) expect(load<u32>(at(cols, i))).toBe(0, "padding is +0");
    }
    heap.free(x); heap.free(cols);
  });
  it("im2col with channels and dilation: channel runs stay together", () => {
    // 1x4 image of 2 channels (c0 = 10*w, c1 = 10*w + 1), kernel 1x2 dilation 2: patches (w, w + 2)
    const x = alloc(8), cols = alloc(8);
    for (let w = 0; w < 4; w++) { store<f32>(at(x, 2 * w), <f32>(w * 10)); store<f32>(at(x, 2 * w + 1), <f32>(w * 10 + 1)); }
    im2col_f32(cols, x, 1, 1, 4, 2, 1, 2, 1, 1, 0, 0, 1, 2, 1, 2);
    const want: f32[] = [0, 1, 20, 21,  10, 11, 30, 31];
    for (let i = 0; i < 8; i++) expect(load<f32>(at(cols, i))).toBe(want[i], "dilated " + i.toString());
    heap.free(x); heap.free(cols);
  });
  it("col2im of ones counts the windows covering each pixel; accumulate adds to dx", () => {
    const dc = alloc(16), dx = alloc(9);
    for (let i = 0; i < 16; i++) store<f32>(at(dc, i), 1);
    fill(dx, 9, 100);
    col2im_f32(dx, dc, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2, 0);
    const want: f32[] = [1, 2, 1,  2, 4, 2,  1, 2, 1];
    for (let i = 0; i < 9; i++) expect(load<f32>(at(dx, i))).toBe(want[i], "coverage " + i.toString());
    col2im_f32(dx, dc, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2, 1);
    for (let i = 0; i < 9; i++) expect(load<f32>(at(dx, i))).toBe(want[i] * 2, "accumulated " + i.toString());
    heap.free(dc); heap.free(dx);
  });
  it("col2im folds in row-major order of dcols", () => {
    // 1x5 row, kernel 1x3: x[2] receives (ow 0, kw 2), (ow 1, kw 1), (ow 2, kw 0) in that order:
    // (0 + 1) + 1e8 - 1e8 = 0 in f32, where the reverse order would give 1
    const dc = alloc(9), dx = alloc(5);
    for (let i = 0; i < 9; i++) store<f32>(at(dc, i), 0);
    store<f32>(at(dc, 2), 1); store<f32>(at(dc, 4), 1e8); store<f32>(at(dc, 6), -1e8);
    col2im_f32(dx, dc, 1, 1, 5, 1, 1, 3, 1, 1, 0, 0, 1, 1, 1, 3, 0);
    expect(load<f32>(at(dx, 2))).toBe(0, "in order");
    col2im_f32_ref(dx, dc, 1, 1, 5, 1, 1, 3, 1, 1, 0, 0, 1, 1, 1, 3, 0);
    expect(load<f32>(at(dx, 2))).toBe(0, "twin in order");
    heap.free(dc); heap.free(dx);
  });
});

// L(x) = sum w * im2col(x) in f64; dL/dx = col2im(w). Central differences over every x element.
describe("col2im = central difference of im2col", () => {
  it("padded, strided and dilated windows over 2 examples of 3 channels", () => {
    gradCheck(2, 3, 5, 4, 3, 2, 2, 1, 1, 2, 1, 1, 1, 0);
    gradCheck(1, 2, 4, 6, 2, 3, 1, 2, 0, 1, 2, 2, 0, 1);
  });
});

function gradCheck(E: i32, C: i32, H: i32, W: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32,
                   DH: i32, DW: i32, PB: i32, PR: i32): void {
  const OH = outSize(H, KH, SH, PH, PB, DH), OW = outSize(W, KW, SW, PW, PR, DW);
  const nx = E * H * W * C, nc = E * OH * OW * KH * KW * C;
  const x = alloc(nx), cols = alloc(nc), w = alloc(nc), dx = alloc(nx);
  for (let i = 0; i < nx; i++) store<f32>(at(x, i), uniform() * 2 - 1);
  for (let i = 0; i < nc; i++) store<f32>(at(w, i), uniform() * 2 - 1);
  col2im_f32(dx, w, E, H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW, 0);
  const h: f32 = 0.01;
  let worst: f64 = 0;
  for (let k = 0; k < nx; k++) {
    const v = load<f32>(at(x, k)), vp = v + h, vm = v - h;
    store<f32>(at(x, k), vp);
    im2col_f32_ref(cols, x, E, H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW);
    const lp = dot(w, cols, nc);
    store<f32>(at(x, k), vm);
    im2col_f32_ref(cols, x, E, H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW);
    const lm = dot(w, cols, nc);
    store<f32>(at(x, k), v);
    worst = Math.max(worst, Math.abs(<f64>load<f32>(at(dx, k)) - (lp - lm) / (<f64>vp - <f64>vm)));
  }
  expect(nx).toBeGreaterThan(0);
  expect(worst).toBeLessThanOrEqual(1e-4, "col2im vs central difference");
  heap.free(x); heap.free(cols); heap.free(w); heap.free(dx);
}

function dot(a: usize, b: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(at(a, i)) * <f64>load<f32>(at(b, i));
  return s;
}
