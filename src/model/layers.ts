// Layers: what each layer kind declares to the planner and which kernels run its forward and backward.
//
// A layer declares its parameters (with initialisers), the activation buffers it owns and their grads, all
// per batch of `rows` examples; after planning it is bound to absolute pointers and runs as a fixed list of
// kernel calls. Layers own their output buffer and read their input from the previous layer's (or the
// model's input buffer), so a recurrent layer can later own a [rows x T x H] buffer and its own state
// buffers through the same interface, with the planner unchanged.
import type { CoreExports } from '../core/abi.js';
import type { LayoutPlan, TensorRequest } from '../core/layout.js';
import { resolveInit, type Fill } from './init.js';
import { seedHalves } from '../core/seed.js';
import type { Activation, DenseSpec, DropoutSpec } from './spec.js';

export interface ParamDecl extends TensorRequest {
  /** Row-major shape: a kernel is [inputs, units], a bias [units]. */
  readonly shape: readonly number[];
  readonly fill: Fill;
}

/** What a bound layer needs from outside: its input, where the gradient of its input goes (0: none),
 *  its position in the model and the model seed (for layers that draw random numbers). */
export interface LayerIO {
  readonly input: number;
  readonly dinput: number;
  readonly index: number;
  readonly seed: number;
}

/**
 * One forward or backward over rows [row0, row0 + rows) of the batch buffers: a whole batch, or one shard
 * of it (docs/workers.md). Parameter gradients go to the grad slot `gradShift` bytes after the params.
 */
export interface Pass {
  readonly row0: number;
  readonly rows: number;
  readonly gradShift: number;
  readonly scratch: number;
  /** Training (dropout active) or inference. */
  readonly training: boolean;
  /** The optimizer step t this pass belongs to. */
  readonly step: number;
}

export interface Layer {
  readonly name: string;
  readonly inputs: number;
  readonly outputs: number;
  params(): ParamDecl[];
  /** Buffers for a batch of up to maxRows examples; the first is the layer's output. */
  activations(maxRows: number): TensorRequest[];
  activationGrads(maxRows: number): TensorRequest[];
  /** Bytes of scratch the kernels need for up to maxRows examples. */
  scratchBytes(k: CoreExports, maxRows: number): number;
  bind(plan: LayoutPlan, io: LayerIO): BoundLayer;
}

export interface BoundLayer {
  readonly name: string;
  readonly output: number;
  readonly doutput: number;
  forward(k: CoreExports, pass: Pass): void;
  /** Turns doutput (dL/dy, overwritten) into parameter grads and, when bound with one, dinput. */
  backward(k: CoreExports, pass: Pass): void;
}

function ptr(plan: LayoutPlan, map: 'paramTensors' | 'activationTensors' | 'activationGradTensors', name: string): number {
  const p = plan[map].get(name);
  if (!p) throw new Error(`internal: tensor "${name}" is not in the layout`);
  return p.offset;
}

export class DenseLayer implements Layer {
  readonly name: string;
  readonly outputs: number;
  constructor(readonly spec: Required<DenseSpec>, readonly inputs: number) {
    this.name = spec.name;
    this.outputs = spec.units;
  }

  params(): ParamDecl[] {
    const { inputs: fanIn, outputs: fanOut } = this;
    return [
      { name: `${this.name}/kernel`, elements: fanIn * fanOut, shape: [fanIn, fanOut], fill: resolveInit(this.spec.kernelInit, fanIn, fanOut, this.spec.activation) },
      { name: `${this.name}/bias`, elements: fanOut, shape: [fanOut], fill: resolveInit(this.spec.biasInit, fanIn, fanOut, this.spec.activation) },
    ];
  }

  activations(maxRows: number): TensorRequest[] {
    return [{ name: `${this.name}/out`, elements: maxRows * this.outputs }];
  }

  activationGrads(maxRows: number): TensorRequest[] {
    return [{ name: `${this.name}/dout`, elements: maxRows * this.outputs }];
  }

  scratchBytes(k: CoreExports, maxRows: number): number {
    const { inputs: IN, outputs: OUT } = this;
    return Math.max(
      k.gemm_scratch_bytes(maxRows, IN, OUT), //  forward  Y  = X · W
      k.gemm_scratch_bytes(IN, maxRows, OUT), //  backward dW = Xᵀ · dY
      k.gemm_scratch_bytes(maxRows, OUT, IN), //  backward dX = dY · Wᵀ
    );
  }

  bind(plan: LayoutPlan, io: LayerIO): BoundLayer {
    const IN = this.inputs, OUT = this.outputs, name = this.name;
    const w = ptr(plan, 'paramTensors', `${name}/kernel`);
    const b = ptr(plan, 'paramTensors', `${name}/bias`);
    const out = ptr(plan, 'activationTensors', `${name}/out`);
    const dout = ptr(plan, 'activationGradTensors', `${name}/dout`);
    const { input, dinput } = io;
    const act = activationKernels(this.spec.activation, this.spec.alpha);
    return {
      name, output: out, doutput: dout,
      forward(k, { row0, rows, scratch }) {
        const y = out + row0 * OUT * 4;
        k.gemm_nn_f32(y, input + row0 * IN * 4, w, rows, IN, OUT, 0, scratch);
        k.bias_forward_f32(y, b, rows, OUT);
        act.forward(k, y, rows * OUT);
      },
      backward(k, { row0, rows, scratch, gradShift }) {
        const y = out + row0 * OUT * 4, dy = dout + row0 * OUT * 4;
        act.backward(k, dy, y, rows * OUT);
        k.bias_backward_f32(b + gradShift, dy, rows, OUT);
        k.gemm_tn_f32(w + gradShift, input + row0 * IN * 4, dy, IN, rows, OUT, 0, scratch);
        if (dinput !== 0) k.gemm_nt_f32(dinput + row0 * IN * 4, dy, w, rows, OUT, IN, 0, scratch);
      },
    };
  }
}

export class DropoutLayer implements Layer {
  readonly name: string;
  constructor(readonly spec: Required<DropoutSpec>, readonly inputs: number) {
    this.name = spec.name;
  }
  get outputs(): number { return this.inputs; }
  params(): ParamDecl[] { return []; }
  activations(maxRows: number): TensorRequest[] { return [{ name: `${this.name}/out`, elements: maxRows * this.inputs }]; }
  activationGrads(maxRows: number): TensorRequest[] { return [{ name: `${this.name}/dout`, elements: maxRows * this.inputs }]; }
  scratchBytes(): number { return 0; }

  // The mask of element e at step t is Philox(seed; e / 4, layer index, t, DROPOUT) (assembly/kernels/
  // dropout.ts): backward regenerates it instead of storing it.
  bind(plan: LayoutPlan, io: LayerIO): BoundLayer {
    const F = this.inputs, rate = this.spec.rate, name = this.name;
    const out = ptr(plan, 'activationTensors', `${name}/out`);
    const dout = ptr(plan, 'activationGradTensors', `${name}/dout`);
    const { input, dinput, index } = io;
    const [k0, k1] = seedHalves(io.seed);
    return {
      name, output: out, doutput: dout,
      // The mask index counts from row 0 of the batch, so a shard draws the same mask as the whole batch.
      forward(k, { row0, rows, training, step }) {
        const at = row0 * F * 4;
        if (training && rate > 0) k.dropout_forward_f32(out + at, input + at, rows * F, rate, k0, k1, step, index, row0 * F);
        else k.copy_f32(out + at, input + at, rows * F);
      },
      backward(k, { row0, rows, step }) {
        if (dinput === 0) return;
        const at = row0 * F * 4;
        if (rate > 0) k.dropout_backward_f32(dinput + at, dout + at, rows * F, rate, k0, k1, step, index, row0 * F);
        else k.copy_f32(dinput + at, dout + at, rows * F);
      },
    };
  }
}

interface ActivationKernels {
  /** y = f(y) in place. */
  forward(k: CoreExports, y: number, n: number): void;
  /** dy = dy * f'(.) in place, from the forward output y. */
  backward(k: CoreExports, dy: number, y: number, n: number): void;
}

function activationKernels(a: Activation, alpha: number): ActivationKernels {
  switch (a) {
    case 'linear': return { forward() {}, backward() {} };
    case 'relu': return {
      forward: (k, y, n) => k.relu_forward_f32(y, y, n),
      backward: (k, dy, y, n) => k.relu_backward_f32(dy, y, dy, n),
    };
    case 'leakyRelu': return {
      forward: (k, y, n) => k.leaky_relu_forward_f32(y, y, n, alpha),
      backward: (k, dy, y, n) => k.leaky_relu_backward_f32(dy, y, dy, n, alpha),
    };
    case 'tanh': return {
      forward: (k, y, n) => k.tanh_forward_f32(y, y, n),
      backward: (k, dy, y, n) => k.tanh_backward_f32(dy, y, dy, n),
    };
    case 'sigmoid': return {
      forward: (k, y, n) => k.sigmoid_forward_f32(y, y, n),
      backward: (k, dy, y, n) => k.sigmoid_backward_f32(dy, y, dy, n),
    };
  }
}
