// Checks shared by every builder of the facade: values shown as they should read in an error message,
// option objects whose keys must all be known (a typo gets "did you mean"), and declarative field schemas
// (checkFields) that check an option object's keys and values in one call, with one message format:
//   `<where>: unknown option "<key>" (allowed: ...); did you mean <key>?`
//   `<where>: <field> is <value> (need ...)`, or `(allowed: ...); did you mean <value>?` for an enum.

/** Throws `where: field is value (need ...)`. */
export function fail(where: string, field: string, value: unknown, need: string): never {
  throw new Error(`${where}: ${field} is ${show(value)} (need ${need})`);
}

/**
 * A value as it should read in an error message, at most about 200 characters. Never throws: not for an
 * object without a prototype, a cycle, a symbol, or nesting deep enough to overflow the stack.
 */
export function show(v: unknown, depth = 0): string {
  const s = ((): string => {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'function') return 'a function';
    if (typeof v === 'symbol') return v.toString();
    if (Array.isArray(v)) return depth >= 4 ? '[...]' : `[${v.slice(0, 20).map((x) => show(x, depth + 1)).join(', ')}${v.length > 20 ? ', ...' : ''}]`;
    if (v !== null && typeof v === 'object') {
      try { return JSON.stringify(v) ?? 'an object'; } catch { return 'an object'; }
    }
    return String(v);
  })();
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

/** Levenshtein distance, for "did you mean" on a misspelled option. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** "; did you mean x?" for the allowed names within two edits of `key` (case aside), else "". */
export function didYouMean(key: string, allowed: readonly string[]): string {
  const near = allowed.filter((a) => distance(a.toLowerCase(), key.toLowerCase()) <= 2);
  return near.length > 0 ? `; did you mean ${near.join(' or ')}?` : '';
}

/** The "unknown option" error of an option object, naming the allowed keys and the near ones. */
function unknownOption(where: string, key: string, allowed: readonly string[]): string {
  return `${where}: unknown option "${key}" (allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'})${didYouMean(key, allowed)}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Checks that `options` is a plain object (or undefined, when `optional`) whose keys are all in
 * `allowed`; returns it as a record. A typo is an error naming the key and the allowed ones.
 */
export function checkOptions(
  where: string, options: unknown, allowed: readonly string[], optional = true,
): Record<string, unknown> {
  if (options === undefined && optional) return {};
  if (!isRecord(options)) {
    throw new Error(`${where}: options must be an object with keys ${allowed.join(', ')} (got ${show(options)})`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new Error(unknownOption(where, key, allowed));
  }
  return options;
}

// ---------------------------------------------------------------- field schemas
//
// A builder describes its options once, as data, and checks them in one call:
//
//   const DENSE: FieldsOf<DenseOptions> = { activation: optional(oneOf(ACTIVATIONS)), alpha: optional(number({ min: 0, minOpen: true })), ... };
//   checkFields('dense', options, DENSE);   // dense: unknown option "kernelinit" (allowed: ...); did you mean kernelInit?
//                                           // dense: activation is "rleu" (allowed: linear, relu, ...); did you mean relu?
//
// A Check is a function of the value: undefined when it passes, else the rest of the message after the
// field's name (` is 0 (need an integer from 1 to 8)`; `.std is -1 (need ...)` from a nested object;
// `[2] is ...` from an array). Its `need` says what passes, so that checks compose (nullable, arrayOf).
// Fields are required unless wrapped in optional() (undefined passes) or nullish() (undefined and null
// pass: for options read with `??`). Cross-field rules (low <= high) stay in the builder, after the call.

/** One field's check: undefined when `v` passes, else the message after the field's name. */
export interface Check {
  (v: unknown): string | undefined;
  /** What passes, as a message says it: "an integer from 1 to 8". */
  readonly need: string;
}

/** A check per option, by name. */
export type Fields = Readonly<Record<string, Check>>;
/** A check for every option of T, none missing and none extra (the compiler keeps schema and type in step). */
export type FieldsOf<T> = { readonly [K in keyof T]-?: Check };

/** A check from a function returning the message tail (undefined when `v` passes). */
export function custom(need: string, test: (v: unknown) => string | undefined): Check {
  return Object.assign((v: unknown) => test(v), { need });
}

/** A check from a predicate: ` is <value> (need <need>)` when it fails. */
export function check(need: string, ok: (v: unknown) => boolean): Check {
  return custom(need, (v) => (ok(v) ? undefined : ` is ${show(v)} (need ${need})`));
}

/** Bounds of a number: min <= v (min < v when minOpen), v <= max (v < max when maxOpen). */
export interface Range {
  readonly min?: number; readonly minOpen?: boolean; readonly max?: number; readonly maxOpen?: boolean;
  /** An integer (any finite integer; int() below is the usual "from min to max" one). */
  readonly integer?: boolean;
}

/** "a finite number >= 0 and < 1": what number(range) needs. */
export function rangeNeed(r: Range): string {
  const parts = [r.integer ? 'a finite integer' : 'a finite number'];
  if (r.min !== undefined) parts.push(r.minOpen ? `> ${r.min}` : `>= ${r.min}`);
  if (r.max !== undefined) parts.push(`${r.min !== undefined ? 'and ' : ''}${r.maxOpen ? '<' : '<='} ${r.max}`);
  return parts.join(' ');
}

/** A finite number (no NaN, no Infinity) within `range`. */
export function number(range: Range = {}): Check {
  const { min, minOpen = false, max, maxOpen = false, integer = false } = range;
  return check(rangeNeed(range), (v) => typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v))
    && (min === undefined || (minOpen ? v > min : v >= min)) && (max === undefined || (maxOpen ? v < max : v <= max)));
}

/** A safe integer from min to max: "an integer from 1 to 8", or "an integer from 0 up" without max. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER): Check {
  const need = `an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`;
  return check(need, (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max);
}

export const boolean: Check = check('true or false', (v) => typeof v === 'boolean');
export const func: Check = check('a function', (v) => typeof v === 'function');
export const string: Check = check('a non-empty string', (v) => typeof v === 'string' && v !== '');
/** Anything: for a field another function checks fully (an optimizer, a data array). */
export const anything: Check = custom('anything', () => undefined);

/** An instance of `type` (a class), e.g. instanceOf(AbortSignal). */
export function instanceOf(type: abstract new (...args: never[]) => unknown, need = `a ${type.name}`): Check {
  return check(need, (v) => v instanceof type);
}

/** `c`, or the string 'auto' (a count the library picks, such as workers: 'auto'). */
export function orAuto(c: Check): Check {
  return check(`${c.need}, or "auto"`, (v) => v === 'auto' || c(v) === undefined);
}

/** One of the strings in `allowed`; a misspelt one gets "did you mean". */
export function oneOf(allowed: readonly string[]): Check {
  return custom(`one of ${allowed.join(', ')}`, (v) => (typeof v === 'string' && allowed.includes(v) ? undefined
    : ` is ${show(v)} (allowed: ${allowed.join(', ')})${typeof v === 'string' ? didYouMean(v, allowed) : ''}`));
}

/** `c`, or undefined (absent). */
export function optional(c: Check): Check {
  return custom(c.need, (v) => (v === undefined ? undefined : c(v)));
}

/** `c`, or undefined or null (absent: for options read with `??`). */
export function nullish(c: Check): Check {
  return custom(c.need, (v) => (v === undefined || v === null ? undefined : c(v)));
}

/** `c`, or null (a value of its own, such as "no clipping"). */
export function nullable(c: Check): Check {
  const need = `null or ${c.need}`;
  // A complaint about the value as a whole says null would do too; one from inside it stays as it is.
  return custom(need, (v) => {
    const r = v === null ? undefined : c(v);
    return r?.startsWith(' is ') ? ` is ${show(v)} (need ${need})` : r;
  });
}

/** An array of values that pass `c`, with minLength <= length <= maxLength. */
export function arrayOf(c: Check, { minLength = 0, maxLength = Infinity } = {}): Check {
  const need = `${minLength > 0 ? 'a non-empty array' : 'an array'} of ${c.need}${maxLength < Infinity ? ` (at most ${maxLength})` : ''}`;
  return custom(need, (v) => {
    if (!Array.isArray(v) || v.length < minLength || v.length > maxLength) return ` is ${show(v)} (need ${need})`;
    for (let i = 0; i < v.length; i++) {
      const r = c(v[i]);
      if (r) return `[${i}]${r}`;
    }
    return undefined;
  });
}

/** What is wrong with `o` against `fields`, as a message tail (`: unknown option ...`, `.field is ...`). */
function fieldsProblem(o: Record<string, unknown>, fields: Fields, open: boolean): string | undefined {
  const allowed = Object.keys(fields);
  if (!open) {
    for (const key of Object.keys(o)) if (!Object.hasOwn(fields, key)) return unknownOption('', key, allowed);
  }
  for (const key of allowed) {
    const r = fields[key]!(o[key]);
    if (r) return `${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}${r}`;
  }
  return undefined;
}

/**
 * A nested object checked against `fields` (unknown keys refused), e.g. mnist's `limit: { train, test }`.
 * `open`: other keys are allowed (data rather than options, such as a RunData passed as a DataShape).
 */
export function object(fields: Fields, { open = false } = {}): Check {
  const need = `an object with keys ${Object.keys(fields).join(', ')}`;
  return custom(need, (v) => (isRecord(v) ? fieldsProblem(v, fields, open) : ` is ${show(v)} (need ${need})`));
}

/**
 * A tagged union of objects, told apart by `tag` (`{ kind: 'normal', std }`): the tag must be one of the
 * variants (did you mean), then the object is checked against that variant's fields (the tag included).
 */
export function tagged(tag: string, variants: Readonly<Record<string, Fields>>): Check {
  const kinds = Object.keys(variants);
  const tagCheck = oneOf(kinds);
  const need = `an object { ${tag}: ${kinds.join(' | ')}, ... }`;
  return custom(need, (v) => {
    if (!isRecord(v)) return ` is ${show(v)} (need ${need})`;
    const r = tagCheck(v[tag]);
    if (r) return `.${tag}${r}`;
    return fieldsProblem(v, { [tag]: tagCheck, ...variants[v[tag] as string] }, false);
  });
}

/**
 * Checks an option object against `fields` and returns it: undefined is {} when `optional`; anything but a
 * plain object, an unknown key (with the allowed ones and the near ones) or a field whose check fails is
 * an Error starting with `where`. `open`: other keys are allowed.
 */
export function checkFields<T = Record<string, unknown>>(
  where: string, options: unknown, fields: Fields, { optional = true, open = false } = {},
): T {
  if (options === undefined && optional) return {} as T;
  const allowed = Object.keys(fields);
  if (!isRecord(options)) throw new Error(`${where}: options must be an object with keys ${allowed.join(', ')} (got ${show(options)})`);
  const r = fieldsProblem(options, fields, open);
  if (r) throw new Error(`${where}${r.startsWith(':') ? '' : ': '}${r.startsWith('.') ? r.slice(1) : r}`);
  return options as T;
}

/**
 * checkFields, then a new object with every field: absent (undefined) ones take their default, or null
 * when they have none (a nullish field left out). What an op's attributes become once normalised.
 */
export function withDefaults<T>(where: string, options: unknown, fields: Fields, defaults: Readonly<Record<string, unknown>>): T {
  const o = checkFields<Record<string, unknown>>(where, options, fields);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) out[key] = o[key] ?? (Object.hasOwn(defaults, key) ? defaults[key] : null);
  return out as T;
}

/** Checks one argument (`dense(units)`) and returns it: `where: name is <value> (need ...)` otherwise. */
export function checkArg<T = unknown>(where: string, name: string, v: unknown, c: Check): T {
  const r = c(v);
  if (r) throw new Error(`${where}: ${name}${r}`);
  return v as T;
}
