// Moves Table 1 run records between a sweep's OUT directory and the condensed JSONL committed in
// docs/experiments/ (one line per run: id, row, noise, lr, seed, accuracy, diverged, weightsSha256,
// seconds, and the per-epoch testAccuracy and trainLoss). Run after `npm run build` (it uses dist/).
//
//   node scripts/table1-records.mjs import JSONL OUT [table1 flags]   JSONL lines -> OUT/runs/<id>.json
//   node scripts/table1-records.mjs export OUT JSONL [table1 flags]   OUT/runs/*.json of the plan -> JSONL
//
// [table1 flags] are the `reproduce table1` flags that plan the runs (--epochs, --batch-size, --simple-init,
// ...; --runs and --rows are read from the lines or the records): a line is imported only as the planned
// job of its id, whose (row, noise, lr, seed) must match the line's. An imported record holds what the
// line holds and nothing more: the fields the JSONL never kept (training accuracy, test loss, examples per
// second, ...) are null, and `imported` names the file. The report and the plots of `reproduce table1`
// read only what a line keeps, so a sweep resumed over imported records reports the same table as one
// whose runs all ran in OUT. Export writes the lines in the order of the committed file (seed, then lr
// as planned, then the rows in Table 1's order, no noise first) and formats them as that file does, so
// importing and exporting a file gives it back byte for byte.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TABLE1, planTable1 } from '../dist/src/cli/table1.js';
import { writeFileAtomic } from '../dist/src/io/atomic.js';

const usage = 'usage: node scripts/table1-records.mjs import JSONL OUT [--epochs N] [--batch-size N] [--lr a,b] [--simple-init NAME] ...\n' +
  '       node scripts/table1-records.mjs export OUT JSONL [the same flags]';

/** The table1 flags that decide the plan, with the defaults of `reproduce table1`. */
function planOptions(args) {
  const o = { epochs: 10, lr: [0.1, 0.01], batchSize: 100, dropout: 0.5, seed: 1, shards: 4 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, v] = [args[i], args[i + 1]];
    if (v === undefined) throw new Error(`${flag} needs a value\n${usage}`);
    if (flag === '--epochs') o.epochs = Number(v);
    else if (flag === '--batch-size') o.batchSize = Number(v);
    else if (flag === '--lr') o.lr = v.split(',').map(Number);
    else if (flag === '--dropout') o.dropout = Number(v);
    else if (flag === '--seed') o.seed = Number(v);
    else if (flag === '--shards') o.shards = Number(v);
    else if (flag === '--simple-init') o.simpleInit = v;
    else if (flag === '--train-limit') o.trainLimit = Number(v);
    else if (flag === '--test-limit') o.testLimit = Number(v);
    else throw new Error(`unknown flag ${flag}\n${usage}`);
  }
  return o;
}

const rowOrder = (row) => TABLE1.findIndex((r) => r.id === row);

/** Plans enough seeds and every row to cover `seeds`, and indexes the jobs by id. */
function planFor(o, maxSeed) {
  const jobs = planTable1({ ...o, runs: maxSeed - o.seed + 1, rows: TABLE1.map((r) => r.id) });
  return new Map(jobs.map((j) => [j.id, j]));
}

// Python's json.dumps layout (the committed file's): ", " and ": " separators, floats that are whole
// numbers keep ".0" (seconds only: every other number in a line is an accuracy, a loss or an integer).
const seconds = (x) => (Number.isInteger(x) ? x.toFixed(1) : String(x));
function line(r) {
  const parts = [
    ['id', JSON.stringify(r.id)], ['row', JSON.stringify(r.row)], ['noise', String(r.noise)], ['lr', String(r.lr)], ['seed', String(r.seed)],
    ['accuracy', String(r.accuracy)], ['diverged', r.diverged === null ? 'null' : `{"step": ${r.diverged.step}, "message": ${JSON.stringify(r.diverged.message)}}`],
    ['weightsSha256', JSON.stringify(r.weightsSha256)], ['seconds', seconds(r.seconds)],
    ['testAccuracy', `[${r.testAccuracy.join(', ')}]`], ['trainLoss', `[${r.trainLoss.join(', ')}]`],
  ];
  return `{${parts.map(([k, v]) => `"${k}": ${v}`).join(', ')}}`;
}

const round = (x, digits) => (x === null || !Number.isFinite(x) ? x : Number(x.toFixed(digits)));

/** The condensed line of a stored record. */
function condense(rec) {
  const d = rec.summary.diverged;
  return {
    id: rec.id, row: rec.point.row, noise: rec.point.noise, lr: rec.point.lr, seed: rec.seed, accuracy: rec.accuracy,
    diverged: d === null ? null : { step: d.step, message: d.message },
    weightsSha256: rec.summary.weightsSha256, seconds: round(rec.summary.seconds, 1),
    testAccuracy: rec.epochs.map((e) => e.testAccuracy), trainLoss: rec.epochs.map((e) => round(e.trainLoss, 5)),
  };
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
    const job = jobs.get(r.id);
    const where = `${jsonl}:${i + 1}`;
    if (!job) throw new Error(`${where}: run ${r.id} is not a run of this plan (check the flags: --epochs, --batch-size, --simple-init, ...)`);
    const got = [job.point.row, job.point.noise, job.point.lr, job.seed], want = [r.row, r.noise, r.lr, r.seed];
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${where}: run ${r.id} is (${want}) in the file but (${got}) in the plan`);
    const path = join(out, 'runs', `${r.id}.json`);
    if (existsSync(path)) { kept++; return; }
    const n = r.testAccuracy.length;
    const epochs = r.testAccuracy.map((acc, e) => ({
      epoch: e + 1, complete: true, trainLoss: r.trainLoss[e], trainAccuracy: null, testLoss: null, testAccuracy: acc, examples: null, examplesPerSecond: null,
    }));
    const record = {
      ...job, epochs,
      summary: {
        steps: null, epochs: n, trainLoss: r.trainLoss[n - 1] ?? null, trainAccuracy: null, testLoss: null, testAccuracy: r.testAccuracy[n - 1] ?? null,
        examplesPerSecond: null, seconds: r.seconds, weightsSha256: r.weightsSha256, aborted: false, workers: null, build: null,
        diverged: r.diverged === null ? null : { step: r.diverged.step, layer: null, message: r.diverged.message },
      },
      accuracy: r.accuracy, accuracyOf: 'test', checkpointFile: null,
      imported: `${jsonl}:${i + 1} (id, accuracy, diverged, weightsSha256, seconds, testAccuracy and trainLoss per epoch only)`,
    };
    writeFileAtomic(path, `${JSON.stringify(record)}\n`);
    written++;
  });
  process.stdout.write(`imported ${written} records into ${join(out, 'runs')} (${kept} were there already)\n`);
}

function exportLines(out, jsonl, o) {
  const records = readdirSync(join(out, 'runs')).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(out, 'runs', f), 'utf8')));
  const jobs = planFor(o, Math.max(...records.map((r) => r.seed)));
  const mine = records.filter((r) => jobs.has(r.id));
  const lrs = o.lr;
  mine.sort((a, b) => a.seed - b.seed || lrs.indexOf(a.point.lr) - lrs.indexOf(b.point.lr) || rowOrder(a.point.row) - rowOrder(b.point.row) ||
    Number(a.point.noise) - Number(b.point.noise));
  writeFileAtomic(jsonl, mine.map((r) => `${line(condense(r))}\n`).join(''));
  process.stdout.write(`exported ${mine.length} records of the plan to ${jsonl} (${records.length - mine.length} other records in ${out} left out)\n`);
}

const [cmd, a, b, ...rest] = process.argv.slice(2);
try {
  if (cmd === 'import' && a && b) importLines(a, b, planOptions(rest));
  else if (cmd === 'export' && a && b) exportLines(a, b, planOptions(rest));
  else throw new Error(usage);
} catch (e) {
  process.stderr.write(`table1-records: ${e.message}\n`);
  process.exitCode = 1;
}
