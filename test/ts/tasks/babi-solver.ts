// A reader of bAbI stories, written apart from the generator (it imports nothing from src/tasks/babi): it
// parses the English of the statements and the question and reasons from what the story says, as a person
// reading the story would. The tests hold every generated answer against it, once with the whole story
// told before the question and once with only the question's supporting statements.
//
// Each task's reading is what the paper describes (Weston et al. 2015, section 3). Where the paper leaves a
// convention open, the reader takes the one the generated data documents (docs/tasks.md): lists (task 8)
// answer in alphabetical order, "Where was X before the L?" (tasks 3, 14) asks about the one time X or the
// object came to L, and a state (task 20) sends people where the training stories show it sends them.
// A question the story does not decide throws.

export interface Statement { readonly id: number; readonly text: string }

const MOVE = '(?:moved|went back|went|journeyed|travelled) to the';
const TIME = '(yesterday|this morning|this afternoon|this evening)';
const TIMES = ['yesterday', 'this morning', 'this afternoon', 'this evening'];
const COUNTS = ['none', 'one', 'two', 'three', 'four', 'five'];
const OPPOSITE: Record<string, string> = { north: 'south', south: 'north', east: 'west', west: 'east' };

class Unanswerable extends Error {}
const unanswerable = (why: string): never => { throw new Unanswerable(why); };

function match(re: RegExp, text: string): RegExpExecArray | null {
  return re.exec(text);
}

/** Same name, whatever the case (tasks 15 and 20 ask with lower-case names). */
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** What people and objects do: who is where, who holds what, where each object has been. */
class Movements {
  readonly place = new Map<string, string>();
  readonly holder = new Map<string, string>(); // object -> person
  readonly lying = new Map<string, string>(); // object -> place, when known
  readonly history = new Map<string, string[]>(); // object -> places, consecutive repeats merged
  readonly gives: { giver: string; object: string; recipient: string }[] = [];
  private subjects: string[] = [];

  private note(object: string, where: string | undefined): void {
    if (where === undefined) return;
    const h = this.history.get(object) ?? [];
    if (h[h.length - 1] !== where) h.push(where);
    this.history.set(object, h);
  }

  private moveTo(who: string, where: string): void {
    this.place.set(who, where);
    for (const [o, h] of this.holder) if (h === who) this.note(o, where);
  }

  /** Reads one statement; false if it is not about movements. */
  read(text: string): boolean {
    let m: RegExpExecArray | null;
    if ((m = match(new RegExp(`^(?:Then|After that|Following that|Afterwards) (he|she|they) ${MOVE} (\\w+)\\.$`), text))) {
      const who = this.subjects;
      if (who.length === 0 || (m[1] === 'they') !== (who.length === 2)) unanswerable(`no referent for "${m[1]}"`);
      for (const w of who) this.moveTo(w, m[2]!);
      return true;
    }
    if ((m = match(new RegExp(`^(\\w+) and (\\w+) ${MOVE} (\\w+)\\.$`), text))) {
      this.subjects = [m[1]!, m[2]!];
      this.moveTo(m[1]!, m[3]!);
      this.moveTo(m[2]!, m[3]!);
      return true;
    }
    if ((m = match(new RegExp(`^(\\w+) ${MOVE} (\\w+)\\.$`), text))) {
      this.subjects = [m[1]!];
      this.moveTo(m[1]!, m[2]!);
      return true;
    }
    if ((m = match(/^(\w+) (?:got|grabbed|picked up|took) the (\w+)(?: there)?\.$/, text))) {
      this.subjects = [m[1]!];
      this.holder.set(m[2]!, m[1]!);
      this.lying.delete(m[2]!);
      this.note(m[2]!, this.place.get(m[1]!));
      return true;
    }
    if ((m = match(/^(\w+) (?:dropped|left|discarded|put down) the (\w+)(?: there)?\.$/, text))) {
      this.subjects = [m[1]!];
      this.holder.delete(m[2]!);
      const here = this.place.get(m[1]!);
      if (here === undefined) this.lying.delete(m[2]!);
      else this.lying.set(m[2]!, here);
      this.note(m[2]!, here);
      return true;
    }
    if ((m = match(/^(\w+) (?:gave|handed|passed) the (\w+) to (\w+)\.$/, text))) {
      this.subjects = [m[1]!];
      this.holder.set(m[2]!, m[3]!);
      this.gives.push({ giver: m[1]!, object: m[2]!, recipient: m[3]! });
      return true;
    }
    return false;
  }

  whereIs(thing: string): string {
    const person = [...this.place.keys()].find((p) => same(p, thing));
    if (person !== undefined) return this.place.get(person)!;
    const h = this.holder.get(thing);
    if (h !== undefined) return this.place.get(h) ?? unanswerable(`where ${h}, who has the ${thing}, is`);
    return this.lying.get(thing) ?? unanswerable(`where the ${thing} is`);
  }

  carried(who: string): string[] {
    return [...this.holder].filter(([, h]) => same(h, who)).map(([o]) => o).sort();
  }

  lastGive(test: (g: { giver: string; object: string; recipient: string }) => boolean): { giver: string; object: string; recipient: string } {
    for (let i = this.gives.length - 1; i >= 0; i--) if (test(this.gives[i]!)) return this.gives[i]!;
    return unanswerable('no such give');
  }
}

/** Tasks 9 and 10: the latest thing said about where each person is. */
function latestPlaceStatement(facts: readonly Statement[]): Map<string, { kind: 'at' | 'not' | 'either'; places: string[] }> {
  const out = new Map<string, { kind: 'at' | 'not' | 'either'; places: string[] }>();
  for (const { text } of facts) {
    let m: RegExpExecArray | null;
    if ((m = match(new RegExp(`^(\\w+) ${MOVE} (\\w+)\\.$`), text)) || (m = match(/^(\w+) is in the (\w+)\.$/, text))) out.set(m[1]!, { kind: 'at', places: [m[2]!] });
    else if ((m = match(/^(\w+) is (?:not|no longer) in the (\w+)\.$/, text))) out.set(m[1]!, { kind: 'not', places: [m[2]!] });
    else if ((m = match(/^(\w+) is either in the (\w+) or the (\w+)\.$/, text))) out.set(m[1]!, { kind: 'either', places: [m[2]!, m[3]!] });
    else unanswerable(`cannot read "${text}"`);
  }
  return out;
}

/** "The A is <rel> the B." as [A, relation, B], for the relations given. */
function relations(facts: readonly Statement[], rel: string): [string, string, string][] {
  const re = new RegExp(`^The (.+) is (${rel}) the (.+)\\.$`);
  return facts.map(({ text }) => {
    const m = re.exec(text) ?? unanswerable(`cannot read "${text}"`);
    return [m[1]!, m[2]!, m[3]!] as [string, string, string];
  });
}

function singular(animal: string): string {
  const irregular: Record<string, string> = { mice: 'mouse', sheep: 'sheep', wolves: 'wolf' };
  return irregular[animal.toLowerCase()] ?? animal.toLowerCase().replace(/s$/, '');
}

/** What task 20's training stories teach: where each state sends people, and what it makes them take. */
export interface Motives { readonly place: Map<string, Set<string>>; readonly object: Map<string, Set<string>> }

export function learnMotives(stories: readonly (readonly Statement[])[]): Motives {
  const motives: Motives = { place: new Map(), object: new Map() };
  const add = (map: Map<string, Set<string>>, k: string, v: string) => map.set(k, (map.get(k) ?? new Set()).add(v));
  for (const facts of stories) {
    const state = new Map<string, string>();
    for (const { text } of facts) {
      let m: RegExpExecArray | null;
      if ((m = /^(\w+) is (\w+)\.$/.exec(text))) state.set(m[1]!, m[2]!);
      else if ((m = new RegExp(`^(\\w+) ${MOVE} (\\w+)\\.$`).exec(text)) && state.has(m[1]!)) add(motives.place, state.get(m[1]!)!, m[2]!);
      else if ((m = /^(\w+) (?:got|grabbed|picked up|took) the (\w+)(?: there)?\.$/.exec(text)) && state.has(m[1]!)) add(motives.object, state.get(m[1]!)!, m[2]!);
    }
  }
  return motives;
}

/** The answer to `question` after the statements `facts` (in story order), for bAbI task `task`. */
export function solve(task: number, facts: readonly Statement[], question: string, motives?: Motives): string {
  let m: RegExpExecArray | null;
  switch (task) {
    case 1: case 2: case 3: case 5: case 6: case 7: case 8: case 11: case 12: case 13: {
      const world = new Movements();
      for (const { text } of facts) if (!world.read(text)) unanswerable(`cannot read "${text}"`);
      if ((m = /^Where is (?:the )?(\w+)\?$/.exec(question))) return world.whereIs(m[1]!);
      if ((m = /^Is (\w+) in the (\w+)\?$/.exec(question))) return world.whereIs(m[1]!) === m[2] ? 'yes' : 'no';
      if ((m = /^Where was the (\w+) before the (\w+)\?$/.exec(question))) {
        const h = world.history.get(m[1]!) ?? [];
        const at = h.flatMap((p, i) => (p === m![2] ? [i] : []));
        if (at.length !== 1 || at[0] === 0) unanswerable(`the ${m[1]} was in the ${m[2]} ${at.length} times, first at ${at[0]}`);
        return h[at[0]! - 1]!;
      }
      if ((m = /^How many objects is (\w+) carrying\?$/.exec(question))) return COUNTS[world.carried(m[1]!).length]!;
      if ((m = /^What is (\w+) carrying\?$/.exec(question))) return world.carried(m[1]!).join(',') || 'nothing';
      if ((m = /^What did (\w+) give to (\w+)\?$/.exec(question))) return world.lastGive((g) => g.giver === m![1] && g.recipient === m![2]).object;
      if ((m = /^Who gave the (\w+) to (\w+)\?$/.exec(question))) return world.lastGive((g) => g.object === m![1] && g.recipient === m![2]).giver;
      if ((m = /^Who gave the (\w+)\?$/.exec(question))) return world.lastGive((g) => g.object === m![1]).giver;
      if ((m = /^Who received the (\w+)\?$/.exec(question))) return world.lastGive((g) => g.object === m![1]).recipient;
      if ((m = /^Who did (\w+) give the (\w+) to\?$/.exec(question))) return world.lastGive((g) => g.giver === m![1] && g.object === m![2]).recipient;
      return unanswerable(`cannot read "${question}"`);
    }
    case 4: {
      const rel = relations(facts, 'north of|south of|east of|west of').flatMap(([a, r, b]) => {
        const d = r.replace(' of', '');
        return [[a, d, b], [b, OPPOSITE[d]!, a]];
      });
      const one = (xs: string[]) => (xs.length === 1 ? xs[0]! : unanswerable(`${xs.length} answers`));
      if ((m = /^What is (north|south|east|west) of the (\w+)\?$/.exec(question))) return one(rel.filter(([, d, b]) => d === m![1] && b === m![2]).map(([a]) => a));
      if ((m = /^What is the (\w+) (north|south|east|west) of\?$/.exec(question))) return one(rel.filter(([a, d]) => a === m![1] && d === m![2]).map(([, , b]) => b));
      return unanswerable(`cannot read "${question}"`);
    }
    case 9: case 10: {
      const latest = latestPlaceStatement(facts);
      if (!(m = /^Is (\w+) in the (\w+)\?$/.exec(question))) return unanswerable(`cannot read "${question}"`);
      const s = latest.get(m[1]!) ?? unanswerable(`nothing said of ${m[1]}`);
      if (s.kind === 'at') return s.places[0] === m[2] ? 'yes' : 'no';
      if (s.kind === 'either') return s.places.includes(m[2]!) ? 'maybe' : 'no';
      return s.places[0] === m[2] ? 'no' : unanswerable(`only where ${m[1]} is not is known`);
    }
    case 14: {
      const moves = facts.map(({ text }) => {
        const first = new RegExp(`^(Yesterday|This morning|This afternoon|This evening) (\\w+) ${MOVE} (\\w+)\\.$`).exec(text);
        if (first) return { time: TIMES.indexOf(first[1]!.toLowerCase()), who: first[2]!, where: first[3]! };
        const last = new RegExp(`^(\\w+) ${MOVE} (\\w+) ${TIME}\\.$`).exec(text) ?? unanswerable(`cannot read "${text}"`);
        return { time: TIMES.indexOf(last[3]!), who: last[1]!, where: last[2]! };
      });
      if (!(m = /^Where was (\w+) before the (\w+)\?$/.exec(question))) return unanswerable(`cannot read "${question}"`);
      const theirs = moves.filter((x) => x.who === m![1]);
      const to = theirs.filter((x) => x.where === m![2]);
      if (to.length !== 1) unanswerable(`${m[1]} went to the ${m[2]} ${to.length} times`);
      const earlier = theirs.filter((x) => x.time < to[0]!.time).sort((a, b) => b.time - a.time);
      if (earlier.length === 0 || earlier.filter((x) => x.time === earlier[0]!.time).length > 1) unanswerable('no single earlier move');
      return earlier[0]!.where;
    }
    case 15: {
      const kind = new Map<string, string>();
      const fears = new Map<string, string>();
      for (const { text } of facts) {
        if ((m = /^(\w+) is an? (\w+)\.$/.exec(text))) kind.set(m[1]!.toLowerCase(), singular(m[2]!));
        else if ((m = /^(\w+) are afraid of (\w+)\.$/.exec(text))) fears.set(singular(m[1]!), singular(m[2]!));
        else unanswerable(`cannot read "${text}"`);
      }
      if (!(m = /^What is (\w+) afraid of\?$/.exec(question))) return unanswerable(`cannot read "${question}"`);
      const k = kind.get(m[1]!.toLowerCase()) ?? unanswerable(`what ${m[1]} is`);
      return fears.get(k) ?? unanswerable(`what ${k} fear`);
    }
    case 16: {
      const kind = new Map<string, string>();
      const color = new Map<string, string>();
      for (const { text } of facts) {
        if ((m = /^(\w+) is an? (\w+)\.$/.exec(text))) kind.set(m[1]!, m[2]!);
        else if ((m = /^(\w+) is (\w+)\.$/.exec(text))) color.set(m[1]!, m[2]!);
        else unanswerable(`cannot read "${text}"`);
      }
      if (!(m = /^What color is (\w+)\?$/.exec(question))) return unanswerable(`cannot read "${question}"`);
      if (color.has(m[1]!)) return color.get(m[1]!)!;
      const k = kind.get(m[1]!) ?? unanswerable(`what ${m[1]} is`);
      const seen = new Set([...kind].filter(([p, x]) => x === k && color.has(p)).map(([p]) => color.get(p)!));
      return seen.size === 1 ? [...seen][0]! : unanswerable(`${seen.size} colours among the ${k}s`);
    }
    case 17: {
      const step: Record<string, [number, number]> = { above: [0, 1], below: [0, -1], 'to the right of': [1, 0], 'to the left of': [-1, 0] };
      const rel = relations(facts, 'above|below|to the left of|to the right of');
      const pos = new Map<string, [number, number]>();
      pos.set(rel[0]![2], [0, 0]);
      for (let changed = true; changed;) {
        changed = false;
        for (const [a, r, b] of rel) {
          const [dx, dy] = step[r]!;
          if (pos.has(b) && !pos.has(a)) { pos.set(a, [pos.get(b)![0] + dx, pos.get(b)![1] + dy]); changed = true; }
          if (pos.has(a) && !pos.has(b)) { pos.set(b, [pos.get(a)![0] - dx, pos.get(a)![1] - dy]); changed = true; }
        }
      }
      if (!(m = /^Is the (.+) (above|below|to the left of|to the right of) the (.+)\?$/.exec(question))) return unanswerable(`cannot read "${question}"`);
      const a = pos.get(m[1]!) ?? unanswerable(`where the ${m[1]} is`);
      const b = pos.get(m[3]!) ?? unanswerable(`where the ${m[3]} is`);
      const [dx, dy] = step[m[2]!]!;
      const along = dx !== 0 ? (a[0] - b[0]) * dx : (a[1] - b[1]) * dy;
      return along > 0 ? 'yes' : along < 0 ? 'no' : unanswerable('level on that axis');
    }
    case 18: {
      const bigger: [string, string][] = facts.map(({ text }) => {
        if ((m = /^The (.+) fits inside the (.+)\.$/.exec(text))) return [m[2]!, m[1]!];
        if ((m = /^The (.+) is bigger than the (.+)\.$/.exec(text))) return [m[1]!, m[2]!];
        return unanswerable(`cannot read "${text}"`);
      });
      const isBigger = (a: string, b: string): boolean => {
        const seen = new Set([a]);
        const todo = [a];
        while (todo.length > 0) {
          const x = todo.pop()!;
          for (const [big, small] of bigger) if (big === x && !seen.has(small)) { if (small === b) return true; seen.add(small); todo.push(small); }
        }
        return false;
      };
      const decide = (a: string, b: string) => (isBigger(a, b) ? 'yes' : isBigger(b, a) ? 'no' : unanswerable(`nothing relates the ${a} and the ${b}`));
      if ((m = /^Does the (.+) fit in the (.+)\?$/.exec(question))) return decide(m[2]!, m[1]!);
      if ((m = /^Is the (.+) bigger than the (.+)\?$/.exec(question))) return decide(m[1]!, m[2]!);
      return unanswerable(`cannot read "${question}"`);
    }
    case 19: {
      const links = relations(facts, 'north of|south of|east of|west of').flatMap(([a, r, b]) => {
        const d = r.replace(' of', '');
        return [{ from: b, dir: d, to: a }, { from: a, dir: OPPOSITE[d]!, to: b }];
      });
      if (!(m = /^How do you go from the (\w+) to the (\w+)\?$/.exec(question))) return unanswerable(`cannot read "${question}"`);
      // Breadth-first, counting the shortest routes to each room: more than one shortest route is ambiguous.
      const [from, to] = [m[1]!, m[2]!];
      const dist = new Map([[from, 0]]);
      const ways = new Map([[from, 1]]);
      const via = new Map<string, { prev: string; dir: string }>();
      const queue = [from];
      for (let i = 0; i < queue.length; i++) {
        const u = queue[i]!;
        for (const l of links.filter((x) => x.from === u)) {
          if (!dist.has(l.to)) {
            dist.set(l.to, dist.get(u)! + 1);
            ways.set(l.to, ways.get(u)!);
            via.set(l.to, { prev: u, dir: l.dir });
            queue.push(l.to);
          } else if (dist.get(l.to) === dist.get(u)! + 1) {
            ways.set(l.to, ways.get(l.to)! + ways.get(u)!);
          }
        }
      }
      if (!dist.has(to)) unanswerable('no route');
      if (ways.get(to) !== 1) unanswerable(`${ways.get(to)} shortest routes`);
      const dirs: string[] = [];
      for (let room = to; room !== from; room = via.get(room)!.prev) dirs.unshift(via.get(room)!.dir);
      return dirs.map((d) => d[0]).join(',');
    }
    case 20: {
      const state = new Map<string, string>();
      for (const { text } of facts) if ((m = /^(\w+) is (\w+)\.$/.exec(text))) state.set(m[1]!.toLowerCase(), m[2]!);
      const stateOf = (who: string) => state.get(who.toLowerCase()) ?? unanswerable(`how ${who} feels`);
      if ((m = /^Where will (\w+) go\?$/.exec(question))) {
        const places = motives?.place.get(stateOf(m[1]!)) ?? unanswerable('no training stories to learn from');
        return places.size === 1 ? [...places][0]! : unanswerable(`the training stories send ${stateOf(m[1]!)} people to ${places.size} places`);
      }
      if ((m = /^Why did (\w+) (?:go to|get) the (\w+)\?$/.exec(question))) return stateOf(m[1]!);
      return unanswerable(`cannot read "${question}"`);
    }
    default:
      return unanswerable(`task ${task}`);
  }
}
