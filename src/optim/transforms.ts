// Optax-style gradient transformations with slow, obvious, pure TypeScript implementations: the oracle
// that the fused wasm update (assembly/optim/step.ts) is tested against, bit for bit.
//
// Method: Neelakantan et al. 2015 (shared/PAPER.md), annealed Gaussian gradient noise of VARIANCE
// eta / (1 + t)^gamma, t = 0 at the first update, added after clipping (by default) and before the
// optimizer, so before the learning rate. Specification: docs/update.md. Every arithmetic line below is one
// f32 operation of that page (`fr` = Math.fround; an f64 op on f32 inputs followed by fr IS the f32 op),
// in its order; the per-step scalars (sigma, clipScale, lr, the adam factors e and f, ...) are computed in
// f64 and rounded once, by the exported functions noiseSigma, globalNorm and optimizerScalars, which the
// fuser must use too so that both sides write the same bits into the header.
//
// Shapes. A parameter set is a list of Float32Array tensors in LAYOUT ORDER: the index k of a tensor in the
// list is the k of the noise stream (element i of tensor k draws stream index k * 2^34 + i). Gradients
// have the same shapes and are the gradients of the MEAN loss: the caller has already scaled the batch
// sums, x = fr(g * gscale) (scaleGradients does exactly that).
//
// Contract of every transform t (optax's init/update pair, with explicit state and no hidden globals):
//   state = t.init(params)
//   { updates | params, state, metrics } = t.update(grads, state, params, step, ctx)
// update is PURE: it never writes into grads, state or params; every array it returns is fresh.
//   - gradient transforms (clipByValue, clipByGlobalNorm, addNoise, and chains without an optimizer)
//     return `updates`, the transformed gradient;
//   - optimizers (sgd, adam, adamw, adagrad, rmsprop; PyTorch semantics, weight decay included) and
//     chains ending in one return `params`, the NEW parameters. They do not return an additive update:
//     adamw's p = fr(fr(p * g) - u) is not fr(p + u') for any u', so "params in, params out" is the only
//     bit-exact form. The caller replaces its params by the result.
// `step` is the update count t (0 at the first update): it drives the noise schedule, the learning-rate
// schedule and Adam's bias correction. `ctx.seed` is the noise key (the model seed).
//
// For a fuser: every transform carries `name` and `config`, plain frozen data (numbers, booleans, tuples,
// schedules as plain data; JSON- and structured-clone-safe). describeTransform(t) gives the
// { name, config } tree, fromDescription rebuilds (and re-validates) a transform from it, and chain()
// flattens nested chains, so `chain.transforms` is the exact ordered list the kernel has to reproduce.
//
// One arrangement has no docs/update.md equivalent: clipByValue AND clipByGlobalNorm in one chain. The
// page computes the norm from the un-clipped gradient and applies it after the value clip; here, as in
// optax, clipByGlobalNorm measures its own (value-clipped) input. A fuser must refuse that pair (or the
// page must sum the squares of the value-clipped x in pass 1; then chain(clipByValue, clipByGlobalNorm,
// ...) is exactly that).
//
// State slots (the s0, s1, s2 of docs/update.md and assembly/optim/step.ts):
//   sgd      s0 = momentumBuffer (null before the first update, like PyTorch's None: U_F_FIRST)
//   adam(w)  s0 = m, s1 = v
//   adagrad  s0 = sum (starts at initialAccumulatorValue)
//   rmsprop  s0 = squareAvg, s1 = momentumBuffer (momentum > 0), s2 = gradAvg (centered)
import { RNG_DOMAIN_NOISE, OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_ADAGRAD, OPT_RMSPROP, UPDATE_UNIT } from '../core/abi.js';
import { didYouMean } from '../core/check.js';
import { initNormal } from '../core/philox.js';
import {
  checkLearningRate, checkNumber, checkOptions, fail, numberOption, scheduleValue, show, type LearningRate,
} from './schedules.js';

const fr = Math.fround;

// ================================================================ types

export type GradientName = 'clipByValue' | 'clipByGlobalNorm' | 'addNoise';
export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'adagrad' | 'rmsprop';
export type TransformName = GradientName | OptimizerName | 'chain';
/** 'optimizer': returns new params (an optimizer, or a chain ending in one); 'gradient': returns updates. */
export type TransformKind = 'gradient' | 'optimizer';

export const GRADIENT_NAMES: readonly GradientName[] = ['clipByValue', 'clipByGlobalNorm', 'addNoise'];
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'];
/** The kind code of each optimizer in the low 4 bits of U_FLAGS (assembly/shared/abi.ts). */
export const OPTIMIZER_CODES: Readonly<Record<OptimizerName, number>> = Object.freeze({
  sgd: OPT_SGD, adam: OPT_ADAM, adamw: OPT_ADAMW, adagrad: OPT_ADAGRAD, rmsprop: OPT_RMSPROP,
});

export interface ClipByValueConfig { readonly maxAbs: number }
export interface ClipByGlobalNormConfig { readonly maxNorm: number }
export interface AddNoiseConfig { readonly eta: number; readonly gamma: number }
export interface SgdConfig {
  readonly lr: LearningRate; readonly momentum: number; readonly dampening: number;
  readonly nesterov: boolean; readonly weightDecay: number;
}
export interface AdamConfig {
  readonly lr: LearningRate; readonly betas: readonly [number, number]; readonly eps: number;
  readonly weightDecay: number;
}
export interface AdagradConfig {
  readonly lr: LearningRate; readonly lrDecay: number; readonly weightDecay: number;
  readonly initialAccumulatorValue: number; readonly eps: number;
}
export interface RmspropConfig {
  readonly lr: LearningRate; readonly alpha: number; readonly eps: number; readonly weightDecay: number;
  readonly momentum: number; readonly centered: boolean;
}
export interface ChainConfig { readonly transforms: readonly LeafDescription[] }

export type GradientDescription =
  | { readonly name: 'clipByValue'; readonly config: ClipByValueConfig }
  | { readonly name: 'clipByGlobalNorm'; readonly config: ClipByGlobalNormConfig }
  | { readonly name: 'addNoise'; readonly config: AddNoiseConfig };
export type OptimizerDescription =
  | { readonly name: 'sgd'; readonly config: SgdConfig }
  | { readonly name: 'adam'; readonly config: AdamConfig }
  | { readonly name: 'adamw'; readonly config: AdamConfig }
  | { readonly name: 'adagrad'; readonly config: AdagradConfig }
  | { readonly name: 'rmsprop'; readonly config: RmspropConfig };
export type LeafDescription = GradientDescription | OptimizerDescription;
/** What describeTransform returns and fromDescription accepts: plain data, narrowable on `name`. */
export type TransformDescription = LeafDescription | { readonly name: 'chain'; readonly config: ChainConfig };
export type TransformConfig = TransformDescription['config'];

/** Where the noise key comes from. */
export interface UpdateContext {
  /** The model seed (64-bit): the key of the noise stream. Required when the chain adds noise. */
  readonly seed?: bigint | number;
}

/** Per-step metrics (docs/update.md, "Metrics reported per step"). */
export interface StepMetrics {
  /**
   * Global L2 norm (f64) of the gradient entering the FIRST clip (clipByValue or clipByGlobalNorm), i.e.
   * docs/update.md's pass-1 norm: of g * gscale, or of the noisy gradient when addNoise comes first.
   * Without a clip: the norm of the chain's input.
   */
  readonly gradNorm: number;
  /** The f32 clip factor applied by clipByGlobalNorm; 1 when it did not clip (or there is none). */
  readonly clipScale: number;
  /** The f32 noise standard deviation sqrt(eta / (1 + t)^gamma) used; 0 without addNoise. */
  readonly sigma: number;
  /** The optimizer's learning rate at this step, f64 (absent when the chain has no optimizer). */
  readonly lr?: number;
}

export interface UpdateResult<S = unknown> {
  /** Gradient transforms: the transformed gradient (fresh arrays). */
  readonly updates?: Float32Array[];
  /** Optimizers and chains ending in one: the new parameters (fresh arrays). */
  readonly params?: Float32Array[];
  readonly state: S;
  /** What this transform knows of the step metrics. */
  readonly metrics: Partial<StepMetrics>;
}

export interface GradientTransformation<S = unknown> {
  readonly name: TransformName;
  readonly kind: TransformKind;
  readonly config: TransformConfig;
  init(params: readonly Float32Array[]): S;
  update(
    grads: readonly Float32Array[], state: S, params: readonly Float32Array[], step: number,
    ctx?: UpdateContext,
  ): UpdateResult<S>;
}

type Transform<N extends TransformName, C, S> = GradientTransformation<S> & { readonly name: N; readonly config: C };
export type ClipByValue = Transform<'clipByValue', ClipByValueConfig, null>;
export type ClipByGlobalNorm = Transform<'clipByGlobalNorm', ClipByGlobalNormConfig, null>;
export type AddNoise = Transform<'addNoise', AddNoiseConfig, null>;
export type Sgd = Transform<'sgd', SgdConfig, SgdState>;
export type Adam = Transform<'adam', AdamConfig, AdamState>;
export type Adamw = Transform<'adamw', AdamConfig, AdamState>;
export type Adagrad = Transform<'adagrad', AdagradConfig, AdagradState>;
export type Rmsprop = Transform<'rmsprop', RmspropConfig, RmspropState>;

export interface SgdState { readonly momentumBuffer: Float32Array[] | null }
export interface AdamState { readonly m: Float32Array[]; readonly v: Float32Array[] }
export interface AdagradState { readonly sum: Float32Array[] }
export interface RmspropState {
  readonly squareAvg: Float32Array[]; readonly momentumBuffer: Float32Array[] | null;
  readonly gradAvg: Float32Array[] | null;
}
export type ChainState = readonly unknown[];

export interface ChainResult extends UpdateResult<ChainState> {
  readonly metrics: StepMetrics;
}

export interface Chain extends GradientTransformation<ChainState> {
  readonly name: 'chain';
  readonly config: ChainConfig;
  /** The flattened transforms, in order. */
  readonly transforms: readonly GradientTransformation[];
  update(
    grads: readonly Float32Array[], state: ChainState, params: readonly Float32Array[], step: number,
    ctx?: UpdateContext,
  ): ChainResult;
}

// ================================================================ per-step scalars (f64, rounded once)

/** The noise standard deviation sqrt(eta / (1 + t)^gamma) in f64 (t = 0 at the first update). */
export function noiseSigma(eta: number, gamma: number, t: number): number {
  return Math.sqrt(eta / Math.pow(1 + t, gamma));
}

/**
 * Sum of squares of one tensor in f64, in the fixed order of docs/update.md pass 1: per unit of
 * UPDATE_UNIT elements (from the tensor's start), four lane sums (lane j: elements j, j + 4, ... of the
 * unit's first floor(n/4)*4), (l0 + l1) + (l2 + l3), then the tail; the unit sums added in order from 0.
 */
export function sumOfSquares(x: Float32Array): number {
  let total = 0;
  for (let u = 0; u < x.length; u += UPDATE_UNIT) {
    const end = Math.min(x.length, u + UPDATE_UNIT), n4 = end - ((end - u) % 4);
    let l0 = 0, l1 = 0, l2 = 0, l3 = 0;
    for (let i = u; i < n4; i += 4) {
      l0 += x[i]! * x[i]!;
      l1 += x[i + 1]! * x[i + 1]!;
      l2 += x[i + 2]! * x[i + 2]!;
      l3 += x[i + 3]! * x[i + 3]!;
    }
    let s = (l0 + l1) + (l2 + l3);
    for (let i = n4; i < end; i++) s += x[i]! * x[i]!;
    total += s;
  }
  return total;
}

/** sqrt of the tensor sums added in layout order (f64). */
export function globalNorm(xs: readonly Float32Array[]): number {
  let total = 0;
  for (const x of xs) total += sumOfSquares(x);
  return Math.sqrt(total);
}

/** x = fr(g * fr(gscale)) for batch-summed gradients (gscale = 1 / B): the chain's input. */
export function scaleGradients(grads: readonly Float32Array[], gscale: number): Float32Array[] {
  const s = fr(gscale);
  return grads.map((g) => g.map((v) => fr(v * s)));
}

/**
 * The f32 scalars of docs/update.md's table for one optimizer at step t (0-based), each computed in f64
 * from the config and rounded once; 0 where a field is unused. `lrValue` is the schedule's f64 value.
 */
export interface OptimizerScalars {
  readonly lrValue: number;
  readonly lr: number; readonly wd: number; readonly eps: number;
  readonly a: number; readonly b: number; readonly c: number; readonly d: number;
  readonly e: number; readonly f: number; readonly g: number;
}

export function optimizerScalars(o: OptimizerDescription, t: number): OptimizerScalars {
  const lr = scheduleValue(o.config.lr, t);
  const base = { lrValue: lr, lr: fr(lr), wd: fr(o.config.weightDecay), eps: 0, a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, g: 0 };
  switch (o.name) {
    case 'sgd':
      return { ...base, a: fr(o.config.momentum), b: fr(1 - o.config.dampening) };
    case 'adam':
    case 'adamw': {
      const [b1, b2] = o.config.betas;
      return {
        ...base, eps: fr(o.config.eps), a: fr(b1), b: fr(1 - b1), c: fr(b2), d: fr(1 - b2),
        e: fr(lr / (1 - Math.pow(b1, t + 1))), f: fr(Math.sqrt(1 - Math.pow(b2, t + 1))),
        g: o.name === 'adamw' ? fr(1 - lr * o.config.weightDecay) : 0,
      };
    }
    case 'adagrad':
      return { ...base, eps: fr(o.config.eps), e: fr(lr / (1 + t * o.config.lrDecay)) };
    case 'rmsprop':
      return { ...base, eps: fr(o.config.eps), a: fr(o.config.alpha), b: fr(1 - o.config.alpha), c: fr(o.config.momentum) };
  }
}

// ================================================================ checks shared by the updates

/** t must be an integer in [0, 2^32): it is word 2 of the noise counter. */
function checkStep(where: string, t: unknown): number {
  return checkNumber(where, 'step', t, { min: 0, max: 2 ** 32, maxOpen: true, integer: true });
}

function checkSeed(where: string, ctx: UpdateContext | undefined): bigint {
  const s = ctx?.seed;
  if (typeof s === 'bigint' && s >= 0n && s < 2n ** 64n) return s;
  if (typeof s === 'number' && Number.isSafeInteger(s) && s >= 0) return BigInt(s);
  return fail(where, 'ctx.seed', s, 'the noise key: the model seed, an integer in [0, 2^64) as bigint or safe number');
}

function checkShapes(where: string, a: readonly Float32Array[], aName: string, b: readonly Float32Array[], bName: string): void {
  if (!Array.isArray(a) || !Array.isArray(b)) throw new Error(`${where}: ${aName} and ${bName} must be arrays of Float32Array`);
  if (a.length !== b.length) throw new Error(`${where}: ${aName} has ${a.length} tensors, ${bName} has ${b.length}`);
  for (let k = 0; k < a.length; k++) {
    if (!(a[k] instanceof Float32Array) || !(b[k] instanceof Float32Array)) {
      throw new Error(`${where}: tensor ${k} of ${aName} or ${bName} is not a Float32Array`);
    }
    if (a[k]!.length !== b[k]!.length) {
      throw new Error(`${where}: tensor ${k} has ${a[k]!.length} elements in ${aName}, ${b[k]!.length} in ${bName}`);
    }
  }
}

/** The first NaN or Infinity in the gradients, in layout order. */
export function findNonFinite(xs: readonly Float32Array[]): { tensor: number; index: number; value: number } | null {
  for (let k = 0; k < xs.length; k++) {
    const x = xs[k]!;
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return { tensor: k, index: i, value: x[i]! };
  }
  return null;
}

/** A step refused because a gradient holds a NaN or an Infinity (docs/update.md, pass 1). */
export class NonFiniteGradientError extends Error {
  constructor(readonly step: number, readonly tensor: number, readonly index: number, readonly value: number,
              readonly tensorName = `tensor ${tensor}`) {
    super(`step ${step}: non-finite gradient (${value}) in ${tensorName} at index ${index}; the update is refused`);
    this.name = 'NonFiniteGradientError';
  }
}

const copies = (xs: readonly Float32Array[]): Float32Array[] => xs.map((x) => x.slice());
const filled = (params: readonly Float32Array[], v: number): Float32Array[] =>
  params.map((p) => new Float32Array(p.length).fill(fr(v)));

function make<N extends TransformName, C, S>(
  name: N, kind: TransformKind, config: C,
  init: (params: readonly Float32Array[]) => S,
  update: (grads: readonly Float32Array[], state: S, params: readonly Float32Array[], step: number, ctx?: UpdateContext) => UpdateResult<S>,
): Transform<N, C, S> {
  return Object.freeze({
    name, kind, config: deepFreeze(config) as never, init,
    update(grads: readonly Float32Array[], state: S, params: readonly Float32Array[], step: number, ctx?: UpdateContext) {
      checkStep(name, step);
      checkShapes(name, grads, 'grads', params, 'params');
      if (state === undefined) throw new Error(`${name}: state is undefined (pass what init, then update, returned)`);
      return update(grads, state, params, step, ctx);
    },
  }) as Transform<N, C, S>;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function checkBoolean(where: string, o: Record<string, unknown>, field: string, dflt: boolean): boolean {
  const v = o[field] === undefined ? dflt : o[field];
  if (typeof v !== 'boolean') fail(where, field, v, 'true or false');
  return v;
}

const NONNEG = { min: 0 } as const;
const POSITIVE = { min: 0, minOpen: true } as const;
const UNIT = { min: 0, max: 1, maxOpen: true } as const;

// ================================================================ gradient transforms

/**
 * Clips every coordinate to [-maxAbs, maxAbs] (f32 min/max against c = fr(maxAbs)): optax clip. Reports
 * the global norm of its input as the step's gradNorm (docs/update.md sums squares before any clip).
 */
export function clipByValue(maxAbs: number): ClipByValue {
  const c = checkNumber('clipByValue', 'maxAbs', maxAbs, POSITIVE);
  const c32 = fr(c);
  return make('clipByValue', 'gradient', { maxAbs: c }, () => null, (grads) => ({
    updates: grads.map((x) => x.map((v) => Math.min(Math.max(v, -c32), c32))),
    state: null,
    metrics: { gradNorm: globalNorm(grads) },
  }));
}

/**
 * optax clip_by_global_norm: norm = globalNorm(input); when norm > maxNorm (f64 compare, no epsilon)
 * x = fr(x * clipScale) with clipScale = fr(maxNorm / norm). The norm is of THIS transform's input, so
 * after addNoise it includes the noise.
 */
export function clipByGlobalNorm(maxNorm: number): ClipByGlobalNorm {
  const m = checkNumber('clipByGlobalNorm', 'maxNorm', maxNorm, POSITIVE);
  return make('clipByGlobalNorm', 'gradient', { maxNorm: m }, () => null, (grads) => {
    const norm = globalNorm(grads);
    if (!(norm > m)) return { updates: copies(grads), state: null, metrics: { gradNorm: norm, clipScale: 1 } };
    const s = fr(m / norm);
    return { updates: grads.map((x) => x.map((v) => fr(v * s))), state: null, metrics: { gradNorm: norm, clipScale: s } };
  });
}

/**
 * Annealed Gaussian noise (Neelakantan et al. 2015): x = fr(x + n(i)) with n the bits of
 * initNormal(seed, RNG_DOMAIN_NOISE, t, size, 0, sigma, k * 2^34) for tensor k, sigma =
 * sqrt(eta / (1 + t)^gamma): eta is the VARIANCE at t = 0, the first update.
 */
export function addNoise(options?: { eta?: number; gamma?: number }): AddNoise {
  const w = 'addNoise';
  const o = checkOptions(w, options, ['eta', 'gamma']);
  const eta = numberOption(w, o, 'eta', 0.01, NONNEG);
  const gamma = numberOption(w, o, 'gamma', 0.55, NONNEG);
  return make('addNoise', 'gradient', { eta, gamma }, () => null, (grads, _s, _p, t, ctx) => {
    const seed = checkSeed(w, ctx);
    const sigma = noiseSigma(eta, gamma, t);
    const updates = grads.map((x, k) => {
      const n = initNormal(seed, RNG_DOMAIN_NOISE, t, x.length, 0, sigma, k * 2 ** 34);
      return x.map((v, i) => fr(v + n[i]!));
    });
    return { updates, state: null, metrics: { sigma: fr(sigma) } };
  });
}

// ================================================================ optimizers (PyTorch semantics)

/** x = fr(x + fr(wd * p)) with wd the f32 scalar: L2 decay folded into the gradient (all but adamw). */
function decayed(x: Float32Array, p: Float32Array, sc: OptimizerScalars): Float32Array {
  if (sc.wd === 0) return x;
  return x.map((v, i) => fr(v + fr(sc.wd * p[i]!)));
}

function stateShapes(where: string, name: string, s: readonly Float32Array[] | null, params: readonly Float32Array[]): void {
  if (s === null) throw new Error(`${where}: state.${name} is missing (state must come from init)`);
  checkShapes(where, s, `state.${name}`, params, 'params');
}

/**
 * torch.optim.SGD: d = x + wd * p; with momentum, buf = d at the first update, else
 * momentum * buf + (1 - dampening) * d; d = nesterov ? d + momentum * buf : buf; p -= lr * d.
 */
export function sgd(options: { lr: LearningRate; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number }): Sgd {
  const w = 'sgd';
  const o = checkOptions(w, options, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay'], false);
  const config: SgdConfig = {
    lr: checkLearningRate(w, o['lr']),
    momentum: numberOption(w, o, 'momentum', 0, NONNEG),
    dampening: numberOption(w, o, 'dampening', 0, { min: 0, max: 1 }),
    nesterov: checkBoolean(w, o, 'nesterov', false),
    weightDecay: numberOption(w, o, 'weightDecay', 0, NONNEG),
  };
  if (config.nesterov && (config.momentum <= 0 || config.dampening !== 0)) {
    throw new Error(`${w}: nesterov needs momentum > 0 and dampening = 0 (PyTorch's rule; got momentum ` +
      `${config.momentum}, dampening ${config.dampening})`);
  }
  const withMomentum = config.momentum !== 0;
  return make(w, 'optimizer', config, (): SgdState => ({ momentumBuffer: null }), (grads, state, params, t) => {
    const sc = optimizerScalars({ name: w, config }, t);
    const first = state.momentumBuffer === null;
    if (withMomentum && !first) stateShapes(w, 'momentumBuffer', state.momentumBuffer, params);
    const buf: Float32Array[] = [];
    const out = params.map((p0, k) => {
      const x = decayed(grads[k]!, p0, sc);
      const p = p0.slice();
      const s0 = withMomentum ? (first ? new Float32Array(p.length) : state.momentumBuffer![k]!.slice()) : null;
      for (let i = 0; i < p.length; i++) {
        let xi = x[i]!;
        if (s0 !== null) {
          s0[i] = first ? xi : fr(fr(sc.a * s0[i]!) + fr(sc.b * xi));
          xi = config.nesterov ? fr(xi + fr(sc.a * s0[i]!)) : s0[i]!;
        }
        p[i] = fr(p[i]! - fr(sc.lr * xi));
      }
      if (s0 !== null) buf.push(s0);
      return p;
    });
    return { params: out, state: { momentumBuffer: withMomentum ? buf : null }, metrics: { lr: sc.lrValue } };
  });
}

function betasOption(where: string, o: Record<string, unknown>): [number, number] {
  const b = o['betas'] === undefined ? [0.9, 0.999] : o['betas'];
  if (!Array.isArray(b) || b.length !== 2) fail(where, 'betas', b, '[beta1, beta2], each a finite number >= 0 and < 1');
  return [checkNumber(where, 'betas[0]', b[0], UNIT), checkNumber(where, 'betas[1]', b[1], UNIT)];
}

function adamFamily(w: 'adam' | 'adamw', options: unknown, wdDefault: number): Adam | Adamw {
  const o = checkOptions(w, options, ['lr', 'betas', 'eps', 'weightDecay']);
  const config: AdamConfig = {
    lr: checkLearningRate(w, o['lr'] === undefined ? 1e-3 : o['lr']),
    betas: betasOption(w, o),
    eps: numberOption(w, o, 'eps', 1e-8, POSITIVE),
    weightDecay: numberOption(w, o, 'weightDecay', wdDefault, NONNEG),
  };
  const init = (params: readonly Float32Array[]): AdamState => ({ m: filled(params, 0), v: filled(params, 0) });
  return make(w, 'optimizer', config, init, (grads, state, params, t) => {
    stateShapes(w, 'm', state?.m ?? null, params);
    stateShapes(w, 'v', state.v, params);
    const sc = optimizerScalars({ name: w, config }, t);
    const m = copies(state.m);
    const v = copies(state.v);
    const out = params.map((p0, k) => {
      const x = w === 'adamw' ? grads[k]! : decayed(grads[k]!, p0, sc);
      const p = p0.slice();
      const s0 = m[k]!, s1 = v[k]!;
      for (let i = 0; i < p.length; i++) {
        const xi = x[i]!;
        if (w === 'adamw') p[i] = fr(p[i]! * sc.g);
        s0[i] = fr(fr(sc.a * s0[i]!) + fr(sc.b * xi));
        s1[i] = fr(fr(sc.c * s1[i]!) + fr(fr(sc.d * xi) * xi));
        const den = fr(fr(fr(Math.sqrt(s1[i]!)) / sc.f) + sc.eps);
        p[i] = fr(p[i]! - fr(sc.e * fr(s0[i]! / den)));
      }
      return p;
    });
    return { params: out, state: { m, v }, metrics: { lr: sc.lrValue } };
  }) as Adam | Adamw;
}

/** torch.optim.Adam (L2 weight decay added to the gradient; bias-corrected moments; no amsgrad). */
export function adam(options?: { lr?: LearningRate; betas?: readonly [number, number]; eps?: number; weightDecay?: number }): Adam {
  return adamFamily('adam', options, 0) as Adam;
}

/** torch.optim.AdamW: decoupled decay p *= 1 - lr * wd before the Adam step (default wd 1e-2). */
export function adamw(options?: { lr?: LearningRate; betas?: readonly [number, number]; eps?: number; weightDecay?: number }): Adamw {
  return adamFamily('adamw', options, 1e-2) as Adamw;
}

/** torch.optim.Adagrad: sum += x^2; p -= lr / (1 + t * lrDecay) * x / (sqrt(sum) + eps). */
export function adagrad(options?: {
  lr?: LearningRate; lrDecay?: number; weightDecay?: number; initialAccumulatorValue?: number; eps?: number;
}): Adagrad {
  const w = 'adagrad';
  const o = checkOptions(w, options, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps']);
  const config: AdagradConfig = {
    lr: checkLearningRate(w, o['lr'] === undefined ? 1e-2 : o['lr']),
    lrDecay: numberOption(w, o, 'lrDecay', 0, NONNEG),
    weightDecay: numberOption(w, o, 'weightDecay', 0, NONNEG),
    initialAccumulatorValue: numberOption(w, o, 'initialAccumulatorValue', 0, NONNEG),
    eps: numberOption(w, o, 'eps', 1e-10, POSITIVE),
  };
  const init = (params: readonly Float32Array[]): AdagradState => ({ sum: filled(params, config.initialAccumulatorValue) });
  return make(w, 'optimizer', config, init, (grads, state, params, t) => {
    stateShapes(w, 'sum', state?.sum ?? null, params);
    const sc = optimizerScalars({ name: w, config }, t);
    const sum = copies(state.sum);
    const out = params.map((p0, k) => {
      const x = decayed(grads[k]!, p0, sc);
      const p = p0.slice();
      const s0 = sum[k]!;
      for (let i = 0; i < p.length; i++) {
        const xi = x[i]!;
        s0[i] = fr(s0[i]! + fr(xi * xi));
        p[i] = fr(p[i]! - fr(sc.e * fr(xi / fr(fr(Math.sqrt(s0[i]!)) + sc.eps))));
      }
      return p;
    });
    return { params: out, state: { sum }, metrics: { lr: sc.lrValue } };
  });
}

/** torch.optim.RMSprop (alpha, eps, weightDecay, momentum, centered). */
export function rmsprop(options?: {
  lr?: LearningRate; alpha?: number; eps?: number; weightDecay?: number; momentum?: number; centered?: boolean;
}): Rmsprop {
  const w = 'rmsprop';
  const o = checkOptions(w, options, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered']);
  const config: RmspropConfig = {
    lr: checkLearningRate(w, o['lr'] === undefined ? 1e-2 : o['lr']),
    alpha: numberOption(w, o, 'alpha', 0.99, UNIT),
    eps: numberOption(w, o, 'eps', 1e-8, POSITIVE),
    weightDecay: numberOption(w, o, 'weightDecay', 0, NONNEG),
    momentum: numberOption(w, o, 'momentum', 0, NONNEG),
    centered: checkBoolean(w, o, 'centered', false),
  };
  const withMomentum = config.momentum > 0;
  const init = (params: readonly Float32Array[]): RmspropState => ({
    squareAvg: filled(params, 0),
    momentumBuffer: withMomentum ? filled(params, 0) : null,
    gradAvg: config.centered ? filled(params, 0) : null,
  });
  return make(w, 'optimizer', config, init, (grads, state, params, t) => {
    stateShapes(w, 'squareAvg', state?.squareAvg ?? null, params);
    if (withMomentum) stateShapes(w, 'momentumBuffer', state.momentumBuffer, params);
    if (config.centered) stateShapes(w, 'gradAvg', state.gradAvg, params);
    const sc = optimizerScalars({ name: w, config }, t);
    const squareAvg = copies(state.squareAvg);
    const momentumBuffer = withMomentum ? copies(state.momentumBuffer!) : null;
    const gradAvg = config.centered ? copies(state.gradAvg!) : null;
    const out = params.map((p0, k) => {
      const x = decayed(grads[k]!, p0, sc);
      const p = p0.slice();
      const s0 = squareAvg[k]!, s1 = momentumBuffer?.[k], s2 = gradAvg?.[k];
      for (let i = 0; i < p.length; i++) {
        const xi = x[i]!;
        s0[i] = fr(fr(sc.a * s0[i]!) + fr(fr(sc.b * xi) * xi));
        let den: number;
        if (s2 !== undefined) {
          s2[i] = fr(fr(sc.a * s2[i]!) + fr(sc.b * xi));
          den = fr(fr(Math.sqrt(fr(s0[i]! - fr(s2[i]! * s2[i]!)))) + sc.eps);
        } else {
          den = fr(fr(Math.sqrt(s0[i]!)) + sc.eps);
        }
        if (s1 !== undefined) {
          s1[i] = fr(fr(sc.c * s1[i]!) + fr(xi / den));
          p[i] = fr(p[i]! - fr(sc.lr * s1[i]!));
        } else {
          p[i] = fr(p[i]! - fr(sc.lr * fr(xi / den)));
        }
      }
      return p;
    });
    return { params: out, state: { squareAvg, momentumBuffer, gradAvg }, metrics: { lr: sc.lrValue } };
  });
}

// ================================================================ chain, descriptions

const isTransform = (t: unknown): t is GradientTransformation =>
  t !== null && typeof t === 'object' && typeof (t as GradientTransformation).update === 'function' &&
  typeof (t as GradientTransformation).init === 'function';

/**
 * optax chain: applies the transforms in order, each to the previous one's output. Nested chains are
 * flattened. At most one optimizer, and it must come last (it turns updates into params). The order is
 * the semantics: chain(clipByGlobalNorm(10), addNoise(), sgd(...)) adds noise after clipping (the
 * paper's default); chain(addNoise(), clipByGlobalNorm(10), sgd(...)) clips the noisy gradient, so the
 * norm includes the noise. A plain { name, config } description is accepted in place of a transform.
 *
 * Chain.update also refuses a step whose input gradient holds a NaN or Infinity (NonFiniteGradientError,
 * thrown before anything is computed), and returns the full StepMetrics.
 */
export function chain(...transforms: (GradientTransformation | TransformDescription)[]): Chain {
  const flat: GradientTransformation[] = [];
  const add = (t: GradientTransformation | TransformDescription, at: string): void => {
    const tr = isTransform(t) ? t : fromDescription(t, at);
    if (tr.name === 'chain') (tr as Chain).transforms.forEach((c, j) => add(c, `${at}.transforms[${j}]`));
    else flat.push(tr);
  };
  transforms.forEach((t, j) => add(t, `chain: transforms[${j}]`));
  if (flat.length === 0) throw new Error('chain: needs at least one transform');
  flat.forEach((t, j) => {
    if (t.kind === 'optimizer' && j !== flat.length - 1) {
      throw new Error(`chain: the optimizer ${t.name} is transform ${j} of ${flat.length}; an optimizer ` +
        `must be the last transform (it returns parameters, not updates), got [${flat.map((x) => x.name).join(', ')}]`);
    }
  });
  const last = flat[flat.length - 1]!;
  const config: ChainConfig = { transforms: flat.map((t) => describeTransform(t) as LeafDescription) };
  const c = make('chain', last.kind, config, (params): ChainState => flat.map((t) => t.init(params)), (grads, state, params, t, ctx) => {
    if (!Array.isArray(state) || state.length !== flat.length) {
      throw new Error(`chain: state must be the array init returned (${flat.length} entries), got ${show(state)}`);
    }
    const bad = findNonFinite(grads);
    if (bad !== null) throw new NonFiniteGradientError(t, bad.tensor, bad.index, bad.value);
    let x: readonly Float32Array[] = grads;
    let out: Float32Array[] | undefined;
    const next: unknown[] = [];
    const m: { gradNorm?: number; clipScale?: number; sigma?: number; lr?: number } = {};
    flat.forEach((tr, j) => {
      const r = tr.update(x, state[j], params, t, ctx);
      next.push(r.state);
      for (const [key, v] of Object.entries(r.metrics) as [keyof StepMetrics, number][]) m[key] ??= v;
      if (r.params !== undefined) out = r.params;
      else x = r.updates!;
    });
    const metrics: StepMetrics = {
      gradNorm: m.gradNorm ?? globalNorm(grads), clipScale: m.clipScale ?? 1, sigma: m.sigma ?? 0,
      ...(m.lr !== undefined ? { lr: m.lr } : {}),
    };
    return out !== undefined
      ? { params: out, state: next, metrics }
      : { updates: x === grads ? copies(grads) : (x as Float32Array[]), state: next, metrics };
  });
  return Object.freeze({ ...c, transforms: Object.freeze(flat) }) as Chain;
}

/** The plain { name, config } of a transform (a chain: its flattened list), safe for JSON/postMessage. */
export function describeTransform(t: GradientTransformation): TransformDescription {
  if (!isTransform(t)) throw new Error(`describeTransform: not a transform (got ${show(t)})`);
  return JSON.parse(JSON.stringify({ name: t.name, config: t.config })) as TransformDescription;
}

/** Rebuilds a transform from its description, re-running every check of its builder. */
export function fromDescription(d: unknown, where = 'fromDescription'): GradientTransformation {
  const names = [...GRADIENT_NAMES, ...OPTIMIZER_NAMES, 'chain'];
  if (d === null || typeof d !== 'object') fail(where, 'transform', d, `a transform or { name, config } with name in ${names.join(', ')}`);
  checkOptions(where, d, ['name', 'config'], false);
  const { name, config } = d as { name?: unknown; config?: unknown };
  const cfg = config as never;
  try {
    switch (name) {
      case 'clipByValue': checkOptions(name, config, ['maxAbs'], false); return clipByValue((cfg as ClipByValueConfig).maxAbs);
      case 'clipByGlobalNorm': checkOptions(name, config, ['maxNorm'], false); return clipByGlobalNorm((cfg as ClipByGlobalNormConfig).maxNorm);
      case 'addNoise': return addNoise(cfg);
      case 'sgd': return sgd(cfg);
      case 'adam': return adam(cfg);
      case 'adamw': return adamw(cfg);
      case 'adagrad': return adagrad(cfg);
      case 'rmsprop': return rmsprop(cfg);
      case 'chain': {
        checkOptions(name, config, ['transforms'], false);
        const ts = (config as { transforms?: unknown }).transforms;
        if (!Array.isArray(ts)) fail('chain', 'transforms', ts, 'an array of { name, config }');
        return chain(...(ts as TransformDescription[]));
      }
    }
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  throw new Error(`${where}: unknown transform ${show(name)} (allowed: ${names.join(', ')})${typeof name === 'string' ? didYouMean(name, names) : ''}`);
}

/**
 * Checks a training optimizer given by the user (a transform or its description): it must end with
 * exactly one optimizer. Returns it as a flat Chain (a lone optimizer becomes chain(optimizer)).
 */
export function validateChain(t: unknown): Chain {
  const tr = isTransform(t) ? t : fromDescription(t, 'optimizer');
  const c = tr.name === 'chain' ? (tr as Chain) : chain(tr);
  if (c.kind !== 'optimizer') {
    throw new Error(`optimizer: the chain [${c.transforms.map((x) => x.name).join(', ')}] has no optimizer; ` +
      `end it with one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
  return c;
}
