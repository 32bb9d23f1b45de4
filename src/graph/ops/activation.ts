// Elementwise activations as ops of their own (relu, leakyRelu, tanh, sigmoid: y = f(x), any shape), and the
// kernel pairs that dense applies in place. Each backward works from the forward OUTPUT y
// (kernels/activation.ts): dx = dy * f'(y).
import type { CoreExports } from '../../core/abi.js';
import { nullish, number, withDefaults } from '../../core/check.js';
import { elementsOf, showShape, type OpDecl } from '../op.js';

export type Activation = 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid';
export const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'];

export interface ActivationKernels {
  /** y = f(x); y may be x. */
  forward(k: CoreExports, y: number, x: number, n: number): void;
  /** dx = dy * f'(y), written; dx may be dy. */
  backward(k: CoreExports, dx: number, y: number, dy: number, n: number): void;
}

const cache = new Map<string, ActivationKernels>();

/** The kernel pair of an activation (made once per activation and alpha: called on every step). */
export function activationKernels(a: Activation, alpha: number): ActivationKernels {
  const key = a === 'leakyRelu' ? `${a}:${alpha}` : a;
  let k = cache.get(key);
  if (!k) cache.set(key, (k = makeKernels(a, alpha)));
  return k;
}

function makeKernels(a: Activation, alpha: number): ActivationKernels {
  switch (a) {
    case 'linear': return {
      forward: (k, y, x, n) => { if (y !== x) k.copy_f32(y, x, n); },
      backward: (k, dx, _y, dy, n) => { if (dx !== dy) k.copy_f32(dx, dy, n); },
    };
    case 'relu': return { forward: (k, y, x, n) => k.relu_forward_f32(y, x, n), backward: (k, dx, y, dy, n) => k.relu_backward_f32(dx, y, dy, n) };
    case 'leakyRelu': return {
      forward: (k, y, x, n) => k.leaky_relu_forward_f32(y, x, n, alpha),
      backward: (k, dx, y, dy, n) => k.leaky_relu_backward_f32(dx, y, dy, n, alpha),
    };
    case 'tanh': return { forward: (k, y, x, n) => k.tanh_forward_f32(y, x, n), backward: (k, dx, y, dy, n) => k.tanh_backward_f32(dx, y, dy, n) };
    case 'sigmoid': return { forward: (k, y, x, n) => k.sigmoid_forward_f32(y, x, n), backward: (k, dx, y, dy, n) => k.sigmoid_backward_f32(dx, y, dy, n) };
  }
}

export interface ActivationAttrs {
  /** leakyRelu only. */
  readonly alpha?: number;
}

function activationOp(kind: Exclude<Activation, 'linear'>): OpDecl<ActivationAttrs> {
  return {
    op: kind,
    family: 'activation',
    arity: 1,
    inputNames: ['x'],
    attrs: (where, raw) => (kind === 'leakyRelu'
      ? withDefaults(where, raw, { alpha: nullish(number({ min: 0, minOpen: true })) }, { alpha: 0.01 }) : withDefaults(where, raw, {}, {})),
    infer(where, _a, [x]) {
      if (x!.dtype !== 'f32') throw new Error(`${where}: its input must be f32, got ${showShape(x!)}`);
      return { out: { ...x! } };
    },
    saves: () => ({ output: true }),
    forward(n, { rows }) {
      activationKernels(kind, n.attrs.alpha ?? 0).forward(n.k, n.y, n.x[0]!, elementsOf(n.out, rows));
    },
    backward(n, { rows }) {
      if (n.dx[0]) activationKernels(kind, n.attrs.alpha ?? 0).backward(n.k, n.dx[0], n.y, n.dy, elementsOf(n.out, rows));
    },
  };
}

export const relu = activationOp('relu');
export const leakyRelu = activationOp('leakyRelu');
export const tanh = activationOp('tanh');
export const sigmoid = activationOp('sigmoid');
