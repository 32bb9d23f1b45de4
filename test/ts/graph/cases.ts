// The graphs every op is tested in: small models built with the functional API, each with a loss that
// depends on every parameter, at edge shapes (1, odd sizes, SIMD tails), with deterministic inputs and
// parameters. Shared by the f64 finite-difference check of the reference path (reference.test.ts), the
// wasm-against-reference check (ops.test.ts) and the PyTorch fixtures (test/fixtures/graph/, made by
// make_torch_fixtures.py from cases.json, which fixtures.test.ts writes).
import { graph, input, layers, losses, ops, type GraphSpec, type Tensor } from '../../../src/index.js';
import { compileGraph } from '../../../src/graph/spec.js';
import { lcg } from '../helpers.js';

export interface Case {
  readonly name: string;
  readonly spec: GraphSpec;
  readonly rows: number;
  /** Inputs by name: f32 as number[], i32 as integer number[]. */
  readonly inputs: Readonly<Record<string, number[]>>;
  /** Parameters by name, row-major. */
  readonly params: Readonly<Record<string, number[]>>;
}

/** A dense layer in front of an op input, so that the op's input gradient reaches parameters. */
const feed = (x: Tensor, units: number, activation: 'tanh' | 'linear' = 'tanh') => layers.dense(units, { activation })(x);

type Build = () => { outputs: Tensor[]; losses: ReturnType<typeof losses.meanSquaredError>[] };

interface Def {
  readonly name: string;
  readonly rows: number;
  readonly build: Build;
  /** Integer inputs: the exclusive bound of their values (ids, labels) and the id that is padding. */
  readonly ints?: Readonly<Record<string, { bound: number; special?: number }>>;
  /** Float targets in [0, 1] (binary cross-entropy). */
  readonly unit?: readonly string[];
  /** Mask inputs: 0/1 values with at least one 1 per row of the last axis. */
  readonly masks?: readonly string[];
  /** Examples whose mask is all zeros (every step padding). */
  readonly zeroRows?: Readonly<Record<string, readonly number[]>>;
}

// A regression head on any value: a dense to `out` units and MSE against input `t`.
function head(x: Tensor, out = 3): { outputs: Tensor[]; losses: ReturnType<typeof losses.meanSquaredError>[] } {
  const flat = x.shape.length === 1 ? x : ops.reshape(x, [-1]);
  const y = layers.dense(out, { name: 'head' })(flat);
  const t = input('t', [out]);
  return { outputs: [y], losses: [losses.meanSquaredError(y, t)] };
}

const DEFS: Def[] = [
  {
    name: 'dense activations and a rank-3 input', rows: 5, build: () => {
      const x = input('x', [3, 7]);
      let h = layers.dense(5, { activation: 'tanh', biasInit: { kind: 'uniform', low: -0.5, high: 0.5 } })(x);
      h = layers.dense(4, { activation: 'sigmoid' })(h);
      h = layers.dense(6, { activation: 'leakyRelu', alpha: 0.1 })(h);
      h = layers.dense(3, { activation: 'relu', biasInit: { kind: 'constant', value: 0.3 } })(h);
      return head(ops.mean(h, { axis: 0 }));
    },
  },
  {
    name: 'dense without bias, and a transposed (tied) kernel', rows: 3, build: () => {
      const x = input('x', [5]);
      const a = layers.dense(9, { useBias: false, activation: 'tanh' });
      const h = a(x);
      const back = layers.dense(5, { kernel: a.param('kernel'), transposeKernel: true })(h);
      return head(back);
    },
  },
  {
    name: 'standalone activations', rows: 4, build: () => {
      const x = input('x', [6]);
      const h = feed(x, 8, 'linear');
      return head(ops.concat([ops.relu(h), ops.tanh(h), ops.sigmoid(h), ops.leakyRelu(h, { alpha: 0.2 })]));
    },
  },
  {
    name: 'add, sub, mul: equal shapes, a suffix, a static parameter', rows: 3, build: () => {
      const x = input('x', [2, 5]);
      const a = feed(x, 5), b = feed(x, 5), v = feed(ops.mean(x, { axis: 0 }), 5);
      const p = layers.parameter([2, 5], { init: { kind: 'uniform', low: -1, high: 1 } });
      const q = layers.parameter([5], { init: { kind: 'uniform', low: 0.5, high: 1.5 } });
      const s = ops.sub(ops.add(a, b), v);
      const m = ops.mul(ops.mul(s, v), q);
      return head(ops.add(ops.add(m, p), ops.scale(b, -0.75)));
    },
  },
  {
    name: 'reshape, concat, slice', rows: 5, build: () => {
      const x = input('x', [7]);
      const h = feed(x, 12);
      const r = ops.reshape(h, [3, 4]);
      const c = ops.concat([r, ops.slice(r, 1, 2), ops.reshape(feed(x, 3), [3, 1])]); // [3, 7]
      const p = ops.pad(c, 2, 1); //                                                     [3, 10]
      return head(ops.slice(ops.reshape(p, [-1]), 2, 25));
    },
  },
  {
    name: 'sum and mean over every axis', rows: 3, build: () => {
      const x = input('x', [4]);
      const h = ops.reshape(feed(x, 30), [2, 3, 5]);
      const parts = [ops.sum(h, { axis: 0 }), ops.mean(h, { axis: 1 }), ops.mean(ops.sum(h, { axis: -1 }), { axis: 0 })];
      return head(ops.concat(parts.map((t) => ops.reshape(t, [-1]))));
    },
  },
  {
    name: 'softmax with and without masks (batched, static, a fully masked row)', rows: 4, build: () => {
      const x = input('x', [3]), mask = input('mask', [5]);
      const s = ops.reshape(feed(x, 15), [3, 5]);
      const plain = ops.softmax(s);
      const masked = ops.softmax(s, { mask });
      const fixed = ops.softmax(s, { mask: ops.constant([1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [3, 5]) });
      return head(ops.concat([plain, masked, fixed]));
    },
    masks: ['mask'],
  },
  {
    name: 'matmul: every form, batched x batched, batched x static, static x batched', rows: 3, build: () => {
      const x = input('x', [4]);
      const a = ops.reshape(feed(x, 6), [2, 3]);
      const b = ops.reshape(feed(x, 15), [3, 5]);
      const ab = ops.matmul(a, b); //                                      [2, 5]
      const abt = ops.matmul(ab, ops.reshape(feed(x, 10), [2, 5]), { transposeB: true }); //  [2, 2]
      const atb = ops.matmul(a, ops.reshape(feed(x, 8), [2, 4]), { transposeA: true }); //   [3, 4]
      const w = layers.parameter([5, 3], { init: { kind: 'uniform', low: -1, high: 1 } });
      const bw = ops.matmul(ab, w); //                                     [2, 3]
      const wb = ops.matmul(layers.parameter([4, 3], { init: { kind: 'uniform', low: -1, high: 1 } }), atb); // static x batched: [4, 4]
      return head(ops.concat([ops.reshape(abt, [-1]), ops.reshape(atb, [-1]), ops.reshape(bw, [-1]), ops.reshape(wb, [-1])]));
    },
  },
  {
    name: 'embedding shared by two inputs, padding and repeated ids', rows: 4, build: () => {
      const story = input('story', [3, 4], { dtype: 'i32' }), query = input('query', [4], { dtype: 'i32' });
      const E = layers.embedding(7, 5, { paddingId: 0 });
      const m = ops.sum(E(story), { axis: 1 }); //  [3, 5]
      const u = ops.sum(E(query), { axis: 0 }); //  [5]
      const p = ops.softmax(ops.reshape(ops.matmul(m, ops.reshape(u, [5, 1])), [3]), { mask: ops.tokenMask(story, { reduce: 'any' }) });
      const o = ops.reshape(ops.matmul(ops.reshape(p, [1, 3]), m), [5]);
      const logits = layers.dense(7, { kernel: E.param('embeddings'), transposeKernel: true, useBias: false })(ops.add(o, u));
      const answer = input('answer', [], { dtype: 'i32' });
      return { outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, answer)] };
    },
    ints: { story: { bound: 7, special: 0 }, query: { bound: 7, special: 0 }, answer: { bound: 7 } },
  },
  {
    name: 'embedding bags: plain, weighted by a constant, weighted by a parameter; a table shared with a lookup', rows: 3, build: () => {
      const story = input('story', [4, 3], { dtype: 'i32' });
      const E = layers.embedding(9, 5, { paddingId: 0 });
      const pe = ops.constant(Array.from({ length: 15 }, (_, i) => 0.1 * (i % 7) - 0.3), [3, 5]);
      const w = layers.parameter([3, 5], { init: { kind: 'uniform', low: 0.5, high: 1.5 } });
      const a = E.bag(story), b = E.bag(story, { weights: pe }), c = E.bag(story, { weights: w }); // [4, 5] each
      const d = ops.sum(E(story), { axis: 1 }); //                                                  the same as a
      return head(ops.concat([ops.add(a, d), b, c]));
    },
    ints: { story: { bound: 9, special: 0 } },
  },
  {
    name: 'conv2d: valid, same with stride 2, dilation, a kernel larger than the input with explicit padding; pooling', rows: 2, build: () => {
      const x = input('x', [5, 6, 2]);
      const a = layers.conv2d(3, { kernelSize: 3, activation: 'tanh', biasInit: { kind: 'uniform', low: -0.2, high: 0.2 } })(x); //  [3, 4, 3]
      const b = layers.conv2d(2, { kernelSize: [2, 3], strides: 2, padding: 'same' })(x); //                  [3, 3, 2]
      const c = layers.conv2d(2, { kernelSize: 3, dilation: 2, padding: [1, 1], activation: 'relu' })(x); //  [3, 4, 2]
      const d = layers.conv2d(1, { kernelSize: 7, padding: [2, 2] })(x); //                                 [3, 4, 1]: 7x7 over 5x6
      const e = layers.conv2d(2, { kernelSize: 1 })(x); //                                                  1x1: no im2col
      const m = layers.maxPool2d(2, { strides: 1 })(a), v = layers.avgPool2d(3, { strides: 2, padding: 'same' })(x);
      const w = layers.avgPool2d(2, { padding: [1, 1], countPad: true })(e);
      return head(ops.concat([a, b, c, d, e, m, v, w].map((t) => ops.flatten(t))));
    },
  },
  {
    name: 'conv1d and 1-d pooling, stride and same padding', rows: 3, build: () => {
      const x = input('x', [7, 3]);
      const a = layers.conv1d(4, { kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' })(x); // [4, 4]
      const b = layers.maxPool1d(2)(layers.conv1d(2, { kernelSize: 2 })(x)); //                                [3, 2]
      const c = layers.avgPool1d(3, { strides: 1 })(x); //                                                     [5, 3]
      return head(ops.concat([a, b, c].map((t) => ops.flatten(t))));
    },
  },
  {
    name: 'a 2-layer LSTM returning sequences, a length-1 sequence, the last state', rows: 3, build: () => {
      const x = input('x', [4, 3]), one = input('one', [1, 3]);
      const seq = layers.lstm(5, { layers: 2, returnSequences: true })(x); //  [4, 5]
      const last = layers.lstm(2)(one); //                                      [2]
      return head(ops.concat([ops.flatten(seq), last]));
    },
  },
  {
    name: 'a GRU and an LSTM with masks: padded steps carry the state, an all-padding row', rows: 4, build: () => {
      const x = input('x', [5, 2]), mask = input('mask', [5]);
      const g = layers.gru(3, { returnSequences: true })(x, mask); //   [5, 3]
      const l = layers.lstm(3)(x, mask); //                              [3]
      return head(ops.concat([ops.flatten(g), l]));
    },
    masks: ['mask'],
    zeroRows: { mask: [3] },
  },
  {
    name: 'a convolutional GRU applied twice with shared weights (the Neural GPU)', rows: 2, build: () => {
      const x = input('x', [3, 4, 2]);
      const s0 = layers.dense(3, { activation: 'tanh' })(x); //  [3, 4, 3]: the state
      const step = layers.cgru({ kernelSize: 3, gatesBias: { kind: 'uniform', low: -0.5, high: 0.5 } });
      return head(step(step(s0)));
    },
  },
  {
    name: 'per-position cross-entropy with a mask and ignoreIndex, sum and mean', rows: 3, build: () => {
      const x = input('x', [4]);
      const logits = ops.reshape(feed(x, 20), [5, 4]);
      const labels = input('labels', [5], { dtype: 'i32' }), mask = input('mask', [5]);
      return {
        outputs: [logits],
        losses: [losses.softmaxCrossEntropy(logits, labels, { mask, ignoreIndex: 3 }),
          losses.softmaxCrossEntropy(logits, labels, { reduction: 'sum', ignoreIndex: 3, weight: 0.5 })],
      };
    },
    ints: { labels: { bound: 4, special: 3 } },
    masks: ['mask'],
  },
  {
    name: 'binary cross-entropy and two losses on one value', rows: 5, build: () => {
      const x = input('x', [3]);
      const y = feed(x, 4, 'linear');
      const t = input('t', [4]), u = input('u', [4]);
      return { outputs: [y], losses: [losses.binaryCrossEntropy(y, t), losses.meanSquaredError(y, u, { weight: 2 })] };
    },
    unit: ['t'],
  },
  {
    name: 'a convolutional GRU with the released code\'s gate cutoff 1.2, some gates saturated at 0 or 1', rows: 2, build: () => {
      const x = input('x', [3, 4, 2]);
      // A state up to +-4 pushes some gate pre-activations beyond +-ln 11, where the cutoff gates are exactly 0 or 1.
      const s0 = ops.scale(layers.dense(3, { activation: 'tanh' })(x), 4);
      const step = layers.cgru({ kernelSize: 3, cutoff: 1.2 });
      return head(step(step(s0)));
    },
  },
  {
    name: 'a convolutional GRU with diagonal gates: channels moved each way along the first axis', rows: 2, build: () => {
      const x = input('x', [4, 2, 2]);
      const s0 = layers.dense(5, { activation: 'tanh' })(x); //  [4, 2, 5]: 1 channel kept, 2 moved each way
      const step = layers.cgru({ kernelSize: 3, diagonal: 2, gatesBias: { kind: 'uniform', low: -0.5, high: 0.5 } });
      return head(step(step(s0)));
    },
  },
];

/** Every case with its data and parameters drawn from a fixed seed. */
export function cases(): Case[] {
  return DEFS.map((d, k) => {
    const { outputs, losses: ls } = d.build();
    const spec = graph({ outputs, losses: ls });
    const g = compileGraph(spec);
    const r = lcg(1000 + k);
    const inputs: Record<string, number[]> = {};
    for (const x of g.spec.inputs) {
      const n = d.rows * x.shape.reduce((a, b) => a * b, 1);
      if (x.dtype === 'i32') {
        const { bound, special } = d.ints![x.name]!;
        inputs[x.name] = Array.from({ length: n }, (_, i) => (special !== undefined && i % 5 === 1 ? special : Math.floor(((r() + 1) / 2) * bound) % bound));
      } else if (d.masks?.includes(x.name)) {
        const L = x.shape[x.shape.length - 1]!;
        const per = n / d.rows, zero = d.zeroRows?.[x.name] ?? [];
        inputs[x.name] = Array.from({ length: n }, (_, i) => (zero.includes(Math.floor(i / per)) ? 0 : i % L === 0 || r() > 0 ? 1 : 0));
      } else if (d.unit?.includes(x.name)) {
        inputs[x.name] = Array.from({ length: n }, () => Math.fround((r() + 1) / 2));
      } else {
        inputs[x.name] = Array.from({ length: n }, () => Math.fround(r()));
      }
    }
    const params: Record<string, number[]> = {};
    for (const p of g.spec.params) {
      const n = p.shape.reduce((a, b) => a * b, 1), s = 1 / Math.sqrt(p.fan[0]);
      params[p.name] = Array.from({ length: n }, () => Math.fround(r() * s * 1.5));
    }
    return { name: d.name, spec: g.spec, rows: d.rows, inputs, params };
  });
}
