// Runs a lowered update (optim/fuse.ts) on the core: pass 1 (global norm + non-finite check, and the noise
// when it comes before clipping), then the fused clip -> noise -> optimizer pass, both per work unit (a
// tensor range of at most UPDATE_UNIT elements), following docs/update.md. The per-step scalars are
// computed here in f64 and rounded once into a hyperparameter struct, which the kernel reads.
import {
  U_A, U_B, U_C, U_CLIP_SCALE, U_CLIP_VALUE, U_D, U_E, U_EPS, U_F, U_F_CENTERED, U_F_CLIP_NORM, U_F_CLIP_VALUE,
  U_F_FIRST, U_F_MOMENTUM, U_F_NESTEROV, U_F_NOISE, U_F_PRESCALED, U_F_WD, U_FLAGS, U_G, U_GSCALE, U_LR,
  U_SEED_HI, U_SEED_LO, U_SIGMA, U_STEP, U_WD, H_HYPER, U_BYTES, UPDATE_UNIT,
} from '../core/abi.js';
import { seedHalves } from '../core/seed.js';
import type { Network, SpanRecorder } from '../graph/network.js';
import type { FusedPlan } from './fuse.js';
import { NonFiniteGradientError, noiseSigma, optimizerScalars, OPTIMIZER_CODES, type StepMetrics } from './transforms.js';

/** Optimizer-state slots the plan needs (copies of the params block). */
export function stateSlotsOf(plan: FusedPlan): number {
  const o = plan.opt;
  switch (o.name) {
    case 'sgd': return o.config.momentum > 0 ? 1 : 0;
    case 'adam': case 'adamw': return 2;
    case 'adagrad': return 1;
    case 'rmsprop': return o.config.centered ? 3 : o.config.momentum > 0 ? 2 : 1;
  }
}

/** Sets the optimizer state to its initial value (zeros, or Adagrad's initial accumulator). */
/**
 * Whether noise-ahead can serve this update: the noise comes after clipping, so pass 2 adds it and it can
 * be drawn before the gradient is known (the layout then plans the block for two or more workers).
 */
export function noiseAheadApplies(plan: FusedPlan): boolean {
  return plan.noise !== null && !plan.noise.beforeClip;
}

export function initState(net: Network, plan: FusedPlan): void {
  const { plan: layout, k } = net;
  for (const b of layout.optState) k.fill_f32(b.offset, b.bytes >> 2, 0);
  if (plan.opt.name === 'adagrad' && plan.opt.config.initialAccumulatorValue !== 0) {
    for (const p of layout.paramTensors.values()) {
      k.fill_f32(p.offset + layout.optState[0]!.offset - layout.params.offset, p.elements, plan.opt.config.initialAccumulatorValue);
    }
  }
}

/**
 * One work unit of the update: elements [start, start + n) of parameter tensor `tensor` (UPDATE_UNIT at
 * most), with the pointers of those elements in the params block, grad slot 0 and each state slot (0
 * where the optimizer has no slot).
 */
export interface Unit {
  readonly tensor: number;
  readonly start: number;
  readonly n: number;
  readonly p: number;
  readonly g: number;
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
}

/** Cuts every parameter tensor of the layout into units of at most UPDATE_UNIT elements, in layout order. */
export function updateUnits(net: Network): Unit[] {
  const layout = net.plan;
  const gshift = net.gradShift(0);
  const st = layout.optState.map((b) => b.offset - layout.params.offset);
  const s = (p: number, j: number) => (j < st.length ? p + st[j]! : 0);
  const units: Unit[] = [];
  [...layout.paramTensors.values()].forEach((t, tensor) => {
    const count = Math.max(1, Math.ceil(t.elements / UPDATE_UNIT)); // an empty tensor still gets its (empty) unit
    for (let j = 0; j < count; j++) {
      const start = j * UPDATE_UNIT, p = t.offset + start * 4;
      units.push({ tensor, start, n: Math.min(UPDATE_UNIT, t.elements - start), p, g: p + gshift, s0: s(p, 0), s1: s(p, 1), s2: s(p, 2) });
    }
  });
  return units;
}

/** What run() may be told beyond the rows: noise already drawn ahead, and a profiler's recorder. */
export interface RunHooks {
  /**
   * Called once per step after pass 1, before pass 2: per unit, how many of its first elements' noise of
   * this step lie ready in the noise-ahead block (a helper thread drew them), or null for none.
   */
  readonly ready?: () => ArrayLike<number> | null;
  /** Spans of pass 1 and pass 2 (ids interned in the recorder), recorded when set. */
  readonly spans?: { readonly rec: SpanRecorder; readonly pass1: number; readonly pass2: number } | null;
}

/** Per-step values that pass 1 needs to know whether noise comes first, and the metrics' sigma and lr. */
export interface Prepared {
  readonly t: number;
  readonly flags: number;
  readonly noiseFirst: boolean;
  readonly sigma: number;
  readonly lr: number;
}

/**
 * The fused update of one model, in the three phases that workers split by units (docs/workers.md):
 * prepare() writes the step's scalars into a hyper struct, pass1() sums one unit's squares (adding the noise
 * first when the chain says so), finish() turns the unit sums into the norm and the clip, and pass2() runs
 * clip -> noise -> optimizer on one unit. run() is all of it on one thread.
 */
export class FusedUpdater {
  readonly units: readonly Unit[];
  private readonly names: readonly string[];
  /** A DataView per hyper struct in use (one per worker), made once instead of on every step. */
  private readonly views = new Map<number, DataView>();

  /** run()'s unit sums, made once. */
  private readonly sums: Float64Array;

  constructor(private readonly net: Network, readonly plan: FusedPlan) {
    this.units = updateUnits(net);
    this.sums = new Float64Array(this.units.length);
    this.names = [...net.plan.paramTensors.keys()];
  }

  private view(hyper: number): DataView {
    let h = this.views.get(hyper);
    if (!h) this.views.set(hyper, h = new DataView(this.net.core.memory.buffer, hyper, U_BYTES));
    return h;
  }

  /** Writes every scalar of step t except the clip into the hyper struct at `hyper`. */
  prepare(hyper: number, rows: number, t: number): Prepared {
    const { net, plan } = this;
    const h = this.view(hyper);
    const f32 = (at: number, v: number) => h.setFloat32(at, v, true);
    const o = plan.opt;
    const sc = optimizerScalars(o, t);
    const sigma = plan.noise ? Math.fround(noiseSigma(plan.noise.eta, plan.noise.gamma, t)) : 0;
    let flags = OPTIMIZER_CODES[o.name];
    const [lo, hi] = seedHalves(net.seed);
    h.setUint32(U_SEED_LO, lo, true);
    h.setUint32(U_SEED_HI, hi, true);
    f32(U_GSCALE, 1 / rows);
    f32(U_SIGMA, sigma);
    f32(U_LR, sc.lr); f32(U_WD, sc.wd); f32(U_EPS, sc.eps);
    f32(U_A, sc.a); f32(U_B, sc.b); f32(U_C, sc.c); f32(U_D, sc.d); f32(U_E, sc.e); f32(U_F, sc.f); f32(U_G, sc.g);
    f32(U_CLIP_VALUE, 0); f32(U_CLIP_SCALE, 1);
    h.setUint32(U_STEP, t >>> 0, true);
    if (o.config.weightDecay !== 0) flags |= U_F_WD;
    if (o.name === 'sgd' && o.config.momentum > 0) {
      flags |= U_F_MOMENTUM | (t === 0 ? U_F_FIRST : 0) | (o.config.nesterov ? U_F_NESTEROV : 0);
    }
    if (o.name === 'rmsprop') {
      if (o.config.momentum > 0) flags |= U_F_MOMENTUM;
      if (o.config.centered) flags |= U_F_CENTERED;
    }
    // Pass 1 reads the flags for the noise: set only when it comes before clipping.
    const noiseFirst = plan.noise !== null && plan.noise.beforeClip;
    h.setUint32(U_FLAGS, noiseFirst ? flags | U_F_NOISE : flags, true);
    return { t, flags, noiseFirst, sigma, lr: sc.lrValue };
  }

  /** Pass 1 on unit u of grad slot 0: its sum of squares (f64, docs/update.md order). */
  pass1(hyper: number, tmp: number, pre: Prepared, u: number): number {
    const x = this.units[u]!;
    return this.net.k.grad_sumsq_f64(hyper, x.g, x.n, x.tensor, x.start, tmp, pre.noiseFirst ? 1 : 0);
  }

  /**
   * The squared global norm from every unit's pass-1 sum, in the fixed order: per tensor the sum of its
   * units in order (from 0), then the tensors in layout order (from 0). The same for any split of units.
   */
  total(sums: ArrayLike<number>): number {
    let total = 0, tensorSum = 0, tensor = 0;
    for (let u = 0; u < this.units.length; u++) {
      const x = this.units[u]!;
      if (x.tensor !== tensor) { total += tensorSum; tensorSum = 0; tensor = x.tensor; }
      tensorSum += sums[u]!;
    }
    return total + tensorSum;
  }

  /**
   * From the squared norm: throws NonFiniteGradientError when it is not finite (naming the first offending
   * tensor and index of grad slot 0), else writes the clip and pass 2's flags into `hyper`.
   */
  finish(hyper: number, pre: Prepared, total: number): { gradNorm: number; clipScale: number } {
    const { net, plan } = this;
    if (!Number.isFinite(total)) {
      for (const x of this.units) {
        const at = net.k.first_nonfinite_f32(x.g, x.n);
        if (at >= 0) {
          throw new NonFiniteGradientError(pre.t, x.tensor, x.start + at, net.f32(x.g, x.n)[at]!, this.names[x.tensor]!);
        }
      }
      throw new NonFiniteGradientError(pre.t, -1, -1, total, '(sum of squares)');
    }
    const h = this.view(hyper);
    const gradNorm = Math.sqrt(total);
    let flags = pre.flags, clipScale = 1;
    if (plan.clip.kind === 'value') {
      flags |= U_F_CLIP_VALUE;
      h.setFloat32(U_CLIP_VALUE, plan.clip.max, true);
    } else if (plan.clip.kind === 'norm' && gradNorm > plan.clip.max) {
      clipScale = Math.fround(plan.clip.max / gradNorm);
      flags |= U_F_CLIP_NORM;
      h.setFloat32(U_CLIP_SCALE, clipScale, true);
    }
    if (pre.noiseFirst) flags |= U_F_PRESCALED;
    else if (plan.noise) flags |= U_F_NOISE;
    h.setUint32(U_FLAGS, flags, true);
    return { gradNorm, clipScale };
  }

  /**
   * Pass 2 on unit u: clip -> noise -> optimizer; zeroes the unit's gradients. The noise of the unit's
   * first `ready` elements was computed ahead (fillAhead) into the noise block; the rest is drawn here.
   */
  pass2(hyper: number, tmp: number, u: number, ready = 0): void {
    const x = this.units[u]!;
    if (ready > 0) this.net.k.fused_update_ahead_f32(hyper, x.p, x.g, x.s0, x.s1, x.s2, x.n, x.tensor, x.start, tmp, this.aheadOf(u), ready);
    else this.net.k.fused_update_f32(hyper, x.p, x.g, x.s0, x.s1, x.s2, x.n, x.tensor, x.start, tmp);
  }

  /** Whether the layout has the noise-ahead block and the noise comes after clipping (pass 2 adds it). */
  get ahead(): boolean {
    return this.aheadNoise ??= this.net.plan.noise.length > 0 && noiseAheadApplies(this.plan);
  }

  private aheadNoise: boolean | undefined;

  /** Where unit u's noise goes in the noise-ahead block (the params layout). */
  aheadOf(u: number): number {
    return this.units[u]!.p - this.net.plan.params.offset + this.net.plan.noise[0]!.offset;
  }

  /**
   * Computes the noise of elements [off, off + n) of unit u at the step prepared in `hyper` into the
   * noise-ahead block: the values pass 2 would draw.
   */
  fillAhead(hyper: number, u: number, off: number, n: number): void {
    const x = this.units[u]!;
    this.net.k.noise_fill_f32(hyper, this.aheadOf(u) + 4 * off, n, x.tensor, x.start + off);
  }

  /**
   * One update on this thread from the batch-summed gradients of `rows` examples in grad slot 0 (the
   * shards already reduced). Returns the step's metrics, or throws NonFiniteGradientError without touching
   * parameters or state.
   */
  run(rows: number, hooks: RunHooks = {}): StepMetrics {
    const net = this.net, spans = hooks.spans ?? null;
    const hyper = net.plan.header.offset + H_HYPER, tmp = net.scratchOf(0);
    let t0 = spans ? spans.rec.now() : 0;
    const pre = this.prepare(hyper, rows, net.step);
    const sums = this.sums;
    net.phase.what = 'gradient norm';
    for (let u = 0; u < sums.length; u++) sums[u] = this.pass1(hyper, tmp, pre, u);
    const { gradNorm, clipScale } = this.finish(hyper, pre, this.total(sums));
    if (spans) { const t = spans.rec.now(); spans.rec.span(spans.pass1, t0, t); t0 = t; }
    const ready = hooks.ready && this.ahead ? hooks.ready() : null;
    net.phase.what = 'optimizer update';
    for (let u = 0; u < this.units.length; u++) this.pass2(hyper, tmp, u, ready ? ready[u]! : 0);
    if (spans) spans.rec.span(spans.pass2, t0, spans.rec.now());
    return { gradNorm, clipScale, sigma: pre.sigma, lr: pre.lr };
  }
}
