// Every op of the graph on the wasm core against PyTorch and against the f64 reference path: the loss and
// every parameter gradient of each case of cases.ts. PyTorch's numbers are committed fixtures
// (test/fixtures/graph/torch.json, made by make_torch_fixtures.py with Debian's python3-torch from
// cases.json); GRADNOISE_WRITE_FIXTURES=1 rewrites cases.json from cases.ts, and this suite fails when the
// two disagree, so the fixtures always describe the cases as they are.
//
// Tolerance: 2e-6 relative, per tensor as max |ours - torch| / max |torch| against PyTorch in float64
// (the exact answer to the precision f32 inputs allow); our f32 sums of a few dozen terms stay well
// inside it, and a wrong backward misses it by orders of magnitude.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../../src/index.js';
import { compileGraph } from '../../../src/graph/spec.js';
import { referenceRun } from '../../../src/graph/reference.js';
import { cases, type Case } from './cases.js';

const dir = new URL('../../fixtures/graph/', import.meta.url);
const all = cases();
const serial = JSON.stringify({ note: 'written by test/ts/graph/fixtures.test.ts from cases.ts (GRADNOISE_WRITE_FIXTURES=1)', cases: all }, null, 1);
if (process.env.GRADNOISE_WRITE_FIXTURES === '1') writeFileSync(new URL('cases.json', dir), `${serial}\n`);
const torch = JSON.parse(readFileSync(new URL('torch.json', dir), 'utf8')) as {
  cases: { name: string; f64: { loss: number; grads: Record<string, number[]> } }[];
};

/** max |a - b| / max |b|, the relative error of a tensor (0 / 0 counts as 0). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num === 0 ? 0 : num / den;
}

async function wasmRun(c: Case, shards: number) {
  const g = compileGraph(c.spec);
  const m = await createModel(c.spec, { batchSize: c.rows, shards, workers: 0 });
  for (const [name, v] of Object.entries(c.params)) m.setParam(name, Float32Array.from(v));
  const x: Record<string, Float32Array | Int32Array> = {}, y: Record<string, Float32Array | Int32Array> = {};
  for (const i of g.spec.inputs) {
    const a = i.dtype === 'i32' ? Int32Array.from(c.inputs[i.name]!) : Float32Array.from(c.inputs[i.name]!);
    (g.targetInputs.includes(i.name) ? y : x)[i.name] = a;
  }
  const loss = m.computeGradients(x, y);
  const grads = new Map(m.paramNames.map((n) => [n, m.getGrad(n)]));
  await m.dispose();
  return { loss, grads };
}

describe('graph ops on the core against PyTorch (float64) and the reference path', () => {
  it('cases.json is what cases.ts makes (regenerate with GRADNOISE_WRITE_FIXTURES=1, then make_torch_fixtures.py)', () => {
    expect(readFileSync(new URL('cases.json', dir), 'utf8')).toBe(`${serial}\n`);
    expect(torch.cases.map((c) => c.name)).toEqual(all.map((c) => c.name));
  });

  for (const [k, c] of all.entries()) {
    it(c.name, async () => {
      const t = torch.cases[k]!.f64;
      const g = compileGraph(c.spec);
      const ref = referenceRun(g, new Map(Object.entries(c.params).map(([n, v]) => [n, Float64Array.from(v)])),
        new Map(g.spec.inputs.map((i) => [i.name, i.dtype === 'i32' ? Int32Array.from(c.inputs[i.name]!) : Float64Array.from(c.inputs[i.name]!)])), c.rows);
      // The reference path and PyTorch agree to f64 rounding.
      expect(Math.abs(ref.loss - t.loss) / Math.abs(t.loss)).toBeLessThan(1e-12);
      for (const [n, v] of Object.entries(t.grads)) expect(relError(ref.grads.get(n)!, v), `reference ${n}`).toBeLessThan(1e-12);
      for (const shards of [1, 2]) {
        const w = await wasmRun(c, shards);
        expect(Math.abs(w.loss - t.loss) / Math.abs(t.loss), `loss, ${shards} shards`).toBeLessThan(2e-6);
        for (const [n, v] of Object.entries(t.grads)) {
          expect(relError(w.grads.get(n)!, v), `${n}, ${shards} shards`).toBeLessThan(2e-6);
        }
      }
    });
  }
});
