// assembly/kernels/recurrent.ts
// The fused cells of LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000) and GRU
// (Cho et al. 2014), one time step, forward and backward side by side, with PyTorch's equations and gate
// order (torch.nn.LSTM: i, f, g, o; torch.nn.GRU: r, z, n). The matrix products are not here: the input
// side x·W_ihᵀ + biases is one GEMM over all steps (gx), the recurrent side h_{t-1}·W_hhᵀ (+ b_hh for the
// GRU) one GEMM per step (gh); the backward's dgx·W_hh into dhPrev is the caller's GEMM too. Scalar twins:
// assembly/ref/recurrent.ts (suffix _ref), identical bits.
//
// Legend: rows (batch rows of this step), Hd hidden size, G gates (4 LSTM, 3 GRU).
//   gx row r: the G*Hd pre-activation inputs at gx + r*gxStride (ELEMENTS; dgx likewise with dgxStride);
//   gh, dgh, gates: [rows, G*Hd] contiguous; c, h, cPrev, hPrev, dh, dc, dcPrev, dhPrev: [rows, Hd].
//   Gate k of row r occupies columns [k*Hd, (k+1)*Hd) of its row. mask: 0 (no mask) or f32 mask[r] at
//   mask + r*maskStride (elements); 0.0 (or -0.0) = this step is padding for row r (the state passes
//   through), anything else (NaN included) = a real step. Byte addresses, 16-byte aligned at the start of
//   each buffer; rows need not be. Any rows, Hd >= 0.
//   sigma, tanh: assembly/math.ts's sigmoid and tanh (the v128 and f32 forms give identical bits).
//
// Contract. Every line is one f32 operation per element (each product and sum rounded), in this order;
// the twin performs the same.
//   lstm_cell_forward_f32(gates, c, h, gx, gxStride, gh, cPrev, hPrev, mask, maskStride, rows, Hd):
//     a_k = gx[r, k*Hd + j] + gh[r, k*Hd + j] for k = i, f, g, o
//     i = sigma(a_i); f = sigma(a_f); g = tanh(a_g); o = sigma(a_o); gates[r] = [i, f, g, o] (every row)
//     c = (f * cPrev) + (i * g); h = o * tanh(c)
//     masked rows: c = cPrev, h = hPrev (bit copies). No output aliases an input.
//   lstm_cell_backward_f32(dgx, dgxStride, dcPrev, dhPrev, dh, dc, gates, c, cPrev, mask, maskStride, rows, Hd):
//     dh, dc: the gradients of h_t and c_t.
//     tc = tanh(c); dct = dc + ((dh * o) * (1 - (tc * tc))); do = dh * tc
//     di = dct * g; df = dct * cPrev; dg = dct * i; dcPrev = dct * f
//     dgx row, order i, f, g, o: (di * i) * (1 - i), (df * f) * (1 - f), dg * (1 - (g * g)), (do * o) * (1 - o)
//     dhPrev = +0 (the caller then ACCUMULATES dgx·W_hh into it with a GEMM)
//     masked rows: dgx row = +0, dcPrev = dc, dhPrev = dh (bit copies).
//     dcPrev may alias dc and dhPrev may alias dh (each element is read before it is written); nothing else
//     aliases.
//   gru_cell_forward_f32(gates, h, gx, gxStride, gh, hPrev, mask, maskStride, rows, Hd):
//     r = sigma(gx_r + gh_r); z = sigma(gx_z + gh_z); n = tanh(gx_n + (r * gh_n)) (gh holds b_hh, so this is
//     PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))); h = ((1 - z) * n) + (z * hPrev);
//     gates[r] = [r, z, n] (every row). Masked rows: h = hPrev. No output aliases an input.
//   gru_cell_backward_f32(dgx, dgxStride, dgh, dhPrev, dh, gates, gh, hPrev, mask, maskStride, rows, Hd):
//     dn = dh * (1 - z); dz = dh * (hPrev - n); an = dn * (1 - (n * n)); az = (dz * z) * (1 - z)
//     dr = an * gh_n; ar = (dr * r) * (1 - r)
//     dgx row = [ar, az, an]; dgh row = [ar, az, an * r]; dhPrev = dh * z (the caller then accumulates
//     dgh·W_hh into it). Masked rows: dgx row = +0, dgh row = +0, dhPrev = dh.
//     dhPrev may alias dh; nothing else aliases.
//
// Body: whole passes over the step's rows, whose gate values stay in cache: sigmoid and tanh of the gate
// blocks (simd.ts's sigmoid_rows / tanh_rows: one copy of each body in the module, one call per pass), then
// the state update; the forward stages tanh(c) in h and the GRU's n argument in the n gate. Each row runs
// one v128 per iteration, its last 1-3 columns the same vector code on a partial vector (simd.ts). The
// backward is one pass per row with its one tanh inline.

import { tanh_v128 } from "../math";
import { load_lanes, sigmoid_rows, store_lanes, tanh_rows } from "../simd";

// Whether row r of the mask (0: none) marks padding (0.0 or -0.0).
// @ts-ignore: decorator
@inline function masked_row(mask: usize, maskStride: i32, r: i32): bool {
  return mask != 0 && load<f32>(mask + ((<usize>r * <usize>maskStride) << 2)) == 0;
}

export function lstm_cell_forward_f32(gates: usize, c: usize, h: usize, gx: usize, gxStride: i32, gh: usize,
                                      cPrev: usize, hPrev: usize, mask: usize, maskStride: i32, rows: i32,
                                      Hd: i32): void {
  if (rows <= 0 || Hd <= 0) return;
  const hb = <usize>Hd << 2, gb = hb << 2, G = 4 * Hd;
  sigmoid_rows(gates, G, gx, gxStride, gh, G, rows, 2 * Hd); //                      i, f
  tanh_rows(gates + hb * 2, G, gx + hb * 2, gxStride, gh + hb * 2, G, rows, Hd); //  g
  sigmoid_rows(gates + hb * 3, G, gx + hb * 3, gxStride, gh + hb * 3, G, rows, Hd); // o
  for (let r = 0; r < rows; r++) {
    const ru = <usize>r, gr = gates + ru * gb, cr = c + ru * hb, cpr = cPrev + ru * hb;
    for (let j = 0; j < Hd; j += 4) {
      const k = min<i32>(4, Hd - j), o = <usize>j << 2;
      const i = load_lanes(gr + o, k), f = load_lanes(gr + hb + o, k), g = load_lanes(gr + hb * 2 + o, k);
      store_lanes(cr + o, f32x4.add(f32x4.mul(f, load_lanes(cpr + o, k)), f32x4.mul(i, g)), k);
    }
  }
  tanh_rows(h, Hd, c, Hd, 0, 0, rows, Hd); // h = o * tanh(c), tanh(c) staged in h
  for (let r = 0; r < rows; r++) {
    const ru = <usize>r, gr = gates + ru * gb, hr = h + ru * hb;
    if (masked_row(mask, maskStride, r)) {
      memory.copy(c + ru * hb, cPrev + ru * hb, hb);
      memory.copy(hr, hPrev + ru * hb, hb);
      continue;
    }
    for (let j = 0; j < Hd; j += 4) {
      const k = min<i32>(4, Hd - j), o = <usize>j << 2;
      store_lanes(hr + o, f32x4.mul(load_lanes(gr + hb * 3 + o, k), load_lanes(hr + o, k)), k);
    }
  }
}

export function lstm_cell_backward_f32(dgx: usize, dgxStride: i32, dcPrev: usize, dhPrev: usize, dh: usize, dc: usize,
                                       gates: usize, c: usize, cPrev: usize, mask: usize, maskStride: i32,
                                       rows: i32, Hd: i32): void {
  if (rows <= 0 || Hd <= 0) return;
  const hb = <usize>Hd << 2, gb = hb << 2, gxb = <usize>dgxStride << 2;
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const ru = <usize>r;
    const dgr = dgx + ru * gxb, gr = gates + ru * gb;
    const cr = c + ru * hb, cpr = cPrev + ru * hb, dhr = dh + ru * hb, dcr = dc + ru * hb;
    const dcpr = dcPrev + ru * hb, dhpr = dhPrev + ru * hb;
    if (masked_row(mask, maskStride, r)) {
      memory.fill(dgr, 0, gb);
      memory.copy(dcpr, dcr, hb);
      memory.copy(dhpr, dhr, hb);
      continue;
    }
    for (let j = 0; j < Hd; j += 4) {
      const k = min<i32>(4, Hd - j), o = <usize>j << 2;
      const i = load_lanes(gr + o, k), f = load_lanes(gr + hb + o, k);
      const g = load_lanes(gr + hb * 2 + o, k), og = load_lanes(gr + hb * 3 + o, k);
      const dhv = load_lanes(dhr + o, k), dcv = load_lanes(dcr + o, k), cp = load_lanes(cpr + o, k);
      const tc = tanh_v128(load_lanes(cr + o, k));
      const dct = f32x4.add(dcv, f32x4.mul(f32x4.mul(dhv, og), f32x4.sub(one, f32x4.mul(tc, tc))));
      const dO = f32x4.mul(dhv, tc);
      const di = f32x4.mul(dct, g), df = f32x4.mul(dct, cp), dg = f32x4.mul(dct, i);
      store_lanes(dgr + o, f32x4.mul(f32x4.mul(di, i), f32x4.sub(one, i)), k);
      store_lanes(dgr + hb + o, f32x4.mul(f32x4.mul(df, f), f32x4.sub(one, f)), k);
      store_lanes(dgr + hb * 2 + o, f32x4.mul(dg, f32x4.sub(one, f32x4.mul(g, g))), k);
      store_lanes(dgr + hb * 3 + o, f32x4.mul(f32x4.mul(dO, og), f32x4.sub(one, og)), k);
      store_lanes(dcpr + o, f32x4.mul(dct, f), k);
      store_lanes(dhpr + o, zero, k);
    }
  }
}

export function gru_cell_forward_f32(gates: usize, h: usize, gx: usize, gxStride: i32, gh: usize, hPrev: usize,
                                     mask: usize, maskStride: i32, rows: i32, Hd: i32): void {
  if (rows <= 0 || Hd <= 0) return;
  const hb = <usize>Hd << 2, gb = hb * 3, gxb = <usize>gxStride << 2, G = 3 * Hd;
  const one = f32x4.splat(1);
  sigmoid_rows(gates, G, gx, gxStride, gh, G, rows, 2 * Hd); // r, z
  for (let r = 0; r < rows; r++) { //                           n's argument gx_n + r * gh_n, staged in the n gate
    const ru = <usize>r, gr = gates + ru * gb, gxr = gx + ru * gxb + hb * 2, ghr = gh + ru * gb + hb * 2;
    for (let j = 0; j < Hd; j += 4) {
      const k = min<i32>(4, Hd - j), o = <usize>j << 2;
      const arg = f32x4.add(load_lanes(gxr + o, k), f32x4.mul(load_lanes(gr + o, k), load_lanes(ghr + o, k)));
      store_lanes(gr + hb * 2 + o, arg, k);
    }
  }
  tanh_rows(gates + hb * 2, G, gates + hb * 2, G, 0, 0, rows, Hd);
  for (let r = 0; r < rows; r++) {
    const ru = <usize>r, gr = gates + ru * gb, hr = h + ru * hb, hpr = hPrev + ru * hb;
    if (masked_row(mask, maskStride, r)) {
      memory.copy(hr, hpr, hb);
      continue;
    }
    for (let j = 0; j < Hd; j += 4) {
      const k = min<i32>(4, Hd - j), o = <usize>j << 2;
      const z = load_lanes(gr + hb + o, k);
      const n = load_lanes(gr + hb * 2 + o, k);
      store_lanes(hr + o, f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, load_lanes(hpr + o, k))), k);
    }
  }
}

export function gru_cell_backward_f32(dgx: usize, dgxStride: i32, dgh: usize, dhPrev: usize, dh: usize, gates: usize,
                                      gh: usize, hPrev: usize, mask: usize, maskStride: i32, rows: i32,
                                      Hd: i32): void {
  if (rows <= 0 || Hd <= 0) return;
  const hb = <usize>Hd << 2, gb = hb * 3, gxb = <usize>dgxStride << 2;
  const one = f32x4.splat(1);
  for (let r = 0; r < rows; r++) {
    const ru = <usize>r;
    const dgr = dgx + ru * gxb, dghr = dgh + ru * gb, gr = gates + ru * gb, ghr = gh + ru * gb;
    const hpr = hPrev + ru * hb, dhr = dh + ru * hb, dhpr = dhPrev + ru * hb;
    if (masked_row(mask, maskStride, r)) {
      memory.fill(dgr, 0, gb);
      memory.fill(dghr, 0, gb);
      memory.copy(dhpr, dhr, hb);
      continue;
    }
    for (let j = 0; j < Hd; j += 4) {
      const k = min<i32>(4, Hd - j), o = <usize>j << 2;
      const rv = load_lanes(gr + o, k), z = load_lanes(gr + hb + o, k), n = load_lanes(gr + hb * 2 + o, k);
      const dhv = load_lanes(dhr + o, k);
      const dn = f32x4.mul(dhv, f32x4.sub(one, z));
      const dz = f32x4.mul(dhv, f32x4.sub(load_lanes(hpr + o, k), n));
      const an = f32x4.mul(dn, f32x4.sub(one, f32x4.mul(n, n)));
      const az = f32x4.mul(f32x4.mul(dz, z), f32x4.sub(one, z));
      const dr = f32x4.mul(an, load_lanes(ghr + hb * 2 + o, k));
      const ar = f32x4.mul(f32x4.mul(dr, rv), f32x4.sub(one, rv));
      store_lanes(dgr + o, ar, k);
      store_lanes(dgr + hb + o, az, k);
      store_lanes(dgr + hb * 2 + o, an, k);
      store_lanes(dghr + o, ar, k);
      store_lanes(dghr + hb + o, az, k);
      store_lanes(dghr + hb * 2 + o, f32x4.mul(an, rv), k);
      store_lanes(dhpr + o, f32x4.mul(dhv, z), k);
    }
  }
}
