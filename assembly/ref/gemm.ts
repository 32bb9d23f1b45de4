// Scalar twins of kernels/gemm.ts: the same signatures and the same fold over k, one element at a time.
// They define the bits the SIMD kernels must reproduce (test/assembly/gemm.spec.ts).

/** C[M,N] (+)= A[M,K] · B[K,N]. */
export function gemm_nn_f32_ref(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32,
                                accumulate: i32, scratch: usize): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const cp = c + (<usize>(i * N + j) << 2);
      let acc: f32 = accumulate ? load<f32>(cp) : 0;
      for (let k = 0; k < K; k++) {
        acc += load<f32>(a + (<usize>(i * K + k) << 2)) * load<f32>(b + (<usize>(k * N + j) << 2));
      }
      store<f32>(cp, acc);
    }
  }
}

/** C[M,N] (+)= A[M,K] · B[N,K]ᵀ. */
export function gemm_nt_f32_ref(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32,
                                accumulate: i32, scratch: usize): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const cp = c + (<usize>(i * N + j) << 2);
      let acc: f32 = accumulate ? load<f32>(cp) : 0;
      for (let k = 0; k < K; k++) {
        acc += load<f32>(a + (<usize>(i * K + k) << 2)) * load<f32>(b + (<usize>(j * K + k) << 2));
      }
      store<f32>(cp, acc);
    }
  }
}

/** C[M,N] (+)= A[K,M]ᵀ · B[K,N]. */
export function gemm_tn_f32_ref(c: usize, a: usize, b: usize, M: i32, K: i32, N: i32,
                                accumulate: i32, scratch: usize): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const cp = c + (<usize>(i * N + j) << 2);
      let acc: f32 = accumulate ? load<f32>(cp) : 0;
      for (let k = 0; k < K; k++) {
        acc += load<f32>(a + (<usize>(k * M + i) << 2)) * load<f32>(b + (<usize>(k * N + j) << 2));
      }
      store<f32>(cp, acc);
    }
  }
}

/** `batch` items of gemm_<form>_f32_ref (0 nn, 1 nt, 2 tn); see kernels/gemm.ts's gemm_batched_f32. */
export function gemm_batched_f32_ref(form: i32, c: usize, a: usize, b: usize, batch: i32, M: i32, K: i32, N: i32,
                                     sa: i32, sb: i32, sc: i32, accumulate: i32, scratch: usize): void {
  if (form < 0 || form > 2) unreachable();
  if (batch <= 0 && sc == 0 && accumulate == 0) {
    for (let i = 0; i < M * N; i++) store<f32>(c + (<usize>i << 2), 0);
  }
  for (let t = 0; t < batch; t++) {
    const ct = c + (<usize>t * <usize>sc << 2), at = a + (<usize>t * <usize>sa << 2), bt = b + (<usize>t * <usize>sb << 2);
    const acc = sc == 0 && t > 0 ? 1 : accumulate;
    if (form == 0) gemm_nn_f32_ref(ct, at, bt, M, K, N, acc, scratch);
    else if (form == 1) gemm_nt_f32_ref(ct, at, bt, M, K, N, acc, scratch);
    else gemm_tn_f32_ref(ct, at, bt, M, K, N, acc, scratch);
  }
}
