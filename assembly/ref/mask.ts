// Scalar twin of assembly/kernels/mask.ts (contract there), one id at a time.

export function token_mask_f32_ref(y: usize, ids: usize, rows: i32, L: i32, paddingId: i32): void {
  for (let r = 0; r < rows; r++) {
    let any: f32 = 0;
    for (let l = 0; l < L; l++) {
      if (load<i32>(ids + ((<usize>(r * L + l)) << 2)) != paddingId) any = 1;
    }
    store<f32>(y + (<usize>r << 2), any);
  }
}
