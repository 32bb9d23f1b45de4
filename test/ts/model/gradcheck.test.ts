// Finite-difference gradient checks of whole networks through the public API: the analytic gradient
// (computeGradients + getGrad) against central differences of the loss, for every activation and both
// losses. The loss is computed in f32 by the core, so the step h and the tolerance are set for f32:
// truncation error ~h^2 and rounding error ~1e-7 / h both stay well under the tolerance, and a wrong
// backward (a missing factor, a transposed GEMM, a wrong bias sum) misses it by orders of magnitude.
import { describe, expect, it } from 'vitest';
import { lcg } from '../helpers.js';
import { createModel, dense, dropout, type Activation, type Loss, type Model } from '../../../src/index.js';

function check(model: Model, x: Float32Array, y: Uint8Array | Float32Array,
               picks: (name: string, n: number) => number[], piecewiseLinear: boolean, h = 1e-2) {
  model.computeGradients(x, y);
  // Every analytic gradient first: each loss evaluation below overwrites the gradient buffers.
  const grads = new Map(model.paramNames.map((n) => [n, model.getGrad(n)]));
  const central = (name: string, w: Float32Array, i: number, h: number) => {
    const orig = w[i]!;
    w[i] = orig + h; model.setParam(name, w);
    const up = model.computeGradients(x, y);
    w[i] = orig - h; model.setParam(name, w);
    const down = model.computeGradients(x, y);
    w[i] = orig; model.setParam(name, w);
    return (up - down) / (2 * h);
  };
  let checked = 0, kinks = 0;
  for (const name of model.paramNames) {
    const w = model.getParam(name), g = grads.get(name)!;
    for (const i of picks(name, w.length)) {
      const numeric = central(name, w, i, h);
      const tol = 1e-3 + 1e-2 * Math.abs(g[i]!);
      // With ReLU, a kink inside [w - h, w + h] makes the loss non-differentiable at this resolution: the
      // central difference then changes with h. Such coordinates are counted and skipped (never for smooth nets).
      if (piecewiseLinear && Math.abs(numeric - central(name, w, i, h / 2)) > 0.25 * tol) {
        kinks++;
        continue;
      }
      checked++;
      expect(Math.abs(numeric - g[i]!) / tol, `${name}[${i}]: analytic ${g[i]} numeric ${numeric}`).toBeLessThan(1);
    }
  }
  return { checked, kinks };
}

const all = (_: string, n: number) => Array.from({ length: n }, (_, i) => i);

describe('finite-difference gradient check of whole networks', () => {
  const cases: [Activation, Loss][] = [
    ['tanh', 'softmaxCrossEntropy'], ['sigmoid', 'softmaxCrossEntropy'], ['relu', 'softmaxCrossEntropy'],
    ['leakyRelu', 'softmaxCrossEntropy'], ['linear', 'softmaxCrossEntropy'], ['tanh', 'meanSquaredError'],
    ['relu', 'meanSquaredError'],
  ];
  for (const [activation, loss] of cases) {
    it(`${activation} hidden layers, ${loss}: every parameter`, async () => {
      const r = lcg(11);
      const rows = 6, inputs = 5, outputs = 3;
      const model = await createModel({
        inputs, loss,
        layers: [dense(7, { activation, kernelInit: 'glorotNormal', biasInit: { kind: 'uniform', low: -0.3, high: 0.3 } }),
          dense(4, { activation, kernelInit: 'glorotNormal', biasInit: { kind: 'uniform', low: -0.3, high: 0.3 } }),
          dense(outputs, { kernelInit: 'glorotNormal' })],
      }, { batchSize: 8, seed: 5 });
      const x = Float32Array.from({ length: rows * inputs }, r);
      const y = loss === 'softmaxCrossEntropy' ? Uint8Array.from({ length: rows }, (_, i) => i % outputs) : Float32Array.from({ length: rows * outputs }, r);
      const piecewise = activation === 'relu' || activation === 'leakyRelu';
      const { checked, kinks } = check(model, x, y, all, piecewise);
      const total = 5 * 7 + 7 + 7 * 4 + 4 + 4 * 3 + 3;
      expect(checked + kinks).toBe(total);
      // Smooth activations have no kinks; piecewise-linear ones may skip a few coordinates, never many.
      expect(checked).toBeGreaterThan(0.8 * total);
    });
  }

  it('a deep narrow ReLU net (the paper net in miniature: 12 inputs, 8 x 10 ReLU, 4 classes), sampled coordinates', async () => {
    const r = lcg(3);
    const layers = [...Array.from({ length: 8 }, () => dense(10, { activation: 'relu', kernelInit: 'heNormal', biasInit: { kind: 'uniform', low: 0, high: 0.1 } })), dense(4, { kernelInit: 'heNormal' })];
    const model = await createModel({ inputs: 12, layers, loss: 'softmaxCrossEntropy' }, { batchSize: 16, seed: 9 });
    const x = Float32Array.from({ length: 16 * 12 }, r), y = Uint8Array.from({ length: 16 }, (_, i) => i % 4);
    const picks = (_: string, n: number) => [0, 1, Math.floor(n / 2), n - 1];
    // Sixteen examples through eight ReLU layers put kinks close to most weights: a smaller step.
    const { checked, kinks } = check(model, x, y, picks, true, 2e-3);
    expect(checked + kinks).toBe(18 * 4);
    expect(checked).toBeGreaterThan(0.8 * 18 * 4);
  });

  it('a network with dropout: the mask is fixed within a step, so the check applies', async () => {
    const r = lcg(21);
    const model = await createModel({
      inputs: 6, loss: 'softmaxCrossEntropy',
      layers: [dense(12, { activation: 'tanh', kernelInit: 'glorotNormal' }), dropout(0.4), dense(3, { kernelInit: 'glorotNormal' })],
    }, { batchSize: 8, seed: 4 });
    const x = Float32Array.from({ length: 8 * 6 }, r), y = Uint8Array.from({ length: 8 }, (_, i) => i % 3);
    const { checked } = check(model, x, y, all, false);
    expect(checked).toBe(6 * 12 + 12 + 12 * 3 + 3);
    // Dropout really is active in the checked loss: it differs from the inference loss.
    expect(model.computeGradients(x, y)).not.toBe(model.evaluate(x, y).loss);
  });

  it('getGrad is the gradient of the mean loss and equals the summed gradient / batch', async () => {
    const model = await createModel({ inputs: 2, layers: [dense(2)], loss: 'meanSquaredError' }, { batchSize: 4, seed: 1 });
    model.setParam('dense_0/kernel', new Float32Array([0, 0, 0, 0]));
    // One example, x = (1, 2), target (1, -1), zero weights: y = 0; per-example loss mean((y - t)^2) over 2
    // outputs; dL/dy = 2 (y - t) / 2 = (-1, 1); dL/dW = x^T dL/dy.
    model.computeGradients(new Float32Array([1, 2]), new Float32Array([1, -1]));
    expect([...model.getGrad('dense_0/kernel')]).toEqual([-1, 1, -2, 2]);
    expect([...model.getGrad('dense_0/bias')]).toEqual([-1, 1]);
    // The same example twice: the mean gradient is unchanged.
    model.computeGradients(new Float32Array([1, 2, 1, 2]), new Float32Array([1, -1, 1, -1]));
    expect([...model.getGrad('dense_0/kernel')]).toEqual([-1, 1, -2, 2]);
  });
});
