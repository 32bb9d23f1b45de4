// What a bAbI task generator is: it tells one story through a StoryBuilder, drawing every choice from the
// story's own random stream, and asks exactly `questions` questions.
import type { StoryRng } from './rng.js';
import type { StoryBuilder } from './story.js';

export interface TaskGenerator {
  /** bAbI task number, 1-20. */
  readonly id: number;
  /** The file-name slug of Facebook's release: qa{id}_{slug}_{split}.txt. */
  readonly slug: string;
  /** The paper's title of the task. */
  readonly title: string;
  /** Questions in every story (the last story of a data set may be cut short). */
  readonly questions: number;
  generate(rng: StoryRng, story: StoryBuilder): void;
}

/**
 * The memory of End-To-End Memory Networks holds the last 50 statements before a question (Sukhbaatar et
 * al. 2015); generators whose stories grow long only ask questions whose supporting statements are that
 * recent, so every question stays answerable from that memory.
 */
export const MEMORY_WINDOW = 50;

/** True when every line in `supports` is among the last MEMORY_WINDOW statements told so far. */
export function inWindow(story: StoryBuilder, supports: readonly number[]): boolean {
  return supports.every((s) => story.factsSince(s) < MEMORY_WINDOW);
}

/** The candidates not asked before in this story (same question, same supports), or all of them if none is new. */
export function preferFresh<T>(story: StoryBuilder, items: readonly T[], question: (item: T) => [string, readonly number[]]): readonly T[] {
  const fresh = items.filter((item) => !story.wasAsked(...question(item)));
  return fresh.length > 0 ? fresh : items;
}
