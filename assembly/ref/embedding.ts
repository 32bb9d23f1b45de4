// assembly/ref/embedding.ts
// Scalar twins of assembly/kernels/embedding.ts, identical bits. For tests and benchmarks.
// Legend and contract: see the kernel file (ids: n i32; table, dtable: [V, d]; y, dy: [n, d]).

export function embedding_forward_f32_ref(y: usize, ids: usize, table: usize, n: i32, d: i32, paddingId: i32): void {
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    for (let j = 0; j < d; j++) {
      const v = id == paddingId ? <f32>0 : load<f32>(table + ((<usize>id * <usize>d + <usize>j) << 2));
      store<f32>(y + ((<usize>i * <usize>d + <usize>j) << 2), v);
    }
  }
}

export function embedding_backward_f32_ref(dtable: usize, ids: usize, dy: usize, n: i32, d: i32, paddingId: i32): void {
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    if (id == paddingId) continue;
    for (let j = 0; j < d; j++) {
      const p = dtable + ((<usize>id * <usize>d + <usize>j) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(dy + ((<usize>i * <usize>d + <usize>j) << 2)));
    }
  }
}
