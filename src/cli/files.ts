// Output files of the CLI: directories checked before a long job runs, CSV and JSONL. Every file is written
// atomically (io/atomic.ts).
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';

export { writeFileAtomic } from '../io/atomic.js';

/**
 * Creates `dir` (and its parents) and checks that files can be written in it, before a long job runs:
 * an unusable --out is an error at the start, not after hours of training.
 */
export function prepareOutputDir(dir: string, flag = '--out'): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`${flag} ${dir}: cannot write there (${err.code ?? err.message})`);
  }
}

/**
 * Rows of plain objects as CSV: a header of `columns` (default: the first row's keys), numbers as JS prints
 * them, empty for null. No rows still gives the header line.
 */
export function toCsv(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : []);
  if (cols.length === 0) return '';
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export const toJsonl = (rows: readonly unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
