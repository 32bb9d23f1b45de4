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
// Body of every row: 8 elements (two v128) per iteration, one v128, scalar tail.

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
