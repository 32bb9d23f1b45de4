// Task 20, agent's motivations (Weston et al. 2015, section 3): people in a state (hungry, thirsty, bored,
// tired) go where that state sends them and take what it wants. Story shape of Facebook's generator
// (Motivations in facebookarchive/bAbI-tasks): twelve statements, each followed by a question about it;
// every person is told in three steps, "X is hungry" ("Where will x go?"), "X went to the kitchen" ("Why
// did x go to the kitchen?"), "X got the apple" ("Why did x get the apple?"), the people's steps interleaved
// at random. The state statement supports every answer. As in the released data, several people may share
// a state and the questions name the person in lower case.
import type { TaskGenerator } from './task.js';
import { getText, moveText } from './words.js';

const MOTIVES = [
  { state: 'bored', place: 'garden', object: 'football' },
  { state: 'hungry', place: 'kitchen', object: 'apple' },
  { state: 'thirsty', place: 'kitchen', object: 'milk' },
  { state: 'tired', place: 'bedroom', object: 'pajamas' },
] as const;
const PEOPLE = ['Antoine', 'Jason', 'Sumit', 'Yann'] as const;

export const agentsMotivations: TaskGenerator = {
  id: 20, slug: 'agents-motivations', title: "Agent's Motivations", questions: 12,
  generate(rng, story) {
    const motive = PEOPLE.map(() => rng.pick(MOTIVES));
    const stage = PEOPLE.map(() => 0);
    const stateLine = PEOPLE.map(() => 0);
    for (let i = 0; i < 12; i++) {
      const p = rng.pick([0, 1, 2, 3].filter((k) => stage[k]! < 3));
      const name = PEOPLE[p]!;
      const lower = name.toLowerCase();
      const m = motive[p]!;
      if (stage[p] === 0) {
        stateLine[p] = story.fact(`${name} is ${m.state}`);
        story.question(`where will ${lower} go`, m.place, [stateLine[p]!]);
      } else if (stage[p] === 1) {
        story.fact(moveText(rng, name, m.place));
        story.question(`why did ${lower} go to the ${m.place}`, m.state, [stateLine[p]!]);
      } else {
        story.fact(getText(rng, name, m.object));
        story.question(`why did ${lower} get the ${m.object}`, m.state, [stateLine[p]!]);
      }
      stage[p]++;
    }
  },
};
