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
