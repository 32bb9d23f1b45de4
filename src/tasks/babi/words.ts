// The lexicon of the generated bAbI tasks: who, where, what, and the synonyms each action is told with.
// Names and places are those of Facebook's released data (tasks_1-20_v1-2) where we know them; the verb
// synonyms are the paper's (Weston et al. 2015, section 4: get = picked up / got / grabbed / took, drop =
// dropped / left / discarded / put down) and the released data's (move = moved / went / journeyed /
// travelled / went back).
import type { StoryRng } from './rng.js';

export interface Actor {
  readonly name: string;
  readonly male: boolean;
}

/** Tasks 1-3, 6-9, 11-13: four people, six rooms, three portable objects. */
export const BASIC_ACTORS: readonly Actor[] = [
  { name: 'Daniel', male: true },
  { name: 'John', male: true },
  { name: 'Mary', male: false },
  { name: 'Sandra', male: false },
];
export const BASIC_LOCATIONS = ['bathroom', 'bedroom', 'garden', 'hallway', 'kitchen', 'office'] as const;
export const BASIC_OBJECTS = ['apple', 'football', 'milk'] as const;

/** Task 5 (three-argument relations). */
export const GIVE_ACTORS: readonly Actor[] = [
  { name: 'Bill', male: true },
  { name: 'Fred', male: true },
  { name: 'Jeff', male: true },
  { name: 'Mary', male: false },
];

/** Tasks 10 (indefinite knowledge) and 14 (time reasoning). */
export const TOWN_ACTORS: readonly Actor[] = [
  { name: 'Bill', male: true },
  { name: 'Fred', male: true },
  { name: 'Julie', male: false },
  { name: 'Mary', male: false },
];
export const TOWN_LOCATIONS = ['bedroom', 'cinema', 'kitchen', 'office', 'park', 'school'] as const;

export const MOVE_VERBS = ['moved to', 'went to', 'journeyed to', 'travelled to', 'went back to'] as const;
export const GET_VERBS = ['got', 'grabbed', 'picked up', 'took'] as const;
export const DROP_VERBS = ['dropped', 'left', 'discarded', 'put down'] as const;
export const GIVE_VERBS = ['gave', 'handed', 'passed'] as const;

/** "Mary journeyed to the garden" (no full stop: the story builder adds it). */
export function moveText(rng: StoryRng, who: string, where: string): string {
  return `${who} ${rng.pick(MOVE_VERBS)} the ${where}`;
}

/** "Mary grabbed the milk" or "Mary grabbed the milk there". */
export function getText(rng: StoryRng, who: string, what: string): string {
  return `${who} ${rng.pick(GET_VERBS)} the ${what}${rng.chance(1, 3) ? ' there' : ''}`;
}

/** "Mary put down the milk" or "Mary put down the milk there". */
export function dropText(rng: StoryRng, who: string, what: string): string {
  return `${who} ${rng.pick(DROP_VERBS)} the ${what}${rng.chance(1, 3) ? ' there' : ''}`;
}

/** "Fred handed the milk to Bill". */
export function giveText(rng: StoryRng, who: string, what: string, to: string): string {
  return `${who} ${rng.pick(GIVE_VERBS)} the ${what} to ${to}`;
}

/** Numbers as the counting task answers them. */
export const COUNT_WORDS = ['none', 'one', 'two', 'three', 'four', 'five'] as const;

/** Compass directions of tasks 4 and 19, and their one-letter form in task 19's answers. */
export const COMPASS = ['north', 'east', 'south', 'west'] as const;
export type Compass = (typeof COMPASS)[number];
export const OPPOSITE: Readonly<Record<Compass, Compass>> = { north: 'south', south: 'north', east: 'west', west: 'east' };
/** Unit steps on a grid (x grows east, y grows north). */
export const STEP: Readonly<Record<Compass, readonly [number, number]>> = {
  north: [0, 1], south: [0, -1], east: [1, 0], west: [-1, 0],
};
