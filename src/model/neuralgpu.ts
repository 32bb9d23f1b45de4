// The Neural GPU (Kaiser & Sutskever 2015, "Neural GPUs Learn Algorithms", arXiv:1511.08228) as a graph,
// following the authors' released code (tensorflow/models, neural_gpu) where the paper leaves things open:
//   - the input symbols (ids, 0 = padding) are embedded, squashed by tanh and mapped by a 1x1 convolution into
//     the first row of a state of `height` rows x `width` columns x `maps` channels; the other rows start at 0;
//   - `steps` times (default: the width, at least `relax`), a stack of `layers` convolutional GRUs
//     (graph/ops/recurrent.ts cgru) updates the state; padding columns are set back to 0 after every CGRU
//     (the released code's mask), and dropout on the state follows each step while training;
//   - parameter sharing across steps, RELAXED as in the paper: `relax` sets of CGRU parameters used in turn
//     (step i uses set i mod relax); the training driver (experiments/neuralgpu.ts) pulls them together;
//   - the output is read from the first row after the last step, through a 1x1 convolution to the output
//     classes, with a softmax and cross-entropy per position over the target's symbols.
// Options, off by default: the released code's sigmoid cutoff (gates as 1.2 sigmoid - 0.1, clipped) and its
// larger init (uniform unit scaling, factor 1.8), and Freivalds & Liepins's (2017) diagonal gates. Kept out
// of the released code: its truncated normal noise (ours is the paper's plain normal), and reading the
// output at the step equal to each example's length (we read it after the last step, so one graph serves
// every length).
import { boolean, checkFields, int, nullish, number } from '../core/check.js';
import { graph, input, layers, losses, ops, type Layer } from '../graph/builder.js';
import { MAX_CGRU_CUTOFF } from '../graph/ops/recurrent.js';
import type { GraphSpec } from '../graph/spec.js';

export interface NeuralGpuOptions {
  /** Input columns: symbols per example, the longest input of the task at its length. */
  readonly width: number;
  /** Input symbol ids 0 .. vocab - 1 (0 is padding). */
  readonly vocab: number;
  /** Output classes per position (the target symbols; 0 is padding, ignored by the loss). */
  readonly classes: number;
  /** Rows of the state (default 4, as the paper). */
  readonly height?: number;
  /** Channels of the state (default 24, as the paper). */
  readonly maps?: number;
  /** CGRUs per step (default 2). */
  readonly layers?: number;
  /**
   * Steps (default: the width, and at least one per relaxed set, so that the graph holds every set's
   * parameters: graphs of several widths can then share one training state).
   */
  readonly steps?: number;
  /** Parameter sets used in turn over the steps (default 1: plain sharing; the paper relaxes with 6). */
  readonly relax?: number;
  /** Dropout on the state after each step while training (default 0). */
  readonly dropout?: number;
  /** Odd kernel size of the CGRUs (default 3). */
  readonly kernelSize?: number;
  /** The CGRU gates' sigmoid cutoff (default 1: the plain sigmoid; the released code: 1.2). */
  readonly cutoff?: number;
  /**
   * Diagonal gates (Freivalds & Liepins 2017): each CGRU's update gate mixes in the state with a third of
   * the maps moved one column left and a third one column right (default false: Kaiser & Sutskever's CGRU).
   */
  readonly diagonal?: boolean;
  /**
   * The CGRU kernels' init: uniform within initScale · sqrt(3 / fan-in), TensorFlow's uniform unit scaling
   * (the released code: 1.8). Default: Glorot uniform, which here is initScale 1.
   */
  readonly initScale?: number;
}

/**
 * The Neural GPU's graph: inputs `tokens` [width] (ids) and target `targets` [width] (class ids, 0 padding);
 * output `logits` [width, classes]. Parameter names do not depend on the width or the steps, so a model
 * trained at one length runs at any other: build the graph for that width and copy the weights by name.
 */
export function neuralGpu(options: NeuralGpuOptions): GraphSpec {
  const o = checkFields<NeuralGpuOptions>('neuralGpu', options, {
    width: int(1, 1 << 16), vocab: int(2, 1 << 16), classes: int(2, 1 << 16), height: nullish(int(1, 64)), maps: nullish(int(1, 1024)),
    layers: nullish(int(1, 16)), steps: nullish(int(1, 1 << 16)), relax: nullish(int(1, 64)), dropout: nullish(number({ min: 0, max: 1, maxOpen: true })),
    kernelSize: nullish(int(1, 15)), cutoff: nullish(number({ min: 1, max: MAX_CGRU_CUTOFF })), diagonal: nullish(boolean),
    initScale: nullish(number({ min: 0, minOpen: true, max: 100 })),
  }, { optional: false });
  const W = o.width, h = o.height ?? 4, m = o.maps ?? 24, L = o.layers ?? 2, relax = o.relax ?? 1, steps = o.steps ?? Math.max(W, relax), ks = o.kernelSize ?? 3;
  if (ks % 2 === 0) throw new Error(`neuralGpu: kernelSize is ${ks} (need an odd size: the state keeps its width)`);
  if (steps < relax) throw new Error(`neuralGpu: steps is ${steps}, fewer than relax ${relax} (need a step per relaxed set, or the graph leaves sets out)`);
  const tokens = input('tokens', [W], { dtype: 'i32' }), targets = input('targets', [W], { dtype: 'i32' });
  // The released code: embedding U(-1.7, 1.7), padding row zero; CGRU gate biases start at 1.
  const embedded = ops.tanh(layers.embedding(o.vocab, m, { paddingId: 0, init: { kind: 'uniform', low: -1.7, high: 1.7 }, name: 'embedding' })(tokens));
  const first = layers.dense(m, { name: 'input' })(embedded); //                                    [W, m]
  // Padding columns (and, below, the rows of the state beyond the first) are zero; the mask keeps them so.
  const mask = ops.matmul(ops.reshape(ops.tokenMask(tokens), [W, 1]), ops.constant(new Array(h * m).fill(1), [1, h * m]), { name: 'mask' });
  let s = ops.mul(ops.reshape(ops.pad(first, 0, (h - 1) * m), [W, h, m]), ops.reshape(mask, [W, h, m]));
  const masked = (t: typeof s) => ops.mul(t, ops.reshape(mask, [W, h, m]));
  const limit = o.initScale == null ? null : o.initScale * Math.sqrt(3 / (ks * ks * m));
  const init = limit === null ? {} : { init: { kind: 'uniform', low: -limit, high: limit } as const };
  const cutoff = o.cutoff == null ? {} : { cutoff: o.cutoff };
  if (o.diagonal && m < 3) throw new Error(`neuralGpu: diagonal gates need at least 3 maps (a third move each way), got maps ${m}`);
  const diagonal = o.diagonal ? { diagonal: Math.floor(m / 3) } : {};
  const sets: Layer[][] = Array.from({ length: relax }, (_, r) => Array.from({ length: L }, (_, l) =>
    layers.cgru({ kernelSize: ks, gatesBias: { kind: 'constant', value: 1 }, ...init, ...cutoff, ...diagonal, name: relax > 1 ? `cgru_${l}_rx${r}` : `cgru_${l}` })));
  const drop = o.dropout ? layers.dropout(o.dropout, { name: 'state_dropout' }) : null;
  for (let i = 0; i < steps; i++) {
    for (const cell of sets[i % relax]!) s = masked(cell(s));
    if (drop) s = drop(s);
  }
  const row0 = ops.slice(ops.reshape(s, [W, h * m]), 0, m); //                                       [W, m]
  const logits = layers.dense(o.classes, { name: 'output' })(row0);
  return graph({
    inputs: [tokens, targets], outputs: [logits],
    losses: [losses.softmaxCrossEntropy(logits, targets, { ignoreIndex: 0 })],
  });
}
