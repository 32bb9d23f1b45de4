// Node-only file writing that never leaves a half-written file: write a temporary file next to the
// target, flush it to disk (fsync), rename it over the target (atomic on POSIX file systems), then flush
// the directory so that the rename itself survives a power cut. A crash at any moment leaves either the
// previous file or the new one, and at worst a stray `.tmp-*` file beside them.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Bytes per write() call; between calls `onProgress` (tests) may observe a half-written temporary file. */
const CHUNK = 1 << 20;

export interface AtomicWriteOptions {
  /** Called after each chunk with the bytes written so far and the total (tests kill the process here). */
  readonly onProgress?: (written: number, total: number) => void;
}

export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.tmp-${basename(path)}-${randomBytes(4).toString('hex')}`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'w');
    try {
      let at = 0;
      do {
        at += writeSync(fd, bytes, at, Math.min(CHUNK, bytes.length - at));
        options.onProgress?.(at, bytes.length);
      } while (at < bytes.length);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDirectory(dir);
}

// The rename is durable once the directory is flushed. Some platforms (Windows) cannot open a directory
// for that; the file itself is already safe there.
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR on file systems that do not sync directories.
  } finally {
    closeSync(fd);
  }
}
