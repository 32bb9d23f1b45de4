// The graph workloads of the peer benchmarks, built with gradnoise's functional API (`g` is the gradnoise
// module, so any build can be measured). Every peer (TF.js, PyTorch) implements the same computation from
// the description beside each builder, on the same data and initial weights.
//
// W5, a memory-network block (issue #16; Sukhbaatar et al. 2015's MemN2N with adjacent weight tying):
//   inputs  story [S = 50, L = 6] and query [L] token ids (0 = padding), answer [] in [0, V)
//   tables  E_0 .. E_K, each [V, D] (K = 3 hops, V = 180, D = 32), E_0 the query's (B = A_1), hop k reads
//           memories through A_k = E_k and outputs through C_k = E_{k+1}
//   m_i = sum_j PE[j] * A_k[story_ij]        PE [L, D]: Sukhbaatar's position encoding, a constant
//   u   = sum_j PE[j] * E_0[query_j]
//   hop k: p = softmax_i(m_i · u) over the sentences that hold a word (a key mask), o = sum_i p_i c_i,
//          u = u + o (c_i from C_k as m_i from A_k)
//   logits = u · E_Kᵀ (the last output table, transposed: no bias); softmax cross-entropy with the answer
// Batch 32, plain SGD (lr 0.01).
export const W5 = { S: 50, L: 6, D: 32, V: 180, K: 3, batch: 32 };

/** Sukhbaatar et al. 2015, section 4.1: l_kj = (1 - j/J) - (k/d)(1 - 2j/J), j = 1..J words, k = 1..d dims. */
export function positionEncoding(J, d) {
  const pe = new Float32Array(J * d);
  for (let j = 1; j <= J; j++) for (let k = 1; k <= d; k++) pe[(j - 1) * d + (k - 1)] = (1 - j / J) - (k / d) * (1 - (2 * j) / J);
  return pe;
}

/** The W5 graph. */
export function memoryBlock(g, { S, L, D, V, K } = W5) {
  const { graph, input, layers, losses, ops } = g;
  const story = input('story', [S, L], { dtype: 'i32' }), query = input('query', [L], { dtype: 'i32' });
  const answer = input('answer', [], { dtype: 'i32' });
  const E = Array.from({ length: K + 1 }, (_, k) => layers.embedding(V, D, { paddingId: 0, init: { kind: 'normal', std: 0.1 }, name: `E${k}` }));
  const pe = ops.constant(positionEncoding(L, D), [L, D]);
  const bag = (emb, ids) => emb.bag(ids, { weights: pe }); //         [S, D] for a story, [D] for the query
  const keys = ops.tokenMask(story, { reduce: 'any' }); //              [S]: 1 where the sentence holds a word
  let u = bag(E[0], query);
  for (let k = 0; k < K; k++) {
    const m = bag(E[k], story), c = bag(E[k + 1], story); //             [S, D]
    const scores = ops.reshape(ops.matmul(ops.reshape(u, [1, D]), m, { transposeB: true }), [S]);
    const p = ops.softmax(scores, { mask: keys });
    const o = ops.reshape(ops.matmul(ops.reshape(p, [1, S]), c), [D]);
    u = ops.add(u, o);
  }
  const logits = layers.dense(V, { kernel: E[K].param('embeddings'), transposeKernel: true, useBias: false, name: 'logits' })(u);
  return graph({ outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, answer)] });
}

/**
 * Synthetic stories for W5 (speed is what W5 measures): example n holds 10..S sentences of 3..L words of
 * ids 1..V-1 (the rest padding 0), a query of 3..L words, an answer id; deterministic from `seed`.
 */
export function memoryData(count, seed = 1, { S, L, V } = W5) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const story = new Int32Array(count * S * L), query = new Int32Array(count * L), answer = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const sentences = 10 + Math.floor(next() * (S - 9));
    for (let i = 0; i < sentences; i++) {
      const words = 3 + Math.floor(next() * (L - 2));
      for (let j = 0; j < words; j++) story[(n * S + i) * L + j] = 1 + Math.floor(next() * (V - 1));
    }
    const q = 3 + Math.floor(next() * (L - 2));
    for (let j = 0; j < q; j++) query[n * L + j] = 1 + Math.floor(next() * (V - 1));
    answer[n] = 1 + Math.floor(next() * (V - 1));
  }
  return { story, query, answer };
}
