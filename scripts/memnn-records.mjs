// Moves MemN2N run records between a sweep's OUT directory and the condensed JSONL committed in
// docs/experiments/memnn/runs.jsonl (one line per run: id, point, seed, config, validation and test error
// overall and by task, the per-epoch curve, steps, weightsSha256, seconds). Run after `npm run build`
// (it uses dist/).
//
//   node scripts/memnn-records.mjs import JSONL OUT [memnn flags]   JSONL lines -> OUT/runs/<id>.json
//   node scripts/memnn-records.mjs export OUT JSONL [memnn flags]   OUT/runs/*.json of the plan -> JSONL
//
// [memnn flags] are the `reproduce memnn` flags that plan the runs besides --runs and --seed (--epochs,
// --ls-epochs, --eta, --std, ...; the seeds come from the lines or the records). A line is imported only
// as the planned job of its id, whose setting and seed must match the line's, so a sweep resumed over
// imported records (`reproduce memnn --runs N --out OUT`) runs only what is missing and reports every
// run. An imported record holds what the line holds; the fields the line never kept (examples, examples
// per second, the run summary's training figures) are null, and `imported` names the line.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planMemnn } from '../dist/src/cli/reproduce.js';
import { writeFileAtomic } from '../dist/src/io/atomic.js';

const usage = 'usage: node scripts/memnn-records.mjs import JSONL OUT [--epochs N] [--ls-epochs N] [--eta X] [--gamma X] [--std X] ...\n' +
  '       node scripts/memnn-records.mjs export OUT JSONL [the same flags]';

/** The memnn flags that decide the plan, with the defaults of `reproduce memnn`. */
function planOptions(args) {
  const o = { stages: ['one', 'two'], noise: ['none', 'annealed', 'fixed'], eta: 1, gamma: 0.55, std: 0.001, base: { tasks: 'all', dataSeed: 1, epochs: 60, lsEpochs: 30, trainCount: 1000, testCount: 1000, shards: 4 } };
  const num = (flag, v) => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x)) throw new Error(`${flag} needs a number, got ${JSON.stringify(v)}\n${usage}`);
    return x;
  };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, v] = [args[i], args[i + 1]];
    if (flag === '--epochs') o.base.epochs = num(flag, v);
    else if (flag === '--ls-epochs') o.base.lsEpochs = num(flag, v);
    else if (flag === '--data-seed') o.base.dataSeed = num(flag, v);
    else if (flag === '--train-count') o.base.trainCount = num(flag, v);
    else if (flag === '--test-count') o.base.testCount = num(flag, v);
    else if (flag === '--shards') o.base.shards = num(flag, v);
    else if (flag === '--tasks') o.base.tasks = v === 'all' ? 'all' : v.split(',').map(Number);
    else if (flag === '--eta') o.eta = num(flag, v);
    else if (flag === '--gamma') o.gamma = num(flag, v);
    else if (flag === '--std') o.std = num(flag, v);
    else throw new Error(`unknown flag ${flag}\n${usage}`);
  }
  return o;
}

/** Every planned job of seeds 1 .. maxSeed, by id. */
function planFor(o, maxSeed) {
  return new Map(planMemnn({ ...o, runs: maxSeed, seed: 1 }).map((j) => [j.id, j]));
}

const round1 = (x) => Math.round(x * 10) / 10;

/** The condensed line of a stored record, in the committed file's key order. */
function condense(rec) {
  const d = rec.details;
  return { id: rec.id, point: rec.point, seed: rec.seed, config: d.config, validation: d.validation, test: d.test, epochs: d.epochs, steps: d.steps, weightsSha256: d.weightsSha256, seconds: round1(d.seconds) };
}

function importLines(jsonl, out, o) {
  const lines = readFileSync(jsonl, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const runs = lines.map((l, i) => {
    try { return JSON.parse(l); } catch (e) { throw new Error(`${jsonl}:${i + 1}: not JSON (${e.message})`); }
  });
  const jobs = planFor(o, Math.max(...runs.map((r) => r.seed)));
  mkdirSync(join(out, 'runs'), { recursive: true });
  let written = 0, kept = 0;
  runs.forEach((r, i) => {
    const where = `${jsonl}:${i + 1}`, job = jobs.get(r.id);
    if (!job) throw new Error(`${where}: run ${r.id} is not a run of this plan (check the flags: --epochs, --ls-epochs, --eta, --std, ...)`);
    const got = [job.point.stages, job.point.noise, job.seed], want = [r.point?.stages, r.point?.noise, r.seed];
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${where}: run ${r.id} is (${want}) in the file but (${got}) in the plan`);
    const path = join(out, 'runs', `${r.id}.json`);
    if (existsSync(path)) { kept++; return; }
    const last = r.epochs[r.epochs.length - 1];
    const record = {
      ...job, epochs: [],
      summary: {
        steps: r.steps, epochs: r.epochs.length, trainLoss: last?.trainLoss ?? null, trainAccuracy: null, testLoss: null, testAccuracy: 1 - r.test.error,
        examplesPerSecond: null, seconds: r.seconds, weightsSha256: r.weightsSha256, aborted: false, workers: null, build: null, diverged: null,
      },
      accuracy: 1 - r.test.error, accuracyOf: 'test', checkpointFile: null,
      details: { config: r.config, epochs: r.epochs, validation: r.validation, test: r.test, steps: r.steps, examples: null, seconds: r.seconds, examplesPerSecond: null, weightsSha256: r.weightsSha256, aborted: false },
      imported: `${where} (config, errors, per-epoch curve, steps, weightsSha256 and seconds only)`,
    };
    writeFileAtomic(path, `${JSON.stringify(record)}\n`);
    written++;
  });
  process.stdout.write(`imported ${written} records into ${join(out, 'runs')} (${kept} were there already)\n`);
}

function exportLines(out, jsonl, o) {
  const records = readdirSync(join(out, 'runs')).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(out, 'runs', f), 'utf8')));
  const jobs = planFor(o, Math.max(0, ...records.map((r) => r.seed)));
  const mine = records.filter((r) => jobs.has(r.id));
  // The committed file's order: schedule, then noise setting by name, then seed.
  mine.sort((a, b) => a.point.stages.localeCompare(b.point.stages) || a.point.noise.localeCompare(b.point.noise) || a.seed - b.seed);
  // Whole seconds keep their ".0", as in the committed file (written by Python's json), so importing and
  // exporting it gives it back byte for byte.
  const line = (c) => JSON.stringify(c).replace(/"seconds":(-?\d+)\}$/, '"seconds":$1.0}');
  writeFileAtomic(jsonl, mine.map((r) => `${line(condense(r))}\n`).join(''));
  process.stdout.write(`wrote ${mine.length} lines to ${jsonl} (${records.length - mine.length} records of other plans left out)\n`);
}

const [cmd, a, b, ...rest] = process.argv.slice(2);
try {
  if (cmd === 'import' && a && b) importLines(a, b, planOptions(rest));
  else if (cmd === 'export' && a && b) exportLines(a, b, planOptions(rest));
  else throw new Error(usage);
} catch (e) {
  process.stderr.write(`memnn-records: ${e.message}\n`);
  process.exit(1);
}
