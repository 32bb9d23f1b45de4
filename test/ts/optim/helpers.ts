// Shared by the optimizer tests: deterministic inputs, a runner for our transforms, and PyTorch's
// documented optimizer algorithms (torch.optim docs, the algorithm boxes) transcribed in plain f64.
// The f64 references are written from the PyTorch docs, not from docs/update.md, so they check the
// semantics; bit-exactness against docs/update.md is checked separately (spec.test.ts).
import { expect } from 'vitest';
import type { GradientTransformation, UpdateContext } from '../../../src/optim/transforms.js';

export const fr = Math.fround;

/** Tensor sizes with SIMD tails (4k + 1, 4k + 3, a 1-element bias). */
export const SIZES = [5, 7, 1];

export function initialParams(sizes = SIZES): Float32Array[] {
  return sizes.map((n, k) => Float32Array.from({ length: n }, (_, i) => 0.8 * Math.cos(1.3 * i + 2.1 * k + 0.4)));
}

/** A gradient sequence that keeps a sign bias (so momentum accumulates) and changes every step. */
export function gradAt(t: number, sizes = SIZES): Float32Array[] {
  return sizes.map((n, k) => Float32Array.from({ length: n }, (_, i) =>
    0.6 * Math.sin(0.9 * t + 1.7 * i + 0.3 * k) + 0.25 * Math.cos(0.31 * t * (i + 1)) + 0.1 * (i % 3 - 0.7)));
}

/** Runs `steps` updates of a transform ending in an optimizer; returns the params after every step. */
export function runOurs(
  opt: GradientTransformation, steps: number, grads: (t: number) => Float32Array[] = gradAt,
  params0 = initialParams(), ctx: UpdateContext = { seed: 7n },
): { params: Float32Array[][]; states: unknown[] } {
  let params = params0;
  let state = opt.init(params);
  const out: Float32Array[][] = [];
  const states: unknown[] = [];
  for (let t = 0; t < steps; t++) {
    const r = opt.update(grads(t), state, params, t, ctx);
    params = r.params!;
    state = r.state;
    out.push(params);
    states.push(state);
  }
  return { params: out, states };
}

/** A PyTorch optimizer in f64 over flat number arrays: step(p, g) updates p in place. */
export type RefStep = (p: number[], g: number[]) => void;

/** Runs a reference over the same gradients (rounded to f32, exactly what our side receives). */
export function runRef(
  make: (n: number) => RefStep, steps: number, grads: (t: number) => Float32Array[] = gradAt,
  params0 = initialParams(),
): number[][][] {
  const ps = params0.map((p) => Array.from(p));
  const opts = ps.map((p) => make(p.length));
  const out: number[][][] = [];
  for (let t = 0; t < steps; t++) {
    const g = grads(t);
    ps.forEach((p, k) => opts[k]!(p, Array.from(g[k]!)));
    out.push(ps.map((p) => p.slice()));
  }
  return out;
}

/** |ours - ref| <= rel * max(|ref|, floor) elementwise over every step and tensor (params are O(1), so
 *  floor = 0.1 keeps a coordinate crossing zero from turning f32 rounding into a large relative error). */
export function expectClose(ours: Float32Array[][], ref: number[][][], rel = 1e-5, floor = 0.1): number {
  expect(ours.length).toBe(ref.length);
  let worst = 0;
  ours.forEach((ps, t) => ps.forEach((p, k) => p.forEach((v, i) => {
    const e = ref[t]![k]![i]!;
    const err = Math.abs(v - e) / Math.max(Math.abs(e), floor);
    worst = Math.max(worst, err);
    if (!(err <= rel)) throw new Error(`step ${t} tensor ${k} index ${i}: ours ${v}, reference ${e} (rel err ${err})`);
  })));
  return worst;
}

// ---------------------------------------------------------------- torch.optim, f64 transcriptions

export function torchSgd(o: { lr: number | ((t: number) => number); momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number }) {
  const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = o;
  const lrAt = typeof o.lr === 'number' ? () => o.lr as number : o.lr;
  return (n: number): RefStep => {
    let buf: number[] | null = null;
    let t = 0;
    return (p, g) => {
      const lr = lrAt(t++);
      const d = g.map((gi, i) => (weightDecay !== 0 ? gi + weightDecay * p[i]! : gi));
      let step = d;
      if (momentum !== 0) {
        buf = buf === null ? d.slice() : buf.map((b, i) => momentum * b + (1 - dampening) * d[i]!);
        step = nesterov ? d.map((di, i) => di + momentum * buf![i]!) : buf;
      }
      for (let i = 0; i < n; i++) p[i] = p[i]! - lr * step[i]!;
    };
  };
}

export function torchAdam(o: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number; decoupled?: boolean }) {
  const { lr, betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay = 0, decoupled = false } = o;
  return (n: number): RefStep => {
    const m = new Array<number>(n).fill(0);
    const v = new Array<number>(n).fill(0);
    let t = 0;
    return (p, g) => {
      t += 1;
      for (let i = 0; i < n; i++) {
        let gi = g[i]!;
        if (decoupled) p[i] = p[i]! * (1 - lr * weightDecay);
        else if (weightDecay !== 0) gi += weightDecay * p[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * gi;
        v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
        const mHat = m[i]! / (1 - b1 ** t);
        const vHat = v[i]! / (1 - b2 ** t);
        p[i] = p[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
    };
  };
}

export function torchAdagrad(o: { lr: number; lrDecay?: number; weightDecay?: number; initialAccumulatorValue?: number; eps?: number }) {
  const { lr, lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10 } = o;
  return (n: number): RefStep => {
    const sum = new Array<number>(n).fill(initialAccumulatorValue);
    let t = 0;
    return (p, g) => {
      t += 1;
      const clr = lr / (1 + (t - 1) * lrDecay);
      for (let i = 0; i < n; i++) {
        const gi = g[i]! + weightDecay * p[i]!;
        sum[i] = sum[i]! + gi * gi;
        p[i] = p[i]! - (clr * gi) / (Math.sqrt(sum[i]!) + eps);
      }
    };
  };
}

export function torchRmsprop(o: { lr: number; alpha?: number; eps?: number; weightDecay?: number; momentum?: number; centered?: boolean }) {
  const { lr, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false } = o;
  return (n: number): RefStep => {
    const sq = new Array<number>(n).fill(0);
    const buf = new Array<number>(n).fill(0);
    const gAvg = new Array<number>(n).fill(0);
    return (p, g) => {
      for (let i = 0; i < n; i++) {
        const gi = g[i]! + weightDecay * p[i]!;
        sq[i] = alpha * sq[i]! + (1 - alpha) * gi * gi;
        let avg: number;
        if (centered) {
          gAvg[i] = alpha * gAvg[i]! + (1 - alpha) * gi;
          avg = Math.sqrt(sq[i]! - gAvg[i]! * gAvg[i]!) + eps;
        } else {
          avg = Math.sqrt(sq[i]!) + eps;
        }
        if (momentum > 0) {
          buf[i] = momentum * buf[i]! + gi / avg;
          p[i] = p[i]! - lr * buf[i]!;
        } else {
          p[i] = p[i]! - (lr * gi) / avg;
        }
      }
    };
  };
}

/** Bitwise equality of two tensor lists (NaN-safe, -0 vs +0 distinguished). */
export function expectSameBits(a: readonly Float32Array[], b: readonly Float32Array[], what = ''): void {
  expect(a.length, what).toBe(b.length);
  a.forEach((x, k) => {
    const xb = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const yb = new Uint32Array(b[k]!.buffer, b[k]!.byteOffset, b[k]!.length);
    for (let i = 0; i < x.length; i++) {
      if (xb[i] !== yb[i]) throw new Error(`${what} tensor ${k} index ${i}: ${x[i]} vs ${b[k]![i]}`);
    }
    expect(x.length).toBe(b[k]!.length);
  });
}
