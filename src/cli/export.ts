// `gradnoise export`: a trained model in the formats other tools serve or train: `--onnx FILE` (ONNX,
// opset 17, for ONNX Runtime) and `--pytorch FILE` (a PyTorch state_dict as safetensors). The model is a
// checkpoint (`--checkpoint FILE`: what `gradnoise train --out` and model.save() write, or with `--layout
// pytorch` a PyTorch state_dict with `--model` naming its graph), or a graph file initialised from `--seed`
// (`--model graph.json` alone). A checkpoint is exported without building the model: no core runs. Each file is
// written atomically; every problem is an error naming the file and the tensor or node.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { writeFileAtomic } from './files.js';
import { int, oneOf } from './options.js';
import { show } from '../core/check.js';
import { exportOnnx } from '../export/onnx/index.js';
import { decodePytorch, encodePytorch, pytorchGraphOf } from '../export/pytorch.js';
import { normalizeGraph, type GraphSpec, type NormalizedGraph } from '../graph/spec.js';
import { toGraph, type ModelSpec } from '../model/spec.js';
import { decodeCheckpoint } from '../runtime/checkpoint.js';
import { createModel } from '../runtime/model.js';

interface ExportFlags {
  onnx?: string;
  pytorch?: string;
  checkpoint?: string;
  layout: 'gradnoise' | 'pytorch';
  model?: string;
  seed: number;
  names?: string;
  name?: string;
  quiet?: boolean;
}

function readJson(flag: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${flag} ${file}: cannot read it (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${flag} ${file}: not valid JSON (${(e as Error).message})`);
  }
}

function readBytes(flag: string, file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`${flag} ${file}: cannot read it (${(e as Error).message})`);
  }
}

const graphOf = (where: string, spec: unknown): NormalizedGraph => normalizeGraph(toGraph(spec as ModelSpec), where);

/** The graph and its parameters, from the flags. */
async function source(f: ExportFlags): Promise<{ spec: NormalizedGraph; params: Map<string, Float32Array>; from: string }> {
  const names = f.names === undefined ? undefined : readJson('--names', f.names) as Record<string, string>;
  if (names !== undefined && (typeof names !== 'object' || names === null || Array.isArray(names))) throw new Error(`--names ${f.names}: need a JSON object of gradnoise name: PyTorch name, got ${show(names)}`);
  const model = f.model === undefined ? undefined : graphOf(`--model ${f.model}`, readJson('--model', f.model));
  if (f.checkpoint === undefined) {
    if (!model) throw new Error('name the model: --checkpoint FILE (a trained model), or --model graph.json (initialised from --seed)');
    const m = await createModel(model, { seed: f.seed, workers: 0, batchSize: 1 });
    try {
      return { spec: m.spec, params: m.getWeights(), from: `${f.model}, initialised from seed ${f.seed}` };
    } finally {
      await m.dispose();
    }
  }
  const bytes = readBytes('--checkpoint', f.checkpoint);
  if (f.layout === 'pytorch') {
    const stored = pytorchGraphOf(bytes, f.checkpoint);
    const spec = model ?? (stored ? graphOf(`--checkpoint ${f.checkpoint}: its graph`, stored.spec) : null);
    if (!spec) throw new Error(`--checkpoint ${f.checkpoint}: a PyTorch state_dict names no gradnoise graph: name it with --model graph.json`);
    const params = decodePytorch(spec, bytes, { names: names ?? (model ? undefined : stored?.names) }, 'export', f.checkpoint);
    return { spec, params, from: `${f.checkpoint} (PyTorch layout)` };
  }
  if (model) throw new Error('--model names the graph of a PyTorch state_dict (--layout pytorch); a checkpoint holds its own');
  const ck = decodeCheckpoint(bytes, f.checkpoint);
  const spec = graphOf(`--checkpoint ${f.checkpoint}: its spec`, ck.meta.spec);
  const params = new Map(ck.meta.params.map((p) => [p, ck.tensors.get(p)!.data]));
  return { spec, params, from: `${f.checkpoint} (step ${ck.meta.step})` };
}

function describe(spec: GraphSpec): string {
  const g = normalizeGraph(spec);
  const shapes = (names: readonly string[]) => names.map((n) => {
    const i = g.inputs.find((x) => x.name === n);
    return `${n}${i ? ` [batch, ${i.shape.join(', ')}]${i.dtype === 'i32' ? ' int32' : ''}` : ''}`;
  }).join(', ');
  const targets = new Set(g.losses.map((l) => l.target));
  return `inputs ${shapes(g.inputs.filter((i) => !targets.has(i.name) || g.nodes.some((n) => n.inputs.includes(i.name))).map((i) => i.name))}; outputs ${g.outputs.join(', ')}`;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('Write a trained model as ONNX (--onnx, opset 17, for ONNX Runtime and other servers) and/or as a PyTorch state_dict ' +
      '(--pytorch, safetensors, under PyTorch\'s names and layouts). The model: --checkpoint FILE (a gradnoise checkpoint; with ' +
      '--layout pytorch, a PyTorch state_dict whose graph --model gives), or --model graph.json alone (initialised from --seed).')
    .helpOption('-h, --help', 'show this help')
    .option('--onnx <file>', 'write the ONNX model here')
    .option('--pytorch <file>', 'write the PyTorch state_dict (safetensors) here')
    .option('--checkpoint <file>', 'the trained model: a checkpoint (gradnoise train --out, model.save())')
    .option('--layout <layout>', 'what --checkpoint holds: a gradnoise checkpoint, or a PyTorch state_dict', oneOf(['gradnoise', 'pytorch'] as const), 'gradnoise')
    .option('--model <file>', 'a graph as JSON (a GraphSpec): the model of a PyTorch --checkpoint, or without --checkpoint the model to initialise')
    .option('--seed <n>', 'seed of the initialisation when there is no --checkpoint', int(0), 0)
    .option('--names <file>', 'PyTorch renames as JSON, { "<gradnoise layer or parameter>": "<PyTorch module or tensor>" }, for --pytorch and a PyTorch --checkpoint')
    .option('--name <name>', 'the ONNX graph\'s name', 'gradnoise')
    .option('--quiet', 'print nothing')
    .action(async (f: ExportFlags) => {
      if (f.onnx === undefined && f.pytorch === undefined) throw new Error('nothing to write: give --onnx FILE, --pytorch FILE or both');
      const { spec, params, from } = await source(f);
      const names = f.names === undefined ? undefined : readJson('--names', f.names) as Record<string, string>;
      const say = (s: string) => { if (!f.quiet) process.stdout.write(`${s}\n`); };
      if (f.onnx !== undefined) {
        const bytes = await exportOnnx(spec, params, { name: f.name }, 'export --onnx');
        writeFileAtomic(f.onnx, bytes);
        say(`wrote ${f.onnx}: ONNX (opset 17) of ${from}, ${bytes.length} bytes; ${describe(spec)}`);
      }
      if (f.pytorch !== undefined) {
        const bytes = encodePytorch(spec, params, { names }, 'export --pytorch');
        writeFileAtomic(f.pytorch, bytes);
        say(`wrote ${f.pytorch}: PyTorch state_dict (safetensors) of ${from}, ${bytes.length} bytes, ${params.size} tensors`);
      }
    });
}
