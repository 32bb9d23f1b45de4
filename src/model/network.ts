// A model spec compiled onto the core: the layout plan, the memory, the bound layers and the step's
// kernel sequence. Unchecked and runtime-agnostic: the public Model (runtime/model.ts) validates every
// input before it gets here, and the training loop decides what runs when.
//
// Gradients are SUMS over the batch: the loss kernels write dL_i/dlogits per example without the 1/rows,
// and the optimizer applies 1/rows. A batch is split into `shards` fixed row ranges, each with its own grad
// slot and scratch, so that workers can run shards at once; the slots are then added in a fixed tree
// (docs/workers.md). The split depends only on the batch size and the shard count, never on workers.
import {
  ABI_VERSION, GEMM_MR, H_EPOCH, H_LAYOUT_HASH, H_MAGIC, H_POS, H_POS_BATCH, H_POS_COUNT, H_POS_FLAGS, H_POS_SEED_HI,
  H_POS_SEED_LO, H_SEED_HI, H_SEED_LO, H_STEP_HI, H_STEP_LO, H_VERSION, HEADER_MAGIC, POS_F_DROP_LAST, POS_F_SHUFFLE,
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
  /** Gradient shards per batch (grad slots and scratch areas). Default 1. */
  readonly shards?: number;
  /** 1: plan the noise-ahead block (workers compute the step's noise there while they wait). Default 0. */
  readonly noiseSlots?: number;
  /**
   * Attach to this memory, already laid out and initialised by another Network with the same spec and
   * options (a worker's view of the trainer's memory): the header and parameters are left as they are.
   */
  readonly memory?: WebAssembly.Memory;
}

/**
 * Where the epoch in progress stands: how many of its batches are taken, and the data order they came
 * from (fit()'s examples, batch size, seed, shuffle and dropLast). Kept in the header, so that a fit() cut
 * mid-epoch, or a checkpoint, continues from the next batch.
 */
export interface DataPosition {
  /** Batches of epoch `epoch` already taken; 0 at an epoch boundary (the other fields then say nothing). */
  readonly batch: number;
  readonly count: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
}

/** Bytes at the start of each shard's scratch area for a private copy of the update's scalars (U_BYTES, padded). */
export const SHARD_HYPER_BYTES = 128;

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
  /** Gradient shards per batch; shard s has grad slot s and the scratch area at scratchOf(s). */
  readonly shards: number;
  /** Bytes of each shard's scratch area (SHARD_HYPER_BYTES, then kernel scratch). */
  readonly shardScratchBytes: number;
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
    this.shards = opts.shards ?? 1;
    // A shard's kernels run one after another, so they share its scratch area: the largest need wins. It is
    // sized for a whole batch (evaluate and predict run unsharded on shard 0's area), and starts with the
    // shard's private copy of the update scalars, so concurrent workers never write the same bytes.
    const kernelScratch = Math.max(probe.step_scratch_bytes(), ...this.layers.map((l) => l.scratchBytes(probe, rows)));
    this.shardScratchBytes = Math.ceil((SHARD_HYPER_BYTES + kernelScratch) / 64) * 64;
    this.plan = planLayout({
      base: mod.arenaBase,
      params: this.paramDecls,
      gradSlots: this.shards,
      stateSlots: opts.stateSlots,
      activations,
      activationGrads: this.layers.flatMap((l) => l.activationGrads(rows)),
      scratchBytes: this.shards * this.shardScratchBytes,
      noiseSlots: opts.noiseSlots ?? 0,
    });
    if (opts.memory && opts.memory.buffer.byteLength < this.plan.pages * 65536) {
      throw new Error(`internal: the memory to attach holds ${opts.memory.buffer.byteLength} bytes; the plan needs ${this.plan.pages} pages`);
    }
    this.core = instantiateCore(mod, opts.memory ?? createMemory(mod, this.plan.pages));
    this.k = this.core.exports;
    const at = (name: string) => this.plan.activationTensors.get(name)!.offset;
    this.input = at('input');
    this.labels = at('labels');
    this.targets = at('targets');

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
    if (!opts.memory) {
      this.writeHeader();
      this.initParams();
    }
  }

  /** Shard s's scratch area: its hyper copy (SHARD_HYPER_BYTES), then kernel scratch. */
  hyperOf(s: number): number {
    return this.plan.scratch.offset + s * this.shardScratchBytes;
  }

  /** Kernel scratch of shard s (after its hyper copy). */
  scratchOf(s: number): number {
    return this.hyperOf(s) + SHARD_HYPER_BYTES;
  }

  /**
   * Rows [r0, r1) of a batch of `rows` that shard s takes. Boundaries fall on multiples of GEMM_MR (4)
   * rows, so that only the last shard can have a partial row tile: b(s) = 4 * floor(s * rows / (4 * S)),
   * and the last shard ends at `rows`. A pure function of (rows, S).
   */
  shardRows(rows: number, s: number): [number, number] {
    const b = (i: number) => (i >= this.shards ? rows : GEMM_MR * Math.floor((i * rows) / (GEMM_MR * this.shards)));
    return [b(s), b(s + 1)];
  }

  /** Byte distance from the params block to grad slot s. */
  gradShift(s: number): number {
    return this.plan.grads[s]!.offset - this.plan.params.offset;
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
    this.position = { batch: 0, count: 0, batchSize: 0, seed: 0, shuffle: false, dropLast: false };
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

  get position(): DataPosition {
    const h = this.header, u = (at: number) => h.getUint32(at, true), flags = u(H_POS_FLAGS);
    return {
      batch: u(H_POS), count: u(H_POS_COUNT), batchSize: u(H_POS_BATCH), seed: u(H_POS_SEED_LO) + u(H_POS_SEED_HI) * 2 ** 32,
      shuffle: (flags & POS_F_SHUFFLE) !== 0, dropLast: (flags & POS_F_DROP_LAST) !== 0,
    };
  }

  set position(p: DataPosition) {
    const h = this.header, u = (at: number, v: number) => h.setUint32(at, v >>> 0, true);
    const [lo, hi] = seedHalves(p.seed);
    u(H_POS, p.batch); u(H_POS_COUNT, p.count); u(H_POS_BATCH, p.batchSize); u(H_POS_SEED_LO, lo); u(H_POS_SEED_HI, hi);
    u(H_POS_FLAGS, (p.shuffle ? POS_F_SHUFFLE : 0) | (p.dropLast ? POS_F_DROP_LAST : 0));
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

  /** Rows [row0, row0 + rows) of the batch buffers, with shard s's grad slot and scratch. */
  pass(row0: number, rows: number, s: number, training: boolean): Pass {
    return { row0, rows, gradShift: this.gradShift(s), scratch: this.scratchOf(s), training, step: this.step };
  }

  forward(pass: Pass): void {
    const { k, phase } = this;
    for (const l of this.bound) {
      phase.what = `forward of layer ${l.name}`;
      l.forward(k, pass);
    }
  }

  /** Loss summed over the pass's rows, and dL/doutput into the last layer's grad buffer. */
  lossForward({ row0, rows }: Pass): number {
    const last = this.bound[this.bound.length - 1]!, O = this.outputs, at = row0 * O * 4;
    this.phase.what = `loss (${this.loss})`;
    return this.loss === 'softmaxCrossEntropy'
      ? this.k.softmax_xent_f32(last.doutput + at, last.output + at, this.labels + row0 * 4, rows, O)
      : this.k.mse_f32(last.doutput + at, last.output + at, this.targets + at, rows, O);
  }

  correct({ row0, rows }: Pass): number {
    const O = this.outputs;
    return this.loss === 'softmaxCrossEntropy'
      ? this.k.correct_count_f32(this.outputPtr + row0 * O * 4, this.labels + row0 * 4, rows, O) : 0;
  }

  backward(pass: Pass): void {
    const { k, phase } = this;
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
