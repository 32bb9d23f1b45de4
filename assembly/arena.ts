// Where the planned arena may start: the first 64-byte boundary past the module's static data.
// The planner (src/core/layout.ts) places every tensor from here on; the module itself never allocates.
export function arena_base(): usize {
  return (__heap_base + 63) & ~<usize>63;
}
