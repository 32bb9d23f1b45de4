// The models of the ONNX export checks, built with gradnoise's functional API (`g` is the gradnoise module,
// `neuralGpu` its src/model/neuralgpu.ts builder, so the sources and any build can be measured), and their
// inputs: the paper's net, a CNN, LSTM and GRU stacks (with and without a padding mask), the memory network
// block of bench:peers, a small Neural GPU, and one graph that uses every other op. test/ts/export/onnx.test.ts
// and bench/export/onnx-agreement.mjs run them.
//
// A case is { name, spec, rows, inputs: { <feature input>: rows x shape values } }.
import { memoryBlock, memoryData } from '../peers/models.mjs';

/** A 32-bit LCG (Numerical Recipes constants) giving values in [-1, 1), as test/ts/helpers.ts lcg(). */
function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

const floats = (n, seed, scale = 1) => {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, () => Math.fround(r() * scale));
};
const ids = (n, seed, vocab, padding = 0) => {
  const r = lcg(seed);
  return Int32Array.from({ length: n }, () => {
    const v = Math.floor(((r() + 1) / 2) * vocab);
    return v < padding ? 0 : Math.min(v, vocab - 1);
  });
};

/** The paper's MNIST net: 20 x 50 ReLU, He init. */
export function paperCase(g, rows = 5) {
  return { name: 'paper net', spec: g.paperNet('he'), rows, inputs: { x: floats(rows * 784, 11, 0.5).map((v) => v + 0.5) } };
}

/** A small CNN: convolutions with same, valid and explicit padding, stride and dilation, both poolings. */
export function cnnCase(g, rows = 3) {
  const { graph, input, layers, losses, ops } = g;
  const x = input('image', [12, 11, 2]), label = input('label', [], { dtype: 'i32' });
  let h = layers.conv2d(4, { kernelSize: 3, padding: 'same', activation: 'relu' })(x); //          [12, 11, 4]
  h = layers.maxPool2d(2, { padding: 'same' })(h); //                                             [6, 6, 4]
  h = layers.conv2d(6, { kernelSize: [3, 2], strides: [2, 1], padding: [1, 0], activation: 'tanh' })(h); // [3, 5, 6]
  h = layers.conv2d(5, { kernelSize: 2, dilation: 2, padding: 'same', activation: 'leakyRelu', alpha: 0.1 })(h); // [3, 5, 5]
  h = layers.avgPool2d(2, { strides: 1, padding: 'same', countPad: true })(h); //                  [3, 5, 5]
  const a = layers.avgPool2d(3, { strides: 2, padding: [1, 1] })(h); //                           [2, 3, 5]
  const logits = layers.dense(10, { name: 'logits' })(ops.flatten(a));
  return {
    name: 'CNN', rows, spec: graph({ outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, label)] }),
    inputs: { image: floats(rows * 12 * 11 * 2, 12) },
  };
}

/** Stacked recurrent layers over [T, features]: ONNX's own LSTM/GRU, or unrolled with a mask. */
export function recurrentCase(g, kind, masked, rows = 4) {
  const { graph, input, layers, losses, ops } = g;
  const T = 7;
  const x = input('x', [T, 3]), mask = input('mask', [T]), y = input('y', [2]);
  const rec = layers[kind](6, { layers: 2, returnSequences: true });
  const seq = masked ? rec(x, mask) : rec(x); //                                                   [T, 6]
  const last = layers[kind === 'lstm' ? 'gru' : 'lstm'](5)(seq); //                                   [5], the other kind, last state
  const out = layers.dense(2, { name: 'head' })(ops.concat([last, ops.mean(seq, { axis: 0 })]));
  const spec = graph({ inputs: masked ? [x, mask, y] : [x, y], outputs: [out, seq], losses: [losses.meanSquaredError(out, y)] });
  // Mask: example 0 whole, 1 right-padded, 2 with holes, 3 left-padded.
  const m = new Float32Array(rows * T).fill(1);
  [[1, 5], [1, 6], [2, 1], [2, 4], [3, 0], [3, 1], [3, 2]].forEach(([r, t]) => { if (r < rows) m[r * T + t] = 0; });
  return { name: `${kind.toUpperCase()}${masked ? ' with a mask' : ''}`, rows, spec, inputs: { x: floats(rows * T * 3, 13), ...(masked ? { mask: m } : {}) } };
}

/** The memory network block of bench:peers (W5), smaller. */
export function memoryCase(g, rows = 4) {
  const dims = { S: 10, L: 4, D: 8, V: 20, K: 3 };
  const data = memoryData(rows, 3, dims);
  return { name: 'memory network', rows, spec: memoryBlock(g, dims), inputs: { story: data.story, query: data.query } };
}

/** A small Neural GPU (src/model/neuralgpu.ts): 2 CGRUs per step, 3 steps, relaxed sharing over 2 sets, padding columns masked; optionally diagonal gates. */
export function neuralGpuCase(g, neuralGpu, rows = 3, diagonal = false) {
  const W = 6;
  const tokens = ids(rows * W, 14, 5);
  for (let r = 0; r < rows; r++) for (let j = W - r; j < W; j++) tokens[r * W + j] = 0; // example r: r padding columns
  return {
    name: diagonal ? 'Neural GPU, diagonal gates' : 'Neural GPU', rows,
    spec: neuralGpu({ width: W, vocab: 5, classes: 4, height: 3, maps: 4, layers: 2, steps: 3, relax: 2, ...(diagonal ? { diagonal } : {}) }),
    inputs: { tokens },
  };
}

/** Every remaining op at least once: conv1d, 1-d pooling, elementwise ops, attention forms, masks, sources, a CGRU with a gate cutoff. */
export function opsCase(g, rows = 3) {
  const { graph, input, layers, losses, ops } = g;
  const x = input('x', [5, 4]), tok = input('tok', [5, 3], { dtype: 'i32' }), t = input('t', [4]);
  const c = layers.conv1d(3, { kernelSize: 2, padding: 'same', activation: 'sigmoid' })(x); //      [5, 3]
  const p = ops.pad(layers.maxPool1d(2, { strides: 1 })(c), 1, 2); //                              [4, 6]
  const q = layers.avgPool1d(2, { padding: 'same' })(layers.conv1d(3, { kernelSize: 3, strides: 2, padding: [1] })(x)); // [2, 3]
  const e = layers.embedding(9, 3, { paddingId: 0 })(tok); //                                        [5, 3, 3]
  const bag = layers.embedding(9, 3).bag(tok); //                                                    [5, 3]
  const keys = ops.tokenMask(tok, { reduce: 'any' }); //                                            [5]
  const tm = ops.tokenMask(tok, { paddingId: 2 }); //                                               [5, 3]
  const P = layers.parameter([3, 3], { name: 'P', init: { kind: 'normal', std: 0.5 } });
  const pe = ops.constant(Array.from({ length: 9 }, (_, i) => Math.sin(i)), [3, 3], { name: 'pe' });
  const m1 = ops.matmul(bag, P); //                                                                  [5, 3]  batched x static
  const m2 = ops.matmul(P, bag, { transposeB: true }); //                                            [3, 5]  static x batched
  const att = ops.softmax(ops.matmul(m1, bag, { transposeB: true }), { mask: keys }); //             [5, 5]  batched key mask
  const att2 = ops.softmax(ops.matmul(c, ops.sum(e, { axis: 1 }), { transposeA: true }), { mask: ops.constant([1, 0, 1], [3]) }); // [3, 3] static mask
  const att3 = ops.softmax(ops.add(pe, P)); //                                                       [3, 3]  static, no mask
  const e2 = ops.add(e, ops.matmul(att2, att3)); //                                                  [5, 3, 3]  b batched, one axis fewer
  const mixed = ops.matmul(att, ops.mul(ops.add(m1, ops.reshape(ops.slice(pe, 1, 1), [3])), ops.sub(bag, c))); // [5, 3]
  const red = ops.add(ops.scale(ops.mean(mixed, { axis: -2 }), 0.5), ops.sum(ops.mul(tm, ops.tanh(ops.mean(e2, { axis: -1 }))), { axis: 0 })); // [3]
  // A CGRU with the released Neural GPU code's gate cutoff, its gate biases large enough that the clip holds somewhere.
  const cg = layers.cgru({ cutoff: 1.2, gatesBias: { kind: 'normal', std: 3 } })(ops.reshape(x, [5, 2, 2])); // [5, 2, 2]
  const fused = ops.concat([red, ops.reshape(q, [6]), ops.reshape(m2, [15]), ops.reshape(p, [24]),
    ops.reshape(ops.leakyRelu(layers.dropout(0.5)(ops.sigmoid(att)), { alpha: 0.2 }), [25]), ops.reshape(cg, [20])]); // [93]
  const h = layers.dense(4, { activation: 'relu' })(ops.relu(fused)); //                             [4]
  const perStep = layers.dense(2, { activation: 'tanh' })(x); //                                      [5, 2]  dense over the last axis
  const gain = layers.parameter([4], { name: 'gain', init: { kind: 'normal', std: 1 } });
  const out = ops.add(ops.add(h, ops.mul(t, gain)), ops.slice(ops.reshape(perStep, [10]), 3, 4));
  return {
    name: 'every other op', rows, spec: graph({ outputs: [out, att], losses: [losses.meanSquaredError(out, input('target', [4]))] }),
    inputs: { x: floats(rows * 20, 15), tok: ids(rows * 15, 16, 9, 2), t: floats(rows * 4, 17) },
  };
}

/** Every case, small. */
export const allCases = (g, neuralGpu) => [paperCase(g), cnnCase(g), recurrentCase(g, 'lstm', false), recurrentCase(g, 'gru', false),
  recurrentCase(g, 'lstm', true), recurrentCase(g, 'gru', true), memoryCase(g), neuralGpuCase(g, neuralGpu), neuralGpuCase(g, neuralGpu, 3, true), opsCase(g)];

/**
 * The graphs of test/fixtures/pytorch/models.py's MLP and LSTMHead, whose PyTorch-trained weights are
 * test/fixtures/pytorch/{mlp,lstm}.safetensors: the MLP with gradnoise's default layer names (and the
 * renames MLP_NAMES), the LSTM with its layers named as the module's attributes (no renames).
 */
export function pytorchMlp(g) {
  const { graph, input, layers, losses } = g;
  const x = input('x', [6]), y = input('y', [3]);
  const out = layers.dense(3)(layers.dense(16, { activation: 'tanh' })(layers.dense(16, { activation: 'relu' })(x)));
  return graph({ outputs: [out], losses: [losses.meanSquaredError(out, y)] });
}
export const MLP_NAMES = { dense_0: 'fc1', dense_1: 'fc2', dense_2: 'out' };

export function pytorchLstm(g) {
  const { graph, input, layers, losses } = g;
  const x = input('x', [7, 3]), y = input('y', [2]);
  const out = layers.dense(2, { name: 'head' })(layers.lstm(8, { layers: 2, name: 'lstm' })(x));
  return graph({ outputs: [out], losses: [losses.meanSquaredError(out, y)] });
}
