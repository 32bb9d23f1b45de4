// planLayout(): the single source of truth for where every tensor lives in the one linear memory.
//
// The arena (docs/memory.md draws it) starts at the module's arena_base() and is laid out once, before
// training, as consecutive blocks:
//
//   header | params | grads x gradSlots | optimizer state x stateSlots | activations | activation grads | scratch
//   | noise ahead x noiseSlots
//
// Params, every grad slot and every optimizer-state slot share one internal layout (the same tensors in
// the same order at the same relative offsets), so an optimizer is one flat loop over a block and a
// checkpoint is a byte copy of header + blocks. Every tensor starts on a 16-byte boundary (ALIGN) and
// every block on a 64-byte one (a cache line), so SIMD loads never straddle and blocks never share a line
// between workers. Pure: no wasm, no model knowledge; the caller passes named sizes in floats.
import { ALIGN, GEMM_READ_SLACK, HEADER_BYTES } from './abi.js';
import { checkOptions } from './check.js';

export type BlockKind = 'header' | 'params' | 'grads' | 'optState' | 'activations' | 'activationGrads' | 'scratch' | 'noise';

/** One tensor to place: a unique name within its block and its size in 4-byte elements (f32 or i32). */
export interface TensorRequest {
  readonly name: string;
  readonly elements: number;
}

export interface LayoutRequest {
  /** Byte address where the arena may begin (the module's arena_base()). */
  readonly base: number;
  readonly params: readonly TensorRequest[];
  /** Copies of the params layout that hold gradients (one per gradient shard). Default 1. */
  readonly gradSlots?: number;
  /** Copies of the params layout that hold optimizer state (0 for plain SGD, 1 momentum, 2 Adam). */
  readonly stateSlots?: number;
  readonly activations: readonly TensorRequest[];
  readonly activationGrads: readonly TensorRequest[];
  readonly scratchBytes: number;
  /**
   * Copies of the params layout that hold the gradient noise of the current step, computed ahead by
   * workers waiting at a barrier (runtime/parallel.ts): 0 or 1. Default 0. Last in the arena, so a plan
   * without it is the plan of before.
   */
  readonly noiseSlots?: number;
}

export interface Placement {
  readonly name: string;
  readonly block: BlockKind;
  /** Absolute byte address in linear memory. */
  readonly offset: number;
  readonly elements: number;
}

export interface Block {
  readonly kind: BlockKind;
  readonly offset: number;
  readonly bytes: number;
}

export interface LayoutPlan {
  readonly base: number;
  readonly header: Block;
  readonly params: Block;
  /** One block per gradient slot, each a copy of the params layout. */
  readonly grads: readonly Block[];
  /** One block per optimizer-state slot, each a copy of the params layout. */
  readonly optState: readonly Block[];
  readonly activations: Block;
  readonly activationGrads: Block;
  readonly scratch: Block;
  /** The noise-ahead block (at most one), a copy of the params layout. */
  readonly noise: readonly Block[];
  /** Params by name, with offsets inside the params block; add grads[s].offset - params.offset for slot s. */
  readonly paramTensors: ReadonlyMap<string, Placement>;
  readonly activationTensors: ReadonlyMap<string, Placement>;
  readonly activationGradTensors: ReadonlyMap<string, Placement>;
  /** One past the last byte the arena uses. */
  readonly end: number;
  /** 64 KiB pages the memory needs to hold the whole arena and GEMM_READ_SLACK bytes after it. */
  readonly pages: number;
  /** FNV-1a over every block and tensor placement: two plans with the same hash place everything alike. */
  readonly hash: number;
}

const LINE = 64;
/** The FNV-1a offset basis, where a hash starts. */
export const FNV_OFFSET = 0x811c9dc5;
const PAGE = 65536;

const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

function checkRequests(kind: BlockKind, list: readonly TensorRequest[]): void {
  const seen = new Set<string>();
  for (const t of list) {
    if (typeof t.name !== 'string' || t.name.length === 0) throw new Error(`planLayout: a ${kind} tensor has an empty name`);
    if (seen.has(t.name)) throw new Error(`planLayout: ${kind} tensor "${t.name}" is named twice`);
    seen.add(t.name);
    if (!Number.isInteger(t.elements) || t.elements < 0) {
      throw new Error(`planLayout: ${kind} tensor "${t.name}" has ${t.elements} elements (need an integer >= 0)`);
    }
  }
}

function checkCount(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`planLayout: ${field} is ${value} (need an integer >= ${min})`);
}

// Places tensors one after another from `start`, each on an ALIGN boundary; returns the block's byte size.
function place(kind: BlockKind, list: readonly TensorRequest[], start: number, out: Map<string, Placement>): number {
  let at = start;
  for (const t of list) {
    out.set(t.name, { name: t.name, block: kind, offset: at, elements: t.elements });
    at = alignUp(at + t.elements * 4, ALIGN);
  }
  return alignUp(at - start, LINE);
}

/** One FNV-1a round over String(value) and a separator; start from FNV_OFFSET. */
export function fnv1a(hash: number, value: number | string): number {
  const s = String(value);
  for (let i = 0; i < s.length; i++) {
    hash ^= s.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return Math.imul(hash ^ 0x2c, 0x01000193) >>> 0; // separator, so "1","23" differs from "12","3"
}

export function planLayout(req: LayoutRequest): LayoutPlan {
  checkOptions('planLayout', req, ['base', 'params', 'gradSlots', 'stateSlots', 'activations', 'activationGrads', 'scratchBytes', 'noiseSlots'], false);
  const gradSlots = req.gradSlots ?? 1;
  const stateSlots = req.stateSlots ?? 0;
  const noiseSlots = req.noiseSlots ?? 0;
  checkCount('base', req.base, 0);
  checkCount('gradSlots', gradSlots, 1);
  checkCount('stateSlots', stateSlots, 0);
  checkCount('noiseSlots', noiseSlots, 0);
  if (noiseSlots > 1) throw new Error(`planLayout: noiseSlots is ${noiseSlots} (need 0 or 1)`);
  checkCount('scratchBytes', req.scratchBytes, 0);
  checkRequests('params', req.params);
  checkRequests('activations', req.activations);
  checkRequests('activationGrads', req.activationGrads);

  let at = alignUp(req.base, LINE);
  const header: Block = { kind: 'header', offset: at, bytes: HEADER_BYTES };
  at = alignUp(at + HEADER_BYTES, LINE);

  const paramTensors = new Map<string, Placement>();
  const paramBytes = place('params', req.params, at, paramTensors);
  const params: Block = { kind: 'params', offset: at, bytes: paramBytes };
  at += paramBytes;

  const grads: Block[] = [];
  for (let s = 0; s < gradSlots; s++, at += paramBytes) grads.push({ kind: 'grads', offset: at, bytes: paramBytes });
  const optState: Block[] = [];
  for (let s = 0; s < stateSlots; s++, at += paramBytes) optState.push({ kind: 'optState', offset: at, bytes: paramBytes });

  const activationTensors = new Map<string, Placement>();
  const actBytes = place('activations', req.activations, at, activationTensors);
  const activations: Block = { kind: 'activations', offset: at, bytes: actBytes };
  at += actBytes;

  const activationGradTensors = new Map<string, Placement>();
  const agBytes = place('activationGrads', req.activationGrads, at, activationGradTensors);
  const activationGrads: Block = { kind: 'activationGrads', offset: at, bytes: agBytes };
  at += agBytes;

  const scratch: Block = { kind: 'scratch', offset: at, bytes: alignUp(req.scratchBytes, LINE) };
  at += scratch.bytes;

  const noise: Block[] = [];
  for (let s = 0; s < noiseSlots; s++, at += paramBytes) noise.push({ kind: 'noise', offset: at, bytes: paramBytes });

  let hash = FNV_OFFSET;
  for (const b of [header, params, ...grads, ...optState, activations, activationGrads, scratch, ...noise]) {
    hash = fnv1a(fnv1a(fnv1a(hash, b.kind), b.offset), b.bytes);
  }
  for (const m of [paramTensors, activationTensors, activationGradTensors]) {
    for (const p of m.values()) hash = fnv1a(fnv1a(fnv1a(hash, p.name), p.offset), p.elements);
  }

  return {
    base: req.base, header, params, grads, optState, activations, activationGrads, scratch, noise,
    paramTensors, activationTensors, activationGradTensors,
    // The slack after the arena lets the GEMM read past its last operand without leaving the memory.
    end: at, pages: Math.ceil((at + GEMM_READ_SLACK) / PAGE), hash,
  };
}
