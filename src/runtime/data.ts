// Checking and staging training data: every check runs in TypeScript before anything runs in wasm, and every
// error names the argument, the index and the offending value. Then the seeded example order per epoch.
import { philox4x32_10 } from '../core/philox.js';
import { RNG_DOMAIN_SHUFFLE } from '../core/abi.js';
import { seedHalves } from '../core/seed.js';
import { validateDataset } from '../data/dataset.js';

/** Inputs: rows x features, row-major. Uint8Array values are converted as they are (0..255, not scaled). */
export type Inputs = Float32Array | Uint8Array;
/** Class labels (softmaxCrossEntropy) or float targets, rows x outputs (meanSquaredError). */
export type Targets = Uint8Array | Int32Array | Float32Array;

export interface Staged {
  readonly count: number;
  readonly x: Float32Array;
  /** Integer labels (softmaxCrossEntropy) ... */
  readonly labels: Int32Array | null;
  /** ... or float targets (meanSquaredError). */
  readonly targets: Float32Array | null;
}

export interface Shape {
  readonly inputs: number;
  readonly outputs: number;
  readonly loss: 'softmaxCrossEntropy' | 'meanSquaredError';
}

const kind = (v: unknown): string =>
  v === null || typeof v !== 'object' ? String(v) : ((v as object).constructor?.name ?? 'object');

/**
 * Checks x (and y, required when `needY`) against the model's shape; returns float inputs and int labels /
 * targets.
 */
export function stage(where: string, shape: Shape, x: Inputs, y: Targets | undefined, needY: boolean): Staged {
  if (needY && y === undefined) throw new Error(`${where}: y is missing (labels or targets for every example of x)`);
  if (!(x instanceof Float32Array || x instanceof Uint8Array)) {
    throw new Error(`${where}: x must be a Float32Array or Uint8Array, got ${kind(x)}`);
  }
  if (x.length === 0) throw new Error(`${where}: x is empty: there is nothing to train or evaluate on`);
  if (x.length % shape.inputs !== 0) {
    throw new Error(`${where}: x.length is ${x.length}, not a multiple of the model's ${shape.inputs} inputs per example`);
  }
  const count = x.length / shape.inputs;
  const xf = x instanceof Float32Array ? x : Float32Array.from(x);
  if (y === undefined) {
    validateDataset({ x: xf, y: new Uint8Array(count), count, features: shape.inputs }, { name: where });
    return { count, x: xf, labels: null, targets: null };
  }
  if (shape.loss === 'softmaxCrossEntropy') {
    if (!(y instanceof Uint8Array || y instanceof Int32Array)) {
      throw new Error(`${where}: y must hold integer class labels (Uint8Array or Int32Array) for softmaxCrossEntropy, got ${kind(y)}`);
    }
    validateDataset({ x: xf, y, count, features: shape.inputs }, { name: where, classes: shape.outputs });
    return { count, x: xf, labels: y instanceof Int32Array ? y : Int32Array.from(y), targets: null };
  }
  if (!(y instanceof Float32Array)) {
    throw new Error(`${where}: y must hold float targets (Float32Array, examples x ${shape.outputs}) for meanSquaredError, got ${kind(y)}`);
  }
  if (y.length !== count * shape.outputs) {
    throw new Error(`${where}: y.length is ${y.length}, expected ${count} examples x ${shape.outputs} outputs = ${count * shape.outputs}`);
  }
  validateDataset({ x: xf, y: new Uint8Array(count), count, features: shape.inputs }, { name: where });
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v - v !== 0) throw new Error(`${where}: y[${i}] is ${v} (example ${Math.floor(i / shape.outputs)}, output ${i % shape.outputs}): targets must be finite`);
  }
  return { count, x: xf, labels: null, targets: y };
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
  count: s.count, x: shared(s.x), labels: s.labels && shared(s.labels), targets: s.targets && shared(s.targets),
});

const describeShape = (s: Shape) => `${s.inputs} inputs, ${s.outputs} outputs (${s.loss})`;

/** Only prepareData makes a PreparedData: its staged arrays were checked, and nothing else may hold them. */
const MADE_HERE = Symbol('PreparedData');

/**
 * Examples checked once and copied into the form training reads (float inputs; integer labels or float
 * targets), in shared memory where the runtime has it: `fit` and `evaluate` take one in place of (x, y)
 * and skip the checks and copies they otherwise make on every call (on MNIST's 60,000 images about a
 * tenth of a second per call inline, more on workers, which need the data in shared memory). A snapshot:
 * changing the arrays it was made from afterwards changes nothing in it (unless made with copy: false).
 * Made by `model.prepare(x, y)`.
 */
export class PreparedData {
  readonly #shape: Shape;
  readonly #staged: Staged;

  /** @internal (model.prepare makes them) */
  constructor(token: symbol, shape: Shape, staged: Staged) {
    if (token !== MADE_HERE) throw new Error('PreparedData: made by model.prepare(x, y), which checks the examples');
    this.#shape = shape;
    this.#staged = staged;
  }

  /** Number of examples. */
  get count(): number {
    return this.#staged.count;
  }

  /** The model shape it was checked for. */
  get shape(): Shape {
    return { ...this.#shape };
  }

  /** @internal The staged examples, after checking that they fit a model of this shape. */
  for(where: string, shape: Shape): Staged {
    const a = this.#shape;
    if (a.inputs !== shape.inputs || a.outputs !== shape.outputs || a.loss !== shape.loss) {
      throw new Error(`${where}: this PreparedData was made for a model of ${describeShape(a)}; this model has ${describeShape(shape)}`);
    }
    return this.#staged;
  }
}

/**
 * Checks x and y as `stage` does, then copies them (into shared memory when `shared` and the runtime has
 * it). With `copy` false, arrays are used as they are where that works (not a snapshot then): inline, or
 * already in shared memory.
 */
export function prepareData(where: string, shape: Shape, x: Inputs, y: Targets, o: { copy: boolean; shared: boolean }): PreparedData {
  const s = stage(where, shape, x, y, true);
  const canShare = o.shared && typeof SharedArrayBuffer === 'function';
  // What stage converted (bytes to floats, labels to Int32Array) is a copy already.
  const own = <T extends Float32Array | Int32Array>(a: T): T => {
    if (canShare) return o.copy ? sharedCopy(a) : shared(a);
    return o.copy && (a === x || a === y) ? a.slice() as T : a;
  };
  return new PreparedData(MADE_HERE, { inputs: shape.inputs, outputs: shape.outputs, loss: shape.loss }, {
    count: s.count, x: own(s.x), labels: s.labels && own(s.labels), targets: s.targets && own(s.targets),
  });
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
