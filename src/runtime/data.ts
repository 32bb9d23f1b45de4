// Checking and staging training data: every check runs in TypeScript before anything runs in wasm, and every
// error names the argument, the input, the index and the offending value. Then the seeded example order
// per epoch.
//
// A graph reads named inputs (graph/spec.ts). Data come as one typed array per input, examples x the
// input's shape, row-major: x for the inputs the network reads (a bare array when it reads one, else an
// object by input name) and y for the targets that only the losses read (likewise). f32 inputs take
// Float32Array (or Uint8Array, converted value for value); i32 inputs (token ids, class labels) take
// Int32Array, Uint8Array or Uint16Array.
import { didYouMean } from '../core/check.js';
import { philox4x32_10 } from '../core/philox.js';
import { RNG_DOMAIN_SHUFFLE } from '../core/abi.js';
import { seedHalves } from '../core/seed.js';
import type { CompiledGraph } from '../graph/spec.js';
import type { Staged } from '../graph/network.js';
import { sizeOf, type DType } from '../graph/op.js';

export type { Staged } from '../graph/network.js';

type InputArray = Float32Array | Uint8Array | Uint16Array | Int32Array;
/** Inputs: one array (a network with one input), or arrays by input name. */
export type Inputs = InputArray | Readonly<Record<string, InputArray>>;
/** Targets: class labels or float targets (one loss target), or arrays by target input name. */
export type Targets = InputArray | Readonly<Record<string, InputArray>>;

/** What data must match: the graph's inputs, which of them are targets, and the rules of their values. */
export interface DataSignature {
  readonly inputs: readonly { readonly name: string; readonly shape: readonly number[]; readonly dtype: DType }[];
  readonly features: readonly string[];
  readonly targets: readonly string[];
  /** i32 inputs read as indices: [0, bound), and the node that reads them. */
  readonly bounds: Readonly<Record<string, { readonly bound: number; readonly by: string }>>;
  /** Targets of classification losses: labels in [0, classes) (or ignoreIndex); BCE targets in [0, 1]. */
  readonly rules: Readonly<Record<string, { readonly classes?: number; readonly ignoreIndex?: number; readonly unitInterval?: boolean; readonly loss: string }>>;
}

/** The data signature of a compiled graph. */
export function signatureOf(g: CompiledGraph): DataSignature {
  return {
    inputs: g.spec.inputs.map((x) => ({ name: x.name, shape: x.shape, dtype: x.dtype })),
    features: g.featureInputs,
    targets: g.targetInputs,
    bounds: Object.fromEntries(g.indexBounds),
    rules: Object.fromEntries([...g.targetRules].map(([t, r]) => [t, { ...r, loss: g.losses[Number(r.by)]!.decl.op }])),
  };
}

const kind = (v: unknown): string =>
  v === null || typeof v !== 'object' ? String(v) : ((v as object).constructor?.name ?? 'object');

const isTyped = (v: unknown): v is InputArray =>
  v instanceof Float32Array || v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Int32Array;

/** [d0, d1, ...] position of element i of an example of this shape, as text. */
function position(shape: readonly number[], i: number): string {
  if (shape.length <= 1) return String(i);
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]!);
    i = Math.floor(i / shape[d]!);
  }
  return `[${idx.join(', ')}]`;
}

/**
 * Checks x (and y, required when `needY`) against the graph's inputs; returns one array per input: float
 * inputs as Float32Array, integer ones as Int32Array (converted where they came as other types).
 */
export function stage(where: string, sig: DataSignature, x: Inputs, y: Targets | undefined, needY: boolean): Staged {
  if (needY && y === undefined && sig.targets.length > 0) throw new Error(`${where}: y is missing (labels or targets for every example of x)`);
  const given = new Map<string, { array: unknown; label: string }>();
  const take = (arg: 'x' | 'y', v: unknown, names: readonly string[]) => {
    // A missing y is told apart above; a missing x of a one-input model is "x must be ..., got undefined".
    if (v === undefined && (arg === 'y' || names.length !== 1)) return;
    if (ArrayBuffer.isView(v) || Array.isArray(v) || typeof v !== 'object' || v === null) {
      if (names.length !== 1) {
        const all = sig.inputs.map((i) => i.name);
        throw new Error(`${where}: ${arg} must be an object of arrays by input name (${names.length ? names.join(', ') : `none of ${all.join(', ')}`}), got ${kind(v)}`);
      }
      given.set(names[0]!, { array: v, label: arg });
      return;
    }
    const allowed = sig.inputs.map((i) => i.name);
    for (const [name, a] of Object.entries(v)) {
      if (!allowed.includes(name)) throw new Error(`${where}: ${arg} has "${name}", which is not an input of the model (inputs: ${allowed.join(', ')})${didYouMean(name, allowed)}`);
      if (given.has(name)) throw new Error(`${where}: input "${name}" is given in both x and y`);
      given.set(name, { array: a, label: `${arg}.${name}` });
    }
  };
  take('x', x, sig.features);
  take('y', y, sig.targets);
  const want = needY ? sig.inputs.map((i) => i.name) : sig.features;
  for (const name of want) {
    if (!given.has(name)) {
      const isTarget = sig.targets.includes(name);
      throw new Error(`${where}: input "${name}" is missing (${isTarget ? 'a target: pass it in y' : 'pass it in x'}${sig.inputs.length > 1 ? ', as an object by input name' : ''})`);
    }
  }

  const arrays: Record<string, Float32Array | Int32Array> = {};
  let count = -1, countFrom = '';
  for (const input of sig.inputs) {
    const g = given.get(input.name);
    if (!g) continue;
    const { label } = g, a = g.array, F = sizeOf(input.shape);
    const isTarget = sig.targets.includes(input.name), rule = sig.rules[input.name];
    if (input.dtype === 'f32') {
      if (!(a instanceof Float32Array || (a instanceof Uint8Array && !isTarget))) {
        if (isTarget) {
          throw new Error(`${where}: ${label} must hold float targets (Float32Array, examples x ${F}) for ${rule?.loss ?? 'the loss'}, got ${kind(a)}`);
        }
        throw new Error(`${where}: ${label} must be a Float32Array or Uint8Array, got ${kind(a)}`);
      }
    } else if (!(a instanceof Int32Array || a instanceof Uint8Array || a instanceof Uint16Array)) {
      if (rule?.classes !== undefined) {
        throw new Error(`${where}: ${label} must hold integer class labels (Uint8Array or Int32Array) for ${rule.loss}, got ${kind(a)}`);
      }
      throw new Error(`${where}: ${label} must hold integer ids (Int32Array, Uint8Array or Uint16Array) for the i32 input "${input.name}", got ${kind(a)}`);
    }
    const arr = a as InputArray;
    if (arr.length === 0) throw new Error(`${where}: ${label} is empty: there is nothing to train or evaluate on`);
    if (count < 0) {
      if (arr.length % F !== 0) {
        throw new Error(`${where}: ${label}.length is ${arr.length}, not a multiple of the model's ${F} inputs per example${label === 'x' ? '' : ` (input "${input.name}" is [${input.shape.join(', ')}])`}`);
      }
      count = arr.length / F;
      countFrom = label;
    } else if (arr.length !== count * F) {
      throw new Error(F === 1
        ? `${where}: ${label}.length is ${arr.length}, expected count = ${count} (the examples of ${countFrom})`
        : `${where}: ${label}.length is ${arr.length}, expected ${count} examples x ${F} ${isTarget ? 'outputs' : 'values'} = ${count * F}`);
    }
    if (input.dtype === 'f32') {
      const f = arr instanceof Float32Array ? arr : Float32Array.from(arr);
      if (arr instanceof Float32Array) {
        const what = isTarget ? 'output' : 'feature', must = isTarget ? 'targets must be finite' : 'values must be finite';
        for (let i = 0; i < f.length; i++) {
          const v = f[i]!;
          // v - v is 0 for finite v and NaN for NaN and +-Infinity: one compare on the hot path.
          if (v - v !== 0) throw new Error(`${where}: ${label}[${i}] is ${v} (example ${Math.floor(i / F)}, ${what} ${position(input.shape, i % F)}): ${must}`);
          if (rule?.unitInterval && !(v >= 0 && v <= 1)) {
            throw new Error(`${where}: ${label}[${i}] is ${v} (example ${Math.floor(i / F)}, output ${position(input.shape, i % F)}): ${rule.loss} targets must lie in [0, 1]`);
          }
        }
      }
      arrays[input.name] = f;
    } else {
      const v = arr instanceof Int32Array ? arr : Int32Array.from(arr);
      const bound = sig.bounds[input.name];
      for (let i = 0; i < v.length; i++) {
        const c = v[i]!;
        if (bound && (c < 0 || c >= bound.bound)) {
          throw new Error(`${where}: ${label}[${i}] is ${c} (example ${Math.floor(i / F)}, position ${position(input.shape, i % F)}): ` +
            `token ids of input "${input.name}" must lie in [0, ${bound.bound}), the vocabulary of node "${bound.by}"`);
        }
        if (rule?.classes !== undefined && (c < 0 || c >= rule.classes) && c !== rule.ignoreIndex) {
          throw new Error(`${where}: ${label}[${i}] is ${c}, labels must be 0..${rule.classes - 1}${rule.ignoreIndex !== undefined ? ` (or ${rule.ignoreIndex}, ignored)` : ''}` +
            `${F > 1 ? ` (example ${Math.floor(i / F)}, position ${position(input.shape, i % F)})` : ''}`);
        }
      }
      arrays[input.name] = v;
    }
  }
  return { count, arrays };
}

/** A copy of `a` in a new SharedArrayBuffer. */
function sharedCopy<T extends Float32Array | Int32Array>(a: T): T {
  const C = a.constructor as { new (b: SharedArrayBuffer): T };
  const s = new C(new SharedArrayBuffer(a.byteLength));
  s.set(a as never);
  return s;
}

/** `a` in shared memory: itself when it is there already, else a copy. */
const shared = <T extends Float32Array | Int32Array>(a: T): T => (a.buffer instanceof SharedArrayBuffer ? a : sharedCopy(a));

/** A staged set in shared memory, as workers read it (no copy of what is shared already). */
export const sharedStaged = (s: Staged): Staged => ({
  count: s.count, arrays: Object.fromEntries(Object.entries(s.arrays).map(([k, a]) => [k, shared(a)])),
});

/** The inputs as an error message names them: `x [784], y [] i32 (labels 0..9)`. */
const describeSignature = (s: DataSignature) => s.inputs.map((i) => {
  const rule = s.rules[i.name], bound = s.bounds[i.name];
  const what = rule?.classes !== undefined ? ` (labels 0..${rule.classes - 1})` : bound ? ` (ids 0..${bound.bound - 1})`
    : s.targets.includes(i.name) ? ' (target)' : '';
  return `${i.name} [${i.shape.join(', ')}]${i.dtype === 'i32' ? ' i32' : ''}${what}`;
}).join(', ');

/** Only prepareData makes a PreparedData: its staged arrays were checked, and nothing else may hold them. */
const MADE_HERE = Symbol('PreparedData');

/**
 * Examples checked once and copied into the form training reads (float inputs; integer ids and labels),
 * in shared memory where the runtime has it: `fit` and `evaluate` take one in place of (x, y) and skip
 * the checks and copies they otherwise make on every call (on MNIST's 60,000 images about a tenth of a
 * second per call inline, more on workers, which need the data in shared memory). A snapshot: changing
 * the arrays it was made from afterwards changes nothing in it (unless made with copy: false). Made by
 * `model.prepare(x, y)`.
 */
export class PreparedData {
  readonly #signature: DataSignature;
  readonly #staged: Staged;

  /** @internal (model.prepare makes them) */
  constructor(token: symbol, signature: DataSignature, staged: Staged) {
    if (token !== MADE_HERE) throw new Error('PreparedData: made by model.prepare(x, y), which checks the examples');
    this.#signature = signature;
    this.#staged = staged;
  }

  /** Number of examples. */
  get count(): number {
    return this.#staged.count;
  }

  /** The inputs it was checked for. */
  get signature(): DataSignature {
    return this.#signature;
  }

  /** @internal The staged examples, after checking that they fit a model of this signature. */
  for(where: string, sig: DataSignature): Staged {
    const a = describeSignature(this.#signature), b = describeSignature(sig);
    if (a !== b || JSON.stringify(this.#signature) !== JSON.stringify(sig)) {
      throw new Error(`${where}: this PreparedData was made for a model with inputs ${a}; this model has ${b}`);
    }
    return this.#staged;
  }
}

/**
 * Checks x and y as `stage` does, then copies them (into shared memory when `shared` and the runtime has
 * it). With `copy` false, arrays are used as they are where that works (not a snapshot then): inline, or
 * already in shared memory.
 */
export function prepareData(where: string, sig: DataSignature, x: Inputs, y: Targets, o: { copy: boolean; shared: boolean }): PreparedData {
  const s = stage(where, sig, x, y, true);
  const canShare = o.shared && typeof SharedArrayBuffer === 'function';
  const originals = new Set<unknown>([x, ...(isTyped(x) ? [] : Object.values(x)), y, ...(y === undefined || isTyped(y) ? [] : Object.values(y))]);
  // What stage converted (bytes to floats, labels to Int32Array) is a copy already.
  const own = <T extends Float32Array | Int32Array>(a: T): T => {
    if (canShare) return o.copy ? sharedCopy(a) : shared(a);
    return o.copy && originals.has(a) ? a.slice() as T : a;
  };
  return new PreparedData(MADE_HERE, sig, { count: s.count, arrays: Object.fromEntries(Object.entries(s.arrays).map(([k, a]) => [k, own(a)])) });
}

/**
 * The order of examples in epoch `epoch`: a Fisher-Yates shuffle driven by the counter-based RNG, word i
 * from Philox counter (i / 4, 0, epoch, SHUFFLE) under the seed. A pure function of (seed, epoch, count):
 * the same order in every runtime and for any number of workers. Index draws use floor(u * (i + 1) / 2^32),
 * whose bias is below (i + 1) / 2^32.
 */
export function epochOrder(seed: number, epoch: number, count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const key = seedHalves(seed);
  let words: Uint32Array = new Uint32Array(4);
  for (let i = count - 1; i > 0; i--) {
    if (i === count - 1 || (i & 3) === 3) words = philox4x32_10([i >>> 2, 0, epoch >>> 0, RNG_DOMAIN_SHUFFLE], key);
    const j = Math.min(i, Math.floor((words[i & 3]! * (i + 1)) / 2 ** 32));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
