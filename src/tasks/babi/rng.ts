// The random stream of one bAbI story: Philox4x32-10 (src/core/philox.ts) read as a counter-based stream,
// so that every story is a pure function of (seed, task, split, story index) and any subset of a data set
// can be regenerated alone, with the same bits in every JavaScript runtime (integer arithmetic only: no
// Math.random, no floating point, no locale).
//
// Counter words: 0 = index of the 4-word block within the story, 1 = story index, 2 = task * 2 + split
// (train 0, test 1), 3 = BABI_DOMAIN. Key = the seed's low and high 32 bits (core/seed.ts). BABI_DOMAIN is
// "bAbI" in ASCII, far from the small RNG_DOMAIN_* codes of assembly/shared/abi.ts, so no other stream of
// the library shares these counters.
import { philox4x32_10 } from '../../core/philox.js';
import { seedHalves } from '../../core/seed.js';

export const BABI_DOMAIN = 0x62416249; // 'b' 'A' 'b' 'I'

export type Split = 'train' | 'test';

export class StoryRng {
  private readonly key: [number, number];
  private readonly word2: number;
  private block = 0;
  private words: Uint32Array = new Uint32Array(4);
  private lane = 4;

  constructor(seed: number, task: number, split: Split, private readonly story: number) {
    this.key = seedHalves(seed);
    this.word2 = task * 2 + (split === 'test' ? 1 : 0);
  }

  /** The next 32-bit word of the stream. */
  u32(): number {
    if (this.lane === 4) {
      if (this.block >= 2 ** 32) throw new Error('bAbI: a story drew more than 2^34 random words'); // never in practice
      this.words = philox4x32_10([this.block, this.story >>> 0, this.word2, BABI_DOMAIN], this.key);
      this.block++;
      this.lane = 0;
    }
    return this.words[this.lane++]!;
  }

  /** Uniform integer in [0, n), n in [1, 2^32]: rejection sampling, so exactly uniform. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`StoryRng.int: n is ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n); // the largest multiple of n not above 2^32
    for (;;) {
      const u = this.u32();
      if (u < limit) return u % n;
    }
  }

  /** True with probability num / den (integers, 0 <= num <= den). */
  chance(num: number, den: number): boolean {
    return this.int(den) < num;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('StoryRng.pick: empty list');
    return items[this.int(items.length)]!;
  }

  /** A uniformly shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const a = items.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** k distinct elements in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (k > items.length) throw new Error(`StoryRng.sample: ${k} of ${items.length}`);
    return this.shuffle(items).slice(0, k);
  }
}
