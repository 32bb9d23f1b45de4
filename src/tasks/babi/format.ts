// The bAbI text format (Facebook's tasks_1-20_v1-2 files), written and read.
//
//   1 Mary moved to the bathroom.
//   2 John went to the hallway.
//   3 Where is Mary? \tbathroom\t1
//
// One line per statement or question, each starting with its number in the story; the number goes back to 1
// where a new story starts. A question line holds three tab-separated fields: the question, the answer and
// the numbers of its supporting statements, separated by spaces (Facebook's files put a space before the
// first tab; the reader accepts it either way, and also a question with no third field, as in the files
// without supporting facts). formatBabi() writes exactly that layout, one '\n' after every line.
//
// parseBabi() is strict: whatever it cannot read as that format is an error naming the file (or the name
// given), the line number and what is wrong. It accepts a UTF-8 byte order mark, '\r\n' line ends and blank
// lines at the very end. Pure and runtime-agnostic.
import { checkOptions, fail } from '../../core/check.js';
import type { BabiFact, BabiLine, BabiQuestion, BabiStory } from './story.js';

/** The stories as bAbI text. Every story must be well formed (checked: ids 1, 2, ..., supports earlier statements). */
export function formatBabi(stories: readonly BabiStory[]): string {
  if (!Array.isArray(stories)) fail('formatBabi', 'stories', stories, 'an array of stories');
  const out: string[] = [];
  stories.forEach((story, s) => {
    const where = `formatBabi: story ${s}`;
    if (story === null || typeof story !== 'object' || !Array.isArray(story.lines) || story.lines.length === 0) {
      fail('formatBabi', `stories[${s}]`, story, 'a story with a non-empty lines array');
    }
    const lines: readonly BabiLine[] = story.lines;
    lines.forEach((line, i) => {
      if (line?.id !== i + 1) throw new Error(`${where}, line ${i}: id is ${line?.id} (need ${i + 1}: ids count lines from 1)`);
      checkText(`${where}, line ${line.id}`, 'text', line.text);
      if (line.kind === 'fact') {
        out.push(`${line.id} ${line.text}\n`);
      } else if (line.kind === 'question') {
        checkText(`${where}, line ${line.id}`, 'answer', line.answer);
        if (!Array.isArray(line.supports)) fail(`${where}, line ${line.id}`, 'supports', line.supports, 'an array of line ids');
        for (const id of line.supports) {
          const target = lines[id - 1];
          if (!Number.isInteger(id) || id < 1 || id >= line.id || target?.kind !== 'fact') {
            throw new Error(`${where}, line ${line.id}: support ${id} is not an earlier statement of the story`);
          }
        }
        out.push(`${line.id} ${line.text} \t${line.answer}\t${line.supports.join(' ')}\n`);
      } else {
        fail(`${where}, line ${i + 1}`, 'kind', (line as { kind?: unknown }).kind, '"fact" or "question"');
      }
    });
  });
  return out.join('');
}

function checkText(where: string, field: string, text: unknown): void {
  if (typeof text !== 'string' || text.trim() === '' || /[\t\r\n]/.test(text) || text !== text.trim()) {
    fail(where, field, text, 'non-empty text without tabs, line breaks or surrounding spaces');
  }
}

export interface ParseBabiOptions {
  /** Named in error messages (a file's path). Default "<string>". */
  readonly name?: string;
  /** Task number to record on the stories (default: from a name like qa3_..., else 0). */
  readonly task?: number;
}

/** The task number in a bAbI file name (qa3_three-supporting-facts_train.txt -> 3), or 0. */
export function taskFromName(name: string): number {
  const m = /(?:^|[\\/])qa(\d{1,2})_[^\\/]*$/.exec(name);
  const n = m ? Number(m[1]) : 0;
  return n >= 1 && n <= 20 ? n : 0;
}

/** Stories read from bAbI text; every malformed line is an error naming the file, the line and what is wrong. */
export function parseBabi(text: string, options: ParseBabiOptions = {}): BabiStory[] {
  const o = checkOptions('parseBabi', options, ['name', 'task']);
  const name = o.name ?? '<string>';
  if (typeof name !== 'string') fail('parseBabi', 'name', name, 'a string');
  const task = o.task ?? taskFromName(name);
  if (typeof task !== 'number' || !Number.isInteger(task) || task < 0 || task > 20) fail('parseBabi', 'task', task, 'a task number from 1 to 20, or 0 for unknown');
  if (typeof text !== 'string') fail('parseBabi', 'text', text, 'a string');

  const error = (n: number, what: string): never => {
    throw new Error(`bAbI ${name}: line ${n}: ${what}`);
  };
  const raw = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  let end = raw.length;
  while (end > 0 && raw[end - 1]!.replace(/\r$/, '').trim() === '') end--;
  if (end === 0) throw new Error(`bAbI ${name}: no lines (an empty file)`);

  const stories: BabiStory[] = [];
  let lines: BabiLine[] = [];
  for (let n = 1; n <= end; n++) {
    const line = raw[n - 1]!.replace(/\r$/, '');
    if (line.trim() === '') error(n, 'blank line inside the file');
    if (line.includes('\r')) error(n, 'a carriage return inside the line (line ends are \\n or \\r\\n)');
    const m = /^(\S+) (.*)$/s.exec(line);
    if (!m) error(n, `expected a line number, a space and the text, got ${JSON.stringify(clip(line))}`);
    const id = Number(m![1]);
    if (!/^[0-9]+$/.test(m![1]!) || !Number.isSafeInteger(id) || id < 1) error(n, `the line number ${JSON.stringify(clip(m![1]!))} is not a positive integer`);
    if (id === 1) {
      if (lines.length > 0) stories.push({ task, lines });
      lines = [];
    } else if (id !== lines.length + 1) {
      error(n, lines.length === 0
        ? `the first story starts at line number ${id} (need 1)`
        : `line number ${id} does not follow ${lines.length} (numbers go up by one, and back to 1 for a new story)`);
    }
    const fields = m![2]!.split('\t');
    const body = fields[0]!.trim();
    if (fields.length === 1) {
      if (body === '') error(n, 'the statement is empty');
      lines.push({ kind: 'fact', id, text: body } satisfies BabiFact);
      continue;
    }
    if (fields.length > 3) error(n, `a question line has ${fields.length} tab-separated fields (need 3: question, answer, supporting line numbers)`);
    if (body === '') error(n, 'the question is empty');
    const answer = fields[1]!.trim();
    if (answer === '') error(n, 'the answer is empty');
    const supports: number[] = [];
    for (const s of (fields[2] ?? '').trim().split(/ +/).filter((x) => x !== '')) {
      const k = Number(s);
      if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(k)) error(n, `supporting line ${JSON.stringify(clip(s))} is not a line number`);
      if (k < 1 || k >= id) error(n, `supporting line ${k} is not an earlier line of this story (the question is line ${id})`);
      if (lines[k - 1]!.kind !== 'fact') error(n, `supporting line ${k} is a question, not a statement`);
      if (supports.includes(k)) error(n, `supporting line ${k} is listed twice`);
      supports.push(k);
    }
    lines.push({ kind: 'question', id, text: body, answer, supports } satisfies BabiQuestion);
  }
  stories.push({ task, lines });
  return stories;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
