// Robustness of the bAbI reader and encoder under fast-check: parseBabi gets random text, generated files
// and those files mutated (characters and lines inserted, deleted, swapped; tabs, digits, blank lines and
// line ends where they do not belong), and encodeBabi the stories that parse.
//
// Contract checked (parseBabi's header in src/tasks/babi/format.ts): it either returns well-formed stories
// (ids 1, 2, ... per story, supports naming earlier statements, non-empty texts and answers) that format
// back to text parsing to the same stories, or throws a plain Error whose message starts with
// "bAbI <name>: line N: " (or names an empty file). encodeBabi on what parsed either returns arrays of the
// documented sizes with every id inside the vocabulary, or throws a plain Error starting with "encodeBabi: ".
// Seeds are fixed, so a failure reproduces.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { babi, babiVocabulary, encodeBabi, formatBabi, parseBabi, type BabiStory } from '../../../src/universal.js';

const SEED = 18;
const NAME = 'fuzz/qa1_x_train.txt';

function plainError(e: unknown, prefix: RegExp): void {
  if (!(e instanceof Error)) throw new Error(`threw a non-Error: ${String(e)}`);
  if (e.constructor !== Error) throw new Error(`threw a ${e.constructor.name}, not a plain Error: ${e.message}`);
  if (!prefix.test(e.message)) throw new Error(`error message does not match ${prefix}: ${JSON.stringify(e.message)}`);
}

function wellFormed(stories: readonly BabiStory[]): void {
  expect(stories.length).toBeGreaterThan(0);
  for (const s of stories) {
    s.lines.forEach((l, i) => {
      expect(l.id).toBe(i + 1);
      expect(l.text.trim()).toBe(l.text);
      expect(l.text).not.toBe('');
      if (l.kind === 'question') {
        expect(l.answer).not.toBe('');
        for (const k of l.supports) expect(s.lines[k - 1]?.kind === 'fact' && k < l.id).toBe(true);
      }
    });
  }
}

/** parseBabi's outcome, checked against the contract; the stories when it parsed. */
function parse(text: string): BabiStory[] | null {
  let stories: BabiStory[];
  try {
    stories = parseBabi(text, { name: NAME });
  } catch (e) {
    plainError(e, /^bAbI fuzz\/qa1_x_train\.txt: (line \d+: .+|no lines \(an empty file\))$/s);
    return null;
  }
  wellFormed(stories);
  expect(parseBabi(formatBabi(stories), { name: NAME })).toEqual(stories);
  return stories;
}

function encode(stories: BabiStory[]): void {
  try {
    const vocabulary = babiVocabulary(stories.slice(0, 1));
    const e = encodeBabi(stories, { vocabulary, memorySize: 5, unknown: 'error' });
    const V = vocabulary.words.length;
    expect(e.memory).toHaveLength(e.count * 5 * e.sentenceLength);
    for (const a of [e.memory, e.queries, e.answers]) for (const id of a) expect(id >= 0 && id < V).toBe(true);
  } catch (e) {
    plainError(e, /^encodeBabi: /);
  }
}

type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'dropLine'; at: number }
  | { kind: 'duplicateLine'; at: number };

const piece = fc.constantFrom('\t', '\n', '\r\n', '\r', '\u2028', '\u00a0', ' ', '0', '1', '7', '12 ', '?', '.', '-', '\ufeff', '\n\n', ' \t', '\t\t', 'x', '99999999999999999999');
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(piece, fc.string({ maxLength: 6 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('dropLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat() }),
);

function apply(text: string, edits: readonly Edit[]): string {
  let t = text;
  for (const e of edits) {
    const lines = t.split('\n');
    switch (e.kind) {
      case 'insert': { const at = e.at % (t.length + 1); t = t.slice(0, at) + e.text + t.slice(at); break; }
      case 'delete': { const at = e.at % (t.length + 1); t = t.slice(0, at) + t.slice(at + e.count); break; }
      case 'swapLines': { const a = e.a % lines.length, b = e.b % lines.length; [lines[a], lines[b]] = [lines[b]!, lines[a]!]; t = lines.join('\n'); break; }
      case 'dropLine': lines.splice(e.at % lines.length, 1); t = lines.join('\n'); break;
      case 'duplicateLine': { const at = e.at % lines.length; lines.splice(at, 0, lines[at]!); t = lines.join('\n'); break; }
    }
  }
  return t;
}

const files = [1, 3, 5, 8, 14, 17, 19, 20].map((task) => formatBabi(babi({ tasks: [task], split: 'test', count: 12, seed: 7 })));

describe('parseBabi and encodeBabi under fuzzing', () => {
  it('random text: parsed well-formed, or a plain error naming the line', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.oneof(piece, fc.string({ maxLength: 5 })), { maxLength: 60 }).map((p) => p.join(''))), (text) => {
      const s = parse(text);
      if (s) encode(s);
    }), { seed: SEED, numRuns: 2000 });
  });

  it('generated files round-trip, and mutated they parse well-formed or fail with the line', () => {
    for (const f of files) expect(formatBabi(parseBabi(f))).toBe(f);
    let parsed = 0, refused = 0;
    fc.assert(fc.property(fc.constantFrom(...files), fc.array(edit, { minLength: 1, maxLength: 4 }), (file, edits) => {
      const s = parse(apply(file, edits));
      if (s) { parsed++; encode(s); } else refused++;
    }), { seed: SEED, numRuns: 1500 });
    expect(parsed).toBeGreaterThan(50); // the mutations do not only break files
    expect(refused).toBeGreaterThan(50);
  });
});
