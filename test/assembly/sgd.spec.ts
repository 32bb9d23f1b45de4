// Plain SGD over a block against its scalar twin, bit for bit, and against hand-computed values.
import { sgd_step_f32 } from "../../assembly/optim/sgd";
import { sgd_step_f32_ref } from "../../assembly/ref/sgd";

const SIZES: i32[] = [0, 1, 3, 4, 5, 8, 17, 43];

describe("sgd_step_f32", () => {
  it("equals its scalar twin at every tail size", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const w1 = heap.alloc(<usize>(n * 4 + 16)), w2 = heap.alloc(<usize>(n * 4 + 16)), g = heap.alloc(<usize>(n * 4 + 16));
      for (let i = 0; i < n; i++) {
        store<f32>(w1 + (<usize>i << 2), <f32>(i * 7 % 11) * 0.37 - 1.5);
        store<f32>(g + (<usize>i << 2), <f32>(i * 5 % 13) * 0.91 - 4.1);
      }
      memory.copy(w2, w1, <usize>(n * 4));
      sgd_step_f32(w1, g, n, <f32>1 / 3, 0.07);
      sgd_step_f32_ref(w2, g, n, <f32>1 / 3, 0.07);
      for (let i = 0; i < n; i++) expect(load<u32>(w1 + (<usize>i << 2))).toBe(load<u32>(w2 + (<usize>i << 2)));
      heap.free(w1); heap.free(w2); heap.free(g);
    }
  });
  it("computes w - lr * (g * gscale), scaling the gradient before the learning rate", () => {
    const w = heap.alloc(16), g = heap.alloc(16);
    store<f32>(w, 1.0); store<f32>(g, 4.0);
    sgd_step_f32(w, g, 1, 0.25, 0.5); // 1 - 0.5 * (4 * 0.25) = 0.5
    expect(load<f32>(w)).toBe(0.5);
    expect(load<f32>(g)).toBe(4.0);
    heap.free(w); heap.free(g);
  });
});
