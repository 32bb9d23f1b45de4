// A bAbI story as plain data, and the builder the task generators write through.
//
// A story is a list of numbered lines, numbered from 1 in the order they are told: statements, and questions
// with their answer and the ids of the statements that support it. Ids are line numbers (questions take a
// number too, as in the bAbI files), so a support id always names an earlier statement of the same story.

/** A statement of a story: `id text`. */
export interface BabiFact {
  readonly kind: 'fact';
  readonly id: number;
  readonly text: string;
}

/** A question of a story: `id text \t answer \t supports`. */
export interface BabiQuestion {
  readonly kind: 'question';
  readonly id: number;
  readonly text: string;
  /** One answer: a word, or a comma-separated list (task 8: "apple,milk"; task 19: "n,w"). */
  readonly answer: string;
  /** Ids of the statements that support the answer, ascending. */
  readonly supports: readonly number[];
}

export type BabiLine = BabiFact | BabiQuestion;

export interface BabiStory {
  /** The bAbI task number (1-20), or 0 where it is not known (a file whose name does not say). */
  readonly task: number;
  readonly lines: readonly BabiLine[];
}

const MAX_FACTS = 10_000;

/** Collects the lines of one story; statements return their id, to be cited as supports. */
export class StoryBuilder {
  private readonly lines: BabiLine[] = [];
  private facts = 0;
  /** factsUpTo[i] = statements among lines 1..i (index 0 unused). */
  private readonly factsUpTo: number[] = [0];
  private readonly asked = new Set<string>();

  constructor(private readonly task: number) {}

  /** Appends a statement (the text gets its full stop here) and returns its id. */
  fact(text: string): number {
    // Generators that wait for something to ask about stop long before this; never loop forever.
    if (this.facts >= MAX_FACTS) throw new Error(`bAbI task ${this.task}: a story told ${MAX_FACTS} statements without asking all its questions`);
    const id = this.lines.length + 1;
    this.lines.push({ kind: 'fact', id, text: `${capitalise(text)}.` });
    this.facts++;
    this.factsUpTo.push(this.facts);
    return id;
  }

  /** Appends a question (the text gets its question mark here). Supports are sorted and de-duplicated. */
  question(text: string, answer: string, supports: Iterable<number>): void {
    const ids = [...new Set(supports)].sort((a, b) => a - b);
    const id = this.lines.length + 1;
    for (const s of ids) {
      const line = this.lines[s - 1];
      if (line === undefined || line.kind !== 'fact') throw new Error(`bAbI generator: support ${s} of question ${id} is not a statement`);
    }
    this.lines.push({ kind: 'question', id, text: `${capitalise(text)}?`, answer, supports: ids });
    this.factsUpTo.push(this.facts);
    this.asked.add(questionKey(text, ids));
  }

  /** True if this question, with these supports, was asked before in the story (nothing new to ask). */
  wasAsked(text: string, supports: Iterable<number>): boolean {
    return this.asked.has(questionKey(text, [...new Set(supports)].sort((a, b) => a - b)));
  }

  /** Statements told so far. */
  get factCount(): number {
    return this.facts;
  }

  /** Questions asked so far. */
  get questionCount(): number {
    return this.lines.length - this.facts;
  }

  /** How many statements were told after statement `id` (0 for the latest one). */
  factsSince(id: number): number {
    return this.facts - this.factsUpTo[id]!;
  }

  build(): BabiStory {
    return { task: this.task, lines: this.lines.slice() };
  }
}

function questionKey(text: string, supports: readonly number[]): string {
  return `${text}\t${supports.join(' ')}`;
}

export function capitalise(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}
