// The Node-only part of the bAbI tasks: bAbI files read from and written to disk. Reading a file checks it
// is UTF-8 and then parses it strictly (format.ts: errors name the file, the line and what is wrong);
// writing is atomic (io/atomic.ts). A directory of tasks uses Facebook's layout and names,
// qa{N}_{slug}_{train|test}.txt, so the released data (tasks_1-20_v1-2/en/) reads the same way as ours.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOptions, fail } from '../../core/check.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { formatBabi, parseBabi, taskFromName } from './format.js';
import { babi, babiFileName, checkTasks, resolveBabiOptions, type Split } from './generate.js';
import type { BabiStory } from './story.js';

/** Reads a bAbI file; the task number comes from `task` or from a name like qa3_...; else 0. */
export function readBabiFile(path: string, options: { task?: number } = {}): BabiStory[] {
  const o = checkOptions('readBabiFile', options, ['task']);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`bAbI ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`bAbI ${path}: not UTF-8 text`);
  }
  return parseBabi(text, { name: path, task: (o.task as number | undefined) ?? taskFromName(path) });
}

/** Writes stories as a bAbI file, atomically. */
export function writeBabiFile(path: string, stories: readonly BabiStory[]): void {
  writeFileAtomic(path, formatBabi(stories));
}

/**
 * The stories of the given tasks' `split` from a directory in Facebook's layout (e.g. tasks_1-20_v1-2/en or
 * what writeBabi wrote; 'valid' for the en-valid folders' qa{N}_valid.txt), tasks in the order given. A task
 * without its file, or with two, is an error.
 */
export function readBabi(dir: string, options: { tasks?: readonly number[] | 'all'; split?: Split | 'valid' } = {}): BabiStory[] {
  const o = checkOptions('readBabi', options, ['tasks', 'split']);
  const tasks = checkTasks('readBabi', o.tasks);
  const split = o.split ?? 'train';
  if (split !== 'train' && split !== 'test' && split !== 'valid') fail('readBabi', 'split', split, '"train", "test" or "valid"');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new Error(`readBabi: cannot list ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const out: BabiStory[] = [];
  for (const task of tasks) {
    const files = names.filter((n) => n.startsWith(`qa${task}_`) && n.endsWith(`_${split}.txt`)).sort();
    if (files.length !== 1) {
      throw new Error(`readBabi: ${files.length === 0 ? 'no file' : `${files.length} files (${files.join(', ')})`} for task ${task} in ${dir} (need one qa${task}_*_${split}.txt)`);
    }
    out.push(...readBabiFile(join(dir, files[0]!), { task }));
  }
  return out;
}

/**
 * Generates the tasks and writes them to `dir` in Facebook's layout, both splits by default:
 * qa1_single-supporting-fact_train.txt, qa1_single-supporting-fact_test.txt, ... Returns the paths written.
 */
export function writeBabi(dir: string, options: { tasks?: readonly number[] | 'all'; seed?: number; count?: number; splits?: readonly Split[] } = {}): string[] {
  const o = checkOptions('writeBabi', options, ['tasks', 'seed', 'count', 'splits']);
  const splits = o.splits ?? ['train', 'test'];
  if (!Array.isArray(splits) || splits.length === 0 || splits.some((s) => s !== 'train' && s !== 'test')) fail('writeBabi', 'splits', splits, 'a non-empty array of "train" and "test"');
  const { tasks, seed, count } = resolveBabiOptions('writeBabi', { tasks: o.tasks, seed: o.seed, count: o.count });
  const written: string[] = [];
  for (const task of tasks) {
    for (const split of splits as Split[]) {
      const path = join(dir, babiFileName(task, split));
      writeBabiFile(path, babi({ tasks: [task], split, seed, count }));
      written.push(path);
    }
  }
  return written;
}
