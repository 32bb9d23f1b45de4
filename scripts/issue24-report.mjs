// Issue #24's investigation, reported: why the simple init never learns here without noise, while the
// paper's no-noise rows 1-3 reach best 89.9-95.7%. Reads the run records of the sweeps that measured each
// reading of what the paper leaves unstated (docs/EXPERIMENTS.md, "Why the simple init does not learn
// without noise"), and writes:
//   docs/experiments/issue24-runs.jsonl   every investigation run, one line each (the sweep, the setting,
//                                         the config fields that differ from Table 1's, the figures)
//   docs/experiments/issue24-learned.svg  per reading: the share of runs that learned, by lr and noise
//   docs/experiments/issue24-curves.svg   per reading: mean test accuracy per epoch, no noise
//   docs/experiments/issue24-epochs.svg   the 30-epoch runs without noise, one line per run
//   docs/experiments/issue24-first-steps.jsonl  loss and gradient norm of the first 20 steps per init
// and prints the tables docs/EXPERIMENTS.md quotes (markdown) on stdout.
// Run after `npm run build` (it uses dist/), from the repository root:
//   node scripts/issue24-report.mjs [RUNS_DIR=runs]
// where RUNS_DIR holds the sweeps' OUT directories: table1 (reproduce table1, the simple init as it is),
// table1-simplevar (reproduce table1 --simple-init simpleVar), table1-simplebias-30 (reproduce table1
// --simple-init simpleBias --epochs 30) and issue24-<name> (gradnoise sweep docs/experiments/issue24/<name>.yaml).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeBars, writePlot } from '../dist/src/cli/plots.js';
import { writeFileAtomic } from '../dist/src/io/atomic.js';

const RUNS = process.argv[2] ?? 'runs';
const LEARNED = 0.5; // a run "learned" when its final test accuracy is above 50% (chance is 9.8-11.4%)

function records(sweep) {
  const dir = join(RUNS, sweep, 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => ({ sweep, ...JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
}

const table1 = records('table1'), simpleVar = records('table1-simplevar');
const bias = records('issue24-bias'), batch = records('issue24-batch'), epochs = records('issue24-epochs'), sum = records('issue24-sum');
const simpleBias30 = records('table1-simplebias-30');

// The paper's lr of a run: a summed loss over B = 100 examples is this project's mean loss at lr x 100.
const paperLr = (r) => (r.sweep === 'issue24-sum' ? Number((r.config.lr / 100).toPrecision(6)) : r.config.lr);
const paperClip = (r) => (r.sweep === 'issue24-sum' && r.config.clip !== null ? Number((r.config.clip * 100).toPrecision(6)) : r.config.clip);
const row = (r) => (paperClip(r) === null ? (r.config.dropout ? '1b' : '1') : paperClip(r) === 100 ? '2' : paperClip(r) === 10 ? '3' : '?');

/** The readings compared, each a set of runs of the simple init's rows (Table 1 rows 1-3). */
const READINGS = [
  // Table 1's own runs, seeds 1-5: the seeds every other reading was measured on.
  { key: 'std 0.1', label: 'std 0.1 (simple)', runs: table1.filter((r) => r.config.init === 'simple' && !r.config.dropout && r.seed <= 5) },
  { key: 'variance 0.1', label: 'variance 0.1 (simpleVar)', runs: simpleVar.filter((r) => !r.config.dropout) },
  { key: 'biases 0.1', label: 'std 0.1, biases 0.1', runs: bias.filter((r) => r.config.biasInit === 0.1) },
  { key: 'biases N', label: 'std 0.1, biases N(0, 0.1²)', runs: bias.filter((r) => r.config.biasInit === 'kernel') },
  { key: 'batch 32', label: 'std 0.1, batch 32', runs: batch.filter((r) => r.config.batchSize === 32) },
  { key: 'batch 256', label: 'std 0.1, batch 256', runs: batch.filter((r) => r.config.batchSize === 256) },
  { key: '30 epochs', label: 'std 0.1, 30 epochs', runs: epochs.filter((r) => r.config.biasInit === 0) },
  { key: 'biases 0.1, 30 epochs', label: 'std 0.1, biases 0.1, 30 epochs (simpleBias)', runs: simpleBias30 },
  { key: 'summed loss', label: 'std 0.1, summed loss', runs: sum },
];

const pct = (x) => (100 * x).toFixed(1);
function cell(rs) {
  if (rs.length === 0) return null;
  const acc = rs.map((r) => r.accuracy);
  return {
    n: rs.length, learned: rs.filter((r) => r.accuracy > LEARNED).length, diverged: rs.filter((r) => r.summary.diverged).length,
    best: Math.max(...acc), avg: acc.reduce((a, b) => a + b, 0) / acc.length,
  };
}
const show = (c) => (c ? `${pct(c.best)} / ${pct(c.avg)} (${c.learned} of ${c.n} learned${c.diverged ? `, ${c.diverged} diverged` : ''})` : '');

// Table: per reading and row, best / average and runs that learned, no noise and with noise, both lrs.
const PAPER = { 1: ['89.9 / 43.1', '96.7 / 52.7'], 2: ['90.0 / 46.3', '96.7 / 52.3'], 3: ['95.7 / 51.6', '97.0 / 53.6'] };
const lines = ['| reading | row | no noise: best / average | with noise: best / average | paper: no noise | paper: with noise |', '|---|---|---|---|---|---|'];
for (const rd of READINGS) {
  for (const rw of ['1', '2', '3']) {
    const rs = rd.runs.filter((r) => row(r) === rw);
    if (rs.length === 0) continue;
    const a = cell(rs.filter((r) => !r.config.noise)), b = cell(rs.filter((r) => r.config.noise));
    lines.push(`| ${rd.label} | ${rw} | ${show(a)} | ${show(b)} | ${PAPER[rw][0]} | ${PAPER[rw][1]} |`);
  }
}
const byLr = ['| reading | row | lr 0.1: no noise | lr 0.1: with noise | lr 0.01: no noise | lr 0.01: with noise |', '|---|---|---|---|---|---|'];
for (const rd of READINGS) {
  for (const rw of ['1', '2', '3']) {
    const rs = rd.runs.filter((r) => row(r) === rw);
    if (rs.length === 0) continue;
    const at = (lr, noise) => show(cell(rs.filter((r) => paperLr(r) === lr && r.config.noise === noise)));
    byLr.push(`| ${rd.label} | ${rw} | ${at(0.1, false)} | ${at(0.1, true)} | ${at(0.01, false)} | ${at(0.01, true)} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n\nBy learning rate:\n\n${byLr.join('\n')}\n`);

// The same seed through rows 1, 2 and 3 (the clip threshold alone differs), simpleBias for 30 epochs, lr 0.1.
const seedRows = ['| noise | seed | row 1 (no clipping) | row 2 (clip 100) | row 3 (clip 10) |', '|---|---|---|---|---|'];
for (const noise of [false, true]) {
  for (const seed of [...new Set(simpleBias30.map((r) => r.seed))].sort((a, b) => a - b)) {
    const at = (rw) => {
      const r = simpleBias30.find((x) => x.seed === seed && x.config.noise === noise && x.config.lr === 0.1 && row(x) === rw);
      return r ? `${pct(r.accuracy)}${r.summary.diverged ? ` (diverged at step ${r.summary.diverged.step})` : ''}` : '';
    };
    seedRows.push(`| ${noise ? 'with noise' : 'no noise'} | ${seed} | ${at('1')} | ${at('2')} | ${at('3')} |`);
  }
}
process.stdout.write(`\nsimpleBias, 30 epochs, lr 0.1, per seed:\n\n${seedRows.join('\n')}\n`);

// simpleBias for 30 epochs as Table 1 (both learning rates), counting each run's final test accuracy
// (as everywhere here) or its best epoch's (a diverged run: its best epoch before it diverged).
const bestEpoch = (r) => Math.max(r.accuracy, ...r.epochs.map((e) => e.testAccuracy ?? 0));
const t1 = ['| row | accuracy counted | no noise: best / average | with noise: best / average | paper: no noise | paper: with noise |', '|---|---|---|---|---|---|'];
for (const rw of ['1', '2', '3']) {
  for (const [name, f] of [['final', (r) => r.accuracy], ['best epoch', bestEpoch]]) {
    const c = (noise) => {
      const rs = simpleBias30.filter((r) => row(r) === rw && r.config.noise === noise);
      return rs.length ? show(cell(rs.map((r) => ({ ...r, accuracy: f(r) })))) : '';
    };
    t1.push(`| ${rw} | ${name} | ${c(false)} | ${c(true)} | ${PAPER[rw][0]} | ${PAPER[rw][1]} |`);
  }
}
process.stdout.write(`\nsimpleBias, 30 epochs, both learning rates:\n\n${t1.join('\n')}\n`);

// Bars: runs that learned (%), row 3 (clip 10: the row every reading was measured on), by lr and noise.
const bars = [];
for (const rd of READINGS) {
  for (const lr of [0.1, 0.01]) {
    for (const noise of [false, true]) {
      const c = cell(rd.runs.filter((r) => row(r) === '3' && paperLr(r) === lr && r.config.noise === noise));
      if (c) bars.push({ category: rd.key, group: `lr ${lr}, ${noise ? 'with noise' : 'no noise'}`, value: (100 * c.learned) / c.n });
    }
  }
}
await writeBars('docs/experiments/issue24-learned.svg',
  `Simple init (weights N(0, 0.1²) unless said), clip 10: runs above ${100 * LEARNED}% test accuracy after the last epoch`,
  bars, 'reading', 'runs that learned (%)', 'learning rate and noise', 100);

// Curves: mean test accuracy per epoch without noise, row 3, per reading and lr (the readings that move).
const points = [];
for (const rd of READINGS.filter((x) => ['std 0.1', 'variance 0.1', 'biases 0.1', 'summed loss'].includes(x.key))) {
  for (const lr of [0.1, 0.01]) {
    const rs = rd.runs.filter((r) => row(r) === '3' && paperLr(r) === lr && !r.config.noise);
    const n = Math.max(0, ...rs.map((r) => r.epochs.length));
    for (let e = 0; e < n; e++) {
      const v = rs.map((r) => r.epochs[e]?.testAccuracy).filter((x) => typeof x === 'number');
      if (v.length) points.push({ epoch: e + 1, value: v.reduce((a, b) => a + b, 0) / v.length, series: rd.key, dash: `lr ${lr}` });
    }
  }
}
await writePlot('docs/experiments/issue24-curves.svg', 'Simple init, clip 10, no noise: mean test accuracy per epoch, per reading', [
  { title: 'test accuracy (mean over seeds)', yTitle: 'mean test accuracy', points, yDomain: [0, 1] },
], 'reading', 'paper\'s learning rate');

// The long runs, one line per run: when (and whether) each starts to learn.
const long = epochs.flatMap((r) => r.epochs.map((e, i) => ({
  epoch: i + 1, value: e.testAccuracy, series: r.config.biasInit === 0 ? 'zero biases' : `biases ${r.config.biasInit}`, dash: `seed ${r.seed}`,
})));
if (long.length) {
  await writePlot('docs/experiments/issue24-epochs.svg', 'Simple init N(0, 0.1²), clip 10, lr 0.1, no noise, 30 epochs: test accuracy per run', [
    { title: 'test accuracy', yTitle: 'test accuracy', points: long, yDomain: [0, 1] },
  ], 'biases', 'seed');
}

// The first 20 steps per init and bias init (runs/probe/<init>-<bias>-<seed>/, `gradnoise train --init I
// --bias-init B --clip 10 --lr 0.1 --steps 20 --seed S --out ...`): the loss and the gradient norm before
// clipping, which say at once whether the signal vanishes or explodes through the 20 layers.
const probe = [];
const probeDir = join(RUNS, 'probe');
if (existsSync(probeDir)) {
  for (const d of readdirSync(probeDir).sort()) {
    const m = /^(\w+)-([\w.]+)-(\d+)$/.exec(d);
    if (!m || !existsSync(join(probeDir, d, 'steps.jsonl'))) continue;
    const steps = readFileSync(join(probeDir, d, 'steps.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const p5 = (x) => Number(x.toPrecision(5));
    probe.push({ init: m[1], biasInit: m[2] === 'kernel' ? 'kernel' : Number(m[2]), seed: Number(m[3]), loss: steps.map((s) => p5(s.loss)), gradNorm: steps.map((s) => p5(s.gradNorm)) });
  }
  writeFileAtomic('docs/experiments/issue24-first-steps.jsonl', probe.map((p) => `${JSON.stringify(p)}\n`).join(''));
  const g = (x) => x.toPrecision(2);
  const range = (v) => `${g(Math.min(...v))} - ${g(Math.max(...v))}`;
  const groups = [...new Set(probe.map((p) => `${p.init}|${p.biasInit}`))];
  process.stdout.write(`\nFirst steps (lr 0.1, clip 10, no noise; range over seeds):\n\n| init | biases | seeds | loss at step 1 | gradient norm at step 1 | loss at step 20 | gradient norm at step 20 |\n|---|---|---|---|---|---|---|\n`);
  for (const k of groups) {
    const ps = probe.filter((p) => `${p.init}|${p.biasInit}` === k);
    process.stdout.write(`| ${ps[0].init} | ${ps[0].biasInit} | ${ps.length} | ${range(ps.map((p) => p.loss[0]))} | ${range(ps.map((p) => p.gradNorm[0]))} | ` +
      `${range(ps.map((p) => p.loss.at(-1)))} | ${range(ps.map((p) => p.gradNorm.at(-1)))} |\n`);
  }
}

// Every investigation run, one line each (the Table 1 runs are in table1-runs.jsonl already).
const DIFF = ['init', 'biasInit', 'batchSize', 'epochs', 'lr', 'clip', 'eta', 'noise', 'dropout'];
// A run planned by two sweeps (the same id) is listed once, under the first.
const seen = new Set();
const out = [...simpleVar, ...bias, ...batch, ...epochs, ...sum, ...simpleBias30].filter((r) => !seen.has(r.id) && seen.add(r.id)).sort((a, b) => a.sweep.localeCompare(b.sweep) || a.seed - b.seed || a.id.localeCompare(b.id));
writeFileAtomic('docs/experiments/issue24-runs.jsonl', out.map((r) => `${JSON.stringify({
  sweep: r.sweep, id: r.id, point: r.point, seed: r.seed, config: Object.fromEntries(DIFF.map((k) => [k, k in r.config ? r.config[k] : 0])), // biasInit: 0 before it existed,
  accuracy: r.accuracy, diverged: r.summary.diverged ? { step: r.summary.diverged.step, message: r.summary.diverged.message } : null,
  weightsSha256: r.summary.weightsSha256, seconds: Number(r.summary.seconds.toFixed(1)),
  testAccuracy: r.epochs.map((e) => e.testAccuracy), trainLoss: r.epochs.map((e) => (Number.isFinite(e.trainLoss) ? Number(e.trainLoss.toFixed(5)) : e.trainLoss)),
})}\n`).join(''));
process.stderr.write(`wrote docs/experiments/issue24-runs.jsonl (${out.length} runs), issue24-learned.svg, issue24-curves.svg\n`);
