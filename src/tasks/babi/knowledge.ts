// Tasks 9 and 10: what a statement says about where someone is, when it does not simply move them (Weston et
// al. 2015, section 3, "Simple Negation and Indefinite Knowledge"). Everyone has a true place from the
// start (unknown to the reader until told); each statement is true of the world, and the reader keeps, per
// person, only the latest statement about their place: a move or "X is in the L" (at L), "X is not in the L"
// or "X is no longer in the L" (not at L, place unknown), "X is either in the L1 or the L2" (one of two).
// Questions "Is X in the L?" ask only what that latest statement decides; it supports the answer.
import type { StoryRng } from './rng.js';
import type { StoryBuilder } from './story.js';
import { preferFresh, type TaskGenerator } from './task.js';
import { BASIC_ACTORS, BASIC_LOCATIONS, moveText, TOWN_ACTORS, TOWN_LOCATIONS, type Actor } from './words.js';

type Belief =
  | { readonly kind: 'at'; readonly where: string; readonly line: number }
  | { readonly kind: 'not'; readonly where: string; readonly line: number }
  | { readonly kind: 'either'; readonly places: readonly [string, string]; readonly line: number };

type Statement = 'move' | 'at' | 'not' | 'noLonger' | 'either';

class Town {
  readonly truth = new Map<string, string>();
  readonly belief = new Map<string, Belief>();

  constructor(rng: StoryRng, readonly actors: readonly Actor[], readonly places: readonly string[]) {
    for (const a of actors) this.truth.set(a.name, rng.pick(places));
  }

  /** Tells one statement of the given kind (falling back to a move where it cannot be told). */
  tell(rng: StoryRng, story: StoryBuilder, kind: Statement): void {
    const known = this.actors.map((a) => a.name).filter((a) => this.belief.get(a)?.kind === 'at');
    if (kind === 'noLonger' && known.length === 0) kind = 'move';
    const who = kind === 'noLonger' ? rng.pick(known) : rng.pick(this.actors).name;
    const here = this.truth.get(who)!;
    const elsewhere = () => rng.pick(this.places.filter((p) => p !== here));
    if (kind === 'move') {
      const where = elsewhere();
      this.truth.set(who, where);
      this.belief.set(who, { kind: 'at', where, line: story.fact(moveText(rng, who, where)) });
    } else if (kind === 'at') {
      this.belief.set(who, { kind: 'at', where: here, line: story.fact(`${who} is in the ${here}`) });
    } else if (kind === 'not') {
      const where = elsewhere();
      this.belief.set(who, { kind: 'not', where, line: story.fact(`${who} is not in the ${where}`) });
    } else if (kind === 'noLonger') {
      this.truth.set(who, elsewhere()); // they left without the story saying where to
      this.belief.set(who, { kind: 'not', where: here, line: story.fact(`${who} is no longer in the ${here}`) });
    } else {
      const other = elsewhere();
      const places: [string, string] = rng.chance(1, 2) ? [here, other] : [other, here];
      this.belief.set(who, { kind: 'either', places, line: story.fact(`${who} is either in the ${places[0]} or the ${places[1]}`) });
    }
  }

  /** Every question the beliefs decide, by answer: [person, place, answer, supporting line]. */
  questions(): Map<string, [string, string, number][]> {
    const out = new Map<string, [string, string, number][]>();
    const add = (answer: string, who: string, where: string, line: number) => {
      if (!out.has(answer)) out.set(answer, []);
      out.get(answer)!.push([who, where, line]);
    };
    for (const { name: who } of this.actors) {
      const b = this.belief.get(who);
      if (!b) continue;
      for (const where of this.places) {
        if (b.kind === 'at') add(where === b.where ? 'yes' : 'no', who, where, b.line);
        else if (b.kind === 'not' && where === b.where) add('no', who, where, b.line);
        else if (b.kind === 'either') add(b.places.includes(where) ? 'maybe' : 'no', who, where, b.line);
      }
    }
    return out;
  }

  /** Asks one question: first its answer (uniformly among those some question has), then the question. */
  ask(rng: StoryRng, story: StoryBuilder): void {
    const byAnswer = this.questions();
    const answers = [...byAnswer.keys()].sort();
    const answer = rng.pick(answers);
    const [who, where, line] = rng.pick(preferFresh(story, byAnswer.get(answer)!, ([w, l, s]) => [`is ${w} in the ${l}`, [s]]));
    story.question(`is ${who} in the ${where}`, answer, [line]);
  }
}

/** Task 9: moves, "X is in the L", "X is not in the L", "X is no longer in the L"; answers yes or no. */
export const simpleNegation: TaskGenerator = {
  id: 9, slug: 'simple-negation', title: 'Simple Negation', questions: 5,
  generate(rng, story) {
    const town = new Town(rng, BASIC_ACTORS, BASIC_LOCATIONS);
    const kinds: Statement[] = ['move', 'at', 'not', 'noLonger'];
    for (let q = 0; q < 5; q++) {
      town.tell(rng, story, rng.pick(kinds));
      town.tell(rng, story, rng.pick(kinds));
      town.ask(rng, story);
    }
  },
};

/** Task 10: moves, "X is in the L", "X is either in the L1 or the L2"; answers yes, no or maybe. */
export const indefiniteKnowledge: TaskGenerator = {
  id: 10, slug: 'indefinite-knowledge', title: 'Indefinite Knowledge', questions: 5,
  generate(rng, story) {
    const town = new Town(rng, TOWN_ACTORS, TOWN_LOCATIONS);
    const kinds: Statement[] = ['move', 'at', 'either'];
    for (let q = 0; q < 5; q++) {
      town.tell(rng, story, rng.pick(kinds));
      town.tell(rng, story, rng.pick(kinds));
      town.ask(rng, story);
    }
  },
};
