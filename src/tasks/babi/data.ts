// Generated train and test sets of the chosen bAbI tasks, encoded for a memory network in one call: the
// joint setting of Sukhbaatar et al. 2015 (all tasks, 1,000 training questions each) by default, or any
// selection of tasks. The vocabulary comes from the training stories only; the row length L is the longest
// statement or question of both sets (it is a shape, not something learned), unless given.
import { checkOptions, fail } from '../../core/check.js';
import { babiSentenceLength, babiVocabulary, encodeBabi, type BabiVocabulary, type EncodedBabi } from './encode.js';
import { babi, checkTasks } from './generate.js';
import type { BabiStory } from './story.js';

export interface BabiDataOptions {
  /** Task numbers, or 'all' (default). */
  readonly tasks?: readonly number[] | 'all';
  /** Seed of both sets (they draw from separate streams). Default 1. */
  readonly seed?: number;
  /** Training questions per task (default 1000). */
  readonly trainCount?: number;
  /** Test questions per task (default 1000). */
  readonly testCount?: number;
  /** Statements in memory (default 50). */
  readonly memorySize?: number;
  /** Tokens per row (default: the longest statement or question of both sets). */
  readonly sentenceLength?: number;
  /** Lower-case tokens (default true). */
  readonly lowercase?: boolean;
}

export interface BabiData {
  readonly train: EncodedBabi;
  readonly test: EncodedBabi;
  readonly vocabulary: BabiVocabulary;
  readonly trainStories: readonly BabiStory[];
  readonly testStories: readonly BabiStory[];
}

export function babiData(options: BabiDataOptions = {}): BabiData {
  const o = checkOptions('babiData', options, ['tasks', 'seed', 'trainCount', 'testCount', 'memorySize', 'sentenceLength', 'lowercase']);
  const tasks = checkTasks('babiData', o.tasks);
  const lowercase = o.lowercase ?? true;
  if (typeof lowercase !== 'boolean') fail('babiData', 'lowercase', lowercase, 'true or false');
  const seed = o.seed as number | undefined;
  const trainStories = babi({ tasks, split: 'train', seed, count: (o.trainCount as number | undefined) ?? 1000 });
  const testStories = babi({ tasks, split: 'test', seed, count: (o.testCount as number | undefined) ?? 1000 });
  const vocabulary = babiVocabulary(trainStories, { lowercase });
  const sentenceLength = (o.sentenceLength as number | undefined)
    ?? Math.max(babiSentenceLength(trainStories, lowercase), babiSentenceLength(testStories, lowercase));
  const memorySize = o.memorySize as number | undefined;
  return {
    train: encodeBabi(trainStories, { vocabulary, memorySize, sentenceLength }),
    test: encodeBabi(testStories, { vocabulary, memorySize, sentenceLength }),
    vocabulary, trainStories, testStories,
  };
}
