// assembly/ref/bias.ts
// Scalar twins of assembly/kernels/bias.ts, identical bits. For tests and benchmarks.
// Legend: R = rows, C = cols; y, dy: R x C row-major f32; b, db: C f32.
// Contract: forward y[r][c] += b[c] in place; backward WRITES db[c] = ((0 + dy[0][c]) + dy[1][c]) + ...
// in row order r = 0 .. R-1.

export function bias_forward_f32_ref(y: usize, b: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const p = y + ((<usize>r * <usize>cols + <usize>c) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(b + (<usize>c << 2)));
    }
  }
}

export function bias_backward_f32_ref(db: usize, dy: usize, rows: i32, cols: i32): void {
  for (let c = 0; c < cols; c++) {
    let acc: f32 = 0;
    for (let r = 0; r < rows; r++) {
      acc = acc + load<f32>(dy + ((<usize>r * <usize>cols + <usize>c) << 2));
    }
    store<f32>(db + (<usize>c << 2), acc);
  }
}
