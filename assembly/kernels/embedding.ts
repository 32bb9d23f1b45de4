// assembly/kernels/embedding.ts
// Embedding lookup and its gradient, a deterministic scatter-add. Scalar twins: assembly/ref/embedding.ts
// (suffix _ref), identical bits.
//
// Legend: n ids (tokens), d embedding width, V table rows.
//   ids: n i32, each in [0, V) or equal to paddingId (the facade checks); table, dtable: [V, d] f32;
//   y, dy: [n, d] f32. paddingId = -1 means no padding id. Byte addresses, 16-byte aligned at the start of
//   each buffer; rows need not be (unaligned v128 loads). Any n, d >= 0.
//
// Contract
//   embedding_forward_f32(y, ids, table, n, d, paddingId): y[i, :] = ids[i] == paddingId ? +0 :
//     table[ids[i], :] (a bit copy). y never aliases table.
//   embedding_backward_f32(dtable, ids, dy, n, d, paddingId): for i = 0..n-1 IN ORDER, if ids[i] !=
//     paddingId: dtable[ids[i], :] = dtable[ids[i], :] + dy[i, :]. It always ACCUMULATES (the caller zeroes
//     dtable when it must be written); the fixed order over i is what makes repeated ids deterministic,
//     whatever the sharding. Rows of ids that never occur, and the padding row, are not touched.
//
//   embedding_bag_forward_f32(y, ids, table, w, n, L, d, paddingId): n bags of L ids (ids: [n, L]); w is 0
//     or [L, d] f32 weights per position (a position encoding). For each bag i: acc = +0; for j = 0..L-1 IN
//     ORDER, skipping padding ids: acc = acc + (w ? w[j, :] * table[ids[i, j], :] : table[ids[i, j], :]),
//     each product and each sum rounded; y[i, :] = acc. y is [n, d] and never aliases table or w.
//   embedding_bag_backward_f32(dtable, dw, ids, table, w, dy, n, L, d, paddingId): for i, then j IN ORDER,
//     skipping padding ids: dtable[id, :] = dtable[id, :] + (w ? w[j, :] * dy[i, :] : dy[i, :]); and when dw
//     != 0: dw[j, :] = dw[j, :] + table[id, :] * dy[i, :]. Both ACCUMULATE (the caller zeroes them first
//     when it must write them).
//
// Body of every row: 8 elements (two v128) per iteration, one v128, scalar tail. The bag keeps its sums in
// registers over 8 columns at a time while it walks the L ids, so the order over j is each column's.

// @ts-ignore: decorator
@inline function copy_row(dst: usize, src: usize, d: i32): void {
  let j = 0;
  for (; j + 8 <= d; j += 8) {
    const o = <usize>j << 2;
    const a = v128.load(src + o);
    const b = v128.load(src + o, 16);
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 2;
    v128.store(dst + o, v128.load(src + o));
  }
  for (; j < d; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(src + o));
  }
}

// @ts-ignore: decorator
@inline function zero_row(dst: usize, d: i32): void {
  const z = i32x4.splat(0);
  let j = 0;
  for (; j + 8 <= d; j += 8) {
    const o = <usize>j << 2;
    v128.store(dst + o, z);
    v128.store(dst + o, z, 16);
  }
  for (; j + 4 <= d; j += 4) v128.store(dst + (<usize>j << 2), z);
  for (; j < d; j++) store<f32>(dst + (<usize>j << 2), 0);
}

// @ts-ignore: decorator
@inline function add_row(dst: usize, src: usize, d: i32): void {
  let j = 0;
  for (; j + 8 <= d; j += 8) {
    const o = <usize>j << 2;
    const a = f32x4.add(v128.load(dst + o), v128.load(src + o));
    const b = f32x4.add(v128.load(dst + o, 16), v128.load(src + o, 16));
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; j < d; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

export function embedding_forward_f32(y: usize, ids: usize, table: usize, n: i32, d: i32, paddingId: i32): void {
  if (d <= 0) return;
  const rowBytes = <usize>d << 2;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    const yr = y + <usize>i * rowBytes;
    if (id == paddingId) zero_row(yr, d);
    else copy_row(yr, table + <usize>id * rowBytes, d);
  }
}

export function embedding_backward_f32(dtable: usize, ids: usize, dy: usize, n: i32, d: i32, paddingId: i32): void {
  if (d <= 0) return;
  const rowBytes = <usize>d << 2;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    if (id != paddingId) add_row(dtable + <usize>id * rowBytes, dy + <usize>i * rowBytes, d);
  }
}

export function embedding_bag_forward_f32(y: usize, ids: usize, table: usize, w: usize, n: i32, L: i32, d: i32, paddingId: i32): void {
  if (d <= 0) return;
  const rowBytes = <usize>d << 2;
  for (let i = 0; i < n; i++) {
    const bag = ids + ((<usize>i * <usize>L) << 2), yr = y + <usize>i * rowBytes;
    let c = 0;
    for (; c + 8 <= d; c += 8) {
      const o = <usize>c << 2;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      for (let j = 0; j < L; j++) {
        const id = load<i32>(bag + (<usize>j << 2));
        if (id == paddingId) continue;
        const t = table + <usize>id * rowBytes + o;
        if (w) {
          const wr = w + <usize>j * rowBytes + o;
          a0 = f32x4.add(a0, f32x4.mul(v128.load(wr), v128.load(t)));
          a1 = f32x4.add(a1, f32x4.mul(v128.load(wr, 16), v128.load(t, 16)));
        } else {
          a0 = f32x4.add(a0, v128.load(t));
          a1 = f32x4.add(a1, v128.load(t, 16));
        }
      }
      v128.store(yr + o, a0);
      v128.store(yr + o, a1, 16);
    }
    for (; c + 4 <= d; c += 4) {
      const o = <usize>c << 2;
      let a0 = f32x4.splat(0);
      for (let j = 0; j < L; j++) {
        const id = load<i32>(bag + (<usize>j << 2));
        if (id == paddingId) continue;
        const t = table + <usize>id * rowBytes + o;
        a0 = w ? f32x4.add(a0, f32x4.mul(v128.load(w + <usize>j * rowBytes + o), v128.load(t))) : f32x4.add(a0, v128.load(t));
      }
      v128.store(yr + o, a0);
    }
    for (; c < d; c++) {
      const o = <usize>c << 2;
      let a: f32 = 0;
      for (let j = 0; j < L; j++) {
        const id = load<i32>(bag + (<usize>j << 2));
        if (id == paddingId) continue;
        const t = load<f32>(table + <usize>id * rowBytes + o);
        a = w ? a + load<f32>(w + <usize>j * rowBytes + o) * t : a + t;
      }
      store<f32>(yr + o, a);
    }
  }
}

// dst[:] += a[:] * b[:] over d columns (each product rounded, then added).
// @ts-ignore: decorator
@inline function add_product_row(dst: usize, a: usize, b: usize, d: i32): void {
  let j = 0;
  for (; j + 8 <= d; j += 8) {
    const o = <usize>j << 2;
    const x = f32x4.add(v128.load(dst + o), f32x4.mul(v128.load(a + o), v128.load(b + o)));
    const z = f32x4.add(v128.load(dst + o, 16), f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    v128.store(dst + o, x);
    v128.store(dst + o, z, 16);
  }
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(v128.load(a + o), v128.load(b + o))));
  }
  for (; j < d; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(a + o) * load<f32>(b + o));
  }
}

export function embedding_bag_backward_f32(dtable: usize, dw: usize, ids: usize, table: usize, w: usize, dy: usize,
                                           n: i32, L: i32, d: i32, paddingId: i32): void {
  if (d <= 0) return;
  const rowBytes = <usize>d << 2;
  for (let i = 0; i < n; i++) {
    const bag = ids + ((<usize>i * <usize>L) << 2), g = dy + <usize>i * rowBytes;
    for (let j = 0; j < L; j++) {
      const id = load<i32>(bag + (<usize>j << 2));
      if (id == paddingId) continue;
      const row = <usize>id * rowBytes;
      if (w) add_product_row(dtable + row, w + <usize>j * rowBytes, g, d);
      else add_row(dtable + row, g, d);
      if (dw) add_product_row(dw + <usize>j * rowBytes, table + row, g, d);
    }
  }
}
