// Copies and sums of whole f32 ranges.

// Copies n f32 from src to dst (memory.copy: the regions may overlap). Used where a layer passes its input
// through unchanged (dropout at inference) but still owns a separate output buffer.
export function copy_f32(dst: usize, src: usize, n: i32): void {
  if (n > 0) memory.copy(dst, src, <usize>n << 2);
}

// dst[i] = fr(dst[i] + src[i]) for i < n. Element-wise, so any split of a range gives the same bits.
// @ts-ignore: decorator
@inline function add_into(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    v128.store(dst + o, f32x4.add(v128.load(dst + o, 16), v128.load(src + o, 16)), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/**
 * Sums `slots` copies of a range of n f32, laid out `stride` bytes apart from `dst`, into the first copy,
 * in a fixed pairwise tree: first slot s += slot s + 1 for even s, then s += s + 2 for s divisible by 4,
 * and so on (4 slots: (g0 + g1) + (g2 + g3)). The order depends only on `slots`, never on who calls it or
 * on how the range is split, which is what makes gradient shards add up to the same bits for any number
 * of workers (docs/workers.md). Slots other than the first hold partial sums afterwards.
 */
export function reduce_slots_f32(dst: usize, stride: usize, slots: i32, n: i32): void {
  for (let step = 1; step < slots; step <<= 1) {
    for (let s = 0; s + step < slots; s += step << 1) {
      add_into(dst + <usize>s * stride, dst + <usize>(s + step) * stride, n);
    }
  }
}
