// A model's whole training state to and from a checkpoint (runtime/checkpoint.ts has the file format):
// the parameters, the optimizer state, the step t, the epoch and the position in the data order, and what
// it takes to build the same model again (spec, optimizer, seed, shards). The random numbers need no state
// of their own: noise, dropout and the data order are counter-based, pure functions of (seed, t, epoch).
//
// The tensors are the parameters by layer (`<layer>/kernel` [inputs, units], `<layer>/bias` [units]) and
// the optimizer's state fields as PyTorch names them, per parameter (`optimizer/m/<layer>/kernel` for
// Adam's first moment). The fused update keeps that state in slots of the planned memory, the reference
// path in the chain's own state; both write and read the same tensors, so a checkpoint moves between them.
import type { DataPosition } from '../graph/network.js';
import type { FusedPlan } from '../optim/fuse.js';
import { normalizeGraph } from '../graph/spec.js';
import { toGraph, type ModelSpec } from '../model/spec.js';
import { describeTransform, type Chain, type OptimizerDescription, type OptimizerName } from '../optim/transforms.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, encodeCheckpoint, type Checkpoint, type TensorEntry } from './checkpoint.js';
import { NonFiniteError, type Engine } from './engine.js';

/** The fused update's state slots, by optimizer: slot j holds field FUSED_SLOTS[name][j]. */
const FUSED_SLOTS: Readonly<Record<OptimizerName, readonly string[]>> = {
  sgd: ['momentumBuffer'], adam: ['m', 'v'], adamw: ['m', 'v'], adagrad: ['sum'], rmsprop: ['squareAvg', 'momentumBuffer', 'gradAvg'],
};

/** The state fields an optimizer config keeps (PyTorch's names), in slot order. */
export function stateFields(o: OptimizerDescription): string[] {
  switch (o.name) {
    case 'sgd': return o.config.momentum > 0 ? ['momentumBuffer'] : [];
    case 'adam': case 'adamw': return ['m', 'v'];
    case 'adagrad': return ['sum'];
    case 'rmsprop': return ['squareAvg', ...(o.config.momentum > 0 ? ['momentumBuffer'] : []), ...(o.config.centered ? ['gradAvg'] : [])];
  }
}

/** The optimizer at the end of a validated chain. */
export const optimizerOf = (chain: Chain): OptimizerDescription => describeTransform(chain.transforms[chain.transforms.length - 1]!) as OptimizerDescription;

/** What a snapshot needs to know of the model beyond its engine. */
export interface SnapshotSource {
  readonly engine: Engine;
  readonly optimizer: Chain;
  readonly fusedPlan: FusedPlan | null;
  readonly batchSize: number;
}

// Every state tensor of the model as a view (fused: into its slot; reference: the chain's array), by field,
// then parameter. An SGD momentum buffer that the reference path has not made yet (null before step 0) is
// null here.
function stateViews(src: SnapshotSource): { name: string; field: string; param: number; view: Float32Array | null }[] {
  const { net, reference } = src.engine;
  const opt = optimizerOf(src.optimizer);
  const params = [...net.plan.paramTensors.values()];
  const out: { name: string; field: string; param: number; view: Float32Array | null }[] = [];
  const chainState = reference ? (reference.state[reference.state.length - 1] as Record<string, Float32Array[] | null>) : null;
  for (const field of stateFields(opt)) {
    const slot = FUSED_SLOTS[opt.name].indexOf(field);
    params.forEach((p, i) => {
      const view = chainState
        ? chainState[field]?.[i] ?? null
        : net.f32(p.offset + net.plan.optState[slot]!.offset - net.plan.params.offset, p.elements);
      out.push({ name: `optimizer/${field}/${p.name}`, field, param: i, view });
    });
  }
  return out;
}

/**
 * The model's training state as checkpoint bytes. Throws NonFiniteError when a parameter or state value is
 * NaN or Infinity (an update that overflowed): such a file could not be loaded, and must never replace
 * the last good checkpoint.
 */
export function snapshot(src: SnapshotSource, where = 'toBytes'): Uint8Array {
  const { net } = src.engine;
  const decls = net.paramDecls;
  const tensors: TensorEntry[] = decls.map((d) => ({ name: d.name, shape: d.shape, data: net.f32(net.plan.paramTensors.get(d.name)!.offset, d.elements) }));
  for (const s of stateViews(src)) {
    const d = decls[s.param]!;
    tensors.push({ name: s.name, shape: d.shape, data: s.view ?? new Float32Array(d.elements) });
  }
  for (const t of tensors) {
    const at = firstNonFinite(src, t.data);
    if (at >= 0) {
      const layer = t.name.replace(/^optimizer\/[^/]+\//, '').split('/')[0]!;
      throw new NonFiniteError(`${where}: step ${net.step}: ${t.name} holds ${t.data[at]} at index ${at}, and a checkpoint holds finite values only ` +
        `(training diverged in layer ${layer}; the last good checkpoint is the one to keep)`, { step: net.step, tensor: t.name, index: at, layer });
    }
  }
  const opt = optimizerOf(src.optimizer);
  return encodeCheckpoint({
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, spec: net.spec, optimizer: describeTransform(src.optimizer),
    seed: net.seed, shards: net.shards, batchSize: src.batchSize, step: net.step, epoch: net.epoch, position: net.position,
    params: decls.map((d) => d.name), state: stateFields(opt),
  }, tensors);
}

// The first NaN or Infinity of a tensor: the core's SIMD scan for views of the planned memory, a loop for
// the reference path's arrays.
function firstNonFinite(src: SnapshotSource, a: Float32Array): number {
  const { net } = src.engine;
  if (a.buffer === net.core.memory.buffer) return net.k.first_nonfinite_f32(a.byteOffset, a.length);
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

/** Canonical JSON (object keys sorted), for comparing specs and optimizers. */
export function canonical(v: unknown): string {
  const c = (x: unknown): unknown => Array.isArray(x) ? x.map(c)
    : x && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, c((x as Record<string, unknown>)[k])])) : x;
  return JSON.stringify(c(v));
}

/** The path and both values of the first difference between two JSON values, for error messages. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (canonical(a) === canonical(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    if (Array.isArray(a) && a.length !== (b as unknown[]).length) return `${path || 'the value'}: ${a.length} entries vs ${(b as unknown[]).length}`;
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
      if (d) return d;
    }
  }
  return `${path || 'the value'}: ${JSON.stringify(a) ?? 'absent'} vs ${JSON.stringify(b) ?? 'absent'}`;
}

export interface RestoreOptions {
  readonly source: string;
  readonly warn: (message: string) => void;
}

/**
 * Checks that checkpoint `ck` fits the model (same spec and seed, the state fields its optimizer keeps)
 * and only then writes it: parameters, optimizer state, step, epoch and data position. Nothing is written
 * when a check fails. A different optimizer config (same state fields) or shard count is allowed, with a
 * warning: training goes on, but not in the bits of an uninterrupted run.
 */
export function restore(src: SnapshotSource, ck: Checkpoint, o: RestoreOptions): void {
  const { net, reference } = src.engine;
  const fail = (problem: string): never => { throw new Error(`load ${o.source}: ${problem}`); };
  const { meta } = ck;
  // Checkpoints before graphs hold a sequential spec: compared as the graph it becomes.
  let theirs: unknown;
  try {
    theirs = normalizeGraph(toGraph(meta.spec as ModelSpec), 'the model spec');
  } catch (e) {
    return fail(`the checkpoint's ${(e as Error).message}`);
  }
  const specDiff = firstDifference(theirs, net.spec);
  if (specDiff) fail(`the checkpoint's model spec differs from this model's at ${specDiff} (checkpoint vs model); loadModel() builds the checkpoint's own model`);
  if (meta.seed !== net.seed) {
    fail(`the checkpoint was trained with seed ${meta.seed}, this model has seed ${net.seed} (the seed keys the noise, dropout and data order; create the model with seed ${meta.seed}, or use loadModel())`);
  }
  const opt = optimizerOf(src.optimizer);
  const fields = stateFields(opt);
  if (canonical(meta.state) !== canonical(fields)) {
    fail(`the checkpoint holds optimizer state [${meta.state.join(', ')}] (${describeOptimizer(meta.optimizer)}); ` +
      `this model's ${opt.name} keeps [${fields.join(', ')}]`);
  }
  for (const d of net.paramDecls) {
    const t = ck.tensors.get(d.name);
    if (!t) return fail(`tensor "${d.name}" is missing`);
    if (canonical(t.shape) !== canonical(d.shape)) fail(`tensor "${d.name}" has shape [${t.shape.join(', ')}]; this model's is [${d.shape.join(', ')}]`);
  }
  const values = [...ck.tensors.values()];
  for (const t of values) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i]!)) fail(`tensor "${t.name}"[${i}] is ${t.data[i]}: a checkpoint holds finite values only`);
    }
  }
  const optDiff = firstDifference(meta.optimizer, describeTransform(src.optimizer));
  if (optDiff) o.warn(`gradnoise: load ${o.source}: the checkpoint was trained with another optimizer config (${optDiff}, checkpoint vs model); this model keeps its own`);
  if (meta.shards !== net.shards) {
    o.warn(`gradnoise: load ${o.source}: the checkpoint was trained with ${meta.shards} shards, this model has ${net.shards}: training goes on, but not in the bits of an uninterrupted run`);
  }

  // Everything is checked: from here on nothing can fail.
  writeState(src, (name) => ck.tensors.get(name)!.data, meta.step, meta.epoch, meta.position as DataPosition);
}

// Writes checked training state: parameters and optimizer state by tensor name, step, epoch and position.
function writeState(src: SnapshotSource, tensor: (name: string) => Float32Array, step: number, epoch: number, position: DataPosition): void {
  const { net, reference } = src.engine;
  const opt = optimizerOf(src.optimizer);
  for (const d of net.paramDecls) net.f32(net.plan.paramTensors.get(d.name)!.offset, d.elements).set(tensor(d.name));
  if (reference) {
    const last = reference.state.length - 1;
    const next: Record<string, Float32Array[] | null> = { ...(reference.state[last] as Record<string, Float32Array[] | null>) };
    for (const f of stateFields(opt)) next[f] = net.paramDecls.map((d) => tensor(`optimizer/${f}/${d.name}`).slice());
    // PyTorch's SGD has no momentum buffer before its first step (the step then copies the gradient in).
    if (opt.name === 'sgd' && step === 0) next.momentumBuffer = null;
    reference.state = [...reference.state.slice(0, last), next];
  } else {
    for (const v of stateViews(src)) v.view!.set(tensor(v.name));
  }
  src.engine.dropGradients();
  net.step = step;
  net.epoch = epoch;
  net.position = position;
}

/**
 * Moves the training state of one model into another whose graph has the same parameters (names and
 * shapes) and the same optimizer chain, for example the same network built for another input width:
 * parameters, optimizer state, step and epoch, so that training goes on there in the bits it would have
 * had on the first (the noise, dropout and Adam's bias correction are keyed by the step). The data position
 * starts afresh. Everything is checked before anything is written.
 */
export function transferState(from: SnapshotSource, to: SnapshotSource, where: string): void {
  const a = from.engine.net, b = to.engine.net;
  const fail = (problem: string): never => { throw new Error(`${where}: ${problem}`); };
  const shapes = (n: typeof a) => n.paramDecls.map((d) => `${d.name} [${d.shape.join(', ')}]`).join('; ');
  if (shapes(a) !== shapes(b)) fail(`the models' parameters differ (${shapes(a)} vs ${shapes(b)})`);
  const optDiff = firstDifference(describeTransform(from.optimizer), describeTransform(to.optimizer));
  if (optDiff) fail(`the models' optimizers differ at ${optDiff}`);
  if (a.seed !== b.seed) fail(`the models' seeds differ (${a.seed} vs ${b.seed})`);
  if (a.shards !== b.shards) fail(`the models' shard counts differ (${a.shards} vs ${b.shards})`);
  const tensors = new Map<string, Float32Array>();
  for (const d of a.paramDecls) tensors.set(d.name, a.f32(a.plan.paramTensors.get(d.name)!.offset, d.elements).slice());
  for (const s of stateViews(from)) tensors.set(s.name, s.view ? s.view.slice() : new Float32Array(a.paramDecls[s.param]!.elements));
  const position: DataPosition = { ...a.position, batch: 0 };
  writeState(to, (name) => tensors.get(name)!, a.step, a.epoch, position);
}

const describeOptimizer = (d: unknown): string => {
  const name = (d as { name?: string; config?: { transforms?: { name: string }[] } });
  return name.name === 'chain' ? `chain of ${name.config?.transforms?.map((t) => t.name).join(', ')}` : String(name.name);
};
