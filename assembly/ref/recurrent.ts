// assembly/ref/recurrent.ts
// Scalar twins of assembly/kernels/recurrent.ts, identical bits: one element at a time, the operations of
// the kernel file's contract in the same order, with math.ts's f32 sigmoid and tanh. For tests and
// benchmarks. Legend and contract: see the kernel file.

import { sigmoid_f32, tanh_f32 } from "../math";

@inline
function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
@inline
function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
@inline
function masked_row(mask: usize, maskStride: i32, r: i32): bool {
  return mask != 0 && load<f32>(mask + ((<usize>r * <usize>maskStride) << 2)) == 0;
}

export function lstm_cell_forward_f32_ref(gates: usize, c: usize, h: usize, gx: usize, gxStride: i32, gh: usize,
                                          cPrev: usize, hPrev: usize, mask: usize, maskStride: i32, rows: i32,
                                          Hd: i32): void {
  for (let r = 0; r < rows; r++) {
    const x = r * gxStride, g4 = r * 4 * Hd, s = r * Hd;
    const skip = masked_row(mask, maskStride, r);
    for (let j = 0; j < Hd; j++) {
      const i = sigmoid_f32(ld(gx, x + j) + ld(gh, g4 + j));
      const f = sigmoid_f32(ld(gx, x + Hd + j) + ld(gh, g4 + Hd + j));
      const g = tanh_f32(ld(gx, x + 2 * Hd + j) + ld(gh, g4 + 2 * Hd + j));
      const o = sigmoid_f32(ld(gx, x + 3 * Hd + j) + ld(gh, g4 + 3 * Hd + j));
      st(gates, g4 + j, i);
      st(gates, g4 + Hd + j, f);
      st(gates, g4 + 2 * Hd + j, g);
      st(gates, g4 + 3 * Hd + j, o);
      if (skip) {
        store<i32>(c + (<usize>(s + j) << 2), load<i32>(cPrev + (<usize>(s + j) << 2)));
        store<i32>(h + (<usize>(s + j) << 2), load<i32>(hPrev + (<usize>(s + j) << 2)));
      } else {
        const cn = (f * ld(cPrev, s + j)) + (i * g);
        st(c, s + j, cn);
        st(h, s + j, o * tanh_f32(cn));
      }
    }
  }
}

export function lstm_cell_backward_f32_ref(dgx: usize, dgxStride: i32, dcPrev: usize, dhPrev: usize, dh: usize,
                                           dc: usize, gates: usize, c: usize, cPrev: usize, mask: usize,
                                           maskStride: i32, rows: i32, Hd: i32): void {
  for (let r = 0; r < rows; r++) {
    const x = r * dgxStride, g4 = r * 4 * Hd, s = r * Hd;
    if (masked_row(mask, maskStride, r)) {
      for (let j = 0; j < 4 * Hd; j++) st(dgx, x + j, 0);
      for (let j = 0; j < Hd; j++) {
        store<i32>(dcPrev + (<usize>(s + j) << 2), load<i32>(dc + (<usize>(s + j) << 2)));
        store<i32>(dhPrev + (<usize>(s + j) << 2), load<i32>(dh + (<usize>(s + j) << 2)));
      }
      continue;
    }
    for (let j = 0; j < Hd; j++) {
      const i = ld(gates, g4 + j), f = ld(gates, g4 + Hd + j);
      const g = ld(gates, g4 + 2 * Hd + j), o = ld(gates, g4 + 3 * Hd + j);
      const dhv = ld(dh, s + j), dcv = ld(dc, s + j), cp = ld(cPrev, s + j);
      const tc = tanh_f32(ld(c, s + j));
      const dct = dcv + ((dhv * o) * (<f32>1 - (tc * tc)));
      const dO = dhv * tc;
      const di = dct * g, df = dct * cp, dg = dct * i;
      st(dgx, x + j, (di * i) * (<f32>1 - i));
      st(dgx, x + Hd + j, (df * f) * (<f32>1 - f));
      st(dgx, x + 2 * Hd + j, dg * (<f32>1 - (g * g)));
      st(dgx, x + 3 * Hd + j, (dO * o) * (<f32>1 - o));
      st(dcPrev, s + j, dct * f);
      st(dhPrev, s + j, 0);
    }
  }
}

export function gru_cell_forward_f32_ref(gates: usize, h: usize, gx: usize, gxStride: i32, gh: usize, hPrev: usize,
                                         mask: usize, maskStride: i32, rows: i32, Hd: i32): void {
  for (let r = 0; r < rows; r++) {
    const x = r * gxStride, g3 = r * 3 * Hd, s = r * Hd;
    const skip = masked_row(mask, maskStride, r);
    for (let j = 0; j < Hd; j++) {
      const rv = sigmoid_f32(ld(gx, x + j) + ld(gh, g3 + j));
      const z = sigmoid_f32(ld(gx, x + Hd + j) + ld(gh, g3 + Hd + j));
      const n = tanh_f32(ld(gx, x + 2 * Hd + j) + (rv * ld(gh, g3 + 2 * Hd + j)));
      st(gates, g3 + j, rv);
      st(gates, g3 + Hd + j, z);
      st(gates, g3 + 2 * Hd + j, n);
      if (skip) store<i32>(h + (<usize>(s + j) << 2), load<i32>(hPrev + (<usize>(s + j) << 2)));
      else st(h, s + j, ((<f32>1 - z) * n) + (z * ld(hPrev, s + j)));
    }
  }
}

export function gru_cell_backward_f32_ref(dgx: usize, dgxStride: i32, dgh: usize, dhPrev: usize, dh: usize,
                                          gates: usize, gh: usize, hPrev: usize, mask: usize, maskStride: i32,
                                          rows: i32, Hd: i32): void {
  for (let r = 0; r < rows; r++) {
    const x = r * dgxStride, g3 = r * 3 * Hd, s = r * Hd;
    if (masked_row(mask, maskStride, r)) {
      for (let j = 0; j < 3 * Hd; j++) { st(dgx, x + j, 0); st(dgh, g3 + j, 0); }
      for (let j = 0; j < Hd; j++) store<i32>(dhPrev + (<usize>(s + j) << 2), load<i32>(dh + (<usize>(s + j) << 2)));
      continue;
    }
    for (let j = 0; j < Hd; j++) {
      const rv = ld(gates, g3 + j), z = ld(gates, g3 + Hd + j), n = ld(gates, g3 + 2 * Hd + j);
      const dhv = ld(dh, s + j);
      const dn = dhv * (<f32>1 - z);
      const dz = dhv * (ld(hPrev, s + j) - n);
      const an = dn * (<f32>1 - (n * n));
      const az = (dz * z) * (<f32>1 - z);
      const dr = an * ld(gh, g3 + 2 * Hd + j);
      const ar = (dr * rv) * (<f32>1 - rv);
      st(dgx, x + j, ar);
      st(dgx, x + Hd + j, az);
      st(dgx, x + 2 * Hd + j, an);
      st(dgh, g3 + j, ar);
      st(dgh, g3 + Hd + j, az);
      st(dgh, g3 + 2 * Hd + j, an * rv);
      st(dhPrev, s + j, dhv * z);
    }
  }
}
