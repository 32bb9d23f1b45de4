// Run ids for the CLI's sweeps: a stable hash of everything that decides a run.
import { createHash } from 'node:crypto';

/** A stable id of a config (and anything else that decides a run): 16 hex digits of SHA-256. */
export function configId(value: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex').slice(0, 16);
}

