// The slow path: an update through the chain's own TypeScript implementation, for chains the fuser cannot
// lower. Gradients and parameters are copied out of the planned memory, the chain computes new parameters
// (bit-identical to what the fused kernel would give for a fusable chain, docs/update.md), and they are
// copied back. The chain's state lives in the JS heap, not in the planned memory.
import type { Network } from '../graph/network.js';
import { scaleGradients, type Chain, type ChainState, type StepMetrics } from './transforms.js';

export interface ReferenceRun {
  readonly chain: Chain;
  state: ChainState;
}

export function referenceUpdate(net: Network, run: ReferenceRun, rows: number): StepMetrics {
  const { plan } = net;
  const tensors = [...plan.paramTensors.values()];
  const gshift = plan.grads[0]!.offset - plan.params.offset;
  const params = tensors.map((p) => net.f32(p.offset, p.elements).slice());
  const grads = scaleGradients(tensors.map((p) => net.f32(p.offset + gshift, p.elements)), 1 / rows);
  net.phase.what = 'optimizer update (reference path)';
  const res = run.chain.update(grads, run.state, params, net.step, { seed: BigInt(net.seed) });
  tensors.forEach((p, i) => {
    net.f32(p.offset, p.elements).set(res.params![i]!);
    net.f32(p.offset + gshift, p.elements).fill(0);
  });
  run.state = res.state;
  return res.metrics;
}
