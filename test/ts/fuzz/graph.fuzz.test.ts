// Random graphs under fast-check, differentially: each graph is a small random program over the functional
// builder (dense layers, elementwise ops, concat, slice, pad, reshape, matmul, softmax, sum and mean over an
// axis, values read by several nodes, a layer applied twice, one or two losses), run on the wasm core and on
// the f64 reference path (src/graph/reference.ts) with the same weights and data. The loss, every output
// and every parameter's gradient must agree to f32 precision, on 1 and 3 shards (3 does not divide the
// batch, so shards get different row counts). What this guards is the planner: lifetimes, buffer reuse
// between nodes, gradients accumulated where a value has several readers, regions per shard. A second
// property feeds the compiled graphs' JSON, mutated at random, to compileGraph: it must either accept the
// graph or refuse it with a plain Error, never a TypeError or RangeError from our own code.
//
// Seeds are fixed so a failure reproduces; fast-check prints the counterexample's program.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createModel, graph, NonFiniteError, input, layers, losses, ops, type GraphSpec, type Tensor } from '../../../src/index.js';
import { compileGraph } from '../../../src/graph/spec.js';
import { referenceRun } from '../../../src/graph/reference.js';
import { lcg } from '../helpers.js';

/** One step of a program: an op kind and the random choices it consumes (indices into the pool, sizes). */
type Step = readonly [kind: number, a: number, b: number, size: number];

const KINDS = ['dense', 'unary', 'binary', 'concat', 'slice', 'pad', 'matmul', 'softmax', 'reduce', 'scale', 'sharedDense'] as const;

/** Builds the graph a program describes; `log` collects its source, for the counterexample. */
function build(features: number, steps: readonly Step[], twoLosses: boolean, log: string[]): GraphSpec {
  const x = input('x', [features]), y = input('y', [], { dtype: 'i32' }), t = input('t', [3]);
  const pool: Tensor[] = [x];
  const name = (v: Tensor) => `v${pool.indexOf(v)}`;
  const vectors = () => pool.filter((v) => v.shape.length === 1);
  const pick = <T>(xs: readonly T[], i: number) => xs[i % xs.length]!;
  const shared = layers.dense(4, { activation: 'tanh', name: 'shared' });
  const push = (v: Tensor, src: string) => { pool.push(v); log.push(`v${pool.length - 1} = ${src}`); };
  for (const [k, a, b, size] of steps) {
    const kind = KINDS[k % KINDS.length]!;
    const u = pick(vectors(), a), w = pick(vectors(), b);
    const n = 1 + (size % 6);
    switch (kind) {
      case 'dense': {
        const act = pick(['linear', 'tanh', 'sigmoid', 'relu', 'leakyRelu'] as const, size);
        push(layers.dense(n, { activation: act })(u), `dense(${n}, ${act})(${name(u)})`);
        break;
      }
      case 'unary': {
        const f = pick(['tanh', 'sigmoid', 'relu', 'leakyRelu'] as const, size);
        push(ops[f](u), `${f}(${name(u)})`);
        break;
      }
      case 'binary': {
        // Two values of one length: w, or u itself (an op reading one value twice).
        const other = w.shape[0] === u.shape[0] ? w : u;
        const f = pick(['add', 'sub', 'mul'] as const, size);
        push(ops[f](u, other), `${f}(${name(u)}, ${name(other)})`);
        break;
      }
      case 'concat': push(ops.concat([u, w, u]), `concat(${name(u)}, ${name(w)}, ${name(u)})`); break;
      case 'slice': {
        const len = u.shape[0]!, start = size % len, sz = 1 + (a % (len - start));
        push(ops.slice(u, start, sz), `slice(${name(u)}, ${start}, ${sz})`);
        break;
      }
      case 'pad': push(ops.pad(u, size % 3, a % 2), `pad(${name(u)}, ${size % 3}, ${a % 2})`); break;
      case 'matmul': {
        // [1, m] x [m, n] with the right side another value reshaped: an outer-product-like mix of two values.
        const m = u.shape[0]!, len = w.shape[0]!;
        const cols = len % m === 0 ? len / m : 0;
        if (cols > 0) {
          push(ops.reshape(ops.matmul(ops.reshape(u, [1, m]), ops.reshape(w, [m, cols])), [cols]), `matmul(${name(u)} as [1, ${m}], ${name(w)} as [${m}, ${cols}])`);
        } else {
          push(ops.reshape(ops.matmul(ops.reshape(u, [m, 1]), ops.reshape(u, [1, m])), [m * m]), `outer(${name(u)}, ${name(u)})`);
        }
        break;
      }
      case 'softmax': push(ops.softmax(u), `softmax(${name(u)})`); break;
      case 'reduce': {
        const len = u.shape[0]!, rows = [1, 2, 3].find((r) => len % r === 0 && len / r > 1 && r === 1 + (size % 3)) ?? 1;
        const f = size % 2 ? 'sum' : 'mean';
        push(ops[f](ops.reshape(u, [rows, len / rows]), { axis: a % 2 }), `${f}(${name(u)} as [${rows}, ${len / rows}], axis ${a % 2})`);
        break;
      }
      case 'scale': push(ops.scale(u, (size % 5) - 2.5), `scale(${name(u)}, ${(size % 5) - 2.5})`); break;
      case 'sharedDense': { // one layer applied to several values: its parameters' gradients add up
        const len = u.shape[0]!, four = len >= 4 ? ops.slice(u, 0, 4) : ops.pad(u, 0, 4 - len);
        push(shared(four), `shared(${name(u)} cut or padded to 4)`);
        break;
      }
    }
  }
  // Every value of the program feeds the head, so no node is dead and every parameter gets a gradient.
  const all = pool.slice(1);
  const head = layers.dense(4, { name: 'head' })(all.length ? ops.concat(all.map((v) => (v.shape.length === 1 ? v : ops.flatten(v)))) : x);
  const ls = [losses.softmaxCrossEntropy(head, y)];
  if (twoLosses) ls.push(losses.meanSquaredError(layers.dense(3, { name: 'aux' })(pick(vectors(), steps.length)), t, { weight: 0.5 }));
  log.push(`head = dense(4)(concat(all)); loss = CE(head, y)${twoLosses ? ' + 0.5 MSE(dense(3)(...), t)' : ''}`);
  return graph({ inputs: twoLosses ? [x, y, t] : [x, y], outputs: [head], losses: ls });
}

const rel = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num = Math.max(num, Math.abs(a[i]! - b[i]!)); den = Math.max(den, Math.abs(b[i]!)); }
  return num === 0 ? 0 : num / Math.max(den, 1e-3);
};

const program = fc.record({
  features: fc.integer({ min: 1, max: 6 }),
  steps: fc.array(fc.tuple(fc.nat(100), fc.nat(100), fc.nat(100), fc.nat(100)), { minLength: 1, maxLength: 9 }),
  twoLosses: fc.boolean(),
  seed: fc.nat(1000),
});

describe('random graphs: the wasm core against the f64 reference', () => {
  it('loss, outputs and every gradient agree on 1 and 3 shards', async () => {
    await fc.assert(fc.asyncProperty(program, async ({ features, steps, twoLosses, seed }) => {
      const log: string[] = [];
      const spec = build(features, steps, twoLosses, log);
      const g = compileGraph(spec);
      const rows = 5, rnd = lcg(seed + 1); // values in [-1, 1)
      const xs = Float32Array.from({ length: rows * features }, rnd);
      const ys = Int32Array.from({ length: rows }, () => Math.floor((rnd() + 1) * 2));
      const ts = Float32Array.from({ length: rows * 3 }, rnd);
      const inputs = new Map<string, Float64Array | Int32Array>([['x', Float64Array.from(xs)], ['y', ys], ['t', Float64Array.from(ts)]]);
      for (const shards of [1, 3]) {
        const m = await createModel(spec, { batchSize: rows, shards, workers: 0, seed });
        try {
          const params = new Map(m.paramNames.map((n) => [n, Float64Array.from(m.getParam(n))]));
          const ref = referenceRun(g, params, inputs, rows);
          const loss = m.computeGradients({ x: xs }, twoLosses ? { y: ys, t: ts } : { y: ys });
          const where = `${shards} shard(s), program:\n  ${log.join('\n  ')}`;
          expect(Math.abs(loss - ref.loss) / Math.max(Math.abs(ref.loss), 1e-3), `loss, ${where}`).toBeLessThan(1e-4);
          for (const n of m.paramNames) expect(rel(m.getGrad(n), ref.grads.get(n)!), `grad of ${n}, ${where}`).toBeLessThan(1e-4);
          const out = m.predict({ x: xs });
          expect(rel(out, ref.values.get(g.spec.outputs[0]!)! as Float64Array), `output, ${where}`).toBeLessThan(1e-4);
        } finally {
          await m.dispose();
        }
      }
    }), { seed: 7, numRuns: 150 });
  }, 300_000);
});

describe('mutated graph specs', () => {
  /** One random edit of a spec's JSON: a field dropped, a number or a name changed, a wrong type put in. */
  const mutate = (spec: GraphSpec, r: () => number): unknown => {
    const g = JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'values') walk(x, [...path, k]);
    };
    walk(g, []);
    const path = paths[1 + Math.floor(r() * (paths.length - 1))]!;
    let parent: any = g;
    for (const k of path.slice(0, -1)) parent = parent[k];
    const key = path[path.length - 1]!;
    const old = parent[key];
    const choices: unknown[] = [undefined, null, NaN, -1, 0, 1e9, 2.5, '', 'x', 'nope', [], {}, [1, 2], true,
      typeof old === 'number' ? old + 1 : old, typeof old === 'string' ? `${old}_` : old];
    const v = choices[Math.floor(r() * choices.length)];
    if (v === undefined) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    } else parent[key] = v;
    return g;
  };

  const plain = (e: unknown, bad: unknown) => {
    expect(e).toBeInstanceOf(Error);
    expect([Error, NonFiniteError], `${(e as Error).message}\n${JSON.stringify(bad)}`).toContain((e as Error).constructor);
    expect((e as Error).message.length).toBeGreaterThan(10);
  };

  it('are refused with a plain Error, or accepted and then train a step (never a TypeError, RangeError or trap)', async () => {
    await fc.assert(fc.asyncProperty(program, fc.nat(1 << 30), async ({ features, steps, twoLosses }, s) => {
      const spec = build(features, steps, twoLosses, []);
      const l = lcg(s), r = () => (l() + 1) / 2;
      for (let i = 0; i < 20; i++) {
        const bad = mutate(spec, r);
        let g;
        try {
          g = compileGraph(bad as GraphSpec);
        } catch (e) {
          plain(e, bad);
          continue;
        }
        // Accepted: a model of it trains on data of its inputs' shapes (labels in range), or says why not.
        const rows = 2, x: Record<string, Float32Array | Int32Array> = {}, y: Record<string, Float32Array | Int32Array> = {};
        for (const inp of g.spec.inputs) {
          const n = rows * inp.shape.reduce((a, b) => a * b, 1);
          (g.targetInputs.includes(inp.name) ? y : x)[inp.name] = inp.dtype === 'i32' ? new Int32Array(n) : Float32Array.from({ length: n }, l);
        }
        let m;
        try {
          m = await createModel(bad as GraphSpec, { batchSize: rows, workers: 0, shards: 1 });
          m.trainOnBatch(x, y);
          m.predict(x);
        } catch (e) {
          plain(e, bad);
        } finally {
          await m?.dispose();
        }
      }
    }), { seed: 11, numRuns: 150 });
  }, 300_000);
});
