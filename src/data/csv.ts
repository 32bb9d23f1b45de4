// src/data/csv.ts
// Reader for plain numeric CSV: comma-separated numbers, one example per line, e.g. the "mnist_train.csv"
// style of export (label,pixel0,...,pixel783) or the output of np.savetxt(path, a, delimiter=',').
//
// Contract: parseNumericCsv() either returns { rows, cols, data, header } where data is a fresh
// Float64Array of rows*cols values, row-major (line r, field c at data[r*cols + c]), or throws an Error
// whose message starts with `name` and names the line (1-based, counting every physical line, header
// included), the column (1-based) and the offending text. Rules:
//   - lines end in '\n' or '\r\n'; a trailing newline and blank lines at the end are fine, a blank line
//     anywhere else is an error; a leading UTF-8 byte order mark is dropped;
//   - the first line is a header (returned as trimmed strings) if any of its fields is non-empty and not
//     a number; after it every field must be a number;
//   - a number is whatever JS Number() accepts (surrounding whitespace allowed, also 0x1f, 1e-3,
//     Infinity), except that an empty field is an error rather than 0. NaN and +-Infinity are returned
//     as values (the caller validates finiteness); besides JS's 'NaN' and 'Infinity' the spellings
//     numpy, Python and R write ('nan', 'inf', '-inf', 'Inf', ...) are accepted case-insensitively, so
//     a first data row holding them is not mistaken for a header;
//   - every row has as many fields as the first data row (and the header, if any);
//   - quoting is not supported: a field starting with '"' is an error;
//   - no data rows at all is an error.
// Pure and runtime-agnostic: no Node imports.

export interface NumericCsv {
  rows: number;
  cols: number;
  /** rows * cols values, row-major. */
  data: Float64Array;
  /** The header line's fields (trimmed), or null if the first line is data. */
  header: string[] | null;
}

/** NaN / infinity spellings beyond Number()'s own: nan, inf, infinity in any case, optionally signed. */
const NON_FINITE = /^([+-]?)(nan|inf|infinity)$/i;

/** The numeric value of a trimmed, non-empty field, or undefined if it is not a number. */
function toNumber(field: string): number | undefined {
  const v = Number(field);
  if (!Number.isNaN(v)) return v;
  const m = NON_FINITE.exec(field);
  if (!m) return undefined;
  if (m[2]!.toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

// Exact powers of ten: every 10^e with e <= 22 is a double, so m * 10^e and m / 10^e with an integer
// m < 2^53 are single correctly rounded operations, i.e. the same double Number() gives (Clinger 1990).
const POW10 = Array.from({ length: 23 }, (_, e) => 10 ** e);

/**
 * Fast path for the common field shape: optional spaces/tabs, optional sign, decimal digits with an
 * optional '.' and exponent, optional spaces/tabs, at most 15 mantissa digits and a net decimal exponent
 * within +-22. Scans line[start, ...) up to the next ',' or `end`; on success stores the value (identical
 * to Number()'s) in out[k] and returns the index of that ',' or `end`, otherwise returns -1 and the field
 * takes the general path. No string is allocated and nothing is boxed.
 */
function scanNumber(line: string, start: number, end: number, out: Float64Array, k: number): number {
  let i = start;
  let c = i < end ? line.charCodeAt(i) : -1; // -1 past the end: never read beyond the line
  while (c === 32 || c === 9) c = ++i < end ? line.charCodeAt(i) : -1;
  let neg = false;
  if (c === 45 || c === 43) {
    neg = c === 45;
    c = ++i < end ? line.charCodeAt(i) : -1;
  }
  let m = 0;
  let digits = 0;
  let frac = 0;
  while (c >= 48 && c <= 57) {
    m = m * 10 + (c - 48);
    digits++;
    c = ++i < end ? line.charCodeAt(i) : -1;
  }
  if (c === 46) {
    c = ++i < end ? line.charCodeAt(i) : -1;
    while (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      frac++;
      c = ++i < end ? line.charCodeAt(i) : -1;
    }
  }
  if (digits === 0 || digits > 15) return -1;
  let exp = 0;
  if (c === 101 || c === 69) {
    c = ++i < end ? line.charCodeAt(i) : -1;
    let eneg = false;
    if (c === 45 || c === 43) {
      eneg = c === 45;
      c = ++i < end ? line.charCodeAt(i) : -1;
    }
    let edigits = 0;
    while (c >= 48 && c <= 57) {
      exp = exp * 10 + (c - 48);
      edigits++;
      c = ++i < end ? line.charCodeAt(i) : -1;
    }
    if (edigits === 0 || edigits > 3) return -1;
    if (eneg) exp = -exp;
  }
  while (c === 32 || c === 9) c = ++i < end ? line.charCodeAt(i) : -1;
  if (c !== 44 && c !== -1) return -1;
  const e = exp - frac;
  let v: number;
  if (e >= 0 && e <= 22) v = m * POW10[e]!;
  else if (e < 0 && e >= -22) v = m / POW10[-e]!;
  else return -1;
  out[k] = neg ? -v : v;
  return i;
}

/**
 * Parse numeric CSV text. `name` (a path or any label) starts every error message.
 * See the file header for the contract.
 */
export function parseNumericCsv(text: string, name = 'csv'): NumericCsv {
  const fail = (problem: string): never => {
    throw new Error(`${name}: ${problem}`);
  };
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  // Drop the '\r' of '\r\n' endings, then the blank lines at the end (including the empty string
  // that split() yields after a trailing newline).
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  if (end === 0) fail('no data rows (the input is empty)');

  const splitLine = (i: number): string[] => {
    const line = lines[i]!;
    if (line.trim() === '') fail(`line ${i + 1} is blank (blank lines are only allowed at the end)`);
    const fields = line.split(',').map((f) => f.trim());
    fields.forEach((f, c) => {
      if (f.startsWith('"')) {
        fail(`line ${i + 1}, column ${c + 1}: field ${JSON.stringify(f)} is quoted; quoting is not supported`);
      }
    });
    return fields;
  };

  // Header detection: any non-empty, non-numeric field on the first line makes it a header.
  let first = 0;
  let header: string[] | null = null;
  const firstFields = splitLine(0);
  if (firstFields.some((f) => f !== '' && toNumber(f) === undefined)) {
    header = firstFields;
    first = 1;
    if (end === 1) fail(`line 1 is a header (${JSON.stringify(lines[0])}) but no data rows follow`);
  }

  const cols = splitLine(first).length;
  if (header !== null && header.length !== cols) {
    fail(`line ${first + 1} has ${cols} fields but the header (line 1) has ${header.length}`);
  }
  const rows = end - first;
  const data = new Float64Array(rows * cols);
  // Throws if line i is blank, has a quoted field or has the wrong number of fields. Called only when
  // the scan below finds something wrong, so that structural errors are reported before field errors.
  const checkStructure = (i: number): void => {
    const fields = splitLine(i);
    if (fields.length !== cols) {
      fail(`line ${i + 1} has ${fields.length} fields but the first data row (line ${first + 1}) has ${cols}`);
    }
  };
  let k = 0;
  for (let i = first; i < end; i++) {
    const line = lines[i]!;
    const len = line.length;
    let pos = 0; // start of the current field
    for (let c = 0; c < cols; c++, k++) {
      let next = scanNumber(line, pos, len, data, k);
      if (next < 0) {
        // General path: JS Number() syntax and the NaN/inf spellings, or an error.
        next = line.indexOf(',', pos);
        if (next < 0) next = len;
        const f = line.slice(pos, next).trim();
        const v = f === '' || f.startsWith('"') ? undefined : toNumber(f);
        if (v === undefined) {
          checkStructure(i);
          if (f === '') fail(`line ${i + 1}, column ${c + 1}: empty field (need a number)`);
          fail(`line ${i + 1}, column ${c + 1}: ${JSON.stringify(f)} is not a number`);
        }
        data[k] = v as number;
      }
      if (next === len && c < cols - 1) checkStructure(i); // too few fields: throws
      pos = next + 1;
    }
    if (pos <= len) checkStructure(i); // the last field ended at a ',': too many fields, throws
  }
  return { rows, cols, data, header };
}
