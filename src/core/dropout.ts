// TypeScript twin of the dropout mask of assembly/kernels/dropout.ts, bit for bit: element e (= start + j)
// is kept iff u_e >= f32(rate), u_e = (word >>> 8) * 2^-24 of word e % 4 of
//   Philox4x32-10( counter = (e / 4, layer, step, RNG_DOMAIN_DROPOUT), key = seed (low, high) ).
// The wasm kernel takes rate as an f32, so the comparison is against Math.fround(rate); u_e is exact in f32
// and in f64 alike. rate 0 keeps everything (the kernel's identity). Used as the oracle in tests and to
// inspect a run's masks on the host; slow (one Philox per 4 elements in plain JS).
import { RNG_DOMAIN_DROPOUT } from '../../assembly/shared/abi.js';
import { philox4x32_10, seedKey, uniform01 } from './philox.js';

const U32 = 2 ** 32;

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= U32) throw new RangeError(`${name} must be a u32, got ${v}`);
}

/**
 * Keep mask (1 kept, 0 dropped) of stream elements start .. start + n - 1 for (seed, step, layer) at
 * dropout rate `rate` in [0, 1): the mask dropout_forward_f32 / dropout_backward_f32 apply.
 * start and n are the kernel's i32 arguments: integers in [0, 2^31). step and layer are u32.
 */
export function dropoutMask(
  seed: bigint, step: number, layer: number, n: number, rate: number, start = 0,
): Uint8Array {
  checkU32('step', step);
  checkU32('layer', layer);
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`bad n ${n}`);
  if (!Number.isInteger(start) || start < 0 || start > 0x7fffffff) throw new RangeError(`bad start ${start}`);
  const r = Math.fround(rate);
  if (!(r >= 0 && r < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  const key = seedKey(seed);
  const out = new Uint8Array(n);
  if (r === 0) return out.fill(1);
  let w: Uint32Array = new Uint32Array(4);
  let blk = -1;
  for (let j = 0; j < n; j++) {
    const e = start + j;
    const b = Math.floor(e / 4);
    if (b !== blk) {
      blk = b;
      w = philox4x32_10([b, layer, step, RNG_DOMAIN_DROPOUT], key);
    }
    out[j] = uniform01(w[e % 4]) >= r ? 1 : 0;
  }
  return out;
}
