// assembly/ref/copy.ts
// Scalar twins of the entry points of assembly/kernels/copy.ts that compute (add, scale, row windows):
// one plain loop each, the same f32 operation per element, so identical bits. For tests and benchmarks.
// Legend and contract: see the kernel file.

export function add_f32_ref(dst: usize, src: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

export function scale_f32_ref(y: usize, x: usize, n: i32, c: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(x + o) * c);
  }
}

export function copy_rows_f32_ref(dst: usize, dstStride: i32, src: usize, srcStride: i32, rows: i32, cols: i32,
                                  accumulate: i32): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const d = dst + ((<usize>r * <usize>dstStride + <usize>c) << 2);
      const v = load<f32>(src + ((<usize>r * <usize>srcStride + <usize>c) << 2));
      store<f32>(d, accumulate != 0 ? load<f32>(d) + v : v);
    }
  }
}
