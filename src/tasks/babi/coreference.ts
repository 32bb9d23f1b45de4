// Tasks 11, 12 and 13: who a statement is about, when it says "he", "she", "they" or "A and B" (Weston et al.
// 2015, section 3, "Basic Coreference, Conjunctions and Compound Coreference"). Each block of a story is
// two statements and a question "Where is X?" about anyone whose place has been told; the statements that
// place X support it, with the statement a pronoun refers back to (its nearest antecedent).
import type { StoryRng } from './rng.js';
import type { StoryBuilder } from './story.js';
import type { TaskGenerator } from './task.js';
import { BASIC_ACTORS, BASIC_LOCATIONS, MOVE_VERBS } from './words.js';

const THEN = ['then', 'after that', 'following that', 'afterwards'] as const;

/** Where each person is, with the statements that tell it. */
class Places {
  private readonly at = new Map<string, { where: string; supports: number[] }>();

  where(who: string): string | undefined {
    return this.at.get(who)?.where;
  }

  set(who: string, where: string, supports: number[]): void {
    this.at.set(who, { where, supports });
  }

  /** A place other than where all of `who` are now (a move changes everyone's place). */
  destination(rng: StoryRng, who: readonly string[]): string {
    return rng.pick(BASIC_LOCATIONS.filter((l) => who.every((w) => this.where(w) !== l)));
  }

  ask(rng: StoryRng, story: StoryBuilder): void {
    const told = BASIC_ACTORS.map((a) => a.name).filter((a) => this.at.has(a));
    const who = rng.pick(told);
    const { where, supports } = this.at.get(who)!;
    story.question(`where is ${who}`, where, supports);
  }
}

/** Task 11: "Mary went to the kitchen. Then she travelled to the garden." */
export const basicCoreference: TaskGenerator = {
  id: 11, slug: 'basic-coreference', title: 'Basic Coreference', questions: 5,
  generate(rng, story) {
    const places = new Places();
    for (let q = 0; q < 5; q++) {
      const actor = rng.pick(BASIC_ACTORS);
      const first = places.destination(rng, [actor.name]);
      const named = story.fact(`${actor.name} ${rng.pick(MOVE_VERBS)} the ${first}`);
      places.set(actor.name, first, [named]);
      const second = places.destination(rng, [actor.name]);
      const pronoun = story.fact(`${rng.pick(THEN)} ${actor.male ? 'he' : 'she'} ${rng.pick(MOVE_VERBS)} the ${second}`);
      places.set(actor.name, second, [named, pronoun]);
      places.ask(rng, story);
    }
  },
};

/** Task 12: "Mary and Daniel went to the kitchen. John and Daniel moved to the office." */
export const conjunction: TaskGenerator = {
  id: 12, slug: 'conjunction', title: 'Conjunction', questions: 5,
  generate(rng, story) {
    const places = new Places();
    for (let q = 0; q < 5; q++) {
      for (let i = 0; i < 2; i++) {
        const pair = rng.sample(BASIC_ACTORS, 2).map((a) => a.name);
        const where = places.destination(rng, pair);
        const line = story.fact(`${pair[0]} and ${pair[1]} ${rng.pick(MOVE_VERBS)} the ${where}`);
        for (const who of pair) places.set(who, where, [line]);
      }
      places.ask(rng, story);
    }
  },
};

/** Task 13: "Mary and Daniel went to the kitchen. Then they journeyed to the garden." */
export const compoundCoreference: TaskGenerator = {
  id: 13, slug: 'compound-coreference', title: 'Compound Coreference', questions: 5,
  generate(rng, story) {
    const places = new Places();
    for (let q = 0; q < 5; q++) {
      const pair = rng.sample(BASIC_ACTORS, 2).map((a) => a.name);
      const first = places.destination(rng, pair);
      const named = story.fact(`${pair[0]} and ${pair[1]} ${rng.pick(MOVE_VERBS)} the ${first}`);
      for (const who of pair) places.set(who, first, [named]);
      const second = places.destination(rng, pair);
      const pronoun = story.fact(`${rng.pick(THEN)} they ${rng.pick(MOVE_VERBS)} the ${second}`);
      for (const who of pair) places.set(who, second, [named, pronoun]);
      places.ask(rng, story);
    }
  },
};
