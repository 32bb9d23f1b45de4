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

export function embedding_bag_forward_f32_ref(y: usize, ids: usize, table: usize, w: usize, n: i32, L: i32, d: i32, paddingId: i32): void {
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) {
      let a: f32 = 0;
      for (let j = 0; j < L; j++) {
        const id = load<i32>(ids + ((<usize>i * <usize>L + <usize>j) << 2));
        if (id == paddingId) continue;
        const t = load<f32>(table + ((<usize>id * <usize>d + <usize>c) << 2));
        a = w ? a + load<f32>(w + ((<usize>j * <usize>d + <usize>c) << 2)) * t : a + t;
      }
      store<f32>(y + ((<usize>i * <usize>d + <usize>c) << 2), a);
    }
  }
}

export function embedding_bag_backward_f32_ref(dtable: usize, dw: usize, ids: usize, table: usize, w: usize, dy: usize,
                                               n: i32, L: i32, d: i32, paddingId: i32): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < L; j++) {
      const id = load<i32>(ids + ((<usize>i * <usize>L + <usize>j) << 2));
      if (id == paddingId) continue;
      for (let c = 0; c < d; c++) {
        const g = load<f32>(dy + ((<usize>i * <usize>d + <usize>c) << 2));
        const p = dtable + ((<usize>id * <usize>d + <usize>c) << 2);
        const wv: f32 = w ? load<f32>(w + ((<usize>j * <usize>d + <usize>c) << 2)) : 1;
        store<f32>(p, w ? load<f32>(p) + wv * g : load<f32>(p) + g);
        if (dw) {
          const q = dw + ((<usize>j * <usize>d + <usize>c) << 2);
          store<f32>(q, load<f32>(q) + load<f32>(table + ((<usize>id * <usize>d + <usize>c) << 2)) * g);
        }
      }
    }
  }
}
