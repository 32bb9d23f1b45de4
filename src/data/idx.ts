// src/data/idx.ts
// Reader for the IDX format, the container of the original MNIST files (LeCun, Cortes & Burges,
// http://yann.lecun.com/exdb/mnist/, section "FILE FORMATS FOR THE MNIST DATABASE").
//
//   offset 0      1      2             3        4 .. 4+4*ND            4+4*ND ..
//         +------+------+-------------+--------+---------------------+----------------------------+
//         | 0x00 | 0x00 | dtype code  |   ND   | D0 D1 .. D(ND-1)    | D0*D1*..*D(ND-1) items     |
//         +------+------+-------------+--------+---------------------+----------------------------+
//                                                big-endian u32 each   big-endian, row-major
//
// Legend: ND = number of dimensions (1..8 here), Di = dimension i, itemsize from the dtype code:
//   0x08 u8 (1)  0x09 i8 (1)  0x0B i16 (2)  0x0C i32 (4)  0x0D f32 (4)  0x0E f64 (8)
//
// Contract: parseIdx() either returns a tensor whose data is a fresh host-endian typed array that owns
// its buffer (never a view into the input), or throws an Error naming the source and the offending
// values. The file length must match the header exactly: trailing bytes are an error, because a file
// that is longer than its header says is as likely corrupt (wrong header, concatenation) as one that is
// shorter. A dimension of 0 is accepted only when no data follows (an honest empty tensor).
// Runtime-agnostic; readIdxFile() (src/data/files.ts) adds node:fs and transparent gunzip.

export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX tensor; the dtype tag narrows the type of `data`. Shape is row-major. */
export type IdxTensor =
  | { dtype: 'u8'; shape: number[]; data: Uint8Array }
  | { dtype: 'i8'; shape: number[]; data: Int8Array }
  | { dtype: 'i16'; shape: number[]; data: Int16Array }
  | { dtype: 'i32'; shape: number[]; data: Int32Array }
  | { dtype: 'f32'; shape: number[]; data: Float32Array }
  | { dtype: 'f64'; shape: number[]; data: Float64Array };

/** The IDX dtype code (third magic byte) of each dtype. */
export const IDX_DTYPE_CODES: Readonly<Record<IdxDtype, number>> = {
  u8: 0x08,
  i8: 0x09,
  i16: 0x0b,
  i32: 0x0c,
  f32: 0x0d,
  f64: 0x0e,
};

/** Bytes per item of each dtype. */
export const IDX_ITEM_SIZES: Readonly<Record<IdxDtype, number>> = {
  u8: 1,
  i8: 1,
  i16: 2,
  i32: 4,
  f32: 4,
  f64: 8,
};

/** The format allows up to 255 dimensions; nothing real has more than a handful, so more is corruption. */
export const IDX_MAX_DIMS = 8;

const DTYPE_BY_CODE = new Map<number, IdxDtype>(
  (Object.keys(IDX_DTYPE_CODES) as IdxDtype[]).map((d) => [IDX_DTYPE_CODES[d], d]),
);

const hex = (b: number): string => '0x' + b.toString(16).padStart(2, '0');

/**
 * Parse an IDX file held in memory. `source` (a path or any label) is only used in error messages.
 * Throws on any malformed header or length mismatch; see the file header for the contract.
 */
export function parseIdx(bytes: Uint8Array, source = '<buffer>'): IdxTensor {
  const fail = (problem: string): never => {
    throw new Error(`IDX ${source}: ${problem}`);
  };
  const n = bytes.length;
  if (n < 4) {
    fail(`file is ${n} bytes, shorter than the 4-byte IDX magic`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    // A gzip member is the common way to get here: the files are distributed as .gz.
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (looks gzip-compressed: gunzip it or use readIdxFile)' : '';
    fail(`bad magic: first two bytes must be 0x00 0x00, got ${hex(bytes[0]!)} ${hex(bytes[1]!)}${gz}`);
  }
  const code = bytes[2]!;
  const dtype = DTYPE_BY_CODE.get(code);
  if (dtype === undefined) {
    fail(`unknown dtype code ${hex(code)} (expected one of 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64)`);
  }
  const dt = dtype as IdxDtype;
  const nd = bytes[3]!;
  if (nd === 0 || nd > IDX_MAX_DIMS) {
    fail(`number of dimensions is ${nd}, must be 1..${IDX_MAX_DIMS}`);
  }
  const headerBytes = 4 + 4 * nd;
  if (n < headerBytes) {
    fail(`file is ${n} bytes, shorter than its header (4 + 4*${nd} dims = ${headerBytes} bytes)`);
  }

  // DataView over exactly the caller's window: `bytes` may be a subarray of a larger (pooled) buffer.
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  const shape: number[] = [];
  for (let i = 0; i < nd; i++) shape.push(view.getUint32(4 + 4 * i, false));

  const itemSize = IDX_ITEM_SIZES[dt];
  let count = 1;
  for (const d of shape) count *= d;
  // Dimensions are non-negative, so unless one is 0 (which makes the product exactly 0) every partial
  // product is <= the full one: if the byte count is a safe integer, all the arithmetic was exact. Past 2^53 it would be rounded and the length check
  // below could pass by accident. (8 dims of 2^32 - 1 stay finite, so no Infinity * 0 = NaN.)
  if (count * itemSize > Number.MAX_SAFE_INTEGER) {
    fail(`product of dimensions [${shape.join(', ')}] overflows (${count} items of ${itemSize} bytes)`);
  }
  const dataBytes = n - headerBytes;
  const zeroDim = shape.indexOf(0);
  if (zeroDim >= 0 && dataBytes > 0) {
    fail(`dimension ${zeroDim} of [${shape.join(', ')}] is 0 but ${dataBytes} data bytes follow the header`);
  }
  const expected = headerBytes + count * itemSize;
  if (n < expected) {
    fail(
      `truncated: shape [${shape.join(', ')}] of ${dt} needs ${expected} bytes ` +
        `(header ${headerBytes} + data ${count * itemSize}), file has ${n} (${expected - n} missing)`,
    );
  }
  if (n > expected) {
    fail(
      `${n - expected} trailing bytes: shape [${shape.join(', ')}] of ${dt} needs ${expected} bytes ` +
        `(header ${headerBytes} + data ${count * itemSize}), file has ${n}`,
    );
  }

  const off = headerBytes;
  // Single-byte types are copied, not viewed, so the result never aliases the caller's buffer.
  // Wider types go through DataView big-endian reads: correct on any host endianness, and the
  // multi-byte IDX files in practice are small next to the u8 image files.
  // (Not bytes.slice(): on a Node Buffer that is a view, not a copy.)
  switch (dt) {
    case 'u8': {
      const data = new Uint8Array(count);
      data.set(bytes.subarray(off, off + count));
      return { dtype: dt, shape, data };
    }
    case 'i8': {
      const data = new Int8Array(count);
      new Uint8Array(data.buffer).set(bytes.subarray(off, off + count));
      return { dtype: dt, shape, data };
    }
    case 'i16': {
      const data = new Int16Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt16(off + 2 * i, false);
      return { dtype: dt, shape, data };
    }
    case 'i32': {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(off + 4 * i, false);
      return { dtype: dt, shape, data };
    }
    case 'f32': {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(off + 4 * i, false);
      return { dtype: dt, shape, data };
    }
    case 'f64': {
      const data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(off + 8 * i, false);
      return { dtype: dt, shape, data };
    }
  }
}

/** True if the bytes start with the gzip member magic 1f 8b (RFC 1952, section 2.3.1). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}
