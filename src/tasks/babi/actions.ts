// Tasks 1, 2, 3, 6, 7 and 8: people move between rooms and handle objects (world.ts); questions ask where
// someone or something is or was, yes/no, how many and which objects someone carries. Weston et al. 2015,
// section 3; the story shapes follow Facebook's generator (WhereIsActor, WhereIsObject, WhereWasObject,
// IsActorThere, Counting, Listing in facebookarchive/bAbI-tasks), with the differences docs/tasks.md lists.
import type { StoryRng } from './rng.js';
import type { StoryBuilder } from './story.js';
import { inWindow, preferFresh, type TaskGenerator } from './task.js';
import { type Action, type ActionKind, World } from './world.js';
import { BASIC_ACTORS, BASIC_LOCATIONS, BASIC_OBJECTS, COUNT_WORDS, dropText, getText, giveText, moveText } from './words.js';

function basicWorld(rng: StoryRng): World {
  return new World(rng, BASIC_ACTORS, BASIC_LOCATIONS, BASIC_OBJECTS);
}

/** Tells a world action as a statement and applies it; returns the statement's id. */
export function tell(rng: StoryRng, story: StoryBuilder, world: World, a: Action): number {
  const text =
    a.kind === 'move' ? moveText(rng, a.actor, a.where)
      : a.kind === 'get' ? getText(rng, a.actor, a.object)
        : a.kind === 'drop' ? dropText(rng, a.actor, a.object)
          : giveText(rng, a.actor, a.object, a.recipient);
  const id = story.fact(text);
  world.perform(a, id);
  return id;
}

function tellRandom(rng: StoryRng, story: StoryBuilder, world: World, kinds: readonly ActionKind[]): number {
  return tell(rng, story, world, world.sample(rng, kinds));
}

/** Task 1: two moves, then "Where is X?" about someone whose place was told; the move that put them there supports it. */
export const singleSupportingFact: TaskGenerator = {
  id: 1, slug: 'single-supporting-fact', title: 'Single Supporting Fact', questions: 5,
  generate(rng, story) {
    const world = basicWorld(rng);
    for (let q = 0; q < 5; q++) {
      tellRandom(rng, story, world, ['move']);
      tellRandom(rng, story, world, ['move']);
      const who = rng.pick(world.placedActors());
      const at = world.locationOf(who)!;
      story.question(`where is ${who}`, at.where, [at.line]);
    }
  },
};

/**
 * Task 2: moves, pick-ups and drops; after at least three statements, with probability 1/2, "Where is the
 * O?" about an object whose place is known (preferring a question not asked before): the holder's pick-up
 * and where they are, or the drop and where the dropper was.
 */
export const twoSupportingFacts: TaskGenerator = {
  id: 2, slug: 'two-supporting-facts', title: 'Two Supporting Facts', questions: 5,
  generate(rng, story) {
    const world = basicWorld(rng);
    let since = 0;
    while (story.questionCount < 5) {
      tellRandom(rng, story, world, ['get', 'drop', 'move']);
      since++;
      if (since < 3 || !rng.chance(1, 2)) continue;
      const known = world.objects
        .map((o) => ({ o, place: world.knownPlace(o) }))
        .filter((k) => k.place !== undefined && inWindow(story, k.place.supports));
      if (known.length === 0) continue;
      const { o, place } = rng.pick(preferFresh(story, known, (k) => [`where is the ${k.o}`, k.place!.supports]));
      story.question(`where is the ${o}`, place!.where, place!.supports);
      since = 0;
    }
  },
};

/**
 * Task 3: as task 2, asking "Where was the O before the L?" (a question not asked before in the story). L
 * is a place the object is known to have been in exactly once, reached in someone's hands from the place
 * before it in that same holding, so three statements answer it: the pick-up, the holder being at the
 * earlier place, the move to L; all three among the last 50 statements.
 */
export const threeSupportingFacts: TaskGenerator = {
  id: 3, slug: 'three-supporting-facts', title: 'Three Supporting Facts', questions: 5,
  generate(rng, story) {
    const world = basicWorld(rng);
    let since = 0;
    while (story.questionCount < 5) {
      tellRandom(rng, story, world, ['get', 'drop', 'move']);
      since++;
      if (since < 3 || !rng.chance(1, 2)) continue;
      const asks: { o: string; before: string; answer: string; supports: number[] }[] = [];
      for (const o of world.objects) {
        const history = world.placeHistory(o);
        const visits = world.visits(o);
        for (let k = 1; k < visits.length; k++) {
          const prev = visits[k - 1]!;
          const cur = visits[k]!;
          if (prev.period !== cur.period || history.filter((p) => p === cur.where).length !== 1) continue;
          const supports = [...new Set([...prev.supports, ...cur.supports])];
          if (supports.length === 3 && inWindow(story, supports)) asks.push({ o, before: cur.where, answer: prev.where, supports });
        }
      }
      const fresh = asks.filter((a) => !story.wasAsked(`where was the ${a.o} before the ${a.before}`, a.supports));
      if (fresh.length === 0) continue;
      const a = rng.pick(fresh);
      story.question(`where was the ${a.o} before the ${a.before}`, a.answer, a.supports);
      since = 0;
    }
  },
};

/** Task 6: as task 1 with some pick-ups and drops; "Is X in the L?", yes or no with probability 1/2 each. */
export const yesNoQuestions: TaskGenerator = {
  id: 6, slug: 'yes-no-questions', title: 'Yes/No Questions', questions: 5,
  generate(rng, story) {
    const world = basicWorld(rng);
    for (let q = 0; q < 5; q++) {
      for (let i = 0; i < 2; i++) tellRandom(rng, story, world, ['move', 'move', 'move', 'get', 'drop']);
      const who = rng.pick(world.placedActors());
      const at = world.locationOf(who)!;
      const yes = rng.chance(1, 2);
      const where = yes ? at.where : rng.pick(world.locations.filter((l) => l !== at.where));
      story.question(`is ${who} in the ${where}`, yes ? 'yes' : 'no', [at.line]);
    }
  },
};

/**
 * Tasks 7 and 8 share their stories: moves, pick-ups, drops and gives, then every second statement a
 * question about someone who has handled an object; every get, drop, give and receipt of theirs supports it.
 */
function carrying(rng: StoryRng, story: StoryBuilder, ask: (world: World, who: string) => [string, string]): void {
  const world = basicWorld(rng);
  let told = 0;
  while (story.questionCount < 5) {
    tellRandom(rng, story, world, ['get', 'get', 'give', 'move', 'drop']);
    told++;
    const handlers = world.placedActors().filter((a) => world.possessionLines(a).length > 0);
    if (told < 2 || handlers.length === 0) continue;
    const who = rng.pick(handlers);
    const [text, answer] = ask(world, who);
    story.question(text, answer, world.possessionLines(who));
    told = 0;
  }
}

/** Task 7: "How many objects is X carrying?": none, one, two or three. */
export const counting: TaskGenerator = {
  id: 7, slug: 'counting', title: 'Counting', questions: 5,
  generate(rng, story) {
    carrying(rng, story, (world, who) => [`how many objects is ${who} carrying`, COUNT_WORDS[world.heldBy(who).length]!]);
  },
};

/** Task 8: "What is X carrying?": nothing, or the objects in alphabetical order, comma-separated. */
export const listsSets: TaskGenerator = {
  id: 8, slug: 'lists-sets', title: 'Lists/Sets', questions: 5,
  generate(rng, story) {
    carrying(rng, story, (world, who) => {
      const held = world.heldBy(who).sort();
      return [`what is ${who} carrying`, held.length === 0 ? 'nothing' : held.join(',')];
    });
  },
};
