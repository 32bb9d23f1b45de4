// A graph compiled onto the core: the layout plan, the memory, the planned program (graph/plan.ts) bound to
// absolute addresses once per shard region, and the step's kernel sequence. Unchecked and runtime-agnostic:
// the public Model (runtime/model.ts) validates every input before it gets here, and the training loop
// decides what runs when.
//
// Gradients are SUMS over the batch: the losses write d(loss)/d(prediction) per example without the
// 1 / rows, and the optimizer applies it. A batch is split into `shards` fixed row ranges, each with its
// own grad slot, scratch area and activation region, so that workers can run shards at once; the slots are
// then added in a fixed tree (docs/workers.md). The split depends only on the batch size and the shard
// count, never on workers. evaluate and predict run in chunks of a region's rows through region 0.
import {
  ABI_VERSION, GEMM_MR, H_EPOCH, H_LAYOUT_HASH, H_MAGIC, H_POS, H_POS_BATCH, H_POS_COUNT, H_POS_FLAGS, H_POS_SEED_HI,
  H_POS_SEED_LO, H_SEED_HI, H_SEED_LO, H_STEP_HI, H_STEP_LO, H_VERSION, HEADER_MAGIC, POS_F_DROP_LAST, POS_F_SHUFFLE,
  RNG_DOMAIN_INIT, type CoreExports,
} from '../core/abi.js';
import { seedHalves } from '../core/seed.js';
import { planLayout, type LayoutPlan, type TensorRequest } from '../core/layout.js';
import { createMemory, instantiateCore, type Core, type CoreModule } from '../core/wasm.js';
import { resolveInit, type Fill } from './init.js';
import { elementsOf, sizeOf, type BoundNode, type RunPass } from './op.js';
import type { BoundLoss, LossDecl, LossResult } from './ops/loss.js';
import { addElements, planProgram, type Add, type PlannedNode, type Program, type Ref } from './plan.js';
import { compileGraph, type CompiledGraph, type GraphSpec, type NormalizedGraph } from './spec.js';

export interface NetworkOptions {
  /** Largest number of examples per batch. */
  readonly maxRows: number;
  /** 64-bit seed for initialisation (and, by default, data order and noise). Integer in [0, 2^53). */
  readonly seed: number;
  /** Optimizer state copies of the params block (0 for plain SGD). */
  readonly stateSlots: number;
  /** Gradient shards per batch (grad slots, scratch areas, activation regions). Default 1. */
  readonly shards?: number;
  /** 1: plan the noise-ahead block (workers compute the step's noise there while they wait). Default 0. */
  readonly noiseSlots?: number;
  /**
   * Attach to this memory, already laid out and initialised by another Network with the same graph and
   * options (a worker's view of the trainer's memory): the header, parameters and constants are left as
   * they are.
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

/** Examples as the model reads them: one array per graph input, `count` examples each, row-major. */
export interface Staged {
  readonly count: number;
  readonly arrays: Readonly<Record<string, Float32Array | Int32Array>>;
}

export interface ParamDecl extends TensorRequest {
  readonly shape: readonly number[];
  readonly fill: Fill;
}

/** Bytes at the start of each shard's scratch area for a private copy of the update's scalars (U_BYTES, padded). */
export const SHARD_HYPER_BYTES = 128;

/** What the current kernel call is doing, for errors that surface from a wasm trap. */
export interface Phase {
  what: string;
}

/**
 * A profiler's recording side (runtime/trace.ts): a clock, and spans by a name id interned once. The
 * network records one span per op (forward and backward of each node, each loss) while `recording` is set.
 */
export interface SpanRecorder {
  intern(name: string, cat: string): number;
  now(): number;
  span(id: number, t0: number, t1: number): void;
}

/** Span ids of the program's nodes under one recorder: forward, backward and loss, in execution order. */
interface SpanIds {
  readonly rec: SpanRecorder;
  readonly forward: readonly number[];
  readonly backward: readonly number[];
  readonly losses: readonly number[];
}

/** Where a value first turns non-finite in a forward pass. */
export interface NonFiniteValue {
  readonly node: string;
  readonly value: number;
  /** Example of the whole batch, and element within the example. */
  readonly example: number;
  readonly element: number;
}

interface BoundRegion {
  readonly forward: readonly { readonly plan: PlannedNode; readonly node: BoundNode; readonly what: string }[];
  readonly backward: readonly { readonly plan: PlannedNode; readonly node: BoundNode; readonly adds: readonly BoundAdd[]; readonly what: string }[];
  readonly losses: readonly { readonly bound: BoundLoss<unknown>; readonly decl: LossDecl; readonly weight: number; readonly add: BoundAdd | null; readonly classifies: boolean; readonly what: string }[];
  readonly inputs: ReadonlyMap<string, number>;
  readonly outputs: ReadonlyMap<string, number>;
  readonly values: ReadonlyMap<string, number>;
  readonly zero: readonly { readonly p: number; readonly n: number }[];
}

interface BoundAdd {
  readonly dst: number;
  readonly src: number;
  readonly add: Add;
}

const ALIGN_LINE = 64;
const alignLine = (x: number) => Math.ceil(x / ALIGN_LINE) * ALIGN_LINE;

export class Network {
  /** The graph with every default filled in: what checkpoints store and compare. */
  readonly spec: NormalizedGraph;
  readonly graph: CompiledGraph;
  readonly program: Program;
  readonly paramDecls: readonly ParamDecl[];
  readonly plan: LayoutPlan;
  readonly core: Core;
  readonly k: CoreExports;
  /** Gradient shards per batch; shard s has grad slot s, the scratch area at scratchOf(s) and region s. */
  readonly shards: number;
  /** Bytes of each shard's scratch area (SHARD_HYPER_BYTES, then kernel scratch). */
  readonly shardScratchBytes: number;
  /** Rows one region holds: the most any shard of a batch up to maxRows takes, and the inference chunk. */
  readonly cap: number;
  readonly maxRows: number;
  readonly seed: number;
  readonly phase: Phase = { what: 'idle' };
  /** Set (with a recorder attached) while the profiler records this thread's steps. */
  recording = false;
  private spans: SpanIds | null = null;
  private readonly regions: readonly BoundRegion[];
  private readonly header: DataView;

  constructor(mod: CoreModule, spec: GraphSpec, opts: NetworkOptions) {
    this.graph = compileGraph(spec);
    this.spec = this.graph.spec;
    this.maxRows = opts.maxRows;
    this.seed = opts.seed;
    this.shards = opts.shards ?? 1;
    // Shard s of a batch of r rows takes at most floor(r / S) + 4 rows (shardRows below), never more than r.
    this.cap = Math.min(opts.maxRows, Math.floor(opts.maxRows / this.shards) + GEMM_MR);
    const probe = mod.probe;
    this.program = planProgram(this.graph, this.cap, probe);
    this.paramDecls = this.spec.params.map((p) => ({
      name: p.name, elements: sizeOf(p.shape), shape: p.shape, fill: resolveInit(p.init, p.fan[0], p.fan[1], p.activation),
    }));

    // A shard's kernels run one after another, so they share its scratch area: the largest need wins. It
    // starts with the shard's private copy of the update scalars, so concurrent workers never write the
    // same bytes.
    const kernelScratch = Math.max(probe.step_scratch_bytes(), this.program.scratchBytes);
    this.shardScratchBytes = alignLine(SHARD_HYPER_BYTES + kernelScratch);
    const regionBytes = this.program.regionBytes;
    this.plan = planLayout({
      base: mod.arenaBase,
      params: this.paramDecls,
      gradSlots: this.shards,
      stateSlots: opts.stateSlots,
      activations: [
        ...Array.from({ length: this.shards }, (_, s) => ({ name: `region_${s}`, elements: regionBytes / 4 })),
        { name: 'static', elements: this.program.staticBytes / 4 },
      ],
      activationGrads: [],
      scratchBytes: this.shards * this.shardScratchBytes,
      noiseSlots: opts.noiseSlots ?? 0,
    });
    if (opts.memory && opts.memory.buffer.byteLength < this.plan.pages * 65536) {
      throw new Error(`internal: the memory to attach holds ${opts.memory.buffer.byteLength} bytes; the plan needs ${this.plan.pages} pages`);
    }
    this.core = instantiateCore(mod, opts.memory ?? createMemory(mod, this.plan.pages));
    this.k = this.core.exports;
    this.regions = Array.from({ length: this.shards }, (_, s) => this.bind(s));
    this.header = new DataView(this.core.memory.buffer, this.plan.header.offset, this.plan.header.bytes);
    if (!opts.memory) {
      this.writeHeader();
      this.initParams();
      const staticBase = this.plan.activationTensors.get('static')!.offset;
      for (const c of this.program.constants) this.f32(staticBase + c.offset, c.values.length).set(c.values);
    }
  }

  /** Byte address of region s (shard s's rows of every batched value). */
  regionOf(s: number): number {
    return this.plan.activationTensors.get(`region_${s}`)!.offset;
  }

  // Every node, loss and input of the program at absolute addresses for region s (with grad slot s).
  private bind(s: number): BoundRegion {
    const base = this.regionOf(s), staticBase = this.plan.activationTensors.get('static')!.offset;
    const gshift = this.gradShift(s), prog = this.program, k = this.k, seed = seedHalves(this.seed);
    const paramAt = (i: number) => this.plan.paramTensors.get(this.spec.params[i]!.name)!.offset;
    const at = (r: Ref): number => {
      switch (r.kind) {
        case 'region': return base + prog.buffers[r.buf]!.offset;
        case 'param': return paramAt(r.param);
        case 'paramGrad': return paramAt(r.param) + gshift;
        case 'static': return staticBase + r.offset;
        case 'none': return 0;
      }
    };
    const record = (o: Readonly<Record<string, Ref>>) => Object.fromEntries(Object.entries(o).map(([key, r]) => [key, at(r)]));
    const bindNode = (p: PlannedNode): BoundNode => ({
      k, name: p.node.name, index: p.node.index, attrs: p.node.attrs, inputs: p.node.inputTypes.map((t) => t!), out: p.node.out,
      x: p.x.map(at), y: at(p.y), dx: p.dx.map(at), accX: p.accX, dy: at(p.dy),
      p: record(p.p), dp: record(p.dp), accP: p.accP, ws: record(p.ws), scratch: this.scratchOf(s), seed,
    });
    const bindAdd = (a: Add | null): BoundAdd | null => (a ? { dst: at(a.dst), src: at(a.src), add: a } : null);
    const nodes = new Map(prog.forward.map((p) => [p, bindNode(p)]));
    return {
      forward: prog.forward.filter((p) => p.node.decl.source === undefined)
        .map((p) => ({ plan: p, node: nodes.get(p)!, what: `forward of node ${p.node.name}` })),
      backward: prog.backward.map((p) => ({ plan: p, node: nodes.get(p)!, adds: p.adds.map((a) => bindAdd(a)!), what: `backward of node ${p.node.name}` })),
      losses: prog.losses.map((l) => ({
        bound: { k, attrs: l.loss.attrs, input: l.loss.inputType, target: l.loss.targetType, x: at(l.x), t: at(l.t), mask: at(l.mask), dx: at(l.dx) },
        decl: l.loss.decl, weight: l.loss.weight, add: bindAdd(l.add), classifies: l.loss.decl.op === 'softmaxCrossEntropy',
        what: `loss (${l.loss.decl.op})`,
      })),
      inputs: new Map([...prog.inputs].map(([name, r]) => [name, at(r)])),
      outputs: new Map([...prog.outputs].map(([name, r]) => [name, at(r)])),
      values: new Map([...prog.values].map(([name, r]) => [name, at(r)])),
      zero: prog.zeroParams.map((i) => ({ p: paramAt(i) + gshift, n: sizeOf(this.spec.params[i]!.shape) })),
    };
  }

  /**
   * Attaches a profiler's recorder (null detaches it): the ops' span names are interned once here, and
   * every op records a span while `recording` is set.
   */
  attachRecorder(rec: SpanRecorder | null): void {
    this.recording = false;
    if (!rec) { this.spans = null; return; }
    const r = this.regions[0]!;
    this.spans = {
      rec,
      forward: r.forward.map((f) => rec.intern(`${f.node.name} (${f.plan.node.decl.op})`, 'forward')),
      backward: r.backward.map((b) => rec.intern(`${b.node.name} (${b.plan.node.decl.op})`, 'backward')),
      losses: r.losses.map((l) => rec.intern(`loss (${l.decl.op})`, 'loss')),
    };
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

  /**
   * Copies examples into region s's input buffers: row r (0 <= r < r1 - r0) of the region gets example
   * order[from + r0 + r] (or from + r0 + r without an order) of the staged data.
   */
  load(data: Staged, order: ArrayLike<number> | null, from: number, r0: number, r1: number, s: number): void {
    const region = this.regions[s]!;
    for (const name of this.graph.spec.inputs.map((x) => x.name)) {
      const src = data.arrays[name];
      if (!src) continue; // an input predict() does not need (a target)
      const F = sizeOf(this.graph.types.get(name)!.shape);
      const ptr = region.inputs.get(name)!;
      const dst = src instanceof Int32Array ? this.i32(ptr, (r1 - r0) * F) : this.f32(ptr, (r1 - r0) * F);
      if (!order && F > 0) {
        dst.set(src.subarray((from + r0) * F, (from + r1) * F) as never);
        continue;
      }
      for (let r = r0; r < r1; r++) {
        const e = order ? order[from + r]! : from + r;
        dst.set(src.subarray(e * F, e * F + F) as never, (r - r0) * F);
      }
    }
  }

  private pass(rows: number, row0: number, training: boolean): RunPass {
    return { rows, row0, step: this.step, training };
  }

  forward(s: number, rows: number, row0: number, training: boolean): void {
    const { phase } = this, pass = this.pass(rows, row0, training);
    const spans = this.recording ? this.spans : null;
    if (spans) {
      const { rec, forward: ids } = spans, list = this.regions[s]!.forward;
      for (let i = 0; i < list.length; i++) {
        const { node, plan, what } = list[i]!;
        phase.what = what;
        const t0 = rec.now();
        plan.node.decl.forward(node, pass);
        rec.span(ids[i]!, t0, rec.now());
      }
      return;
    }
    for (const { node, plan, what } of this.regions[s]!.forward) {
      phase.what = what;
      plan.node.decl.forward(node, pass);
    }
  }

  /** Every loss over region s's rows: loss sum (weighted), and correct / scored of the classifying losses. */
  lossForward(s: number, rows: number): LossResult {
    let loss = 0, correct = 0, count = 0;
    const spans = this.recording ? this.spans : null, list = this.regions[s]!.losses;
    for (let i = 0; i < list.length; i++) {
      const l = list[i]!;
      this.phase.what = l.what;
      const t0 = spans ? spans.rec.now() : 0;
      const r = l.decl.run(l.bound, rows);
      let v = r.loss;
      if (l.weight !== 1) {
        v *= l.weight;
        this.k.scale_f32(l.bound.dx, l.bound.dx, elementsOf(l.bound.input, rows), l.weight);
      }
      if (l.add) this.k.add_f32(l.add.dst, l.add.src, addElements(l.add.add, rows));
      if (spans) spans.rec.span(spans.losses[i]!, t0, spans.rec.now());
      loss += v;
      if (l.classifies) { correct += r.correct; count += r.count; }
    }
    return { loss, correct, count };
  }

  backward(s: number, rows: number, row0: number): void {
    const { phase, k } = this, pass = this.pass(rows, row0, true), region = this.regions[s]!;
    const spans = this.recording ? this.spans : null, list = region.backward;
    for (let i = 0; i < list.length; i++) {
      const { node, plan, adds, what } = list[i]!;
      phase.what = what;
      const t0 = spans ? spans.rec.now() : 0;
      plan.node.decl.backward!(node, pass);
      for (const a of adds) k.add_f32(a.dst, a.src, addElements(a.add, rows));
      if (spans) spans.rec.span(spans.backward[i]!, t0, spans.rec.now());
    }
    for (const z of region.zero) k.fill_f32(z.p, z.n, 0);
  }

  /** The output `name` of region s after a forward over `rows` rows. */
  output(name: string, s: number, rows: number): Float32Array | Int32Array {
    const t = this.graph.types.get(name)!, ptr = this.regions[s]!.outputs.get(name)!;
    return t.dtype === 'i32' ? this.i32(ptr, elementsOf(t, rows)) : this.f32(ptr, elementsOf(t, rows));
  }

  /**
   * Runs region s's forward again, node by node, and returns the first value that holds a NaN or an
   * Infinity (null when none does): the diagnosis of a step whose loss is not finite.
   */
  firstNonFinite(s: number, rows: number, row0: number, training: boolean): NonFiniteValue | null {
    const pass = this.pass(rows, row0, training);
    for (const { node, plan } of this.regions[s]!.forward) {
      plan.node.decl.forward(node, pass);
      if (node.out.dtype !== 'f32') continue;
      const n = elementsOf(node.out, rows);
      const at = this.k.first_nonfinite_f32(node.y, n);
      if (at >= 0) {
        const per = node.out.batched ? sizeOf(node.out.shape) : n;
        return { node: node.name, value: this.f32(node.y, n)[at]!, example: node.out.batched ? row0 + Math.floor(at / per) : -1, element: at % per };
      }
    }
    return null;
  }

  f32(offset: number, elements: number): Float32Array {
    return new Float32Array(this.core.memory.buffer, offset, elements);
  }

  i32(offset: number, elements: number): Int32Array {
    return new Int32Array(this.core.memory.buffer, offset, elements);
  }
}
