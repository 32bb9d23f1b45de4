// src/data/jsonl.ts
// Reader for examples as JSON Lines: one JSON object per line, mapping field names to numbers or (nested)
// lists of numbers, e.g. {"story": [[3, 7, 1], [4, 2]], "question": [5, 9], "answer": 3}. The caller says
// which fields to read and the shape of each per example; the reader knows nothing of models.
//
// Contract: parseJsonlExamples() either returns { count, total, arrays, padded } where arrays[field] is a fresh
// row-major array of count x product(shape) values (Int32Array for integer fields, Float32Array rounded with
// Math.fround for the others), or throws an Error that starts with `name` and names the line (1-based), the
// field, the position inside it ("story"[1][2]) and what is wrong. Rules:
//   - lines end in '\n' or '\r\n'; a leading UTF-8 byte order mark is dropped; blank lines are allowed at
//     the end only (so that example i is always line i + 1); no lines at all is an error;
//   - each line is an object holding exactly the fields asked for: a missing field, or a key that is not
//     one (unless listed in `elsewhere`, with the reason it is not read here), is an error;
//   - a field of shape [] is a number; of shape [d0, d1, ...] a list of at most d0 entries, each of shape
//     [d1, ...]. A longer list is always an error (nothing is cut off). A shorter one (ragged sequences) is
//     padded at its end with `padId`, only for integer fields and only when padId is given; otherwise it
//     is an error. Padding fills whole missing entries too (a story of 12 sentences in [50, 6]);
//   - integer fields take integers from -2^31 to 2^31 - 1; the others any finite number.
// `limit` stops after that many examples (the rest of the file is not checked). Pure and runtime-agnostic.
import { didYouMean } from '../core/check.js';

export interface JsonlField {
  /** Shape per example ([] for one number). */
  readonly shape: readonly number[];
  /** Integer values (token ids, class labels) read into an Int32Array; else floats into a Float32Array. */
  readonly integer: boolean;
}

export interface JsonlOptions {
  /** Pads short lists of integer fields with this id (null or absent: a short list is an error). */
  readonly padId?: number | null;
  /** Read at most this many examples. */
  readonly limit?: number | null;
  /** Keys the lines may hold but this reader does not read, with the reason (given by another file). */
  readonly elsewhere?: Readonly<Record<string, string>>;
  /** How a short-list error tells the user to pad (default: "give a pad id"). */
  readonly padHint?: string;
}

export interface JsonlExamples {
  /** Examples read (at most the limit). */
  readonly count: number;
  /** Examples in the file (its lines up to the blank ones at the end). */
  readonly total: number;
  readonly arrays: Record<string, Int32Array | Float32Array>;
  /** Per field, how many values were padding. */
  readonly padded: Record<string, number>;
}

const INT_MIN = -(2 ** 31), INT_MAX = 2 ** 31 - 1;

const short = (v: unknown): string => {
  let s: string;
  try { s = JSON.stringify(v) ?? String(v); } catch { s = String(v); }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** Parse JSON Lines examples; `name` (a path or any label) starts every error message. */
export function parseJsonlExamples(text: string, name: string, fields: Readonly<Record<string, JsonlField>>, o: JsonlOptions = {}): JsonlExamples {
  const fail = (problem: string): never => { throw new Error(`${name}: ${problem}`); };
  const keys = Object.keys(fields);
  if (keys.length === 0) fail('no fields to read');
  const padId = o.padId ?? null;
  if (padId !== null && !(Number.isInteger(padId) && padId >= INT_MIN && padId <= INT_MAX)) fail(`pad id ${padId} is not a 32-bit integer`);
  const elsewhere = o.elsewhere ?? {};
  const padHint = o.padHint ?? 'give a pad id';
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  if (end === 0) fail('no examples (the file is empty)');
  const count = o.limit != null ? Math.min(end, o.limit) : end;

  const sizes = keys.map((k) => fields[k]!.shape.reduce((a, b) => a * b, 1));
  const arrays: Record<string, Int32Array | Float32Array> = {};
  const padded: Record<string, number> = {};
  keys.forEach((k, j) => {
    arrays[k] = fields[k]!.integer ? new Int32Array(count * sizes[j]!) : new Float32Array(count * sizes[j]!);
    padded[k] = 0;
  });

  for (let e = 0; e < count; e++) {
    const line = e + 1;
    const raw = lines[e]!.endsWith('\r') ? lines[e]!.slice(0, -1) : lines[e]!;
    if (raw.trim() === '') fail(`line ${line} is blank (blank lines are only allowed at the end)`);
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      fail(`line ${line} is not valid JSON (${(err as Error).message})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`line ${line} is ${short(v)} (need an object of ${keys.map((k) => `"${k}"`).join(', ')})`);
    const obj = v as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (Object.hasOwn(fields, k)) continue;
      if (Object.hasOwn(elsewhere, k)) fail(`line ${line}: "${k}" is ${elsewhere[k]}, so this file must not hold it too`);
      fail(`line ${line}: unknown key "${k}" (this file holds ${keys.map((x) => `"${x}"`).join(', ')})${didYouMean(k, keys)}`);
    }
    keys.forEach((k, j) => {
      const f = fields[k]!;
      if (!Object.hasOwn(obj, k)) fail(`line ${line}: "${k}" is missing (every line holds ${keys.map((x) => `"${x}"`).join(', ')})`);
      const out = arrays[k]!;
      let at = e * sizes[j]!;
      // Fills the values of one entry of shape shape[d:], from `x` (undefined: padding).
      const fill = (x: unknown, d: number, where: string): void => {
        if (d === f.shape.length) {
          if (x === undefined) {
            out[at++] = padId!;
            padded[k]!++;
            return;
          }
          if (f.integer) {
            if (typeof x !== 'number' || !Number.isInteger(x) || x < INT_MIN || x > INT_MAX) {
              fail(`line ${line}: ${where} is ${short(x)} (need an integer from ${INT_MIN} to ${INT_MAX})`);
            }
          } else if (typeof x !== 'number' || !Number.isFinite(x)) {
            fail(`line ${line}: ${where} is ${short(x)} (need a finite number)`);
          }
          out[at++] = x as number;
          return;
        }
        const n = f.shape[d]!;
        if (x === undefined) {
          for (let i = 0; i < n; i++) fill(undefined, d + 1, where);
          return;
        }
        const rest = f.shape.slice(d);
        if (!Array.isArray(x)) fail(`line ${line}: ${where} is ${short(x)} (need a list of ${n}, the shape [${rest.join(', ')}])`);
        const list = x as unknown[];
        if (list.length > n) fail(`line ${line}: ${where} has ${list.length} entries, more than the ${n} of its shape [${rest.join(', ')}]`);
        if (list.length < n && (padId === null || !f.integer)) {
          fail(`line ${line}: ${where} has ${list.length} entr${list.length === 1 ? 'y' : 'ies'}, its shape [${rest.join(', ')}] needs ${n}` +
            (f.integer ? ` (short lists are padded only with a pad id: ${padHint})` : ' (lists of float values are never padded)'));
        }
        for (let i = 0; i < n; i++) fill(i < list.length ? list[i] : undefined, d + 1, `${where}[${i}]`);
      };
      fill(obj[k], 0, `"${k}"`);
    });
  }
  return { count, total: end, arrays, padded };
}
