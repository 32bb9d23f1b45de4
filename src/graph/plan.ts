// The planner: a compiled graph turned, once and before any training, into the kernel sequence of a step
// (forward in execution order, the losses, backward in reverse order) and the memory it runs in. Nothing
// is traced or allocated per step.
//
// Autodiff. A value has a gradient when it depends on a parameter and some loss depends on it. The
// gradient of a value (or of a parameter) gets its contributions in the fixed backward order (losses in
// list order, then nodes in reverse execution order): the first contribution writes, every later one
// accumulates. Where an op cannot accumulate into a gradient itself, it writes a temporary buffer that is
// added in right after (kernels/copy.ts add_f32). A parameter no loss reaches gets a zero gradient.
//
// Memory. Every buffer a step uses (values, their gradients, op workspaces, temporaries) has a lifetime
// in the schedule's time steps: forward node f at time f, the losses at N, the backward of node f at
// 2N - f. A value lives from its forward until its last reader (a later forward, a backward that reads it
// again, the losses, predict for an output); a gradient from its first contribution until its producer's
// backward reads it. Buffers whose lifetimes do not meet share bytes: greedy by size (TFLite's arena
// planner), each buffer at the lowest offset free over its whole lifetime. The result is one REGION per
// shard (docs/memory.md): a shard's rows of every batched value live in its own region, so shards that
// run at once on different workers never touch each other's bytes, however the region is reused inside.
// Data inputs live through the whole step (they are loaded before it). A reshape's output is its input's
// storage.
import type { CoreExports } from '../core/abi.js';
import { elementsOf, sizeOf, type ValueType } from './op.js';
import type { CompiledGraph, CompiledLoss, CompiledNode } from './spec.js';

/** Where a pointer of a bound node comes from. */
export type Ref =
  | { readonly kind: 'region'; readonly buf: number }
  | { readonly kind: 'param'; readonly param: number }
  | { readonly kind: 'paramGrad'; readonly param: number }
  | { readonly kind: 'static'; readonly offset: number }
  | { readonly kind: 'none' };

export const NONE: Ref = { kind: 'none' };

export interface Buffer {
  readonly id: number;
  /** What it holds, for docs/memory.md and debugging: `value h1`, `grad h1`, `ws lstm/gates`, `tmp ...`. */
  readonly label: string;
  readonly bytes: number;
  readonly start: number;
  readonly end: number;
  offset: number;
}

/** Adds a temporary gradient into its target after the writer ran. */
export interface Add {
  readonly dst: Ref;
  readonly src: Ref;
  /** Elements: per row when batched. */
  readonly type: ValueType;
}

export interface PlannedNode {
  readonly node: CompiledNode;
  readonly x: readonly Ref[];
  readonly y: Ref;
  readonly dx: readonly Ref[];
  readonly accX: readonly number[];
  readonly dy: Ref;
  readonly p: Readonly<Record<string, Ref>>;
  readonly dp: Readonly<Record<string, Ref>>;
  readonly accP: Readonly<Record<string, number>>;
  readonly ws: Readonly<Record<string, Ref>>;
  /** Whether its backward runs. */
  readonly backward: boolean;
  readonly adds: readonly Add[];
}

export interface PlannedLoss {
  readonly loss: CompiledLoss;
  readonly x: Ref;
  readonly t: Ref;
  readonly mask: Ref;
  readonly dx: Ref;
  readonly add: Add | null;
}

export interface Program {
  readonly graph: CompiledGraph;
  /** Rows each region holds (a shard's largest, or an inference chunk). */
  readonly rows: number;
  readonly forward: readonly PlannedNode[];
  readonly losses: readonly PlannedLoss[];
  /** Nodes whose backward runs, in backward order. */
  readonly backward: readonly PlannedNode[];
  /** Parameters that no loss reaches: their gradient is set to zero after the backward. */
  readonly zeroParams: readonly number[];
  /** Data inputs and outputs by name. */
  readonly inputs: ReadonlyMap<string, Ref>;
  readonly outputs: ReadonlyMap<string, Ref>;
  /** Every value's forward storage, by name (for diagnostics of a non-finite loss). */
  readonly values: ReadonlyMap<string, Ref>;
  readonly buffers: readonly Buffer[];
  /** Bytes of one region, with lifetime reuse, and what the same buffers would take without it. */
  readonly regionBytes: number;
  readonly regionBytesNoReuse: number;
  /** Constants: bytes of the static block and where each constant's values go. */
  readonly staticBytes: number;
  readonly constants: readonly { readonly offset: number; readonly values: readonly number[] }[];
  /** Kernel scratch a shard needs (the largest of any op). */
  readonly scratchBytes: number;
}

const ALIGN = 16;
const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/** Plans a compiled graph for regions of `rows` rows; `k` (any instance of the core) sizes kernel scratch. */
export function planProgram(graph: CompiledGraph, rows: number, k: CoreExports): Program {
  const N = graph.nodes.length;
  const tFwd = (f: number) => f;
  const tLoss = N;
  const tBwd = (f: number) => 2 * N - f;

  const pos = new Map(graph.nodes.map((n, f) => [n.name, f]));
  const consumers = new Map<string, { f: number; i: number }[]>();
  graph.nodes.forEach((n, f) => n.inputs.forEach((v, i) => {
    if (v !== '') consumers.set(v, [...(consumers.get(v) ?? []), { f, i }]);
  }));
  const type = (v: string) => graph.types.get(v)!;
  const lossInputs = new Set(graph.losses.flatMap((l) => [l.input, ...(l.mask ? [l.mask] : [])]));

  // Which values carry a gradient: they depend on a parameter and a loss depends on them.
  const dependsOnParam = new Map<string, boolean>();
  for (const x of graph.spec.inputs) dependsOnParam.set(x.name, false);
  for (const n of graph.nodes) {
    dependsOnParam.set(n.name, n.decl.source === 'param' || Object.keys(n.params).length > 0 || n.inputs.some((v) => v !== '' && dependsOnParam.get(v)));
  }
  const differentiable = (n: CompiledNode, i: number) =>
    n.decl.backward !== undefined && n.inputTypes[i]?.dtype === 'f32' && (n.decl.differentiable?.(i) ?? true);
  const reachesLoss = new Map<string, boolean>();
  for (let f = N - 1; f >= 0; f--) {
    const n = graph.nodes[f]!;
    const reaches = lossInputs.has(n.name) || (consumers.get(n.name) ?? []).some((c) => differentiable(graph.nodes[c.f]!, c.i) && reachesLoss.get(graph.nodes[c.f]!.name));
    reachesLoss.set(n.name, reaches);
  }
  const hasGrad = (v: string) => type(v).dtype === 'f32' && (dependsOnParam.get(v) ?? false) && (reachesLoss.get(v) ?? false);
  const runsBackward = graph.nodes.map((n) => hasGrad(n.name) && n.decl.backward !== undefined);

  // Buffers and their lifetimes. Forward storage is shared along reshape chains (alias), so a storage is
  // identified by the value that owns it.
  const buffers: { label: string; bytes: number; start: number; end: number }[] = [];
  const newBuffer = (label: string, t: ValueType | { elements: number; batched: boolean }, start: number, end: number): number => {
    const elements = 'shape' in t ? sizeOf(t.shape) : t.elements;
    buffers.push({ label, bytes: alignUp((t.batched ? rows : 1) * elements * 4, ALIGN), start, end });
    return buffers.length - 1;
  };
  const owner = new Map<string, string>();
  const values = new Map<string, Ref>();
  const staticOffsets = new Map<string, number>();
  const constants: { offset: number; values: readonly number[] }[] = [];
  let staticBytes = 0;
  const valueBuf = new Map<string, number>();
  const extend = (v: string, t: number) => {
    const b = buffers[valueBuf.get(owner.get(v)!)!];
    if (b) b.end = Math.max(b.end, t);
  };

  for (const x of graph.spec.inputs) {
    owner.set(x.name, x.name);
    valueBuf.set(x.name, newBuffer(`input ${x.name}`, type(x.name), -1, 2 * N + 1));
    values.set(x.name, { kind: 'region', buf: valueBuf.get(x.name)! });
  }
  graph.nodes.forEach((n, f) => {
    if (n.decl.source === 'param') {
      values.set(n.name, { kind: 'param', param: n.params.value! });
    } else if (n.decl.source === 'constant') {
      const off = staticBytes;
      const vals = (n.attrs as { values: readonly number[] }).values;
      constants.push({ offset: off, values: vals });
      staticBytes = alignUp(staticBytes + vals.length * 4, ALIGN);
      staticOffsets.set(n.name, off);
      values.set(n.name, { kind: 'static', offset: off });
    } else if (n.decl.alias) {
      const src = n.inputs[0]!;
      const o = owner.get(src);
      owner.set(n.name, o ?? src);
      values.set(n.name, values.get(src)!);
    } else {
      owner.set(n.name, n.name);
      valueBuf.set(n.name, newBuffer(`value ${n.name}`, n.out, tFwd(f), tFwd(f)));
      values.set(n.name, { kind: 'region', buf: valueBuf.get(n.name)! });
    }
  });
  // Readers of forward values: later forwards, backwards that read them again, the losses, predict.
  graph.nodes.forEach((n, f) => {
    n.inputs.forEach((v) => { if (v !== '') extend(v, tFwd(f)); });
    if (n.decl.alias) extend(n.name, tFwd(f));
    if (!runsBackward[f]) return;
    const s = n.decl.saves?.(n.attrs, n.inputTypes) ?? {};
    for (const i of s.inputs ?? []) if (n.inputs[i]) extend(n.inputs[i]!, tBwd(f));
    if (s.output) extend(n.name, tBwd(f));
  });
  for (const l of graph.losses) for (const v of [l.input, l.target, l.mask]) if (v) extend(v, tLoss);
  for (const v of graph.spec.outputs) extend(v, tLoss);

  // Gradients: contributions in backward order, first writes, later ones accumulate.
  const gradRef = new Map<string, Ref>(); // by value name, or `param:<index>`
  const written = new Set<string>();
  const gradKey = (v: string) => {
    const n = graph.nodes[pos.get(v) ?? -1];
    return n?.decl.source === 'param' ? `param:${n.params.value}` : v;
  };
  const gradTarget = (key: string, v: string | null, t: number): Ref => {
    let r = gradRef.get(key);
    if (!r) {
      if (key.startsWith('param:')) r = { kind: 'paramGrad', param: Number(key.slice(6)) };
      else {
        const producer = pos.get(v!)!;
        r = { kind: 'region', buf: newBuffer(`grad ${v}`, type(v!), t, tBwd(producer)) };
      }
      gradRef.set(key, r);
    } else if (r.kind === 'region') {
      const b = buffers[r.buf]!;
      b.start = Math.min(b.start, t);
    }
    return r;
  };
  // Returns the ref to write, the accumulate flag, and an Add when a temporary stands in.
  const contribute = (key: string, v: string | null, t: number, tmpType: ValueType, native: boolean, label: string) => {
    const target = gradTarget(key, v, t);
    const first = !written.has(key);
    written.add(key);
    if (first || native) return { ref: target, acc: first ? 0 : 1, add: null as Add | null };
    const tmp: Ref = { kind: 'region', buf: newBuffer(`tmp ${label}`, tmpType, t, t) };
    return { ref: tmp, acc: 0, add: { dst: target, src: tmp, type: tmpType } };
  };

  const losses: PlannedLoss[] = graph.losses.map((l) => {
    let dx: Ref, add: Add | null = null;
    if (hasGrad(l.input)) {
      const c = contribute(gradKey(l.input), l.input, tLoss, l.inputType, false, `loss ${l.index}`);
      dx = c.ref;
      add = c.add;
    } else {
      dx = { kind: 'region', buf: newBuffer(`tmp loss ${l.index}`, l.inputType, tLoss, tLoss) };
    }
    return { loss: l, x: values.get(l.input)!, t: values.get(l.target)!, mask: l.mask ? values.get(l.mask)! : NONE, dx, add };
  });

  const planned: PlannedNode[] = graph.nodes.map((n) => ({ node: n } as PlannedNode));
  for (let f = N - 1; f >= 0; f--) {
    const n = graph.nodes[f]!, t = tBwd(f);
    const adds: Add[] = [];
    const dx: Ref[] = [], accX: number[] = [];
    const dp: Record<string, Ref> = {}, accP: Record<string, number> = {};
    if (runsBackward[f]) {
      n.inputs.forEach((v, i) => {
        if (v === '' || !differentiable(n, i) || !hasGrad(v)) { dx.push(NONE); accX.push(0); return; }
        const c = contribute(gradKey(v), v, t, type(v), n.decl.accumulatesInput?.(i) ?? false, `${n.name} input ${i}`);
        dx.push(c.ref); accX.push(c.acc);
        if (c.add) adds.push(c.add);
      });
      for (const [slot, p] of Object.entries(n.params)) {
        const shape = graph.spec.params[p]!.shape;
        const c = contribute(`param:${p}`, null, t, { shape, dtype: 'f32', batched: false }, n.decl.accumulatesParam?.(slot) ?? false, `${n.name} ${slot}`);
        dp[slot] = c.ref; accP[slot] = c.acc;
        if (c.add) adds.push(c.add);
      }
    } else {
      n.inputs.forEach(() => { dx.push(NONE); accX.push(0); });
    }
    const ws: Record<string, Ref> = {};
    if (n.decl.workspace && n.decl.source === undefined) {
      const ins = n.inputTypes.map((x) => x!);
      for (const w of n.decl.workspace(n.attrs, ins, n.out)) {
        if (w.lifetime === 'backward' && !runsBackward[f]) continue;
        const [s, e] = w.lifetime === 'saved' ? [tFwd(f), runsBackward[f] ? tBwd(f) : tFwd(f)] : w.lifetime === 'forward' ? [tFwd(f), tFwd(f)] : [t, t];
        ws[w.name] = { kind: 'region', buf: newBuffer(`ws ${n.name}/${w.name}`, { elements: w.elements, batched: w.batched }, s, e) };
      }
    }
    const p: Record<string, Ref> = {};
    for (const [slot, i] of Object.entries(n.params)) p[slot] = { kind: 'param', param: i };
    const dy = runsBackward[f] ? gradRef.get(gradKey(n.name)) ?? NONE : NONE;
    planned[f] = {
      node: n, x: n.inputs.map((v) => (v === '' ? NONE : values.get(v)!)), y: values.get(n.name)!, dx, accX, dy, p, dp, accP, ws,
      backward: runsBackward[f]! && dy.kind !== 'none', adds,
    };
  }
  const zeroParams = graph.spec.params.map((_, i) => i).filter((i) => !written.has(`param:${i}`));

  // Place the buffers: largest first (ties by creation order), each at the lowest offset where it meets
  // no placed buffer that is alive at the same time.
  const placed: Buffer[] = buffers.map((b, id) => ({ id, ...b, offset: 0 }));
  const bySize = [...placed].sort((a, b) => b.bytes - a.bytes || a.id - b.id);
  const done: Buffer[] = [];
  let regionBytes = 0;
  for (const b of bySize) {
    const clashes = done.filter((o) => o.start <= b.end && b.start <= o.end).sort((x, y) => x.offset - y.offset);
    let at = 0;
    for (const o of clashes) {
      if (at + b.bytes <= o.offset) break;
      at = Math.max(at, alignUp(o.offset + o.bytes, ALIGN));
    }
    b.offset = at;
    done.push(b);
    regionBytes = Math.max(regionBytes, at + b.bytes);
  }
  const regionBytesNoReuse = placed.reduce((s, b) => s + b.bytes, 0);

  let scratchBytes = 0;
  for (const n of graph.nodes) {
    if (n.decl.scratch) scratchBytes = Math.max(scratchBytes, n.decl.scratch(k, n.attrs, n.inputTypes.map((x) => x!), n.out, rows));
  }

  return {
    graph, rows,
    forward: planned,
    losses,
    backward: [...planned].reverse().filter((p) => p.backward),
    zeroParams,
    inputs: new Map(graph.spec.inputs.map((x) => [x.name, values.get(x.name)!])),
    outputs: new Map(graph.spec.outputs.map((v) => [v, values.get(v)!])),
    values,
    buffers: placed,
    regionBytes: alignUp(regionBytes, 64),
    regionBytesNoReuse,
    staticBytes,
    constants,
    scratchBytes,
  };
}

/** Elements of an Add's buffers in a pass of `rows` rows. */
export const addElements = (a: Add, rows: number): number => elementsOf(a.type, rows);
