// assembly/ref/conv.ts
// Scalar twins of assembly/kernels/conv.ts, identical bits: the contract's loops written out, one element
// at a time. For tests and benchmarks. Legend and contract: see the kernel file.

export function im2col_f32_ref(cols: usize, x: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32,
                               SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, OH: i32, OW: i32): void {
  let p = cols;
  for (let e = 0; e < E; e++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const ih = oh * SH - PH + kh * DH, iw = ow * SW - PW + kw * DW;
            const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
            for (let c = 0; c < C; c++) {
              const v = inside ? load<i32>(x + ((((<usize>e * <usize>H + <usize>ih) * <usize>W + <usize>iw) * <usize>C + <usize>c) << 2)) : 0;
              store<i32>(p, v);
              p += 4;
            }
          }
        }
      }
    }
  }
}

export function col2im_f32_ref(dx: usize, dcols: usize, E: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, SH: i32,
                               SW: i32, PH: i32, PW: i32, DH: i32, DW: i32, OH: i32, OW: i32, accumulate: i32): void {
  if (accumulate == 0) {
    const n = <usize>E * <usize>H * <usize>W * <usize>C;
    for (let i: usize = 0; i < n; i++) store<f32>(dx + (i << 2), 0);
  }
  let p = dcols;
  for (let e = 0; e < E; e++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const ih = oh * SH - PH + kh * DH, iw = ow * SW - PW + kw * DW;
            const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
            for (let c = 0; c < C; c++) {
              if (inside) {
                const q = dx + ((((<usize>e * <usize>H + <usize>ih) * <usize>W + <usize>iw) * <usize>C + <usize>c) << 2);
                store<f32>(q, load<f32>(q) + load<f32>(p));
              }
              p += 4;
            }
          }
        }
      }
    }
  }
}
