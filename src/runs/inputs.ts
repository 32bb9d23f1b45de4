// The data of a graph run: arrays read from files (src/data/: .npy, .csv, IDX, JSON Lines) paired with the
// graph's named inputs. data/ reads arrays and knows nothing of models; this file knows the graph: which
// inputs there are, their shape per example and dtype, which of them are targets, and the rules of their
// values (token ids below the vocabulary of the embedding that reads them, class labels below the loss's
// classes, BCE targets in [0, 1], floats finite). Every problem is an error naming the file (as the user
// gave it: `--input ids=data/ids.npy`), the example (and for JSON Lines the line), the input, the position
// in it and the value, before any model is built. runTraining's model.prepare checks the same rules again
// (runtime/data.ts stage()), for data that come another way.
//
// Conversions: an i32 input takes integer values from any file (floats must be whole numbers in the int32
// range); an f32 input takes any numbers, 8-bit files (IDX u8, .npy u1 and bool) scaled to [0, 1] unless
// rawInputs, as the MNIST loader does. A file's shape after its first (examples) axis must hold as many
// values per example as the input's shape (a [N, 28, 28] file feeds a [784] input, row-major).
// Runtime-agnostic: the caller reads the files.
import { didYouMean } from '../core/check.js';
import type { ArrayFile } from '../data/load.js';
import { parseJsonlExamples } from '../data/jsonl.js';
import { compileGraph, type CompiledGraph, type GraphSpec } from '../graph/spec.js';
import { signatureOf, type DataSignature } from '../runtime/data.js';
import type { RunData, Split } from './train.js';

/** An array read from a file, and how errors name that file (`--input ids=data/ids.npy`). */
export interface InputFile {
  readonly label: string;
  readonly array: ArrayFile;
}

/** Where the inputs of one split come from: files by input name, and JSON Lines for the inputs they leave out. */
export interface SplitSource {
  readonly arrays: Readonly<Record<string, InputFile>>;
  readonly jsonl: { readonly label: string; readonly text: string } | null;
}

export interface GraphDataOptions {
  /** Pads short lists of i32 inputs in JSON Lines files (null: a short list is an error). */
  readonly padId: number | null;
  readonly trainLimit: number | null;
  readonly testLimit: number | null;
  /** 8-bit files as they are for f32 inputs (default: scaled to [0, 1]). */
  readonly rawInputs: boolean;
  /** How the user supplies an input (for errors), per split, and how to give a pad id: flags or spec keys. */
  readonly how: { readonly train: string; readonly test: string; readonly padId: string };
}

type Int = Int32Array;
type F32 = Float32Array;

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const showInput = (i: DataSignature['inputs'][number]) => `"${i.name}" [${i.shape.join(', ')}]${i.dtype === 'i32' ? ' i32' : ''}`;

/** Index of element k of an example of this shape, per axis. */
function indexIn(shape: readonly number[], k: number): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(k % shape[d]!);
    k = Math.floor(k / shape[d]!);
  }
  return idx;
}

/**
 * The run data of a graph from its sources: every input of the graph gets exactly one source per split,
 * the counts agree, and every value follows its input's rules. `features` and `classes` stay unset (the
 * graph brings its own shapes).
 */
export function graphRunData(graph: GraphSpec | CompiledGraph, train: SplitSource, test: SplitSource | null, o: GraphDataOptions): RunData {
  const g = 'featureInputs' in graph ? graph : compileGraph(graph);
  const sig = signatureOf(g);
  return {
    train: splitOf(sig, train, 'training', o.trainLimit, o, o.how.train),
    test: test ? splitOf(sig, test, 'test', o.testLimit, o, o.how.test) : null,
  };
}

function splitOf(sig: DataSignature, src: SplitSource, split: 'training' | 'test', limit: number | null, o: GraphDataOptions, how: string): Split {
  const names = sig.inputs.map((i) => i.name);
  for (const [name, f] of Object.entries(src.arrays)) {
    if (!names.includes(name)) throw new Error(`${f.label}: the model has no input "${name}" (its inputs: ${sig.inputs.map(showInput).join(', ')})${didYouMean(name, names)}`);
  }
  const missing = sig.inputs.filter((i) => !Object.hasOwn(src.arrays, i.name));
  let jsonl: ReturnType<typeof parseJsonlExamples> | null = null;
  if (src.jsonl) {
    if (missing.length === 0) {
      throw new Error(`${src.jsonl.label}: every input of the model has its own file already (${Object.values(src.arrays).map((f) => f.label).join(', ')}): this file would not be read`);
    }
    const fields = Object.fromEntries(missing.map((i) => [i.name, { shape: i.shape, integer: i.dtype === 'i32' }]));
    const elsewhere = Object.fromEntries(Object.entries(src.arrays).map(([n, f]) => [n, `given by ${f.label}`]));
    jsonl = parseJsonlExamples(src.jsonl.text, src.jsonl.label, fields, { padId: o.padId, limit: limit ?? undefined, elsewhere, padHint: o.how.padId });
  } else if (missing.length > 0) {
    throw new Error(`${split} data: input ${showInput(missing[0]!)} has no data (${how}); the model's inputs: ${sig.inputs.map(showInput).join(', ')}`);
  }

  // Every source holds the same number of examples (before any limit: files of other lengths are a mistake).
  let total = -1, totalFrom = '';
  const agree = (n: number, label: string) => {
    if (total < 0) { total = n; totalFrom = label; return; }
    if (n !== total) throw new Error(`${label}: ${n} examples, but ${totalFrom} has ${total}`);
  };
  if (jsonl) agree(jsonl.total, src.jsonl!.label);
  for (const input of sig.inputs) {
    const f = src.arrays[input.name];
    if (!f) continue;
    const a = f.array;
    if (a.shape.length === 0) throw new Error(`${f.label}: a single value holds no examples (need examples x [${input.shape.join(', ')}])`);
    const per = sizeOf(a.shape.slice(1)), F = sizeOf(input.shape);
    if (per !== F) {
      throw new Error(`${f.label}: shape [${a.shape.join(', ')}] holds ${per} value${per === 1 ? '' : 's'} per example; input ${showInput(input)} takes ${F}`);
    }
    agree(a.shape[0]!, f.label);
  }
  if (total === 0) throw new Error(`${totalFrom}: no examples`);
  const count = limit === null ? total : Math.min(total, limit);

  const arrays: Record<string, Int | F32> = {};
  for (const input of sig.inputs) {
    const f = src.arrays[input.name];
    const F = sizeOf(input.shape);
    // Where element i of this input came from, as an error says it.
    const at = (i: number): string => {
      const e = Math.floor(i / F), idx = indexIn(input.shape, i % F);
      return f ? `example ${e}${idx.length ? `, position [${idx.join(', ')}]` : ''} of input "${input.name}"`
        : `line ${e + 1} (example ${e}), "${input.name}"${idx.map((x) => `[${x}]`).join('')}`;
    };
    const label = f ? f.label : src.jsonl!.label;
    let values: Int | F32;
    if (!f) {
      values = jsonl!.arrays[input.name]!;
    } else if (input.dtype === 'i32') {
      const d = f.array.data, v = new Int32Array(count * F);
      for (let i = 0; i < v.length; i++) {
        const x = d[i]!;
        if (f.array.kind === 'float' && !(Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31)) {
          throw new Error(`${label}: ${at(i)} is ${x} (an i32 input: need whole numbers from -2147483648 to 2147483647)`);
        }
        v[i] = x;
      }
      values = v;
    } else {
      const d = f.array.data, v = new Float32Array(count * F);
      const scale = f.array.kind === 'u8' && !o.rawInputs ? 1 / 255 : 1;
      for (let i = 0; i < v.length; i++) v[i] = Math.fround(d[i]! * scale);
      values = v;
    }
    checkValues(sig, input.name, values, label, at, o.padId !== null && !f && (jsonl?.padded[input.name] ?? 0) > 0 ? o.padId : null, o.how.padId);
    arrays[input.name] = values;
  }
  const pick = (list: readonly string[]) => Object.fromEntries(list.map((n) => [n, arrays[n]!]));
  return { x: pick(sig.features), y: pick(sig.targets), count };
}

/** The rules of an input's values: finite floats, ids below the vocabulary, labels below the classes, BCE targets in [0, 1]. */
function checkValues(sig: DataSignature, name: string, v: Int | F32, label: string, at: (i: number) => string, padId: number | null, padFlag: string): void {
  const bound = sig.bounds[name], rule = sig.rules[name];
  const padNote = (x: number) => (padId !== null && x === padId ? ` (${x} is the pad id of ${padFlag}, which fills the short lists of this input)` : '');
  if (v instanceof Float32Array) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x - x !== 0) throw new Error(`${label}: ${at(i)} is ${x} (values must be finite)`);
      if (rule?.unitInterval && !(x >= 0 && x <= 1)) throw new Error(`${label}: ${at(i)} is ${x} (${rule.loss} targets must lie in [0, 1])`);
    }
    return;
  }
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (bound && (x < 0 || x >= bound.bound)) {
      throw new Error(`${label}: ${at(i)} is token id ${x}, outside [0, ${bound.bound}), the vocabulary of node "${bound.by}"${padNote(x)}`);
    }
    if (rule?.classes !== undefined && (x < 0 || x >= rule.classes) && x !== rule.ignoreIndex) {
      throw new Error(`${label}: ${at(i)} is label ${x}, outside 0..${rule.classes - 1}${rule.ignoreIndex !== undefined ? ` (or ${rule.ignoreIndex}, ignored)` : ''}, ` +
        `the classes of ${rule.loss}${padNote(x)}`);
    }
  }
}
