// Algorithmic tasks of the Neural GPU (Kaiser & Sutskever 2015, "Neural GPUs Learn Algorithms", arXiv
// 1511.08228): binary addition and binary multiplication, with copy and reverse as quick sanity tasks.
// Seeded generators of token-id batches, the paper's curriculum over lengths, and the error per digit
// and per sequence. The encoding follows the authors' released code (tensorflow/models, neural_gpu
// data_utils.py) with a vocabulary cut down to binary; docs/tasks.md ("Algorithmic tasks") has examples.
//
// Legend: N examples in a batch, W positions per example (the width), C classes of a logit vector,
// n digits per operand (the task's "length").
//
// Encoding (ids in TOKENS):  pad 0, digit '0' 1, digit '1' 2, '+' 3, '*' 4; pairs 5 .. 8 (layout 'aligned').
//   add  input  a_0 .. a_{n-1} '+' b_0 .. b_{n-1}  pad..    (2n + 1 symbols: least-significant bit first)
//        target s_0 .. s_{m-1}  pad..                      (s = a + b, m digits, LSB first)
//   mul  the same with '*', s = a * b.
//   copy input x_0 .. x_{n-1} pad..; target the same.  reverse: target x_{n-1} .. x_0 pad..
// That is the released code's layout, 'concat'. Layout 'aligned' (ours) writes add and mul with the
// operands' bits of equal weight in one column, a pair symbol 5 + a_i + 2 b_i (shown A, B, C, D):
//   add  input  p_0 .. p_{n-1} A   pad..                   (n + 1 symbols: room for the carry out)
//   mul  input  p_0 .. p_{n-1} A.. pad..                   (2n symbols: room for the product)
// with the same targets: a digit's inputs are in its own column, not n + 1 columns away. The operands
// are written with leading zeros (pair A) out to the result's width, since the Neural GPU zeroes its state
// on padding columns and the result's high digits need live columns.
// Operand bits are uniform, so operands may have leading zeros, as in the released code. The result
// has no leading zeros (m is its bit count, 1 for zero) unless result: 'full', which writes n + 1 (add)
// or 2n (mul) digits. Inputs and targets are padded on the right to W (default: the input's length,
// 2n + 1 or n, which also holds every result): the output is read per position from the same columns.
// mask[i] = 1 where targets[i] is a digit (not pad): the positions the error rates count.
//
// Determinism: example `index` of (seed, task, split, n) is a pure function of those five values.
// Its random bits come from Philox4x32-10 (src/core/philox.ts) under the seed's key, counter
//   (block, index, stream << 24 | n, RNG_DOMAIN_TASKS),  stream = 2 * taskCode + (split === 'test'),
// stream bit k = bit (k % 32) of word k / 32, word w = lane w % 4 of block w / 4. add and mul take a =
// bits 0 .. n-1 and b = bits n .. 2n-1 (bit i of an operand has weight 2^i); copy and reverse take x =
// bits 0 .. n-1. The curriculum's draws use stream CURRICULUM_STREAM with word 1 = step, and the Neural
// GPU driver's step ratio stream 0xfe (experiments/neuralgpu.ts): a new stream takes another number.
// Integers and u32 words only: the same bits in every runtime.

import { RNG_DOMAIN_TASKS } from '../core/abi.js';
import { checkOptions, fail, show } from '../core/check.js';
import { philox4x32_10 } from '../core/philox.js';
import { seedHalves } from '../core/seed.js';

export type AlgorithmicTaskName = 'add' | 'mul' | 'copy' | 'reverse';
export type TaskSplit = 'train' | 'test';
/** 'minimal': the result without leading zeros (the released code); 'full': n + 1 (add) or 2n (mul) digits. */
export type ResultDigits = 'minimal' | 'full';
/** Where add's and mul's operands go: one after the other (the released code), or bit beside bit. */
export type InputLayout = 'concat' | 'aligned';
export const INPUT_LAYOUTS: readonly InputLayout[] = Object.freeze(['concat', 'aligned']);

/** Token ids of inputs and targets. */
export const TOKENS = Object.freeze({ pad: 0, zero: 1, one: 2, plus: 3, times: 4, pair: 5 });
/** Input vocabulary size of the 'concat' layout (ids 0 .. 4); vocabSize() gives either layout's. */
export const VOCAB_SIZE = 5;
/** Targets use only pad, '0' and '1' (ids 0 .. 2): an output softmax needs at least these 3 classes. */
export const OUTPUT_CLASSES = 3;
/** Longest operand: n lives in the low 24 bits of a counter word. */
export const MAX_TASK_LENGTH = 2 ** 24 - 1;
/** Largest example index + 1 (the index is a counter word). */
export const MAX_EXAMPLE_INDEX = 2 ** 32 - 1;

export const ALGORITHMIC_TASKS: readonly AlgorithmicTaskName[] = Object.freeze(['add', 'mul', 'copy', 'reverse']);
const TASK_CODES: Readonly<Record<AlgorithmicTaskName, number>> = { add: 1, mul: 2, copy: 3, reverse: 4 };
const CURRICULUM_STREAM = 0xff;
const SYMBOLS = ['_', '0', '1', '+', '*', 'A', 'B', 'C', 'D'];
const U32 = 2 ** 32;

/** A task and its lengths: plain, serialisable data (algorithmicTask() validates and fills defaults). */
export interface AlgorithmicTask {
  readonly name: AlgorithmicTaskName;
  /** Digits per operand the model trains on (the curriculum's maximum); the paper's 20. */
  readonly trainLength: number;
  /** Digits per operand to test generalisation at, ascending. */
  readonly testLengths: readonly number[];
  readonly result: ResultDigits;
  /** add's and mul's input layout; copy and reverse have only 'concat'. */
  readonly layout: InputLayout;
}

export interface AlgorithmicTaskOptions {
  /** Default 20: the Neural GPU was trained on numbers of up to 20 bits. */
  readonly trainLength?: number;
  /**
   * Default [20, 40, 100, 200]: the noise paper tests its Neural GPUs at 200 digits; Kaiser & Sutskever
   * report no errors "even on much longer numbers" (longer test lengths cost a wider Neural GPU: 2n + 1
   * columns).
   */
  readonly testLengths?: readonly number[];
  /** Default 'minimal'. */
  readonly result?: ResultDigits;
  /** Default 'concat', the released code's; 'aligned' for add and mul only. */
  readonly layout?: InputLayout;
}

/** One example: input, target and mask, each W positions. */
export interface AlgorithmicExample {
  readonly input: Int32Array;
  readonly target: Int32Array;
  readonly mask: Uint8Array;
}

export interface AlgorithmicBatchOptions {
  readonly seed: number;
  /** Digits per operand, 1 .. MAX_TASK_LENGTH. */
  readonly length: number;
  /** Examples in the batch. */
  readonly count: number;
  /** Index of the first example (default 0): examples start .. start + count - 1. */
  readonly start?: number;
  /** Default 'train'. 'test' draws from another stream, so a test set never repeats the training stream. */
  readonly split?: TaskSplit;
  /** Positions per example, at least inputWidth(task, length) (the default): pads inputs and targets. */
  readonly width?: number;
}

/** N examples of one length, row-major [N, W]. */
export interface AlgorithmicBatch {
  readonly task: AlgorithmicTaskName;
  readonly length: number;
  readonly count: number;
  readonly width: number;
  readonly start: number;
  readonly split: TaskSplit;
  /** [N, W] token ids. */
  readonly inputs: Int32Array;
  /** [N, W] token ids: pad, '0' or '1'. */
  readonly targets: Int32Array;
  /** [N, W] 1 where the target is a digit, 0 on padding. */
  readonly mask: Uint8Array;
}

const isInt = (v: unknown, lo: number, hi: number): v is number => Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;

function checkName(where: string, name: unknown): AlgorithmicTaskName {
  if (typeof name === 'string' && (ALGORITHMIC_TASKS as readonly string[]).includes(name)) return name as AlgorithmicTaskName;
  return fail(where, 'task', name, `one of ${ALGORITHMIC_TASKS.join(', ')}`);
}

function checkLength(where: string, field: string, v: unknown): number {
  if (!isInt(v, 1, MAX_TASK_LENGTH)) fail(where, field, v, `an integer from 1 to ${MAX_TASK_LENGTH}`);
  return v as number;
}

function checkSeed(where: string, seed: unknown): number {
  if (!isInt(seed, 0, Number.MAX_SAFE_INTEGER)) fail(where, 'seed', seed, 'an integer from 0 to 2^53 - 1');
  return seed as number;
}

/** A task object as algorithmicTask() makes it (plain data may come from JSON, so every field is checked). */
function checkTask(where: string, task: unknown): AlgorithmicTask {
  if (task === null || typeof task !== 'object') fail(where, 'task', task, "a task from algorithmicTask(), e.g. algorithmicTask('add')");
  const t = task as AlgorithmicTask;
  checkName(where, t.name);
  checkLength(where, 'task.trainLength', t.trainLength);
  if (!Array.isArray(t.testLengths)) fail(where, 'task.testLengths', t.testLengths, 'an array of lengths');
  t.testLengths.forEach((v, i) => checkLength(where, `task.testLengths[${i}]`, v));
  if (t.result !== 'minimal' && t.result !== 'full') fail(where, 'task.result', t.result, "'minimal' or 'full'");
  // Tasks stored before layouts existed have none: they are 'concat'.
  if (t.layout !== undefined) checkLayout(where, 'task.layout', t.name, t.layout);
  return t;
}

/** A layout for task `name`, or an error naming `field` (aligned needs two operands: add and mul). */
export function checkLayout(where: string, field: string, name: AlgorithmicTaskName, layout: unknown): InputLayout {
  if (layout !== 'concat' && layout !== 'aligned') fail(where, field, layout, "'concat' or 'aligned'");
  if (layout === 'aligned' && name !== 'add' && name !== 'mul') fail(where, field, layout, `'concat' for ${name} (only add and mul have two operands to align)`);
  return layout as InputLayout;
}

/**
 * A task with its train and test lengths, validated. `algorithmicTask('mul')` is the paper's setting:
 * train at up to 20 digits, test at 20, 40, 100 and 200.
 */
export function algorithmicTask(name: AlgorithmicTaskName, options?: AlgorithmicTaskOptions): AlgorithmicTask {
  const where = 'algorithmicTask';
  const task = checkName(where, name);
  const o = checkOptions(where, options, ['trainLength', 'testLengths', 'result', 'layout']);
  const trainLength = checkLength(where, 'trainLength', o.trainLength ?? 20);
  const tl = o.testLengths ?? [20, 40, 100, 200];
  if (!Array.isArray(tl) || tl.length === 0) fail(where, 'testLengths', tl, 'a non-empty array of lengths');
  (tl as unknown[]).forEach((v, i) => checkLength(where, `testLengths[${i}]`, v));
  const testLengths = [...new Set(tl as number[])].sort((a, b) => a - b);
  const result = o.result ?? 'minimal';
  if (result !== 'minimal' && result !== 'full') fail(where, 'result', result, "'minimal' or 'full'");
  const layout = checkLayout(where, 'layout', task, o.layout ?? 'concat');
  return Object.freeze({ name: task, trainLength, testLengths: Object.freeze(testLengths), result: result as ResultDigits, layout });
}

/**
 * Symbols an input of `length` digits per operand takes: 2n + 1 for add and mul, n for copy and reverse;
 * aligned, n + 1 for add and 2n for mul (the result's longest).
 */
export function inputWidth(task: AlgorithmicTaskName, length: number, layout: InputLayout = 'concat'): number {
  checkName('inputWidth', task);
  checkLength('inputWidth', 'length', length);
  checkLayout('inputWidth', 'layout', task, layout);
  if (layout === 'aligned') return task === 'add' ? length + 1 : 2 * length;
  return task === 'add' || task === 'mul' ? 2 * length + 1 : length;
}

/** Input vocabulary size of a layout: 5 for 'concat', 9 for 'aligned' (its pair symbols). */
export function vocabSize(layout: InputLayout = 'concat'): number {
  if (layout !== 'concat' && layout !== 'aligned') fail('vocabSize', 'layout', layout, "'concat' or 'aligned'");
  return layout === 'aligned' ? TOKENS.pair + 4 : VOCAB_SIZE;
}

/** The example's random bits: stream bits 0 .. bits - 1 as 0/1 bytes. */
function exampleBits(key: [number, number], stream: number, length: number, index: number, bits: number): Uint8Array {
  const out = new Uint8Array(bits);
  const w2 = (stream * 2 ** 24 + length) >>> 0;
  let block: Uint32Array = new Uint32Array(4);
  for (let k = 0; k < bits; k++) {
    const w = k >>> 5;
    if ((k & 127) === 0) block = philox4x32_10([w >>> 2, index, w2, RNG_DOMAIN_TASKS], key);
    out[k] = (block[w & 3]! >>> (k & 31)) & 1;
  }
  return out;
}

/** a + b over n-bit operands (LSB first): n + 1 bits, by ripple carry. Exported for tests. */
export function addBits(a: Uint8Array, b: Uint8Array): Uint8Array {
  const n = a.length;
  const s = new Uint8Array(n + 1);
  let carry = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i]! + b[i]! + carry;
    s[i] = v & 1;
    carry = v >>> 1;
  }
  s[n] = carry;
  return s;
}

/**
 * a * b over n-bit operands (LSB first): 2n bits. Schoolbook on 16-bit limbs: each partial product is
 * below 2^32 and a column sums at most 2^20 of them (n <= 2^24), so every column stays below 2^52,
 * exact in a double. Exported for tests.
 */
export function mulBits(a: Uint8Array, b: Uint8Array): Uint8Array {
  const n = a.length;
  const limbs = Math.ceil(n / 16);
  const toLimbs = (x: Uint8Array): Float64Array => {
    const l = new Float64Array(limbs);
    for (let i = 0; i < n; i++) if (x[i]) l[i >>> 4] += 2 ** (i & 15);
    return l;
  };
  const la = toLimbs(a);
  const lb = toLimbs(b);
  const col = new Float64Array(2 * limbs + 1);
  for (let i = 0; i < limbs; i++) {
    const ai = la[i]!;
    if (ai === 0) continue;
    for (let j = 0; j < limbs; j++) col[i + j] += ai * lb[j]!;
  }
  let carry = 0;
  for (let k = 0; k < col.length; k++) {
    const v = col[k]! + carry;
    const low = v % 65536;
    col[k] = low;
    carry = (v - low) / 65536;
  }
  const p = new Uint8Array(2 * n);
  for (let t = 0; t < 2 * n; t++) p[t] = (col[t >>> 4]! >>> (t & 15)) & 1;
  return p;
}

/** Writes one example at row offset `o` of the batch arrays. */
function writeExample(
  task: AlgorithmicTask, key: [number, number], split: TaskSplit, length: number, index: number,
  inputs: Int32Array, targets: Int32Array, mask: Uint8Array, o: number,
): void {
  const n = length;
  const stream = 2 * TASK_CODES[task.name] + (split === 'test' ? 1 : 0);
  const digit = (bit: number): number => (bit ? TOKENS.one : TOKENS.zero);
  if (task.name === 'copy' || task.name === 'reverse') {
    const x = exampleBits(key, stream, n, index, n);
    for (let i = 0; i < n; i++) {
      inputs[o + i] = digit(x[i]!);
      targets[o + i] = digit(x[task.name === 'copy' ? i : n - 1 - i]!);
      mask[o + i] = 1;
    }
    return;
  }
  const bits = exampleBits(key, stream, n, index, 2 * n);
  const a = bits.subarray(0, n);
  const b = bits.subarray(n, 2 * n);
  if (task.layout === 'aligned') {
    const w = task.name === 'add' ? n + 1 : 2 * n;
    for (let i = 0; i < w; i++) inputs[o + i] = i < n ? TOKENS.pair + a[i]! + 2 * b[i]! : TOKENS.pair;
  } else {
    for (let i = 0; i < n; i++) {
      inputs[o + i] = digit(a[i]!);
      inputs[o + n + 1 + i] = digit(b[i]!);
    }
    inputs[o + n] = task.name === 'add' ? TOKENS.plus : TOKENS.times;
  }
  const r = task.name === 'add' ? addBits(a, b) : mulBits(a, b);
  let m = r.length;
  if (task.result === 'minimal') {
    while (m > 1 && r[m - 1] === 0) m--;
  }
  for (let i = 0; i < m; i++) {
    targets[o + i] = digit(r[i]!);
    mask[o + i] = 1;
  }
}

/**
 * Examples start .. start + count - 1 of (seed, task, split, length), as [N, W] token ids, padded on the
 * right to `width`. Example i is the same bits whatever batch it is generated in.
 */
export function algorithmicBatch(task: AlgorithmicTask, options: AlgorithmicBatchOptions): AlgorithmicBatch {
  const where = 'algorithmicBatch';
  const t = checkTask(where, task);
  const o = checkOptions(where, options, ['seed', 'length', 'count', 'start', 'split', 'width'], false);
  const seed = checkSeed(where, o.seed);
  const length = checkLength(where, 'length', o.length);
  const count = o.count;
  if (!isInt(count, 0, MAX_EXAMPLE_INDEX)) fail(where, 'count', count, `an integer from 0 to ${MAX_EXAMPLE_INDEX}`);
  const start = o.start ?? 0;
  if (!isInt(start, 0, MAX_EXAMPLE_INDEX)) fail(where, 'start', start, `an integer from 0 to ${MAX_EXAMPLE_INDEX}`);
  if ((start as number) + (count as number) > MAX_EXAMPLE_INDEX) {
    fail(where, 'start + count', (start as number) + (count as number), `at most ${MAX_EXAMPLE_INDEX} (example indices are u32 counter words)`);
  }
  const split = o.split ?? 'train';
  if (split !== 'train' && split !== 'test') fail(where, 'split', split, "'train' or 'test'");
  const minWidth = inputWidth(t.name, length, t.layout);
  const width = o.width ?? minWidth;
  if (!isInt(width, minWidth, 2 ** 31 - 1)) {
    fail(where, 'width', width, `an integer of at least ${minWidth} (the input of ${t.name}${t.layout === 'aligned' ? ', aligned,' : ''} at length ${length})`);
  }
  const cells = (count as number) * (width as number);
  if (cells > 2 ** 31 - 1) fail(where, 'count * width', cells, 'at most 2^31 - 1 positions');
  const inputs = new Int32Array(cells);
  const targets = new Int32Array(cells);
  const mask = new Uint8Array(cells);
  const key = seedHalves(seed);
  for (let i = 0; i < (count as number); i++) {
    writeExample(t, key, split as TaskSplit, length, (start as number) + i, inputs, targets, mask, i * (width as number));
  }
  return Object.freeze({
    task: t.name, length, count: count as number, width: width as number, start: start as number, split: split as TaskSplit,
    inputs, targets, mask,
  });
}

/** Example `index` of (seed, task, split, length) at its input's width: algorithmicBatch's row, alone. */
export function algorithmicExample(task: AlgorithmicTask, seed: number, length: number, index: number, split: TaskSplit = 'train'): AlgorithmicExample {
  const b = algorithmicBatch(task, { seed, length, count: 1, start: index, split });
  return { input: b.inputs, target: b.targets, mask: b.mask };
}

/** Token ids as text, in stored order (LSB first): '0', '1', '+', '*', the pairs A .. D, and '_' for padding. */
export function tokensToString(ids: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) {
    const c = SYMBOLS[ids[i]!];
    if (c === undefined) throw new Error(`tokensToString: ids[${i}] is ${show(ids[i])} (need a token id from 0 to ${SYMBOLS.length - 1})`);
    s += c;
  }
  return s;
}

// ---- the curriculum ----

/**
 * Kaiser & Sutskever's curriculum over lengths, as their released trainer draws it (in digits per
 * operand here, in input symbols there): each step draws a length uniformly in [minLength, current];
 * with probability preferLonger it takes the larger of that and a second such draw; with probability
 * mixLonger the larger of that and a uniform draw in [minLength, maxLength]. `current` grows by one
 * when the sequence error at lengths <= current falls below advanceBelow (advanceCurriculum).
 */
export interface Curriculum {
  readonly minLength: number;
  /** The training length: no draw exceeds it. */
  readonly maxLength: number;
  /** Where `current` starts. */
  readonly startLength: number;
  /** Advance when the sequence error rate is below this. */
  readonly advanceBelow: number;
  readonly preferLonger: number;
  readonly mixLonger: number;
}

export interface CurriculumOptions {
  /** Default 1. */
  readonly minLength?: number;
  /** Default 20 (or the task's trainLength when built with curriculumOf). */
  readonly maxLength?: number;
  /** Default min(minLength + 1, maxLength): the released code starts at 6 input symbols, 2 digits a side. */
  readonly startLength?: number;
  /** Default 0.15, the released code's curriculum_bound. */
  readonly advanceBelow?: number;
  /** Default 0.6. */
  readonly preferLonger?: number;
  /** Default 0.25. */
  readonly mixLonger?: number;
}

function checkProbability(where: string, field: string, v: unknown): number {
  if (!(typeof v === 'number' && v >= 0 && v <= 1)) fail(where, field, v, 'a number from 0 to 1');
  return v as number;
}

/** A validated curriculum. */
export function curriculum(options?: CurriculumOptions): Curriculum {
  const where = 'curriculum';
  const o = checkOptions(where, options, ['minLength', 'maxLength', 'startLength', 'advanceBelow', 'preferLonger', 'mixLonger']);
  const minLength = checkLength(where, 'minLength', o.minLength ?? 1);
  const maxLength = checkLength(where, 'maxLength', o.maxLength ?? 20);
  if (maxLength < minLength) fail(where, 'maxLength', maxLength, `at least minLength (${minLength})`);
  const startLength = o.startLength ?? Math.min(minLength + 1, maxLength);
  if (!isInt(startLength, minLength, maxLength)) fail(where, 'startLength', startLength, `an integer from minLength (${minLength}) to maxLength (${maxLength})`);
  return Object.freeze({
    minLength, maxLength, startLength: startLength as number,
    advanceBelow: checkProbability(where, 'advanceBelow', o.advanceBelow ?? 0.15),
    preferLonger: checkProbability(where, 'preferLonger', o.preferLonger ?? 0.6),
    mixLonger: checkProbability(where, 'mixLonger', o.mixLonger ?? 0.25),
  });
}

/** The task's curriculum: maxLength is its trainLength. */
export function curriculumOf(task: AlgorithmicTask, options?: Omit<CurriculumOptions, 'maxLength'>): Curriculum {
  const t = checkTask('curriculumOf', task);
  const o = checkOptions('curriculumOf', options, ['minLength', 'startLength', 'advanceBelow', 'preferLonger', 'mixLonger']);
  return curriculum({ ...o, maxLength: t.trainLength });
}

function checkCurrent(where: string, c: Curriculum, current: unknown): number {
  if (!isInt(current, c.minLength, c.maxLength)) fail(where, 'current', current, `an integer from ${c.minLength} to ${c.maxLength}`);
  return current as number;
}

/** floor(u * range / 2^32) for a u32 word u: an integer in [0, range). */
const below = (u: number, range: number): number => Math.min(range - 1, Math.floor((u * range) / U32));

/**
 * The length to train on at `step` when the curriculum has reached `current`: a pure function of
 * (seed, step, current, curriculum). Its words come from Philox counter (block, step, 0xff << 24,
 * RNG_DOMAIN_TASKS), blocks 0 and 1.
 */
export function curriculumLength(c: Curriculum, current: number, seed: number, step: number): number {
  const where = 'curriculumLength';
  checkCurrent(where, c, current);
  const key = seedHalves(checkSeed(where, seed));
  if (!isInt(step, 0, U32 - 1)) fail(where, 'step', step, 'an integer from 0 to 2^32 - 1');
  const w2 = (CURRICULUM_STREAM * 2 ** 24) >>> 0;
  const w0 = philox4x32_10([0, step, w2, RNG_DOMAIN_TASKS], key);
  const w1 = philox4x32_10([1, step, w2, RNG_DOMAIN_TASKS], key);
  const lo = c.minLength;
  let l = lo + below(w0[0]!, current - lo + 1);
  if (w0[1]! / U32 < c.preferLonger) l = Math.max(l, lo + below(w0[2]!, current - lo + 1));
  if (w0[3]! / U32 < c.mixLonger) l = Math.max(l, lo + below(w1[0]!, c.maxLength - lo + 1));
  return l;
}

/**
 * The next `current`: one more digit when `sequenceErrorRate` (measured on lengths <= current, as the
 * released trainer does) is below advanceBelow, up to maxLength; else unchanged.
 */
export function advanceCurriculum(c: Curriculum, current: number, sequenceErrorRate: number): number {
  const where = 'advanceCurriculum';
  checkCurrent(where, c, current);
  checkProbability(where, 'sequenceErrorRate', sequenceErrorRate);
  return sequenceErrorRate < c.advanceBelow && current < c.maxLength ? current + 1 : current;
}

// ---- error rates ----

/** Errors counted over the digit positions (targets not pad) of a batch; rates are NaN when nothing counts. */
export interface ErrorRates {
  /** Positions whose target is a digit. */
  readonly digits: number;
  /** Of those, positions predicted wrong. */
  readonly digitErrors: number;
  readonly digitErrorRate: number;
  /** Examples with at least one digit position. */
  readonly sequences: number;
  /** Of those, examples with at least one wrong digit. */
  readonly sequenceErrors: number;
  readonly sequenceErrorRate: number;
}

function checkTargets(where: string, targets: unknown, width: unknown): void {
  if (!(targets instanceof Int32Array)) fail(where, 'targets', targets, 'an Int32Array of token ids [N, W]');
  if (!isInt(width, 1, 2 ** 31 - 1)) fail(where, 'width', width, 'a positive integer');
  const t = targets as Int32Array;
  if (t.length % (width as number) !== 0) fail(where, 'targets.length', t.length, `a multiple of width (${width as number})`);
}

function rates(digits: number, digitErrors: number, sequences: number, sequenceErrors: number): ErrorRates {
  return {
    digits, digitErrors, digitErrorRate: digits > 0 ? digitErrors / digits : NaN,
    sequences, sequenceErrors, sequenceErrorRate: sequences > 0 ? sequenceErrors / sequences : NaN,
  };
}

/** Counts the errors of predicted(i) against targets, row by row. */
function count(targets: Int32Array, width: number, predicted: (i: number) => number): ErrorRates {
  let digits = 0;
  let digitErrors = 0;
  let sequences = 0;
  let sequenceErrors = 0;
  for (let r = 0; r < targets.length; r += width) {
    let counted = 0;
    let wrong = 0;
    for (let i = r; i < r + width; i++) {
      if (targets[i] === TOKENS.pad) continue;
      counted++;
      if (predicted(i) !== targets[i]) wrong++;
    }
    digits += counted;
    digitErrors += wrong;
    if (counted > 0) sequences++;
    if (wrong > 0) sequenceErrors++;
  }
  return rates(digits, digitErrors, sequences, sequenceErrors);
}

/**
 * Error per digit and per sequence of predicted token ids [N, W] against targets [N, W]. Padding
 * positions of the target are ignored whatever is predicted there, as in the released code.
 */
export function errorRates(predictions: Int32Array, targets: Int32Array, width: number): ErrorRates {
  const where = 'errorRates';
  checkTargets(where, targets, width);
  if (!(predictions instanceof Int32Array)) fail(where, 'predictions', predictions, 'an Int32Array of token ids [N, W]');
  if (predictions.length !== targets.length) fail(where, 'predictions.length', predictions.length, `targets.length (${targets.length})`);
  return count(targets, width, (i) => predictions[i]!);
}

/**
 * errorRates of the argmax of logits [N, W, C] (the first of equal maxima, as numpy's argmax). A NaN
 * logit is an error naming its example, position and class.
 */
export function errorRatesFromLogits(logits: Float32Array, targets: Int32Array, width: number, classes: number): ErrorRates {
  const where = 'errorRatesFromLogits';
  checkTargets(where, targets, width);
  if (!isInt(classes, 1, 2 ** 31 - 1)) fail(where, 'classes', classes, 'a positive integer');
  if (!(logits instanceof Float32Array)) fail(where, 'logits', logits, 'a Float32Array [N, W, C]');
  if (logits.length !== targets.length * classes) {
    fail(where, 'logits.length', logits.length, `targets.length * classes (${targets.length} * ${classes} = ${targets.length * classes})`);
  }
  return count(targets, width, (i) => {
    let best = 0;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = logits[i * classes + c]!;
      if (Number.isNaN(v)) throw new Error(`${where}: logits[${Math.floor(i / width)}, ${i % width}, ${c}] is NaN`);
      if (c === 0 || v > max) {
        best = c;
        max = v;
      }
    }
    return best;
  });
}

/** The sum of error counts over several batches, with its rates. */
export function sumErrorRates(parts: readonly ErrorRates[]): ErrorRates {
  if (!Array.isArray(parts)) fail('sumErrorRates', 'parts', parts, 'an array of errorRates() results');
  let d = 0, de = 0, s = 0, se = 0;
  for (const p of parts) {
    d += p.digits;
    de += p.digitErrors;
    s += p.sequences;
    se += p.sequenceErrors;
  }
  return rates(d, de, s, se);
}
