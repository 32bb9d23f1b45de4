// Parameter initialisers: their names and checks, and their resolution to one of the three fills the core
// implements: constant, normal(mean, std) and uniform(low, high), drawn from the counter-based RNG
// (assembly/rng.ts) so that a parameter tensor's values are a pure function of (seed, tensor index,
// element index).
import { checkOptions, custom, didYouMean, number, oneOf, optional, show, tagged, type Check } from '../core/check.js';
import type { Activation } from './ops/activation.js';

/**
 * Weight initialisers. Fan-in/fan-out are the layer's input and output sizes.
 * - zeros; constant; normal (mean, std: the paper's "simple" init is normal std 0.1); uniform [low, high)
 * - glorotUniform U(-a, a), a = sqrt(6 / (fanIn + fanOut)); glorotNormal N(0, 2 / (fanIn + fanOut))
 * - heNormal N(0, 2 / fanIn); heUniform U(-a, a), a = sqrt(6 / fanIn)   (He et al. 2015)
 * - sussilloAbbott: N(0, g^2 / fanIn), Sussillo & Abbott 2014 (the formula for g is below)
 */
export type Initializer =
  | 'zeros' | 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'sussilloAbbott'
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'normal'; readonly mean?: number; readonly std: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number };

export const NAMED_INITS = ['zeros', 'glorotUniform', 'glorotNormal', 'heNormal', 'heUniform', 'sussilloAbbott'] as const;

/** A named initializer or { kind: 'normal' | 'uniform' | 'constant', ... } with its parameters. */
const initKinds = tagged('kind', {
  constant: { value: number() },
  normal: { mean: optional(number()), std: number({ min: 0 }) },
  uniform: { low: number(), high: number() },
});
const initNames = oneOf(NAMED_INITS);
/** The initializer check of the builders' option schemas (core/check.ts). */
export const initializer: Check = custom(`one of ${NAMED_INITS.join(', ')}, or ${initKinds.need}`, (v) => {
  if (typeof v === 'string') return initNames(v);
  const r = initKinds(v);
  if (r) return r;
  const u = v as { kind: string; low: number; high: number };
  return u.kind === 'uniform' && !(u.low <= u.high) ? `.high is ${show(u.high)} (need a finite number >= low, ${show(u.low)})` : undefined;
});
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Throws `${where}: ...` naming the problem of an initializer (undefined passes: the default applies). */
export function checkInit(where: string, init: unknown): void {
  if (init === undefined) return;
  if (typeof init === 'string') {
    if (!(NAMED_INITS as readonly string[]).includes(init)) {
      throw new Error(`${where}: unknown initializer "${init}" (allowed: ${NAMED_INITS.join(', ')}, or { kind: 'normal' | 'uniform' | 'constant', ... })${didYouMean(init, NAMED_INITS)}`);
    }
    return;
  }
  const o = init as { kind?: unknown; [k: string]: unknown };
  if (typeof o !== 'object' || o === null) throw new Error(`${where}: initializer must be a name or an object, got ${show(init)}`);
  if (o.kind === 'constant') {
    checkOptions(where, o, ['kind', 'value'], false);
    if (!isFiniteNum(o.value)) throw new Error(`${where}: constant initializer value is ${show(o.value)} (need a finite number)`);
  } else if (o.kind === 'normal') {
    checkOptions(where, o, ['kind', 'mean', 'std'], false);
    if (o.mean !== undefined && !isFiniteNum(o.mean)) throw new Error(`${where}: normal initializer mean is ${show(o.mean)} (need a finite number)`);
    if (!isFiniteNum(o.std) || o.std < 0) throw new Error(`${where}: normal initializer std is ${show(o.std)} (need a finite number >= 0)`);
  } else if (o.kind === 'uniform') {
    checkOptions(where, o, ['kind', 'low', 'high'], false);
    if (!isFiniteNum(o.low) || !isFiniteNum(o.high) || !(o.low <= o.high)) {
      throw new Error(`${where}: uniform initializer needs finite low <= high, got low=${show(o.low)} high=${show(o.high)}`);
    }
  } else {
    throw new Error(`${where}: unknown initializer kind ${show(o.kind)} (allowed: normal, uniform, constant)`);
  }
}

export type Fill =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number };

/**
 * Sussillo & Abbott (2014), "Random walk initialization for training very deep feedforward networks",
 * arXiv:1412.6558: W ~ N(0, g^2 / N) with N the layer's input width and the scale g chosen so that the
 * log-norm of the back-propagated gradient performs an unbiased random walk:
 *   ReLU:   g = sqrt(2) * exp(1.2 / (max(N, 6) - 2.4))   (their fit for the ReLU case)
 *   linear: g = exp(1 / (2N))
 * The paper derives only these two cases; other activations use the linear one (said in docs/).
 */
export function sussilloAbbottGain(fanIn: number, activation: Activation): number {
  if (activation === 'relu' || activation === 'leakyRelu') return Math.SQRT2 * Math.exp(1.2 / (Math.max(fanIn, 6) - 2.4));
  return Math.exp(1 / (2 * fanIn));
}

export function resolveInit(init: Initializer, fanIn: number, fanOut: number, activation: Activation): Fill {
  if (typeof init === 'object') {
    if (init.kind === 'normal') return { kind: 'normal', mean: init.mean ?? 0, std: init.std };
    return init;
  }
  switch (init) {
    case 'zeros': return { kind: 'constant', value: 0 };
    case 'glorotUniform': { const a = Math.sqrt(6 / (fanIn + fanOut)); return { kind: 'uniform', low: -a, high: a }; }
    case 'glorotNormal': return { kind: 'normal', mean: 0, std: Math.sqrt(2 / (fanIn + fanOut)) };
    case 'heNormal': return { kind: 'normal', mean: 0, std: Math.sqrt(2 / fanIn) };
    case 'heUniform': { const a = Math.sqrt(6 / fanIn); return { kind: 'uniform', low: -a, high: a }; }
    case 'sussilloAbbott': return { kind: 'normal', mean: 0, std: sussilloAbbottGain(fanIn, activation) / Math.sqrt(fanIn) };
  }
}
