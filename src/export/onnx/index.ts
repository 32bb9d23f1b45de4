// A trained graph as an ONNX model for inference (opset 17, IR version 8): model.toOnnx() and
// `gradnoise export --onnx`. The graph's feature inputs are the model's inputs and its outputs its outputs,
// under the same names, each with a symbolic batch dimension; the parameters are initializers under their
// own names. Only the nodes the outputs depend on are exported; losses, and the targets only they read,
// are left out. lower.ts has the lowering of each op, docs/export.md the whole mapping.
//
// Contract: buildOnnx() checks the parameters against the graph first (every one present, no unknown name,
// the right number of values, all finite) and throws an Error naming the tensor, or the node whose op has
// no lowering; exportOnnx() then encodes the model (encode.ts).
import { checkFields, nullish, show, string } from '../../core/check.js';
import { sizeOf } from '../../graph/op.js';
import { compileGraph, type GraphSpec } from '../../graph/spec.js';
import { OnnxBuilder, type Attr } from './builder.js';
import { encodeModel, type ModelInit } from './encode.js';
import { elemTypeOf, LOWERINGS, type Layout, type LowerContext, type Lowering } from './lower.js';

export interface OnnxOptions {
  /** The ONNX graph's name. Default "gradnoise". */
  readonly name?: string;
  /** The model's doc_string. */
  readonly description?: string;
}

/** Checks `params` against the graph's parameters: one Float32Array of finite values per parameter, nothing else. */
export function checkParams(where: string, names: readonly { readonly name: string; readonly shape: readonly number[] }[], params: ReadonlyMap<string, Float32Array>): void {
  const want = new Map(names.map((p) => [p.name, p]));
  for (const name of params.keys()) {
    if (!want.has(name)) throw new Error(`${where}: tensor "${name}" is not a parameter of the graph (its parameters: ${[...want.keys()].join(', ') || 'none'})`);
  }
  for (const p of names) {
    const v = params.get(p.name);
    if (v === undefined) throw new Error(`${where}: tensor "${p.name}" [${p.shape.join(', ')}] is missing`);
    if (!(v instanceof Float32Array) || v.length !== sizeOf(p.shape)) {
      throw new Error(`${where}: tensor "${p.name}" has ${v instanceof Float32Array ? `${v.length} values` : show(v)}; its shape [${p.shape.join(', ')}] needs a Float32Array of ${sizeOf(p.shape)}`);
    }
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) throw new Error(`${where}: tensor "${p.name}"[${i}] is ${v[i]}: an exported file holds finite values only`);
  }
}

/** The ONNX model of `spec` with parameters `params` (by name), as plain ModelProto data. */
export function buildOnnx(spec: GraphSpec, params: ReadonlyMap<string, Float32Array>, options: OnnxOptions = {}, where = 'toOnnx',
                          lowerings: Readonly<Record<string, Lowering>> = LOWERINGS): ModelInit {
  checkFields(where, options, { name: nullish(string), description: nullish(string) });
  const g = compileGraph(spec, where);
  checkParams(where, g.spec.params, params);
  const b = new OnnxBuilder();

  // The nodes the outputs depend on, in execution order; each must have a lowering.
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const needed = new Set<string>();
  const visit = (v: string) => {
    if (needed.has(v)) return;
    needed.add(v);
    for (const x of byName.get(v)?.inputs ?? []) if (x) visit(x);
  };
  g.spec.outputs.forEach(visit);
  const nodes = g.nodes.filter((n) => needed.has(n.name));
  for (const n of nodes) {
    if (!lowerings[n.decl.op]) {
      throw new Error(`${where}: node "${n.name}" (${n.decl.op}) cannot be exported to ONNX: no lowering for op ${n.decl.op} (exportable: ${Object.keys(lowerings).join(', ')})`);
    }
  }

  // Names: the inputs and the values of the nodes that compute (param and constant nodes are initializers).
  for (const name of g.featureInputs) b.claim(name);
  for (const n of nodes) if (n.decl.op !== 'param' && n.decl.op !== 'constant') b.claim(n.name);
  for (const name of g.featureInputs) {
    const t = g.types.get(name)!;
    b.input(name, elemTypeOf(t), t.shape);
  }

  const values = new Map<string, string>(g.featureInputs.map((x) => [x, x]));
  const layouts = new Map<string, string>();
  for (const node of nodes) {
    const where1 = `${where}: node "${node.name}" (${node.decl.op})`;
    const pname = (slot: string) => {
      const i = node.params[slot];
      if (i === undefined) throw new Error(`${where1}: no parameter in slot "${slot}"`);
      return g.spec.params[i]!;
    };
    let step = 0;
    const emit = (op: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, count = 1) => {
      const base = `${node.name}/${op}`;
      const outs = Array.from({ length: count }, (_, k) => b.fresh(count === 1 ? base : `${base}_${k}`));
      return b.node(op, `${node.name}/${step++}:${op}`, inputs, outs, attrs);
    };
    const c: LowerContext = {
      b, node, where: where1,
      input: (i) => {
        const v = node.inputs[i];
        return v ? values.get(v)! : '';
      },
      param(slot, layout?: Layout) {
        const p = pname(slot);
        const key = `${p.name}\u0000${layout?.key ?? ''}`;
        let name = layouts.get(key);
        if (name === undefined) {
          const data = params.get(p.name)!;
          if (layout) {
            const d = layout.apply(data, p.shape);
            name = b.initializer(`${p.name}:${layout.key}`, d.dims, d.data, `gradnoise parameter "${p.name}" [${p.shape.join(', ')}] in ONNX's layout (${layout.key})`);
          } else {
            name = b.initializer(p.name, p.shape, data);
          }
          layouts.set(key, name);
        }
        return name;
      },
      paramName: (slot) => pname(slot).name,
      paramData: (slot) => params.get(pname(slot).name)!,
      emit,
      op: (op, inputs, attrs) => emit(op, inputs, attrs, 1)[0]!,
      result: (op, inputs, attrs = {}) => b.node(op, node.name, inputs, [node.name], attrs)[0]!,
    };
    values.set(node.name, lowerings[node.decl.op]!(c));
  }

  for (const name of g.spec.outputs) {
    const t = g.types.get(name)!;
    let v = values.get(name)!;
    // An output that is an input, or a value another output already names, gets its own Identity.
    if (v !== name) v = b.node('Identity', `${name}:output`, [v], [name])[0]!;
    b.output(v, elemTypeOf(t), t.shape);
  }
  return b.model({
    name: options.name ?? 'gradnoise',
    docString: options.description ?? 'Exported by gradnoise (inference: losses left out, dropout as the identity).',
    metadata: { 'gradnoise.graph': JSON.stringify(g.spec) },
  });
}

/** The ONNX model's bytes (a ModelProto). */
export async function exportOnnx(spec: GraphSpec, params: ReadonlyMap<string, Float32Array>, options: OnnxOptions = {}, where = 'toOnnx'): Promise<Uint8Array> {
  return encodeModel(where, buildOnnx(spec, params, options, where));
}
