// The world simulation behind the bAbI tasks that tell of people moving about and handling objects (Weston
// et al. 2015, section 4): actors go to locations, get, drop and give objects, and every action is valid
// in the world (nobody goes where they already are, gets what is elsewhere or held, drops what they do not
// hold, gives to someone in another room).
//
// Alongside the true state the world keeps what a reader of the story knows and which lines told it, so
// the generators can ask only questions the story answers and cite the supporting lines. Two rules keep
// the reader's knowledge equal to the truth wherever a question may look: an actor's first appearance is a
// move (so everyone who handles an object is somewhere the reader knows), and objects start at hidden
// places that become known when someone picks them up there.
import type { StoryRng } from './rng.js';
import type { Actor } from './words.js';

/** Where an object was while one actor held it, in order: the pick-up place, then each move. */
export interface Visit {
  readonly where: string;
  /** The lines that place the object there: [where the holder was told to be, the pick-up] or [pick-up, move]. */
  readonly supports: readonly number[];
  /** Holding period: visits with the same period were made in one actor's hands. */
  readonly period: number;
  /** Story line that made this visit (the pick-up or the move). */
  readonly line: number;
}

export interface GiveEvent {
  readonly giver: string;
  readonly object: string;
  readonly recipient: string;
  readonly line: number;
}

export type Action =
  | { readonly kind: 'move'; readonly actor: string; readonly where: string }
  | { readonly kind: 'get'; readonly actor: string; readonly object: string }
  | { readonly kind: 'drop'; readonly actor: string; readonly object: string }
  | { readonly kind: 'give'; readonly actor: string; readonly object: string; readonly recipient: string };

export type ActionKind = Action['kind'];

export class World {
  readonly actors: readonly Actor[];
  /** Told location of each actor and the line that told it. */
  private readonly at = new Map<string, { where: string; line: number }>();
  /** Holder of each held object and the line that put it in their hands. */
  private readonly holder = new Map<string, { who: string; line: number }>();
  /** True place of each object that lies somewhere (not held); hidden until the object is first handled. */
  private readonly lying = new Map<string, string>();
  /** Lines that tell where a lying object is (its drop and where the dropper was), once known. */
  private readonly lyingSupports = new Map<string, readonly number[]>();
  private readonly visitsOf = new Map<string, Visit[]>();
  /** Possession events per actor (lines): gets, drops, gives and receipts. */
  private readonly possession = new Map<string, number[]>();
  readonly gives: GiveEvent[] = [];
  /** Current holding period of each held object; `periods` counts them. */
  private readonly period = new Map<string, number>();
  private periods = 0;

  constructor(
    rng: StoryRng,
    actors: readonly Actor[],
    readonly locations: readonly string[],
    readonly objects: readonly string[],
  ) {
    this.actors = actors;
    for (const o of objects) {
      this.lying.set(o, rng.pick(locations));
      this.visitsOf.set(o, []);
    }
    for (const a of actors) this.possession.set(a.name, []);
  }

  actor(name: string): Actor {
    const a = this.actors.find((x) => x.name === name);
    if (!a) throw new Error(`bAbI world: no actor ${name}`);
    return a;
  }

  /** The told location of an actor, or undefined before their first move. */
  locationOf(actor: string): { where: string; line: number } | undefined {
    return this.at.get(actor);
  }

  /** Actors whose location has been told. */
  placedActors(): string[] {
    return this.actors.map((a) => a.name).filter((a) => this.at.has(a));
  }

  /** Objects an actor holds, in the order they came into their hands. */
  heldBy(actor: string): string[] {
    return this.objects
      .filter((o) => this.holder.get(o)?.who === actor)
      .sort((a, b) => this.holder.get(a)!.line - this.holder.get(b)!.line);
  }

  holderOf(object: string): { who: string; line: number } | undefined {
    return this.holder.get(object);
  }

  /** Where the reader knows the object to be, with the lines that tell it; undefined if unknown. */
  knownPlace(object: string): { where: string; supports: number[] } | undefined {
    const h = this.holder.get(object);
    if (h) {
      const at = this.at.get(h.who)!;
      return { where: at.where, supports: [h.line, at.line] };
    }
    const s = this.lyingSupports.get(object);
    return s ? { where: this.lying.get(object)!, supports: s.slice() } : undefined;
  }

  /** Every place the object is known to have been in, consecutive repeats merged. */
  placeHistory(object: string): string[] {
    const out: string[] = [];
    for (const v of this.visitsOf.get(object)!) if (out[out.length - 1] !== v.where) out.push(v.where);
    return out;
  }

  visits(object: string): readonly Visit[] {
    return this.visitsOf.get(object)!;
  }

  /** Lines of every get, drop, give or receipt by the actor so far. */
  possessionLines(actor: string): readonly number[] {
    return this.possession.get(actor)!;
  }

  /** Every valid action of the given kinds, in a fixed order. */
  validActions(kind: ActionKind): Action[] {
    const out: Action[] = [];
    for (const { name: actor } of this.actors) {
      const here = this.at.get(actor)?.where;
      if (kind === 'move') {
        for (const where of this.locations) if (where !== here) out.push({ kind, actor, where });
        continue;
      }
      if (here === undefined) continue; // first appearance is a move
      for (const object of this.objects) {
        const h = this.holder.get(object);
        if (kind === 'get' && h === undefined && this.lying.get(object) === here) out.push({ kind, actor, object });
        if (kind === 'drop' && h?.who === actor) out.push({ kind, actor, object });
        if (kind === 'give' && h?.who === actor) {
          for (const { name: recipient } of this.actors) {
            if (recipient !== actor && this.at.get(recipient)?.where === here) out.push({ kind, actor, object, recipient });
          }
        }
      }
    }
    return out;
  }

  /** A random valid action: a kind drawn from `kinds` (among those with a valid action), then uniformly one of its actions. */
  sample(rng: StoryRng, kinds: readonly ActionKind[]): Action {
    const valid = new Map<ActionKind, Action[]>();
    for (const k of kinds) if (!valid.has(k)) valid.set(k, this.validActions(k));
    const possible = kinds.filter((k) => valid.get(k)!.length > 0);
    if (possible.length === 0) throw new Error(`bAbI world: no valid ${kinds.join('/')} action`);
    return rng.pick(valid.get(rng.pick(possible))!);
  }

  /** Applies a valid action told at story line `line`. */
  perform(a: Action, line: number): void {
    if (a.kind === 'move') this.move(a.actor, a.where, line);
    else if (a.kind === 'get') this.get(a.actor, a.object, line);
    else if (a.kind === 'drop') this.drop(a.actor, a.object, line);
    else this.give(a.actor, a.object, a.recipient, line);
  }

  move(actor: string, where: string, line: number): void {
    if (this.at.get(actor)?.where === where) throw new Error(`bAbI world: ${actor} is already in the ${where}`);
    this.at.set(actor, { where, line });
    for (const o of this.heldBy(actor)) {
      const h = this.holder.get(o)!;
      this.visitsOf.get(o)!.push({ where, supports: [h.line, line], period: this.periodOf(o), line });
    }
  }

  get(actor: string, object: string, line: number): void {
    const at = this.at.get(actor);
    if (!at || this.holder.has(object) || this.lying.get(object) !== at.where) throw new Error(`bAbI world: ${actor} cannot get the ${object}`);
    this.lying.delete(object);
    this.lyingSupports.delete(object);
    this.holder.set(object, { who: actor, line });
    const period = ++this.periods;
    this.period.set(object, period);
    this.visitsOf.get(object)!.push({ where: at.where, supports: [at.line, line], period, line });
    this.possession.get(actor)!.push(line);
  }

  drop(actor: string, object: string, line: number): void {
    const at = this.at.get(actor);
    if (!at || this.holder.get(object)?.who !== actor) throw new Error(`bAbI world: ${actor} does not hold the ${object}`);
    this.holder.delete(object);
    this.lying.set(object, at.where);
    this.lyingSupports.set(object, [at.line, line]);
    this.period.delete(object);
    this.possession.get(actor)!.push(line);
  }

  give(actor: string, object: string, recipient: string, line: number): void {
    const at = this.at.get(actor);
    if (!at || this.holder.get(object)?.who !== actor || recipient === actor || this.at.get(recipient)?.where !== at.where) {
      throw new Error(`bAbI world: ${actor} cannot give the ${object} to ${recipient}`);
    }
    this.holder.set(object, { who: recipient, line });
    this.period.set(object, ++this.periods);
    this.gives.push({ giver: actor, object, recipient, line });
    this.possession.get(actor)!.push(line);
    this.possession.get(recipient)!.push(line);
  }

  private periodOf(object: string): number {
    return this.period.get(object)!;
  }
}
