// assembly/kernels/conv.ts
// im2col and col2im: convolution as GEMM (Chellapilla, Puri & Simard 2006, "High Performance Convolutional
// Neural Networks for Document Processing"). The op multiplies the column matrix by the [KH*KW*C, F] filter
// matrix (gemm_nn_f32); the filter gradient is colsᵀ·dY, the input gradient col2im(dY·Wᵀ). Scalar twins:
// assembly/ref/conv.ts (suffix _ref), identical bits.
//
// Legend: E examples; H, W input height and width; C channels; KH, KW kernel; SH, SW stride (>= 1); PH, PW
//   the padding before (top, left; the bottom/right padding is implied by OH, OW); DH, DW dilation (>= 1);
//   OH, OW output size. NHWC: x[e, h, w, c] at ((e*H + h)*W + w)*C + c.
//   cols: [E, OH, OW, KH, KW, C] row-major, one row of KH*KW*C per output position.
//   Byte addresses, 16-byte aligned at the start of each buffer; rows inside need not be (unaligned
//   v128 loads). Any count >= 0 (nothing is read or written when one of E, OH, OW, KH, KW, C is 0).
//   A conv1d is the same with H = 1, KH = 1.
//
// Contract
//   im2col_f32(cols, x, E, H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW):
//     cols[e, oh, ow, kh, kw, c] = x[e, ih, iw, c] with ih = oh*SH - PH + kh*DH, iw = ow*SW - PW + kw*DW,
//     or +0 when (ih, iw) lies outside [0, H) x [0, W). A bit copy (NaN payloads kept). cols never
//     aliases x.
//   col2im_f32(dx, dcols, E, H, W, C, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW, accumulate): the adjoint.
//     dx = +0 first unless accumulate != 0 (then the fold starts from dx's values: this one is a fold,
//     not "one add after"); then for e, oh, ow, kh, kw IN THAT ORDER (row-major over dcols), for every
//     in-range (ih, iw): dx[e, ih, iw, c] = dx[e, ih, iw, c] + dcols[e, oh, ow, kh, kw, c]. Out-of-range
//     positions contribute nothing. dx never aliases dcols.
//   Fixed order: within one (e, oh, ow, kh) the kw run touches distinct dx elements, so running it as
//   v128 adds across (kw, c) changes nothing; every dx element receives its terms in row-major order of
//   dcols, as in the twin.
//
// Body. With DW = 1 the in-range kw of one (output position, kh) are one contiguous run of x's row ih, so
// both kernels move runs of KW*C floats (LeNet's first layer, C = 1, KW = 5: runs of 5), never single
// elements; with DW > 1, runs of C. The output columns whose window lies inside the row (computed once per
// call) take a fast path:
//   * im2col walks them kh outer, ow inner: per kh a strided sequence of runs, a run of 4 to 8 floats as
//     two v128 (the second ending at the run's end, overlapping the first: a copy may rewrite the same
//     bits), longer runs 8 wide, 4 wide, then one such last v128; the edge columns go per position, with
//     +0 for the padding.
//   * col2im keeps dcols' row-major order (kh inner, so consecutive adds hit different rows of dx and do
//     not wait on each other's stores); a run of 4 to 8 is two v128 adds whose second one keeps the lanes
//     the first covers as loaded (a bitselect) and is stored first; longer runs 8 wide, 4 wide, scalar tail.

// The first k in [0, K) with b + k*D >= 0 (K when none).
// @ts-ignore: decorator
@inline function range_lo(b: i32, D: i32, K: i32): i32 {
  return b >= 0 ? 0 : min<i32>(K, D == 1 ? -b : (D - 1 - b) / D);
}
// One past the last k in [lo, K) with b + k*D < N (lo when none).
// @ts-ignore: decorator
@inline function range_hi(b: i32, D: i32, N: i32, K: i32, lo: i32): i32 {
  return b >= N ? lo : max<i32>(lo, min<i32>(K, D == 1 ? N - b : (N - 1 - b) / D + 1));
}
// The output columns [owLo, owHi) whose whole window lies inside [0, W): iw0 = ow*SW - PW >= 0 and
// iw0 + (KW-1)*DW <= W - 1 (an empty range when no window fits), computed once per call.
// @ts-ignore: decorator
@inline function inner_lo(SW: i32, PW: i32, OW: i32): i32 {
  return PW <= 0 ? 0 : min<i32>(OW, (PW + SW - 1) / SW);
}
// @ts-ignore: decorator
@inline function inner_hi(W: i32, KW: i32, SW: i32, PW: i32, DW: i32, OW: i32, lo: i32): i32 {
  const last = W - 1 - (KW - 1) * DW + PW; // ow*SW <= last
  return last < 0 ? lo : max<i32>(lo, min<i32>(OW, last / SW + 1));
}

// dst[0..m) = src[0..m), bit copy; dst and src do not overlap. 4 <= m <= 8 (a window row of LeNet's first
// layer: KW*C = 5) is two v128 with no loop.
// @ts-ignore: decorator
@inline function copy_run(dst: usize, src: usize, m: i32): void {
  if (m >= 4) {
    const t = <usize>(m - 4) << 2;
    if (m <= 8) {
      const a = v128.load(src);
      const b = v128.load(src + t);
      v128.store(dst, a);
      v128.store(dst + t, b);
      return;
    }
    let j = 0;
    for (; j + 8 <= m; j += 8) {
      const o = <usize>j << 2;
      const a = v128.load(src + o);
      const b = v128.load(src + o, 16);
      v128.store(dst + o, a);
      v128.store(dst + o, b, 16);
    }
    if (j + 4 <= m) {
      const o = <usize>j << 2;
      v128.store(dst + o, v128.load(src + o));
      j += 4;
    }
    if (j < m) v128.store(dst + t, v128.load(src + t));
  } else {
    for (let j = 0; j < m; j++) store<i32>(dst + (<usize>j << 2), load<i32>(src + (<usize>j << 2)));
  }
}

// dst[0..m) = +0.
// @ts-ignore: decorator
@inline function zero_run(dst: usize, m: i32): void {
  const z = i32x4.splat(0);
  if (m >= 4) {
    let j = 0;
    for (; j + 8 <= m; j += 8) {
      v128.store(dst + (<usize>j << 2), z);
      v128.store(dst + (<usize>j << 2), z, 16);
    }
    if (j + 4 <= m) {
      v128.store(dst + (<usize>j << 2), z);
      j += 4;
    }
    if (j < m) v128.store(dst + (<usize>(m - 4) << 2), z);
  } else {
    for (let j = 0; j < m; j++) store<i32>(dst + (<usize>j << 2), 0);
  }
}

// dst[j] = dst[j] + src[j] for j < m.
// @ts-ignore: decorator
@inline function add_run(dst: usize, src: usize, m: i32): void {
  let j = 0;
  for (; j + 8 <= m; j += 8) {
    const o = <usize>j << 2;
    const a = f32x4.add(v128.load(dst + o), v128.load(src + o));
    const b = f32x4.add(v128.load(dst + o, 16), v128.load(src + o, 16));
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
  for (; j + 4 <= m; j += 4) {
    const o = <usize>j << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; j < m; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

// The cols row of one output position (all kh) outside the inner column range: per kh, the in-range kw
// [lo, hi) copy (one run when DW = 1), the rest is +0; rows kh outside [khLo, khHi) are +0. Called once per
// edge position (not inlined: it is per-position work, and two inlined copies would only grow the module).
function im2col_edge(dst: usize, xe: usize, ih0: i32, iw0: i32, khLo: i32, khHi: i32, W: i32, C: i32,
                     KH: i32, KW: i32, DH: i32, DW: i32, xRow: usize): void {
  const L = KW * C, cBytes = <usize>C << 2, runBytes = <usize>L << 2;
  const lo = range_lo(iw0, DW, KW), hi = range_hi(iw0, DW, W, KW, lo);
  zero_run(dst, khLo * L);
  let d = dst + <usize>khLo * runBytes;
  for (let kh = khLo; kh < khHi; kh++) {
    const xr = xe + <usize>(ih0 + kh * DH) * xRow;
    zero_run(d, lo * C);
    if (DW == 1) {
      if (lo < hi) copy_run(d + <usize>lo * cBytes, xr + <usize>(iw0 + lo) * cBytes, (hi - lo) * C);
    } else {
      for (let kw = lo; kw < hi; kw++) copy_run(d + <usize>kw * cBytes, xr + <usize>(iw0 + kw * DW) * cBytes, C);
    }
    zero_run(d + <usize>hi * cBytes, (KW - hi) * C);
    d += runBytes;
  }
  zero_run(d, (KH - khHi) * L);
}

export function im2col_f32(cols: usize, x: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32,
                           SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, OH: i32, OW: i32): void {
  if (E <= 0 || OH <= 0 || OW <= 0 || KH <= 0 || KW <= 0 || C <= 0) return;
  const L = KW * C, t = <usize>(L - 4) << 2;
  const runBytes = <usize>L << 2, cBytes = <usize>C << 2, posBytes = <usize>KH * runBytes;
  const xRow = <usize>W * cBytes, xImg = <usize>H * xRow, swBytes = <usize>SW * cBytes;
  // inner columns (the whole window row inside x, DW = 1): one run of KW*C per kh
  const owLo = inner_lo(SW, PW, OW), owHi = DW == 1 ? inner_hi(W, KW, SW, PW, DW, OW, owLo) : owLo;
  const inner = owHi - owLo;
  let rowOut = cols; // the cols row of (e, oh, ow = 0)
  for (let e = 0; e < E; e++) {
    const xe = x + <usize>e * xImg;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * SH - PH;
      // kh in [khLo, khHi) read rows of x, the others are padding rows
      const khLo = range_lo(ih0, DH, KH), khHi = range_hi(ih0, DH, H, KH, khLo);
      for (let ow = 0; ow < owLo; ow++) {
        im2col_edge(rowOut + <usize>ow * posBytes, xe, ih0, ow * SW - PW, khLo, khHi, W, C, KH, KW, DH, DW, xRow);
      }
      // inner columns, kh outer: per kh a strided sequence of runs (runs of 4 to 8 floats: two v128 each)
      for (let kh = 0; kh < KH; kh++) {
        let d = rowOut + <usize>owLo * posBytes + <usize>kh * runBytes;
        if (kh < khLo || kh >= khHi) {
          for (let i = 0; i < inner; i++) { zero_run(d, L); d += posBytes; }
        } else {
          let p = xe + <usize>(ih0 + kh * DH) * xRow + <usize>(owLo * SW - PW) * cBytes;
          if (L >= 4 && L <= 8) {
            for (let i = 0; i < inner; i++) {
              const a = v128.load(p);
              const b = v128.load(p + t);
              v128.store(d, a);
              v128.store(d + t, b);
              p += swBytes;
              d += posBytes;
            }
          } else {
            for (let i = 0; i < inner; i++) { copy_run(d, p, L); p += swBytes; d += posBytes; }
          }
        }
      }
      for (let ow = max<i32>(owHi, owLo); ow < OW; ow++) {
        im2col_edge(rowOut + <usize>ow * posBytes, xe, ih0, ow * SW - PW, khLo, khHi, W, C, KH, KW, DH, DW, xRow);
      }
      rowOut += <usize>OW * posBytes;
    }
  }
}

export function col2im_f32(dx: usize, dcols: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32,
                           SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, OH: i32, OW: i32, accumulate: i32): void {
  if (E <= 0 || H <= 0 || W <= 0 || C <= 0) return;
  const cBytes = <usize>C << 2;
  const xRow = <usize>W * cBytes, xImg = <usize>H * xRow, khStep = <usize>DH * xRow;
  if (accumulate == 0) memory.fill(dx, 0, <usize>E * xImg);
  if (OH <= 0 || OW <= 0 || KH <= 0 || KW <= 0) return;
  const L = KW * C, t = <usize>(L - 4) << 2;
  const runBytes = <usize>L << 2, posBytes = <usize>KH * runBytes;
  const owLo = inner_lo(SW, PW, OW), owHi = DW == 1 ? inner_hi(W, KW, SW, PW, DW, OW, owLo) : owLo;
  // runs of 4 to 8: a second v128 ending at L whose lanes below 4 keep their loaded value (the first
  // vector's store, issued after it, writes them): lanes j >= 8 - L add
  const tailMask = i32x4.gt_s(i32x4(0, 1, 2, 3), i32x4.splat(7 - L));
  let src = dcols;
  for (let e = 0; e < E; e++) {
    const xe = dx + <usize>e * xImg;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * SH - PH;
      const khLo = range_lo(ih0, DH, KH), khHi = range_hi(ih0, DH, H, KH, khLo);
      for (let ow = 0; ow < OW; ow++) {
        const iw0 = ow * SW - PW;
        let s = src + <usize>khLo * runBytes;
        if (khLo < khHi && ow >= owLo && ow < owHi) {
          // the whole window row inside dx: one run of KW*C per kh
          let d = xe + <usize>(ih0 + khLo * DH) * xRow + <usize>iw0 * cBytes;
          if (L >= 4 && L <= 8) {
            for (let kh = khLo; kh < khHi; kh++) {
              const a = f32x4.add(v128.load(d), v128.load(s));
              const b = v128.load(d + t);
              v128.store(d + t, v128.bitselect(f32x4.add(b, v128.load(s + t)), b, tailMask));
              v128.store(d, a);
              d += khStep;
              s += runBytes;
            }
          } else {
            for (let kh = khLo; kh < khHi; kh++) { add_run(d, s, L); d += khStep; s += runBytes; }
          }
        } else if (khLo < khHi) {
          const lo = range_lo(iw0, DW, KW), hi = range_hi(iw0, DW, W, KW, lo);
          let xr = xe + <usize>(ih0 + khLo * DH) * xRow;
          for (let kh = khLo; kh < khHi && lo < hi; kh++) {
            if (DW == 1) {
              add_run(xr + <usize>(iw0 + lo) * cBytes, s + <usize>lo * cBytes, (hi - lo) * C);
            } else {
              for (let kw = lo; kw < hi; kw++) add_run(xr + <usize>(iw0 + kw * DW) * cBytes, s + <usize>kw * cBytes, C);
            }
            xr += khStep;
            s += runBytes;
          }
        }
        src += posBytes;
      }
    }
  }
}
