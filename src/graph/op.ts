// The contract between an op of the graph and the generic machinery around it (spec validation, shape
// inference, the planner, autodiff, memory reuse, the bound kernel sequence). Every op kind is one OpDecl
// in src/graph/ops/<family>.ts: nothing outside that folder ever asks which kind an op is.
//
// Values. Every value of a graph (an input, a node's output) has a ValueType: a shape PER EXAMPLE, a dtype,
// and whether it is batched (one copy per example: inputs and most node outputs) or static (one copy for
// the whole batch: parameters seen as values, constants, and what is computed from them alone). A batched
// value of shape [d0, ..., dk] lives in memory as rows x d0 x ... x dk, row-major.
//
// Gradients are SUMS over the batch rows (the optimizer applies 1 / rows, docs/update.md). A backward gets,
// for each input and each parameter slot, where the gradient goes and whether to WRITE it (the first
// contribution, in the fixed backward order) or ACCUMULATE into it (every later one): that is what makes
// a value used twice, or a parameter shared by two nodes, get the sum of both uses in a fixed order. An op
// that cannot accumulate into some gradient natively says so (`accumulates`), and the planner hands it a
// temporary buffer to write, then adds it in.
import type { CoreExports } from '../core/abi.js';

export type DType = 'f32' | 'i32';

export interface ValueType {
  /** Shape per example (batched) or of the whole value (static). */
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly batched: boolean;
}

/** A parameter an op needs: its slot name (kernel, bias, ...), its shape, and fan-in/out for initialisers. */
export interface ParamSlot {
  readonly slot: string;
  readonly shape: readonly number[];
}

/** What shape inference says about a node: its output, the parameters it reads, per-input bounds. */
export interface Inferred {
  readonly out: ValueType;
  readonly params?: readonly ParamSlot[];
  /** For i32 inputs used as indices: the exclusive upper bound of their values (token ids < vocab). */
  readonly indexBounds?: readonly (number | undefined)[];
}

/** Where a buffer the op needs lives in time: kept from forward to backward, or used within one of them. */
export type Lifetime = 'saved' | 'forward' | 'backward';

export interface Workspace {
  readonly name: string;
  /** Elements (4 bytes each) per example when batched, else in total. */
  readonly elements: number;
  readonly batched: boolean;
  readonly lifetime: Lifetime;
}

/** The step a pass belongs to and which rows it covers. */
export interface RunPass {
  /** Rows (examples) in this pass: the shard's or the inference chunk's. */
  readonly rows: number;
  /** Index of the pass's first row in the whole batch (counter-based randomness is per batch row). */
  readonly row0: number;
  /** The optimizer step t. */
  readonly step: number;
  /** Training (dropout active) or inference. */
  readonly training: boolean;
}

/** A node bound to absolute addresses for one shard's region (or the inference region). */
export interface BoundNode<A = unknown> {
  readonly k: CoreExports;
  readonly name: string;
  /** Position of the node in the graph's node list: the stream of its counter-based random numbers. */
  readonly index: number;
  readonly attrs: A;
  readonly inputs: readonly ValueType[];
  readonly out: ValueType;
  /** Input values (0 for an absent optional input). */
  readonly x: readonly number[];
  readonly y: number;
  /** Where each input's gradient goes (0: none wanted) and whether to accumulate into it. */
  readonly dx: readonly number[];
  readonly accX: readonly number[];
  /** The gradient of the output (0 when no loss depends on it). Backward may overwrite it. */
  readonly dy: number;
  /** Parameters by slot, their gradients (0: none wanted) and whether to accumulate. */
  readonly p: Readonly<Record<string, number>>;
  readonly dp: Readonly<Record<string, number>>;
  readonly accP: Readonly<Record<string, number>>;
  /** Workspace buffers by name. */
  readonly ws: Readonly<Record<string, number>>;
  /** Kernel scratch of this shard (at least scratch() bytes). */
  readonly scratch: number;
  /** The model seed's halves, for ops that draw random numbers. */
  readonly seed: readonly [number, number];
}

/** Elements of a shape (1 for a scalar per example). */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Elements of a value in a pass of `rows` rows. */
export const elementsOf = (t: ValueType, rows: number): number => (t.batched ? rows : 1) * sizeOf(t.shape);

export interface OpDecl<A = any> {
  readonly op: string;
  /** The file (ops/<family>.ts) and kernel family it belongs to. */
  readonly family: string;
  /** Inputs it takes: an exact count, or [min, max] (optional trailing inputs, absent as ''). */
  readonly arity: number | readonly [number, number];
  /** Names of its inputs, for error messages and the builder. */
  readonly inputNames: readonly string[];
  /** Checks the attributes (unknown key, type, range: errors start with `where`) and fills defaults. */
  attrs(where: string, raw: Readonly<Record<string, unknown>>): A;
  /**
   * The shape rule: throws `${where}: ...` naming both shapes when they do not fit. `params` has the
   * shapes of the parameters the node names, where the graph declares them (a `param` node's output).
   */
  infer(where: string, attrs: A, inputs: readonly (ValueType | null)[], params: Readonly<Record<string, readonly number[]>>): Inferred;
  /**
   * A source of static values: `param` (the output IS the parameter, and its gradient the parameter's
   * gradient) or `constant` (values fixed in the spec, written once into the static block).
   */
  readonly source?: 'param' | 'constant';
  /** Forward values the backward reads: inputs by index, and/or the output. Default: none. */
  saves?(attrs: A, inputs: readonly (ValueType | null)[]): { readonly inputs?: readonly number[]; readonly output?: boolean };
  /** The output is the first input's storage, reinterpreted (reshape): no copy, no kernel. */
  readonly alias?: boolean;
  /** Buffers beyond the output that the op needs. */
  workspace?(attrs: A, inputs: readonly ValueType[], out: ValueType): readonly Workspace[];
  /** Bytes of kernel scratch for a pass of `rows` rows. Default 0. */
  scratch?(k: CoreExports, attrs: A, inputs: readonly ValueType[], out: ValueType, rows: number): number;
  /** Whether the backward can accumulate into input i's gradient itself (default false). */
  accumulatesInput?(i: number): boolean;
  /** Whether the backward can accumulate into the gradient of parameter slot `slot` itself (default false). */
  accumulatesParam?(slot: string): boolean;
  /** Which inputs can carry a gradient at all (i32 inputs and masks cannot). Default: every f32 input. */
  differentiable?(i: number): boolean;
  forward(n: BoundNode<A>, pass: RunPass): void;
  /** Absent: no gradient flows through this op (its inputs' gradients are not asked for). */
  backward?(n: BoundNode<A>, pass: RunPass): void;
}

/** Shape as it reads in an error message. */
export const showShape = (t: ValueType | readonly number[] | null): string => {
  if (t === null) return 'absent';
  const s = Array.isArray(t) ? t as readonly number[] : (t as ValueType).shape;
  const extra = Array.isArray(t) ? '' : `${(t as ValueType).dtype === 'i32' ? ' i32' : ''}${(t as ValueType).batched ? '' : ' (static)'}`;
  return `[${s.join(', ')}]${extra}`;
};
