// End-To-End Memory Networks (Sukhbaatar, Szlam, Weston & Fergus 2015, arXiv:1503.08895) as a graph, for
// bAbI question answering, following the authors' released code (facebook/MemNN, MemN2N-babi-matlab) where
// the paper leaves things open:
//   - K hops with ADJACENT weight tying: embedding tables E_0 .. E_K; the question reads E_0 (B = A_1), hop k
//     reads memories through A_k = E_k and outputs through C_k = E_{k+1}, and the answer layer is E_Kᵀ
//     (W = C_K, no bias).
//   - Sentences as bags of words with POSITION ENCODING: m_i = sum_j l_j ⊙ A x_ij with the released code's
//     l_kj = 1 + 4 (k - (d+1)/2)(j - (J+1)/2) / (d J) (the paper's formula, shifted and scaled), J the
//     row length plus one.
//   - TEMPORAL ENCODING as the released code does it: each memory row gets one more word, a time word
//     (vocabulary + its recency), so T_A(i) is the time word's row of A, tied across hops like the words.
//   - RANDOM EMPTY MEMORIES while training (randomize_time 0.1): the time words of an epoch skip up to 10%
//     extra slots at random (memnnEpoch below), so the model does not learn the exact recency.
//   - LINEAR START as an option: `linear: true` is the same graph without the softmax of the hops (the
//     first stage of two-stage training), with the same parameter names, so its weights carry over.
//   - Empty memory slots are masked out of the softmax (the released code gives them score 0 instead).
import { graph, input, layers, losses, ops } from '../graph/builder.js';
import type { GraphSpec } from '../graph/spec.js';
import { checkFields, int, nullish, boolean, number } from '../core/check.js';
import { philox4x32_10 } from '../core/philox.js';
import { seedHalves } from '../core/seed.js';

export interface MemN2NOptions {
  /** Word ids 0 .. vocab - 1 (0 is padding); time words follow: vocab .. vocab + memory - 1. */
  readonly vocab: number;
  /** Memory slots M (default 50). */
  readonly memory?: number;
  /** Words per sentence L (the time word comes on top). */
  readonly words: number;
  /** Embedding dimension d (default 50, the joint setting; the paper uses 20 for single tasks). */
  readonly dim?: number;
  /** Hops K (default 3). */
  readonly hops?: number;
  /** Linear start: no softmax in the hops (the first stage of two-stage training). Default false. */
  readonly linear?: boolean;
  /** Initial weights N(0, std²) (default 0.1, as the released code). */
  readonly std?: number;
}

/**
 * The position encoding of the released code, as a [J - 1 + (time ? 1 : 0), d] table over J = words + 1
 * columns: memories use all J (words, then the time word), the question the first J - 1.
 */
export function memnnPositionEncoding(words: number, dim: number, time: boolean): Float32Array {
  const J = words + 1, rows = time ? J : J - 1;
  const pe = new Float32Array(rows * dim);
  for (let j = 1; j <= rows; j++) {
    for (let k = 1; k <= dim; k++) pe[(j - 1) * dim + (k - 1)] = 1 + (4 * (k - (dim + 1) / 2) * (j - (J + 1) / 2)) / dim / J;
  }
  return pe;
}

/**
 * The MemN2N graph: inputs `story` [M, L + 1] (each slot's word ids, then its time word; all 0 for an empty
 * slot), `query` [L], target `answer` []; output the answer's logits over the vocabulary and time words.
 */
export function memN2N(options: MemN2NOptions): GraphSpec {
  const o = checkFields<MemN2NOptions>('memN2N', options, {
    vocab: int(2, 1 << 20), memory: nullish(int(1, 4096)), words: int(1, 4096), dim: nullish(int(1, 4096)),
    hops: nullish(int(1, 16)), linear: nullish(boolean), std: nullish(number({ min: 0, minOpen: true })),
  }, { optional: false });
  const M = o.memory ?? 50, L = o.words, d = o.dim ?? 50, K = o.hops ?? 3, V = o.vocab + M;
  const story = input('story', [M, L + 1], { dtype: 'i32' }), query = input('query', [L], { dtype: 'i32' });
  const answer = input('answer', [], { dtype: 'i32' });
  const E = Array.from({ length: K + 1 }, (_, k) => layers.embedding(V, d, { paddingId: 0, init: { kind: 'normal', std: o.std ?? 0.1 }, name: `E${k}` }));
  const peAll = memnnPositionEncoding(L, d, true);
  const peMemory = ops.constant(peAll, [L + 1, d], { name: 'pe_memory' });
  const peQuery = ops.constant(peAll.subarray(0, L * d), [L, d], { name: 'pe_query' });
  const slots = ops.tokenMask(story, { reduce: 'any', name: 'slots' }); // [M]: 1 for a slot that holds a sentence
  let u = E[0]!.bag(query, { weights: peQuery });
  for (let k = 0; k < K; k++) {
    const m = E[k]!.bag(story, { weights: peMemory }), c = E[k + 1]!.bag(story, { weights: peMemory }); // [M, d]
    const scores = ops.reshape(ops.matmul(ops.reshape(u, [1, d]), m, { transposeB: true }), [M]);
    const p = o.linear ? scores : ops.softmax(scores, { mask: slots });
    const out = ops.reshape(ops.matmul(ops.reshape(p, [1, M]), c), [d]);
    u = ops.add(u, out);
  }
  const logits = layers.dense(V, { kernel: E[K]!.param('embeddings'), transposeKernel: true, useBias: false, name: 'answer_logits' })(u);
  return graph({ inputs: [story, query, answer], outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, answer)] });
}

export interface MemN2NExamples {
  /** [N, M, L] word ids of each example's memory (the last M statements, oldest first), 0 padding. */
  readonly memory: Int32Array;
  /** [N] real rows of each memory. */
  readonly sentences: Int32Array;
  readonly queries: Int32Array;
  readonly answers: Int32Array;
}

/** Philox's stream for the random empty memories (word 3 of the counter; no other stream uses it). */
const DOMAIN_RANDOM_TIME = 0x6d656d31; // "mem1"

/**
 * The model's inputs for one epoch: story [N, M, L + 1] with each slot's time word vocab + (recency), and
 * with `randomize` > 0 (training) the released code's random empty memories: example n with s sentences
 * gets b = a uniform draw from 0 .. ceil(s * randomize) blank slots, its s sentences take s distinct
 * recencies drawn from 1 .. s + b (sorted: the latest sentence the smallest), capped at M. A pure function
 * of (seed, epoch, n).
 */
export function memnnEpoch(x: MemN2NExamples, vocab: number, M: number, L: number,
                           o: { readonly randomize?: number; readonly seed?: number; readonly epoch?: number } = {}): { story: Int32Array; query: Int32Array; answer: Int32Array } {
  const N = x.answers.length, randomize = o.randomize ?? 0, key = seedHalves(o.seed ?? 0);
  const story = new Int32Array(N * M * (L + 1));
  const pool: number[] = [];
  for (let n = 0; n < N; n++) {
    const s = x.sentences[n]!;
    // Recencies (1 = the latest) of rows 0 .. s-1, oldest first.
    let rec: number[];
    if (randomize > 0 && s > 0) {
      let block = 0, words = philox4x32_10([0, n >>> 0, (o.epoch ?? 0) >>> 0, DOMAIN_RANDOM_TIME], key), used = 0;
      const next = (bound: number) => {
        if (used === 4) { words = philox4x32_10([++block, n >>> 0, (o.epoch ?? 0) >>> 0, DOMAIN_RANDOM_TIME], key); used = 0; }
        return Math.floor((words[used++]! * bound) / 2 ** 32);
      };
      const blanks = next(Math.ceil(s * randomize) + 1);
      pool.length = 0;
      for (let i = 1; i <= s + blanks; i++) pool.push(i);
      for (let i = 0; i < s; i++) { // a partial Fisher-Yates shuffle: s distinct draws
        const j = i + next(pool.length - i);
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      rec = pool.slice(0, s).sort((a, b) => b - a).map((r) => Math.min(r, M));
    } else {
      rec = Array.from({ length: s }, (_, r) => s - r);
    }
    for (let r = 0; r < M; r++) {
      const dst = (n * M + r) * (L + 1);
      story.set(x.memory.subarray((n * M + r) * L, (n * M + r + 1) * L), dst);
      if (r < s) story[dst + L] = vocab + rec[r]! - 1;
    }
  }
  return { story, query: x.queries, answer: x.answers };
}
