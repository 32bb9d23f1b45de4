// assembly/ref/elementwise.ts
// Scalar twins of assembly/kernels/elementwise.ts: the contract's loops written out one element at a
// time, the same f32 operations in the same order, so identical bits. For tests and benchmarks.
// Legend and contract: see the kernel file (a, y: [G, P, I]; b: the I values at g * bs, bs = I or 0).

@inline
function at(base: usize, i: usize): usize {
  return base + (i << 2);
}

// element (g, p, i) of a [G, P, I] tensor, and element (g, i) of a broadcast row
@inline
function gpi(g: i32, p: i32, i: i32, P: i32, I: i32): usize {
  return (<usize>g * <usize>P + <usize>p) * <usize>I + <usize>i;
}
@inline
function gi(g: i32, i: i32, bs: i32): usize {
  return <usize>g * <usize>bs + <usize>i;
}

export function add_forward_f32_ref(y: usize, a: usize, b: usize, G: i32, P: i32, I: i32, bs: i32): void {
  for (let g = 0; g < G; g++) for (let p = 0; p < P; p++) for (let i = 0; i < I; i++) {
    const k = gpi(g, p, i, P, I);
    store<f32>(at(y, k), load<f32>(at(a, k)) + load<f32>(at(b, gi(g, i, bs))));
  }
}

export function sub_forward_f32_ref(y: usize, a: usize, b: usize, G: i32, P: i32, I: i32, bs: i32): void {
  for (let g = 0; g < G; g++) for (let p = 0; p < P; p++) for (let i = 0; i < I; i++) {
    const k = gpi(g, p, i, P, I);
    store<f32>(at(y, k), load<f32>(at(a, k)) - load<f32>(at(b, gi(g, i, bs))));
  }
}

export function mul_forward_f32_ref(y: usize, a: usize, b: usize, G: i32, P: i32, I: i32, bs: i32): void {
  for (let g = 0; g < G; g++) for (let p = 0; p < P; p++) for (let i = 0; i < I; i++) {
    const k = gpi(g, p, i, P, I);
    store<f32>(at(y, k), load<f32>(at(a, k)) * load<f32>(at(b, gi(g, i, bs))));
  }
}

export function mul_backward_f32_ref(da: usize, dy: usize, b: usize, G: i32, P: i32, I: i32, bs: i32,
                                     accumulate: i32): void {
  for (let g = 0; g < G; g++) for (let p = 0; p < P; p++) for (let i = 0; i < I; i++) {
    const k = gpi(g, p, i, P, I);
    const v = load<f32>(at(dy, k)) * load<f32>(at(b, gi(g, i, bs)));
    store<f32>(at(da, k), accumulate != 0 ? load<f32>(at(da, k)) + v : v);
  }
}

export function sum_groups_f32_ref(out: usize, x: usize, G: i32, P: i32, I: i32, bs: i32, scale: f32,
                                   accumulate: i32): void {
  if (bs == 0) {
    for (let i = 0; i < I; i++) {
      let s: f32 = 0;
      for (let g = 0; g < G; g++) for (let p = 0; p < P; p++) s = s + load<f32>(at(x, gpi(g, p, i, P, I)));
      const v = s * scale;
      const o = at(out, <usize>i);
      store<f32>(o, accumulate != 0 ? load<f32>(o) + v : v);
    }
  } else {
    for (let g = 0; g < G; g++) for (let i = 0; i < I; i++) {
      let s: f32 = 0;
      for (let p = 0; p < P; p++) s = s + load<f32>(at(x, gpi(g, p, i, P, I)));
      const v = s * scale;
      const o = at(out, gi(g, i, I));
      store<f32>(o, accumulate != 0 ? load<f32>(o) + v : v);
    }
  }
}

export function mul_sum_groups_f32_ref(out: usize, x: usize, w: usize, G: i32, P: i32, I: i32, bs: i32,
                                       accumulate: i32): void {
  if (bs == 0) {
    for (let i = 0; i < I; i++) {
      let s: f32 = 0;
      for (let g = 0; g < G; g++) for (let p = 0; p < P; p++) {
        const k = gpi(g, p, i, P, I);
        s = s + load<f32>(at(x, k)) * load<f32>(at(w, k));
      }
      const o = at(out, <usize>i);
      store<f32>(o, accumulate != 0 ? load<f32>(o) + s : s);
    }
  } else {
    for (let g = 0; g < G; g++) for (let i = 0; i < I; i++) {
      let s: f32 = 0;
      for (let p = 0; p < P; p++) {
        const k = gpi(g, p, i, P, I);
        s = s + load<f32>(at(x, k)) * load<f32>(at(w, k));
      }
      const o = at(out, gi(g, i, I));
      store<f32>(o, accumulate != 0 ? load<f32>(o) + s : s);
    }
  }
}

export function broadcast_groups_f32_ref(out: usize, x: usize, G: i32, P: i32, I: i32, bs: i32, scale: f32,
                                         accumulate: i32): void {
  for (let g = 0; g < G; g++) for (let p = 0; p < P; p++) for (let i = 0; i < I; i++) {
    const o = at(out, gpi(g, p, i, P, I));
    const v = load<f32>(at(x, gi(g, i, bs))) * scale;
    store<f32>(o, accumulate != 0 ? load<f32>(o) + v : v);
  }
}
