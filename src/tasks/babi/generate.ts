// Seeded generation of the bAbI tasks (Weston et al. 2015, "Towards AI-Complete Question Answering: A Set of
// Prerequisite Toy Tasks", arXiv 1502.05698). The stories are ours, written by the generators of this
// folder, not Facebook's released data (docs/tasks.md says how they follow the paper and where they differ).
//
// Contract: story k of (seed, task, split) is a pure function of those four values (rng.ts), so any subset
// of a data set can be regenerated alone, bit for bit in every JavaScript runtime. Every story of a task
// asks the same number of questions (TaskGenerator.questions); a data set of `count` questions per task is
// its first ceil(count / questions) stories, the last one cut right after its count-th question.
import { checkOptions, fail, show } from '../../core/check.js';
import { counting, listsSets, singleSupportingFact, threeSupportingFacts, twoSupportingFacts, yesNoQuestions } from './actions.js';
import { basicCoreference, compoundCoreference, conjunction } from './coreference.js';
import { basicDeduction, basicInduction } from './inference.js';
import { indefiniteKnowledge, simpleNegation } from './knowledge.js';
import { agentsMotivations } from './motivations.js';
import { threeArgRelations, twoArgRelations } from './relations.js';
import { StoryRng, type Split } from './rng.js';
import { pathFinding, positionalReasoning, sizeReasoning } from './spatial.js';
import { StoryBuilder, type BabiStory } from './story.js';
import type { TaskGenerator } from './task.js';
import { timeReasoning } from './time.js';

export type { Split } from './rng.js';

/** The 20 generators, index = task number - 1. */
export const BABI_GENERATORS: readonly TaskGenerator[] = [
  singleSupportingFact, twoSupportingFacts, threeSupportingFacts, twoArgRelations, threeArgRelations,
  yesNoQuestions, counting, listsSets, simpleNegation, indefiniteKnowledge,
  basicCoreference, conjunction, compoundCoreference, timeReasoning, basicDeduction,
  basicInduction, positionalReasoning, sizeReasoning, pathFinding, agentsMotivations,
];

export interface BabiTaskInfo {
  /** Task number, 1-20. */
  readonly id: number;
  /** Facebook's file-name slug: qa{id}_{slug}_{split}.txt. */
  readonly slug: string;
  readonly title: string;
  /** Questions per story. */
  readonly questionsPerStory: number;
}

/** The tasks this library generates, in order. */
export const BABI_TASKS: readonly BabiTaskInfo[] = BABI_GENERATORS.map((g) => ({
  id: g.id, slug: g.slug, title: g.title, questionsPerStory: g.questions,
}));

/** Facebook's file name of a task's split: qa1_single-supporting-fact_train.txt. */
export function babiFileName(task: number, split: Split): string {
  const g = generator('babiFileName', task);
  return `qa${g.id}_${g.slug}_${split}.txt`;
}

export interface BabiOptions {
  /** Task numbers (1-20), or 'all' (the default). */
  readonly tasks?: readonly number[] | 'all';
  /** 'train' (the default) or 'test': the two draw from separate random streams. */
  readonly split?: Split;
  /** Seed, an integer in [0, 2^53). Default 1. */
  readonly seed?: number;
  /** Questions per task. Default 1000, as in the paper's 1k data sets. */
  readonly count?: number;
}

const MAX_COUNT = 10_000_000;

/** The resolved options of babi(), checked: every bad value is an error naming it. */
export function resolveBabiOptions(where: string, options: unknown): { tasks: number[]; split: Split; seed: number; count: number } {
  const o = checkOptions(where, options, ['tasks', 'split', 'seed', 'count']);
  const tasks = checkTasks(where, o.tasks);
  const split = o.split ?? 'train';
  if (split !== 'train' && split !== 'test') fail(where, 'split', split, '"train" or "test"');
  const seed = o.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) fail(where, 'seed', seed, 'an integer from 0 to 2^53 - 1');
  const count = o.count ?? 1000;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > MAX_COUNT) {
    fail(where, 'count', count, `an integer from 1 to ${MAX_COUNT} (questions per task)`);
  }
  return { tasks, split, seed, count };
}

/** Task numbers: 'all' / undefined = 1-20; else a non-empty array of distinct integers 1-20, kept in order. */
export function checkTasks(where: string, tasks: unknown): number[] {
  if (tasks === undefined || tasks === 'all') return BABI_GENERATORS.map((g) => g.id);
  if (!Array.isArray(tasks) || tasks.length === 0) fail(where, 'tasks', tasks, `'all' or a non-empty array of task numbers from 1 to 20`);
  tasks.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > 20) fail(where, `tasks[${i}]`, t, 'a task number from 1 to 20');
    if (tasks.indexOf(t) !== i) throw new Error(`${where}: task ${t} is listed twice in tasks ${show(tasks)}`);
  });
  return tasks.slice() as number[];
}

function generator(where: string, task: unknown): TaskGenerator {
  if (typeof task !== 'number' || !Number.isInteger(task) || task < 1 || task > 20) fail(where, 'task', task, 'a task number from 1 to 20');
  return BABI_GENERATORS[task - 1]!;
}

/**
 * Story `index` (0-based) of a task's split under a seed, whole (not cut short): the same story babi() puts
 * at that place. A pure function of its arguments.
 */
export function babiStory(task: number, split: Split, seed: number, index: number): BabiStory {
  const g = generator('babiStory', task);
  if (split !== 'train' && split !== 'test') fail('babiStory', 'split', split, '"train" or "test"');
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) fail('babiStory', 'seed', seed, 'an integer from 0 to 2^53 - 1');
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= 2 ** 32) fail('babiStory', 'index', index, 'an integer from 0 to 2^32 - 1');
  const story = new StoryBuilder(g.id);
  g.generate(new StoryRng(seed, g.id, split, index), story);
  if (story.questionCount !== g.questions) throw new Error(`bAbI task ${g.id}: story ${index} asked ${story.questionCount} questions, not ${g.questions}`);
  return story.build();
}

/**
 * Generated bAbI stories: for each task in `tasks` (in that order), the stories holding its first `count`
 * questions of `split` under `seed`.
 *
 *   const train = babi({ tasks: 'all', split: 'train', seed: 1 });   // 20 tasks x 1,000 questions
 */
export function babi(options: BabiOptions = {}): BabiStory[] {
  const { tasks, split, seed, count } = resolveBabiOptions('babi', options);
  const out: BabiStory[] = [];
  for (const task of tasks) {
    const per = BABI_GENERATORS[task - 1]!.questions;
    const stories = Math.ceil(count / per);
    for (let k = 0; k < stories; k++) {
      const story = babiStory(task, split, seed, k);
      const keep = Math.min(per, count - k * per);
      out.push(keep === per ? story : cutAfterQuestion(story, keep));
    }
  }
  return out;
}

/** The story up to and including its n-th question. */
function cutAfterQuestion(story: BabiStory, n: number): BabiStory {
  let seen = 0;
  const end = story.lines.findIndex((l) => l.kind === 'question' && ++seen === n);
  return { task: story.task, lines: story.lines.slice(0, end + 1) };
}
