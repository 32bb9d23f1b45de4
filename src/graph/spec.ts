// A model as a graph of ops, in plain data (JSON-serialisable: it crosses into workers, checkpoints and
// files such as `gradnoise train --model graph.json`), and its validation.
//
//   inputs   named values the data supply, each with a shape per example and a dtype (f32, or i32 ids)
//   params   named parameter tensors with a shape and an initialiser; a node uses one by name in a slot
//            (dense's kernel and bias): two nodes naming the same parameter share it, and its gradient is
//            the sum of both uses, in a fixed order
//   nodes    op kind, input value names, attributes, parameter names; a node's output is named by the node
//   outputs  the values predict() returns
//   losses   what training minimises: an op, the predicted value, the target input, an optional mask
//
// normalizeGraph() checks everything (unknown ops and attributes with did-you-mean, names defined before
// use, cycles, every shape through the ops' shape rules, parameters against what their nodes need) and
// returns the graph with every default filled in, which is what a model stores and hashes; compileGraph()
// adds what the planner needs (types, order, which inputs are targets, bounds on ids and labels).
import { didYouMean, show } from '../core/check.js';
import { checkInit, type Initializer } from './init.js';
import { ACTIVATIONS, type Activation } from './ops/activation.js';
import { LOSSES, OPS, type LossDecl, type TargetRule } from './ops/index.js';
import { showShape, sizeOf, type DType, type OpDecl, type ValueType } from './op.js';
import { MAX_ELEMENTS, MAX_UNITS } from './limits.js';

export const GRAPH_FORMAT = 'gradnoise.graph';

export interface GraphInput {
  readonly name: string;
  /** Shape per example ([] for one value per example, such as a class label). */
  readonly shape: readonly number[];
  /** Default f32. */
  readonly dtype?: DType;
}

export interface GraphParam {
  readonly name: string;
  readonly shape: readonly number[];
  /** Default glorotUniform for 2 or more axes, zeros for one. */
  readonly init?: Initializer;
  /** Fan-in and fan-out for the initialiser. Default: [product of all axes but the last, the last]. */
  readonly fan?: readonly [number, number];
  /** The activation that follows, for sussilloAbbott's gain. Default linear. */
  readonly activation?: Activation;
}

export interface GraphNode {
  readonly name: string;
  readonly op: string;
  /** Names of input values (graph inputs or earlier nodes); '' for an absent optional input. */
  readonly inputs?: readonly string[];
  readonly attrs?: Readonly<Record<string, unknown>>;
  /** Parameter names by slot (dense: { kernel, bias }). */
  readonly params?: Readonly<Record<string, string>>;
}

export interface GraphLoss {
  /** softmaxCrossEntropy, meanSquaredError or binaryCrossEntropy. */
  readonly op: string;
  /** The predicted value (a node or an input). */
  readonly input: string;
  /** The graph input that holds the targets. */
  readonly target: string;
  /** An f32 input or value, 0 where a position counts for nothing. */
  readonly mask?: string | null;
  /** Factor of this loss in the total. Default 1. */
  readonly weight?: number;
  readonly attrs?: Readonly<Record<string, unknown>>;
}

export interface GraphSpec {
  readonly format: typeof GRAPH_FORMAT;
  readonly inputs: readonly GraphInput[];
  readonly params: readonly GraphParam[];
  readonly nodes: readonly GraphNode[];
  readonly outputs: readonly string[];
  readonly losses: readonly GraphLoss[];
}

/** A graph with every default filled in: what a model stores, compares and hashes. */
export interface NormalizedGraph extends GraphSpec {
  readonly inputs: readonly Required<GraphInput>[];
  readonly params: readonly (Required<Omit<GraphParam, 'fan'>> & { readonly fan: readonly [number, number] })[];
  readonly nodes: readonly (Required<GraphNode>)[];
  readonly losses: readonly Required<GraphLoss>[];
}

/** A node with its declaration and every type it touches. */
export interface CompiledNode {
  readonly index: number;
  readonly name: string;
  readonly decl: OpDecl;
  readonly attrs: unknown;
  /** Input value names ('' absent) and types (null absent). */
  readonly inputs: readonly string[];
  readonly inputTypes: readonly (ValueType | null)[];
  readonly out: ValueType;
  /** Parameter index (in the graph's params list) by slot. */
  readonly params: Readonly<Record<string, number>>;
}

export interface CompiledLoss {
  readonly index: number;
  readonly decl: LossDecl;
  readonly attrs: unknown;
  readonly input: string;
  readonly target: string;
  readonly mask: string | null;
  readonly weight: number;
  readonly inputType: ValueType;
  readonly targetType: ValueType;
}

export interface CompiledGraph {
  readonly spec: NormalizedGraph;
  /** Every value's type: inputs and node outputs, by name. */
  readonly types: ReadonlyMap<string, ValueType>;
  /** Nodes in execution order (a topological order; the spec's own order where it already is one). */
  readonly nodes: readonly CompiledNode[];
  readonly losses: readonly CompiledLoss[];
  /** Inputs that only losses read (what fit's y supplies), and the others (what predict needs). */
  readonly targetInputs: readonly string[];
  readonly featureInputs: readonly string[];
  /** i32 inputs used as indices: values must lie in [0, bound). */
  readonly indexBounds: ReadonlyMap<string, { readonly bound: number; readonly by: string }>;
  /** Target inputs of classification losses: the rule their labels follow. */
  readonly targetRules: ReadonlyMap<string, TargetRule & { readonly by: string }>;
}

const NAME = /^[A-Za-z0-9_.\-/:]+$/;

function checkName(where: string, what: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name) || name.length > 200) {
    throw new Error(`${where}: ${what} ${show(name)} must be 1-200 letters, digits or _ . - / :`);
  }
  return name;
}

// A shape; an input's (per example) is also limited to MAX_ELEMENTS, a parameter's only by the arena.
function checkShape(where: string, shape: unknown, minRank = 0, perExample = true): number[] {
  if (!Array.isArray(shape) || shape.length < minRank || shape.length > 8 ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 1 && d <= MAX_UNITS)) {
    throw new Error(`${where}: shape is ${show(shape)} (need a list of ${minRank ? `${minRank} to ` : 'at most '}8 dimensions, each an integer from 1 to ${MAX_UNITS})`);
  }
  if (perExample && sizeOf(shape) > MAX_ELEMENTS) throw new Error(`${where}: shape [${shape.join(', ')}] has more than ${MAX_ELEMENTS} elements per example`);
  return [...shape] as number[];
}

function checkKeys(where: string, o: unknown, allowed: readonly string[], required: readonly string[]): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error(`${where}: must be an object, got ${show(o)}`);
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new Error(`${where}: unknown key "${k}" (allowed: ${allowed.join(', ')})${didYouMean(k, allowed)}`);
  }
  for (const k of required) if ((o as Record<string, unknown>)[k] === undefined) throw new Error(`${where}: ${k} is missing`);
  return o as Record<string, unknown>;
}

const list = (where: string, field: string, v: unknown): unknown[] => {
  if (!Array.isArray(v)) throw new Error(`${where}: ${field} must be an array, got ${show(v)}`);
  return v;
};

export const isGraphSpec = (v: unknown): v is GraphSpec =>
  typeof v === 'object' && v !== null && (v as { format?: unknown }).format === GRAPH_FORMAT;

/**
 * Checks a graph completely and returns it with every default filled in, or throws an Error naming the
 * first problem: the node, the input or parameter, both shapes.
 */
export function normalizeGraph(spec: GraphSpec, where = 'graph'): NormalizedGraph {
  return compileGraph(spec, where).spec;
}

/** normalizeGraph() plus the types, execution order and data rules the planner and the data layer use. */
export function compileGraph(spec: GraphSpec, where = 'graph'): CompiledGraph {
  const g = checkKeys(where, spec, ['format', 'inputs', 'params', 'nodes', 'outputs', 'losses'], ['format', 'inputs', 'nodes', 'outputs', 'losses']);
  if (g.format !== GRAPH_FORMAT) throw new Error(`${where}: format is ${show(g.format)} (need "${GRAPH_FORMAT}")`);

  const types = new Map<string, ValueType>();
  const producer = new Map<string, string>();
  const inputs = list(where, 'inputs', g.inputs).map((raw, i) => {
    const w = `${where}: inputs[${i}]`;
    const o = checkKeys(w, raw, ['name', 'shape', 'dtype'], ['name', 'shape']);
    const name = checkName(w, 'name', o.name);
    if (types.has(name)) throw new Error(`${w}: the name "${name}" is used twice`);
    const shape = checkShape(`${w} ("${name}")`, o.shape);
    const dtype = o.dtype ?? 'f32';
    if (dtype !== 'f32' && dtype !== 'i32') throw new Error(`${w} ("${name}"): dtype is ${show(dtype)} (allowed: f32, i32)`);
    types.set(name, { shape, dtype, batched: true });
    producer.set(name, 'input');
    return { name, shape, dtype: dtype as DType };
  });
  if (inputs.length === 0) throw new Error(`${where}: inputs is empty (a graph reads at least one input)`);

  const paramIndex = new Map<string, number>();
  const params = list(where, 'params', g.params ?? []).map((raw, i) => {
    const w = `${where}: params[${i}]`;
    const o = checkKeys(w, raw, ['name', 'shape', 'init', 'fan', 'activation'], ['name', 'shape']);
    const name = checkName(w, 'name', o.name);
    if (paramIndex.has(name)) throw new Error(`${w}: parameter "${name}" is declared twice`);
    paramIndex.set(name, i);
    const shape = checkShape(`${w} ("${name}")`, o.shape, 1, false);
    checkInit(`${w} ("${name}").init`, o.init);
    const fan = o.fan === undefined
      ? [shape.length > 1 ? sizeOf(shape.slice(0, -1)) : shape[0]!, shape[shape.length - 1]!] as const
      : o.fan;
    if (!Array.isArray(fan) || fan.length !== 2 || !fan.every((f) => Number.isSafeInteger(f) && f >= 1)) {
      throw new Error(`${w} ("${name}"): fan is ${show(o.fan)} (need [fanIn, fanOut], positive integers)`);
    }
    const activation = o.activation ?? 'linear';
    if (!ACTIVATIONS.includes(activation as Activation)) {
      throw new Error(`${w} ("${name}"): activation is ${show(activation)} (allowed: ${ACTIVATIONS.join(', ')})`);
    }
    return {
      name, shape, init: (o.init ?? (shape.length > 1 ? 'glorotUniform' : 'zeros')) as Initializer,
      fan: [fan[0], fan[1]] as [number, number], activation: activation as Activation,
    };
  });

  // Nodes: each checked on its own first (op, attributes, names), then ordered, then typed in that order.
  const rawNodes = list(where, 'nodes', g.nodes).map((raw, i) => {
    const w0 = `${where}: nodes[${i}]`;
    const o = checkKeys(w0, raw, ['name', 'op', 'inputs', 'attrs', 'params'], ['name', 'op']);
    const name = checkName(w0, 'name', o.name);
    if (types.has(name) || producer.has(name)) throw new Error(`${w0}: the name "${name}" is used twice (node and input names share one namespace)`);
    producer.set(name, 'node');
    const op = o.op;
    const decl = typeof op === 'string' ? OPS[op] : undefined;
    if (!decl) {
      const known = Object.keys(OPS);
      throw new Error(`${w0} ("${name}"): unknown op ${show(op)} (allowed: ${known.join(', ')})${typeof op === 'string' ? didYouMean(op, known) : ''}`);
    }
    const w = `${where}: node "${name}" (${decl.op})`;
    const ins = list(w, 'inputs', o.inputs ?? []).map((v, j) => {
      if (v === '' && (typeof decl.arity !== 'number' && j >= decl.arity[0])) return '';
      if (typeof v !== 'string' || v === '') throw new Error(`${w}: input ${j} is ${show(v)} (need the name of an input or an earlier node)`);
      return v;
    });
    const gap = ins.findIndex((v, j) => v === '' && ins.slice(j + 1).some((u) => u !== ''));
    if (gap >= 0) throw new Error(`${w}: input ${gap} is absent ("") but a later one is given (absent optional inputs come last)`);
    const [lo, hi] = typeof decl.arity === 'number' ? [decl.arity, decl.arity] : decl.arity;
    if (ins.length < lo || ins.length > hi) {
      throw new Error(`${w}: ${ins.length} input${ins.length === 1 ? '' : 's'} (it takes ${lo === hi ? lo : `${lo} to ${hi}`}: ${decl.inputNames.join(', ')})`);
    }
    const attrs = decl.attrs(`${w}: attrs`, (o.attrs ?? {}) as Record<string, unknown>);
    const pnames = o.params ?? {};
    if (typeof pnames !== 'object' || pnames === null || Array.isArray(pnames)) throw new Error(`${w}: params must be an object of slot: parameter name, got ${show(pnames)}`);
    for (const [slot, p] of Object.entries(pnames)) {
      if (typeof p !== 'string' || !paramIndex.has(p)) {
        throw new Error(`${w}: params.${slot} names ${show(p)}, which is not a declared parameter${typeof p === 'string' ? didYouMean(p, [...paramIndex.keys()]) : ''}`);
      }
    }
    return { index: i, name, decl, attrs, inputs: ins, params: pnames as Record<string, string>, where: w };
  });

  // Execution order: Kahn's algorithm, always taking the earliest ready node in spec order, so a spec
  // already in topological order runs as written. What is left over lies on a cycle.
  const byName = new Map(rawNodes.map((n) => [n.name, n]));
  for (const n of rawNodes) {
    n.inputs.forEach((v, j) => {
      if (v !== '' && !producer.has(v)) {
        throw new Error(`${n.where}: input ${j} "${v}" is neither a graph input nor a node${didYouMean(v, [...producer.keys()])}`);
      }
    });
  }
  const done = new Set<string>(inputs.map((x) => x.name));
  const order: typeof rawNodes = [];
  const waiting = [...rawNodes];
  while (waiting.length > 0) {
    const at = waiting.findIndex((n) => n.inputs.every((v) => v === '' || done.has(v)));
    if (at < 0) {
      const cycle = findCycle(waiting.map((n) => ({ name: n.name, inputs: n.inputs.filter((v) => byName.has(v)) })));
      throw new Error(`${where}: the nodes form a cycle: ${cycle.join(' -> ')} (a node's inputs must come from graph inputs or from nodes that do not depend on it)`);
    }
    const [n] = waiting.splice(at, 1);
    order.push(n!);
    done.add(n!.name);
  }

  const indexBounds = new Map<string, { bound: number; by: string }>();
  const usedParams = new Set<number>();
  const nodes: CompiledNode[] = order.map((n) => {
    const inputTypes = n.inputs.map((v) => (v === '' ? null : types.get(v)!));
    const paramShapes: Record<string, readonly number[]> = {};
    for (const [slot, p] of Object.entries(n.params)) paramShapes[slot] = params[paramIndex.get(p)!]!.shape;
    const inferred = n.decl.infer(n.where, n.attrs, inputTypes, paramShapes);
    const slots = inferred.params ?? [];
    const want = slots.map((s) => s.slot), have = Object.keys(n.params);
    for (const s of have) if (!want.includes(s)) throw new Error(`${n.where}: params has slot "${s}", which this op does not take (its slots: ${want.join(', ') || 'none'})`);
    const pidx: Record<string, number> = {};
    for (const s of slots) {
      const pname = n.params[s.slot];
      if (pname === undefined) throw new Error(`${n.where}: params.${s.slot} is missing (a parameter of shape [${s.shape.join(', ')}])`);
      const i = paramIndex.get(pname)!, p = params[i]!;
      if (p.shape.length !== s.shape.length || !p.shape.every((d, j) => d === s.shape[j])) {
        throw new Error(`${n.where}: parameter "${pname}" is declared [${p.shape.join(', ')}], but this node needs [${s.shape.join(', ')}] for its ${s.slot} (a parameter used twice must have one shape)`);
      }
      pidx[s.slot] = i;
      usedParams.add(i);
    }
    const out = inferred.out;
    if (sizeOf(out.shape) > MAX_ELEMENTS) throw new Error(`${n.where}: its output ${showShape(out)} has more than ${MAX_ELEMENTS} elements per example`);
    types.set(n.name, out);
    inferred.indexBounds?.forEach((bound, j) => {
      const v = n.inputs[j];
      if (bound === undefined || !v) return;
      if (producer.get(v) !== 'input') throw new Error(`${n.where}: its ids come from node "${v}"; ids must come straight from a graph input (so that the data can be checked)`);
      const prev = indexBounds.get(v);
      if (!prev || bound < prev.bound) indexBounds.set(v, { bound, by: n.name });
    });
    return { index: n.index, name: n.name, decl: n.decl, attrs: n.attrs, inputs: n.inputs, inputTypes, out, params: pidx };
  });
  params.forEach((p, i) => {
    if (!usedParams.has(i)) throw new Error(`${where}: parameter "${p.name}" is declared but no node uses it`);
  });

  const outputs = list(where, 'outputs', g.outputs).map((v, i) => {
    if (typeof v !== 'string' || !types.has(v)) {
      throw new Error(`${where}: outputs[${i}] is ${show(v)}, which is neither an input nor a node${typeof v === 'string' ? didYouMean(v, [...types.keys()]) : ''}`);
    }
    if (!types.get(v)!.batched) throw new Error(`${where}: outputs[${i}] "${v}" is a static value (the same for every example); outputs are per example`);
    if (types.get(v)!.dtype !== 'f32') throw new Error(`${where}: outputs[${i}] "${v}" holds i32 ids; outputs are f32 values`);
    return v;
  });
  if (outputs.length === 0) throw new Error(`${where}: outputs is empty (name the values predict() returns)`);

  const targetRules = new Map<string, TargetRule & { by: string }>();
  const lossUse = new Set<string>();
  const losses: CompiledLoss[] = list(where, 'losses', g.losses).map((raw, i) => {
    const w0 = `${where}: losses[${i}]`;
    const o = checkKeys(w0, raw, ['op', 'input', 'target', 'mask', 'weight', 'attrs'], ['op', 'input', 'target']);
    const decl = typeof o.op === 'string' ? LOSSES[o.op] : undefined;
    if (!decl) {
      throw new Error(`${w0}: unknown loss ${show(o.op)} (allowed: ${Object.keys(LOSSES).join(', ')})${typeof o.op === 'string' ? didYouMean(o.op, Object.keys(LOSSES)) : ''}`);
    }
    const w = `${w0} (${decl.op})`;
    const value = (field: string, v: unknown, mustBeInput: boolean): string => {
      if (typeof v !== 'string' || !types.has(v)) {
        throw new Error(`${w}: ${field} is ${show(v)}, which is neither an input nor a node${typeof v === 'string' ? didYouMean(v, [...types.keys()]) : ''}`);
      }
      if (mustBeInput && producer.get(v) !== 'input') throw new Error(`${w}: ${field} "${v}" must be a graph input (the data supply targets)`);
      return v;
    };
    const input = value('input', o.input, false);
    const target = value('target', o.target, true);
    const mask = o.mask === undefined || o.mask === null ? null : value('mask', o.mask, false);
    const weight = o.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) throw new Error(`${w}: weight is ${show(weight)} (need a finite number > 0)`);
    const attrs = decl.attrs(`${w}: attrs`, (o.attrs ?? {}) as Record<string, unknown>);
    const rule = decl.check(w, attrs, types.get(input)!, types.get(target)!, mask ? types.get(mask)! : null);
    if (rule.classes !== undefined || rule.unitInterval) {
      const prev = targetRules.get(target);
      if (prev && (prev.classes !== rule.classes || prev.ignoreIndex !== rule.ignoreIndex || prev.unitInterval !== rule.unitInterval)) {
        throw new Error(`${w}: target "${target}" is also the target of loss ${prev.by}, with other rules for its values`);
      }
      targetRules.set(target, { ...rule, by: `${i}` });
    }
    lossUse.add(target);
    if (mask) lossUse.add(mask);
    return { index: i, decl, attrs, input, target, mask, weight, inputType: types.get(input)!, targetType: types.get(target)! };
  });
  if (losses.length === 0) throw new Error(`${where}: losses is empty (name at least one loss to train on)`);

  const nodeUse = new Set(nodes.flatMap((n) => n.inputs));
  const targetInputs = inputs.filter((x) => lossUse.has(x.name) && !nodeUse.has(x.name)).map((x) => x.name);
  const featureInputs = inputs.filter((x) => !targetInputs.includes(x.name)).map((x) => x.name);
  for (const x of inputs) {
    if (!lossUse.has(x.name) && !nodeUse.has(x.name)) throw new Error(`${where}: input "${x.name}" is declared but neither a node nor a loss reads it`);
  }
  for (const [name, b] of indexBounds) {
    const t = types.get(name)!;
    if (t.dtype !== 'i32') throw new Error(`${where}: input "${name}" feeds node "${b.by}" as ids, so it must be i32`);
  }

  const normalized: NormalizedGraph = {
    format: GRAPH_FORMAT,
    inputs,
    params,
    nodes: rawNodes.map((n) => ({ name: n.name, op: n.decl.op, inputs: n.inputs, attrs: n.attrs as Record<string, unknown>, params: { ...n.params } })),
    outputs,
    losses: losses.map((l) => ({ op: l.decl.op, input: l.input, target: l.target, mask: l.mask, weight: l.weight, attrs: l.attrs as Record<string, unknown> })),
  };
  return { spec: normalized, types, nodes, losses, targetInputs, featureInputs, indexBounds, targetRules };
}

// One cycle among nodes that all wait on each other: follow the first waiting input until a name repeats.
function findCycle(nodes: { name: string; inputs: string[] }[]): string[] {
  const waiting = new Map(nodes.map((n) => [n.name, n]));
  let at = nodes[0]!.name;
  const path: string[] = [];
  while (!path.includes(at)) {
    path.push(at);
    at = waiting.get(at)!.inputs.find((v) => waiting.has(v))!;
  }
  return [...path.slice(path.indexOf(at)), at];
}
