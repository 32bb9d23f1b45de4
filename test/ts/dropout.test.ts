// The TypeScript twin of the dropout mask (src/core/dropout.ts) against the wasm kernels
// (assembly/kernels/dropout.ts and the _ref twins in assembly/ref/dropout.ts), bit for bit.
//
// The wasm side is built here from the two kernel files themselves as asc entries (their exports become
// the module's exports), with the release build's SIMD flags (--enable simd, stub runtime, -O3), memory
// exported. The kernels allocate nothing, so the test places its buffers past the module's own memory
// after growing it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTestWasm } from './helpers.js';
import { dropoutMask } from '../../src/core/dropout.js';
import { seedKey } from '../../src/core/philox.js';

type DropoutFn = (y: number, x: number, n: number, rate: number, k0: number, k1: number,
  step: number, layer: number, start: number) => void;
interface DropoutExports {
  memory: WebAssembly.Memory;
  dropout_forward_f32: DropoutFn;
  dropout_backward_f32: DropoutFn;
  dropout_forward_f32_ref: DropoutFn;
}

const MAX_N = 1 << 16;
let cleanup = () => {};
let wasm: DropoutExports;
let xs = 0; // MAX_N ones
let ys = 0; // MAX_N outputs

beforeAll(async () => {
  const built = await compileTestWasm<DropoutExports>('dropout', ['assembly/kernels/dropout.ts', 'assembly/ref/dropout.ts']);
  wasm = built.exports;
  cleanup = built.cleanup;
  xs = wasm.memory.buffer.byteLength; // past everything the module uses
  ys = xs + 4 * MAX_N;
  wasm.memory.grow(Math.ceil((8 * MAX_N) / 65536));
  new Float32Array(wasm.memory.buffer, xs, MAX_N).fill(1);
}, 60_000);

afterAll(() => cleanup());

/** The mask the wasm kernel applies: dropout of ones, 1 where the output is nonzero. */
function wasmMask(fn: DropoutFn, seed: bigint, step: number, layer: number, n: number, rate: number,
  start: number): Uint8Array {
  const [k0, k1] = seedKey(seed);
  new Uint32Array(wasm.memory.buffer, ys, n).fill(0x7fa5a5a5);
  fn(ys, xs, n, rate, k0, k1, step, layer, start);
  const y = new Float32Array(wasm.memory.buffer, ys, n);
  return Uint8Array.from(y, (v) => (v !== 0 ? 1 : 0));
}
/** Index of the first differing entry, or -1. */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('dropoutMask = the wasm kernels\' mask, bit for bit', () => {
  const seeds = [0n, 42n, 0x0123_4567_89ab_cdefn, -1n];
  const cases: [number, number, number, number][] = [ // step, layer, n, start
    [0, 0, 0, 0], [0, 0, 1, 0], [3, 1, 3, 1], [7, 2, 4, 2], [7, 2, 5, 3], [1, 5, 8, 4], [11, 3, 17, 5],
    [2 ** 32 - 1, 0xffff_ffff, 43, 6], [123_456, 0x8000_0000, 1000, 7], [5, 9, 50, 1_000_003],
    [9, 1, MAX_N, 2 ** 31 - 1 - MAX_N],
  ];
  it('forward, backward and _ref at every size, start and u32 extreme', () => {
    for (const seed of seeds) {
      for (const rate of [0.5, 0.1, 0.9]) {
        for (const [step, layer, n, start] of cases) {
          const t = dropoutMask(seed, step, layer, n, rate, start);
          const what = `seed ${seed} rate ${rate} step ${step} layer ${layer} n ${n} start ${start}`;
          expect(firstDiff(wasmMask(wasm.dropout_forward_f32, seed, step, layer, n, rate, start), t), what).toBe(-1);
          expect(firstDiff(wasmMask(wasm.dropout_backward_f32, seed, step, layer, n, rate, start), t), what).toBe(-1);
          if (n <= 1000) {
            expect(firstDiff(wasmMask(wasm.dropout_forward_f32_ref, seed, step, layer, n, rate, start), t), what)
              .toBe(-1);
          }
        }
      }
    }
  });
  it('rate is compared as the f32 the kernel receives; rate 0 keeps everything', () => {
    for (const rate of [0.3, 1 / 3, 0.7, 1e-9, 0.999_999]) {
      expect(firstDiff(wasmMask(wasm.dropout_forward_f32, 7n, 1, 2, 4000, rate, 0),
        dropoutMask(7n, 1, 2, 4000, rate))).toBe(-1);
    }
    expect(dropoutMask(7n, 1, 2, 100, 0).every((v) => v === 1)).toBe(true);
    expect(firstDiff(wasmMask(wasm.dropout_forward_f32, 7n, 1, 2, 100, 0, 0), dropoutMask(7n, 1, 2, 100, 0)))
      .toBe(-1);
  });
  it('a one-entry change is detected, and step, layer, seed, start each change the mask', () => {
    const n = 1000;
    const w = wasmMask(wasm.dropout_forward_f32, 5n, 3, 4, n, 0.5, 0);
    const t = dropoutMask(5n, 3, 4, n, 0.5);
    expect(firstDiff(w, t)).toBe(-1);
    t[613] ^= 1;
    expect(firstDiff(w, t)).toBe(613);
    const differs = (m: Uint8Array) => m.reduce((s, v, i) => s + (v !== w[i] ? 1 : 0), 0);
    // independent masks at rate 1/2 differ in n/2 +- sqrt(n)/2 places: ask for n/2 - 5 sigma
    const lo = n / 2 - 5 * Math.sqrt(n) / 2;
    expect(differs(dropoutMask(5n, 4, 4, n, 0.5))).toBeGreaterThan(lo);
    expect(differs(dropoutMask(5n, 3, 5, n, 0.5))).toBeGreaterThan(lo);
    expect(differs(dropoutMask(6n, 3, 4, n, 0.5))).toBeGreaterThan(lo);
    expect(differs(dropoutMask(5n | (1n << 40n), 3, 4, n, 0.5))).toBeGreaterThan(lo);
    expect(differs(dropoutMask(5n, 3, 4, n, 0.5, 4))).toBeGreaterThan(lo);
  });
  it('rejects arguments the kernel cannot take', () => {
    expect(() => dropoutMask(1n, 0, 0, 10, 1)).toThrow(RangeError);
    expect(() => dropoutMask(1n, 0, 0, 10, -0.1)).toThrow(RangeError);
    expect(() => dropoutMask(1n, 0, 0, 10, Number.NaN)).toThrow(RangeError);
    expect(() => dropoutMask(1n, 0, 0, 10, 1 - 1e-9)).toThrow(RangeError); // rounds to 1 in f32
    expect(() => dropoutMask(1n, -1, 0, 10, 0.5)).toThrow(RangeError);
    expect(() => dropoutMask(1n, 0, 2 ** 32, 10, 0.5)).toThrow(RangeError);
    expect(() => dropoutMask(1n, 0, 0, -1, 0.5)).toThrow(RangeError);
    expect(() => dropoutMask(1n, 0, 0, 10, 0.5, 1.5)).toThrow(RangeError);
  });
});
