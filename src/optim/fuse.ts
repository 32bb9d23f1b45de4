// The fuser: lowers an optax-style chain (optim/transforms.ts) to the one fused wasm pass when the chain
// has a shape the kernel implements, and names every transform it cannot fuse otherwise. Unsupported
// chains still train, through the chain's own TypeScript update (optim/reference.ts), only slower.
//
// Fusable: at most one clip (clipByValue or clipByGlobalNorm), at most one addNoise (before or after the
// clip), then one optimizer. The order of the clip and the noise is kept: noise after clipping is the
// paper's setting; noise before clipping makes pass 1 add the noise and include it in the norm.
import {
  describeTransform, type AddNoiseConfig, type Chain, type ClipByGlobalNormConfig, type ClipByValueConfig, type OptimizerDescription,
} from './transforms.js';

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

const FUSABLE = ['clipByValue', 'clipByGlobalNorm', 'addNoise'];

/** The chain comes from validateChain(): its last transform, and only that one, is the optimizer. */
export function lowerChain(chain: Chain): Lowering {
  const grads = chain.transforms.slice(0, -1);
  const opt = chain.transforms[chain.transforms.length - 1]!;
  const clips = grads.filter((t) => t.name === 'clipByValue' || t.name === 'clipByGlobalNorm');
  const noises = grads.filter((t) => t.name === 'addNoise');
  const reasons: string[] = grads.filter((t) => !FUSABLE.includes(t.name)).map((t) => `${t.name} has no fused implementation`);
  if (clips.length > 1) reasons.push(`${clips.map((t) => t.name).join(' then ')}: the fused pass applies one clip per step`);
  if (noises.length > 1) reasons.push(`addNoise ${noises.length} times: the fused pass adds noise once per step`);
  if (reasons.length > 0) return { fused: null, reasons };

  const c = clips[0], n = noises[0];
  const clip: ClipPlan = !c ? { kind: 'none' }
    : c.name === 'clipByValue' ? { kind: 'value', max: (c.config as ClipByValueConfig).maxAbs }
    : { kind: 'norm', max: (c.config as ClipByGlobalNormConfig).maxNorm };
  const noise = n && {
    ...(n.config as AddNoiseConfig),
    beforeClip: c !== undefined && grads.indexOf(n) < grads.indexOf(c),
  };
  return { fused: { clip, noise: noise ?? null, opt: describeTransform(opt) as OptimizerDescription }, reasons: [] };
}
