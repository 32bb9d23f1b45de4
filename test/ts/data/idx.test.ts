// test/ts/data/idx.test.ts
// IDX reader: known-answer decodes from hand-written big-endian bytes for every dtype, random round trips
// through an independent encoder, every validation error (message must name the source and the
// problem), and readIdxFile on plain and gzipped files.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { IDX_DTYPE_CODES, IDX_ITEM_SIZES, isGzip, parseIdx } from '../../../src/data/idx.js';
import { readIdxFile } from '../../../src/data/files.js';
import type { IdxDtype } from '../../../src/data/idx.js';

/** Header bytes written out by hand: 00 00 code nd, then big-endian u32 dims. */
function header(code: number, dims: number[]): number[] {
  const out = [0, 0, code, dims.length];
  for (const d of dims) out.push((d >>> 24) & 0xff, (d >>> 16) & 0xff, (d >>> 8) & 0xff, d & 0xff);
  return out;
}

function bytes(...parts: number[][]): Uint8Array {
  return new Uint8Array(parts.flat());
}

/** Independent big-endian encoder, used for the random round trips. */
function encode(dtype: IdxDtype, dims: number[], values: number[]): Uint8Array {
  const h = header(IDX_DTYPE_CODES[dtype], dims);
  const size = IDX_ITEM_SIZES[dtype];
  const out = new Uint8Array(h.length + values.length * size);
  out.set(h);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    const o = h.length + i * size;
    switch (dtype) {
      case 'u8': v.setUint8(o, x); break;
      case 'i8': v.setInt8(o, x); break;
      case 'i16': v.setInt16(o, x, false); break;
      case 'i32': v.setInt32(o, x, false); break;
      case 'f32': v.setFloat32(o, x, false); break;
      case 'f64': v.setFloat64(o, x, false); break;
    }
  });
  return out;
}

describe('parseIdx known answers (hand-written big-endian bytes)', () => {
  it('u8 [2, 3]', () => {
    const t = parseIdx(bytes(header(0x08, [2, 3]), [0, 1, 127, 128, 254, 255]));
    expect(t.dtype).toBe('u8');
    expect(t.shape).toEqual([2, 3]);
    expect(t.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(t.data)).toEqual([0, 1, 127, 128, 254, 255]);
  });

  it('i8 [4]', () => {
    const t = parseIdx(bytes(header(0x09, [4]), [0x00, 0x7f, 0x80, 0xff]));
    expect(t.dtype).toBe('i8');
    expect(t.data).toBeInstanceOf(Int8Array);
    expect(Array.from(t.data)).toEqual([0, 127, -128, -1]);
  });

  it('i16 [3]', () => {
    const t = parseIdx(bytes(header(0x0b, [3]), [0x01, 0x02, 0xff, 0xfe, 0x80, 0x00]));
    expect(t.dtype).toBe('i16');
    expect(t.data).toBeInstanceOf(Int16Array);
    expect(Array.from(t.data)).toEqual([0x0102, -2, -32768]);
  });

  it('i32 [1, 3]', () => {
    const t = parseIdx(
      bytes(header(0x0c, [1, 3]), [0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00]),
    );
    expect(t.dtype).toBe('i32');
    expect(t.shape).toEqual([1, 3]);
    expect(t.data).toBeInstanceOf(Int32Array);
    expect(Array.from(t.data)).toEqual([0x01020304, -1, -2147483648]);
  });

  it('f32 [4]', () => {
    const t = parseIdx(
      bytes(header(0x0d, [4]), [0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0, 0x7f, 0x80, 0, 0, 0, 0, 0, 0x01]),
    );
    expect(t.dtype).toBe('f32');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data)).toEqual([1, -2, Infinity, 2 ** -149]);
  });

  it('f64 [3]', () => {
    const t = parseIdx(
      bytes(
        header(0x0e, [3]),
        [0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
        [0xc0, 0x04, 0, 0, 0, 0, 0, 0],
        [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18],
      ),
    );
    expect(t.dtype).toBe('f64');
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(Array.from(t.data)).toEqual([1, -2.5, Math.PI]);
  });

  it('reads big-endian dimensions above 2^24', () => {
    // No data follows, so the length check reports the dimension as decoded: 0x01020304 = 16909060.
    const dims = [0x01020304];
    expect(() => parseIdx(bytes(header(0x08, dims)), 'big')).toThrow(/shape \[16909060\] of u8 needs 16909068 bytes/);
  });
});

describe('parseIdx round trips', () => {
  // Deterministic LCG so a failure reproduces.
  let seed = 12345;
  const rand = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const gen: Record<IdxDtype, () => number> = {
    u8: () => Math.floor(rand() * 256),
    i8: () => Math.floor(rand() * 256) - 128,
    i16: () => Math.floor(rand() * 65536) - 32768,
    i32: () => Math.floor(rand() * 2 ** 32) - 2 ** 31,
    f32: () => Math.fround((rand() - 0.5) * 1e6),
    f64: () => (rand() - 0.5) * 1e300,
  };
  for (const dtype of Object.keys(IDX_DTYPE_CODES) as IdxDtype[]) {
    it(`${dtype} [2, 3, 5]`, () => {
      const dims = [2, 3, 5];
      const values = Array.from({ length: 30 }, gen[dtype]);
      const t = parseIdx(encode(dtype, dims, values));
      expect(t.dtype).toBe(dtype);
      expect(t.shape).toEqual(dims);
      expect(t.data.length).toBe(30);
      expect(Array.from(t.data)).toEqual(values);
    });
  }

  it('works on a subarray at an odd byte offset, and the result does not alias the input', () => {
    const inner = encode('i32', [3], [1, -7, 1 << 30]);
    const outer = new Uint8Array(inner.length + 5);
    outer.set(inner, 3);
    const view = outer.subarray(3, 3 + inner.length);
    const t = parseIdx(view);
    expect(Array.from(t.data)).toEqual([1, -7, 1 << 30]);
    outer.fill(0);
    expect(Array.from(t.data)).toEqual([1, -7, 1 << 30]);
    // A Node Buffer too, whose slice() is a view: u8 and i8 must still be copies.
    for (const dtype of ['u8', 'i8'] as const) {
      const src = Buffer.from(encode(dtype, [2], [9, 8]));
      const u = parseIdx(src);
      src.fill(0);
      expect(Array.from(u.data)).toEqual([9, 8]);
    }
  });

  it('accepts 8 dimensions', () => {
    const dims = [1, 2, 1, 2, 1, 2, 1, 2];
    const t = parseIdx(encode('i16', dims, Array.from({ length: 16 }, (_, i) => i - 8)));
    expect(t.shape).toEqual(dims);
    expect(Array.from(t.data)).toEqual(Array.from({ length: 16 }, (_, i) => i - 8));
  });

  it('accepts an empty tensor when a zero dimension has no data after it', () => {
    const t = parseIdx(bytes(header(0x0d, [0, 784])));
    expect(t.shape).toEqual([0, 784]);
    expect(t.data.length).toBe(0);
  });
});

describe('parseIdx errors name the source and the problem', () => {
  const bad = (b: Uint8Array): (() => unknown) => () => parseIdx(b, 'data/foo.idx');

  it('file shorter than the magic', () => {
    expect(bad(new Uint8Array([0, 0, 8]))).toThrow('IDX data/foo.idx: file is 3 bytes, shorter than the 4-byte IDX magic');
    expect(bad(new Uint8Array(0))).toThrow(/file is 0 bytes/);
  });

  it('file shorter than its header', () => {
    expect(bad(bytes([0, 0, 8, 3], [0, 0, 0, 1]))).toThrow(
      /^IDX data\/foo\.idx: file is 8 bytes, shorter than its header \(4 \+ 4\*3 dims = 16 bytes\)$/,
    );
  });

  it('first two magic bytes not zero', () => {
    expect(bad(bytes([0, 1, 8, 1], [0, 0, 0, 0]))).toThrow(/IDX data\/foo\.idx: bad magic.*got 0x00 0x01/);
    expect(bad(bytes([0xab, 0, 8, 1]))).toThrow(/got 0xab 0x00/);
  });

  it('gzip bytes get a hint', () => {
    const gz = gzipSync(encode('u8', [1], [1]));
    expect(isGzip(gz)).toBe(true);
    expect(() => parseIdx(gz, 'x.gz')).toThrow(/got 0x1f 0x8b \(looks gzip-compressed/);
  });

  it('unknown dtype code, in hex', () => {
    expect(bad(bytes([0, 0, 0x0a, 1], [0, 0, 0, 1], [7]))).toThrow(/IDX data\/foo\.idx: unknown dtype code 0x0a/);
    expect(bad(bytes([0, 0, 0xff, 1]))).toThrow(/unknown dtype code 0xff/);
  });

  it('ndims 0 or more than 8', () => {
    expect(bad(bytes([0, 0, 8, 0]))).toThrow(/IDX data\/foo\.idx: number of dimensions is 0, must be 1\.\.8/);
    expect(bad(bytes(header(0x08, [1, 1, 1, 1, 1, 1, 1, 1, 1]), [5]))).toThrow(/number of dimensions is 9/);
  });

  it('zero dimension with data after the header', () => {
    expect(bad(bytes(header(0x08, [2, 0]), [1, 2, 3, 4]))).toThrow(
      /IDX data\/foo\.idx: dimension 1 of \[2, 0\] is 0 but 4 data bytes follow the header/,
    );
  });

  it('product of dimensions overflows', () => {
    const m = 0xffffffff;
    expect(bad(bytes(header(0x0e, [m, m, m])))).toThrow(
      /IDX data\/foo\.idx: product of dimensions \[4294967295, 4294967295, 4294967295\] overflows/,
    );
    // 2^53 / 8 items of f64 is already past the exact-integer range of the byte count.
    expect(bad(bytes(header(0x0e, [2 ** 25, 2 ** 25])))).toThrow(/overflows/);
  });

  it('truncated: expected vs actual bytes', () => {
    const full = encode('i16', [3], [1, 2, 3]); // 4 + 4 + 6 = 14 bytes
    expect(bad(full.subarray(0, 13))).toThrow(
      'IDX data/foo.idx: truncated: shape [3] of i16 needs 14 bytes (header 8 + data 6), file has 13 (1 missing)',
    );
    expect(bad(full.subarray(0, 8))).toThrow(/file has 8 \(6 missing\)/);
  });

  it('trailing bytes', () => {
    const full = encode('f32', [2, 1], [1, 2]); // 4 + 8 + 8 = 20 bytes
    const longer = new Uint8Array(23);
    longer.set(full);
    expect(bad(longer)).toThrow(
      'IDX data/foo.idx: 3 trailing bytes: shape [2, 1] of f32 needs 20 bytes (header 12 + data 8), file has 23',
    );
  });

  it('names a default source when none is given', () => {
    expect(() => parseIdx(new Uint8Array(2))).toThrow(/^IDX <buffer>: /);
  });
});

describe('readIdxFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradnoise-idx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const values = [-1.5, 0, 3.25, 1e-30, -7, 8];
  const raw = encode('f64', [3, 2], values);

  it('reads a plain file', () => {
    const p = join(dir, 'plain-idx2-f64');
    writeFileSync(p, raw);
    const t = readIdxFile(p);
    expect(t.dtype).toBe('f64');
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.data)).toEqual(values);
  });

  it('detects gzip by magic, whatever the name', () => {
    const p = join(dir, 'no-gz-suffix');
    writeFileSync(p, gzipSync(raw));
    const t = readIdxFile(p);
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.data)).toEqual(values);
  });

  it('names the path when the gunzipped content is bad', () => {
    const p = join(dir, 'bad.gz');
    writeFileSync(p, gzipSync(raw.subarray(0, raw.length - 1)));
    expect(() => readIdxFile(p)).toThrow(`IDX ${p}: truncated`);
  });

  it('names the path when the gzip stream is corrupt', () => {
    const p = join(dir, 'corrupt.gz');
    const gz = gzipSync(raw);
    writeFileSync(p, gz.subarray(0, 12));
    expect(() => readIdxFile(p)).toThrow(`IDX ${p}: gzip-compressed but cannot be decompressed`);
  });

  it('names the path when the plain file is bad', () => {
    const p = join(dir, 'bad-dtype');
    writeFileSync(p, bytes([0, 0, 0x07, 1], [0, 0, 0, 1], [1]));
    expect(() => readIdxFile(p)).toThrow(`IDX ${p}: unknown dtype code 0x07`);
  });

  it('lets a missing file fail with the path', () => {
    const p = join(dir, 'missing');
    expect(() => readIdxFile(p)).toThrow(/ENOENT.*missing/);
  });
});
