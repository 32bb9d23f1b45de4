// assembly/kernels/bias.ts
// Bias add, forward and backward. Scalar twins: assembly/ref/bias.ts (suffix _ref), identical bits.
//
// Legend: R = rows (batch), C = cols (features).
//   y, dy: R x C f32, row-major (row r starts at byte r * C * 4); b, db: C f32.
//   Byte addresses (usize) into linear memory, 16-byte aligned at the start; rows are only 16-byte
//   aligned when C % 4 == 0, which wasm's unaligned v128 loads do not need. Any R, C >= 0.
//
// Contract
//   * forward:  y[r][c] += b[c], in place.
//   * backward: db[c] = sum over r of dy[r][c], WRITTEN (not accumulated). The sum runs in the fixed
//     order acc = 0; acc += dy[0][c]; acc += dy[1][c]; ... dy[R-1][c]: SIMD across columns, sequential
//     down the rows, so every column sees exactly the scalar twin's roundings. R = 0 writes db = 0.
//   * No aliasing between db and dy.
//
// Body: forward = per row, 8 columns (two v128) per iteration, one v128, scalar tail. Backward = column
// blocks of 16 (four v128 accumulators live across the whole row loop), of 4, then scalar columns.

export function bias_forward_f32(y: usize, b: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const yr = y + <usize>r * rowBytes;
    let c = 0;
    for (; c + 8 <= cols; c += 8) {
      const o = <usize>c << 2;
      const ya = v128.load(yr + o);
      const yb = v128.load(yr + o, 16);
      v128.store(yr + o, f32x4.add(ya, v128.load(b + o)));
      v128.store(yr + o, f32x4.add(yb, v128.load(b + o, 16)), 16);
    }
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(yr + o, f32x4.add(v128.load(yr + o), v128.load(b + o)));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(yr + o, load<f32>(yr + o) + load<f32>(b + o));
    }
  }
}

export function bias_backward_f32(db: usize, dy: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    const o = <usize>c << 2;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    let p = dy + o;
    for (let r = 0; r < rows; r++) {
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
      p += rowBytes;
    }
    v128.store(db + o, a0);
    v128.store(db + o, a1, 16);
    v128.store(db + o, a2, 32);
    v128.store(db + o, a3, 48);
  }
  for (; c + 4 <= cols; c += 4) {
    const o = <usize>c << 2;
    let a0 = f32x4.splat(0);
    let p = dy + o;
    for (let r = 0; r < rows; r++) {
      a0 = f32x4.add(a0, v128.load(p));
      p += rowBytes;
    }
    v128.store(db + o, a0);
  }
  for (; c < cols; c++) {
    const o = <usize>c << 2;
    let acc: f32 = 0;
    let p = dy + o;
    for (let r = 0; r < rows; r++) {
      acc = acc + load<f32>(p);
      p += rowBytes;
    }
    store<f32>(db + o, acc);
  }
}
