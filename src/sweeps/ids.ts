// Job ids of the sweeps: a stable hash of everything that decides a run's bits (its complete config and
// the description of its data; never the worker count). The id names the run's result file
// (OUT/runs/<id>.json) and its BullMQ job, so a job never runs twice and a sweep resumes where it stopped.
// The hashing is that of the first `reproduce table1` (16 hex digits of SHA-256 over JSON with sorted
// keys): the run ids in existing OUT directories and in docs/experiments/ stay valid. Never change it.
import { createHash } from 'node:crypto';

/** A stable id of a config (and anything else that decides a run): 16 hex digits of SHA-256. */
export function configId(value: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex').slice(0, 16);
}
