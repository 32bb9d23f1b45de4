// The fuser: lowers an optax-style chain (optim/transforms.ts) to the one fused wasm pass when the chain
// has a shape the kernel implements, and names every transform it cannot fuse otherwise. Unsupported
// chains still train, through the chain's own TypeScript update (optim/reference.ts), only slower.
//
// Fusable: at most one clip (clipByValue or clipByGlobalNorm), at most one addNoise (before or after the
// clip), then one optimizer. The order of the clip and the noise is kept: noise after clipping is the
// paper's setting; noise before clipping makes pass 1 add the noise and include it in the norm.
import type { Chain, OptimizerDescription } from './transforms.js';

export type ClipPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'value'; readonly max: number }
  | { readonly kind: 'norm'; readonly max: number };

export interface FusedPlan {
  readonly clip: ClipPlan;
  readonly noise: { readonly eta: number; readonly gamma: number; readonly beforeClip: boolean } | null;
  readonly opt: OptimizerDescription;
}

export type Lowering =
  | { readonly fused: FusedPlan; readonly reasons: readonly [] }
  | { readonly fused: null; readonly reasons: readonly string[] };

export function lowerChain(chain: Chain): Lowering {
  const reasons: string[] = [];
  let clip: ClipPlan = { kind: 'none' };
  let noise: FusedPlan['noise'] = null;
  let opt: OptimizerDescription | null = null;
  chain.transforms.forEach((t, i) => {
    const at = `transform ${i} (${t.name})`;
    if (opt) {
      reasons.push(`${at} comes after the optimizer`);
      return;
    }
    switch (t.name) {
      case 'clipByValue':
      case 'clipByGlobalNorm':
        if (clip.kind !== 'none') {
          reasons.push(`${at}: the fused pass applies one clip per step, and this chain already clips`);
          return;
        }
        clip = t.name === 'clipByValue'
          ? { kind: 'value', max: (t.config as { maxAbs: number }).maxAbs }
          : { kind: 'norm', max: (t.config as { maxNorm: number }).maxNorm };
        return;
      case 'addNoise': {
        if (noise) {
          reasons.push(`${at}: the fused pass adds noise once per step, and this chain already does`);
          return;
        }
        const c = t.config as { eta: number; gamma: number };
        noise = { eta: c.eta, gamma: c.gamma, beforeClip: clip.kind === 'none' };
        return;
      }
      case 'sgd': case 'adam': case 'adamw': case 'adagrad': case 'rmsprop':
        opt = { name: t.name, config: t.config } as OptimizerDescription;
        return;
      default:
        reasons.push(`${at} has no fused implementation`);
    }
  });
  if (!opt) reasons.push('the chain does not end in an optimizer');
  // Noise seen before any clip counts as "before clipping" only if a clip follows it.
  const n = noise as FusedPlan['noise'];
  const finalNoise = n && clip.kind === 'none' ? { ...n, beforeClip: false } : n;
  if (reasons.length > 0 || !opt) return { fused: null, reasons };
  return { fused: { clip, noise: finalNoise, opt }, reasons: [] };
}
