// A model spec compiled onto the core: the layout plan, the memory, the bound layers and the step's
// kernel sequence. Unchecked and runtime-agnostic: the public Model (runtime/model.ts) validates every
// input before it gets here, and the training loop decides what runs when.
//
// Gradients are SUMS over the batch: the loss kernels write dL_i/dlogits per example without the 1/rows,
// and the optimizer applies 1/rows (so that gradient shards of a batch add up exactly, see issue #4).
import {
  ABI_VERSION, H_EPOCH, H_LAYOUT_HASH, H_MAGIC, H_SEED_HI, H_SEED_LO, H_STEP_HI, H_STEP_LO, H_VERSION, HEADER_MAGIC,
  RNG_DOMAIN_INIT, type CoreExports,
} from '../core/abi.js';
import { seedHalves } from '../core/seed.js';
import { planLayout, type LayoutPlan, type TensorRequest } from '../core/layout.js';
import { createMemory, instantiateCore, type Core, type CoreModule } from '../core/wasm.js';
import { DenseLayer, DropoutLayer, type BoundLayer, type Layer, type ParamDecl, type Pass } from './layers.js';
import { normalizeSpec, type Loss, type ModelSpec } from './spec.js';

export interface NetworkOptions {
  /** Largest number of examples per forward/backward; sizes every activation buffer. */
  readonly maxRows: number;
  /** 64-bit seed for initialisation (and, by default, data order and noise). Integer in [0, 2^53). */
  readonly seed: number;
  /** Optimizer state copies of the params block (0 for plain SGD). */
  readonly stateSlots: number;
}

/** What the current kernel call is doing, for errors that surface from a wasm trap. */
export interface Phase {
  what: string;
}

export class Network {
  readonly spec: ReturnType<typeof normalizeSpec>;
  readonly layers: readonly Layer[];
  readonly paramDecls: readonly ParamDecl[];
  readonly plan: LayoutPlan;
  readonly core: Core;
  readonly k: CoreExports;
  readonly bound: readonly BoundLayer[];
  readonly input: number;
  readonly labels: number;
  readonly targets: number;
  readonly scratch: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly loss: Loss;
  readonly maxRows: number;
  readonly seed: number;
  readonly phase: Phase = { what: 'idle' };
  private readonly header: DataView;

  constructor(mod: CoreModule, spec: ModelSpec, opts: NetworkOptions) {
    this.spec = normalizeSpec(spec);
    this.maxRows = opts.maxRows;
    this.seed = opts.seed;
    this.loss = this.spec.loss;
    this.inputs = this.spec.inputs;
    let width = this.spec.inputs;
    this.layers = this.spec.layers.map((l) => {
      const layer = l.kind === 'dense' ? new DenseLayer(l, width) : new DropoutLayer(l, width);
      width = layer.outputs;
      return layer;
    });
    this.outputs = width;
    this.paramDecls = this.layers.flatMap((l) => l.params());

    // The module's probe instance answers how much scratch the kernels want; the planner does the rest.
    const probe = mod.probe;
    const rows = opts.maxRows;
    const activations: TensorRequest[] = [
      { name: 'input', elements: rows * this.inputs },
      { name: 'labels', elements: rows },
      { name: 'targets', elements: this.loss === 'meanSquaredError' ? rows * this.outputs : 0 },
      ...this.layers.flatMap((l) => l.activations(rows)),
    ];
    this.plan = planLayout({
      base: mod.arenaBase,
      params: this.paramDecls,
      gradSlots: 1,
      stateSlots: opts.stateSlots,
      activations,
      activationGrads: this.layers.flatMap((l) => l.activationGrads(rows)),
      // Kernels run one after another, so they share one scratch block: the largest need wins.
      scratchBytes: Math.max(probe.step_scratch_bytes(), ...this.layers.map((l) => l.scratchBytes(probe, rows))),
    });
    this.core = instantiateCore(mod, createMemory(mod, this.plan.pages));
    this.k = this.core.exports;
    const at = (name: string) => this.plan.activationTensors.get(name)!.offset;
    this.input = at('input');
    this.labels = at('labels');
    this.targets = at('targets');
    this.scratch = this.plan.scratch.offset;

    let input = this.input, dinput = 0;
    const bound: BoundLayer[] = [];
    for (const [index, layer] of this.layers.entries()) {
      const b = layer.bind(this.plan, { input, dinput, index, seed: this.seed });
      bound.push(b);
      input = b.output;
      dinput = b.doutput;
    }
    this.bound = bound;
    this.header = new DataView(this.core.memory.buffer, this.plan.header.offset, this.plan.header.bytes);
    this.writeHeader();
    this.initParams();
  }

  private writeHeader(): void {
    const h = this.header;
    const [lo, hi] = seedHalves(this.seed);
    h.setUint32(H_MAGIC, HEADER_MAGIC, true);
    h.setUint32(H_VERSION, ABI_VERSION, true);
    h.setUint32(H_LAYOUT_HASH, this.plan.hash, true);
    h.setUint32(H_SEED_LO, lo, true);
    h.setUint32(H_SEED_HI, hi, true);
    this.step = 0;
    this.epoch = 0;
  }

  /** Completed optimizer steps t, kept in the header so a checkpoint carries it. */
  get step(): number {
    return this.header.getUint32(H_STEP_LO, true) + this.header.getUint32(H_STEP_HI, true) * 2 ** 32;
  }

  set step(t: number) {
    this.header.setUint32(H_STEP_LO, t >>> 0, true);
    this.header.setUint32(H_STEP_HI, Math.floor(t / 2 ** 32) >>> 0, true);
  }

  /** Completed passes over the training data: the epoch index of the data order (runtime/data.ts). */
  get epoch(): number {
    return this.header.getUint32(H_EPOCH, true);
  }

  set epoch(e: number) {
    this.header.setUint32(H_EPOCH, e >>> 0, true);
  }

  /** Parameter tensor i of the layout draws from Philox counter (block, 0, i, INIT) under the seed. */
  initParams(): void {
    const [k0, k1] = seedHalves(this.seed);
    this.paramDecls.forEach((d, i) => {
      const p = this.plan.paramTensors.get(d.name)!.offset;
      const f = d.fill;
      this.phase.what = `initialising ${d.name}`;
      if (f.kind === 'constant') this.k.fill_f32(p, d.elements, f.value);
      else if (f.kind === 'normal') this.k.init_normal_f32(p, d.elements, f.mean, f.std, k0, k1, i, RNG_DOMAIN_INIT);
      else this.k.init_uniform_f32(p, d.elements, f.low, f.high, k0, k1, i, RNG_DOMAIN_INIT);
    });
    this.phase.what = 'idle';
  }

  /** The output buffer of the last layer (logits for softmaxCrossEntropy). */
  get outputPtr(): number {
    return this.bound[this.bound.length - 1]!.output;
  }

  private pass(rows: number, training: boolean): Pass {
    return { rows, scratch: this.scratch, training, step: this.step };
  }

  forward(rows: number, training: boolean): void {
    const { k, phase } = this;
    const pass = this.pass(rows, training);
    for (const l of this.bound) {
      phase.what = `forward of layer ${l.name}`;
      l.forward(k, pass);
    }
  }

  /** Loss (summed over rows) and dL/doutput into the last layer's grad buffer. */
  lossForward(rows: number): number {
    const last = this.bound[this.bound.length - 1]!;
    this.phase.what = `loss (${this.loss})`;
    return this.loss === 'softmaxCrossEntropy'
      ? this.k.softmax_xent_f32(last.doutput, last.output, this.labels, rows, this.outputs)
      : this.k.mse_f32(last.doutput, last.output, this.targets, rows, this.outputs);
  }

  correct(rows: number): number {
    return this.loss === 'softmaxCrossEntropy' ? this.k.correct_count_f32(this.outputPtr, this.labels, rows, this.outputs) : 0;
  }

  backward(rows: number): void {
    const { k, phase } = this;
    const pass = this.pass(rows, true);
    for (let i = this.bound.length - 1; i >= 0; i--) {
      const l = this.bound[i]!;
      phase.what = `backward of layer ${l.name}`;
      l.backward(k, pass);
    }
  }

  f32(offset: number, elements: number): Float32Array {
    return new Float32Array(this.core.memory.buffer, offset, elements);
  }

  i32(offset: number, elements: number): Int32Array {
    return new Int32Array(this.core.memory.buffer, offset, elements);
  }
}
