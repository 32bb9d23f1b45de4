// The graph workloads of the peer benchmarks, built with gradnoise's functional API (`g` is the gradnoise
// module, so any build can be measured), and their synthetic data. Every peer (TF.js, PyTorch) implements
// the same computation from the description beside each builder, on the same data and initial weights
// (gradnoise's, seed 1, which the driver writes to its cache under the parameter names of these graphs).
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
  // Each table's story bag once: hop k's output memories (E[k+1]) are hop k+1's input memories.
  const memories = E.map((e) => bag(e, story)); //                      [S, D] each
  for (let k = 0; k < K; k++) {
    const m = memories[k], c = memories[k + 1];
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

// W6, a LeNet-5-style CNN on MNIST (issue #17), NHWC:
//   image [28, 28, 1] in [0, 1], label [] in [0, 10)
//   conv 5x5, 6 filters, 'same' (pad 2), + ReLU -> [28, 28, 6]; max pool 2x2 (stride 2) -> [14, 14, 6]
//   conv 5x5, 16 filters, 'valid', + ReLU       -> [10, 10, 16]; max pool 2x2       -> [5, 5, 16]
//   flatten (h, w, c order) -> 400; dense 120 + ReLU; dense 84 + ReLU; dense 10; softmax cross-entropy
// Kernels [KH, KW, C, F] and [IN, OUT], Glorot uniform, zero biases. Batch 64, plain SGD (lr 0.01).
export const W6 = { H: 28, W: 28, classes: 10, batch: 64 };

/** The W6 graph. Parameter names: conv1, conv2, fc1, fc2, fc3 (each /kernel and /bias). */
export function lenet(g) {
  const { graph, input, layers, losses, ops } = g;
  const image = input('image', [W6.H, W6.W, 1]), label = input('label', [], { dtype: 'i32' });
  let h = layers.conv2d(6, { kernelSize: 5, padding: 'same', activation: 'relu', name: 'conv1' })(image);
  h = layers.maxPool2d(2, { name: 'pool1' })(h);
  h = layers.conv2d(16, { kernelSize: 5, padding: 'valid', activation: 'relu', name: 'conv2' })(h);
  h = layers.maxPool2d(2, { name: 'pool2' })(h);
  h = ops.flatten(h);
  h = layers.dense(120, { activation: 'relu', name: 'fc1' })(h);
  h = layers.dense(84, { activation: 'relu', name: 'fc2' })(h);
  const logits = layers.dense(W6.classes, { name: 'fc3' })(h);
  return graph({ inputs: [image, label], outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, label)] });
}

// W7, a 1-layer LSTM on the adding problem (Hochreiter & Schmidhuber 1997, experiment 4; issue #17):
//   x [T = 50, 2]: per step a value in [0, 1) and a marker (1 at exactly two steps, one in each half of
//   the sequence, else 0); target [1] = the sum of the two marked values
//   LSTM, hidden H = 128, PyTorch's equations and gate order (i, f, g, o), both biases b_ih and b_hh, zero
//   initial state; the last state h_T -> dense(1) (kernel [128, 1], bias [1]); mean squared error
// LSTM weights PyTorch's default U(-1/sqrt(H), 1/sqrt(H)); the dense layer Glorot uniform, zero bias.
// Batch 32, plain SGD (lr 0.01).
export const W7 = { T: 50, H: 128, batch: 32 };

/** The W7 graph. Parameter names: lstm/{weight_ih,weight_hh,bias_ih,bias_hh}_l0, out/kernel, out/bias. */
export function addingLstm(g, { T, H } = W7) {
  const { graph, input, layers, losses } = g;
  const x = input('x', [T, 2]), target = input('target', [1]);
  const h = layers.lstm(H, { name: 'lstm' })(x);
  const y = layers.dense(1, { name: 'out' })(h);
  return graph({ inputs: [x, target], outputs: [y], losses: [losses.meanSquaredError(y, target)] });
}

/** Adding-problem sequences: x [count, T, 2] and target [count, 1]; deterministic from `seed`. */
export function addingData(count, seed = 1, { T } = W7) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = new Float32Array(count * T * 2), target = new Float32Array(count);
  const half = T >> 1;
  for (let n = 0; n < count; n++) {
    for (let t = 0; t < T; t++) x[(n * T + t) * 2] = next();
    const a = Math.floor(next() * half), b = half + Math.floor(next() * (T - half));
    x[(n * T + a) * 2 + 1] = 1;
    x[(n * T + b) * 2 + 1] = 1;
    target[n] = Math.fround(x[(n * T + a) * 2]) + Math.fround(x[(n * T + b) * 2]);
  }
  return { x, target };
}

// W8, the Neural GPU (Kaiser & Sutskever 2015; issue #19) as src/model/neuralgpu.ts builds it, at the scale
// of src/experiments/neuralgpu.ts's default experiment (task add, length 8):
//   tokens [W = 17] ids in [0, 5) (0 = padding), targets [W] classes in [0, 3) (0 = padding, ignored)
//   e = tanh(embedding(tokens)) [W, m] (m = 12 maps; the padding id reads a zero vector), first = e · Win + bin
//   the state s [W, h = 2, m]: row 0 = first, row 1 = 0, every column of a padding token zeroed (the mask)
//   W steps, each 2 CGRUs (cgru_0, cgru_1, the same parameters every step), each followed by the mask:
//     g = conv3x3_same(s; gates [3, 3, m, 2m]) + gatesBias, u = σc(g[:m]), r = σc(g[m:]),
//     σc(x) = clip(1.2 σ(x) − 0.1, 0, 1) (the released code's cutoff 1.2),
//     s = u ⊙ s + (1 − u) ⊙ tanh(conv3x3_same(r ⊙ s; candidate [3, 3, m, m]) + candidateBias)
//   logits = s[:, 0, :] · Wout + bout [W, 3]; per example the mean softmax cross-entropy over the positions
//   whose target is not padding, then the mean over the batch
// Weights: the model's own init (embedding U(-1.7, 1.7), Glorot uniform kernels, gate biases 1, other
// biases 0). Batch 16; the update: clip by global norm 1, then Adam (lr 0.003, betas 0.9, 0.999, eps 1e-8).
export const W8 = { width: 17, length: 8, vocab: 5, classes: 3, height: 2, maps: 12, layers: 2, cutoff: 1.2, batch: 16, lr: 0.003, clip: 1 };

/** The W8 graph: neuralGpu(W8's options) written with `g`'s builder (the driver checks the two specs agree). */
export function neuralGpuGraph(g, { width: W, vocab, classes, height: h, maps: m, layers: L, cutoff } = W8) {
  const { graph, input, layers, losses, ops } = g;
  const tokens = input('tokens', [W], { dtype: 'i32' }), targets = input('targets', [W], { dtype: 'i32' });
  const embedded = ops.tanh(layers.embedding(vocab, m, { paddingId: 0, init: { kind: 'uniform', low: -1.7, high: 1.7 }, name: 'embedding' })(tokens));
  const first = layers.dense(m, { name: 'input' })(embedded);
  const mask = ops.matmul(ops.reshape(ops.tokenMask(tokens), [W, 1]), ops.constant(new Array(h * m).fill(1), [1, h * m]), { name: 'mask' });
  let s = ops.mul(ops.reshape(ops.pad(first, 0, (h - 1) * m), [W, h, m]), ops.reshape(mask, [W, h, m]));
  const masked = (t) => ops.mul(t, ops.reshape(mask, [W, h, m]));
  const cells = Array.from({ length: L }, (_, l) => layers.cgru({ kernelSize: 3, gatesBias: { kind: 'constant', value: 1 }, cutoff, name: `cgru_${l}` }));
  for (let i = 0; i < W; i++) for (const cell of cells) s = masked(cell(s));
  const logits = layers.dense(classes, { name: 'output' })(ops.slice(ops.reshape(s, [W, h * m]), 0, m));
  return graph({ inputs: [tokens, targets], outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, targets, { ignoreIndex: 0 })] });
}

/** W8's data: the first `count` training examples of the add task at length 8 (seed 1), as the experiment draws them. */
export function neuralGpuData(g, count = 4096, seed = 1) {
  const b = g.algorithmicBatch(g.algorithmicTask('add'), { seed, length: W8.length, count, split: 'train', width: W8.width });
  return { tokens: b.inputs, targets: b.targets };
}

/**
 * The graph workloads as the driver and the runners use them: the builder, the batch, which inputs the
 * network reads (the rest are the losses' targets), the data (`mnist`: the driver's permuted MNIST
 * cache, { x: count x 784 f32 in [0, 1], y: labels }; `g`: the gradnoise module) and, where it is not plain
 * SGD (lr 0.01), the update (`optimizer(g)`).
 */
export const GRAPHS = {
  W5: { build: memoryBlock, batch: W5.batch, features: ['story', 'query'],
    data: () => { const d = memoryData(4096, 1); return { story: d.story, query: d.query, answer: d.answer }; } },
  W6: { build: lenet, batch: W6.batch, features: ['image'], data: (mnist) => ({ image: mnist.x, label: Int32Array.from(mnist.y) }) },
  W7: { build: addingLstm, batch: W7.batch, features: ['x'], data: () => { const d = addingData(4096, 1); return { x: d.x, target: d.target }; } },
  W8: { build: neuralGpuGraph, batch: W8.batch, features: ['tokens'], data: (_mnist, g) => neuralGpuData(g),
    optimizer: (g) => g.chain(g.clipByGlobalNorm(W8.clip), g.adam({ lr: W8.lr })) },
};
