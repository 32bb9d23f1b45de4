// The algorithmic tasks of src/tasks/algorithmic.ts: the encoding, every generated target against BigInt
// arithmetic, the edge lengths, determinism (a pure function of seed, task, split, length and index; the
// documented Philox counters; the same bits from the sources, from the Node bundle in Node, Bun and Deno,
// pinned by test/fixtures/tasks-algorithmic.json, which test/ts/browser also demands of Chromium), the
// curriculum, the error rates on hand-made cases, and the errors bad input gets.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  addBits, advanceCurriculum, algorithmicBatch, algorithmicExample, algorithmicTask, curriculum, curriculumLength, curriculumOf, errorRates,
  errorRatesFromLogits, inputWidth, MAX_TASK_LENGTH, mulBits, OUTPUT_CLASSES, sumErrorRates, TOKENS, tokensToString, VOCAB_SIZE, vocabSize,
  type AlgorithmicBatch, type AlgorithmicTaskName,
} from '../../../src/tasks/algorithmic.js';
import * as universal from '../../../src/universal.js';
import { philox4x32_10 } from '../../../src/core/philox.js';
import { RNG_DOMAIN_TASKS } from '../../../assembly/shared/abi.js';
// @ts-expect-error: a plain .mjs script without types
import { digests } from '../../runtimes/tasks.mjs';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const GOLDEN = JSON.parse(readFileSync(`${ROOT}/test/fixtures/tasks-algorithmic.json`, 'utf8'));
delete GOLDEN._comment;

const row = (a: Int32Array | Uint8Array, w: number, i: number) => Array.from(a.subarray(i * w, (i + 1) * w));
/** Digit ids (LSB first) -> BigInt. */
function value(ids: number[]): bigint {
  let v = 0n;
  for (let i = ids.length - 1; i >= 0; i--) {
    if (ids[i] !== TOKENS.zero && ids[i] !== TOKENS.one) throw new Error(`not a digit id at ${i}: ${ids.join(' ')}`);
    v = 2n * v + (ids[i] === TOKENS.one ? 1n : 0n);
  }
  return v;
}
/** BigInt -> digit ids, LSB first, exactly `digits` of them (or the minimal count when digits is 0). */
function idsOf(v: bigint, digits = 0): number[] {
  const out: number[] = [];
  for (let x = v; x > 0n || out.length < Math.max(1, digits); x >>= 1n) out.push(x & 1n ? TOKENS.one : TOKENS.zero);
  return out;
}
const bitsOf = (v: bigint, n: number) => Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(i)) & 1n));
const bigOf = (bits: Uint8Array) => bits.reduceRight((v, b) => 2n * v + BigInt(b), 0n);

/** Checks every example of a batch against BigInt arithmetic; returns how many it checked. */
function checkBatch(b: AlgorithmicBatch, result: 'minimal' | 'full', aligned = false): number {
  const n = b.length;
  const w = b.width;
  expect(b.inputs.length).toBe(b.count * w);
  for (let e = 0; e < b.count; e++) {
    const input = row(b.inputs, w, e);
    const target = row(b.targets, w, e);
    const mask = row(b.mask, w, e);
    expect(mask).toEqual(target.map((t) => (t === TOKENS.pad ? 0 : 1)));
    if (b.task === 'copy' || b.task === 'reverse') {
      const x = input.slice(0, n);
      expect(input.slice(n)).toEqual(new Array(w - n).fill(TOKENS.pad));
      value(x); // only digits
      expect(target).toEqual([...(b.task === 'copy' ? x : [...x].reverse()), ...new Array(w - n).fill(TOKENS.pad)]);
      continue;
    }
    let a: bigint, c: bigint;
    if (aligned) {
      // Pair symbols 5 + a_i + 2 b_i in columns 0 .. n-1, leading zeros (pair 0) out to the result's width, padding after.
      const width = b.task === 'add' ? n + 1 : 2 * n;
      const pairs = input.slice(0, n).map((t) => t - TOKENS.pair);
      expect(pairs.every((p) => p >= 0 && p <= 3), pairs.join(' ')).toBe(true);
      expect(input.slice(n, width)).toEqual(new Array(width - n).fill(TOKENS.pair));
      expect(input.slice(width)).toEqual(new Array(w - width).fill(TOKENS.pad));
      a = value(pairs.map((p) => (p & 1 ? TOKENS.one : TOKENS.zero)));
      c = value(pairs.map((p) => (p & 2 ? TOKENS.one : TOKENS.zero)));
    } else {
      expect(input[n]).toBe(b.task === 'add' ? TOKENS.plus : TOKENS.times);
      expect(input.slice(2 * n + 1)).toEqual(new Array(w - 2 * n - 1).fill(TOKENS.pad));
      a = value(input.slice(0, n));
      c = value(input.slice(n + 1, 2 * n + 1));
    }
    const r = b.task === 'add' ? a + c : a * c;
    const digits = result === 'full' ? (b.task === 'add' ? n + 1 : 2 * n) : 0;
    const want = idsOf(r, digits);
    expect(want.length).toBeLessThanOrEqual(w);
    expect(target, `${b.task} n=${n} example ${b.start + e}: ${a} and ${c}`).toEqual([...want, ...new Array(w - want.length).fill(TOKENS.pad)]);
  }
  return b.count;
}

describe('the encoding', () => {
  it('follows the documented layout: LSB first, operator between the operands, padding on the right', () => {
    expect(TOKENS).toEqual({ pad: 0, zero: 1, one: 2, plus: 3, times: 4, pair: 5 });
    expect([VOCAB_SIZE, OUTPUT_CLASSES]).toEqual([5, 3]);
    expect([inputWidth('add', 20), inputWidth('mul', 1), inputWidth('copy', 7), inputWidth('reverse', 1)]).toEqual([41, 3, 7, 1]);
    const b = algorithmicBatch(algorithmicTask('add'), { seed: 1, length: 5, count: 1, width: 12 });
    // The first example of seed 1 (docs/tasks.md shows it): a = 9 (10010), b = 25 (10011), a + b = 34.
    expect(tokensToString(b.inputs)).toBe('10010+10011_');
    expect(tokensToString(b.targets)).toBe('010001______');
    expect(Array.from(b.mask).join('')).toBe('111111000000');
    expect(tokensToString([0, 1, 2, 3, 4])).toBe('_01+*');
    expect(() => tokensToString([9])).toThrow('tokensToString: ids[0] is 9 (need a token id from 0 to 8)');
  });

  it('fills the defaults of a task: the paper trains at 20 digits and tests longer', () => {
    expect(algorithmicTask('mul')).toEqual({ name: 'mul', trainLength: 20, testLengths: [20, 40, 100, 200], result: 'minimal', layout: 'concat' });
    expect(algorithmicTask('add', { trainLength: 8, testLengths: [100, 8, 40, 8], result: 'full', layout: 'aligned' }))
      .toEqual({ name: 'add', trainLength: 8, testLengths: [8, 40, 100], result: 'full', layout: 'aligned' });
    expect(Object.isFrozen(algorithmicTask('copy'))).toBe(true);
  });
});

describe('every target is right (BigInt arithmetic)', () => {
  it.each(['add', 'mul'] as const)('%s at every length from 1 to 40 and at 64, 100, 200, train and test, minimal and full', (name) => {
    let checked = 0;
    for (const result of ['minimal', 'full'] as const) {
      const task = algorithmicTask(name, { result });
      for (const split of ['train', 'test'] as const) {
        for (let n = 1; n <= 40; n++) checked += checkBatch(algorithmicBatch(task, { seed: 11, length: n, count: 25, split }), result);
        for (const n of [64, 100, 200]) checked += checkBatch(algorithmicBatch(task, { seed: 12, length: n, count: 8, split, start: 1000 }), result);
      }
    }
    expect(checked).toBe(2 * 2 * (40 * 25 + 3 * 8));
  });

  it.each(['add', 'mul'] as const)('%s aligned at every length from 1 to 40 and at 200, train and test, minimal and full', (name) => {
    let checked = 0;
    for (const result of ['minimal', 'full'] as const) {
      const task = algorithmicTask(name, { result, layout: 'aligned' });
      for (const split of ['train', 'test'] as const) {
        for (let n = 1; n <= 40; n++) checked += checkBatch(algorithmicBatch(task, { seed: 11, length: n, count: 25, split }), result, true);
        checked += checkBatch(algorithmicBatch(task, { seed: 12, length: 200, count: 8, split, width: 450 }), result, true);
      }
    }
    expect(checked).toBe(2 * 2 * (40 * 25 + 8));
  });

  it('aligned is the same operands as concat, bit beside bit, in fewer columns', () => {
    expect([inputWidth('add', 20, 'aligned'), inputWidth('mul', 20, 'aligned'), inputWidth('add', 1, 'aligned'), inputWidth('mul', 1, 'aligned')]).toEqual([21, 40, 2, 2]);
    expect([vocabSize(), vocabSize('concat'), vocabSize('aligned')]).toEqual([5, 5, 9]);
    for (const name of ['add', 'mul'] as const) {
      const c = algorithmicBatch(algorithmicTask(name), { seed: 4, length: 9, count: 50, split: 'test', start: 7 });
      const a = algorithmicBatch(algorithmicTask(name, { layout: 'aligned' }), { seed: 4, length: 9, count: 50, split: 'test', start: 7, width: c.width });
      expect(a.targets).toEqual(c.targets);
      expect(a.mask).toEqual(c.mask);
      for (let e = 0; e < 50; e++) {
        for (let i = 0; i < 9; i++) {
          const p = a.inputs[e * c.width + i]! - TOKENS.pair;
          expect([p & 1, p >> 1]).toEqual([c.inputs[e * c.width + i]! - TOKENS.zero, c.inputs[e * c.width + 10 + i]! - TOKENS.zero]);
        }
      }
    }
    // The first example of seed 1, as in the concat test above: a = 9 (10010), b = 25 (10011), a + b = 34.
    const b = algorithmicBatch(algorithmicTask('add', { layout: 'aligned' }), { seed: 1, length: 5, count: 1 });
    expect([tokensToString(b.inputs), tokensToString(b.targets)]).toEqual(['DAADCA', '010001']);
  });

  it('add and mul at 2000 digits (far past the training length), padded wider', () => {
    for (const name of ['add', 'mul'] as const) {
      for (const result of ['minimal', 'full'] as const) {
        checkBatch(algorithmicBatch(algorithmicTask(name, { result }), { seed: 3, length: 2000, count: 3, width: 4100 }), result);
      }
    }
  });

  it.each(['copy', 'reverse'] as const)('%s at every length from 1 to 40 and at 500', (name) => {
    const task = algorithmicTask(name);
    for (let n = 1; n <= 40; n++) checkBatch(algorithmicBatch(task, { seed: 5, length: n, count: 10, width: n + (n % 3) }), 'minimal');
    checkBatch(algorithmicBatch(task, { seed: 5, length: 500, count: 4, split: 'test' }), 'minimal');
  });
});

describe('edge lengths and operands', () => {
  it('1 digit: every operand pair of add and mul appears among the first 32 examples, with the right target', () => {
    const seen: Record<string, Set<string>> = { add: new Set(), mul: new Set() };
    const want: Record<string, Record<string, string>> = {
      add: { '0+0': '0', '0+1': '1', '1+0': '1', '1+1': '01' },
      mul: { '0*0': '0', '0*1': '0', '1*0': '0', '1*1': '1' },
    };
    for (const name of ['add', 'mul'] as const) {
      const b = algorithmicBatch(algorithmicTask(name), { seed: 9, length: 1, count: 32 });
      for (let e = 0; e < 32; e++) {
        const input = tokensToString(row(b.inputs, 3, e));
        expect(tokensToString(row(b.targets, 3, e)).replace(/_+$/, '')).toBe(want[name]![input]);
        seen[name]!.add(input);
      }
    }
    expect([...seen.add!].sort()).toEqual(Object.keys(want.add!).sort());
    expect([...seen.mul!].sort()).toEqual(Object.keys(want.mul!).sort());
  });

  it('3 digits: all 64 operand pairs appear within 1000 examples (7 + 1 carries all the way, 7 * 7 fills 6 bits)', () => {
    for (const name of ['add', 'mul'] as const) {
      const b = algorithmicBatch(algorithmicTask(name), { seed: 4, length: 3, count: 1000 });
      checkBatch(b, 'minimal');
      const pairs = new Set(Array.from({ length: 1000 }, (_, e) => tokensToString(row(b.inputs, 7, e))));
      expect(pairs.size).toBe(64);
    }
  });

  const lengths = [1, 2, 15, 16, 17, 31, 32, 33, 64, 129, 2000];
  it('addition: a carry all the way through (2^n - 1) + 1 and (2^n - 1) + (2^n - 1), at limb-edge lengths', () => {
    for (const n of lengths) {
      const ones = (1n << BigInt(n)) - 1n;
      for (const [a, b] of [[ones, 1n], [1n, ones], [ones, ones], [0n, 0n], [ones, 0n]] as const) {
        const s = addBits(bitsOf(a, n), bitsOf(b, n));
        expect(s.length).toBe(n + 1);
        expect(bigOf(s), `n=${n}: ${a} + ${b}`).toBe(a + b);
      }
    }
  });

  it('multiplication: by 0 and by 1, (2^n - 1)^2 and random operands, at limb-edge lengths', () => {
    let seed = 12345;
    const rand = (n: number) => { // a small LCG: operands only, not the library's stream
      let v = 0n;
      for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) % 2 ** 31; v |= BigInt(seed >>> 16 & 1) << BigInt(i); }
      return v;
    };
    for (const n of lengths) {
      const ones = (1n << BigInt(n)) - 1n;
      const r = rand(n);
      for (const [a, b] of [[ones, 0n], [0n, ones], [ones, 1n], [1n, r], [r, 1n], [r, 0n], [ones, ones], [r, ones], [r, rand(n)]] as const) {
        const p = mulBits(bitsOf(a, n), bitsOf(b, n));
        expect(p.length).toBe(2 * n);
        expect(bigOf(p), `n=${n}: ${a} * ${b}`).toBe(a * b);
      }
    }
  });

  it('a product of 0 is one digit "0" (minimal) or 2n zeros (full); a sum of 0 likewise', () => {
    // Search the first examples of length 2 for 0 * x and 0 + 0.
    const mul = algorithmicBatch(algorithmicTask('mul'), { seed: 2, length: 2, count: 200 });
    const full = algorithmicBatch(algorithmicTask('mul', { result: 'full' }), { seed: 2, length: 2, count: 200 });
    let zeros = 0;
    for (let e = 0; e < 200; e++) {
      const input = tokensToString(row(mul.inputs, 5, e));
      if (!input.startsWith('00') && !input.endsWith('00')) continue;
      zeros++;
      expect(tokensToString(row(mul.targets, 5, e))).toBe('0____');
      expect(tokensToString(row(full.targets, 5, e))).toBe('0000_');
    }
    expect(zeros).toBeGreaterThan(50);
    const add = algorithmicBatch(algorithmicTask('add'), { seed: 2, length: 2, count: 200 });
    const e = Array.from({ length: 200 }, (_, i) => tokensToString(row(add.inputs, 5, i))).indexOf('00+00');
    expect(e).toBeGreaterThanOrEqual(0);
    expect(tokensToString(row(add.targets, 5, e))).toBe('0____');
  });
});

describe('determinism', () => {
  const add = algorithmicTask('add');

  it('example i is the same bits alone, anywhere in a batch, and at any width', () => {
    const big = algorithmicBatch(add, { seed: 77, length: 12, count: 50, start: 100 });
    const again = algorithmicBatch(add, { seed: 77, length: 12, count: 50, start: 100 });
    expect(again).toEqual(big);
    const wide = algorithmicBatch(add, { seed: 77, length: 12, count: 10, start: 120, width: 40 });
    for (let i = 0; i < 10; i++) {
      const one = algorithmicExample(add, 77, 12, 120 + i);
      expect(Array.from(one.input)).toEqual(row(big.inputs, 25, 20 + i));
      expect(Array.from(one.target)).toEqual(row(big.targets, 25, 20 + i));
      expect(row(wide.inputs, 40, i)).toEqual([...one.input, ...new Array(15).fill(0)]);
      expect(row(wide.targets, 40, i)).toEqual([...one.target, ...new Array(15).fill(0)]);
      expect(row(wide.mask, 40, i)).toEqual([...one.mask, ...new Array(15).fill(0)]);
    }
  });

  it('seed, split, task and length each select another stream', () => {
    const base = algorithmicBatch(add, { seed: 1, length: 30, count: 8 });
    const operands = (b: AlgorithmicBatch) => Array.from(b.inputs).map((t) => (t === TOKENS.times ? TOKENS.plus : t));
    expect(operands(algorithmicBatch(add, { seed: 2, length: 30, count: 8 }))).not.toEqual(operands(base));
    expect(operands(algorithmicBatch(add, { seed: 1, length: 30, count: 8, split: 'test' }))).not.toEqual(operands(base));
    expect(operands(algorithmicBatch(algorithmicTask('mul'), { seed: 1, length: 30, count: 8 }))).not.toEqual(operands(base));
    // Length 29's operands are not length 30's cut short.
    const short = algorithmicBatch(add, { seed: 1, length: 29, count: 8 });
    expect(Array.from(short.inputs.subarray(0, 29))).not.toEqual(Array.from(base.inputs.subarray(0, 29)));
    // The seed is 53 bits: seeds 2^32 apart differ.
    expect(algorithmicBatch(add, { seed: 2 ** 32 + 1, length: 30, count: 8 }).inputs).not.toEqual(base.inputs);
  });

  it('the bits are the documented Philox counters: (block, index, stream << 24 | n, RNG_DOMAIN_TASKS)', () => {
    const seed = 2 ** 33 + 5;
    const key = [seed >>> 0, Math.floor(seed / 2 ** 32)];
    const n = 70; // 140 bits: two Philox blocks
    for (const [name, code] of [['add', 1], ['mul', 2]] as const) {
      for (const [split, bit] of [['train', 0], ['test', 1]] as const) {
        const e = algorithmicExample(algorithmicTask(name), seed, n, 1234, split);
        const stream = 2 * code + bit;
        const blocks = [0, 1].map((blk) => philox4x32_10([blk, 1234, (stream * 2 ** 24 + n) >>> 0, RNG_DOMAIN_TASKS], key));
        const bit_ = (k: number) => (blocks[k >>> 7]![(k >>> 5) & 3]! >>> (k & 31)) & 1;
        for (let i = 0; i < n; i++) {
          expect(e.input[i]).toBe(bit_(i) ? TOKENS.one : TOKENS.zero);
          expect(e.input[n + 1 + i]).toBe(bit_(n + i) ? TOKENS.one : TOKENS.zero);
        }
      }
    }
    const rev = algorithmicExample(algorithmicTask('reverse'), 3, 5, 0);
    const w = philox4x32_10([0, 0, (8 * 2 ** 24 + 5) >>> 0, RNG_DOMAIN_TASKS], [3, 0])[0]!;
    expect(Array.from(rev.input)).toEqual([0, 1, 2, 3, 4].map((i) => ((w >>> i) & 1 ? TOKENS.one : TOKENS.zero)));
  });

  it('the sources give the pinned bits (test/fixtures/tasks-algorithmic.json)', async () => {
    expect(await digests(universal)).toEqual(GOLDEN);
  });

  const run = (file: string, args: string[]) => new Promise<string>((resolve, reject) => execFile(file, args, { cwd: ROOT, timeout: 60_000 }, (e, out, err) => {
    if (e) reject(new Error(`${file} ${args.join(' ')}: ${e.message}\n${err}`));
    else resolve(out);
  }));
  it.each([
    ['node', [process.execPath, 'test/runtimes/tasks.mjs']],
    ['bun', [`${ROOT}/node_modules/.bin/bun`, 'test/runtimes/tasks.mjs']],
    ['deno', [`${ROOT}/node_modules/.bin/deno`, 'run', '--allow-read', 'test/runtimes/tasks.mjs']],
  ])('the Node bundle in %s gives the same bits', async (_, [file, ...args]) => {
    const out = await run(file!, args);
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual(GOLDEN);
  });
});

describe('the curriculum', () => {
  it('has the released trainer\'s defaults, in digits', () => {
    expect(curriculum()).toEqual({ minLength: 1, maxLength: 20, startLength: 2, advanceBelow: 0.15, preferLonger: 0.6, mixLonger: 0.25 });
    expect(curriculumOf(algorithmicTask('add', { trainLength: 8 }), { startLength: 3 }).maxLength).toBe(8);
    expect(curriculum({ minLength: 4, maxLength: 4 }).startLength).toBe(4);
  });

  it('draws lengths in [minLength, current], a quarter of the time up to maxLength, deterministically', () => {
    const c = curriculum({ minLength: 2, maxLength: 20 });
    const counts = new Map<number, number>();
    for (let s = 0; s < 4000; s++) {
      const l = curriculumLength(c, 6, 3, s);
      expect(curriculumLength(c, 6, 3, s)).toBe(l);
      counts.set(l, (counts.get(l) ?? 0) + 1);
    }
    expect(Math.min(...counts.keys())).toBe(2);
    expect(Math.max(...counts.keys())).toBe(20);
    // Beyond current only through the mixing draw: P = 0.25 * P(uniform in [2, 20] lands above the rest).
    const above = [...counts].filter(([l]) => l > 6).reduce((n, [, k]) => n + k, 0) / 4000;
    expect(above).toBeGreaterThan(0.15);
    expect(above).toBeLessThan(0.25);
    // Without mixing, never above current; without either, uniform on [2, 6].
    const plain = curriculum({ minLength: 2, maxLength: 20, preferLonger: 0, mixLonger: 0 });
    const uniform = new Array(21).fill(0);
    for (let s = 0; s < 5000; s++) uniform[curriculumLength(plain, 6, 3, s)]++;
    expect(uniform.slice(0, 2).concat(uniform.slice(7))).toEqual(new Array(16).fill(0));
    for (const k of uniform.slice(2, 7)) expect(Math.abs(k / 5000 - 0.2)).toBeLessThan(0.03);
    // Always preferring longer: the larger of two uniform draws, P(current) = (2k - 1) / k^2 = 9/25.
    const longer = curriculum({ minLength: 2, maxLength: 20, preferLonger: 1, mixLonger: 0 });
    let top = 0;
    for (let s = 0; s < 5000; s++) top += curriculumLength(longer, 6, 3, s) === 6 ? 1 : 0;
    expect(Math.abs(top / 5000 - 9 / 25)).toBeLessThan(0.03);
  });

  it('advances one digit when the sequence error is below the bound, up to maxLength', () => {
    const c = curriculum({ maxLength: 5 });
    expect(advanceCurriculum(c, 2, 0.149)).toBe(3);
    expect(advanceCurriculum(c, 2, 0.15)).toBe(2);
    expect(advanceCurriculum(c, 5, 0)).toBe(5);
  });
});

describe('error rates', () => {
  // Two examples of width 4; the second has two digits, the third is all padding (not a sequence).
  const targets = Int32Array.from([2, 1, 2, 0, /**/ 1, 2, 0, 0, /**/ 0, 0, 0, 0]);

  it('count digits and sequences over the digit positions only', () => {
    expect(errorRates(targets.slice(), targets, 4)).toEqual({ digits: 5, digitErrors: 0, digitErrorRate: 0, sequences: 2, sequenceErrors: 0, sequenceErrorRate: 0 });
    // Wrong guesses on padding positions count for nothing.
    const padWrong = Int32Array.from([2, 1, 2, 1, /**/ 1, 2, 2, 4, /**/ 1, 1, 1, 1]);
    expect(errorRates(padWrong, targets, 4)).toMatchObject({ digitErrors: 0, sequenceErrors: 0 });
    // Two wrong digits in one example: 2/5 digits, 1/2 sequences.
    const twoWrong = Int32Array.from([1, 2, 2, 0, /**/ 1, 2, 0, 0, /**/ 0, 0, 0, 0]);
    expect(errorRates(twoWrong, targets, 4)).toEqual({ digits: 5, digitErrors: 2, digitErrorRate: 0.4, sequences: 2, sequenceErrors: 1, sequenceErrorRate: 0.5 });
    // Predicting padding where a digit is due is an error.
    const padForDigit = Int32Array.from([2, 1, 0, 0, /**/ 0, 2, 0, 0, /**/ 0, 0, 0, 0]);
    expect(errorRates(padForDigit, targets, 4)).toEqual({ digits: 5, digitErrors: 2, digitErrorRate: 0.4, sequences: 2, sequenceErrors: 2, sequenceErrorRate: 1 });
  });

  it('from logits: the argmax per position, the first of equal maxima', () => {
    const C = 3;
    const logits = new Float32Array(targets.length * C);
    const set = (pos: number, v: number[]) => logits.set(v, pos * C);
    set(0, [0, 1, 5]); // '1' right
    set(1, [-1, 2, 2]); // tie between '0' and '1': '0' (index 1) wins, right
    set(2, [9, 0, 1]); // pad where '1' is due: wrong
    set(4, [0, -Infinity, -Infinity]); // pad where '0' is due: wrong
    set(5, [Infinity, 0, Infinity]); // tie of infinities: pad, wrong
    expect(errorRatesFromLogits(logits, targets, 4, C)).toEqual({ digits: 5, digitErrors: 3, digitErrorRate: 0.6, sequences: 2, sequenceErrors: 2, sequenceErrorRate: 1 });
    // All-zero logits: class 0 (pad) everywhere, every digit wrong.
    expect(errorRatesFromLogits(new Float32Array(targets.length * 5), targets, 4, 5)).toMatchObject({ digitErrorRate: 1, sequenceErrorRate: 1 });
    const nan = logits.slice();
    nan[5 * C + 1] = NaN;
    expect(() => errorRatesFromLogits(nan, targets, 4, C)).toThrow('errorRatesFromLogits: logits[1, 1, 1] is NaN');
  });

  it('on a generated batch: its own targets score 0, every digit flipped scores 1', () => {
    const b = algorithmicBatch(algorithmicTask('mul'), { seed: 8, length: 10, count: 64 });
    expect(errorRates(b.targets, b.targets, b.width)).toMatchObject({ digitErrorRate: 0, sequenceErrorRate: 0, sequences: 64 });
    const flipped = b.targets.map((t) => (t === TOKENS.zero ? TOKENS.one : t === TOKENS.one ? TOKENS.zero : t));
    expect(errorRates(flipped, b.targets, b.width)).toMatchObject({ digitErrorRate: 1, sequenceErrorRate: 1, digits: b.mask.reduce((s, m) => s + m, 0) });
  });

  it('sum over batches, NaN rates when nothing counts', () => {
    const a = errorRates(Int32Array.from([1, 2]), Int32Array.from([1, 1]), 2);
    const b = errorRates(Int32Array.from([1, 1, 2, 2]), Int32Array.from([1, 1, 2, 2]), 2);
    expect(sumErrorRates([a, b])).toEqual({ digits: 6, digitErrors: 1, digitErrorRate: 1 / 6, sequences: 3, sequenceErrors: 1, sequenceErrorRate: 1 / 3 });
    const none = errorRates(new Int32Array(4), new Int32Array(4), 2);
    expect(none).toMatchObject({ digits: 0, sequences: 0 });
    expect(none.digitErrorRate).toBeNaN();
    expect(sumErrorRates([]).sequenceErrorRate).toBeNaN();
  });
});

describe('bad input gets an error naming the value', () => {
  const add = algorithmicTask('add');
  const cases: [() => unknown, string][] = [
    [() => algorithmicTask('sub' as AlgorithmicTaskName), 'algorithmicTask: task is "sub" (need one of add, mul, copy, reverse)'],
    [() => algorithmicTask('add', { trainLenght: 20 } as object), 'algorithmicTask: unknown option "trainLenght" (allowed: trainLength, testLengths, result, layout); did you mean trainLength?'],
    [() => algorithmicTask('add', { layout: 'stacked' as 'aligned' }), 'algorithmicTask: layout is "stacked" (need \'concat\' or \'aligned\')'],
    [() => algorithmicTask('copy', { layout: 'aligned' }), 'algorithmicTask: layout is "aligned" (need \'concat\' for copy (only add and mul have two operands to align))'],
    [() => inputWidth('reverse', 3, 'aligned'), 'inputWidth: layout is "aligned"'],
    [() => vocabSize('pairs' as 'aligned'), 'vocabSize: layout is "pairs"'],
    [() => algorithmicBatch({ ...add, layout: 'stacked' } as unknown as AlgorithmicTask, { seed: 1, length: 2, count: 1 }), 'algorithmicBatch: task.layout is "stacked"'],
    [() => algorithmicBatch(algorithmicTask('add', { layout: 'aligned' }), { seed: 1, length: 4, count: 1, width: 4 }), 'algorithmicBatch: width is 4 (need an integer of at least 5 (the input of add, aligned, at length 4))'],
    [() => algorithmicTask('add', { trainLength: 0 }), 'algorithmicTask: trainLength is 0 (need an integer from 1 to 16777215)'],
    [() => algorithmicTask('add', { testLengths: [20, 2.5] }), 'algorithmicTask: testLengths[1] is 2.5'],
    [() => algorithmicTask('add', { testLengths: [] }), 'algorithmicTask: testLengths is [] (need a non-empty array of lengths)'],
    [() => algorithmicTask('add', { result: 'short' as 'full' }), 'algorithmicTask: result is "short"'],
    [() => algorithmicBatch(add, { seed: -1, length: 3, count: 1 }), 'algorithmicBatch: seed is -1 (need an integer from 0 to 2^53 - 1)'],
    [() => algorithmicBatch(add, { seed: 1, length: MAX_TASK_LENGTH + 1, count: 1 }), 'algorithmicBatch: length is 16777216'],
    [() => algorithmicBatch(add, { seed: 1, length: 3, count: 1.5 }), 'algorithmicBatch: count is 1.5'],
    [() => algorithmicBatch(add, { seed: 1, length: 3, count: 2, start: 2 ** 32 - 2 }), 'algorithmicBatch: start + count is 4294967296'],
    [() => algorithmicBatch(add, { seed: 1, length: 3, count: 1, width: 6 }), 'algorithmicBatch: width is 6 (need an integer of at least 7 (the input of add at length 3))'],
    [() => algorithmicBatch(add, { seed: 1, length: 3, count: 1, split: 'valid' as 'test' }), 'algorithmicBatch: split is "valid"'],
    [() => algorithmicBatch(add, { seed: 1, length: 3 } as { seed: number; length: number; count: number }), 'algorithmicBatch: count is undefined'],
    [() => algorithmicBatch({ ...add, name: 'div' } as unknown as typeof add, { seed: 1, length: 3, count: 1 }), 'algorithmicBatch: task is "div"'],
    [() => algorithmicBatch(add, { seed: 1, lenght: 3, count: 1 } as unknown as { seed: number; length: number; count: number }), 'unknown option "lenght"'],
    [() => curriculum({ minLength: 5, maxLength: 4 }), 'curriculum: maxLength is 4 (need at least minLength (5))'],
    [() => curriculum({ startLength: 30 }), 'curriculum: startLength is 30 (need an integer from minLength (1) to maxLength (20))'],
    [() => curriculum({ mixLonger: 1.5 }), 'curriculum: mixLonger is 1.5 (need a number from 0 to 1)'],
    [() => curriculumLength(curriculum(), 21, 1, 0), 'curriculumLength: current is 21 (need an integer from 1 to 20)'],
    [() => curriculumLength(curriculum(), 3, 1, -1), 'curriculumLength: step is -1'],
    [() => advanceCurriculum(curriculum(), 3, NaN), 'advanceCurriculum: sequenceErrorRate is NaN'],
    [() => errorRates(new Int32Array(3), new Int32Array(4), 2), 'errorRates: predictions.length is 3 (need targets.length (4))'],
    [() => errorRates(new Int32Array(3), new Int32Array(3), 2), 'errorRates: targets.length is 3 (need a multiple of width (2))'],
    [() => errorRates(new Float32Array(4) as unknown as Int32Array, new Int32Array(4), 2), 'errorRates: predictions is'],
    [() => errorRatesFromLogits(new Float32Array(7), new Int32Array(4), 2, 2), 'errorRatesFromLogits: logits.length is 7 (need targets.length * classes (4 * 2 = 8))'],
    [() => inputWidth('add', 0), 'inputWidth: length is 0'],
  ];
  it.each(cases.map(([f, message]) => [message, f] as const))('%s', (message, f) => {
    expect(f).toThrow(message);
  });
});

it('the browser and Node barrels export the tasks', async () => {
  for (const name of ['algorithmicTask', 'algorithmicBatch', 'algorithmicExample', 'curriculum', 'curriculumLength', 'advanceCurriculum', 'errorRates', 'errorRatesFromLogits', 'TOKENS']) {
    expect(universal).toHaveProperty(name);
    expect(await import('../../../src/index.js')).toHaveProperty(name);
    expect(await import('../../../src/browser.js')).toHaveProperty(name);
  }
});
