// Writing results without ever leaving a half-written file: write a temporary file next to the target,
// flush it to disk, then rename it over the target (atomic on POSIX file systems). A crash mid-write
// leaves the previous file intact and, at worst, a stray `.tmp-*` file.
import { accessSync, closeSync, constants, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tmp-${basename(path)}-${randomBytes(4).toString('hex')}`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

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
