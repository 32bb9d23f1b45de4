// Plain SGD over a whole params block: w = w - lr * (g * gscale), gscale = 1 / rows of the batch.
// Legend: N = element count of the block (params and grads share one layout, padding is zero in both).
// Contract: any N >= 0; w and g do not alias. The gradient is scaled before the learning rate, the order
// the fused noisy update (issue #3) keeps: g -> g/B -> (clip, noise) -> optimizer.
export function sgd_step_f32(w: usize, g: usize, n: i32, gscale: f32, lr: f32): void {
  const vs = f32x4.splat(gscale), vl = f32x4.splat(lr);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const g0 = f32x4.mul(v128.load(g + o), vs), g1 = f32x4.mul(v128.load(g + o, 16), vs);
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.mul(vl, g0)));
    v128.store(w + o, f32x4.sub(v128.load(w + o, 16), f32x4.mul(vl, g1)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.mul(vl, f32x4.mul(v128.load(g + o), vs))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(w + o, load<f32>(w + o) - lr * (load<f32>(g + o) * gscale));
  }
}
