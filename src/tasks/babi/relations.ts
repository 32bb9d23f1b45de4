// Tasks 4 and 5: relations whose arguments must be told apart by their place in the sentence (Weston et al.
// 2015, section 3, "Two or Three Argument Relations"). Task 4: "What is north of the bedroom?" and "What is
// the bedroom north of?" have the same words and different answers. Task 5: who gave what to whom.
import { tell } from './actions.js';
import { inWindow, type TaskGenerator } from './task.js';
import { type Action, World } from './world.js';
import { BASIC_LOCATIONS, BASIC_OBJECTS, GIVE_ACTORS, OPPOSITE, type Compass } from './words.js';

/** The directions a row of task 4 runs in (its statements use only these; questions also the opposites). */
const ROW_DIRECTIONS: readonly Compass[] = ['north', 'east'];

/**
 * Task 4, as the bAbI generator builds it: three rooms in a row along one axis, told as two statements in
 * the row's direction (north or east): "The A is north of the M" and "The M is north of the C", in random
 * order. The question asks about the middle room, in either direction and either word order ("What is
 * south of the M?", "What is the M north of?"); the statement naming the answer supports it.
 */
export const twoArgRelations: TaskGenerator = {
  id: 4, slug: 'two-arg-relations', title: 'Two Argument Relations', questions: 1,
  generate(rng, story) {
    const [a, m, c] = rng.sample(BASIC_LOCATIONS, 3) as [string, string, string];
    const dirA: Compass = rng.pick(ROW_DIRECTIONS); // a lies dirA of m, c the opposite way
    const dirC = OPPOSITE[dirA];
    const told = [[a, `the ${a} is ${dirA} of the ${m}`], [c, `the ${m} is ${dirA} of the ${c}`]] as const;
    const lines = new Map<string, number>();
    for (const [x, text] of rng.chance(1, 2) ? told : [told[1], told[0]]) lines.set(x, story.fact(text));
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
