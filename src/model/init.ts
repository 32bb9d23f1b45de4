// Resolves an Initializer (model/spec.ts) to one of the three fills the core implements: constant,
// normal(mean, std) and uniform(low, high), drawn from the counter-based RNG (assembly/rng.ts) so that a
// parameter tensor's values are a pure function of (seed, tensor index, element index).
import type { Activation, Initializer } from './spec.js';

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
