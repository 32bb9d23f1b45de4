// Optimizers the core runs. For now plain SGD (PyTorch semantics without momentum: w -= lr * g, with g the
// gradient of the MEAN loss over the batch). The optax-style chain with clipping, annealed noise, momentum,
// Adam and schedules lands with the fused update (issue #3); a Model asks an optimizer only for its
// state-slot count and for one update call, so that chain can replace this without touching the model.
import type { Network } from '../model/network.js';

export interface Sgd {
  readonly kind: 'sgd';
  readonly lr: number;
}

export type Optimizer = Sgd;

export function sgd(options: { lr: number }): Sgd {
  const lr = options?.lr;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new Error(`sgd: lr is ${String(lr)} (need a finite number >= 0)`);
  }
  return { kind: 'sgd', lr };
}

export function validateOptimizer(o: unknown): Optimizer {
  const kind = (o as { kind?: unknown } | null)?.kind;
  if (kind !== 'sgd') throw new Error(`optimizer: unknown kind "${String(kind)}" (allowed: sgd)`);
  return sgd(o as Sgd);
}

/** Copies of the params block the optimizer keeps as state. */
export function stateSlots(_o: Optimizer): number {
  return 0;
}

/** One update over every parameter from grads summed over `rows` examples. */
export function applyUpdate(net: Network, o: Optimizer, rows: number): void {
  const { plan } = net;
  net.phase.what = 'optimizer update';
  net.k.sgd_step_f32(plan.params.offset, plan.grads[0]!.offset, plan.params.bytes >> 2, Math.fround(1 / rows), o.lr);
}
