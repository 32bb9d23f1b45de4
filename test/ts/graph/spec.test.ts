// Bad graphs get clear errors before anything is built: a cycle, a shape mismatch (naming the node and both
// shapes), an unknown op or attribute (with did-you-mean), a value used before it exists, a parameter
// declared twice or used with two shapes, outputs and losses that do not fit. The same through the
// functional builder, where the error comes at the line that makes the mistake.
import { describe, expect, it } from 'vitest';
import { graph, input, layers, losses, mlp, normalizeGraph, ops, type GraphSpec } from '../../../src/index.js';
import { compileGraph, GRAPH_FORMAT } from '../../../src/graph/spec.js';

const base = (): GraphSpec => ({
  format: GRAPH_FORMAT,
  inputs: [{ name: 'x', shape: [4] }, { name: 'y', shape: [], dtype: 'i32' }],
  params: [{ name: 'd/kernel', shape: [4, 3] }, { name: 'd/bias', shape: [3] }],
  nodes: [{ name: 'd', op: 'dense', inputs: ['x'], attrs: { units: 3 }, params: { kernel: 'd/kernel', bias: 'd/bias' } }],
  outputs: ['d'],
  losses: [{ op: 'softmaxCrossEntropy', input: 'd', target: 'y' }],
});

const edit = (f: (g: any) => void): GraphSpec => {
  const g = JSON.parse(JSON.stringify(base()));
  f(g);
  return g;
};

describe('graph specs: every problem named before anything runs', () => {
  it('accepts the base graph and fills every default', () => {
    const n = normalizeGraph(base());
    expect(n.nodes[0]!.attrs).toEqual({ units: 3, activation: 'linear', alpha: 0.01, useBias: true, transposeKernel: false });
    expect(n.params[0]).toEqual({ name: 'd/kernel', shape: [4, 3], init: 'glorotUniform', fan: [4, 3], activation: 'linear' });
    expect(n.losses[0]).toEqual({ op: 'softmaxCrossEntropy', input: 'd', target: 'y', mask: null, weight: 1, attrs: { ignoreIndex: -100, reduction: 'mean' } });
    // Normalising twice changes nothing: a stored graph reads back as itself.
    expect(normalizeGraph(n)).toEqual(n);
  });

  const bad: [string, GraphSpec, RegExp][] = [
    ['a cycle', edit((g) => {
      g.nodes = [
        { name: 'a', op: 'relu', inputs: ['b'] }, { name: 'b', op: 'tanh', inputs: ['a'] },
        { name: 'd', op: 'dense', inputs: ['b'], attrs: { units: 3 }, params: { kernel: 'd/kernel', bias: 'd/bias' } },
      ];
      g.params[0].shape = [4, 3];
    }), /the nodes form a cycle: a -> b -> a/],
    ['a shape mismatch', edit((g) => { g.nodes.unshift({ name: 'r', op: 'reshape', inputs: ['x'], attrs: { shape: [2, 2] } }); g.nodes[1].inputs = ['r']; }),
      /node "d" \(dense\): parameter "d\/kernel" is declared \[4, 3\], but this node needs \[2, 3\]/],
    ['an add of shapes that do not broadcast', edit((g) => {
      g.inputs.push({ name: 'z', shape: [3] });
      g.nodes.push({ name: 's', op: 'add', inputs: ['x', 'z'] });
      g.outputs.push('s');
    }), /node "s" \(add\): shapes \[4\] and \[3\] do not broadcast/],
    ['an unknown op', edit((g) => { g.nodes[0].op = 'dens'; }), /unknown op "dens" \(allowed: .*\); did you mean dense\?/],
    ['an unknown attribute', edit((g) => { g.nodes[0].attrs.unit = 3; }), /node "d" \(dense\): attrs: unknown option "unit".*did you mean units\?/],
    ['a bad attribute value', edit((g) => { g.nodes[0].attrs.activation = 'rleu'; }), /activation is "rleu" \(allowed: linear, relu.*\); did you mean relu\?/],
    ['a value used before it exists', edit((g) => { g.nodes[0].inputs = ['h']; }), /node "d" \(dense\): input 0 "h" is neither a graph input nor a node/],
    ['a parameter declared twice', edit((g) => { g.params.push({ name: 'd/bias', shape: [3] }); }), /parameter "d\/bias" is declared twice/],
    ['a parameter used with two shapes', edit((g) => {
      g.nodes.push({ name: 'e', op: 'dense', inputs: ['d'], attrs: { units: 3 }, params: { kernel: 'd/kernel', bias: 'd/bias' } });
      g.outputs = ['e']; g.losses[0].input = 'e';
    }), /node "e" \(dense\): parameter "d\/kernel" is declared \[4, 3\], but this node needs \[3, 3\] .*a parameter used twice must have one shape/],
    ['an undeclared parameter', edit((g) => { g.nodes[0].params.bias = 'd/bais'; }), /params.bias names "d\/bais", which is not a declared parameter; did you mean d\/bias\?/],
    ['a missing parameter slot', edit((g) => { delete g.nodes[0].params.bias; g.params.pop(); }), /params.bias is missing/],
    ['an unused parameter', edit((g) => { g.params.push({ name: 'spare', shape: [2] }); }), /parameter "spare" is declared but no node uses it/],
    ['a name used twice', edit((g) => { g.nodes[0].name = 'x'; }), /the name "x" is used twice/],
    ['a loss target that is computed', edit((g) => { g.losses[0].target = 'd'; }), /target "d" must be a graph input/],
    ['labels of the wrong shape', edit((g) => { g.inputs[1].shape = [2]; }), /the target must be i32 class ids of shape \[\]/],
    ['float labels', edit((g) => { g.inputs[1].dtype = 'f32'; }), /the target must be i32 class ids/],
    ['no loss', edit((g) => { g.losses = []; }), /losses is empty/],
    ['an unknown output', edit((g) => { g.outputs = ['e']; }), /outputs\[0\] is "e", which is neither an input nor a node/],
    ['an unknown key', edit((g) => { g.node = []; }), /unknown key "node".*did you mean nodes\?/],
    ['the wrong format', edit((g) => { g.format = 'onnx'; }), /format is "onnx"/],
    ['an embedding fed floats', edit((g) => {
      g.params.push({ name: 'E', shape: [10, 4] });
      g.nodes.unshift({ name: 'emb', op: 'embedding', inputs: ['x'], attrs: { vocab: 10, dim: 4 }, params: { embeddings: 'E' } });
    }), /node "emb" \(embedding\): its input must be i32 token ids, got f32 \[4\]/],
    ['a matmul whose inner sizes differ', edit((g) => {
      g.nodes.unshift({ name: 'm', op: 'matmul', inputs: ['r', 'r'] }, { name: 'r', op: 'reshape', inputs: ['x'], attrs: { shape: [1, 4] } });
    }), /node "m" \(matmul\): shapes \[1, 4\] and \[1, 4\] do not fit: inner dimensions differ/],
  ];
  for (const [what, spec, re] of bad) it(`rejects ${what}`, () => { expect(() => compileGraph(spec)).toThrow(re); });
});

describe('the functional builder: errors where the mistake is written', () => {
  it('names the op and both shapes', () => {
    const a = input('a', [3, 4]), b = input('b', [5]);
    expect(() => ops.add(a, b)).toThrow(/ops.add: shapes \[3, 4\] and \[5\] do not broadcast/);
    expect(() => ops.matmul(a, a)).toThrow(/ops.matmul: shapes \[3, 4\] and \[3, 4\] do not fit/);
    expect(() => ops.sum(a, { axis: 2 })).toThrow(/ops.sum: axis 2 of \[3, 4\]/);
    expect(() => ops.slice(a, 3, 2)).toThrow(/ops.slice: elements \[3, 5\) of a last axis of 4/);
    expect(() => ops.reshape(a, [5, -1])).toThrow(/ops.reshape: cannot reshape \[3, 4\] \(12 elements per example\) to \[5, -1\]/);
  });

  it('refuses unknown options with did-you-mean', () => {
    expect(() => layers.dense(3, { activaton: 'tanh' } as never)).toThrow(/layers.dense: unknown option "activaton".*did you mean activation\?/);
    expect(() => layers.embedding(10, 4, { padingId: 0 } as never)).toThrow(/did you mean paddingId\?/);
    expect(() => ops.softmax(input('s', [3]), { maks: input('m', [3]) } as never)).toThrow(/did you mean mask\?/);
    expect(() => losses.softmaxCrossEntropy(input('l', [3]), input('t', [], { dtype: 'i32' }), { ignoreIdx: 1 } as never)).toThrow(/did you mean ignoreIndex\?/);
  });

  it('a layer applied twice shares its parameters, and a second input of another width is refused', () => {
    const d = layers.dense(2);
    const x = input('x', [3]), z = input('z', [3]), w = input('w', [4]);
    const s = ops.add(d(x), d(z));
    expect(() => d(w)).toThrow(/its kernel parameter is \[3, 2\], but this input needs \[4, 2\]/);
    const spec = graph({ outputs: [s], losses: [losses.meanSquaredError(s, input('t', [2]))] });
    expect(spec.params.map((p) => p.name)).toEqual(['dense_0/kernel', 'dense_0/bias']);
    expect(spec.nodes.map((n) => n.name)).toEqual(['dense_0', 'dense_0:1', 'add_0']);
  });

  it('mlp() is a graph whose parameters keep the layer names', () => {
    const g = mlp({ inputs: 4, hidden: [5], outputs: 3, dropout: 0.5 });
    expect(g.params.map((p) => p.name)).toEqual(['dense_0/kernel', 'dense_0/bias', 'dense_2/kernel', 'dense_2/bias']);
    expect(g.nodes.map((n) => `${n.name}:${n.op}`)).toEqual(['dense_0:dense', 'dropout_1:dropout', 'dense_2:dense']);
  });
});
