// The result store of a sweep: one directory (the CLI's --out) where each finished job is one file,
// OUT/runs/<id>.json, written atomically (a crash never leaves half a record, so a record that exists is
// a finished run), its checkpoint, when kept, in OUT/checkpoints/<id>.safetensors, written before the
// record. A record is the only proof that a job finished: resuming skips the ids that have one, and the
// report counts each id once, however many times a queue ran it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { JobOutcome, JobRecord } from './job.js';

export class ResultStore {
  constructor(readonly dir: string) {}

  private path(id: string): string {
    return join(this.dir, 'runs', `${id}.json`);
  }

  has(id: string): boolean {
    return this.read(id) !== null;
  }

  /**
   * The record of `id`, or null. A record that does not parse or names another id (copied by hand) is
   * treated as missing, so the job runs again rather than counting a result nobody can vouch for.
   */
  read(id: string): JobRecord | null {
    const path = this.path(id);
    if (!existsSync(path)) return null;
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as JobRecord;
      return r.id === id ? r : null;
    } catch {
      return null;
    }
  }

  /** Stores a finished job: its checkpoint first, then its record (which makes it count). Returns false if it was already stored. */
  write(outcome: JobOutcome): boolean {
    const { record, checkpoint } = outcome;
    if (this.has(record.id)) return false;
    if (checkpoint && record.checkpointFile) writeFileAtomic(join(this.dir, record.checkpointFile), checkpoint);
    writeFileAtomic(this.path(record.id), `${JSON.stringify(record)}\n`);
    return true;
  }
}
