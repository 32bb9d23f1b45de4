// Tasks 15 and 16: properties inherited through kinds (Weston et al. 2015, section 3, "Basic Deduction and
// Induction"). Deduction: "Sheep are afraid of wolves. Gertrude is a sheep. What is gertrude afraid of?".
// Induction: "Lily is a swan. Lily is white. Greg is a swan. What color is Greg?". Story shapes of Facebook's
// generator (Deduction, Induction in facebookarchive/bAbI-tasks); as in the released data, several people
// may be the same animal, and task 15's questions name the person in lower case.
import type { TaskGenerator } from './task.js';

const FEARFUL = [
  { one: 'cat', many: 'cats' },
  { one: 'mouse', many: 'mice' },
  { one: 'sheep', many: 'sheep' },
  { one: 'wolf', many: 'wolves' },
] as const;
const DEDUCTION_ACTORS = ['Emily', 'Gertrude', 'Jessica', 'Winona'] as const;

/**
 * Task 15: each animal is afraid of another animal, each of four people is some animal (repeats allowed);
 * the eight statements in random order, then "What is x afraid of?" for each person in random order, answered
 * by the animal (singular) their kind fears; their "is a" and their kind's fear support it.
 */
export const basicDeduction: TaskGenerator = {
  id: 15, slug: 'basic-deduction', title: 'Basic Deduction', questions: 4,
  generate(rng, story) {
    const fears = FEARFUL.map((_, i) => rng.pick(FEARFUL.map((__, j) => j).filter((j) => j !== i)));
    const kindOf = DEDUCTION_ACTORS.map(() => rng.int(FEARFUL.length));
    type Statement = { text: string; fear?: number; person?: number };
    const statements: Statement[] = [
      ...FEARFUL.map((a, i) => ({ text: `${a.many} are afraid of ${FEARFUL[fears[i]!]!.many}`, fear: i })),
      ...DEDUCTION_ACTORS.map((p, i) => ({ text: `${p} is a ${FEARFUL[kindOf[i]!]!.one}`, person: i })),
    ];
    const fearLine = new Map<number, number>();
    const personLine = new Map<number, number>();
    for (const s of rng.shuffle(statements)) {
      const id = story.fact(s.text);
      if (s.fear !== undefined) fearLine.set(s.fear, id);
      else personLine.set(s.person!, id);
    }
    for (const p of rng.shuffle([0, 1, 2, 3])) {
      const kind = kindOf[p]!;
      story.question(`what is ${DEDUCTION_ACTORS[p]!.toLowerCase()} afraid of`, FEARFUL[fears[kind]!]!.one, [personLine.get(p)!, fearLine.get(kind)!]);
    }
  },
};

const ANIMALS = ['frog', 'lion', 'rhino', 'swan'] as const;
const COLORS = ['gray', 'green', 'white', 'yellow'] as const;
const INDUCTION_ACTORS = ['Bernhard', 'Brian', 'Greg', 'Julius', 'Lily'] as const;

/**
 * Task 16: each animal has its own colour; five people are random animals, one of them (the one asked about)
 * sharing their animal with at least one other. Everyone's animal and everyone else's colour are told in
 * random order, then "What color is X?"; X's animal and every other person of that animal (animal and
 * colour) support the answer.
 */
export const basicInduction: TaskGenerator = {
  id: 16, slug: 'basic-induction', title: 'Basic Induction', questions: 1,
  generate(rng, story) {
    const colorOf = rng.shuffle([0, 1, 2, 3]);
    const animalOf = INDUCTION_ACTORS.map(() => rng.int(ANIMALS.length));
    const q = rng.int(INDUCTION_ACTORS.length);
    while (!animalOf.some((a, i) => i !== q && a === animalOf[q])) animalOf[q] = rng.int(ANIMALS.length);
    type Statement = { text: string; person: number; color: boolean };
    const statements: Statement[] = [];
    INDUCTION_ACTORS.forEach((p, i) => {
      statements.push({ text: `${p} is a ${ANIMALS[animalOf[i]!]}`, person: i, color: false });
      if (i !== q) statements.push({ text: `${p} is ${COLORS[colorOf[animalOf[i]!]!]}`, person: i, color: true });
    });
    const supports: number[] = [];
    for (const s of rng.shuffle(statements)) {
      const id = story.fact(s.text);
      if (s.person === q ? !s.color : animalOf[s.person] === animalOf[q]) supports.push(id);
    }
    story.question(`what color is ${INDUCTION_ACTORS[q]}`, COLORS[colorOf[animalOf[q]!]!]!, supports);
  },
};
