// bAbI stories as token ids for a memory network (End-To-End Memory Networks, Sukhbaatar et al. 2015): one
// example per question, its memory the story's statements before it.
//
// Tokens: a line's words split on spaces (' '), the final '.' or '?' dropped, lower-cased (unless
// lowercase: false). An answer is one token, lower-cased the same way, commas included ("apple,milk",
// "n,w"): the model picks it as one word of the vocabulary, as MemN2N does.
//
// Vocabulary: the sorted (UTF-16 code unit order) set of tokens of the stories it is built from (statements,
// questions and answers); id 0 is padding (word ""), and with { unknown: true } id 1 is "<unk>"; the words
// follow from id 1 (or 2).
//
// Layout of EncodedBabi, N examples (questions), M = memorySize, L = sentenceLength, all Int32Array, row-major:
//   memory    [N, M, L]  example n's memory: the last min(M, S) statements told before its question (S of
//                        them in its story), oldest first, in rows 0 .. sentences[n] - 1; each row the
//                        statement's token ids then zeros; rows sentences[n] .. M - 1 all zeros. Statement
//                        row r of example n is memory[(n * M + r) * L + w], w = 0 .. L - 1; its age (0 = the
//                        latest statement) is sentences[n] - 1 - r.
//   sentences [N]        real rows of each example's memory (0 when a question opens its story).
//   queries   [N, L]     the question's token ids, then zeros.
//   answers   [N]        the answer's id.
//   tasks     [N]        the story's task number (0 where unknown).
//   stories   [N]        the index of the example's story in the encoded array (to hold out whole stories).
// Examples are in story order, and within a story in question order.
import { checkOptions, fail, show } from '../../core/check.js';
import type { BabiStory } from './story.js';

export const PAD = '';
export const UNK = '<unk>';

export interface BabiVocabulary {
  /** words[id]: words[0] = "" (padding), then "<unk>" if `unknown`, then the words in sorted order. */
  readonly words: readonly string[];
  /** Whether tokens are lower-cased. */
  readonly lowercase: boolean;
  /** Whether id 1 is "<unk>", for words not in the vocabulary. */
  readonly unknown: boolean;
}

/** The tokens of a statement or question: split on spaces, final '.' or '?' dropped, lower-cased by default. */
export function babiTokens(text: string, lowercase = true): string[] {
  let t = (lowercase ? text.toLowerCase() : text).trim();
  const last = t.charCodeAt(t.length - 1);
  if (last === 46 || last === 63) t = t.slice(0, -1); // '.' or '?'
  return t.split(' ').filter((w) => w !== '');
}

function answerToken(answer: string, lowercase: boolean): string {
  return lowercase ? answer.toLowerCase() : answer;
}

function checkStories(where: string, stories: unknown): asserts stories is readonly BabiStory[] {
  if (!Array.isArray(stories)) fail(where, 'stories', stories, 'an array of bAbI stories');
  stories.forEach((s, i) => {
    if (s === null || typeof s !== 'object' || !Array.isArray((s as BabiStory).lines)) fail(where, `stories[${i}]`, s, 'a story { task, lines }');
  });
}

export interface BabiVocabularyOptions {
  /** Lower-case every token (default true). */
  readonly lowercase?: boolean;
  /** Reserve id 1 for "<unk>" so that encodeBabi(..., { unknown: 'unk' }) can map unknown words (default false). */
  readonly unknown?: boolean;
}

/** The vocabulary of the stories (build it from the training stories). */
export function babiVocabulary(stories: readonly BabiStory[], options: BabiVocabularyOptions = {}): BabiVocabulary {
  const o = checkOptions('babiVocabulary', options, ['lowercase', 'unknown']);
  const lowercase = o.lowercase ?? true;
  const unknown = o.unknown ?? false;
  if (typeof lowercase !== 'boolean') fail('babiVocabulary', 'lowercase', lowercase, 'true or false');
  if (typeof unknown !== 'boolean') fail('babiVocabulary', 'unknown', unknown, 'true or false');
  checkStories('babiVocabulary', stories);
  const set = new Set<string>();
  for (const s of stories) {
    for (const line of s.lines) {
      for (const w of babiTokens(line.text, lowercase)) set.add(w);
      if (line.kind === 'question') set.add(answerToken(line.answer, lowercase));
    }
  }
  set.delete(PAD);
  if (unknown) set.delete(UNK);
  const words = [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { words: [PAD, ...(unknown ? [UNK] : []), ...words], lowercase, unknown };
}

/** The longest statement or question of the stories, in tokens. */
export function babiSentenceLength(stories: readonly BabiStory[], lowercase = true): number {
  checkStories('babiSentenceLength', stories);
  let longest = 0;
  for (const s of stories) for (const line of s.lines) longest = Math.max(longest, babiTokens(line.text, lowercase).length);
  return longest;
}

export interface EncodeBabiOptions {
  /** Default: built from these stories (pass the training vocabulary when encoding test stories). */
  readonly vocabulary?: BabiVocabulary;
  /** Statements kept in memory, the latest ones (default 50, as Sukhbaatar et al. 2015). */
  readonly memorySize?: number;
  /** Tokens per row; default the longest statement or question of these stories. A longer one is an error. */
  readonly sentenceLength?: number;
  /** A word not in the vocabulary: 'error' (default), or 'unk' to map it to "<unk>" (needs a vocabulary built with unknown: true). */
  readonly unknown?: 'error' | 'unk';
}

export interface EncodedBabi {
  /** N, the number of examples (questions). */
  readonly count: number;
  /** M, statements per memory. */
  readonly memorySize: number;
  /** L, tokens per statement or question row. */
  readonly sentenceLength: number;
  /** [N, M, L] token ids; see the layout at the top of src/tasks/babi/encode.ts. */
  readonly memory: Int32Array;
  /** [N] real memory rows per example. */
  readonly sentences: Int32Array;
  /** [N, L] question token ids. */
  readonly queries: Int32Array;
  /** [N] answer ids. */
  readonly answers: Int32Array;
  /** [N] task numbers. */
  readonly tasks: Int32Array;
  /** [N] index of each example's story among the stories encoded. */
  readonly stories: Int32Array;
  readonly vocabulary: BabiVocabulary;
}

/** One example per question of the stories, as token ids (layout at the top of this file). */
export function encodeBabi(stories: readonly BabiStory[], options: EncodeBabiOptions = {}): EncodedBabi {
  const where = 'encodeBabi';
  const o = checkOptions(where, options, ['vocabulary', 'memorySize', 'sentenceLength', 'unknown']);
  checkStories(where, stories);
  const vocabulary = (o.vocabulary as BabiVocabulary | undefined) ?? babiVocabulary(stories);
  checkVocabulary(where, vocabulary);
  const { lowercase } = vocabulary;
  const M = o.memorySize ?? 50;
  if (typeof M !== 'number' || !Number.isSafeInteger(M) || M < 1) fail(where, 'memorySize', M, 'an integer >= 1');
  const unknown = o.unknown ?? 'error';
  if (unknown !== 'error' && unknown !== 'unk') fail(where, 'unknown', unknown, '"error" or "unk"');
  if (unknown === 'unk' && !vocabulary.unknown) throw new Error(`${where}: unknown is "unk" but the vocabulary has no "<unk>" (build it with babiVocabulary(stories, { unknown: true }))`);
  const L = o.sentenceLength ?? Math.max(1, babiSentenceLength(stories, lowercase));
  if (typeof L !== 'number' || !Number.isSafeInteger(L) || L < 1) fail(where, 'sentenceLength', L, 'an integer >= 1');

  const ids = new Map<string, number>(vocabulary.words.map((w, i) => [w, i]));
  let N = 0;
  for (const s of stories) for (const line of s.lines) if (line.kind === 'question') N++;
  if (N * M * L > 2 ** 31 - 1) throw new Error(`${where}: ${N} examples x ${M} x ${L} ids is too large for one Int32Array; encode fewer stories at a time`);

  const memory = new Int32Array(N * M * L);
  const sentences = new Int32Array(N);
  const queries = new Int32Array(N * L);
  const answers = new Int32Array(N);
  const tasks = new Int32Array(N);
  const storyOf = new Int32Array(N);

  const at = (s: number, id: number) => `story ${s}${stories[s]!.task ? ` (task ${stories[s]!.task})` : ''}, line ${id}`;
  const idOf = (w: string, s: number, line: number): number => {
    const id = ids.get(w);
    if (id !== undefined && id !== 0) return id;
    if (unknown === 'unk') return 1;
    throw new Error(`${where}: the word ${show(w)} (${at(s, line)}) is not in the vocabulary; build the vocabulary from stories that contain it, or map unknown words with babiVocabulary(train, { unknown: true }) and encodeBabi(..., { unknown: 'unk' })`);
  };
  /** A line's token ids, checked against L. */
  const encodeLine = (text: string, s: number, line: number): Int32Array => {
    const words = babiTokens(text, lowercase);
    if (words.length > L) throw new Error(`${where}: ${at(s, line)} has ${words.length} words, more than sentenceLength ${L}: ${show(text)}`);
    return Int32Array.from(words, (w) => idOf(w, s, line));
  };

  let n = 0;
  stories.forEach((story, s) => {
    const told: Int32Array[] = []; // each statement encoded once, however many questions follow it
    for (const line of story.lines) {
      if (line.kind === 'fact') {
        told.push(encodeLine(line.text, s, line.id));
        continue;
      }
      const first = Math.max(0, told.length - M);
      for (let r = 0; first + r < told.length; r++) {
        const ids = told[first + r]!;
        const base = (n * M + r) * L;
        for (let k = 0; k < ids.length; k++) memory[base + k] = ids[k]!;
      }
      sentences[n] = told.length - first;
      queries.set(encodeLine(line.text, s, line.id), n * L);
      answers[n] = idOf(answerToken(line.answer, lowercase), s, line.id);
      tasks[n] = story.task;
      storyOf[n] = s;
      n++;
    }
  });
  return { count: N, memorySize: M, sentenceLength: L, memory, sentences, queries, answers, tasks, stories: storyOf, vocabulary };
}

function checkVocabulary(where: string, v: unknown): asserts v is BabiVocabulary {
  const x = v as BabiVocabulary;
  if (v === null || typeof v !== 'object' || !Array.isArray(x.words) || x.words[0] !== PAD || typeof x.lowercase !== 'boolean' || typeof x.unknown !== 'boolean'
    || (x.unknown && x.words[1] !== UNK)) {
    fail(where, 'vocabulary', v, 'a vocabulary from babiVocabulary()');
  }
}

/** The examples of the given tasks, in their order in `data` (for per-task evaluation). */
export function selectBabiTasks(data: EncodedBabi, tasks: readonly number[]): EncodedBabi {
  if (!Array.isArray(tasks) || tasks.some((t) => !Number.isInteger(t))) fail('selectBabiTasks', 'tasks', tasks, 'an array of task numbers');
  const keep: number[] = [];
  for (let i = 0; i < data.count; i++) if (tasks.includes(data.tasks[i]!)) keep.push(i);
  return subsetBabi(data, keep);
}

/** The examples at `indices` (any order, repeats allowed), e.g. a validation set of whole stories held out by `stories`. */
export function subsetBabi(data: EncodedBabi, indices: ArrayLike<number>): EncodedBabi {
  const n = indices.length;
  for (let k = 0; k < n; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= data.count) fail('subsetBabi', `indices[${k}]`, i, `an example index from 0 to ${data.count - 1}`);
  }
  const { memorySize: M, sentenceLength: L } = data;
  const memory = new Int32Array(n * M * L);
  const queries = new Int32Array(n * L);
  const pick = (a: Int32Array) => Int32Array.from({ length: n }, (_, k) => a[indices[k]!]!);
  for (let k = 0; k < n; k++) {
    const i = indices[k]!;
    memory.set(data.memory.subarray(i * M * L, (i + 1) * M * L), k * M * L);
    queries.set(data.queries.subarray(i * L, (i + 1) * L), k * L);
  }
  return {
    count: n, memorySize: M, sentenceLength: L, memory, queries,
    sentences: pick(data.sentences), answers: pick(data.answers), tasks: pick(data.tasks), stories: pick(data.stories),
    vocabulary: data.vocabulary,
  };
}
