// reduce_slots_f32: the fixed pairwise tree over gradient slots, against a scalar evaluation of the same
// tree written out per element, for slot counts 1..6 and lengths that hit the SIMD body and the tail.
import { reduce_slots_f32 } from "../../assembly/kernels/copy";
import { alloc, at, fill, reseed, expectSameBits, GUARD } from "./helpers";

// The tree of the kernel's comment, per element, with plain f32 adds.
function treeRef(out: usize, src: usize, stride: usize, slots: i32, n: i32): void {
  const v = new StaticArray<f32>(16);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < slots; s++) v[s] = load<f32>(at(src + <usize>s * stride, i));
    for (let step = 1; step < slots; step <<= 1) {
      for (let s = 0; s + step < slots; s += step << 1) v[s] = v[s] + v[s + step];
    }
    store<f32>(at(out, i), v[0]);
  }
}

describe("reduce_slots_f32", () => {
  it("sums slots in the fixed pairwise tree, bit for bit", () => {
    reseed(4242);
    const lengths: i32[] = [0, 1, 3, 4, 7, 8, 9, 17, 43, 256, 1000];
    for (let li = 0; li < lengths.length; li++) {
      const n = lengths[li];
      for (let slots = 1; slots <= 6; slots++) {
        const stride = <usize>(n + GUARD) << 2;
        const buf = alloc((n + GUARD) * slots);
        for (let s = 0; s < slots; s++) fill(buf + <usize>s * stride, n, 1e6, 1e-6);
        const want = alloc(n);
        treeRef(want, buf, stride, slots, n);
        reduce_slots_f32(buf, stride, slots, n);
        expectSameBits(buf, want, n, "n=" + n.toString() + " slots=" + slots.toString(), false);
      }
    }
  });

  it("is not a left fold: (a + b) + (c + d) differs from ((a + b) + c) + d", () => {
    const p = alloc(4 * (1 + GUARD));
    const stride: usize = <usize>(1 + GUARD) << 2;
    store<f32>(p, 1e8); store<f32>(p + stride, 1); store<f32>(p + 2 * stride, -1e8); store<f32>(p + 3 * stride, 1);
    reduce_slots_f32(p, stride, 4, 1);
    // tree: (1e8 + 1) + (-1e8 + 1) = 1e8 + -1e8 = 0 (both 1s are lost to rounding); a left fold gives 1
    expect(load<f32>(p)).toBe(<f32>0);
  });
});
