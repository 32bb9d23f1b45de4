// The checkpoint file: safetensors (https://huggingface.co/docs/safetensors), readable by Python's
// `safetensors` and by PyTorch tools, with gradnoise's training state in its `__metadata__`.
//
//   offset 0          8                 8 + N                                         end
//         +----------+-----------------+---------------------------------------------+
//         | N (u64)  | JSON header     | tensor bytes, little-endian, back to back   |
//         +----------+-----------------+---------------------------------------------+
//                     padded with spaces to a multiple of 8, so every f32 is aligned
//
// The header maps each tensor name to { dtype, shape, data_offsets: [begin, end) } (offsets relative to
// the byte after the header), plus "__metadata__": a map of strings. gradnoise writes two keys there:
// "gradnoise", whose value is the JSON of CheckpointMeta (the model spec, the optimizer, the seed, the step,
// the position in the data order, `layout`, a hash of the tensor table, and `crc32`, of the tensor bytes),
// and "gradnoise.crc32", the CRC-32 of that JSON text. So a change to any byte of the metadata or of the
// tensors is caught, and every field of the tensor table is checked against the metadata.
//
// This file is pure (bytes in, bytes out, no model): runtime/snapshot.ts maps a model onto it. Decoding
// checks everything the format promises and throws an Error starting `checkpoint <source>:` that says
// what is wrong; it never returns a half-checked file. docs/checkpoints.md lists what each bad input gets.
import { fnv1a, FNV_OFFSET } from '../core/layout.js';
import type { DataPosition } from '../graph/network.js';
import type { NormalizedGraph } from '../graph/spec.js';
import type { TransformDescription } from '../optim/transforms.js';

export const CHECKPOINT_FORMAT = 'gradnoise.checkpoint';
export const CHECKPOINT_VERSION = 1;
/** The metadata key that holds CheckpointMeta's JSON. */
export const META_KEY = 'gradnoise';
/** The metadata key that holds the CRC-32 of META_KEY's value (its UTF-8 bytes), 8 hex digits. */
export const META_CRC_KEY = 'gradnoise.crc32';
/** Deepest nesting of the spec and optimizer in the metadata (real ones nest 4-5 levels). */
const MAX_META_DEPTH = 16;
/** Largest header the reader accepts (the safetensors reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every safetensors dtype, so that foreign files are described, not just refused. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4,
  F64: 8, I64: 8, U64: 8,
};

/** The training state beside the tensors; everything but the tensors themselves. */
export interface CheckpointMeta {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly spec: NormalizedGraph;
  /** The optimizer chain, as describeTransform gives it. */
  readonly optimizer: TransformDescription;
  readonly seed: number;
  readonly shards: number;
  /** The model's largest batch (createModel's batchSize). */
  readonly batchSize: number;
  /** Optimizer steps taken. */
  readonly step: number;
  /** Completed passes over the data. */
  readonly epoch: number;
  /** Where the epoch in progress stands (batch 0: at a boundary). */
  readonly position: DataPosition;
  /** Parameter tensors, in layout order. */
  readonly params: readonly string[];
  /** Optimizer-state fields (tensors `optimizer/<field>/<param>`), in slot order. */
  readonly state: readonly string[];
  /** FNV-1a of the tensor table (names and shapes, in file order), 8 hex digits. */
  readonly layout: string;
  /** CRC-32 (IEEE, as zlib) of the tensor bytes, 8 hex digits. */
  readonly crc32: string;
}

export interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Checkpoint {
  readonly meta: CheckpointMeta;
  /** Every tensor, by name, in file order (fresh arrays: nothing aliases the input bytes). */
  readonly tensors: ReadonlyMap<string, TensorEntry>;
}

// ---------------------------------------------------------------- CRC-32 (IEEE 802.3, reflected, as zlib)

const CRC_TABLES = (() => {
  // Slicing by 8: eight tables, eight bytes per round (about 1.5x the speed of slicing by 4 in V8).
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s * 256 + n] = (t[(s - 1) * 256 + n]! >>> 8) ^ t[t[(s - 1) * 256 + n]! & 0xff]!;
  }
  return t;
})();

/** CRC-32 of `bytes`, as zlib.crc32 and Python's binascii.crc32 compute it; `crc` continues an earlier one. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = CRC_TABLES;
  let c = ~crc >>> 0, i = 0;
  // Whole 8-byte groups as little-endian u32 pairs (every JS engine in use is little-endian), when aligned.
  if (bytes.byteOffset % 4 === 0) {
    const n8 = bytes.length & ~7;
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, n8 >> 2);
    for (let j = 0; j < w.length; j += 2) {
      const a = w[j]! ^ c, b = w[j + 1]!;
      c = t[1792 + (a & 0xff)]! ^ t[1536 + ((a >>> 8) & 0xff)]! ^ t[1280 + ((a >>> 16) & 0xff)]! ^ t[1024 + (a >>> 24)]! ^
        t[768 + (b & 0xff)]! ^ t[512 + ((b >>> 8) & 0xff)]! ^ t[256 + ((b >>> 16) & 0xff)]! ^ t[b >>> 24]!;
    }
    i = n8;
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const hex8 = (x: number) => x.toString(16).padStart(8, '0');

/** The `layout` field: FNV-1a over every tensor's name and shape, in order. */
export function tableHash(entries: readonly { readonly name: string; readonly shape: readonly number[] }[]): string {
  let h = FNV_OFFSET;
  for (const e of entries) h = fnv1a(fnv1a(h, e.name), e.shape.join('x'));
  return hex8(h);
}

// ---------------------------------------------------------------- writing

/** The safetensors bytes of `tensors` (f32, in this order) with `meta` (its layout and crc32 filled in here). */
export function encodeCheckpoint(meta: Omit<CheckpointMeta, 'layout' | 'crc32'>, tensors: readonly TensorEntry[]): Uint8Array {
  let dataBytes = 0;
  const table: Record<string, unknown> = {};
  for (const t of tensors) {
    table[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [dataBytes, dataBytes + t.data.byteLength] };
    dataBytes += t.data.byteLength;
  }
  const data = new Uint8Array(dataBytes);
  let at = 0;
  for (const t of tensors) {
    data.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  const full: CheckpointMeta = { ...meta, layout: tableHash(tensors), crc32: hex8(crc32(data)) };
  const text = JSON.stringify(full);
  const json = JSON.stringify({ __metadata__: { [META_KEY]: text, [META_CRC_KEY]: hex8(crc32(new TextEncoder().encode(text))) }, ...table });
  let header = new TextEncoder().encode(json);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(header);
    header = p;
  }
  const out = new Uint8Array(8 + header.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

// ---------------------------------------------------------------- reading

/** One tensor of a safetensors header, checked against the file: [begin, end) inside its data. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte offsets in the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface Safetensors {
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Tensors in data order. */
  readonly entries: readonly SafetensorsEntry[];
  /** The data section (a view of the input). */
  readonly data: Uint8Array;
}

const show = (v: unknown): string => {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    return 'a value nested too deeply to show';
  }
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** Whether a JSON value nests deeper than `limit` (iterative: a hostile value cannot overflow the stack). */
function deeperThan(v: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d >= limit) return true;
    for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return false;
}

/**
 * Reads any safetensors file's structure, checking what the format requires: the header length fits the
 * file, the header is UTF-8 JSON of an object, every entry has a known dtype, a shape of non-negative
 * integers and offsets that match its size, and the tensors tile the data section exactly (no gap, no
 * overlap, nothing after the last one).
 */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): Safetensors {
  const fail = (problem: string): never => { throw new Error(`checkpoint ${source}: ${problem}`); };
  if (!(bytes instanceof Uint8Array)) fail(`need the file's bytes as a Uint8Array or ArrayBuffer, got ${show(bytes)}`);
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes; a safetensors file starts with an 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) fail(`the header length is ${n} bytes, but only ${bytes.length - 8} bytes follow it (truncated file, or not safetensors)`);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`the header length is ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
  if (n < 2n) fail(`the header length is ${n} bytes; the smallest header, {}, has 2`);
  const headerEnd = 8 + Number(n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  if (text[0] !== '{') fail(`the header does not start with "{" (starts ${show(text.slice(0, 16))}): not a safetensors file`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const data = bytes.subarray(headerEnd);
  let metadata: Record<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`__metadata__ is ${show(v)}; it must be an object of strings`);
      for (const [k, s] of Object.entries(v as object)) if (typeof s !== 'string') fail(`__metadata__.${k} is ${show(s)}; metadata values must be strings`);
      metadata = v as Record<string, string>;
      continue;
    }
    const where = `tensor "${name}"`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} is ${show(v)}; need { dtype, shape, data_offsets }`);
    const { dtype, shape, data_offsets: offsets } = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || DTYPE_BYTES[dtype] === undefined) fail(`${where} has dtype ${show(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${where} has shape ${show(shape)}; need an array of integers >= 0`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || offsets[0] > offsets[1]) {
      fail(`${where} has data_offsets ${show(offsets)}; need [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > data.length) fail(`${where} ends at byte ${end} of the data, which holds only ${data.length} bytes (truncated file?)`);
    const elements = (shape as number[]).reduce((a, d) => a * d, 1);
    if (elements * DTYPE_BYTES[dtype as string]! !== end - begin) {
      fail(`${where}: shape ${show(shape)} of ${dtype} needs ${elements * DTYPE_BYTES[dtype as string]!} bytes, data_offsets give ${end - begin}`);
    }
    entries.push({ name, dtype: dtype as string, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin < at) fail(`tensor "${e.name}" (bytes ${e.begin}..${e.end}) overlaps the tensor before it (which ends at ${at})`);
    if (e.begin > at) fail(`bytes ${at}..${e.begin} of the data belong to no tensor (before "${e.name}")`);
    at = e.end;
  }
  if (at !== data.length) fail(`the data holds ${data.length} bytes but its tensors end at byte ${at} (trailing bytes, or a tensor is missing)`);
  return { metadata, entries, data };
}

const isInt = (v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const U32 = 0xffffffff;

/** Checks the shape of CheckpointMeta (the values themselves are checked by the model that loads it). */
function checkMeta(m: unknown, fail: (problem: string) => never): CheckpointMeta {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return fail(`metadata "${META_KEY}" is not a JSON object`);
  const o = m as Record<string, unknown>;
  const bad = (field: string, need: string): never => fail(`metadata ${field} is ${show(o[field])} (need ${need})`);
  if (o.format !== CHECKPOINT_FORMAT) bad('format', `"${CHECKPOINT_FORMAT}"`);
  if (!isInt(o.version, 1)) bad('version', 'an integer >= 1');
  if ((o.version as number) > CHECKPOINT_VERSION) {
    fail(`written in checkpoint format version ${String(o.version)}; this gradnoise reads up to version ${CHECKPOINT_VERSION} (upgrade gradnoise)`);
  }
  if (typeof o.spec !== 'object' || o.spec === null) bad('spec', 'a model spec object');
  if (typeof o.optimizer !== 'object' || o.optimizer === null) bad('optimizer', 'a transform description { name, config }');
  for (const f of ['spec', 'optimizer'] as const) if (deeperThan(o[f], MAX_META_DEPTH)) fail(`metadata ${f} nests deeper than ${MAX_META_DEPTH} levels`);
  if (!isInt(o.seed)) bad('seed', 'an integer from 0 to 2^53 - 1');
  if (!isInt(o.shards, 1, 64)) bad('shards', 'an integer from 1 to 64');
  if (!isInt(o.batchSize, 1, U32)) bad('batchSize', 'an integer >= 1');
  if (!isInt(o.step)) bad('step', 'an integer >= 0');
  if (!isInt(o.epoch, 0, U32)) bad('epoch', 'an integer from 0 to 2^32 - 1');
  const p = o.position as Record<string, unknown> | null;
  if (typeof p !== 'object' || p === null || !isInt(p.batch, 0, U32) || !isInt(p.count, 0, U32) || !isInt(p.batchSize, 0, U32) ||
      !isInt(p.seed) || typeof p.shuffle !== 'boolean' || typeof p.dropLast !== 'boolean') {
    bad('position', '{ batch, count, batchSize, seed, shuffle, dropLast }');
  }
  const pos = p as unknown as DataPosition;
  if (pos.batch > 0) {
    // Mid-epoch: the batch taken last must exist in that data order, and an epoch never ends mid-way.
    const batches = pos.batchSize === 0 || pos.batchSize > pos.count ? 0 : pos.dropLast ? Math.floor(pos.count / pos.batchSize) : Math.ceil(pos.count / pos.batchSize);
    if (pos.batch >= batches) {
      fail(`metadata position says batch ${pos.batch} of an epoch of ${batches} batches (${pos.count} examples, batchSize ${pos.batchSize}${pos.dropLast ? ', dropLast' : ''}): past its end`);
    }
  }
  for (const f of ['params', 'state'] as const) {
    if (!Array.isArray(o[f]) || !(o[f] as unknown[]).every((s) => typeof s === 'string')) bad(f, 'an array of names');
  }
  for (const f of ['layout', 'crc32'] as const) if (typeof o[f] !== 'string' || !/^[0-9a-f]{8}$/.test(o[f] as string)) bad(f, '8 hex digits');
  return o as unknown as CheckpointMeta;
}

/**
 * A gradnoise checkpoint from its bytes, checked completely: the safetensors structure, the metadata, that
 * the tensors are exactly the f32 `params` and `optimizer/<field>/<param>` the metadata names, the layout
 * hash of the table and the CRC-32 of the tensor bytes. Throws `checkpoint <source>: ...` otherwise.
 */
export function decodeCheckpoint(input: Uint8Array | ArrayBuffer, source = '<bytes>'): Checkpoint {
  const fail = (problem: string): never => { throw new Error(`checkpoint ${source}: ${problem}`); };
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  const st = parseSafetensors(bytes, source);
  const raw = st.metadata?.[META_KEY];
  if (raw === undefined) {
    fail(`no "${META_KEY}" entry in __metadata__: a safetensors file, but not a gradnoise checkpoint` +
      `${st.entries.length ? ` (tensors: ${st.entries.slice(0, 4).map((e) => e.name).join(', ')}${st.entries.length > 4 ? ', ...' : ''})` : ''}` +
      '; a PyTorch state_dict loads with { layout: "pytorch" }');
  }
  const crcText = st.metadata?.[META_CRC_KEY];
  const metaCrc = hex8(crc32(new TextEncoder().encode(raw)));
  if (crcText === undefined) fail(`no "${META_CRC_KEY}" entry in __metadata__ (the checksum of the "${META_KEY}" metadata)`);
  if (crcText !== metaCrc) fail(`the metadata is corrupt: CRC-32 ${metaCrc}, "${META_CRC_KEY}" says ${show(crcText)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw!);
  } catch (e) {
    return fail(`metadata "${META_KEY}" is not valid JSON (${(e as Error).message})`);
  }
  const meta = checkMeta(parsed, fail);
  const expected = [...meta.params, ...meta.state.flatMap((f) => meta.params.map((p) => `optimizer/${f}/${p}`))];
  const byName = new Map(st.entries.map((e) => [e.name, e]));
  for (const name of expected) if (!byName.has(name)) fail(`tensor "${name}" is missing (the metadata lists it)`);
  const listed = new Set(expected);
  if (listed.size !== expected.length) fail('the metadata names a tensor twice');
  for (const e of st.entries) {
    if (!listed.has(e.name)) fail(`tensor "${e.name}" is not one the metadata lists`);
    if (e.dtype !== 'F32') fail(`tensor "${e.name}" has dtype ${e.dtype}; gradnoise checkpoints hold F32`);
  }
  if (tableHash(st.entries) !== meta.layout) {
    fail(`the tensor table does not match its layout hash ${meta.layout} (got ${tableHash(st.entries)}): the header was edited or mixed up`);
  }
  // Optimizer state has its parameter's shape.
  for (const f of meta.state) {
    for (const p of meta.params) {
      const s = byName.get(`optimizer/${f}/${p}`)!.shape, want = byName.get(p)!.shape;
      if (s.join(',') !== want.join(',')) fail(`tensor "optimizer/${f}/${p}" has shape [${s.join(', ')}]; its parameter "${p}" has [${want.join(', ')}]`);
    }
  }
  const crc = hex8(crc32(st.data));
  if (crc !== meta.crc32) fail(`the tensor bytes are corrupt: CRC-32 ${crc}, the metadata says ${meta.crc32}`);
  const tensors = new Map<string, TensorEntry>();
  for (const e of st.entries) {
    // A copy: the input may be unaligned, and nothing must alias the caller's buffer.
    const data = new Float32Array((e.end - e.begin) / 4);
    new Uint8Array(data.buffer).set(st.data.subarray(e.begin, e.end));
    tensors.set(e.name, { name: e.name, shape: e.shape, data });
  }
  return { meta, tensors };
}
