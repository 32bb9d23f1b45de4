// Checks shared by every builder of the facade: values shown as they should read in an error message, and
// option objects whose keys must all be known (a typo gets "did you mean").

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

/**
 * Checks that `options` is a plain object (or undefined, when `optional`) whose keys are all in
 * `allowed`; returns it as a record. A typo is an error naming the key and the allowed ones.
 */
export function checkOptions(
  where: string, options: unknown, allowed: readonly string[], optional = true,
): Record<string, unknown> {
  if (options === undefined && optional) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: options must be an object with keys ${allowed.join(', ')} (got ${show(options)})`);
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    throw new Error(`${where}: unknown option "${key}" (allowed: ${allowed.join(', ')})${didYouMean(key, allowed)}`);
  }
  return options as Record<string, unknown>;
}
