// src/data/npy.ts
// Reader for NumPy's .npy format, versions 1.0, 2.0 and 3.0
// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
//
//   offset 0        6       7       8                     8+L (L = 2 for v1.0, 4 for v2.0/v3.0)
//         +--------+-------+-------+---------------------+------------------------------+------------+
//         | \x93NUMPY | major | minor | header length (LE) | header: Python dict literal  | data       |
//         +--------+-------+-------+---------------------+------------------------------+------------+
//
// The header is e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }", padded with
// spaces and ended by '\n' (numpy pads so the data starts at a multiple of 64; this reader does not
// require that, nor the '\n', since numpy's own reader requires neither). v1.0/v2.0 headers are latin-1,
// v3.0 headers UTF-8. Data is C-order (row-major) items of the descr's size.
//
// Contract: parseNpy() either returns { shape, data, dtype } where data is a fresh typed array that owns
// its buffer (never a view into the input; any input byte offset, aligned or not, works) and dtype is
// the descr string as written in the file, or throws an Error whose message starts with `name` and names
// the field, the offending value and what is allowed. Supported descrs and their output arrays:
//   '<f4' '<f8'                -> Float32Array ('<f8' rounded with Math.fround: out-of-range values
//                                 become +-Infinity, the caller checks finiteness)
//   '|u1' '<u1' '|b1'          -> Uint8Array   ('|b1' bytes must be 0 or 1)
//   '|i1' '<i2' '<u2' '<i4' '<i8' -> Int32Array ('<i8' values must fit in int32)
// Rejected: big-endian ('>') and any other descr, structured/object dtypes, fortran_order True, headers
// that are not exactly a dict with the keys 'descr', 'fortran_order' and 'shape', and a data section
// whose length is not exactly product(shape) * itemsize (trailing bytes are an error too). Pure and
// runtime-agnostic: no Node imports.

export interface NpyArray {
  /** Row-major dimensions; [] for a 0-d array (one element). */
  shape: number[];
  data: Float32Array | Uint8Array | Int32Array;
  /** The descr as written in the header, e.g. '<f4' or '|u1'. */
  dtype: string;
}

/** Item size in bytes of each supported descr. */
export const NPY_DESCR_SIZES: Readonly<Record<string, number>> = {
  '<f4': 4,
  '<f8': 8,
  '|u1': 1,
  '<u1': 1,
  '|i1': 1,
  '<i2': 2,
  '<u2': 2,
  '<i4': 4,
  '<i8': 8,
  '|b1': 1,
};

/** numpy 1.x allows 32 dimensions and 2.x 64; anything beyond is a corrupt header. */
export const NPY_MAX_DIMS = 64;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALLOWED_DESCRS = Object.keys(NPY_DESCR_SIZES)
  .map((d) => `'${d}'`)
  .join(', ');
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Parse a .npy file held in memory. `name` (a path or any label) starts every error message.
 * See the file header for the contract.
 */
export function parseNpy(bytes: Uint8Array, name = 'npy'): NpyArray {
  const fail = (problem: string): never => {
    throw new Error(`${name}: ${problem}`);
  };
  const n = bytes.length;

  // --- preamble: magic, version, header length ---
  if (n < 8) fail(`file is ${n} bytes, shorter than the 8-byte .npy magic and version`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) {
    const got = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const hint =
      bytes[0] === 0x50 && bytes[1] === 0x4b
        ? ' (looks like a zip archive, e.g. an .npz: extract the .npy members first)'
        : bytes[0] === 0x1f && bytes[1] === 0x8b
          ? ' (looks gzip-compressed: gunzip it first)'
          : '';
    fail(`bad magic: expected 93 4e 55 4d 50 59 ("\\x93NUMPY"), got ${got}${hint}`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    fail(`format version is ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lenBytes;
  if (n < headerStart) {
    fail(`file is ${n} bytes, shorter than the ${headerStart}-byte preamble of a version ${major}.0 file`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  const headerLen = lenBytes === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLen;
  if (dataStart > n) {
    fail(`header length ${headerLen} runs past the end of the file (header would end at byte ${dataStart}, file has ${n})`);
  }

  // --- header: a Python dict literal ---
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      return fail('version 3.0 header is not valid UTF-8');
    }
  } else {
    // latin-1: each byte is the code point (TextDecoder('latin1') is windows-1252, not latin-1).
    let s = '';
    for (let i = 0; i < headerBytes.length; i++) s += String.fromCharCode(headerBytes[i]!);
    headerText = s;
  }
  const header = parsePyLiteral(headerText, (problem) => fail(`header ${problem}`));
  if (header.kind !== 'dict') fail(`header is ${repr(header)}, not a dict`);
  const fields = new Map<string, PyValue>();
  for (const [k, v] of (header as PyDict).entries) {
    if (k.kind !== 'str') fail(`header key ${repr(k)} is not a string`);
    const key = (k as PyStr).v;
    if (!['descr', 'fortran_order', 'shape'].includes(key)) {
      fail(`header has unexpected key '${key}' (allowed keys: 'descr', 'fortran_order', 'shape')`);
    }
    if (fields.has(key)) fail(`header has key '${key}' twice`);
    fields.set(key, v);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!fields.has(key)) fail(`header has no '${key}' key (need 'descr', 'fortran_order' and 'shape')`);
  }

  // --- descr ---
  const descrValue = fields.get('descr')!;
  if (descrValue.kind !== 'str') {
    const what = descrValue.kind === 'list' ? ' (a structured dtype)' : '';
    fail(`descr is ${repr(descrValue)}${what}; only plain dtypes are supported (allowed descr: ${ALLOWED_DESCRS})`);
  }
  const descr = (descrValue as PyStr).v;
  const itemSize = NPY_DESCR_SIZES[descr];
  if (itemSize === undefined || !Object.hasOwn(NPY_DESCR_SIZES, descr)) {
    const why = descr.startsWith('>')
      ? ' (big-endian data is not supported: save a.astype(a.dtype.newbyteorder("<")))'
      : descr.includes('O')
        ? ' (object arrays are pickled Python objects, not supported)'
        : '';
    return fail(`descr is '${descr}'${why}; allowed descr: ${ALLOWED_DESCRS}`);
  }

  // --- fortran_order ---
  const fortran = fields.get('fortran_order')!;
  if (fortran.kind !== 'bool') fail(`fortran_order is ${repr(fortran)} (need True or False)`);
  if ((fortran as PyBool).v) {
    fail('fortran_order is True (column-major data is not supported; allowed: False; save np.ascontiguousarray(a))');
  }

  // --- shape ---
  const shapeValue = fields.get('shape')!;
  if (shapeValue.kind !== 'tuple') {
    fail(`shape is ${repr(shapeValue)} (need a tuple of integers >= 0, such as (60000, 784), (5,) or ())`);
  }
  const entries = (shapeValue as PyTuple).items;
  if (entries.length > NPY_MAX_DIMS) fail(`shape has ${entries.length} dimensions (at most ${NPY_MAX_DIMS} allowed)`);
  const shape: number[] = [];
  entries.forEach((e, i) => {
    // Python 2 era files may carry long literals such as 784L; numpy still reads them in v1.0/v2.0.
    const m = e.kind === 'num' ? /^([+-]?)(\d+)L?$/.exec(e.text) : null;
    const d = m ? Number(m[1]! + m[2]!) : NaN;
    if (!(Number.isSafeInteger(d) && d >= 0)) fail(`shape entry ${i} is ${repr(e)} (need an integer >= 0)`);
    shape.push(d === 0 ? 0 : d); // no -0
  });
  // A 0 dimension makes the count exactly 0; otherwise every partial product is <= the full one, so if
  // the byte count is a safe integer all the arithmetic was exact (and no Infinity * 0 = NaN can occur).
  const count = shape.includes(0) ? 0 : shape.reduce((a, b) => a * b, 1);
  const shapeText = reprShape(shape);
  if (count * itemSize > Number.MAX_SAFE_INTEGER) {
    fail(`shape ${shapeText} of '${descr}' overflows (${count} items of ${itemSize} bytes)`);
  }

  // --- data ---
  const expected = count * itemSize;
  const actual = n - dataStart;
  if (actual !== expected) {
    const diff = actual > expected ? `${actual - expected} trailing bytes` : `${expected - actual} bytes missing (truncated?)`;
    fail(
      `data is ${actual} bytes but shape ${shapeText} of '${descr}' needs ${expected} ` +
        `(${count} items x ${itemSize} bytes): ${diff}`,
    );
  }
  return { shape, data: decode(descr, bytes, dataStart, count, fail), dtype: descr };
}

/**
 * Decode `count` little-endian items of `descr` starting at byte `off` into a fresh array. Types whose
 * output layout equals the file layout are copied into a new (aligned) buffer and viewed there on a
 * little-endian host; the rest are read through a DataView, which handles any alignment and host order.
 */
function decode(
  descr: string,
  bytes: Uint8Array,
  off: number,
  count: number,
  fail: (problem: string) => never,
): Float32Array | Uint8Array | Int32Array {
  const nbytes = count * NPY_DESCR_SIZES[descr]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset + off, nbytes);
  const copy = (): ArrayBuffer => {
    const out = new Uint8Array(nbytes);
    out.set(bytes.subarray(off, off + nbytes)); // (not bytes.slice(): on a Node Buffer that is a view)
    return out.buffer;
  };
  switch (descr) {
    case '<f4': {
      if (LITTLE_ENDIAN_HOST) return new Float32Array(copy());
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
      return data;
    }
    case '<f8': {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = Math.fround(view.getFloat64(8 * i, true));
      return data;
    }
    case '|u1':
    case '<u1':
      return new Uint8Array(copy());
    case '|b1': {
      const data = new Uint8Array(copy());
      for (let i = 0; i < count; i++) {
        if (data[i]! > 1) fail(`bool element ${i} is byte ${data[i]} (need 0 or 1)`);
      }
      return data;
    }
    case '|i1': {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt8(i);
      return data;
    }
    case '<i2': {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt16(2 * i, true);
      return data;
    }
    case '<u2': {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getUint16(2 * i, true);
      return data;
    }
    case '<i4': {
      if (LITTLE_ENDIAN_HOST) return new Int32Array(copy());
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(4 * i, true);
      return data;
    }
    case '<i8': {
      // An int64 fits in int32 exactly when its high word is the sign extension of the low word.
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = view.getInt32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        if (hi !== lo >> 31) {
          fail(`int64 element ${i} is ${view.getBigInt64(8 * i, true)}, outside the int32 range -2147483648..2147483647`);
        }
        data[i] = lo;
      }
      return data;
    }
    default:
      return fail(`internal error: no decoder for descr '${descr}'`);
  }
}

// ---------------------------------------------------------------------------------------------------
// A strict parser for the subset of Python literals a .npy header can hold: dicts, tuples, lists,
// single- or double-quoted strings without escapes, True/False/None and number tokens (kept as text;
// only shape entries are numbers, and they are checked by the caller). Whitespace between tokens is free
// and dicts/tuples/lists may end in a trailing comma, as in Python. No comments, no escapes, no prefixes.

type PyStr = { kind: 'str'; v: string };
type PyBool = { kind: 'bool'; v: boolean };
type PyTuple = { kind: 'tuple'; items: PyValue[] };
type PyDict = { kind: 'dict'; entries: [PyValue, PyValue][] };
type PyValue =
  | PyStr
  | PyBool
  | { kind: 'none' }
  | { kind: 'num'; text: string }
  | PyTuple
  | { kind: 'list'; items: PyValue[] }
  | PyDict;

/** Python-style repr of a parsed value, for error messages. */
function repr(v: PyValue): string {
  switch (v.kind) {
    case 'str':
      return v.v.includes("'") ? JSON.stringify(v.v) : `'${v.v}'`;
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'num':
      return v.text;
    case 'tuple':
      return v.items.length === 1 ? `(${repr(v.items[0]!)},)` : `(${v.items.map(repr).join(', ')})`;
    case 'list':
      return `[${v.items.map(repr).join(', ')}]`;
    case 'dict':
      return `{${v.entries.map(([k, x]) => `${repr(k)}: ${repr(x)}`).join(', ')}}`;
  }
}

function reprShape(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Deepest nesting of brackets the header parser follows. */
const MAX_LITERAL_DEPTH = 32;

/** Parse `text` as exactly one Python literal (surrounding whitespace allowed). */
function parsePyLiteral(text: string, fail: (problem: string) => never): PyValue {
  let pos = 0;
  const shown = text.length > 200 ? JSON.stringify(text.slice(0, 200)) + '...' : JSON.stringify(text);
  const syntax = (what: string): never =>
    fail(`is not a valid Python literal: ${what} at offset ${pos} of ${shown}`);
  const skipWs = (): void => {
    while (pos < text.length && ' \t\n\r\f\v'.includes(text[pos]!)) pos++;
  };
  const sticky = (re: RegExp): string | null => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return null;
    pos += m[0].length;
    return m[0];
  };
  // Parse comma-separated items up to `close`; returns the items and whether a comma was seen.
  const sequence = <T>(close: string, item: () => T): { items: T[]; comma: boolean } => {
    const items: T[] = [];
    let comma = false;
    for (;;) {
      skipWs();
      if (text[pos] === close) {
        pos++;
        return { items, comma };
      }
      items.push(item());
      skipWs();
      if (text[pos] === ',') {
        pos++;
        comma = true;
      } else if (text[pos] === close) {
        pos++;
        return { items, comma };
      } else {
        syntax(pos >= text.length ? `unexpected end (expected ',' or '${close}')` : `expected ',' or '${close}'`);
      }
    }
  };
  // A real header nests 3 deep (dict, shape tuple); the bound keeps a hostile one from blowing the stack.
  let depth = 0;
  const nested = <T>(body: () => T): T => {
    if (++depth > MAX_LITERAL_DEPTH) syntax(`nesting deeper than ${MAX_LITERAL_DEPTH} levels`);
    try {
      return body();
    } finally {
      depth--;
    }
  };
  const value = (): PyValue => nested(() => {
    skipWs();
    const c = text[pos];
    if (c === undefined) return syntax('unexpected end (expected a value)');
    if (c === '{') {
      pos++;
      const { items } = sequence('}', (): [PyValue, PyValue] => {
        const k = value();
        skipWs();
        if (text[pos] !== ':') syntax("expected ':'");
        pos++;
        return [k, value()];
      });
      return { kind: 'dict', entries: items };
    }
    if (c === '(') {
      pos++;
      const { items, comma } = sequence(')', value);
      // In Python "(5)" is just 5 in parentheses; a 1-tuple needs the comma: "(5,)".
      if (items.length === 1 && !comma) return items[0]!;
      return { kind: 'tuple', items };
    }
    if (c === '[') {
      pos++;
      return { kind: 'list', items: sequence(']', value).items };
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, pos + 1);
      if (end < 0) syntax('unterminated string');
      const s = text.slice(pos + 1, end);
      if (s.includes('\\')) syntax('escape sequences in strings are not supported');
      if (s.includes('\n')) syntax('newline in a string');
      pos = end + 1;
      return { kind: 'str', v: s };
    }
    const word = sticky(/[A-Za-z_][A-Za-z0-9_]*/y);
    if (word !== null) {
      if (word === 'True' || word === 'False') return { kind: 'bool', v: word === 'True' };
      if (word === 'None') return { kind: 'none' };
      pos -= word.length;
      return syntax(`unexpected name '${word}'`);
    }
    const num = sticky(/[+-]?[0-9.][0-9A-Za-z_.]*(?:[eE][+-][0-9]+)?/y);
    if (num !== null) return { kind: 'num', text: num };
    return syntax(`unexpected character ${JSON.stringify(c)}`);
  });
  const v = value();
  skipWs();
  if (pos < text.length) syntax('unexpected text after the literal');
  return v;
}
