// Dense (fully connected) layers and dropout: the ops of the paper's MNIST net, and of every MLP.
//
// dense: y = activation(x · W + b) over the last axis of x: x [..., IN] -> y [..., UNITS], every leading
//   position a row of one GEMM (rows x positions = M). W is [IN, UNITS] (`kernel`), or [UNITS, IN] with
//   transposeKernel (an embedding table reused as the output layer: adjacent weight tying), b is [UNITS].
//   The kernel calls are those of the dense stack before the graph (gemm, bias, activation in place;
//   backward: activation in place on dy, bias sum, the weight GEMM, the input GEMM), so the paper net
//   trains to the same bits.
// dropout: inverted dropout; the mask of element e at step t is Philox(seed; e / 4, node index, t, DROPOUT)
//   with e counted from row 0 of the whole batch, so a shard draws what the whole batch would (the
//   backward regenerates it instead of storing it).
import { boolean, int, nullish, number, oneOf, withDefaults } from '../../core/check.js';
import { activationKernels, ACTIVATIONS, type Activation } from './activation.js';
import { showShape, sizeOf, type OpDecl, type ValueType } from '../op.js';
import { MAX_UNITS } from '../limits.js';

export interface DenseAttrs {
  readonly units: number;
  readonly activation: Activation;
  /** Negative slope of leakyRelu. */
  readonly alpha: number;
  readonly useBias: boolean;
  readonly transposeKernel: boolean;
}

function batchedF32(where: string, what: string, t: ValueType | null, minRank = 1): ValueType {
  if (t === null) throw new Error(`${where}: ${what} is missing`);
  if (t.dtype !== 'f32') throw new Error(`${where}: ${what} must be f32, got i32 ${showShape(t)} (token ids go through an embedding first)`);
  if (!t.batched) throw new Error(`${where}: ${what} must be a batched value (one per example), got the static ${showShape(t)}`);
  if (t.shape.length < minRank) throw new Error(`${where}: ${what} needs at least ${minRank} dimension${minRank > 1 ? 's' : ''}, got ${showShape(t)}`);
  return t;
}
export { batchedF32 };

export const dense: OpDecl<DenseAttrs> = {
  op: 'dense',
  family: 'dense',
  arity: 1,
  inputNames: ['x'],
  attrs: (where, raw) => withDefaults(where, raw, {
    units: int(1, MAX_UNITS), activation: nullish(oneOf(ACTIVATIONS)), alpha: nullish(number({ min: 0, minOpen: true })),
    useBias: nullish(boolean), transposeKernel: nullish(boolean),
  }, { activation: 'linear', alpha: 0.01, useBias: true, transposeKernel: false }),
  infer(where, a, [x]) {
    const t = batchedF32(where, 'its input', x!);
    const IN = t.shape[t.shape.length - 1]!;
    return {
      out: { shape: [...t.shape.slice(0, -1), a.units], dtype: 'f32', batched: true },
      params: [
        { slot: 'kernel', shape: a.transposeKernel ? [a.units, IN] : [IN, a.units] },
        ...(a.useBias ? [{ slot: 'bias', shape: [a.units] }] : []),
      ],
    };
  },
  saves: (a) => ({ inputs: [0], output: a.activation !== 'linear' }),
  scratch(k, a, [x], _out, rows) {
    const IN = x!.shape[x!.shape.length - 1]!, OUT = a.units, M = rows * sizeOf(x!.shape) / IN;
    return Math.max(
      k.gemm_scratch_bytes(M, IN, OUT), //  forward  Y  = X · W
      a.transposeKernel ? k.gemm_scratch_bytes(OUT, M, IN) : k.gemm_scratch_bytes(IN, M, OUT), // dW
      k.gemm_scratch_bytes(M, OUT, IN), //  backward dX = dY · Wᵀ
    );
  },
  accumulatesInput: () => true,
  accumulatesParam: (slot) => slot === 'kernel',
  forward(n, { rows }) {
    const { k, attrs: a } = n;
    const IN = n.inputs[0]!.shape[n.inputs[0]!.shape.length - 1]!, OUT = a.units, M = rows * sizeOf(n.inputs[0]!.shape) / IN;
    if (a.transposeKernel) k.gemm_nt_f32(n.y, n.x[0]!, n.p.kernel!, M, IN, OUT, 0, n.scratch);
    else k.gemm_nn_f32(n.y, n.x[0]!, n.p.kernel!, M, IN, OUT, 0, n.scratch);
    if (a.useBias) k.bias_forward_f32(n.y, n.p.bias!, M, OUT);
    activationKernels(a.activation, a.alpha).forward(k, n.y, n.y, M * OUT);
  },
  backward(n, { rows }) {
    const { k, attrs: a } = n;
    const IN = n.inputs[0]!.shape[n.inputs[0]!.shape.length - 1]!, OUT = a.units, M = rows * sizeOf(n.inputs[0]!.shape) / IN;
    activationKernels(a.activation, a.alpha).backward(k, n.dy, n.y, n.dy, M * OUT);
    if (a.useBias && n.dp.bias) k.bias_backward_f32(n.dp.bias, n.dy, M, OUT);
    if (n.dp.kernel) {
      if (a.transposeKernel) k.gemm_tn_f32(n.dp.kernel, n.dy, n.x[0]!, OUT, M, IN, n.accP.kernel!, n.scratch);
      else k.gemm_tn_f32(n.dp.kernel, n.x[0]!, n.dy, IN, M, OUT, n.accP.kernel!, n.scratch);
    }
    if (n.dx[0]) {
      if (a.transposeKernel) k.gemm_nn_f32(n.dx[0], n.dy, n.p.kernel!, M, OUT, IN, n.accX[0]!, n.scratch);
      else k.gemm_nt_f32(n.dx[0], n.dy, n.p.kernel!, M, OUT, IN, n.accX[0]!, n.scratch);
    }
  },
};

export interface DropoutAttrs {
  readonly rate: number;
}

export const dropout: OpDecl<DropoutAttrs> = {
  op: 'dropout',
  family: 'dense',
  arity: 1,
  inputNames: ['x'],
  attrs: (where, raw) => withDefaults(where, raw, { rate: number({ min: 0, max: 1, maxOpen: true }) }, {}),
  infer(where, _a, [x]) {
    return { out: { ...batchedF32(where, 'its input', x!, 0) } };
  },
  forward(n, { rows, row0, training, step }) {
    const F = sizeOf(n.out.shape), rate = n.attrs.rate;
    if (training && rate > 0) n.k.dropout_forward_f32(n.y, n.x[0]!, rows * F, rate, n.seed[0], n.seed[1], step, n.index, row0 * F);
    else n.k.copy_f32(n.y, n.x[0]!, rows * F);
  },
  backward(n, { rows, row0, step }) {
    if (!n.dx[0]) return;
    const F = sizeOf(n.out.shape), rate = n.attrs.rate;
    if (rate > 0) n.k.dropout_backward_f32(n.dx[0], n.dy, rows * F, rate, n.seed[0], n.seed[1], step, n.index, row0 * F);
    else n.k.copy_f32(n.dx[0], n.dy, rows * F);
  },
};
