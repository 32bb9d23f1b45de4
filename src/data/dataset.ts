// The in-memory Dataset shape every loader in src/data/ returns, and its validation. No Node imports:
// the facade uses this in every runtime.
//
// Legend: N = example count, F = features per example, C = number of classes.
//   x: N*F f32, row-major (example i, feature j at x[i*F + j]); y: N integer labels in 0..C-1.
import { checkFields, int, nullish, optional, string, type FieldsOf } from '../core/check.js';

/** An in-memory labelled dataset: x is count x features row-major, y holds one class index per example. */
export interface Dataset {
  x: Float32Array;
  y: Uint8Array | Int32Array;
  count: number;
  features: number;
}

export interface ValidateDatasetOptions {
  /** If given, labels must lie in 0..classes-1. Without it they need only be non-negative integers. */
  classes?: number;
  /** Prefix for error messages, e.g. 'MNIST train'. Default 'dataset'. */
  name?: string;
}

const VALIDATE_FIELDS: FieldsOf<ValidateDatasetOptions> = { classes: optional(int(1)), name: nullish(string) };

/**
 * Check the Dataset contract and throw an Error that names the first violation: count and features
 * positive integers, x a Float32Array of exactly count*features finite values, y a Uint8Array or
 * Int32Array of count integer labels in range. The facade calls this on user data before anything
 * reaches the wasm core, which checks nothing.
 */
export function validateDataset(ds: Dataset, options: ValidateDatasetOptions = {}): void {
  checkFields('validateDataset', options, VALIDATE_FIELDS);
  const name = options.name ?? 'dataset';
  const fail = (problem: string): never => {
    throw new Error(`${name}: ${problem}`);
  };
  const { classes } = options;
  // Runtime type checks too: plain-JS callers (and JSON-loaded data) bypass the compiler.
  if (ds === null || typeof ds !== 'object') fail(`expected an object { x, y, count, features }, got ${ds}`);
  const { x, y, count, features } = ds;
  if (!(Number.isSafeInteger(count) && count > 0)) fail(`count must be a positive integer, got ${count}`);
  if (!(Number.isSafeInteger(features) && features > 0)) {
    fail(`features must be a positive integer, got ${features}`);
  }
  if (!(x instanceof Float32Array)) fail(`x must be a Float32Array, got ${describe(x)}`);
  if (!(y instanceof Uint8Array || y instanceof Int32Array)) {
    fail(`y must be a Uint8Array or Int32Array, got ${describe(y)}`);
  }
  if (x.length !== count * features) {
    fail(`x.length is ${x.length}, expected count * features = ${count} * ${features} = ${count * features}`);
  }
  if (y.length !== count) fail(`y.length is ${y.length}, expected count = ${count}`);

  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    // v - v is 0 for finite v and NaN for NaN and +-Infinity: one compare on the hot path.
    if (v - v !== 0) {
      fail(`x[${i}] is ${v} (example ${Math.floor(i / features)}, feature ${i % features}): values must be finite`);
    }
  }
  for (let i = 0; i < count; i++) {
    const c = y[i]!;
    // Typed-array elements are always integers; only the range can be wrong.
    if (c < 0 || (classes !== undefined && c >= classes)) {
      const range = classes !== undefined ? `0..${classes - 1}` : 'non-negative';
      fail(`y[${i}] is ${c}, labels must be ${range}`);
    }
  }
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return (v as object).constructor?.name ?? 'object';
}
