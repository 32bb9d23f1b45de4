// Scalar twin of optim/sgd.ts.
export function sgd_step_f32_ref(w: usize, g: usize, n: i32, gscale: f32, lr: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(w + o, load<f32>(w + o) - lr * (load<f32>(g + o) * gscale));
  }
}
