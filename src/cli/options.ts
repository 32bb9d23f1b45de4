// Value parsers for the CLI's flags: each names the flag, the value and what is allowed, through
// commander's InvalidArgumentError (commander adds "option '--lr <x>' argument 'abc' is invalid.").
import { InvalidArgumentError } from 'commander';

export function int(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Need an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}.`);
    }
    return n;
  };
}

/** An integer from min to max, or the word "auto". */
export function intOrAuto(min: number, max: number): (v: string) => number | 'auto' {
  const n = int(min, max);
  return (v) => {
    if (v === 'auto') return v;
    try {
      return n(v);
    } catch {
      throw new InvalidArgumentError(`Need an integer from ${min} to ${max}, or auto.`);
    }
  };
}

/** A finite number in [min, max] (or (min, max] when `open`). */
export function num(min: number, max = Infinity, open = false): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (open && n === min) || n > max) {
      throw new InvalidArgumentError(`Need a number ${open ? '>' : '>='} ${min}${max === Infinity ? '' : ` and <= ${max}`}.`);
    }
    return n;
  };
}

/** A comma-separated list, each item parsed by `item`; an item given twice is an error. */
export function list<T>(item: (v: string) => T): (v: string) => T[] {
  return (v) => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(item);
    const twice = items.find((x, i) => items.indexOf(x) !== i);
    if (twice !== undefined) throw new InvalidArgumentError(`${String(twice)} is listed twice.`);
    return items;
  };
}

/** One of a fixed set (for list items; single options use commander's .choices()). */
export function oneOf<T extends string>(allowed: readonly T[]): (v: string) => T {
  return (v) => {
    if (!allowed.includes(v as T)) throw new InvalidArgumentError(`"${v}" is not one of: ${allowed.join(', ')}.`);
    return v as T;
  };
}

/** A bias init: a finite number (a constant) or "kernel" (drawn as the layer's weights). */
export function biasInit(v: string): number | 'kernel' {
  if (v === 'kernel') return v;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('Need a number (a constant) or "kernel".');
  return n;
}
