// Runs a lowered update (optim/fuse.ts) on the core: pass 1 (global norm + non-finite check, and the noise
// when it comes before clipping), then the fused clip -> noise -> optimizer pass per parameter tensor,
// following docs/update.md. The per-step scalars are computed here in f64 and rounded once into the
// header's hyperparameter struct, which the kernel reads.
import {
  U_A, U_B, U_C, U_CLIP_SCALE, U_CLIP_VALUE, U_D, U_E, U_EPS, U_F, U_F_CENTERED, U_F_CLIP_NORM, U_F_CLIP_VALUE,
  U_F_FIRST, U_F_MOMENTUM, U_F_NESTEROV, U_F_NOISE, U_F_PRESCALED, U_F_WD, U_FLAGS, U_G, U_GSCALE, U_LR,
  U_SEED_HI, U_SEED_LO, U_SIGMA, U_STEP, U_WD, H_HYPER, U_BYTES,
} from '../core/abi.js';
import { seedHalves } from '../core/seed.js';
import type { Network } from '../model/network.js';
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
export function initState(net: Network, plan: FusedPlan): void {
  const { plan: layout, k } = net;
  for (const b of layout.optState) k.fill_f32(b.offset, b.bytes >> 2, 0);
  if (plan.opt.name === 'adagrad' && plan.opt.config.initialAccumulatorValue !== 0) {
    for (const p of layout.paramTensors.values()) {
      k.fill_f32(p.offset + layout.optState[0]!.offset - layout.params.offset, p.elements, plan.opt.config.initialAccumulatorValue);
    }
  }
}

/** One tensor's pointers for the two passes (state pointers are 0 where the optimizer has no slot). */
interface TensorPtrs {
  readonly name: string;
  readonly p: number;
  readonly g: number;
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
  readonly n: number;
}

/**
 * The fused update of one model: every pointer resolved once, so a step is two loops of kernel calls
 * (pass 1 and pass 2, one call per parameter tensor) around a handful of header writes.
 */
export class FusedUpdater {
  private readonly tensors: readonly TensorPtrs[];
  private readonly hyper: number;
  private readonly h: DataView;

  constructor(private readonly net: Network, readonly plan: FusedPlan) {
    const layout = net.plan;
    const gshift = layout.grads[0]!.offset - layout.params.offset;
    const st = layout.optState.map((b) => b.offset - layout.params.offset);
    const s = (p: number, j: number) => (j < st.length ? p + st[j]! : 0);
    this.tensors = [...layout.paramTensors.values()].map((t) => ({
      name: t.name, p: t.offset, g: t.offset + gshift, s0: s(t.offset, 0), s1: s(t.offset, 1), s2: s(t.offset, 2), n: t.elements,
    }));
    this.hyper = layout.header.offset + H_HYPER;
    this.h = new DataView(net.core.memory.buffer, this.hyper, U_BYTES);
    const [lo, hi] = seedHalves(net.seed);
    this.h.setUint32(U_SEED_LO, lo, true);
    this.h.setUint32(U_SEED_HI, hi, true);
  }

  /**
   * One update from the batch-summed gradients of `rows` examples. Returns the step's metrics, or throws
   * NonFiniteGradientError without touching parameters or state.
   */
  run(rows: number): StepMetrics {
    const { net, plan, h, hyper, tensors } = this;
    const k = net.k;
    const t = net.step;
    const f32 = (at: number, v: number) => h.setFloat32(at, v, true);
    const o = plan.opt;
    const sc = optimizerScalars(o, t);
    const sigma = plan.noise ? Math.fround(noiseSigma(plan.noise.eta, plan.noise.gamma, t)) : 0;
    let flags = OPTIMIZER_CODES[o.name];
    f32(U_GSCALE, 1 / rows);
    f32(U_SIGMA, sigma);
    f32(U_LR, sc.lr); f32(U_WD, sc.wd); f32(U_EPS, sc.eps);
    f32(U_A, sc.a); f32(U_B, sc.b); f32(U_C, sc.c); f32(U_D, sc.d); f32(U_E, sc.e); f32(U_F, sc.f); f32(U_G, sc.g);
    h.setUint32(U_STEP, t >>> 0, true);
    if (o.config.weightDecay !== 0) flags |= U_F_WD;
    if (o.name === 'sgd' && o.config.momentum > 0) {
      flags |= U_F_MOMENTUM | (t === 0 ? U_F_FIRST : 0) | (o.config.nesterov ? U_F_NESTEROV : 0);
    }
    if (o.name === 'rmsprop') {
      if (o.config.momentum > 0) flags |= U_F_MOMENTUM;
      if (o.config.centered) flags |= U_F_CENTERED;
    }

    // Pass 1: the global norm, which is also the non-finite check (an f64 sum of f32 squares is finite
    // exactly when every term is). With noise before clipping it adds the noise and writes it back.
    const noiseFirst = plan.noise !== null && plan.noise.beforeClip;
    h.setUint32(U_FLAGS, noiseFirst ? flags | U_F_NOISE : flags, true);
    const tmp = net.scratch;
    let total = 0;
    net.phase.what = 'gradient norm';
    for (let i = 0; i < tensors.length; i++) {
      const x = tensors[i]!;
      total += k.grad_sumsq_f64(hyper, x.g, x.n, i, 0, tmp, noiseFirst ? 1 : 0);
    }
    if (!Number.isFinite(total)) {
      for (const [i, x] of tensors.entries()) {
        const at = k.first_nonfinite_f32(x.g, x.n);
        if (at >= 0) throw new NonFiniteGradientError(t, i, at, net.f32(x.g, x.n)[at]!, x.name);
      }
      throw new NonFiniteGradientError(t, -1, -1, total, '(sum of squares)');
    }
    const gradNorm = Math.sqrt(total);

    // Pass 2: clip -> noise -> optimizer, parameter tensor by tensor; zeroes the gradients.
    let clipScale = 1;
    if (plan.clip.kind === 'value') {
      flags |= U_F_CLIP_VALUE;
      f32(U_CLIP_VALUE, plan.clip.max);
    } else if (plan.clip.kind === 'norm' && gradNorm > plan.clip.max) {
      clipScale = Math.fround(plan.clip.max / gradNorm);
      flags |= U_F_CLIP_NORM;
      f32(U_CLIP_SCALE, clipScale);
    }
    if (noiseFirst) flags |= U_F_PRESCALED;
    else if (plan.noise) flags |= U_F_NOISE;
    h.setUint32(U_FLAGS, flags, true);
    net.phase.what = 'optimizer update';
    for (let i = 0; i < tensors.length; i++) {
      const x = tensors[i]!;
      k.fused_update_f32(hyper, x.p, x.g, x.s0, x.s1, x.s2, x.n, i, 0, tmp);
    }
    return { gradNorm, clipScale, sigma, lr: sc.lrValue };
  }
}
