// test/ts/fuzz/readers.fuzz.test.ts
// Robustness of the data readers under fast-check: parseIdx, parseNpy and parseNumericCsv get random
// bytes (or text), valid files from small generators, and those files mutated (bytes flipped, truncated,
// extended, spliced; header fields overwritten with extreme values such as 0xFFFFFFFF dimensions).
//
// Contract checked (the one each reader's header states): a reader either returns a well-formed result
// (shape product = data length, the typed array its dtype says, a fresh buffer that owns its bytes) or
// throws a plain Error whose message starts with the reader's prefix ("IDX <source>: " for parseIdx,
// "<name>: " for parseNpy and parseNumericCsv). Anything else is a finding: a RangeError from a
// typed-array constructor or a stack overflow, a TypeError, a non-Error. A claimed size must never be
// allocated before the file is checked to hold it (every call is watched for ArrayBuffer growth).
// Valid, unmutated files must round-trip exactly. parseIdx and parseNumericCsv are also checked against
// small independent reference readers written from the contract, so mutated inputs have an oracle.
//
// Seeds are fixed (fc.assert(..., { seed: SEED })), so a failure reproduces; fast-check prints the
// counterexample and the path to replay it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNumericCsv, type NumericCsv } from '../../../src/data/csv.js';
import { IDX_DTYPE_CODES, IDX_ITEM_SIZES, parseIdx, type IdxDtype, type IdxTensor } from '../../../src/data/idx.js';
import { NPY_DESCR_SIZES, parseNpy, type NpyArray } from '../../../src/data/npy.js';

const SEED = 42;
/** ArrayBuffer growth allowed during one reader call: inputs are a few KiB, so this only trips on a claimed size. */
const MAX_CALL_BYTES = 16 << 20;
/** Slowest call allowed: inputs are small, so anything near this is a pathological loop. */
const MAX_CALL_MS = 1000;

// ---------------------------------------------------------------------------------------------------
// The error contract, shared by the three readers.

type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/**
 * Runs one reader call; returns its result, or the Error it threw after checking it is a plain Error with
 * the reader's prefix. Also fails on a large allocation or a slow call.
 */
function run<T>(prefix: string, call: () => T): Outcome<T> {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let out: Outcome<T>;
  try {
    out = { ok: true, value: call() };
  } catch (e) {
    checkReaderError(e, prefix);
    out = { ok: false, error: e as Error };
  }
  const ms = performance.now() - t0;
  const grown = process.memoryUsage().arrayBuffers - before;
  if (grown > MAX_CALL_BYTES) throw new Error(`reader call grew ArrayBuffers by ${grown} bytes`);
  if (ms > MAX_CALL_MS) throw new Error(`reader call took ${ms.toFixed(0)} ms`);
  return out;
}

function checkReaderError(e: unknown, prefix: string): void {
  if (!(e instanceof Error)) throw new Error(`threw a non-Error: ${String(e)}`);
  if (e instanceof WebAssembly.RuntimeError) throw new Error(`threw a WebAssembly.RuntimeError: ${e.message}`);
  // RangeError (typed-array constructor, call stack), TypeError (undefined dereference) and the like.
  if (e.constructor !== Error) throw new Error(`threw a ${e.constructor.name}, not a plain Error: ${e.message}`);
  if (!e.message.startsWith(prefix) || e.message.length <= prefix.length) {
    throw new Error(`error message does not start with ${JSON.stringify(prefix)}: ${JSON.stringify(e.message)}`);
  }
}

/** The typed array owns a fresh buffer of exactly its size (never a view into the input). */
function checkOwnsBuffer(data: ArrayBufferView, input: Uint8Array): void {
  expect(data.byteOffset).toBe(0);
  expect(data.buffer.byteLength).toBe(data.byteLength);
  expect(data.buffer).not.toBe(input.buffer);
}

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------------
// Byte-level mutations, shared by the IDX and .npy suites. Positions are taken modulo the current length.

type ByteMutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'u32be'; at: number; value: number }
  | { kind: 'u32le'; at: number; value: number };

/** 32-bit values that stress size arithmetic: 0, 1, byte/short/int boundaries, 2^32 - 1. */
const extremeU32 = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 3, 0xff, 0x100, 0xffff, 0x10000, 0x1000000, 0x4000001, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
);

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  // Aimed at the size fields: IDX dims (big-endian u32 from byte 4) and the .npy v2/v3 header length (LE u32 at 8).
  fc.record({ kind: fc.constant('u32be' as const), at: fc.integer({ min: 0, max: 9 }).map((i) => 4 + 4 * i), value: extremeU32 }),
  fc.record({ kind: fc.constant('u32le' as const), at: fc.constantFrom(8, 8, 4, 12), value: extremeU32 }),
);

function mutate(input: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  for (const m of mutations) {
    const n = b.length;
    switch (m.kind) {
      case 'flip': if (n > 0) b[m.at % n]! ^= m.xor; break;
      case 'set': if (n > 0) b[m.at % n] = m.value; break;
      case 'truncate': b = b.slice(0, m.keep % (n + 1)); break;
      case 'extend': b = concat(b, m.bytes); break;
      case 'insert': { const at = m.at % (n + 1); b = concat(b.subarray(0, at), m.bytes, b.subarray(at)); break; }
      case 'delete': { const at = m.at % (n + 1); b = concat(b.subarray(0, at), b.subarray(at + m.count)); break; }
      case 'u32be':
      case 'u32le':
        if (m.at + 4 <= n) new DataView(b.buffer).setUint32(m.at, m.value, m.kind === 'u32le');
        break;
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * The same bytes as the caller sees them: a plain array, a window into a larger buffer at an odd offset
 * (a pooled read), or a Node Buffer (whose slice() is a view).
 */
const placement = fc.constantFrom('plain', 'window', 'buffer') as fc.Arbitrary<'plain' | 'window' | 'buffer'>;
function place(b: Uint8Array, how: 'plain' | 'window' | 'buffer'): Uint8Array {
  if (how === 'plain') return b;
  if (how === 'buffer') return Buffer.from(b);
  const big = new Uint8Array(b.length + 10).fill(0xa5);
  big.set(b, 3);
  return big.subarray(3, 3 + b.length);
}

// ---------------------------------------------------------------------------------------------------
// IDX

const IDX_PREFIX = 'IDX fuzz.idx: ';
const IDX_DTYPES = Object.keys(IDX_DTYPE_CODES) as IdxDtype[];
const IDX_ARRAY_TYPES = {
  u8: Uint8Array, i8: Int8Array, i16: Int16Array, i32: Int32Array, f32: Float32Array, f64: Float64Array,
} as const;

/** Independent big-endian encoder. */
function encodeIdx(dtype: IdxDtype, shape: readonly number[], values: readonly number[]): Uint8Array {
  const head = 4 + 4 * shape.length;
  const size = IDX_ITEM_SIZES[dtype];
  const out = new Uint8Array(head + values.length * size);
  const v = new DataView(out.buffer);
  out[2] = IDX_DTYPE_CODES[dtype];
  out[3] = shape.length;
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  values.forEach((x, i) => {
    const o = head + i * size;
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

/** Independent reference decoder, straight from the format description: null when the file is invalid. */
function referenceIdx(b: Uint8Array): { dtype: IdxDtype; shape: number[]; values: number[] } | null {
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) return null;
  const dtype = IDX_DTYPES.find((d) => IDX_DTYPE_CODES[d] === b[2]);
  const nd = b[3]!;
  if (dtype === undefined || nd < 1 || nd > 8 || b.length < 4 + 4 * nd) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape = Array.from({ length: nd }, (_, i) => v.getUint32(4 + 4 * i, false));
  // BigInt: exact whatever the dims, so the reference has no overflow reasoning of its own.
  const count = shape.reduce((a, d) => a * BigInt(d), 1n);
  const size = IDX_ITEM_SIZES[dtype];
  if (BigInt(b.length) !== BigInt(4 + 4 * nd) + count * BigInt(size)) return null;
  const values: number[] = [];
  for (let i = 0, o = 4 + 4 * nd; i < Number(count); i++, o += size) {
    values.push(
      dtype === 'u8' ? v.getUint8(o) : dtype === 'i8' ? v.getInt8(o) : dtype === 'i16' ? v.getInt16(o, false)
        : dtype === 'i32' ? v.getInt32(o, false) : dtype === 'f32' ? v.getFloat32(o, false) : v.getFloat64(o, false),
    );
  }
  return { dtype, shape, values };
}

function checkIdxTensor(t: IdxTensor, input: Uint8Array): void {
  expect(IDX_DTYPES).toContain(t.dtype);
  expect(t.data).toBeInstanceOf(IDX_ARRAY_TYPES[t.dtype]);
  expect(t.shape.length).toBeGreaterThanOrEqual(1);
  expect(t.shape.length).toBeLessThanOrEqual(8);
  for (const d of t.shape) expect(Number.isInteger(d) && d >= 0 && d <= 0xffffffff).toBe(true);
  expect(product(t.shape)).toBe(t.data.length);
  expect(input.length).toBe(4 + 4 * t.shape.length + t.data.length * IDX_ITEM_SIZES[t.dtype]);
  checkOwnsBuffer(t.data, input);
}

const idxValue = (dtype: IdxDtype): fc.Arbitrary<number> => {
  switch (dtype) {
    case 'u8': return fc.integer({ min: 0, max: 255 });
    case 'i8': return fc.integer({ min: -128, max: 127 });
    case 'i16': return fc.integer({ min: -32768, max: 32767 });
    case 'i32': return fc.integer();
    case 'f32': return fc.float(); // every f32, NaN, +-0 and +-Infinity included
    case 'f64': return fc.double();
  }
};

/** 1..3 "real" dims of 0..6 with up to 5 dims of 1 shuffled in: any rank 1..8, at most 216 items. */
const idxShape = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 5 }))
  .chain(([core, ones]) => {
    const dims = [...core, ...Array<number>(ones).fill(1)];
    return fc.shuffledSubarray(dims, { minLength: dims.length });
  });

const idxFile = fc.tuple(fc.constantFrom(...IDX_DTYPES), idxShape).chain(([dtype, shape]) => {
  const n = product(shape);
  return fc.array(idxValue(dtype), { minLength: n, maxLength: n }).map((values) => ({
    dtype, shape, values, bytes: encodeIdx(dtype, shape, values),
  }));
});

describe('parseIdx under fuzzing', () => {
  it('round-trips every valid file exactly, wherever its bytes sit', () => {
    fc.assert(
      fc.property(idxFile, placement, ({ dtype, shape, values, bytes }, how) => {
        const input = place(bytes, how);
        const out = run(IDX_PREFIX, () => parseIdx(input, 'fuzz.idx'));
        if (!out.ok) throw out.error;
        checkIdxTensor(out.value, input);
        expect(out.value.dtype).toBe(dtype);
        expect(out.value.shape).toEqual(shape);
        // toEqual compares numbers with Object.is: -0 and NaN must survive.
        expect(Array.from(out.value.data)).toEqual(dtype === 'f32' ? values.map(Math.fround) : values);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('mutated files: the same verdict and values as the reference decoder, or a prefixed Error', () => {
    fc.assert(
      fc.property(idxFile, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), placement, (file, mutations, how) => {
        const input = place(mutate(file.bytes, mutations), how);
        const ref = referenceIdx(input);
        const out = run(IDX_PREFIX, () => parseIdx(input, 'fuzz.idx'));
        if (ref === null) {
          expect(out.ok, 'parseIdx accepted a file the reference rejects').toBe(false);
          return;
        }
        if (!out.ok) throw new Error(`parseIdx rejected a valid file: ${out.error.message}`);
        checkIdxTensor(out.value, input);
        expect(out.value.dtype).toBe(ref.dtype);
        expect(out.value.shape).toEqual(ref.shape);
        expect(Array.from(out.value.data)).toEqual(ref.values);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('random bytes, with and without a plausible magic', () => {
    const plausible = fc
      .tuple(fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0x0a, 0xff), fc.integer({ min: 0, max: 10 }),
        fc.uint8Array({ maxLength: 48 }))
      .map(([code, nd, rest]) => concat(new Uint8Array([0, 0, code, nd]), rest));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), plausible), (input) => {
        const ref = referenceIdx(input);
        const out = run(IDX_PREFIX, () => parseIdx(input, 'fuzz.idx'));
        expect(out.ok).toBe(ref !== null);
        if (out.ok) {
          checkIdxTensor(out.value, input);
          expect(Array.from(out.value.data)).toEqual(ref!.values);
        }
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('headers claiming huge sizes are refused without allocating them', () => {
    const dims = fc.array(extremeU32, { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(fc.constantFrom(...IDX_DTYPES), dims, fc.uint8Array({ maxLength: 32 }), (dtype, shape, data) => {
        const input = concat(encodeIdx(dtype, shape, []), data);
        const ref = referenceIdx(input);
        const out = run(IDX_PREFIX, () => parseIdx(input, 'fuzz.idx'));
        expect(out.ok).toBe(ref !== null);
        if (out.ok) checkIdxTensor(out.value, input);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// .npy

const NPY_PREFIX = 'fuzz.npy: ';
const NPY_DESCRS = Object.keys(NPY_DESCR_SIZES);
const npyArrayType = (descr: string) =>
  descr.includes('f') ? Float32Array : ['|u1', '<u1', '|b1'].includes(descr) ? Uint8Array : Int32Array;

/** A valid file as its parts, so that one part can be swapped for an extreme value and the rest kept. */
interface NpyParts {
  descr: string;
  shape: number[];
  values: number[];
  version: 1 | 2 | 3;
  quote: "'" | '"';
  order: number[]; // permutation of the three keys
  trailingComma: boolean;
  space: string;
  pad: boolean; // numpy-style padding to 64 and '\n', or the dict as it is
}

const npyValue = (descr: string): fc.Arbitrary<number> => {
  switch (descr) {
    case '<f4': return fc.float();
    case '<f8': return fc.double();
    case '|b1': return fc.integer({ min: 0, max: 1 });
    case '|u1': case '<u1': return fc.integer({ min: 0, max: 255 });
    case '|i1': return fc.integer({ min: -128, max: 127 });
    case '<i2': return fc.integer({ min: -32768, max: 32767 });
    case '<u2': return fc.integer({ min: 0, max: 65535 });
    default: return fc.integer(); // '<i4', and '<i8' values inside the int32 range
  }
};

const npyParts: fc.Arbitrary<NpyParts> = fc
  .record({
    descr: fc.constantFrom(...NPY_DESCRS),
    shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
    version: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
    quote: fc.constantFrom("'", '"') as fc.Arbitrary<"'" | '"'>,
    order: fc.shuffledSubarray([0, 1, 2], { minLength: 3 }),
    trailingComma: fc.boolean(),
    space: fc.constantFrom('', ' ', '  ', '\t', ' \n '),
    pad: fc.boolean(),
  })
  .chain((p) => {
    const n = product(p.shape);
    return fc.array(npyValue(p.descr), { minLength: n, maxLength: n }).map((values) => ({ ...p, values }));
  });

/** Text overrides of one header field, each one either extreme or malformed. */
const npyOverride = fc.oneof(
  fc.record({
    field: fc.constant('shape' as const),
    text: fc.oneof(
      fc.constantFrom(
        '(4294967295, 4294967295)', '(4294967295,)', '(9007199254740991,)', '(9007199254740993,)', '(2147483648, 2)',
        '(-1,)', '(-0,)', '(+3,)', '(1.5,)', '(1e3,)', '(0x10,)', '(1_0,)', '(99999999999999999999,)', '(3L,)',
        '(4294967296, 0)', '(0, 4294967296)', '(True,)', '((1,),)', '[1, 2]', '(1, 2', '()', '(,)', '5', 'None',
        '(' + '1, '.repeat(64) + ')', '(' + '1, '.repeat(65) + ')', '(' + '2, '.repeat(60) + ')',
      ),
      fc.array(extremeU32, { minLength: 1, maxLength: 6 }).map((d) => `(${d.join(', ')},)`),
    ),
  }),
  fc.record({
    field: fc.constant('descr' as const),
    text: fc.constantFrom(
      "'>f4'", "'<f2'", "'O'", "'|O'", "'<c8'", "'<U3'", "''", "'<f4 '", "'f4'", "'<F4'", "[('a', '<f4')]", '4',
      "'toString'", "'__proto__'", "'constructor'", "'hasOwnProperty'", "'<f4", 'None',
    ),
  }),
  fc.record({
    field: fc.constant('fortran_order' as const),
    text: fc.constantFrom('True', '1', '0', 'None', "'False'", 'false', 'FALSE', '(False,)'),
  }),
  fc.record({
    field: fc.constant('extra' as const),
    text: fc.constantFrom("'shape': (1,)", "'descr': '<f4'", "'version': 1", "1: 2", "'__proto__': 1", "'constructor': 1"),
  }),
  fc.record({ field: fc.constant('drop' as const), text: fc.constantFrom('descr', 'fortran_order', 'shape') }),
);
type NpyOverride = { field: 'shape' | 'descr' | 'fortran_order' | 'extra' | 'drop'; text: string };

const pyShape = (s: readonly number[]): string => (s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`);

function npyHeaderText(p: NpyParts, override?: NpyOverride): string {
  const q = p.quote;
  const entries: [string, string][] = [
    ['descr', `${q}${p.descr}${q}`],
    ['fortran_order', 'False'],
    ['shape', pyShape(p.shape)],
  ];
  let items = p.order.map((i) => entries[i]!).map(([k, v]) => {
    if (override && override.field === k) v = override.text;
    return `${q}${k}${q}:${p.space}${v}`;
  });
  if (override?.field === 'drop') items = items.filter((s) => !s.startsWith(`${q}${override.text}${q}`));
  if (override?.field === 'extra') items.push(override.text);
  return `{${items.join(`,${p.space}`)}${p.trailingComma ? ',' : ''}}`;
}

function encodeNpyData(descr: string, values: readonly number[]): Uint8Array {
  const size = NPY_DESCR_SIZES[descr]!;
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    const o = i * size;
    switch (descr) {
      case '<f4': v.setFloat32(o, x, true); break;
      case '<f8': v.setFloat64(o, x, true); break;
      case '|i1': v.setInt8(o, x); break;
      case '<i2': v.setInt16(o, x, true); break;
      case '<u2': v.setUint16(o, x, true); break;
      case '<i4': v.setInt32(o, x, true); break;
      case '<i8': v.setBigInt64(o, BigInt(x), true); break;
      default: v.setUint8(o, x);
    }
  });
  return out;
}

/** Magic, version, header length (LE u16 for 1.0, u32 for 2.0/3.0), header (padded like numpy when asked), data. */
function wrapNpy(header: string, data: Uint8Array, version: 1 | 2 | 3, pad: boolean): Uint8Array {
  const lenBytes = version === 1 ? 2 : 4;
  if (pad) {
    const used = 8 + lenBytes + header.length + 1;
    header += ' '.repeat((64 - (used % 64)) % 64) + '\n';
  }
  const h = new TextEncoder().encode(header); // the headers here are ASCII: latin-1 and UTF-8 agree
  const out = new Uint8Array(8 + lenBytes + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(h, 8 + lenBytes);
  out.set(data, 8 + lenBytes + h.length);
  return out;
}

const npyBytes = (p: NpyParts, override?: NpyOverride): Uint8Array =>
  wrapNpy(npyHeaderText(p, override), encodeNpyData(p.descr, p.values), p.version, p.pad);

/** Structural checks of a successful parse, including that the data section is exactly what the shape needs. */
function checkNpyArray(a: NpyArray, input: Uint8Array): void {
  expect(NPY_DESCRS).toContain(a.dtype);
  expect(a.data).toBeInstanceOf(npyArrayType(a.dtype));
  expect(a.shape.length).toBeLessThanOrEqual(64);
  for (const d of a.shape) expect(Number.isSafeInteger(d) && d >= 0 && !Object.is(d, -0)).toBe(true);
  expect(product(a.shape)).toBe(a.data.length);
  const v = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const dataStart = input[6] === 1 ? 10 + v.getUint16(8, true) : 12 + v.getUint32(8, true);
  expect(input.length - dataStart).toBe(a.data.length * NPY_DESCR_SIZES[a.dtype]!);
  if (a.dtype === '|b1') for (const x of a.data) expect(x === 0 || x === 1).toBe(true);
  checkOwnsBuffer(a.data, input);
}

describe('parseNpy under fuzzing', () => {
  it('round-trips every valid file exactly (versions 1.0-3.0, header spellings, padding, placement)', () => {
    fc.assert(
      fc.property(npyParts, placement, (p, how) => {
        const input = place(npyBytes(p), how);
        const out = run(NPY_PREFIX, () => parseNpy(input, 'fuzz.npy'));
        if (!out.ok) throw out.error;
        checkNpyArray(out.value, input);
        expect(out.value.dtype).toBe(p.descr);
        expect(out.value.shape).toEqual(p.shape);
        const expected = p.descr === '<f4' || p.descr === '<f8' ? p.values.map(Math.fround) : p.values;
        expect(Array.from(out.value.data)).toEqual(expected);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('mutated bytes: a well-formed array or a prefixed Error', () => {
    fc.assert(
      fc.property(npyParts, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), placement, (p, mutations, how) => {
        const input = place(mutate(npyBytes(p), mutations), how);
        const out = run(NPY_PREFIX, () => parseNpy(input, 'fuzz.npy'));
        if (out.ok) checkNpyArray(out.value, input);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('mutated data bytes (header intact): the values the bytes say, or a prefixed Error naming a bad |b1 / <i8 element', () => {
    fc.assert(
      fc.property(npyParts.filter((p) => p.values.length > 0), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), placement, (p, flips, how) => {
        const bytes = npyBytes(p);
        const size = NPY_DESCR_SIZES[p.descr]!;
        const start = bytes.length - p.values.length * size;
        for (const [at, xor] of flips) bytes[start + (at % (bytes.length - start))]! ^= xor;
        const input = place(bytes, how);
        const v = new DataView(bytes.buffer, start);
        const expected = p.values.map((_, i) => {
          const o = i * size;
          switch (p.descr) {
            case '<f4': return v.getFloat32(o, true);
            case '<f8': return Math.fround(v.getFloat64(o, true));
            case '|i1': return v.getInt8(o);
            case '<i2': return v.getInt16(o, true);
            case '<u2': return v.getUint16(o, true);
            case '<i4': return v.getInt32(o, true);
            case '<i8': { const x = v.getBigInt64(o, true); return x >= -(2n ** 31n) && x < 2n ** 31n ? Number(x) : undefined; }
            case '|b1': { const x = v.getUint8(o); return x <= 1 ? x : undefined; }
            default: return v.getUint8(o);
          }
        });
        const bad = expected.indexOf(undefined);
        const out = run(NPY_PREFIX, () => parseNpy(input, 'fuzz.npy'));
        if (bad >= 0) {
          expect(out.ok).toBe(false);
          if (!out.ok) expect(out.error.message).toContain(`element ${bad} `);
          return;
        }
        if (!out.ok) throw new Error(`parseNpy rejected a file whose header is intact: ${out.error.message}`);
        checkNpyArray(out.value, input);
        expect(out.value.shape).toEqual(p.shape);
        expect(Array.from(out.value.data)).toEqual(expected);
      }),
      { seed: SEED, numRuns: 800 },
    );
  });

  it('extreme or malformed header fields (the header length kept consistent): a well-formed array or a prefixed Error', () => {
    fc.assert(
      fc.property(npyParts, npyOverride, (p, override) => {
        const input = npyBytes(p, override);
        const out = run(NPY_PREFIX, () => parseNpy(input, 'fuzz.npy'));
        if (out.ok) checkNpyArray(out.value, input);
        // Every descr, fortran_order, extra-key and dropped-key override makes the file invalid; a shape
        // override may still describe the data (e.g. '(-0,)' over an empty array).
        if (override.field !== 'shape') expect(out.ok, `accepted ${override.field} ${override.text}`).toBe(false);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('random bytes, with and without the magic and a supported version', () => {
    const withMagic = fc
      .tuple(fc.constantFrom(1, 2, 3, 0, 4), fc.constantFrom(0, 0, 1), fc.uint8Array({ maxLength: 64 }))
      .map(([major, minor, rest]) => concat(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, minor]), rest));
    const withHeaderText = fc
      .tuple(fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>, fc.string({ unit: fc.constantFrom(...`{}()[],:'" \n01234567890-+.eLTrueFalsNoquiprdchasf<>|`.split('')), maxLength: 80 }), fc.uint8Array({ maxLength: 16 }))
      .map(([v, text, data]) => wrapNpy(text, data, v, false));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), withMagic, withHeaderText), (input) => {
        const out = run(NPY_PREFIX, () => parseNpy(input, 'fuzz.npy'));
        if (out.ok) checkNpyArray(out.value, input);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('a deeply nested header literal throws a prefixed Error (bounded depth)', () => {
    // Moderate depth: handled. See the next test for deep nesting.
    for (const open of ['[', '(', "{'a':"]) {
      const out = run(NPY_PREFIX, () => parseNpy(wrapNpy(open.repeat(500), new Uint8Array(0), 1, false), 'fuzz.npy'));
      expect(out.ok).toBe(false);
    }
  });

  // WAS: parsePyLiteral (src/data/npy.ts) recursed once per nesting level with no depth limit, so a
  // v1.0 header of ~4000+ '[' (or '(' or "{'a':") characters, well inside the 65535-byte v1.0 header
  // limit, overflows the stack: parseNpy throws "RangeError: Maximum call stack size exceeded" instead of
  // an Error starting with its name. It now stops at 32 levels.
  it('a header of 10000 nested brackets throws a prefixed Error, not a stack overflow', () => {
    for (const open of ['[', '(', "{'a':"]) {
      const input = wrapNpy(open.repeat(10000), new Uint8Array(0), 1, false);
      run(NPY_PREFIX, () => parseNpy(input, 'fuzz.npy'));
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Numeric CSV

const CSV_PREFIX = 'fuzz.csv: ';

/** Reference number syntax from the contract: JS Number(), plus nan/inf/infinity in any case, signed. */
function referenceNumber(f: string): number | undefined {
  const v = Number(f);
  if (!Number.isNaN(v)) return v;
  const m = /^([+-]?)(nan|inf|infinity)$/i.exec(f);
  if (!m) return undefined;
  return m[2]!.toLowerCase() === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
}

/** Independent reference reader written from the contract in src/data/csv.ts: null when the text is invalid. */
function referenceCsv(text: string): { rows: number; cols: number; data: number[]; header: string[] | null } | null {
  if (text.startsWith('\ufeff')) text = text.slice(1);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) return null;
  const fieldsOf = (line: string): string[] | null => {
    if (line.trim() === '') return null;
    const f = line.split(',').map((s) => s.trim());
    return f.some((s) => s.startsWith('"')) ? null : f;
  };
  const first = fieldsOf(lines[0]!);
  if (first === null) return null;
  const header = first.some((f) => f !== '' && referenceNumber(f) === undefined) ? first : null;
  const rows = header ? lines.slice(1) : lines;
  if (rows.length === 0) return null;
  const data: number[] = [];
  let cols = -1;
  for (const line of rows) {
    const f = fieldsOf(line);
    if (f === null) return null;
    if (cols < 0) cols = f.length;
    if (f.length !== cols) return null;
    for (const s of f) {
      const v = s === '' ? undefined : referenceNumber(s);
      if (v === undefined) return null;
      data.push(v);
    }
  }
  if (header && header.length !== cols) return null;
  return { rows: rows.length, cols, data, header };
}

function checkCsv(t: NumericCsv): void {
  expect(t.data).toBeInstanceOf(Float64Array);
  expect(Number.isInteger(t.rows) && t.rows >= 1).toBe(true);
  expect(Number.isInteger(t.cols) && t.cols >= 1).toBe(true);
  expect(t.data.length).toBe(t.rows * t.cols);
  if (t.header !== null) expect(t.header.length).toBe(t.cols);
}

/** Numbers as files spell them; most stay inside the reader's fast path (<= 15 digits, exponent within +-22). */
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });
const decimalField = fc
  .record({
    sign: fc.constantFrom('', '', '-', '+'),
    int: digits(0, 17),
    frac: fc.option(digits(0, 17), { nil: undefined }),
    exp: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), digits(0, 4)), { nil: undefined }),
  })
  .map(({ sign, int, frac, exp }) => `${sign}${int}${frac !== undefined ? '.' + frac : ''}${exp ? exp.join('') : ''}`);
const numberField = fc.oneof(
  { weight: 4, arbitrary: decimalField },
  { weight: 2, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).chain((v) => fc.integer({ min: 0, max: 20 }).map((k) => v.toExponential(k))) },
  { weight: 1, arbitrary: fc.constantFrom('nan', 'NaN', '-nan', 'inf', '-inf', '+Inf', 'Infinity', '-INFINITY', '0x1f', '0b101', '0o17', '1e308', '1e309', '-0', '.5', '5.', '+.5e-3', '4.9e-324', '2e-324') },
);
const padded = (f: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom('', '', ' ', '\t', '  '), f, fc.constantFrom('', '', ' ', '\t')).map(([a, s, b]) => a + s + b);

interface CsvCase { text: string; rows: number; cols: number; header: string[] | null; fields: string[] }

const csvFile: fc.Arbitrary<CsvCase> = fc
  .record({ rows: fc.integer({ min: 1, max: 6 }), cols: fc.integer({ min: 1, max: 5 }) })
  .chain(({ rows, cols }) =>
    fc.record({
      rows: fc.constant(rows),
      cols: fc.constant(cols),
      cells: fc.array(padded(numberField), { minLength: rows * cols, maxLength: rows * cols }),
      header: fc.option(fc.array(fc.constantFrom('label', 'x', 'pixel0', 'a b', '', 'y_1', 'é'), { minLength: cols, maxLength: cols }), { nil: undefined }),
      eol: fc.constantFrom('\n', '\r\n'),
      tail: fc.constantFrom('', '\n', '\r\n', '\n\n', '\n  \n', '\n\t'),
      bom: fc.boolean(),
    }),
  )
  .filter(({ cells }) => cells.every((c) => c.trim() !== '' && referenceNumber(c.trim()) !== undefined))
  .map(({ rows, cols, cells, header, eol, tail, bom }) => {
    const h = header && header.every((f) => f === '') ? ['label', ...header.slice(1)] : header;
    const lines = Array.from({ length: rows }, (_, r) => cells.slice(r * cols, (r + 1) * cols).join(','));
    if (h) lines.unshift(h.join(','));
    return { text: (bom ? '\ufeff' : '') + lines.join(eol) + tail, rows, cols, header: h ?? null, fields: cells.map((c) => c.trim()) };
  });

type TextMutation =
  | { kind: 'insert'; at: number; s: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'replace'; at: number; s: string }
  | { kind: 'truncate'; keep: number }
  | { kind: 'dupLine'; at: number };

const csvChar = fc.constantFrom(',', ',', '\n', '\r', '\r\n', ' ', '\t', '"', '0', '9', '.', 'e', '-', '+', 'x', 'nan', 'inf', '\ufeff', '\u00a0', '', ',,', '\n\n');
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: csvChar }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), s: csvChar }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('dupLine' as const), at: fc.nat() }),
);

function mutateText(text: string, mutations: readonly TextMutation[]): string {
  for (const m of mutations) {
    const n = text.length;
    switch (m.kind) {
      case 'insert': { const at = m.at % (n + 1); text = text.slice(0, at) + m.s + text.slice(at); break; }
      case 'delete': { const at = m.at % (n + 1); text = text.slice(0, at) + text.slice(at + m.count); break; }
      case 'replace': { const at = m.at % (n + 1); text = text.slice(0, at) + m.s + text.slice(at + 1); break; }
      case 'truncate': text = text.slice(0, m.keep % (n + 1)); break;
      case 'dupLine': {
        const lines = text.split('\n');
        const i = m.at % lines.length;
        lines.splice(i, 0, lines[i]!);
        text = lines.join('\n');
        break;
      }
    }
  }
  return text;
}

/** parseNumericCsv agrees with the reference: both accept with the same values, or it throws a prefixed Error. */
function checkAgainstReference(text: string): void {
  const ref = referenceCsv(text);
  const out = run(CSV_PREFIX, () => parseNumericCsv(text, 'fuzz.csv'));
  if (ref === null) {
    expect(out.ok, 'parseNumericCsv accepted text the reference rejects').toBe(false);
    // Every error but the empty input names a line.
    if (!out.ok && !/no data rows/.test(out.error.message)) expect(out.error.message).toMatch(/line \d+/);
    return;
  }
  if (!out.ok) throw new Error(`parseNumericCsv rejected text the reference accepts: ${out.error.message}`);
  checkCsv(out.value);
  expect({ rows: out.value.rows, cols: out.value.cols, header: out.value.header }).toEqual({ rows: ref.rows, cols: ref.cols, header: ref.header });
  expect(Array.from(out.value.data)).toEqual(ref.data);
}

describe('parseNumericCsv under fuzzing', () => {
  it('round-trips valid files: every field is the double Number() (or the nan/inf spelling) gives', () => {
    fc.assert(
      fc.property(csvFile, (c) => {
        const out = run(CSV_PREFIX, () => parseNumericCsv(c.text, 'fuzz.csv'));
        if (!out.ok) throw out.error;
        checkCsv(out.value);
        expect(out.value.rows).toBe(c.rows);
        expect(out.value.cols).toBe(c.cols);
        expect(out.value.header).toEqual(c.header);
        expect(Array.from(out.value.data)).toEqual(c.fields.map((f) => referenceNumber(f)));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("the fast number path gives exactly Number()'s double for every decimal spelling", () => {
    fc.assert(
      fc.property(fc.array(padded(decimalField), { minLength: 1, maxLength: 8 }), (fields) => {
        const text = fields.join(',');
        checkAgainstReference(text);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('mutated files: the same verdict and values as the reference reader, or a prefixed Error naming the line', () => {
    fc.assert(
      fc.property(csvFile, fc.array(textMutation, { minLength: 1, maxLength: 3 }), (c, mutations) => {
        checkAgainstReference(mutateText(c.text, mutations));
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('random text (CSV-ish alphabet and arbitrary UTF-16, lone surrogates included)', () => {
    const csvish = fc.string({ unit: csvChar, maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(csvish, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 })), (text) => {
        checkAgainstReference(text);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });
});
