// Declarative checks of attribute and option objects: each field a small check that fills its default,
// so an op or builder states its fields once and gets the errors the facade promises (unknown key with
// did-you-mean, wrong type, out of range, unknown enum value with did-you-mean).
import { didYouMean, show } from '../core/check.js';

/** Checks one field's value (undefined when absent) and returns it with its default filled. */
export type Field<T> = (where: string, key: string, v: unknown) => T;

type Out<S> = { -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/**
 * Checks that `raw` is a plain object whose keys are all in `fields`, then every field: returns the
 * object with defaults filled. Errors: `${where}: unknown option "x" (allowed: ...); did you mean y?`,
 * `${where}: key is value (need ...)`.
 */
export function checkFields<S extends Record<string, Field<unknown>>>(where: string, raw: unknown, fields: S): Out<S> {
  const allowed = Object.keys(fields);
  if (raw === undefined) raw = {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`${where}: options must be an object with keys ${allowed.join(', ')} (got ${show(raw)})`);
  }
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new Error(`${where}: unknown option "${key}" (allowed: ${allowed.join(', ')})${didYouMean(key, allowed)}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of allowed) out[key] = fields[key]!(where, key, (raw as Record<string, unknown>)[key]);
  return out as Out<S>;
}

const need = (where: string, key: string, v: unknown, what: string): never => {
  throw new Error(`${where}: ${key} is ${show(v)} (need ${what})`);
};

/** An integer in [min, max]; required unless a default is given. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER, dflt?: number): Field<number> {
  return (where, key, v) => {
    if (v === undefined && dflt !== undefined) return dflt;
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) {
      need(where, key, v, `an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
    }
    return v as number;
  };
}

/** A finite number with optional bounds (min/max inclusive, gt/lt exclusive). */
export function num(o: { min?: number; max?: number; gt?: number; lt?: number; default?: number } = {}): Field<number> {
  const parts = [o.min !== undefined ? `>= ${o.min}` : '', o.gt !== undefined ? `> ${o.gt}` : '',
    o.max !== undefined ? `<= ${o.max}` : '', o.lt !== undefined ? `< ${o.lt}` : ''].filter(Boolean);
  const what = `a finite number${parts.length ? ` ${parts.join(' and ')}` : ''}`;
  return (where, key, v) => {
    if (v === undefined && o.default !== undefined) return o.default;
    if (typeof v !== 'number' || !Number.isFinite(v) || (o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max) ||
        (o.gt !== undefined && !(v > o.gt)) || (o.lt !== undefined && !(v < o.lt))) need(where, key, v, what);
    return v as number;
  };
}

export function bool(dflt?: boolean): Field<boolean> {
  return (where, key, v) => {
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'boolean') need(where, key, v, 'true or false');
    return v as boolean;
  };
}

/** One of the allowed strings, with did-you-mean on a misspelt one. */
export function oneOf<T extends string>(allowed: readonly T[], dflt?: T): Field<T> {
  return (where, key, v) => {
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      throw new Error(`${where}: ${key} is ${show(v)} (allowed: ${allowed.join(', ')})${typeof v === 'string' ? didYouMean(v, allowed) : ''}`);
    }
    return v as T;
  };
}

/** A field that may be absent (undefined) or null, else checked by `f`. */
export function optional<T>(f: Field<T>): Field<T | null> {
  return (where, key, v) => (v === undefined || v === null ? null : f(where, key, v));
}

/** A list of integers, each in [min, max]. */
export function ints(min: number, max: number, o: { minLength?: number; maxLength?: number } = {}): Field<number[]> {
  return (where, key, v) => {
    if (!Array.isArray(v) || v.length < (o.minLength ?? 0) || v.length > (o.maxLength ?? Infinity) ||
        !v.every((x) => Number.isSafeInteger(x) && x >= min && x <= max)) {
      need(where, key, v, `a list of ${o.minLength === o.maxLength && o.minLength !== undefined ? `${o.minLength} ` : ''}integers from ${min} to ${max}`);
    }
    return [...(v as number[])];
  };
}

/** Any value checked by a function of the caller's (returns the value to keep). */
export function custom<T>(check: (where: string, key: string, v: unknown) => T): Field<T> {
  return check;
}
