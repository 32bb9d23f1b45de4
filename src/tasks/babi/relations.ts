// Tasks 4 and 5: relations whose arguments must be told apart by their place in the sentence (Weston et al.
// 2015, section 3, "Two or Three Argument Relations"). Task 4: "What is north of the bedroom?" and "What is
// the bedroom north of?" have the same words and different answers. Task 5: who gave what to whom.
import { tell } from './actions.js';
import { inWindow, type TaskGenerator } from './task.js';
import { type Action, World } from './world.js';
import { BASIC_LOCATIONS, BASIC_OBJECTS, COMPASS, GIVE_ACTORS, OPPOSITE, type Compass } from './words.js';

/**
 * Task 4: three rooms in a row along one axis, told as two statements that each relate the middle room to
 * one neighbour (either way round: "The A is north of the M" or "The M is south of the A"), in random order.
 * The question asks about the middle room in one of the two word orders; the statement naming the answer
 * supports it.
 */
export const twoArgRelations: TaskGenerator = {
  id: 4, slug: 'two-arg-relations', title: 'Two Argument Relations', questions: 1,
  generate(rng, story) {
    const [a, m, c] = rng.sample(BASIC_LOCATIONS, 3) as [string, string, string];
    const dirA: Compass = rng.pick(COMPASS); // a lies dirA of m, c the opposite way
    const dirC = OPPOSITE[dirA];
    const relate = (x: string, dir: Compass) => // x lies `dir` of m
      rng.chance(1, 2) ? `the ${x} is ${dir} of the ${m}` : `the ${m} is ${OPPOSITE[dir]} of the ${x}`;
    const first = rng.chance(1, 2);
    const lines = new Map<string, number>();
    for (const [x, dir] of first ? [[a, dirA], [c, dirC]] as const : [[c, dirC], [a, dirA]] as const) {
      lines.set(x, story.fact(relate(x, dir)));
    }
    const dir = rng.pick([dirA, dirC]);
    if (rng.chance(1, 2)) {
      const answer = dir === dirA ? a : c; // what lies `dir` of m
      story.question(`what is ${dir} of the ${m}`, answer, [lines.get(answer)!]);
    } else {
      const answer = dir === dirA ? c : a; // m lies `dir` of the room on the other side
      story.question(`what is the ${m} ${dir} of`, answer, [lines.get(answer)!]);
    }
  },
};

type Give = { giver: string; object: string; recipient: string; line: number };

/** The five question forms of task 5 about one give, as [question, answer]. */
function giveQuestion(kind: number, g: Give): [string, string] {
  switch (kind) {
    case 0: return [`what did ${g.giver} give to ${g.recipient}`, g.object];
    case 1: return [`who gave the ${g.object}`, g.giver];
    case 2: return [`who received the ${g.object}`, g.recipient];
    case 3: return [`who gave the ${g.object} to ${g.recipient}`, g.giver];
    default: return [`who did ${g.giver} give the ${g.object} to`, g.recipient];
  }
}

/**
 * Task 5: moves, pick-ups, drops and gives among Bill, Fred, Jeff and Mary. After a give, 0 to 5 further
 * statements that neither touch the given object nor are gives by the same giver, then a question about that
 * give (what was given, who gave, who received); the give supports it. Every form's answer is then also the
 * latest give the question could mean.
 */
export const threeArgRelations: TaskGenerator = {
  id: 5, slug: 'three-arg-relations', title: 'Three Argument Relations', questions: 5,
  generate(rng, story) {
    const world = new World(rng, GIVE_ACTORS, BASIC_LOCATIONS, BASIC_OBJECTS);
    const kinds = ['move', 'get', 'give', 'give', 'drop'] as const;
    while (story.questionCount < 5) {
      const a = world.sample(rng, kinds);
      tell(rng, story, world, a);
      if (a.kind !== 'give' || story.factCount < 2) continue;
      const g = world.gives[world.gives.length - 1]!;
      const unrelated = (b: Action) => !(('object' in b && b.object === g.object) || (b.kind === 'give' && b.actor === g.giver));
      for (let extra = rng.int(6); extra > 0; extra--) {
        const options = kinds.flatMap((k) => world.validActions(k)).filter(unrelated);
        tell(rng, story, world, rng.pick(options)); // a move is always possible
      }
      if (!inWindow(story, [g.line])) continue;
      const [text, answer] = giveQuestion(rng.int(5), g);
      story.question(text, answer, [g.line]);
    }
  },
};
