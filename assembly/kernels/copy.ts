// Copies n f32 from src to dst (memory.copy: the regions may overlap). Used where a layer passes its input
// through unchanged (dropout at inference) but still owns a separate output buffer.
export function copy_f32(dst: usize, src: usize, n: i32): void {
  if (n > 0) memory.copy(dst, src, <usize>n << 2);
}
