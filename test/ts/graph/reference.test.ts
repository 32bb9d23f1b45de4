// The reference path (src/graph/reference.ts) against central differences in f64, for every op of the
// graph at edge shapes (test/ts/graph/cases.ts): every parameter element of every case. In f64 with a
// step of 1e-6 the truncation error is ~1e-12 and the rounding error ~1e-10, so a tolerance of 1e-6
// catches any wrong factor, transpose or index of a backward by orders of magnitude.
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../src/graph/spec.js';
import { referenceRun } from '../../../src/graph/reference.js';
import { cases } from './cases.js';

describe('reference path: every gradient against f64 central differences', () => {
  for (const c of cases()) {
    it(c.name, () => {
      const g = compileGraph(c.spec);
      const inputs = new Map(g.spec.inputs.map((x) => [x.name, x.dtype === 'i32' ? Int32Array.from(c.inputs[x.name]!) : Float64Array.from(c.inputs[x.name]!)]));
      const params = new Map(g.spec.params.map((p) => [p.name, Float64Array.from(c.params[p.name]!)]));
      const run = referenceRun(g, params, inputs, c.rows);
      expect(Number.isFinite(run.loss)).toBe(true);
      const h = 1e-6;
      let checked = 0, nonzero = 0;
      for (const [name, w] of params) {
        const grad = run.grads.get(name)!;
        for (let i = 0; i < w.length; i++) {
          const orig = w[i]!;
          w[i] = orig + h;
          const up = referenceRun(g, params, inputs, c.rows, false).loss;
          w[i] = orig - h;
          const down = referenceRun(g, params, inputs, c.rows, false).loss;
          w[i] = orig;
          const numeric = (up - down) / (2 * h);
          expect(Math.abs(numeric - grad[i]!), `${name}[${i}]: analytic ${grad[i]} numeric ${numeric}`).toBeLessThan(1e-6 + 1e-6 * Math.abs(numeric));
          checked++;
          if (grad[i] !== 0) nonzero++;
        }
      }
      expect(checked).toBeGreaterThan(0);
      // Every case is built so that the loss depends on its parameters: most gradients are not zero.
      expect(nonzero).toBeGreaterThan(checked / 2);
    });
  }
});
