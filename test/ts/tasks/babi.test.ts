// The generated bAbI tasks (src/tasks/babi): sizes, seeded determinism (a pure function of seed, task,
// split and story; the same bits as a committed fixture and in Bun and Deno), every answer checked by an
// independent reader of the text (babi-solver.ts) from the whole story and from the supporting statements
// alone, supporting ids, the spread of the answers, and option errors.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { babi, babiSentenceLength, babiStory, BABI_TASKS, babiVocabulary, formatBabi, type BabiQuestion, type BabiStory } from '../../../src/universal.js';
import { learnMotives, solve, type Statement } from './babi-solver.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURE = `${root}/test/fixtures/babi-seed1.json`;
const TASKS = BABI_TASKS.map((t) => t.id);

// The 1k data sets of every task, both splits, seed 1: generated once for the whole file.
const data = { train: babi({ split: 'train', seed: 1 }), test: babi({ split: 'test', seed: 1 }) };
const ofTask = (stories: readonly BabiStory[], task: number) => stories.filter((s) => s.task === task);
const questions = (stories: readonly BabiStory[]) => stories.flatMap((s) => s.lines.filter((l): l is BabiQuestion => l.kind === 'question'));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Each question with the statements told before it in its story. */
function* asked(stories: readonly BabiStory[]): Generator<{ story: BabiStory; q: BabiQuestion; before: Statement[] }> {
  for (const story of stories) {
    const before: Statement[] = [];
    for (const line of story.lines) {
      if (line.kind === 'fact') before.push(line);
      else yield { story, q: line, before: before.slice() };
    }
  }
}

describe('sizes', () => {
  it.each(TASKS)('task %i: 1,000 questions per split, every story asks the same number, the last one cut after the 1,000th', (task) => {
    const per = BABI_TASKS[task - 1]!.questionsPerStory;
    for (const split of ['train', 'test'] as const) {
      const stories = ofTask(data[split], task);
      expect(questions(stories)).toHaveLength(1000);
      expect(stories).toHaveLength(Math.ceil(1000 / per));
      const counts = stories.map((s) => questions([s]).length);
      expect(counts.slice(0, -1).every((c) => c === per)).toBe(true);
      expect(counts.at(-1)).toBe(1000 - per * (stories.length - 1));
      expect(stories.at(-1)!.lines.at(-1)!.kind).toBe('question'); // cut right after a question
    }
  });

  it('count and tasks choose what is generated, tasks in the order given', () => {
    const s = babi({ tasks: [19, 3], count: 7 });
    expect(s.map((x) => x.task)).toEqual([...Array(7).fill(19), 3, 3]);
    expect(questions(s)).toHaveLength(14);
  });
});

describe('determinism', () => {
  it('the same seed gives the same text; another seed, or the other split, other text, for every task', () => {
    const again = babi({ split: 'train', seed: 1, count: 50 });
    const other = babi({ split: 'train', seed: 2, count: 50 });
    const first = babi({ split: 'train', seed: 1, count: 50 });
    for (const task of TASKS) {
      const text = formatBabi(ofTask(first, task));
      expect(formatBabi(ofTask(again, task))).toBe(text);
      expect(formatBabi(ofTask(other, task)), `task ${task}, seed 2`).not.toBe(text);
      expect(formatBabi(ofTask(data.test, task)).slice(0, text.length), `task ${task}, test split`).not.toBe(text);
    }
  });

  it('story k is a pure function of (task, split, seed, k): regenerated alone it is the story babi() gives, and a smaller count is a prefix', () => {
    for (const task of TASKS) {
      const stories = ofTask(data.test, task);
      for (const k of [0, 1, stories.length - 2]) expect(babiStory(task, 'test', 1, k)).toEqual(stories[k]);
      const few = babi({ tasks: [task], split: 'test', seed: 1, count: 30 });
      const n = few.length;
      expect(few.slice(0, n - 1)).toEqual(stories.slice(0, n - 1));
      expect(stories[n - 1]!.lines.slice(0, few[n - 1]!.lines.length)).toEqual(few[n - 1]!.lines);
    }
  });

  it('every task and split at seed 1 has the bits of the committed fixture (GRADNOISE_UPDATE_FIXTURES=1 rewrites it)', () => {
    const hashes = Object.fromEntries(TASKS.map((task) => [task, {
      train: sha256(formatBabi(ofTask(data.train, task))),
      test: sha256(formatBabi(ofTask(data.test, task))),
    }]));
    if (process.env.GRADNOISE_UPDATE_FIXTURES) writeFileSync(FIXTURE, `${JSON.stringify({ seed: 1, count: 1000, sha256: hashes }, null, 2)}\n`);
    expect(JSON.parse(readFileSync(FIXTURE, 'utf8')).sha256).toEqual(hashes);
  });

  // Bun runs the TypeScript sources as they are; Deno with --sloppy-imports (the sources import './x.js').
  it.each([
    ['bun', (script: string) => [`${root}/node_modules/.bin/bun`, script]],
    ['deno', (script: string) => [`${root}/node_modules/.bin/deno`, 'run', '--sloppy-imports', '--allow-read', script]],
  ] as const)('%s generates the same bits as Node', async (runtime, command) => {
    const [file, ...args] = command(`${root}/test/runtimes/babi-hash.ts`);
    if (!existsSync(file!)) throw new Error(`${runtime} is not installed at ${file} (npm ci installs it)`);
    const out = await new Promise<string>((resolve, reject) => execFile(file!, [...args, '100'], { cwd: root, timeout: 60_000 }, (e, stdout, stderr) => {
      if (e) reject(new Error(`${runtime}: ${e.message}\n${stderr}`));
      else resolve(stdout);
    }));
    const text = formatBabi([...babi({ split: 'train', count: 100 }), ...babi({ split: 'test', count: 100 })]);
    expect(out.trim()).toBe(`${sha256(text)} ${text.length}`);
  });
});

describe('every answer follows from the story', () => {
  const motives = learnMotives(ofTask(data.train, 20).map((s) => s.lines.filter((l) => l.kind === 'fact')));

  it.each(TASKS)('task %i: the independent reader gives the generated answer to every question, from the whole story and from the supporting statements alone', (task) => {
    let checked = 0;
    const wrong: string[] = [];
    for (const split of ['train', 'test'] as const) {
      for (const { story, q, before } of asked(ofTask(data[split], task))) {
        const where = `task ${task} ${split}, story ${data[split].indexOf(story)}, line ${q.id}: ${q.text} ${q.answer}`;
        const attempt = (facts: Statement[]) => { try { return solve(task, facts, q.text, motives); } catch (e) { return `(${(e as Error).message})`; } };
        const whole = attempt(before);
        if (whole !== q.answer) wrong.push(`${where}; the reader says ${whole}`);
        const alone = attempt(before.filter((f) => q.supports.includes(f.id)));
        if (alone !== q.answer) wrong.push(`${where}; from supports ${q.supports} alone the reader says ${alone}`);
        checked++;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(2000);
  });

  it('other seeds too: seeds 2 to 4, 200 questions per task and split (a one-off run checked seeds 0-12 at 1,000: 520,000 questions)', () => {
    const wrong: string[] = [];
    for (const seed of [2, 3, 4]) {
      for (const split of ['train', 'test'] as const) {
        for (const { story, q, before } of asked(babi({ split, seed, count: 200 }))) {
          const attempt = (facts: Statement[]) => { try { return solve(story.task, facts, q.text, motives); } catch (e) { return `(${(e as Error).message})`; } };
          const whole = attempt(before);
          const alone = attempt(before.filter((f) => q.supports.includes(f.id)));
          if (whole !== q.answer || alone !== q.answer) wrong.push(`seed ${seed} ${split}, task ${story.task}, line ${q.id}: ${q.text} ${q.answer}; ${whole} / ${alone}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the reader is not a rubber stamp: without its latest supporting statement a question goes wrong (all of them, except task 16 where more people of the kind can stand in)', () => {
    for (const task of TASKS) {
      let wrong = 0, n = 0;
      for (const { q, before } of asked(ofTask(data.test, task))) {
        const drop = q.supports.at(-1);
        let answer: string;
        try { answer = solve(task, before.filter((f) => q.supports.includes(f.id) && f.id !== drop), q.text, motives); } catch { answer = '(no answer)'; }
        if (answer !== q.answer) wrong++;
        n++;
      }
      if (task === 16) expect(wrong / n).toBeGreaterThan(0.4);
      else expect(wrong, `task ${task}`).toBe(n);
    }
  });
});

describe('supporting facts', () => {
  it('point at earlier statements of the same story, ascending, at least one each, within the last 50 statements (the memory of MemN2N)', () => {
    const wrong: string[] = [];
    for (const split of ['train', 'test'] as const) {
      for (const { story, q, before } of asked(data[split])) {
        const where = `task ${story.task} ${split}, line ${q.id} cites ${q.supports.join(' ')}`;
        if (q.supports.length === 0 || q.supports.some((id, i) => i > 0 && id <= q.supports[i - 1]!)) wrong.push(`${where}: none, or not ascending and distinct`);
        for (const id of q.supports) {
          if (id >= q.id || story.lines[id - 1]?.kind !== 'fact') wrong.push(`${where}: ${id} is not an earlier statement`);
          else if (before.length - before.findIndex((f) => f.id === id) > 50) wrong.push(`${where}: ${id} is more than 50 statements back`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it.each([[1, 1], [2, 2], [3, 3], [4, 1], [5, 1], [6, 1], [9, 1], [10, 1], [11, 2], [12, 1], [13, 2], [14, 2], [15, 2], [18, 2], [19, 2], [20, 1]])(
    'task %i cites %i statements per question', (task, n) => {
      expect([...new Set(questions(ofTask(data.train, task)).map((q) => q.supports.length))]).toEqual([n]);
    });
});

describe('answers', () => {
  // The most common answer's share: yes/no tasks sit near a half, the place tasks near a sixth.
  const LIMIT: Record<number, number> = { 7: 0.65, 8: 0.45, 9: 0.65, 10: 0.5 };
  it.each(TASKS)('task %i: several answers, none too common', (task) => {
    for (const split of ['train', 'test'] as const) {
      const counts = new Map<string, number>();
      for (const q of questions(ofTask(data[split], task))) counts.set(q.answer, (counts.get(q.answer) ?? 0) + 1);
      const top = Math.max(...counts.values()) / 1000;
      expect(counts.size).toBeGreaterThanOrEqual(2);
      expect(top, `task ${task} ${split}: ${JSON.stringify([...counts])}`).toBeLessThanOrEqual(LIMIT[task] ?? (counts.size === 2 ? 0.56 : 0.35));
      if (counts.size > 2) expect(counts.size).toBeGreaterThanOrEqual(3);
    }
  });

  it('the answer sets are those of the paper', () => {
    const answers = (task: number) => [...new Set(questions(ofTask(data.train, task)).map((q) => q.answer))].sort();
    expect(answers(6)).toEqual(['no', 'yes']);
    expect(answers(7)).toEqual(['none', 'one', 'three', 'two']);
    expect(answers(10)).toEqual(['maybe', 'no', 'yes']);
    expect(answers(15)).toEqual(['cat', 'mouse', 'sheep', 'wolf']);
    expect(answers(19).every((a) => /^[nsew],[nsew]$/.test(a))).toBe(true);
    expect(answers(8)).toContain('nothing');
    expect(answers(8).filter((a) => a.includes(',')).every((a) => a.split(',').join(',') === a.split(',').sort().join(','))).toBe(true);
  });
});

describe('options', () => {
  it.each([
    [{ tasks: [0] }, /babi: tasks\[0\] is 0 \(need a task number from 1 to 20\)/],
    [{ tasks: [1, 21] }, /tasks\[1\] is 21/],
    [{ tasks: [2, 2] }, /task 2 is listed twice/],
    [{ tasks: [] }, /tasks is \[\] \(need 'all' or a non-empty array/],
    [{ tasks: 'some' }, /tasks is "some"/],
    [{ split: 'valid' }, /split is "valid" \(need "train" or "test"\)/],
    [{ seed: -1 }, /seed is -1 \(need an integer from 0 to 2\^53 - 1\)/],
    [{ seed: 1.5 }, /seed is 1.5/],
    [{ count: 0 }, /count is 0 \(need an integer from 1 to 10000000/],
    [{ cont: 5 }, /unknown option "cont" \(allowed: tasks, split, seed, count\); did you mean count\?/],
  ])('babi(%j) fails naming the option', (options, message) => {
    expect(() => babi(options as never)).toThrow(message);
  });

  it('babiStory checks its arguments', () => {
    expect(() => babiStory(21, 'train', 1, 0)).toThrow(/babiStory: task is 21/);
    expect(() => babiStory(1, 'dev' as never, 1, 0)).toThrow(/split is "dev"/);
    expect(() => babiStory(1, 'train', 1, -1)).toThrow(/index is -1/);
  });
});

describe('docs/tasks.md', () => {
  it('its table of the generated data at seed 1 is the data\'s', () => {
    const rows = TASKS.map((task) => {
      const stories = ofTask(data.train, task);
      const statements = stories.map((s) => s.lines.filter((l) => l.kind === 'fact').length);
      const before = [...asked(stories)].map(({ before: b }) => b.length);
      const supports = questions(stories).map((q) => q.supports.length);
      const counts = new Map<string, number>();
      for (const q of questions(stories)) counts.set(q.answer, (counts.get(q.answer) ?? 0) + 1);
      const [top, n] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
      const range = (xs: number[]) => (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}-${Math.max(...xs)}`);
      const mean = statements.reduce((a, b) => a + b, 0) / statements.length;
      const seen = new Set(stories.map((st) => formatBabi([st])));
      const tests = ofTask(data.test, task);
      const repeated = tests.filter((st) => seen.has(formatBabi([st]))).length;
      return `| ${task} | ${stories.length} | ${mean.toFixed(1)} | ${Math.max(...before)} | ${range(supports)} | ${counts.size} | ${top} (${(n / 10).toFixed(1)}%) | ` +
        `${repeated} of ${tests.length} |`;
    });
    const vocabulary = babiVocabulary(data.train).words.length;
    const table = [
      '| task | stories | statements per story | most statements before a question | supports per question | answers | most common answer | test stories also in train |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `The 20 training sets together have a vocabulary of ${vocabulary} ids (padding included); their longest statement or question has ` +
      `${babiSentenceLength(data.train)} tokens (${babiSentenceLength(data.test)} in the test sets).`,
    ].join('\n');
    const path = `${root}/docs/tasks.md`;
    const doc = readFileSync(path, 'utf8');
    if (process.env.GRADNOISE_UPDATE_DOCS) {
      writeFileSync(path, doc.replace(/<!-- babi-stats -->[\s\S]*<!-- \/babi-stats -->/, `<!-- babi-stats -->\n${table}\n<!-- /babi-stats -->`));
      return;
    }
    expect(doc, 'run GRADNOISE_UPDATE_DOCS=1 npx vitest run test/ts/tasks/babi.test.ts to refresh the table').toContain(table);
  });
});
