// A small builder of one ONNX graph as plain ModelProto data (encode.ts turns it into bytes): unique value
// names, initializers (f32, i32 and i64, as raw little-endian bytes), deduplicated constants, nodes with
// typed attributes, and the graph's inputs and outputs with a symbolic batch dimension.
//
// Names: ONNX values live in one namespace. Graph inputs and the values named after the gradnoise graph's
// nodes are claimed first (claim()); every other name (initializers, intermediate values) is made unique
// by fresh(), which adds a suffix where a name is already taken.
import type { ModelInit } from './encode.js';

/** Values of onnx.proto's enums that the exporter writes (test/ts/export/onnx.test.ts checks them against the generated onnx_pb.ts). */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** ONNX IR version 8 with opset 17: what onnx 1.12 (Debian bookworm's python3-onnx) checks. */
export const IR_VERSION = 8;
export const OPSET = 17;

/** The name of the batch dimension of every input and output. */
export const BATCH = 'batch';

export type Attr = number | string | readonly number[] | { readonly floats: readonly number[] } | { readonly float: number };

type NodeInit = NonNullable<NonNullable<ModelInit['graph']>['node']>[number];
type TensorInit = NonNullable<NonNullable<ModelInit['graph']>['initializer']>[number];
type ValueInfoInit = NonNullable<NonNullable<ModelInit['graph']>['input']>[number];
type AttrInit = NonNullable<NodeInit['attribute']>[number];

const utf8 = new TextEncoder();
const isList = (v: Attr): v is readonly number[] => Array.isArray(v);

function attribute(name: string, v: Attr): AttrInit {
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: utf8.encode(v) };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`onnx builder: attribute ${name} = ${v} is not an integer (use { float })`);
    return { name, type: AttributeType.INT, i: BigInt(v) };
  }
  if (isList(v)) return { name, type: AttributeType.INTS, ints: v.map((x) => BigInt(x)) };
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  return { name, type: AttributeType.FLOATS, floats: [...v.floats] };
}

function bytesOf(data: Float32Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  // Raw data is little-endian, as every JS engine in use stores typed arrays.
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
}

export class OnnxBuilder {
  private readonly taken = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly nodes: NodeInit[] = [];
  private readonly initializers: TensorInit[] = [];
  private readonly inputs: ValueInfoInit[] = [];
  private readonly outputs: ValueInfoInit[] = [];
  private readonly constants = new Map<string, string>();

  /** Reserves a name that must be used exactly as it is (a graph input, a gradnoise node's value). */
  claim(name: string): string {
    if (this.taken.has(name)) throw new Error(`onnx builder: the name "${name}" is claimed twice`);
    this.taken.add(name);
    return name;
  }

  /** `base`, or `base:2`, `base:3`, ... : the first that is free. */
  fresh(base: string, taken = this.taken): string {
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}:${i}`;
    taken.add(name);
    return name;
  }

  /** A graph input or output: `batch` x dims of elemType. */
  private valueInfo(name: string, elemType: number, dims: readonly number[], batched: boolean): ValueInfoInit {
    const dim = [...(batched ? [{ value: { case: 'dimParam' as const, value: BATCH } }] : []),
      ...dims.map((d) => ({ value: { case: 'dimValue' as const, value: BigInt(d) } }))];
    return { name, type: { value: { case: 'tensorType', value: { elemType, shape: { dim } } } } };
  }

  input(name: string, elemType: number, dims: readonly number[]): void {
    this.inputs.push(this.valueInfo(name, elemType, dims, true));
  }

  output(name: string, elemType: number, dims: readonly number[]): void {
    this.outputs.push(this.valueInfo(name, elemType, dims, true));
  }

  /** An initializer under a fresh name based on `base`; returns its name. */
  initializer(base: string, dims: readonly number[], data: Float32Array | Int32Array | BigInt64Array, docString?: string): string {
    const name = this.fresh(base);
    const dataType = data instanceof Float32Array ? DataType.FLOAT : data instanceof Int32Array ? DataType.INT32 : DataType.INT64;
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`onnx builder: initializer "${name}" has ${data.length} values for dims [${dims.join(', ')}]`);
    this.initializers.push({ name, dims: dims.map((d) => BigInt(d)), dataType, rawData: bytesOf(data), ...(docString ? { docString } : {}) });
    return name;
  }

  /** An i64 constant (shapes, axes, starts), shared by every node that needs the same values. */
  i64(values: readonly number[], scalar = false): string {
    return this.constant(`i64:${scalar ? 's' : ''}${values.join(',')}`, () =>
      this.initializer(`const_i64_${values.join('_').replaceAll('-', 'm') || 'empty'}`, scalar ? [] : [values.length], BigInt64Array.from(values.map((v) => BigInt(v)))));
  }

  /** An i32 scalar constant (a padding id to compare token ids with). */
  i32(value: number): string {
    return this.constant(`i32:${value}`, () => this.initializer(`const_i32_${value}`.replaceAll('-', 'm'), [], Int32Array.of(value)));
  }

  /** An f32 scalar constant. */
  f32(value: number): string {
    const v = Math.fround(value);
    return this.constant(`f32:${Object.is(v, -0) ? '-0' : v}`, () => this.initializer('const_f32', [], Float32Array.of(v)));
  }

  /** A value made once per key (constants, derived initializers). */
  constant(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (name === undefined) this.constants.set(key, (name = make()));
    return name;
  }

  /**
   * A node `op(inputs)` named `name`, with `outputs` as its output names ('' for an optional output it
   * need not compute). Returns the output names.
   */
  node(op: string, name: string, inputs: readonly string[], outputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}): string[] {
    this.nodes.push({
      opType: op, name: this.fresh(name, this.nodeNames), input: [...inputs], output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return [...outputs];
  }

  /** The whole model. */
  model(o: { name: string; docString: string; metadata: Readonly<Record<string, string>> }): ModelInit {
    return {
      irVersion: BigInt(IR_VERSION),
      opsetImport: [{ domain: '', version: BigInt(OPSET) }],
      producerName: 'gradnoise',
      docString: o.docString,
      graph: { name: o.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
      metadataProps: Object.entries(o.metadata).map(([key, value]) => ({ key, value })),
    };
  }
}
