describe("as-pect with simd", () => {
  it("adds f32x4 lanes", () => {
    const v = f32x4.add(f32x4(1, 2, 3, 4), f32x4.splat(1));
    expect(f32x4.extract_lane(v, 3)).toBe(<f32>5);
    const p = heap.alloc(64);
    store<f32>(p, 2.5);
    expect(load<f32>(p)).toBe(<f32>2.5);
    heap.free(p);
  });
});
