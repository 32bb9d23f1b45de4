// assembly/ref/pool.ts
// Scalar twins of assembly/kernels/pool.ts, identical bits: the contract's loops written out per (e, oh, ow,
// c), the window scanned kh major, kw minor with every position range-checked. For tests and benchmarks.
// Legend and contract: see the kernel file.

@inline
function xat(x: usize, e: i32, ih: i32, iw: i32, c: i32, H: i32, W: i32, C: i32): usize {
  return x + ((((<usize>e * <usize>H + <usize>ih) * <usize>W + <usize>iw) * <usize>C + <usize>c) << 2);
}

export function maxpool_forward_f32_ref(y: usize, idx: usize, x: usize, E: i32, H: i32, W: i32, C: i32, KH: i32,
                                        KW: i32, SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32): void {
  let o: usize = 0;
  for (let e = 0; e < E; e++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let c = 0; c < C; c++) {
      let found = false;
      let m: f32 = 0;
      let id = -1;
      for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
        const ih = oh * SH - PH + kh, iw = ow * SW - PW + kw;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        const v = load<f32>(xat(x, e, ih, iw, c, H, W, C));
        if (!found || v > m) { m = v; id = ih * W + iw; found = true; }
      }
      store<f32>(y + o, m);
      if (idx != 0) store<i32>(idx + o, id);
      o += 4;
    }
  }
}

export function maxpool_backward_f32_ref(dx: usize, dy: usize, idx: usize, E: i32, H: i32, W: i32, C: i32, OH: i32,
                                         OW: i32, accumulate: i32): void {
  if (accumulate == 0) {
    const n = <usize>E * <usize>H * <usize>W * <usize>C;
    for (let i: usize = 0; i < n; i++) store<f32>(dx + (i << 2), 0);
  }
  let o: usize = 0;
  for (let e = 0; e < E; e++) for (let p = 0; p < OH * OW; p++) for (let c = 0; c < C; c++) {
    const id = load<i32>(idx + o);
    if (id >= 0) {
      const q = xat(dx, e, id / W, id % W, c, H, W, C);
      store<f32>(q, load<f32>(q) + load<f32>(dy + o));
    }
    o += 4;
  }
}

// The number of in-range positions of window (oh, ow).
@inline
function in_range(oh: i32, ow: i32, H: i32, W: i32, KH: i32, KW: i32, SH: i32, SW: i32, PH: i32, PW: i32): i32 {
  let cnt = 0;
  for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
    const ih = oh * SH - PH + kh, iw = ow * SW - PW + kw;
    if (ih >= 0 && ih < H && iw >= 0 && iw < W) cnt++;
  }
  return cnt;
}

export function avgpool_forward_f32_ref(y: usize, x: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32,
                                        SW: i32, PH: i32, PW: i32, OH: i32, OW: i32, countPad: i32): void {
  let o: usize = 0;
  for (let e = 0; e < E; e++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const cnt = in_range(oh, ow, H, W, KH, KW, SH, SW, PH, PW);
    const div = <f32>(countPad != 0 ? KH * KW : cnt);
    for (let c = 0; c < C; c++) {
      let s: f32 = 0;
      for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
        const ih = oh * SH - PH + kh, iw = ow * SW - PW + kw;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) s = s + load<f32>(xat(x, e, ih, iw, c, H, W, C));
      }
      store<f32>(y + o, cnt == 0 ? <f32>0 : s / div);
      o += 4;
    }
  }
}

export function avgpool_backward_f32_ref(dx: usize, dy: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32,
                                         SW: i32, PH: i32, PW: i32, OH: i32, OW: i32, countPad: i32,
                                         accumulate: i32): void {
  if (accumulate == 0) {
    const n = <usize>E * <usize>H * <usize>W * <usize>C;
    for (let i: usize = 0; i < n; i++) store<f32>(dx + (i << 2), 0);
  }
  let o: usize = 0;
  for (let e = 0; e < E; e++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const cnt = in_range(oh, ow, H, W, KH, KW, SH, SW, PH, PW);
    const div = <f32>(countPad != 0 ? KH * KW : cnt);
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * SH - PH + kh, iw = ow * SW - PW + kw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      for (let c = 0; c < C; c++) {
        const q = xat(dx, e, ih, iw, c, H, W, C);
        store<f32>(q, load<f32>(q) + load<f32>(dy + o + (<usize>c << 2)) / div);
      }
    }
    o += <usize>C << 2;
  }
}
