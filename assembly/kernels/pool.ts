// assembly/kernels/pool.ts
// Max and average pooling over NHWC windows, per channel, forward and backward side by side (PyTorch's
// max_pool2d / avg_pool2d semantics; a pool1d is H = 1, KH = 1). Scalar twins: assembly/ref/pool.ts (suffix
// _ref), identical bits.
//
// Legend: E examples; H, W input height and width; C channels; KH, KW window; SH, SW stride (>= 1); PH, PW
//   the padding before (top, left; the bottom/right padding is implied by OH, OW); OH, OW output size.
//   x, dx: [E, H, W, C]; y, dy: [E, OH, OW, C] f32; idx: [E, OH, OW, C] i32. NHWC: x[e, h, w, c] at
//   ((e*H + h)*W + w)*C + c. A window (oh, ow) covers ih = oh*SH - PH + kh, iw = ow*SW - PW + kw for
//   kh < KH, kw < KW; its in-range positions are those in [0, H) x [0, W). Byte addresses, 16-byte aligned
//   at the start of each buffer; rows need not be. Any count >= 0.
//
// Contract
//   maxpool_forward_f32(y, idx, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW): y[e, oh, ow, c] = the
//     maximum of x[e, ih, iw, c] over the window's in-range positions, scanned kh major, kw minor (padding
//     is skipped, never a -Inf value): the first in-range element starts the scan and a later one replaces
//     it only when strictly greater, so ties keep the earlier one, a NaN never replaces and a NaN first
//     stays. idx: 0 (not wanted) or idx[e, oh, ow, c] = ih*W + iw of the chosen element. A window with no
//     in-range position (the facade refuses such shapes) writes y = +0, idx = -1. y never aliases x.
//   maxpool_backward_f32(dx, dy, idx, E, H, W, C, OH, OW, accumulate): dx = +0 first unless accumulate
//     != 0 (then the fold starts from dx); then for e, oh, ow, c in row-major order, if idx >= 0:
//     dx[e, idx / W, idx % W, c] = dx[...] + dy[e, oh, ow, c] (a fold: overlapping windows add in order).
//   avgpool_forward_f32(y, x, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW, countPad): s = +0, then
//     s = s + x over the in-range positions in (kh, kw) order; divisor = KH*KW when countPad != 0
//     (PyTorch's count_include_pad=True) else the number of in-range positions; y = s / divisor (one f32
//     division). A window with no in-range position writes y = +0 (rather than 0 / 0). y never aliases x.
//   avgpool_backward_f32(dx, dy, E, H, W, C, KH, KW, SH, SW, PH, PW, OH, OW, countPad, accumulate):
//     dx = +0 first unless accumulate != 0 (the fold starts from dx); then for e, oh, ow IN ORDER,
//     q = dy[e, oh, ow, c] / divisor (rounded once), and for the in-range (kh, kw) in order:
//     dx[e, ih, iw, c] = dx[...] + q. Windows with no in-range position contribute nothing.
//   Fixed order: every dx element receives its terms in (oh, ow) order, as in the twin; within one
//   window the positions are distinct, so the loop over channel blocks may sit outside the positions.
//
// Body: SIMD across c, one v128 of channels at a time (a pooling window touches few elements per
// channel; LeNet's C = 6 and 16 are one or two vectors). The forward kernels end a row of C >= 4 with one
// v128 that ends at C, overlapping the previous one (the overlapping lanes compute the same bits again);
// the backward folds cannot overlap and finish with scalar channels. maxpool_backward_f32 is a scatter
// through idx, which baseline SIMD cannot express: a scalar loop, in the twin's order.

// The first k in [0, K) with b + k >= 0 (K when none).
// @ts-ignore: decorator
@inline function range_lo(b: i32, K: i32): i32 {
  return b >= 0 ? 0 : min<i32>(K, -b);
}
// One past the last k in [lo, K) with b + k < N (lo when none).
// @ts-ignore: decorator
@inline function range_hi(b: i32, N: i32, K: i32, lo: i32): i32 {
  return max<i32>(lo, min<i32>(K, N - b));
}

// y and idx of one window for the 4 channels at byte offset co (V) or the one channel there (scalar).
// @ts-ignore: decorator
@inline function max_window(yp: usize, ip: usize, xe: usize, co: usize, ih0: i32, iw0: i32, khLo: i32,
                            khHi: i32, kwLo: i32, kwHi: i32, W: i32, cBytes: usize, V: bool): void {
  const p0 = (ih0 + khLo) * W + iw0 + kwLo;
  const first = xe + <usize>p0 * cBytes + co;
  if (V) {
    let m = v128.load(first);
    let id = i32x4.splat(p0);
    for (let kh = khLo; kh < khHi; kh++) {
      const rowPos = (ih0 + kh) * W + iw0;
      for (let kw = kwLo; kw < kwHi; kw++) {
        const pos = rowPos + kw;
        const v = v128.load(xe + <usize>pos * cBytes + co);
        const gt = f32x4.gt(v, m); // false for v == m and whenever either is NaN
        m = v128.bitselect(v, m, gt);
        id = v128.bitselect(i32x4.splat(pos), id, gt);
      }
    }
    v128.store(yp + co, m);
    if (ip != 0) v128.store(ip + co, id);
  } else {
    let m = load<f32>(first);
    let id = p0;
    for (let kh = khLo; kh < khHi; kh++) {
      const rowPos = (ih0 + kh) * W + iw0;
      for (let kw = kwLo; kw < kwHi; kw++) {
        const pos = rowPos + kw;
        const v = load<f32>(xe + <usize>pos * cBytes + co);
        if (v > m) { m = v; id = pos; }
      }
    }
    store<f32>(yp + co, m);
    if (ip != 0) store<i32>(ip + co, id);
  }
}

// y of one average window for the channels at byte offset co (V: 4 of them).
// @ts-ignore: decorator
@inline function avg_window(yp: usize, xe: usize, co: usize, ih0: i32, iw0: i32, khLo: i32, khHi: i32,
                            kwLo: i32, kwHi: i32, W: i32, cBytes: usize, div: f32, V: bool): void {
  if (V) {
    let s = f32x4.splat(0);
    for (let kh = khLo; kh < khHi; kh++) {
      const rowPos = (ih0 + kh) * W + iw0;
      for (let kw = kwLo; kw < kwHi; kw++) s = f32x4.add(s, v128.load(xe + <usize>(rowPos + kw) * cBytes + co));
    }
    v128.store(yp + co, f32x4.div(s, f32x4.splat(div)));
  } else {
    let s: f32 = 0;
    for (let kh = khLo; kh < khHi; kh++) {
      const rowPos = (ih0 + kh) * W + iw0;
      for (let kw = kwLo; kw < kwHi; kw++) s = s + load<f32>(xe + <usize>(rowPos + kw) * cBytes + co);
    }
    store<f32>(yp + co, s / div);
  }
}

export function maxpool_forward_f32(y: usize, idx: usize, x: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32,
                                    SH: i32, SW: i32, PH: i32, PW: i32, OH: i32, OW: i32): void {
  if (E <= 0 || OH <= 0 || OW <= 0 || C <= 0) return;
  const cBytes = <usize>C << 2, xImg = <usize>H * <usize>W * cBytes;
  let yp = y, ip = idx;
  for (let e = 0; e < E; e++) {
    const xe = x + <usize>e * xImg;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * SH - PH;
      const khLo = range_lo(ih0, KH), khHi = range_hi(ih0, H, KH, khLo);
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * SW - PW;
        const kwLo = range_lo(iw0, KW), kwHi = range_hi(iw0, W, KW, kwLo);
        if (khLo == khHi || kwLo == kwHi) {
          memory.fill(yp, 0, cBytes);
          if (ip != 0) memory.fill(ip, 0xff, cBytes); // -1
        } else if (C >= 4) {
          let c = 0;
          for (; c + 4 <= C; c += 4) {
            max_window(yp, ip, xe, <usize>c << 2, ih0, iw0, khLo, khHi, kwLo, kwHi, W, cBytes, true);
          }
          if (c < C) max_window(yp, ip, xe, <usize>(C - 4) << 2, ih0, iw0, khLo, khHi, kwLo, kwHi, W, cBytes, true);
        } else {
          for (let c = 0; c < C; c++) {
            max_window(yp, ip, xe, <usize>c << 2, ih0, iw0, khLo, khHi, kwLo, kwHi, W, cBytes, false);
          }
        }
        yp += cBytes;
        if (ip != 0) ip += cBytes;
      }
    }
  }
}

export function maxpool_backward_f32(dx: usize, dy: usize, idx: usize, E: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                     accumulate: i32): void {
  if (E <= 0 || C <= 0) return;
  const cBytes = <usize>C << 2, xImg = <usize>H * <usize>W * cBytes;
  if (accumulate == 0) memory.fill(dx, 0, <usize>E * xImg);
  const positions = OH * OW;
  let gp = dy, ip = idx;
  for (let e = 0; e < E; e++) {
    const xe = dx + <usize>e * xImg;
    for (let p = 0; p < positions; p++) {
      for (let c = 0; c < C; c++) {
        const o = <usize>c << 2;
        const id = load<i32>(ip + o);
        if (id >= 0) {
          const q = xe + <usize>id * cBytes + o;
          store<f32>(q, load<f32>(q) + load<f32>(gp + o));
        }
      }
      gp += cBytes;
      ip += cBytes;
    }
  }
}

export function avgpool_forward_f32(y: usize, x: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32,
                                    SW: i32, PH: i32, PW: i32, OH: i32, OW: i32, countPad: i32): void {
  if (E <= 0 || OH <= 0 || OW <= 0 || C <= 0) return;
  const cBytes = <usize>C << 2, xImg = <usize>H * <usize>W * cBytes;
  let yp = y;
  for (let e = 0; e < E; e++) {
    const xe = x + <usize>e * xImg;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * SH - PH;
      const khLo = range_lo(ih0, KH), khHi = range_hi(ih0, H, KH, khLo);
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * SW - PW;
        const kwLo = range_lo(iw0, KW), kwHi = range_hi(iw0, W, KW, kwLo);
        const cnt = (khHi - khLo) * (kwHi - kwLo);
        const div = <f32>(countPad != 0 ? KH * KW : cnt);
        if (cnt == 0) {
          memory.fill(yp, 0, cBytes);
        } else if (C >= 4) {
          let c = 0;
          for (; c + 4 <= C; c += 4) {
            avg_window(yp, xe, <usize>c << 2, ih0, iw0, khLo, khHi, kwLo, kwHi, W, cBytes, div, true);
          }
          if (c < C) avg_window(yp, xe, <usize>(C - 4) << 2, ih0, iw0, khLo, khHi, kwLo, kwHi, W, cBytes, div, true);
        } else {
          for (let c = 0; c < C; c++) {
            avg_window(yp, xe, <usize>c << 2, ih0, iw0, khLo, khHi, kwLo, kwHi, W, cBytes, div, false);
          }
        }
        yp += cBytes;
      }
    }
  }
}

export function avgpool_backward_f32(dx: usize, dy: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32,
                                     SW: i32, PH: i32, PW: i32, OH: i32, OW: i32, countPad: i32, accumulate: i32): void {
  if (E <= 0 || C <= 0) return;
  const cBytes = <usize>C << 2, xImg = <usize>H * <usize>W * cBytes;
  if (accumulate == 0) memory.fill(dx, 0, <usize>E * xImg);
  if (OH <= 0 || OW <= 0) return;
  let gp = dy;
  for (let e = 0; e < E; e++) {
    const xe = dx + <usize>e * xImg;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * SH - PH;
      const khLo = range_lo(ih0, KH), khHi = range_hi(ih0, H, KH, khLo);
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * SW - PW;
        const kwLo = range_lo(iw0, KW), kwHi = range_hi(iw0, W, KW, kwLo);
        const cnt = (khHi - khLo) * (kwHi - kwLo);
        if (cnt > 0) {
          const div = <f32>(countPad != 0 ? KH * KW : cnt);
          const vdiv = f32x4.splat(div);
          let c = 0;
          for (; c + 4 <= C; c += 4) {
            const co = <usize>c << 2;
            const q = f32x4.div(v128.load(gp + co), vdiv);
            for (let kh = khLo; kh < khHi; kh++) {
              const rowPos = (ih0 + kh) * W + iw0;
              for (let kw = kwLo; kw < kwHi; kw++) {
                const p = xe + <usize>(rowPos + kw) * cBytes + co;
                v128.store(p, f32x4.add(v128.load(p), q));
              }
            }
          }
          for (; c < C; c++) {
            const co = <usize>c << 2;
            const q = load<f32>(gp + co) / div;
            for (let kh = khLo; kh < khHi; kh++) {
              const rowPos = (ih0 + kh) * W + iw0;
              for (let kw = kwLo; kw < kwHi; kw++) {
                const p = xe + <usize>(rowPos + kw) * cBytes + co;
                store<f32>(p, load<f32>(p) + q);
              }
            }
          }
        }
        gp += cBytes;
      }
    }
  }
}
