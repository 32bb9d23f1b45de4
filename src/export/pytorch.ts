// PyTorch's names and layouts for a graph's parameters, and safetensors files of them: what
// save({ layout: 'pytorch' }) writes (a state_dict that load_state_dict of the same architecture accepts)
// and load / loadModel({ layout: 'pytorch' }) read (a PyTorch model's weights, to fine-tune here).
//
// The map. Each parameter is named by the node that first uses it (graph order) and its slot:
//   dense        kernel [in, out] -> <module>.weight [out, in] (nn.Linear; transposed, unless transposeKernel,
//                whose [out, in] is already nn.Linear's), bias -> <module>.bias
//   conv2d/1d    kernel [KH, KW, C, F] / [KW, C, F] -> <module>.weight [F, C, KH, KW] / [F, C, KW] (nn.Conv2d/1d)
//   embedding,   embeddings [V, D] -> <module>.weight (nn.Embedding)
//   embeddingBag
//   lstm, gru    weight_ih, weight_hh, bias_ih, bias_hh of stacked layer k -> <module>.weight_ih_l<k>, ...
//                (nn.LSTM / nn.GRU: the same layout and gate order, nothing moves)
//   cgru         gates, gatesBias, candidate, candidateBias -> <module>.gates.weight, .gates.bias,
//                .candidate.weight, .candidate.bias (two nn.Conv2d, OIHW)
//   param        the parameter itself -> <name> (an nn.Parameter)
// <module> is the parameter's name up to its last '/' (the layer: `dense_0` of `dense_0/kernel`, `lstm` of
// `lstm/weight_ih_l1`), or the node's name for a parameter without one; '/' becomes '.', ':' '_'.
// `names` renames: a key is a module (a layer's name) or a whole parameter name, its value the PyTorch
// module path or tensor name: { dense_0: 'fc1', 'P': 'memory.pe' }.
//
// Reading checks everything before anything is written: every tensor present, of the right shape and a
// float dtype (F32, F64, F16 or BF16, converted to f32), finite; a tensor the map does not know is an error
// too unless strict is false (PyTorch's load_state_dict(strict=False)). Errors name the PyTorch tensor, the
// gradnoise parameter and the layout expected.
import { anything, checkFields, didYouMean, optional, show } from '../core/check.js';
import { sizeOf } from '../graph/op.js';
import { compileGraph, type GraphSpec, type NormalizedGraph } from '../graph/spec.js';
import { parseSafetensors } from '../runtime/checkpoint.js';

export interface PytorchNames {
  /** Renames, by gradnoise layer or parameter name: the PyTorch module path or tensor name. */
  readonly names?: Readonly<Record<string, string>>;
}

export interface PytorchReadOptions extends PytorchNames {
  /** false: tensors the map does not know are ignored (load_state_dict's strict=False). Default true. */
  readonly strict?: boolean;
}

/** One parameter of the map. */
export interface PytorchTensor {
  /** The gradnoise parameter. */
  readonly param: string;
  readonly shape: readonly number[];
  /** Its state_dict key. */
  readonly name: string;
  readonly pytorchShape: readonly number[];
  /** What PyTorch holds there, for messages: "nn.Linear weight [out, in]". */
  readonly what: string;
  /** How the values move: 'same', 'transpose' (2 axes) or 'hwio' (HWIO/WIO to OIHW/OIW). */
  readonly layout: 'same' | 'transpose' | 'hwio';
}

/** METADATA keys of a file written by save({ layout: 'pytorch' }). */
export const PYTORCH_GRAPH_KEY = 'gradnoise.graph';
export const PYTORCH_NAMES_KEY = 'gradnoise.names';

const RECURRENT_SLOT = /^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)$/;

// What PyTorch calls a slot of an op: its leaf (after the module path), layout and description.
function leafOf(op: string, slot: string, param: string, attrs: Record<string, unknown>, shape: readonly number[]): { leaf: string | null; layout: PytorchTensor['layout']; what: string } {
  switch (op) {
    case 'dense':
      if (slot === 'bias') return { leaf: 'bias', layout: 'same', what: 'nn.Linear bias [out]' };
      return { leaf: 'weight', layout: attrs.transposeKernel ? 'same' : 'transpose', what: 'nn.Linear weight [out, in]' };
    case 'conv2d': case 'conv1d':
      if (slot === 'bias') return { leaf: 'bias', layout: 'same', what: `nn.${op === 'conv2d' ? 'Conv2d' : 'Conv1d'} bias [out]` };
      return { leaf: 'weight', layout: 'hwio', what: `nn.${op === 'conv2d' ? 'Conv2d' : 'Conv1d'} weight [out, in, ${op === 'conv2d' ? 'kh, kw' : 'kw'}]` };
    case 'embedding': case 'embeddingBag':
      return { leaf: 'weight', layout: 'same', what: 'nn.Embedding weight [num_embeddings, embedding_dim]' };
    case 'lstm': case 'gru': {
      const last = param.slice(param.lastIndexOf('/') + 1), m = RECURRENT_SLOT.exec(last);
      const leaf = m && m[1] === slot ? last : `${slot}_l0`;
      return { leaf, layout: 'same', what: `nn.${op === 'lstm' ? 'LSTM' : 'GRU'} ${leaf} [${slot.startsWith('weight') ? `${shape[0]}, ${shape[1]}` : `${shape[0]}`}]` };
    }
    case 'cgru': {
      const conv = slot.startsWith('gates') ? 'gates' : 'candidate', bias = slot.endsWith('Bias');
      return { leaf: `${conv}.${bias ? 'bias' : 'weight'}`, layout: bias ? 'same' : 'hwio', what: `nn.Conv2d ${bias ? 'bias [out]' : 'weight [out, in, kh, kw]'} of the CGRU's ${conv}` };
    }
    default:
      return { leaf: null, layout: 'same', what: 'nn.Parameter' };
  }
}

const torchPath = (s: string) => s.replaceAll('/', '.').replaceAll(':', '_');

function pytorchShape(shape: readonly number[], layout: PytorchTensor['layout']): number[] {
  if (layout === 'transpose') return [shape[1]!, shape[0]!];
  if (layout === 'hwio') return shape.length === 4 ? [shape[3]!, shape[2]!, shape[0]!, shape[1]!] : [shape[2]!, shape[1]!, shape[0]!];
  return [...shape];
}

/**
 * The PyTorch name and layout of every parameter of `spec`, in the graph's parameter order. Throws when a
 * key of `names` is neither a layer nor a parameter, or when two parameters get the same PyTorch name.
 */
export function pytorchLayout(spec: GraphSpec, options: PytorchNames = {}, where = 'pytorchLayout'): PytorchTensor[] {
  checkFields(where, options, { names: optional(anything) });
  const g = compileGraph(spec, where);
  const names = options.names ?? {};
  if (typeof names !== 'object' || names === null || Array.isArray(names)) throw new Error(`${where}: names is ${show(names)} (need an object of gradnoise name: PyTorch name)`);
  const firstUse = new Map<number, { op: string; slot: string; node: string; attrs: Record<string, unknown> }>();
  for (const n of g.nodes) {
    for (const [slot, i] of Object.entries(n.params)) if (!firstUse.has(i)) firstUse.set(i, { op: n.decl.op, slot, node: n.name, attrs: n.attrs as Record<string, unknown> });
  }
  const used = new Set<string>();
  const rename = (key: string, fallback: string) => {
    const to = names[key];
    if (to === undefined) return fallback;
    if (typeof to !== 'string' || !/^[A-Za-z0-9_.]+$/.test(to)) throw new Error(`${where}: names["${key}"] is ${show(to)} (need a PyTorch name: letters, digits, _ and .)`);
    used.add(key);
    return to;
  };
  const out = g.spec.params.map((p, i) => {
    const use = firstUse.get(i)!;
    const { leaf, layout, what } = leafOf(use.op, use.slot, p.name, use.attrs, p.shape);
    const cut = p.name.lastIndexOf('/');
    const module = leaf === null ? p.name : cut >= 0 ? p.name.slice(0, cut) : use.node;
    const byModule = leaf === null ? rename(module, torchPath(module)) : `${rename(module, torchPath(module))}.${leaf}`;
    const name = names[p.name] !== undefined && leaf !== null ? rename(p.name, byModule) : byModule;
    return { param: p.name, shape: p.shape, name, pytorchShape: pytorchShape(p.shape, layout), what, layout };
  });
  const modules = new Set(g.spec.params.flatMap((p) => [p.name, p.name.includes('/') ? p.name.slice(0, p.name.lastIndexOf('/')) : p.name]));
  for (const n of g.nodes) modules.add(n.name);
  for (const key of Object.keys(names)) {
    if (!used.has(key)) throw new Error(`${where}: names has "${key}", which is neither a layer nor a parameter of the graph${didYouMean(key, [...modules])}`);
  }
  const seen = new Map<string, string>();
  for (const t of out) {
    const other = seen.get(t.name);
    if (other) throw new Error(`${where}: parameters "${other}" and "${t.param}" would both be PyTorch's "${t.name}" (rename one with names)`);
    seen.set(t.name, t.param);
  }
  return out;
}

/** Values of a gradnoise parameter in PyTorch's layout (or back, with toPytorch false). */
export function relayout(t: PytorchTensor, data: Float32Array, toPytorch: boolean): Float32Array {
  if (t.layout === 'same') return data.slice();
  const out = new Float32Array(data.length);
  if (t.layout === 'transpose') {
    const [a, b] = t.shape as [number, number]; // gradnoise [a, b], PyTorch [b, a]
    for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) {
      if (toPytorch) out[j * a + i] = data[i * b + j]!;
      else out[i * b + j] = data[j * a + i]!;
    }
    return out;
  }
  const [KH, KW, C, F] = t.shape.length === 4 ? t.shape as [number, number, number, number] : [1, t.shape[0]!, t.shape[1]!, t.shape[2]!];
  for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) {
    const hwio = ((kh * KW + kw) * C + c) * F + f, oihw = ((f * C + c) * KH + kh) * KW + kw;
    if (toPytorch) out[oihw] = data[hwio]!;
    else out[hwio] = data[oihw]!;
  }
  return out;
}

/** A safetensors file of F32 tensors (in this order) with string metadata. */
export function encodeSafetensors(tensors: readonly { name: string; shape: readonly number[]; data: Float32Array }[], metadata: Readonly<Record<string, string>>): Uint8Array {
  const table: Record<string, unknown> = { __metadata__: metadata };
  let at = 0;
  for (const t of tensors) {
    table[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [at, at + t.data.byteLength] };
    at += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(table));
  const headerLength = Math.ceil(json.length / 8) * 8; // padded with spaces: every tensor 8-byte aligned
  const out = new Uint8Array(8 + headerLength + at).fill(0x20, 8 + json.length, 8 + headerLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  let offset = 8 + headerLength;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
    offset += t.data.byteLength;
  }
  return out;
}

/** The state_dict of a graph's parameters (by gradnoise name) as a safetensors file, with the graph in its metadata. */
export function encodePytorch(spec: NormalizedGraph, params: ReadonlyMap<string, Float32Array>, options: PytorchNames = {}, where = 'toBytes'): Uint8Array {
  const map = pytorchLayout(spec, options, where);
  const tensors = map.map((t) => ({ name: t.name, shape: t.pytorchShape, data: relayout(t, params.get(t.param)!, true) }));
  return encodeSafetensors(tensors, {
    format: 'pt', [PYTORCH_GRAPH_KEY]: JSON.stringify(spec), ...(options.names ? { [PYTORCH_NAMES_KEY]: JSON.stringify(options.names) } : {}),
  });
}

/** f32 values of a safetensors tensor of a float dtype. */
function floats(dtype: string, bytes: Uint8Array): Float32Array | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
    case 'F64': return Float32Array.from({ length: bytes.length / 8 }, (_, i) => view.getFloat64(8 * i, true));
    case 'BF16': return Float32Array.from({ length: bytes.length / 2 }, (_, i) => {
      const b = new DataView(new ArrayBuffer(4));
      b.setUint32(0, view.getUint16(2 * i, true) << 16);
      return b.getFloat32(0);
    });
    case 'F16': return Float32Array.from({ length: bytes.length / 2 }, (_, i) => {
      const h = view.getUint16(2 * i, true), s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
      return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    });
    default: return null;
  }
}

/** The graph a file written by save({ layout: 'pytorch' }) names in its metadata, or null. */
export function pytorchGraphOf(bytes: Uint8Array, source: string): { spec: GraphSpec; names: Record<string, string> | undefined } | null {
  const st = parseSafetensors(bytes, source);
  const text = st.metadata?.[PYTORCH_GRAPH_KEY];
  if (text === undefined) return null;
  const parse = (key: string, value: string): unknown => {
    try {
      return JSON.parse(value);
    } catch (e) {
      throw new Error(`checkpoint ${source}: metadata "${key}" is not valid JSON (${(e as Error).message})`);
    }
  };
  const names = st.metadata?.[PYTORCH_NAMES_KEY];
  return {
    spec: parse(PYTORCH_GRAPH_KEY, text) as GraphSpec,
    names: names === undefined ? undefined : parse(PYTORCH_NAMES_KEY, names) as Record<string, string>,
  };
}

/**
 * A PyTorch state_dict in a safetensors file, as the graph's parameters by gradnoise name (in gradnoise's
 * layouts), checked completely. Errors start with `${where} ${source} (layout pytorch):`.
 */
export function decodePytorch(spec: GraphSpec, input: Uint8Array | ArrayBuffer, options: PytorchReadOptions = {}, where = 'load', source = '<bytes>'): Map<string, Float32Array> {
  const head = `${where} ${source} (layout pytorch)`;
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  const map = pytorchLayout(spec, { names: options.names }, head);
  const st = parseSafetensors(bytes, source);
  const byName = new Map(st.entries.map((e) => [e.name, e]));
  const wanted = new Map(map.map((t) => [t.name, t]));
  const have = st.entries.map((e) => e.name);
  for (const t of map) {
    if (!byName.has(t.name)) {
      throw new Error(`${head}: tensor "${t.name}" is missing (gradnoise's "${t.param}", ${t.what} [${t.pytorchShape.join(', ')}]); ` +
        `the file has ${have.length ? have.slice(0, 12).join(', ') + (have.length > 12 ? ', ...' : '') : 'no tensors'}`);
    }
  }
  if (options.strict ?? true) {
    for (const name of have) {
      if (!wanted.has(name)) {
        throw new Error(`${head}: tensor "${name}" matches no parameter of this model${didYouMean(name, [...wanted.keys()])} ` +
          `(map it with names, or pass strict: false to ignore it; the model's tensors: ${[...wanted.keys()].join(', ')})`);
      }
    }
  }
  const out = new Map<string, Float32Array>();
  for (const t of map) {
    const e = byName.get(t.name)!;
    if (e.shape.length !== t.pytorchShape.length || !e.shape.every((d, i) => d === t.pytorchShape[i])) {
      throw new Error(`${head}: tensor "${t.name}" has shape [${e.shape.join(', ')}]; gradnoise's "${t.param}" [${t.shape.join(', ')}] needs [${t.pytorchShape.join(', ')}] (${t.what})`);
    }
    const data = floats(e.dtype, st.data.subarray(e.begin, e.end));
    if (data === null) throw new Error(`${head}: tensor "${t.name}" has dtype ${e.dtype}; parameters need a float dtype (F32, F64, F16 or BF16)`);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new Error(`${head}: tensor "${t.name}"[${i}] is ${data[i]}${e.dtype === 'F64' ? ' in f32' : ''}: parameters must be finite`);
    }
    if (data.length !== sizeOf(t.shape)) throw new Error(`${head}: tensor "${t.name}" holds ${data.length} values, "${t.param}" needs ${sizeOf(t.shape)}`);
    out.set(t.param, relayout(t, data, false));
  }
  return out;
}
