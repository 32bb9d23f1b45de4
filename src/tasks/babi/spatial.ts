// Tasks 17, 18 and 19: where things are relative to each other, how big they are, and how to get from one
// room to another (Weston et al. 2015, section 3, "Positional and Size Reasoning", "Path Finding"). Story
// shapes of Facebook's generator (PositionalReasoning, Size, PathFinding in facebookarchive/bAbI-tasks).
import type { TaskGenerator } from './task.js';
import { BASIC_LOCATIONS, COMPASS, OPPOSITE, STEP, type Compass } from './words.js';

// ---- task 17 ----

const SHAPES = ['rectangle', 'sphere', 'square', 'triangle'] as const;
const SHAPE_COLORS = ['blue', 'pink', 'red', 'yellow'] as const;
const RELATIVE: Readonly<Record<Compass, string>> = { north: 'above', south: 'below', east: 'to the right of', west: 'to the left of' };

/**
 * Task 17: three shapes, each next to the one before on a grid ("The triangle is above the pink rectangle");
 * eight questions "Is the A to the left of the B?" about two of them along an axis on which they differ,
 * yes or no with probability 1/2 each; the statements linking the two support it.
 */
export const positionalReasoning: TaskGenerator = {
  id: 17, slug: 'positional-reasoning', title: 'Positional Reasoning', questions: 8,
  generate(rng, story) {
    // Three names that cannot be confused: never "triangle" and "pink triangle" together.
    const names: string[] = [];
    while (names.length < 3) {
      const shape = rng.pick(SHAPES);
      const color = rng.int(SHAPE_COLORS.length + 1);
      const name = color === SHAPE_COLORS.length ? shape : `${SHAPE_COLORS[color]} ${shape}`;
      const shapeOf = (n: string) => n.slice(n.lastIndexOf(' ') + 1);
      const plain = (n: string) => !n.includes(' ');
      const clash = names.some((n) => n === name || (shapeOf(n) === shape && (plain(n) || plain(name))));
      if (!clash) names.push(name);
    }
    const pos: [number, number][] = [[0, 0]];
    const lines: number[] = [];
    let last: Compass | undefined;
    for (let i = 1; i < 3; i++) {
      const dir = rng.pick(COMPASS.filter((d) => last === undefined || d !== OPPOSITE[last])); // no going back onto a shape
      last = dir;
      const [x, y] = pos[i - 1]!;
      pos.push([x + STEP[dir][0], y + STEP[dir][1]]);
      // names[i] lies `dir` of names[i - 1], told either way round.
      lines.push(story.fact(rng.chance(1, 2)
        ? `the ${names[i]} is ${RELATIVE[dir]} the ${names[i - 1]}`
        : `the ${names[i - 1]} is ${RELATIVE[OPPOSITE[dir]]} the ${names[i]}`));
    }
    for (let q = 0; q < 8; q++) {
      const [i, j] = rng.sample([0, 1, 2], 2) as [number, number];
      const dx = pos[i]![0] - pos[j]![0];
      const dy = pos[i]![1] - pos[j]![1];
      const axes = [...(dx !== 0 ? ['x'] : []), ...(dy !== 0 ? ['y'] : [])];
      const axis = rng.pick(axes);
      const truly: Compass = axis === 'x' ? (dx > 0 ? 'east' : 'west') : (dy > 0 ? 'north' : 'south'); // i lies `truly` of j
      const yes = rng.chance(1, 2);
      const asked = yes ? truly : OPPOSITE[truly];
      const supports = Math.abs(i - j) === 1 ? [lines[Math.min(i, j)]!] : lines;
      story.question(`is the ${names[i]} ${RELATIVE[asked]} the ${names[j]}`, yes ? 'yes' : 'no', supports);
    }
  },
};

// ---- task 18 ----

const SIZED = ['box', 'box of chocolates', 'chest', 'chocolate', 'container', 'suitcase'] as const;

/** Fewest "bigger than" statements chaining each pair: d[i * n + j] for things i (bigger) and j, Infinity if none. */
function chainLengths(n: number, facts: readonly (readonly [number, number])[]): Float64Array {
  const d = new Float64Array(n * n).fill(Infinity);
  for (let i = 0; i < n; i++) d[i * n + i] = 0;
  for (const [big, small] of facts) d[big * n + small] = 1;
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const via = d[i * n + k]! + d[k * n + j]!;
    if (via < d[i * n + j]!) d[i * n + j] = via;
  }
  return d;
}

/**
 * Task 18: six things of different sizes (the chocolate smallest, then the box of chocolates, the rest in
 * random order). Two statements chain three of them, 2 to 7 more relate other pairs as long as some pair is
 * still exactly two statements apart; the statements are shuffled ("The X fits inside the Y", "The Y is
 * bigger than the X"). Four different questions follow about pairs two statements apart, in four forms
 * ("Does the X fit in the Y?", "Is the Y bigger than the X?" and their reverses, answered no), spread over
 * the pairs; the two chained statements support each.
 */
export const sizeReasoning: TaskGenerator = {
  id: 18, slug: 'size-reasoning', title: 'Size Reasoning', questions: 4,
  generate(rng, story) {
    // Things by rank, smallest first; a fact [i, j] says thing i is bigger than thing j (i > j).
    const order = ['chocolate', 'box of chocolates', ...rng.shuffle(SIZED.filter((s) => s !== 'chocolate' && s !== 'box of chocolates'))];
    const n = order.length;
    const twoApart = (facts: readonly (readonly [number, number])[]) => {
      const d = chainLengths(n, facts);
      const pairs: [number, number][] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (d[i * n + j] === 2) pairs.push([i, j]);
      return pairs;
    };
    const chain = rng.sample([0, 1, 2, 3, 4, 5], 3).sort((a, b) => b - a);
    const facts: (readonly [number, number])[] = [[chain[0]!, chain[1]!], [chain[1]!, chain[2]!]];
    for (let extra = 2 + rng.int(6); extra > 0; extra--) {
      const options: [number, number][] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
        if (!facts.some(([a, b]) => a === i && b === j) && twoApart([...facts, [i, j]]).length > 0) options.push([i, j]);
      }
      if (options.length === 0) break;
      facts.push(rng.pick(options));
    }
    const told = rng.shuffle(facts);
    const lineOf = new Map<string, number>();
    for (const [i, j] of told) {
      const [big, small] = [order[i]!, order[j]!];
      lineOf.set(`${i}>${j}`, story.fact(rng.chance(1, 2) ? `the ${small} fits inside the ${big}` : `the ${big} is bigger than the ${small}`));
    }
    // The support of pair (i, j): the two statements through the first middle thing, in rank order.
    const chainOf = (i: number, j: number) => {
      for (let k = 0; k < n; k++) if (lineOf.has(`${i}>${k}`) && lineOf.has(`${k}>${j}`)) return [lineOf.get(`${i}>${k}`)!, lineOf.get(`${k}>${j}`)!];
      throw new Error('bAbI task 18: no chain');
    };
    const pairs = rng.shuffle(twoApart(told));
    const forms = pairs.map(() => rng.shuffle([0, 1, 2, 3]));
    for (let q = 0; q < 4; q++) {
      const p = q % pairs.length;
      const [i, j] = pairs[p]!;
      const [big, small] = [order[i]!, order[j]!];
      const form = forms[p]![Math.floor(q / pairs.length)]!;
      const [text, answer] =
        form === 0 ? [`does the ${small} fit in the ${big}`, 'yes']
          : form === 1 ? [`is the ${big} bigger than the ${small}`, 'yes']
            : form === 2 ? [`does the ${big} fit in the ${small}`, 'no']
              : [`is the ${small} bigger than the ${big}`, 'no'];
      story.question(text, answer, chainOf(i, j));
    }
  },
};

// ---- task 19 ----

const LETTER: Readonly<Record<Compass, string>> = { north: 'n', south: 's', east: 'e', west: 'w' };

/**
 * Task 19: the six rooms laid out on a grid as a tree (each new room next to one placed room and to no
 * other), its five links told in random order ("The kitchen is north of the hallway", either way round);
 * "How do you go from the A to the B?" for two rooms two links apart, answered as directions ("s,e"); the
 * two links support it.
 */
export const pathFinding: TaskGenerator = {
  id: 19, slug: 'path-finding', title: 'Path Finding', questions: 1,
  generate(rng, story) {
    const rooms = rng.shuffle(BASIC_LOCATIONS);
    const cell = new Map<string, [number, number]>([[rooms[0]!, [0, 0]]]);
    const key = (x: number, y: number) => (x + 8) * 32 + (y + 8); // |x|, |y| <= 5
    const occupied = new Set([key(0, 0)]);
    const links: { from: string; dir: Compass; to: string }[] = []; // `to` lies `dir` of `from`
    const taken = (x: number, y: number) => occupied.has(key(x, y));
    for (const room of rooms.slice(1)) {
      const options: { from: string; dir: Compass; at: [number, number] }[] = [];
      for (const [from, [x, y]] of cell) {
        for (const dir of COMPASS) {
          const at: [number, number] = [x + STEP[dir][0], y + STEP[dir][1]];
          const neighbours = COMPASS.filter((d) => taken(at[0] + STEP[d][0], at[1] + STEP[d][1])).length;
          if (!taken(at[0], at[1]) && neighbours === 1) options.push({ from, dir, at });
        }
      }
      const o = rng.pick(options);
      cell.set(room, o.at);
      occupied.add(key(o.at[0], o.at[1]));
      links.push({ from: o.from, dir: o.dir, to: room });
    }
    const lineOf = new Map<(typeof links)[number], number>();
    for (const l of rng.shuffle(links)) {
      lineOf.set(l, story.fact(rng.chance(1, 2) ? `the ${l.to} is ${l.dir} of the ${l.from}` : `the ${l.from} is ${OPPOSITE[l.dir]} of the ${l.to}`));
    }
    // Steps out of each room: [direction, room, link].
    const steps = (room: string) => links.flatMap((l) =>
      l.from === room ? [[l.dir, l.to, l] as const] : l.to === room ? [[OPPOSITE[l.dir], l.from, l] as const] : []);
    const routes: { from: string; to: string; dirs: Compass[]; used: (typeof links)[number][] }[] = [];
    for (const from of rooms) {
      for (const [d1, mid, l1] of steps(from)) {
        for (const [d2, to, l2] of steps(mid)) if (to !== from) routes.push({ from, to, dirs: [d1, d2], used: [l1, l2] });
      }
    }
    const r = rng.pick(routes);
    story.question(`how do you go from the ${r.from} to the ${r.to}`, r.dirs.map((d) => LETTER[d]).join(','), r.used.map((l) => lineOf.get(l)!));
  },
};
