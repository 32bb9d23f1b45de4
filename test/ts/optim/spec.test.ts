// The reference chain follows docs/update.md BIT FOR BIT. Below is a second, independent, scalar
// transcription of that page (pass 1, pass 2, the scalars table), written per element the way the kernel
// runs; the transforms must give identical bits for params, optimizer state and metrics, over several
// steps, for every optimizer and every supported arrangement of clipping and noise.
//
// Not covered: clipByValue and clipByGlobalNorm together. The page computes the norm from the
// un-clipped x and then applies both clips; chain(clipByValue, clipByGlobalNorm, ...) computes the norm
// of its (value-clipped) input, as optax does. The fuser must not lower that pair until the two agree.
import { describe, expect, it } from 'vitest';
import { RNG_DOMAIN_NOISE } from '../../../assembly/shared/abi.js';
import { initNormal } from '../../../src/core/philox.js';
import {
  adagrad, adam, adamw, addNoise, chain, clipByGlobalNorm, clipByValue, rmsprop, scaleGradients, sgd,
  type GradientTransformation,
} from '../../../src/optim/transforms.js';
import { cosineDecay } from '../../../src/optim/schedules.js';
import { expectSameBits, fr, gradAt, initialParams } from './helpers.js';

const SEED = 0x1234_5678_9abcn;
const B = 3; // batch rows: gradients in memory are batch sums
const rawGrad = (t: number) => gradAt(t).map((g) => g.map((v) => fr(v * (5 + t)))); // large enough to clip

type Opt =
  | { kind: 'sgd'; lr: number; momentum: number; dampening: number; nesterov: boolean; wd: number }
  | { kind: 'adam' | 'adamw'; lr: number; b1: number; b2: number; eps: number; wd: number }
  | { kind: 'adagrad'; lr: number; lrDecay: number; wd: number; init: number; eps: number }
  | { kind: 'rmsprop'; lr: number; alpha: number; eps: number; wd: number; momentum: number; centered: boolean };

interface Pipeline { clipValue?: number; clipNorm?: number; noise?: { eta: number; gamma: number; first: boolean } }

/** f32 sqrt (wasm f32.sqrt: the correctly rounded square root). */
const sqrt32 = (v: number) => fr(Math.sqrt(v));

/** Lane-ordered f64 sum of squares (docs/update.md pass 1). */
function sumsq(x: ArrayLike<number>): number {
  const l = [0, 0, 0, 0];
  const n4 = x.length - (x.length % 4);
  for (let i = 0; i < n4; i++) l[i % 4] += x[i]! * x[i]!;
  let s = (l[0]! + l[1]!) + (l[2]! + l[3]!);
  for (let i = n4; i < x.length; i++) s += x[i]! * x[i]!;
  return s;
}

/** One docs/update.md step over all tensors; mutates p and s. Returns the metrics. */
function specStep(
  o: Opt, pl: Pipeline, t: number, lrT: number, g: Float32Array[], p: Float32Array[], s: Float32Array[][],
): { gradNorm: number; clipScale: number; sigma: number } {
  const gscale = fr(1 / B);
  const sigma = pl.noise ? Math.sqrt(pl.noise.eta / (1 + t) ** pl.noise.gamma) : 0;
  const noise = g.map((gk, k) => initNormal(SEED, RNG_DOMAIN_NOISE, t, gk.length, 0, sigma, k * 2 ** 34));
  // pass 1
  const first = pl.noise?.first === true;
  const pre = g.map((gk, k) => gk.map((v, i) => (first ? fr(fr(v * gscale) + noise[k]![i]!) : fr(v * gscale))));
  let total = 0;
  for (const x of pre) total += sumsq(x);
  const norm = Math.sqrt(total);
  const clip = pl.clipNorm !== undefined && norm > pl.clipNorm;
  const clipScale = clip ? fr(pl.clipNorm! / norm) : 1;
  // scalars
  const lr = fr(lrT), wd = fr(o.wd);
  let a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, gg = 0, eps = 0;
  if (o.kind === 'sgd') { a = fr(o.momentum); b = fr(1 - o.dampening); }
  if (o.kind === 'adam' || o.kind === 'adamw') {
    a = fr(o.b1); b = fr(1 - o.b1); c = fr(o.b2); d = fr(1 - o.b2); eps = fr(o.eps);
    e = fr(lrT / (1 - o.b1 ** (t + 1))); f = fr(Math.sqrt(1 - o.b2 ** (t + 1))); gg = fr(1 - lrT * o.wd);
  }
  if (o.kind === 'adagrad') { eps = fr(o.eps); e = fr(lrT / (1 + t * o.lrDecay)); }
  if (o.kind === 'rmsprop') { a = fr(o.alpha); b = fr(1 - o.alpha); c = fr(o.momentum); eps = fr(o.eps); }
  // pass 2
  g.forEach((gk, k) => {
    const P = p[k]!, S0 = s[0]?.[k], S1 = s[1]?.[k], S2 = s[2]?.[k];
    for (let i = 0; i < gk.length; i++) {
      let x = first ? pre[k]![i]! : fr(gk[i]! * gscale);
      if (pl.clipValue !== undefined) x = Math.min(Math.max(x, -fr(pl.clipValue)), fr(pl.clipValue));
      if (clip) x = fr(x * clipScale);
      if (pl.noise && !first) x = fr(x + noise[k]![i]!);
      if (o.wd !== 0 && o.kind !== 'adamw') x = fr(x + fr(wd * P[i]!));
      switch (o.kind) {
        case 'sgd':
          if (o.momentum !== 0) {
            S0![i] = t === 0 ? x : fr(fr(a * S0![i]!) + fr(b * x));
            x = o.nesterov ? fr(x + fr(a * S0![i]!)) : S0![i]!;
          }
          P[i] = fr(P[i]! - fr(lr * x));
          break;
        case 'adam':
        case 'adamw': {
          if (o.kind === 'adamw') P[i] = fr(P[i]! * gg);
          S0![i] = fr(fr(a * S0![i]!) + fr(b * x));
          S1![i] = fr(fr(c * S1![i]!) + fr(fr(d * x) * x));
          const den = fr(fr(sqrt32(S1![i]!) / f) + eps);
          P[i] = fr(P[i]! - fr(e * fr(S0![i]! / den)));
          break;
        }
        case 'adagrad':
          S0![i] = fr(S0![i]! + fr(x * x));
          P[i] = fr(P[i]! - fr(e * fr(x / fr(sqrt32(S0![i]!) + eps))));
          break;
        case 'rmsprop': {
          S0![i] = fr(fr(a * S0![i]!) + fr(fr(b * x) * x));
          let den: number;
          if (o.centered) { S2![i] = fr(fr(a * S2![i]!) + fr(b * x)); den = fr(sqrt32(fr(S0![i]! - fr(S2![i]! * S2![i]!))) + eps); }
          else den = fr(sqrt32(S0![i]!) + eps);
          if (o.momentum > 0) { S1![i] = fr(fr(c * S1![i]!) + fr(x / den)); P[i] = fr(P[i]! - fr(lr * S1![i]!)); }
          else P[i] = fr(P[i]! - fr(lr * fr(x / den)));
          break;
        }
      }
    }
  });
  return { gradNorm: norm, clipScale, sigma: fr(sigma) };
}

function ours(o: Opt, lr: number | ReturnType<typeof cosineDecay>): GradientTransformation {
  switch (o.kind) {
    case 'sgd': return sgd({ lr, momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.wd });
    case 'adam': return adam({ lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.wd });
    case 'adamw': return adamw({ lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.wd });
    case 'adagrad': return adagrad({ lr, lrDecay: o.lrDecay, weightDecay: o.wd, initialAccumulatorValue: o.init, eps: o.eps });
    case 'rmsprop': return rmsprop({ lr, alpha: o.alpha, eps: o.eps, weightDecay: o.wd, momentum: o.momentum, centered: o.centered });
  }
}

/** Our state as the s0, s1, s2 slots of docs/update.md. */
function slots(o: Opt, st: unknown): Float32Array[][] {
  const s = st as Record<string, Float32Array[] | null>;
  switch (o.kind) {
    case 'sgd': return s['momentumBuffer'] ? [s['momentumBuffer']] : [];
    case 'adam': case 'adamw': return [s['m']!, s['v']!];
    case 'adagrad': return [s['sum']!];
    case 'rmsprop': return [s['squareAvg']!, s['momentumBuffer'] ?? [], s['gradAvg'] ?? []];
  }
}

const OPTS: [string, Opt][] = [
  ['sgd', { kind: 'sgd', lr: 0.1, momentum: 0, dampening: 0, nesterov: false, wd: 0 }],
  ['sgd momentum dampening wd', { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0.25, nesterov: false, wd: 0.01 }],
  ['sgd nesterov', { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, wd: 0 }],
  ['adam wd', { kind: 'adam', lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.1 }],
  ['adamw', { kind: 'adamw', lr: 0.01, b1: 0.85, b2: 0.99, eps: 1e-7, wd: 0.05 }],
  ['adagrad', { kind: 'adagrad', lr: 0.1, lrDecay: 0.01, wd: 0.02, init: 0.1, eps: 1e-10 }],
  ['rmsprop', { kind: 'rmsprop', lr: 0.01, alpha: 0.99, eps: 1e-8, wd: 0, momentum: 0, centered: false }],
  ['rmsprop centered momentum wd', { kind: 'rmsprop', lr: 0.01, alpha: 0.9, eps: 1e-8, wd: 0.01, momentum: 0.5, centered: true }],
];
const PIPES: [string, Pipeline][] = [
  ['no clip, no noise', {}],
  ['clip by value', { clipValue: 0.5 }],
  ['clip by norm', { clipNorm: 1 }],
  ['noise', { noise: { eta: 0.3, gamma: 0.55, first: false } }],
  ['clip by value, then noise', { clipValue: 0.5, noise: { eta: 0.01, gamma: 0.55, first: false } }],
  ['clip by norm, then noise (the paper)', { clipNorm: 1, noise: { eta: 1, gamma: 0.55, first: false } }],
  ['noise, then clip by norm', { clipNorm: 1, noise: { eta: 1, gamma: 0.55, first: true } }],
  ['noise, then clip by value', { clipValue: 0.5, noise: { eta: 1, gamma: 0.55, first: true } }],
];

function chainFor(o: Opt, pl: Pipeline, lr: number | ReturnType<typeof cosineDecay>) {
  const ts: GradientTransformation[] = [];
  if (pl.noise?.first) ts.push(addNoise({ eta: pl.noise.eta, gamma: pl.noise.gamma }));
  if (pl.clipValue !== undefined) ts.push(clipByValue(pl.clipValue));
  if (pl.clipNorm !== undefined) ts.push(clipByGlobalNorm(pl.clipNorm));
  if (pl.noise && !pl.noise.first) ts.push(addNoise({ eta: pl.noise.eta, gamma: pl.noise.gamma }));
  return chain(...ts, ours(o, lr));
}

describe('the reference chain gives the bits of docs/update.md', () => {
  for (const [oname, o] of OPTS) {
    for (const [pname, pl] of PIPES) {
      it(`${oname}, ${pname}`, () => {
        const opt = chainFor(o, pl, o.lr);
        let params = initialParams();
        let state = opt.init(params);
        const p = initialParams();
        const nSlots = o.kind === 'sgd' ? (o.momentum !== 0 ? 1 : 0) : o.kind === 'adam' || o.kind === 'adamw' ? 2 : o.kind === 'adagrad' ? 1 : 3;
        const s = Array.from({ length: nSlots }, (_, j) => p.map((x) => new Float32Array(x.length).fill(
          o.kind === 'adagrad' && j === 0 ? fr(o.init) : 0)));
        let clipped = 0;
        for (let t = 0; t < 8; t++) {
          const g = rawGrad(t);
          const r = opt.update(scaleGradients(g, 1 / B), state, params, t, { seed: SEED });
          const m = specStep(o, pl, t, o.lr, g, p, s);
          expectSameBits(r.params!, p, `step ${t} params`);
          slots(o, r.state[r.state.length - 1]).forEach((sl, j) => {
            if (sl.length > 0 && (o.kind !== 'rmsprop' || (j !== 1 || o.momentum > 0))) expectSameBits(sl, s[j]!, `step ${t} slot ${j}`);
          });
          expect(r.metrics).toEqual({ ...m, lr: o.lr });
          if (m.clipScale !== 1) clipped++;
          params = r.params!;
          state = r.state;
        }
        if (pl.clipNorm !== undefined) expect(clipped).toBeGreaterThan(0); // the clip path really ran
      });
    }
  }

  it('with a learning-rate schedule (cosine), the schedule value at t is rounded once', () => {
    const o = OPTS[4]![1];
    const sched = cosineDecay({ lr: 0.02, steps: 6, minLr: 0.001 });
    const opt = chainFor(o, PIPES[5]![1], sched);
    let params = initialParams();
    let state = opt.init(params);
    const p = initialParams();
    const s = [p.map((x) => new Float32Array(x.length)), p.map((x) => new Float32Array(x.length))];
    for (let t = 0; t < 9; t++) {
      const lrT = t >= 6 ? 0.001 : 0.001 + (0.02 - 0.001) * (1 + Math.cos((Math.PI * t) / 6)) / 2;
      const r = opt.update(scaleGradients(rawGrad(t), 1 / B), state, params, t, { seed: SEED });
      specStep(o, PIPES[5]![1], t, lrT, rawGrad(t), p, s);
      expectSameBits(r.params!, p, `step ${t}`);
      expect(r.metrics.lr).toBe(lrT);
      params = r.params!;
      state = r.state;
    }
  });
});
