// Task 14, time reasoning (Weston et al. 2015, section 3): moves told with a time of day, out of order, and
// "Where was X before the L?". Story shape of Facebook's generator (Time in facebookarchive/bAbI-tasks):
// 17 lines, questions at lines 5, 8, 11, 14 and 17; one person's two moves somewhere in lines 1-4 so the
// first question has an answer; nobody moves twice at one time of day or visits a place twice, so "before
// the L" is never ambiguous. A question takes two of someone's told moves that are adjacent in time among
// those told so far (one not asked yet, where there is one): the answer is the earlier one's place, and the
// two moves support it.
import { preferFresh, type TaskGenerator } from './task.js';
import { MOVE_VERBS, TOWN_ACTORS, TOWN_LOCATIONS } from './words.js';

const TIMES = ['yesterday', 'this morning', 'this afternoon', 'this evening'] as const;

interface Move { readonly who: string; readonly time: number; readonly where: string }

export const timeReasoning: TaskGenerator = {
  id: 14, slug: 'time-reasoning', title: 'Time Reasoning', questions: 5,
  generate(rng, story) {
    const plan: (Move | 'question' | undefined)[] = new Array(17).fill(undefined);
    for (let i = 5; i <= 17; i += 3) plan[i - 1] = 'question';
    const moves: Move[] = [];
    const valid = (m: Move) => !moves.some((x) => x.who === m.who && (x.time === m.time || x.where === m.where));
    // The guaranteed pair: one person, two times, two places, at two of lines 1-4.
    const who = rng.pick(TOWN_ACTORS).name;
    const [t1, t2] = rng.sample([0, 1, 2, 3], 2) as [number, number];
    const [l1, l2] = rng.sample(TOWN_LOCATIONS, 2) as [string, string];
    const [i1, i2] = rng.sample([0, 1, 2, 3], 2) as [number, number];
    plan[i1] = { who, time: t1, where: l1 };
    plan[i2] = { who, time: t2, where: l2 };
    moves.push(plan[i1] as Move, plan[i2] as Move);
    for (let i = 0; i < 17; i++) {
      if (plan[i] === undefined) {
        const options: Move[] = [];
        for (const a of TOWN_ACTORS) for (let time = 0; time < 4; time++) for (const where of TOWN_LOCATIONS) {
          const m = { who: a.name, time, where };
          if (valid(m)) options.push(m);
        }
        const m = rng.pick(options);
        plan[i] = m;
        moves.push(m);
      }
    }
    const lineOf = new Map<Move, number>();
    for (const step of plan) {
      if (step === 'question') {
        const told = [...lineOf.keys()];
        const asks: { person: string; before: Move; after: Move }[] = [];
        for (const { name: person } of TOWN_ACTORS) {
          const theirs = told.filter((m) => m.who === person).sort((a, b) => a.time - b.time);
          for (let k = 0; k + 1 < theirs.length; k++) asks.push({ person, before: theirs[k]!, after: theirs[k + 1]! });
        }
        const text = (a: (typeof asks)[number]) => `where was ${a.person} before the ${a.after.where}`;
        const supports = (a: (typeof asks)[number]) => [lineOf.get(a.before)!, lineOf.get(a.after)!];
        const a = rng.pick(preferFresh(story, asks, (x) => [text(x), supports(x)]));
        story.question(text(a), a.before.where, supports(a));
      } else {
        const m = step!;
        const time = TIMES[m.time]!;
        const move = `${m.who} ${rng.pick(MOVE_VERBS)} the ${m.where}`;
        lineOf.set(m, story.fact(rng.chance(1, 2) ? `${time} ${move}` : `${move} ${time}`));
      }
    }
  },
};
