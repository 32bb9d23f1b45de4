// bAbI stories as token ids for a memory network (src/tasks/babi/encode.ts): the vocabulary, the exact
// layout of memory / sentences / queries / answers / tasks on a story worked by hand, the last-M window on
// long stories, every example decoded back to its text, unknown words, fixed row lengths, the joint data
// set of all tasks and per-task selection.
import { describe, expect, it } from 'vitest';
import {
  babi, babiData, babiSentenceLength, babiTokens, babiVocabulary, encodeBabi, parseBabi, selectBabiTasks, subsetBabi, type EncodedBabi,
} from '../../../src/universal.js';

// Two stories; the second opens with a question, so its first example has an empty memory.
const HAND = parseBabi([
  '1 Mary moved to the bathroom.',
  '2 John went to the hallway.',
  '3 Where is Mary? \tbathroom\t1',
  '4 Mary got the milk there.',
  '5 What is Mary carrying? \tapple,milk\t4',
  '1 Is John in the kitchen? \tno\t',
  '2 John went back to the kitchen.',
  '3 Where is John? \tkitchen\t2',
].join('\n'), { task: 8 });

/** The words of row `r` of example `n`'s memory, padding dropped. */
function memoryRow(e: EncodedBabi, n: number, r: number): string[] {
  const L = e.sentenceLength;
  const at = (n * e.memorySize + r) * L;
  return [...e.memory.subarray(at, at + L)].filter((id) => id !== 0).map((id) => e.vocabulary.words[id]!);
}
const query = (e: EncodedBabi, n: number) => [...e.queries.subarray(n * e.sentenceLength, (n + 1) * e.sentenceLength)].filter((id) => id !== 0).map((id) => e.vocabulary.words[id]!);

describe('tokens and vocabulary', () => {
  it('a line\'s tokens: split on spaces, the final full stop or question mark dropped, lower-cased', () => {
    expect(babiTokens('Where is Mary? ')).toEqual(['where', 'is', 'mary']);
    expect(babiTokens('The box of chocolates fits inside the chest.')).toEqual(['the', 'box', 'of', 'chocolates', 'fits', 'inside', 'the', 'chest']);
    expect(babiTokens('Where is Mary?', false)).toEqual(['Where', 'is', 'Mary']);
  });

  it('the sorted words of statements, questions and answers; id 0 is padding, "<unk>" is id 1 on request', () => {
    const v = babiVocabulary(HAND);
    expect(v.words).toEqual(['', 'apple,milk', 'back', 'bathroom', 'carrying', 'got', 'hallway', 'in', 'is', 'john', 'kitchen', 'mary', 'milk', 'moved',
      'no', 'the', 'there', 'to', 'went', 'what', 'where']);
    expect(v.lowercase).toBe(true);
    expect(babiVocabulary(HAND, { unknown: true }).words.slice(0, 3)).toEqual(['', '<unk>', 'apple,milk']);
    expect(babiVocabulary(HAND, { lowercase: false }).words).toContain('Mary');
  });

  it('checks its options', () => {
    expect(() => babiVocabulary(HAND, { lowercase: 'yes' } as never)).toThrow('babiVocabulary: lowercase is "yes" (need true or false)');
    expect(() => babiVocabulary('x' as never)).toThrow(/babiVocabulary: stories is "x"/);
  });
});

// The worked layout, with L left to its default (6: "John went back to the kitchen").
describe('layout, worked by hand', () => {
  const e = encodeBabi(HAND, { memorySize: 2 });
  const id = (w: string) => e.vocabulary.words.indexOf(w);
  const L = 6;
  const row = (...words: string[]) => [...words.map(id), ...Array(L - words.length).fill(0)];

  it('shape', () => {
    expect({ count: e.count, memorySize: e.memorySize, sentenceLength: e.sentenceLength }).toEqual({ count: 4, memorySize: 2, sentenceLength: L });
    expect(e.memory).toHaveLength(4 * 2 * L);
    expect(e.queries).toHaveLength(4 * L);
  });

  it('memory: the last M statements before each question, oldest first, then zero rows', () => {
    expect([...e.memory]).toEqual([
      ...row('mary', 'moved', 'to', 'the', 'bathroom'), ...row('john', 'went', 'to', 'the', 'hallway'), // "Where is Mary?"
      ...row('john', 'went', 'to', 'the', 'hallway'), ...row('mary', 'got', 'the', 'milk', 'there'), // 3 told, M = 2: the last 2
      ...row(), ...row(), // the second story opens with its question
      ...row('john', 'went', 'back', 'to', 'the', 'kitchen'), ...row(),
    ]);
    expect([...e.sentences]).toEqual([2, 2, 0, 1]);
  });

  it('subsetBabi takes examples by index (here the second story held out whole); stories keeps each example\'s story', () => {
    expect([...e.stories]).toEqual([0, 0, 1, 1]);
    const held = subsetBabi(e, [...e.stories.keys()].filter((i) => e.stories[i] === 1));
    const alone = encodeBabi([HAND[1]!], { vocabulary: e.vocabulary, memorySize: 2, sentenceLength: L });
    expect({ ...held, stories: [...held.stories] }).toEqual({ ...alone, stories: [1, 1] });
    expect(() => subsetBabi(e, [4])).toThrow('subsetBabi: indices[0] is 4 (need an example index from 0 to 3)');
  });

  it('queries, answers (one token, commas kept) and tasks', () => {
    expect([...e.queries]).toEqual([
      ...row('where', 'is', 'mary'), ...row('what', 'is', 'mary', 'carrying'), ...row('is', 'john', 'in', 'the', 'kitchen'), ...row('where', 'is', 'john'),
    ]);
    expect([...e.answers]).toEqual([id('bathroom'), id('apple,milk'), id('no'), id('kitchen')]);
    expect([...e.tasks]).toEqual([8, 8, 8, 8]);
  });
});

describe('generated data', () => {
  it('every example decodes back to its story: the last 50 statements before the question, the question, the answer', () => {
    const stories = babi({ tasks: [3, 5, 14, 19], count: 100 }); // tasks 3 and 5 tell more than 50 statements before some questions
    const e = encodeBabi(stories);
    let n = 0;
    let full = 0;
    const wrong: string[] = [];
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((w, i) => w === b[i]);
    for (const story of stories) {
      const told: string[] = [];
      for (const line of story.lines) {
        if (line.kind === 'fact') { told.push(line.text); continue; }
        const kept = told.slice(-50);
        if (told.length > 50) full++;
        const where = `example ${n} (task ${story.task}, line ${line.id})`;
        if (e.sentences[n] !== kept.length) wrong.push(`${where}: sentences ${e.sentences[n]}, not ${kept.length}`);
        for (let r = 0; r < 50; r++) if (!same(memoryRow(e, n, r), r < kept.length ? babiTokens(kept[r]!) : [])) wrong.push(`${where}: memory row ${r}`);
        if (!same(query(e, n), babiTokens(line.text))) wrong.push(`${where}: query`);
        if (e.vocabulary.words[e.answers[n]!] !== line.answer.toLowerCase()) wrong.push(`${where}: answer`);
        if (e.tasks[n] !== story.task) wrong.push(`${where}: task`);
        n++;
      }
    }
    expect(wrong).toEqual([]);
    expect(n).toBe(e.count);
    expect(full).toBeGreaterThan(0); // the window was exercised
  });

  it('the joint data set: all 20 tasks, 1,000 questions each per split, the vocabulary from training only; per-task selection', () => {
    const d = babiData();
    expect(d.train.count).toBe(20_000);
    expect(d.test.count).toBe(20_000);
    expect(d.vocabulary).toEqual(babiVocabulary(d.trainStories));
    expect(d.train.sentenceLength).toBe(Math.max(babiSentenceLength(d.trainStories), babiSentenceLength(d.testStories)));
    expect(d.test.sentenceLength).toBe(d.train.sentenceLength);
    expect(d.train.memorySize).toBe(50);
    for (let task = 1; task <= 20; task++) expect(d.train.tasks.filter((t) => t === task)).toHaveLength(1000);
    const t7 = selectBabiTasks(d.test, [7]);
    const alone = encodeBabi(babi({ tasks: [7], split: 'test' }), { vocabulary: d.vocabulary, sentenceLength: d.test.sentenceLength });
    const bytes = (a: Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const k of ['memory', 'sentences', 'queries', 'answers', 'tasks'] as const) expect(bytes(t7[k]).equals(bytes(alone[k])), k).toBe(true);
    expect([t7.count, t7.memorySize, t7.sentenceLength]).toEqual([alone.count, alone.memorySize, alone.sentenceLength]);
    const firstStory = d.testStories.findIndex((s) => s.task === 7); // task 7's stories follow tasks 1-6 in the joint set
    expect(t7.stories.every((s, i) => s === alone.stories[i]! + firstStory)).toBe(true);
    expect(selectBabiTasks(d.train, [2, 20]).count).toBe(2000);
  });

  it('a single task: the vocabulary of that task alone', () => {
    const d = babiData({ tasks: [1], trainCount: 200, testCount: 100, memorySize: 10 });
    expect(d.train.count).toBe(200);
    expect(d.test.count).toBe(100);
    expect(d.vocabulary.words).not.toContain('north');
    expect(d.train.memorySize).toBe(10);
  });
});

describe('errors', () => {
  const train = babi({ tasks: [1], count: 50 });
  const vocabulary = babiVocabulary(train);

  it('a word the vocabulary lacks names the word, the story, the task and the line; or maps to <unk> on request', () => {
    const other = babi({ tasks: [19], count: 1 });
    expect(() => encodeBabi(other, { vocabulary })).toThrow(/encodeBabi: the word "[a-z]+" \(story 0 \(task 19\), line \d+\) is not in the vocabulary/);
    expect(() => encodeBabi(other, { vocabulary, unknown: 'unk' })).toThrow('encodeBabi: unknown is "unk" but the vocabulary has no "<unk>"');
    const withUnk = babiVocabulary(train, { unknown: true });
    const e = encodeBabi(other, { vocabulary: withUnk, unknown: 'unk' });
    expect(e.queries.includes(1)).toBe(true);
    expect(e.answers[0]).toBe(1); // "n,w"-like answers are unknown to task 1's vocabulary
  });

  it('a line longer than a fixed sentenceLength is an error naming it; a longer sentenceLength pads', () => {
    expect(() => encodeBabi(train, { sentenceLength: 3 })).toThrow(/encodeBabi: story 0 \(task 1\), line 1 has [4-9] words, more than sentenceLength 3: ".*"/);
    const wide = encodeBabi(train, { sentenceLength: 12 });
    expect(wide.sentenceLength).toBe(12);
    expect(wide.memory).toHaveLength(wide.count * 50 * 12);
  });

  it.each([
    [{ memorySize: 0 }, 'encodeBabi: memorySize is 0 (need an integer >= 1)'],
    [{ sentenceLength: 2.5 }, 'encodeBabi: sentenceLength is 2.5 (need an integer >= 1)'],
    [{ unknown: 'skip' }, 'encodeBabi: unknown is "skip" (need "error" or "unk")'],
    [{ vocabulary: ['a'] }, 'encodeBabi: vocabulary is ["a"] (need a vocabulary from babiVocabulary())'],
    [{ memory: 50 }, 'encodeBabi: unknown option "memory" (allowed: vocabulary, memorySize, sentenceLength, unknown)'],
  ])('encodeBabi(stories, %j) fails naming the option', (options, message) => {
    expect(() => encodeBabi(train, options as never)).toThrow(message);
  });

  it('babiData checks its options', () => {
    expect(() => babiData({ tasks: [0] })).toThrow('babiData: tasks[0] is 0 (need a task number from 1 to 20)');
    expect(() => babiData({ trainCount: 0 })).toThrow(/count is 0/);
  });
});

