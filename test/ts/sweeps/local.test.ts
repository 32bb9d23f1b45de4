// `gradnoise sweep` on the embedded local pool, as a user runs it (real processes over the built dist/):
// a YAML spec over 2 processes, interrupted and resumed to the results of an uninterrupted sweep, a
// finished sweep that runs nothing, the report's files and counts against the records, a child killed
// mid-run that is run again, replay of a record with `gradnoise train --config`, data files found beside
// the spec and refused when their bytes differ, checkpoints kept, `reproduce table1` resuming an OUT of the
// first version, and spec errors that name their place.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planTable1 } from '../../../src/cli/table1.js';
import { BIN, cli, readRecord, records, run, stopAll, tmp, waitFor } from './helpers.js';

afterAll(stopAll);

const SPEC = `# a tiny restart sweep
name: local
base: { depth: 1, width: 10, steps: 60, batchSize: 50 }
grid:
  lr: [0.1, 0.02]
  init: [he, simple]
seeds: 3
data: { trainLimit: 400, testLimit: 100 }
thresholds: [0.5, 0.3]
`;

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);
const texts = (dir: string) => new Map(records(dir).map((f) => [f, readFileSync(join(dir, 'runs', f), 'utf8')]));

describe('gradnoise sweep (local processes)', () => {
  const dir = tmp();
  const spec = join(dir, 'local.yaml');
  writeFileSync(spec, SPEC);

  it('an interrupted sweep resumes without redoing finished runs, to the report of an uninterrupted one; a finished one runs nothing', async () => {
    const whole = join(dir, 'whole'), cut = join(dir, 'cut');
    const full = await run(['sweep', spec, '--out', whole, '--jobs', '2', '--json']);
    expect(full.code, full.stderr).toBe(0);
    expect(records(whole)).toHaveLength(12);

    const p = cli(['sweep', spec, '--out', cut, '--jobs', '2']);
    await waitFor('a first result', () => records(cut).length >= 1 || p.child.exitCode !== null, 60_000, p.err);
    p.child.kill('SIGINT');
    const { code } = await p.exit;
    const kept = texts(cut);
    expect(code === 130 || (code === 0 && kept.size === 12), p.err()).toBe(true);
    if (code === 130) expect(p.out()).toMatch(/interrupted: \d+ of 12 runs finished; run the same command again to resume/);

    const resumed = await run(['sweep', spec, '--out', cut, '--jobs', '2', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const [f, text] of kept) expect(readFileSync(join(cut, 'runs', f), 'utf8')).toBe(text);
    expect(lastJson(resumed.stdout)).toEqual(lastJson(full.stdout));
    const stamp = new Map(records(cut).map((f) => [f, statSync(join(cut, 'runs', f)).mtimeMs]));
    const again = await run(['sweep', spec, '--out', cut]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/sweep local: 12 runs \(4 settings x 3 seeds\) on MNIST \(first 400 training and 100 test examples\); 12 already finished in /);
    for (const [f, t] of stamp) expect(statSync(join(cut, 'runs', f)).mtimeMs).toBe(t);
  });

  it('writes the report (table, JSON, bar chart) whose counts are those of the records, and the spec', async () => {
    const out = join(dir, 'whole');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const recs = records(out).map((f) => readRecord(out, f));
    expect(report.rows.map((r: { label: string }) => r.label)).toEqual(['lr 0.1, init he', 'lr 0.1, init simple', 'lr 0.02, init he', 'lr 0.02, init simple']);
    for (const row of report.rows) {
      const mine = recs.filter((r) => r.point.lr === row.setting.lr && r.point.init === row.setting.init);
      expect([row.planned, row.finished]).toEqual([3, mine.length]);
      expect(row.best).toBe(Math.max(...mine.map((r) => r.accuracy)));
      expect(row.under).toEqual([0.5, 0.3].map((t) => mine.filter((r) => r.accuracy > t).length));
    }
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| setting \| runs \| finished \| diverged \| best \| average \| < 50% error \| < 70% error \|/);
    expect(readFileSync(join(out, 'plots', 'report.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(JSON.parse(readFileSync(join(out, 'spec.json'), 'utf8'))).toMatchObject({ name: 'local', grid: { lr: [0.1, 0.02], init: ['he', 'simple'] }, seeds: [1, 2, 3] });
    // Each record carries its job: the complete config and data, which is what `train --config` replays.
    expect(recs[0]).toMatchObject({ format: 1, sweep: 'local', data: { source: 'mnist', trainLimit: 400, testLimit: 100 }, accuracyOf: 'test' });
  });

  it('gradnoise train --config replays a record to its weights hash, and refuses flags beside it', async () => {
    const out = join(dir, 'whole');
    const f = records(out)[5]!;
    const r = await run(['train', '--config', join(out, 'runs', f), '--json', '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout).weightsSha256).toBe(readRecord(out, f).summary.weightsSha256);
    const clash = await run(['train', '--config', join(out, 'runs', f), '--lr', '0.5']);
    expect(clash.stderr).toMatch(/--config and --lr do not go together \(the file names every field of the run\)/);
    const data = await run(['train', '--config', join(out, 'runs', f), '--train-limit', '100']);
    expect(data.stderr).toMatch(/--config and --train-limit do not go together \(the file names the data\)/);
  });

  it.each([
    ['SIGKILL', /a sweep process was killed by SIGKILL while running job [0-9a-f]+; running it again in a new process \(try 2 of 3\)/],
    // Stopped mid-run it says so; stopped in the moment between two runs (before the next one reached it),
    // it exits at once, with code 0.
    ['SIGTERM', /a sweep process (was stopped \(SIGTERM or SIGINT to it alone\)|exited with code 0) while running job [0-9a-f]+; running it again in a new process \(try 2 of 3\)/],
  ] as const)('a child process given %s mid-run is replaced and its run done again', async (sig, line) => {
    const out = join(dir, `killed-${sig}`);
    const p = cli(['sweep', spec, '--out', out, '--jobs', '2']);
    // After a first result, 10 or more runs are left: each process is running one (the parent hands the
    // next out as it stores a result), so the killed one had a run to do again.
    await waitFor('a first result', () => records(out).length >= 1, 60_000, p.err);
    const children = execFileSync('pgrep', ['-P', String(p.child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(children.length).toBeGreaterThanOrEqual(1);
    process.kill(children[0]!, sig);
    const { code } = await p.exit;
    expect(code, p.err()).toBe(0);
    expect(p.err()).toMatch(line);
    expect(p.out(), p.err()).not.toMatch(/interrupted/);
    expect(records(out)).toHaveLength(12);
    const ref = join(dir, 'whole');
    for (const f of records(ref)) expect(readRecord(out, f).summary.weightsSha256).toBe(readRecord(ref, f).summary.weightsSha256);
  });

  it('data files beside the spec, hashed into the ids; other bytes are refused by name', async () => {
    const d = join(dir, 'files');
    mkdirSync(join(d, 'data'), { recursive: true });
    const n = 60, xs: string[] = [], ys: string[] = [];
    for (let i = 0; i < n; i++) { xs.push([(i % 2 ? 1 : -1) * (1 + (i % 5) / 5), 0.1 * (i % 3), 0.02 * i].join(',')); ys.push(String(i % 2)); }
    writeFileSync(join(d, 'data', 'x.csv'), `${xs.join('\n')}\n`);
    writeFileSync(join(d, 'data', 'y.csv'), `${ys.join('\n')}\n`);
    writeFileSync(join(d, 'files.json'), JSON.stringify({
      base: { depth: 1, width: 8, batchSize: 10, epochs: 5, lr: 0.1 }, seeds: 2,
      data: { trainX: 'data/x.csv', trainY: 'data/y.csv', testX: 'data/x.csv', testY: 'data/y.csv' },
    }));
    const r = await run(['sweep', join(d, 'files.json'), '--out', join(d, 'out'), '--jobs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rec = readRecord(join(d, 'out'), records(join(d, 'out'))[0]!);
    expect(rec.data).toMatchObject({ source: 'files', trainX: { path: 'data/x.csv', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    // Replayed from another directory: the relative paths are found through --data-dir.
    const ok = await run(['train', '--config', join(d, 'out', 'runs', `${rec.id}.json`), '--data-dir', d, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(lastJson(ok.stdout).weightsSha256).toBe(rec.summary.weightsSha256);
    // Other bytes under the same name would be another run under the same id: refused.
    const other = join(dir, 'other');
    mkdirSync(join(other, 'data'), { recursive: true });
    writeFileSync(join(other, 'data', 'x.csv'), `${xs.slice().reverse().join('\n')}\n`);
    writeFileSync(join(other, 'data', 'y.csv'), `${ys.join('\n')}\n`);
    const bad = await run(['train', '--config', join(d, 'out', 'runs', `${rec.id}.json`), '--data-dir', other]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/gradnoise: error: data file trainX .*other\/data\/x\.csv: its SHA-256 is [0-9a-f]{16}\.\.\., but the job was planned on [0-9a-f]{16}\.\.\. /);
  });

  it('reproduce table1 resumes an OUT written before the engine (records with row, noise and lr, no job)', async () => {
    const out = join(dir, 'table1-old');
    const o = { runs: 1, epochs: 1, lr: [0.1], rows: ['5'], batchSize: 100, dropout: 0.5, seed: 1, shards: 4, trainLimit: 500, testLimit: 100 };
    const [plain] = planTable1(o).filter((j) => j.point.noise === false);
    // The record format of the first `reproduce table1` (src/cli/table1.ts before the sweep engine).
    const old = {
      id: plain!.id, row: '5', noise: false, lr: 0.1, seed: 1, config: plain!.config, data: { trainLimit: 500, testLimit: 100 },
      epochs: [{ epoch: 0, complete: true, trainLoss: 1, trainAccuracy: 0.5, testLoss: 1, testAccuracy: 0.5, examples: 500, examplesPerSecond: 1 }],
      summary: { steps: 5, epochs: 1, testAccuracy: 0.5, weightsSha256: '0'.repeat(64), diverged: null }, accuracy: 0.5,
    };
    mkdirSync(join(out, 'runs'), { recursive: true });
    writeFileSync(join(out, 'runs', `${plain!.id}.json`), JSON.stringify(old));
    const r = await run(['reproduce', 'table1', '--rows', '5', '--runs', '1', '--lr', '0.1', '--epochs', '1', '--train-limit', '500', '--test-limit', '100', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Table 1: 2 runs .*; 1 already finished in /);
    const table = JSON.parse(readFileSync(join(out, 'table1.json'), 'utf8'));
    expect(table.runs).toBe(2);
    expect(table.rows[0].noNoise).toEqual({ n: 1, best: 50, avg: 50, diverged: 0 }); // the old record, counted as it was
    expect(JSON.parse(readFileSync(join(out, 'runs', `${plain!.id}.json`), 'utf8'))).toEqual(old); // and kept
  });

  it('checkpoint: true keeps every run\'s final checkpoint beside its record', async () => {
    const d = join(dir, 'ck');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'ck.yaml'), 'base: { depth: 1, width: 8, steps: 10 }\nseeds: 2\ndata: { trainLimit: 200, testLimit: 50 }\ncheckpoint: true\n');
    const r = await run(['sweep', join(d, 'ck.yaml'), '--out', join(d, 'out'), '--jobs', '2']);
    expect(r.code, r.stderr).toBe(0);
    const { loadModel } = await import('../../../src/index.js');
    for (const f of records(join(d, 'out'))) {
      const rec = readRecord(join(d, 'out'), f);
      expect(rec.checkpointFile).toBe(`checkpoints/${rec.id}.safetensors`);
      const m = await loadModel(join(d, 'out', rec.checkpointFile), { workers: 0 });
      expect(m.step).toBe(10);
      await m.dispose();
    }
  });

  it.each([
    [['sweep', '/nonexistent/s.yaml'], /gradnoise: error: \/nonexistent\/s\.yaml: cannot read the spec \(ENOENT\)/],
    [['sweep', 'BAD'], /gradnoise: error: .*bad\.yaml: spec\.grid\.lr\[1\] is "fast" \(need a finite number > 0\)/],
    [['sweep', 'BIG'], /gradnoise: error: the run at base config: batchSize 500 is larger than the 400 training examples of MNIST/],
    [['sweep', 'BAD', '--jobs', '0'], /option '--jobs <n>' argument '0' is invalid/],
    [['sweep', 'BAD', '--queue', 'http://x'], /--queue is "http:\/\/x" \(need redis:\/\/HOST:PORT/],
    [['worker'], /required option '--queue <url>' not specified/],
  ])('gradnoise %j fails naming what is wrong', async (args, message) => {
    writeFileSync(join(dir, 'bad.yaml'), 'grid: { lr: [0.1, fast] }\n');
    writeFileSync(join(dir, 'big.yaml'), 'base: { batchSize: 500 }\ndata: { trainLimit: 400 }\n');
    const r = await run(args.map((a) => (a === 'BAD' ? join(dir, 'bad.yaml') : a === 'BIG' ? join(dir, 'big.yaml') : a)));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('--help lists the options of sweep and worker', async () => {
    for (const cmd of ['sweep', 'worker']) {
      const r = await new Promise<string>((resolve) => {
        const c = spawn(process.execPath, [BIN, cmd, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        c.stdout.on('data', (d: Buffer) => { out += d; });
        c.on('exit', () => resolve(out));
      });
      expect(r).toMatch(cmd === 'sweep' ? /--jobs <n>[\s\S]*--queue <url>[\s\S]*--tls-ca/ : /--queue <url>[\s\S]*--concurrency <n>[\s\S]*--lock-duration <ms>/);
    }
  });
});
