// test/ts/data/npy.test.ts
// .npy reader: the exact bytes numpy 1.26 writes for a small array, round trips of every supported descr
// through an independent little-endian encoder that lays out headers exactly as numpy does (v1.0, v2.0,
// v3.0), unaligned data offsets, the header-syntax variants numpy tolerates, and every validation error
// (message must start with the name and name the problem).

import { describe, expect, it } from 'vitest';
import { parseNpy } from '../../../src/data/npy.js';

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** Python repr of a shape tuple: (), (5,), (2, 3). */
const pyShape = (shape: number[]): string => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);

/** The dict numpy writes (keys sorted, each followed by ', '), without any padding. */
const pyHeader = (descr: string, shape: number[], fortran = false): string =>
  `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${pyShape(shape)}, }`;

/**
 * Wrap a header string and data like numpy 1.26's _write_array_header/_wrap_header: spare spaces for
 * growing axis 0 (21 digits), then space padding so magic + version + length + header + '\n' is a
 * multiple of 64. With `raw` the header is used exactly as given (no padding, no '\n').
 */
function wrap(header: string, data: Uint8Array, opts: { version?: 1 | 2 | 3; raw?: boolean } = {}): Uint8Array {
  const version = opts.version ?? 1;
  const lenBytes = version === 1 ? 2 : 4;
  let h = ascii(header);
  if (version === 3) h = Array.from(new TextEncoder().encode(header));
  if (!opts.raw) {
    const hlen = h.length + 1;
    const pad = 64 - ((6 + 2 + lenBytes + hlen) % 64);
    h = [...h, ...ascii(' '.repeat(pad)), 0x0a];
  }
  const out = new Uint8Array(8 + lenBytes + h.length + data.length);
  out.set([0x93, ...ascii('NUMPY'), version, 0]);
  const v = new DataView(out.buffer);
  if (lenBytes === 2) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(h, 8 + lenBytes);
  out.set(data, 8 + lenBytes + h.length);
  return out;
}

/** A numpy-style header for (descr, shape) including the growth spaces numpy 1.26 adds. */
function numpyHeader(descr: string, shape: number[], fortran = false): string {
  const growth = shape.length > 0 ? 21 - String(shape[fortran ? shape.length - 1 : 0]).length : 0;
  return pyHeader(descr, shape, fortran) + ' '.repeat(growth);
}

/** Independent little-endian encoder for the round trips. */
function encode(descr: string, values: (number | bigint)[]): Uint8Array {
  const size = Number(descr.slice(2));
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    const o = i * size;
    switch (descr) {
      case '<f4': v.setFloat32(o, x as number, true); break;
      case '<f8': v.setFloat64(o, x as number, true); break;
      case '|u1': case '<u1': case '|b1': v.setUint8(o, x as number); break;
      case '|i1': v.setInt8(o, x as number); break;
      case '<i2': v.setInt16(o, x as number, true); break;
      case '<u2': v.setUint16(o, x as number, true); break;
      case '<i4': v.setInt32(o, x as number, true); break;
      case '<i8': v.setBigInt64(o, BigInt(x), true); break;
      default: throw new Error(`test encoder: no ${descr}`);
    }
  });
  return out;
}

/** A complete numpy-style v1.0 file. */
function npy(descr: string, shape: number[], values: (number | bigint)[], version: 1 | 2 | 3 = 1): Uint8Array {
  return wrap(numpyHeader(descr, shape), encode(descr, values), { version });
}

/** A file with a custom header text (numpy-style padding unless raw) and raw data bytes. */
function custom(header: string, data: number[] | Uint8Array = [], raw = false): Uint8Array {
  return wrap(header, data instanceof Uint8Array ? data : new Uint8Array(data), { raw });
}

// np.save(f, np.array([[1, 2], [3, 4]], dtype='<f4')) with numpy 1.26: 10-byte preamble, header length
// 118, dict + spaces up to byte 127, '\n', then 1.0 2.0 3.0 4.0 as little-endian f32.
const NUMPY_126_F4_2x2 = new Uint8Array([
  ...[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00],
  ...ascii("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }".padEnd(117, ' ') + '\n'),
  ...[0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80, 0x40],
]);

describe('parseNpy known bytes', () => {
  it('reads the exact file numpy 1.26 writes for [[1, 2], [3, 4]] f4', () => {
    expect(NUMPY_126_F4_2x2.length).toBe(144);
    const a = parseNpy(NUMPY_126_F4_2x2, 'x.npy');
    expect(a.dtype).toBe('<f4');
    expect(a.shape).toEqual([2, 2]);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4]);
  });

  it('the test encoder reproduces those bytes exactly', () => {
    expect(Array.from(npy('<f4', [2, 2], [1, 2, 3, 4]))).toEqual(Array.from(NUMPY_126_F4_2x2));
  });

  it('numpy-style headers put the data at a multiple of 64', () => {
    for (const shape of [[], [7], [60000, 784], [2, 3, 4]]) {
      const f = npy('|u1', shape, []);
      expect((10 + new DataView(f.buffer).getUint16(8, true)) % 64).toBe(0);
      expect(f[f.length - 1]).toBe(0x0a);
    }
  });
});

describe('parseNpy round trips every supported descr exactly', () => {
  const cases: { descr: string; values: (number | bigint)[]; expected: number[]; type: unknown }[] = [
    {
      descr: '<f4',
      values: [0, -0, 1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, Infinity, -Infinity, NaN],
      expected: [0, -0, 1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, Infinity, -Infinity, NaN],
      type: Float32Array,
    },
    {
      descr: '<f8',
      values: [0, -0, 0.1, 1 / 3, -1e300, 1e300, 1e-50, NaN, 16777217],
      expected: [0, -0, Math.fround(0.1), Math.fround(1 / 3), -Infinity, Infinity, 0, NaN, 16777216],
      type: Float32Array,
    },
    { descr: '|u1', values: [0, 1, 127, 128, 255], expected: [0, 1, 127, 128, 255], type: Uint8Array },
    { descr: '<u1', values: [0, 9, 255], expected: [0, 9, 255], type: Uint8Array },
    { descr: '|b1', values: [0, 1, 1, 0], expected: [0, 1, 1, 0], type: Uint8Array },
    { descr: '|i1', values: [-128, -1, 0, 1, 127], expected: [-128, -1, 0, 1, 127], type: Int32Array },
    { descr: '<i2', values: [-32768, -1, 0, 258, 32767], expected: [-32768, -1, 0, 258, 32767], type: Int32Array },
    { descr: '<u2', values: [0, 1, 258, 32768, 65535], expected: [0, 1, 258, 32768, 65535], type: Int32Array },
    {
      descr: '<i4',
      values: [-2147483648, -1, 0, 0x01020304, 2147483647],
      expected: [-2147483648, -1, 0, 0x01020304, 2147483647],
      type: Int32Array,
    },
    {
      descr: '<i8',
      values: [-2147483648n, -1n, 0n, 1n, 2147483647n],
      expected: [-2147483648, -1, 0, 1, 2147483647],
      type: Int32Array,
    },
  ];
  for (const { descr, values, expected, type } of cases) {
    it(descr, () => {
      const a = parseNpy(npy(descr, [values.length], values), `${descr}.npy`);
      expect(a.dtype).toBe(descr);
      expect(a.shape).toEqual([values.length]);
      expect(a.data).toBeInstanceOf(type);
      expect(Array.from(a.data)).toEqual(expected); // toEqual tells -0 from 0 and matches NaN
      // Also with the same data behind a v2.0 and a v3.0 header.
      for (const version of [2, 3] as const) {
        expect(Array.from(parseNpy(npy(descr, [values.length], values, version)).data)).toEqual(expected);
      }
    });
  }
});

describe('parseNpy shapes', () => {
  it('(N,)', () => {
    const a = parseNpy(npy('<i4', [3], [7, 8, 9]));
    expect(a.shape).toEqual([3]);
    expect(Array.from(a.data)).toEqual([7, 8, 9]);
  });

  it('(N, F), row-major', () => {
    const a = parseNpy(npy('|u1', [2, 3], [1, 2, 3, 4, 5, 6]));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('() is a 0-d array of one element', () => {
    const f = npy('<f8', [], [2.5]);
    expect(new TextDecoder().decode(f)).toContain("'shape': ()");
    const a = parseNpy(f);
    expect(a.shape).toEqual([]);
    expect(Array.from(a.data)).toEqual([2.5]);
  });

  it('3-d', () => {
    const values = Array.from({ length: 24 }, (_, i) => i - 12);
    const a = parseNpy(npy('<i2', [2, 3, 4], values));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data)).toEqual(values);
  });

  it('a zero-size dimension with no data', () => {
    const a = parseNpy(npy('<f4', [0, 784], []));
    expect(a.shape).toEqual([0, 784]);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(a.data.length).toBe(0);
  });
});

describe('parseNpy alignment and ownership', () => {
  // A hand-made header of odd length with no padding: the data starts at an odd offset.
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}";
  const values = [1.25, -3.5, 1e-7];

  it('reads data at an odd offset', () => {
    const f = custom(header, encode('<f4', values), true);
    expect((10 + header.length) % 2).toBe(1);
    expect(Array.from(parseNpy(f).data)).toEqual(values.map(Math.fround));
  });

  it('reads every multi-byte descr at an odd offset', () => {
    for (const [descr, vals] of [
      ['<f8', [0.5, -1]],
      ['<i2', [-2, 300]],
      ['<u2', [65535, 1]],
      ['<i4', [-5, 1 << 30]],
      ['<i8', [-7, 7]],
    ] as const) {
      const h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (2,)}`;
      const f = custom(h.length % 2 === 0 ? h + ' ' : h, encode(descr, [...vals]), true);
      expect(Array.from(parseNpy(f).data)).toEqual([...vals]);
    }
  });

  it('reads a file that is an unaligned subarray of a larger buffer', () => {
    const f = npy('<i4', [2, 2], [1, -2, 3, -4]);
    const big = new Uint8Array(f.length + 7);
    big.set(f, 3);
    const a = parseNpy(big.subarray(3, 3 + f.length));
    expect(Array.from(a.data)).toEqual([1, -2, 3, -4]);
  });

  it('returns copies, never views of the input', () => {
    for (const descr of ['<f4', '|u1', '<i4', '|b1']) {
      const f = npy(descr, [2], [1, 0]);
      const a = parseNpy(f);
      expect(a.data.buffer).not.toBe(f.buffer);
      f.fill(0xff, f.length - 2 * Number(descr.slice(2)));
      expect(Array.from(a.data)).toEqual([1, 0]);
    }
  });
});

describe('parseNpy header syntax variants', () => {
  const data = encode('<f4', [1, 2]);
  const ok = (header: string): void => {
    const a = parseNpy(custom(header, data));
    expect(a.shape).toEqual([2]);
    expect(Array.from(a.data)).toEqual([1, 2]);
  };

  it('tolerates whitespace, trailing commas, key order, double quotes and long literals', () => {
    ok("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }");
    ok("{'descr':'<f4','fortran_order':False,'shape':(2,)}");
    ok("{ 'shape' : ( 2 , ) ,\n\t'fortran_order' : False , 'descr' : '<f4' }");
    ok('{"descr": "<f4", "fortran_order": False, "shape": (2,)}');
    ok("{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }");
  });

  it('accepts a header without the trailing newline or padding', () => {
    const f = custom("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", data, true);
    expect(Array.from(parseNpy(f).data)).toEqual([1, 2]);
  });
});

describe('parseNpy errors', () => {
  const good = npy('<f4', [2], [1, 2]);
  const bad = (f: Uint8Array) => () => parseNpy(f, 'train-x.npy');
  const withHeader = (header: string, data: number[] | Uint8Array = encode('<f4', [1, 2])) => bad(custom(header, data));
  const dict = (descr: string, fortran: string, shape: string): string =>
    `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

  it('every message starts with the name', () => {
    expect(() => parseNpy(new Uint8Array(3))).toThrow(/^npy: /);
    expect(bad(new Uint8Array(3))).toThrow(/^train-x\.npy: /);
  });

  it('short file and bad magic', () => {
    expect(bad(new Uint8Array(0))).toThrow('train-x.npy: file is 0 bytes, shorter than the 8-byte .npy magic');
    expect(bad(good.subarray(0, 9))).toThrow(/file is 9 bytes, shorter than the 10-byte preamble of a version 1\.0 file/);
    const f = good.slice();
    f[1] = 0x4f;
    expect(bad(f)).toThrow(/train-x\.npy: bad magic: expected 93 4e 55 4d 50 59 .*got 93 4f 55 4d 50 59/);
    expect(bad(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0]))).toThrow(/bad magic.*zip archive.*\.npz/);
  });

  it('unsupported versions', () => {
    for (const [major, minor] of [[4, 0], [1, 1], [0, 0]]) {
      const f = good.slice();
      f[6] = major!;
      f[7] = minor!;
      expect(bad(f)).toThrow(`train-x.npy: format version is ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
    }
  });

  it('header length past the end of the file', () => {
    const f = good.slice();
    new DataView(f.buffer).setUint16(8, 500, true);
    expect(bad(f)).toThrow(/header length 500 runs past the end of the file \(header would end at byte 510, file has 136\)/);
    const g = npy('<f4', [2], [1, 2], 2);
    new DataView(g.buffer).setUint32(8, 0xffffffff, true);
    expect(bad(g)).toThrow(/header length 4294967295 runs past the end/);
  });

  it('header syntax', () => {
    expect(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)")).toThrow(
      /train-x\.npy: header is not a valid Python literal: unexpected end \(expected ',' or '}'\)/,
    );
    expect(withHeader("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}")).toThrow(/not a valid Python literal/);
    expect(withHeader("{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}")).toThrow(/expected ',' or '}' at offset 16/);
    expect(withHeader("{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}")).toThrow(/expected ':'/);
    expect(withHeader("{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}")).toThrow(/unexpected name 'false'/);
    expect(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x")).toThrow(/unexpected text after the literal/);
    expect(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (,)}")).toThrow(/unexpected character ","/);
    expect(withHeader("{'descr': '<\\f4', 'fortran_order': False, 'shape': (2,)}")).toThrow(/escape sequences/);
    expect(withHeader('')).toThrow(/unexpected end \(expected a value\)/);
    expect(withHeader("('<f4', False, (2,))")).toThrow(/header is \('<f4', False, \(2,\)\), not a dict/);
  });

  it('header keys', () => {
    expect(withHeader("{'descr': '<f4', 'shape': (2,)}")).toThrow(
      "train-x.npy: header has no 'fortran_order' key (need 'descr', 'fortran_order' and 'shape')",
    );
    expect(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}")).toThrow(
      "train-x.npy: header has unexpected key 'extra' (allowed keys: 'descr', 'fortran_order', 'shape')",
    );
    expect(withHeader("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}")).toThrow(
      "header has key 'descr' twice",
    );
    expect(withHeader("{1: '<f4', 'fortran_order': False, 'shape': (2,)}")).toThrow(/header key 1 is not a string/);
  });

  it('unsupported descr', () => {
    const allowed = /allowed descr: '<f4', '<f8', '\|u1', '<u1', '\|i1', '<i2', '<u2', '<i4', '<i8', '\|b1'/;
    expect(withHeader(dict("'>f4'", 'False', '(2,)'))).toThrow(/train-x\.npy: descr is '>f4' \(big-endian .*\)/);
    expect(withHeader(dict("'>f4'", 'False', '(2,)'))).toThrow(allowed);
    expect(withHeader(dict("'|O'", 'False', '(2,)'))).toThrow(/descr is '\|O' \(object arrays .* not supported\)/);
    expect(withHeader(dict("'<c8'", 'False', '(2,)'))).toThrow(/descr is '<c8'; allowed descr: /);
    expect(withHeader(dict("'<i1'", 'False', '(2,)'))).toThrow(/descr is '<i1'; /);
    expect(withHeader(dict("'toString'", 'False', '(2,)'))).toThrow(/descr is 'toString'; /);
    expect(withHeader(dict("[('a', '<f4')]", 'False', '(2,)'))).toThrow(
      /descr is \[\('a', '<f4'\)\] \(a structured dtype\); only plain dtypes are supported/,
    );
  });

  it('fortran_order', () => {
    expect(withHeader(dict("'<f4'", 'True', '(2,)'))).toThrow(
      /train-x\.npy: fortran_order is True \(column-major data is not supported; allowed: False/,
    );
    expect(withHeader(dict("'<f4'", '0', '(2,)'))).toThrow('train-x.npy: fortran_order is 0 (need True or False)');
  });

  it('shape', () => {
    expect(withHeader(dict("'<f4'", 'False', '(2, -3)'))).toThrow('train-x.npy: shape entry 1 is -3 (need an integer >= 0)');
    expect(withHeader(dict("'<f4'", 'False', '(2.0,)'))).toThrow('train-x.npy: shape entry 0 is 2.0 (need an integer >= 0)');
    expect(withHeader(dict("'<f4'", 'False', "('2',)"))).toThrow("shape entry 0 is '2' (need an integer >= 0)");
    expect(withHeader(dict("'<f4'", 'False', '(None,)'))).toThrow('shape entry 0 is None');
    expect(withHeader(dict("'<f4'", 'False', '(99999999999999999999,)'))).toThrow('shape entry 0 is 99999999999999999999');
    // (2) is just 2 in Python: a 1-tuple needs the comma.
    expect(withHeader(dict("'<f4'", 'False', '(2)'))).toThrow(/train-x\.npy: shape is 2 \(need a tuple of integers >= 0/);
    expect(withHeader(dict("'<f4'", 'False', '[2]'))).toThrow(/shape is \[2\] \(need a tuple/);
    expect(withHeader(dict("'<f4'", 'False', `(${Array(65).fill(1).join(', ')})`))).toThrow(
      /shape has 65 dimensions \(at most 64 allowed\)/,
    );
    const m = 2 ** 26;
    expect(withHeader(dict("'<f8'", 'False', `(${m}, ${m})`))).toThrow(/shape \(67108864, 67108864\) of '<f8' overflows/);
  });

  it('data length must match exactly', () => {
    expect(bad(good.subarray(0, good.length - 3))).toThrow(
      "train-x.npy: data is 5 bytes but shape (2,) of '<f4' needs 8 (2 items x 4 bytes): 3 bytes missing (truncated?)",
    );
    const longer = new Uint8Array(good.length + 2);
    longer.set(good);
    expect(bad(longer)).toThrow("train-x.npy: data is 10 bytes but shape (2,) of '<f4' needs 8 (2 items x 4 bytes): 2 trailing bytes");
    expect(bad(wrap(numpyHeader('|u1', [0, 3]), new Uint8Array(1)))).toThrow(/data is 1 bytes but shape \(0, 3\).*needs 0/);
    expect(bad(wrap(numpyHeader('<f8', []), new Uint8Array(0)))).toThrow(/data is 0 bytes but shape \(\) of '<f8' needs 8/);
  });

  it('int64 values that do not fit in int32', () => {
    expect(bad(npy('<i8', [3], [0n, 2147483648n, 0n]))).toThrow(
      'train-x.npy: int64 element 1 is 2147483648, outside the int32 range -2147483648..2147483647',
    );
    expect(bad(npy('<i8', [2], [0n, -2147483649n]))).toThrow('int64 element 1 is -2147483649');
    expect(bad(npy('<i8', [1], [-(2n ** 63n)]))).toThrow('int64 element 0 is -9223372036854775808');
    expect(bad(npy('<i8', [1], [2n ** 32n]))).toThrow('int64 element 0 is 4294967296');
  });

  it('bool bytes other than 0 and 1', () => {
    expect(bad(npy('|b1', [3], [1, 0, 2]))).toThrow('train-x.npy: bool element 2 is byte 2 (need 0 or 1)');
  });

  it('v3.0 header that is not UTF-8', () => {
    const f = npy('<f4', [2], [1, 2], 3);
    f[12 + 2] = 0xff; // inside 'descr'
    expect(bad(f)).toThrow('train-x.npy: version 3.0 header is not valid UTF-8');
  });
});
