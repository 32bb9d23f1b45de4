// Masks from token ids. Scalar twin: assembly/ref/mask.ts (identical bits: only 0.0 and 1.0 are written).
//
// Legend: R rows, L ids per row. ids: R x L i32; y: R f32.
// Contract
//   * token_mask_f32(y, ids, rows, L, paddingId): y[r] = 1.0 if any ids[r][l] != paddingId (l < L), else +0.0.
//     L = 1 is the elementwise mask (1 where the id is not padding). L = 0 writes +0 rows. y never aliases ids.
// Body: L = 1 compares four ids per v128 (i32x4.ne, then the lanes turned into 1.0 / 0.0 by a bitwise and
// with 1.0's bits); L > 1 scans each row and stops at its first non-padding id.

export function token_mask_f32(y: usize, ids: usize, rows: i32, L: i32, paddingId: i32): void {
  if (L == 1) {
    const pad = i32x4.splat(paddingId), one = f32x4.splat(1);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const o = <usize>r << 2;
      v128.store(y + o, v128.and(i32x4.ne(v128.load(ids + o), pad), one));
    }
    for (; r < rows; r++) {
      const o = <usize>r << 2;
      store<f32>(y + o, load<i32>(ids + o) != paddingId ? <f32>1 : <f32>0);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const row = ids + ((<usize>r * <usize>L) << 2);
    let any: f32 = 0;
    for (let l = 0; l < L; l++) {
      if (load<i32>(row + (<usize>l << 2)) != paddingId) { any = 1; break; }
    }
    store<f32>(y + (<usize>r << 2), any);
  }
}
