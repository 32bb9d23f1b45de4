// The gradnoise CLI as a user runs it: a real process per case (bin/gradnoise.js over the built dist/).
// Argument validation, --help everywhere, --json and the weights hash for any worker count, the files of
// --out against what was printed, Ctrl-C, and an interrupted reproduce sweep that resumes to the same table.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/gradnoise.js', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'gradnoise-cli-'));
const SMALL = ['--train-limit', '1000', '--test-limit', '200'];

interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function run(args: string[], opts: { onStdout?: (all: string, kill: () => void) => void; timeout?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`timed out: gradnoise ${args.join(' ')}\n${stdout}\n${stderr}`)); }, opts.timeout ?? 60_000);
    c.stdout.on('data', (d: Buffer) => { stdout += d; opts.onStdout?.(stdout, () => c.kill('SIGINT')); });
    c.stderr.on('data', (d: Buffer) => { stderr += d; });
    c.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;

describe('arguments', () => {
  it.each([
    [['train', '--lr', 'abc'], /option '--lr <x>' argument 'abc' is invalid\. Need a number > 0\./],
    [['train', '--lr', '0'], /'--lr <x>' argument '0' is invalid/],
    [['train', '--epochs', '-1'], /option '--epochs <n>' argument '-1' is invalid\. Need an integer from 0 up\./],
    [['train', '--init', 'bad'], /argument 'bad' is invalid\. Allowed choices are simple, sussilloAbbott, he, zero, glorot, simpleVar\./],
    [['train', '--optimizer', 'sdg'], /Allowed choices are sgd, adam, adamw, adagrad, rmsprop/],
    [['train', '--dropout', '1'], /'--dropout <rate>' argument '1' is invalid/],
    [['train', '--bogus'], /unknown option '--bogus'/],
    [['train', '--lr'], /option '--lr <x>' argument missing/],
    [['train', '--workers', '5'], /--workers 5 exceeds --shards 4/],
    [['train', '--workers', 'many'], /option '--workers <n>' argument 'many' is invalid\. Need an integer from 0 to 64, or auto\./],
    [['train', '--profile-steps', '10'], /--profile-steps needs --profile <file>/],
    [['train', '--train-x', 'a.npy'], /--train-x and --train-y go together/],
    [['train', '--train-x', '/nonexistent.npy', '--train-y', '/nonexistent.csv'], /--train-x \/nonexistent\.npy: cannot read the file \(ENOENT\)/],
    [['train', '--batch-size', '5000', ...SMALL], /--batch-size 5000 is larger than the 1000 training examples/],
    [['train', '--epochs', '2', '--steps', '5'], /--epochs and --steps do not go together/],
    [['train', '--no-noise', '--eta', '0.1'], /--no-noise and --eta do not go together/],
    [['train', '--noise-before-clip'], /--noise-before-clip needs the noise/],
    [['train', '--optimizer', 'adam', '--momentum', '0.9'], /--momentum and --optimizer adam do not go together/],
    [['train', '--decay-rate', '0.5'], /--decay-rate and --schedule constant do not go together/],
    [['trian'], /unknown command 'trian'[\s\S]*Did you mean train\?/],
    [['reproduce', 'table1', '--rows', '9'], /"9" is not one of: 1, 1b, 2, 3, 4, 5, 6\./],
    [['reproduce', 'table1', '--part', '3/2'], /--part is "3\/2" \(need k\/n with 1 <= k <= n/],
    [['reproduce', 'table2'], /unknown command 'table2'/],
    [['reproduce', 'table1', '--lr', '0.1,0.1'], /argument '0\.1,0\.1' is invalid\. 0\.1 is listed twice\./],
    [['reproduce', 'table1', '--simple-init', 'he'], /argument 'he' is invalid\. Allowed choices are simple, simpleVar, simpleBias\./],
    [['train', '--bias-init', 'zero'], /option '--bias-init <x>' argument 'zero' is invalid\. Need a number \(a constant\) or "kernel"\./],
    [['train', '--config', '/nonexistent.json', '--bias-init', '0.1'], /--config and --bias-init do not go together/],
    [['train', '--out', '/proc/version/x', ...SMALL], /--out \/proc\/version\/x: cannot write there/],
  ])('gradnoise %j fails with a message naming the flag and what is allowed', async (args, message) => {
    const r = await run(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it.each([[[]], [['train']], [['reproduce']], [['reproduce', 'table1']]])('gradnoise %j --help lists its options', async (args) => {
    const r = await run([...args, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: gradnoise/);
    expect(r.stdout).toMatch(/-h, --help/);
    if (args[0] === 'train') expect(r.stdout).toMatch(/--eta <x>[\s\S]*--workers <n>[\s\S]*--json/);
    if (args[1] === 'table1') expect(r.stdout).toMatch(/--runs <n>[\s\S]*--epochs <n>/);
  });
});

describe('gradnoise train', () => {
  it('--json: one JSON line, and the same weightsSha256 for --workers 1 and 2 (and inline)', async () => {
    const args = ['train', ...SMALL, '--steps', '25', '--clip', '10', '--eta', '0.01', '--json'];
    const [one, two, zero] = await Promise.all([run([...args, '--workers', '1']), run([...args, '--workers', '2']), run([...args, '--workers', '0'])]);
    for (const r of [one, two, zero]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
    }
    const a = lastJson(one.stdout), b = lastJson(two.stdout), c = lastJson(zero.stdout);
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['steps', 'trainLoss', 'testLoss', 'testAccuracy', 'examplesPerSecond', 'weightsSha256',
      'examplesPerSecondOver', 'wallExamplesPerSecond', 'startupSeconds', 'stepSeconds', 'seconds']));
    // The steps' rate, start-up (workers and the data's hand-over) left out; the rate over the whole run beside it.
    for (const r of [a, b, c] as Record<string, number>[]) {
      expect(r.examplesPerSecondOver).toBe('stepSeconds');
      expect(r.examplesPerSecond).toBeCloseTo((25 * 100) / r.stepSeconds, 3);
      expect(r.wallExamplesPerSecond).toBeLessThan(r.examplesPerSecond);
      expect(r.startupSeconds).toBeGreaterThan(0);
    }
    expect(a.steps).toBe(25);
    expect(a.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect([b.weightsSha256, c.weightsSha256]).toEqual([a.weightsSha256, a.weightsSha256]);
    expect([b.workers, c.workers]).toEqual([2, 0]);
    expect(b.testAccuracy).toBe(a.testAccuracy);
  });

  it('--profile FILE writes a Chrome trace of the window\'s steps per worker, atomically, and changes no bit; --workers auto', async () => {
    const dir = tmp(), file = join(dir, 'sub', 'trace.json');
    const args = ['train', ...SMALL, '--steps', '12', '--clip', '10', '--eta', '0.01', '--json'];
    const [profiled, plain, auto] = await Promise.all([
      run([...args, '--workers', '2', '--profile', file, '--profile-from', '2', '--profile-steps', '5']), run([...args, '--workers', '0']), run(args),
    ]);
    for (const r of [profiled, plain, auto]) expect(r.code, r.stderr).toBe(0);
    expect(lastJson(profiled.stdout).weightsSha256).toBe(lastJson(plain.stdout).weightsSha256);
    expect(lastJson(auto.stdout).weightsSha256).toBe(lastJson(plain.stdout).weightsSha256);
    // auto: a worker per core (at most the 4 shards) where there is shared memory
    expect(lastJson(auto.stdout).workers).toBe(Math.min(4, (await import('node:os')).availableParallelism()));
    expect(readdirSync(join(dir, 'sub'))).toEqual(['trace.json']); // no temporary file left beside it
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    expect(trace.otherData).toMatchObject({ workers: 2, from: 2, steps: 5, recordedSteps: 5 });
    const steps = (tid: number) => trace.traceEvents.filter((e: { ph: string; cat: string; tid: number }) => e.ph === 'X' && e.cat === 'step' && e.tid === tid);
    expect([steps(1).length, steps(2).length]).toEqual([5, 5]);
  });

  it('--init simpleVar and --bias-init: recorded in config.json, which replays to the same weights; each changes the weights', async () => {
    const dir = tmp();
    const args = ['train', ...SMALL, '--steps', '5', '--depth', '3', '--json'];
    const [a, b, c] = await Promise.all([
      run([...args, '--init', 'simpleVar', '--bias-init', 'kernel', '--out', dir]), run([...args, '--init', 'simpleVar']), run([...args, '--init', 'simple']),
    ]);
    for (const r of [a, b, c]) expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).config).toMatchObject({ init: 'simpleVar', biasInit: 'kernel' });
    const replay = await run(['train', '--config', join(dir, 'config.json'), '--json']);
    expect(replay.code, replay.stderr).toBe(0);
    const hash = (r: Ran) => lastJson(r.stdout).weightsSha256;
    expect(hash(replay)).toBe(hash(a));
    expect(new Set([hash(a), hash(b), hash(c)]).size).toBe(3);
  });

  it('--out writes config, summary, epochs and steps (JSONL and CSV) and a plot that match what was printed', async () => {
    const dir = tmp();
    const r = await run(['train', ...SMALL, '--epochs', '2', '--eta', '0.01', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(r.stdout).toContain(`weights sha256 ${summary.weightsSha256}`);
    expect(r.stdout).toContain(`test accuracy ${(100 * summary.testAccuracy).toFixed(2)}%`);
    const epochs = readFileSync(join(dir, 'epochs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1]);
    for (const e of epochs) expect(r.stdout).toContain(`epoch ${e.epoch + 1}: train loss ${e.trainLoss.toFixed(4)}, train acc ${(100 * e.trainAccuracy).toFixed(2)}%`);
    const steps = readFileSync(join(dir, 'steps.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(steps).toHaveLength(20);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(steps[0].sigma).toBeCloseTo(Math.sqrt(0.01), 6);
    const csv = readFileSync(join(dir, 'steps.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('step,epoch,loss,accuracy,gradNorm,clipScale,sigma,lr');
    expect(csv.slice(1).map((l) => l.split(',').map(Number))).toEqual(steps.map((s) => [s.step, s.epoch, s.loss, s.accuracy, s.gradNorm, s.clipScale, s.sigma, s.lr]));
    const ecsv = readFileSync(join(dir, 'epochs.csv'), 'utf8').trim().split('\n');
    expect(ecsv).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).config).toMatchObject({ noise: true, eta: 0.01, epochs: 2, depth: 20 });
    expect(readFileSync(join(dir, 'curves.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
  });

  it('trains on .npy and .csv files too', async () => {
    const dir = tmp();
    const { writeFileSync } = await import('node:fs');
    // 40 examples of 4 features, two classes by the sign of the first feature
    const n = 40, xs: number[][] = [], ys: number[] = [];
    for (let i = 0; i < n; i++) { const v = [(i % 2 ? 1 : -1) * (1 + (i % 5) / 5), 0.1 * (i % 3), -0.2, 0.05 * i]; xs.push(v); ys.push(i % 2); }
    writeFileSync(join(dir, 'x.csv'), `a,b,c,d\n${xs.map((r) => r.join(',')).join('\n')}\n`);
    writeFileSync(join(dir, 'y.csv'), `${ys.join('\n')}\n`);
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (40, 4), }";
    const pre = 10 + header.length + 1, pad = (64 - (pre % 64)) % 64;
    const h = Buffer.from(`${header}${' '.repeat(pad)}\n`, 'latin1');
    const npy = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY', 'latin1'), Buffer.from([1, 0, h.length & 255, h.length >> 8]), h, Buffer.from(new Float32Array(xs.flat()).buffer)]);
    writeFileSync(join(dir, 'x.npy'), npy);
    const common = ['--depth', '2', '--width', '8', '--batch-size', '8', '--epochs', '30', '--lr', '0.1', '--json'];
    const a = await run(['train', '--train-x', join(dir, 'x.csv'), '--train-y', join(dir, 'y.csv'), '--test-x', join(dir, 'x.npy'), '--test-y', join(dir, 'y.csv'), ...common]);
    const b = await run(['train', '--train-x', join(dir, 'x.npy'), '--train-y', join(dir, 'y.csv'), '--test-x', join(dir, 'x.csv'), '--test-y', join(dir, 'y.csv'), ...common]);
    expect(a.code, a.stderr).toBe(0);
    expect(lastJson(a.stdout).testAccuracy).toBeGreaterThan(0.9);
    expect(lastJson(b.stdout).weightsSha256).toBe(lastJson(a.stdout).weightsSha256);
  });

  it('a run that diverges stops with an error naming the step, exits 1, and still writes what it measured', async () => {
    const dir = tmp();
    const r = await run(['train', ...SMALL, '--lr', '1e30', '--epochs', '3', '--out', dir, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gradnoise: error: fit: (the loss is (NaN|Infinity|-Infinity) at step \d+|step \d+: the gradient of \S+ is)/);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.diverged.step).toBeGreaterThanOrEqual(0);
    expect(lastJson(r.stdout).diverged).toEqual(summary.diverged);
  });

  it('Ctrl-C stops after the current step, writes what was measured and exits 130', async () => {
    const dir = tmp();
    const r = await run(['train', ...SMALL, '--epochs', '1000', '--out', dir], {
      onStdout: (all, kill) => { if (/epoch 2:/.test(all) && !(globalThis as { sent?: boolean }).sent) { (globalThis as { sent?: boolean }).sent = true; kill(); } },
    });
    delete (globalThis as { sent?: boolean }).sent;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/stopping after the current step/);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.aborted).toBe(true);
    expect(summary.steps).toBeGreaterThanOrEqual(20);
    expect(readFileSync(join(dir, 'steps.jsonl'), 'utf8').trim().split('\n')).toHaveLength(summary.steps);
  });
});

describe('gradnoise train: checkpoints', () => {
  const NET = [...SMALL, '--depth', '4', '--width', '32', '--clip', '10', '--eta', '0.01', '--momentum', '0.9', '--json'];

  it('--checkpoint-every on 2 workers, and a run stopped and --resume\'d inline, end at the weights of one run', async () => {
    const dir = tmp();
    const whole = await run(['train', ...NET, '--steps', '50', '--workers', '2', '--checkpoint-every', '7', '--out', join(dir, 'whole')]);
    expect(whole.code, whole.stderr).toBe(0);
    const part = await run(['train', ...NET, '--steps', '23', '--workers', '1', '--checkpoint', join(dir, 'part.safetensors')]);
    expect(part.code, part.stderr).toBe(0);
    const rest = await run(['train', ...NET, '--steps', '50', '--workers', '0', '--resume', join(dir, 'part.safetensors'), '--out', join(dir, 'rest')]);
    expect(rest.code, rest.stderr).toBe(0);
    expect([lastJson(part.stdout).steps, lastJson(rest.stdout).steps]).toEqual([23, 50]);
    expect(lastJson(rest.stdout).weightsSha256).toBe(lastJson(whole.stdout).weightsSha256);
    // The final checkpoints of both are the same file.
    expect(readFileSync(join(dir, 'rest', 'checkpoint.safetensors')).equals(readFileSync(join(dir, 'whole', 'checkpoint.safetensors')))).toBe(true);
    // Only the resumed steps are in the resumed run's records.
    const steps = readFileSync(join(dir, 'rest', 'steps.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    expect([steps[0], steps.length]).toEqual([24, 27]);
  });

  it('--resume refuses a checkpoint of another configuration, naming the field', async () => {
    const dir = tmp();
    const part = await run(['train', ...NET, '--steps', '3', '--checkpoint', join(dir, 'c.safetensors')]);
    expect(part.code, part.stderr).toBe(0);
    const r = await run(['train', ...NET, '--steps', '6', '--lr', '0.02', '--resume', join(dir, 'c.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--resume .*c\.safetensors: the checkpoint comes from another configuration \(optimizer\.config\.transforms\[2\]\.config\.lr: 0\.01 vs 0\.02; checkpoint vs this command\)/);
    const missing = await run(['train', ...NET, '--resume', join(dir, 'none.safetensors')]);
    expect(missing.stderr).toMatch(/--resume .*none\.safetensors: cannot read it \(ENOENT\)/);
    const every = await run(['train', ...NET, '--checkpoint-every', '5']);
    expect(every.stderr).toMatch(/--checkpoint-every needs --checkpoint <file> or --out <dir>/);
  });

  it('--resume into the same --out keeps the first part\'s records and continues the cut epoch\'s record', async () => {
    const dir = tmp(), whole = tmp();
    const args = [...SMALL, '--depth', '4', '--width', '32', '--eta', '0.01', '--epochs', '3'];
    const w = await run(['train', ...args, '--out', whole]);
    expect(w.code, w.stderr).toBe(0);
    // Stop at step 25 of 30 (mid-epoch 3) by --steps, with the same flags otherwise, then resume by epochs.
    const a = await run(['train', ...SMALL, '--depth', '4', '--width', '32', '--eta', '0.01', '--steps', '25', '--out', dir]);
    expect(a.code, a.stderr).toBe(0);
    const b = await run(['train', ...args, '--out', dir, '--resume', join(dir, 'checkpoint.safetensors')]);
    expect(b.code, b.stderr).toBe(0);
    const lines = (d: string, f: string) => readFileSync(join(d, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines(dir, 'steps.jsonl')).toEqual(lines(whole, 'steps.jsonl'));
    const strip = (e: Record<string, unknown>) => ({ ...e, examplesPerSecond: 0, trainLoss: Math.round(1e6 * (e.trainLoss as number)) });
    expect(lines(dir, 'epochs.jsonl').map(strip)).toEqual(lines(whole, 'epochs.jsonl').map(strip));
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).weightsSha256).toBe(JSON.parse(readFileSync(join(whole, 'summary.json'), 'utf8')).weightsSha256);
  });

  it('--resume refuses another batch size, other data mid-epoch, and a checkpoint past the end of the run', async () => {
    const dir = tmp();
    const base = [...SMALL, '--depth', '2', '--width', '16'];
    const a = await run(['train', ...base, '--steps', '13', '--checkpoint', join(dir, 'c.safetensors')]);
    expect(a.code, a.stderr).toBe(0);
    const ck = join(dir, 'c.safetensors');
    expect((await run(['train', ...base, '--steps', '20', '--batch-size', '50', '--resume', ck])).stderr)
      .toMatch(/--resume .*: the checkpoint comes from another configuration \(batchSize: 100 vs 50; checkpoint vs this command\)/);
    expect((await run(['train', ...base, '--train-limit', '900', '--steps', '20', '--resume', ck])).stderr)
      .toMatch(/--resume .*: the checkpoint stopped mid-epoch in 1000 training examples; this command has 900/);
    expect((await run(['train', ...base, '--steps', '5', '--resume', ck])).stderr)
      .toMatch(/--resume .*: the checkpoint is at step 13, past the 5 steps this command trains \(--steps 5\)/);
  });

  it('Ctrl-C writes a checkpoint that resumes to the weights of a run never stopped', async () => {
    const dir = tmp();
    const whole = await run(['train', ...SMALL, '--depth', '4', '--width', '32', '--epochs', '40', '--eta', '0.01', '--json']);
    let sent = false;
    const cut = await run(['train', ...SMALL, '--depth', '4', '--width', '32', '--epochs', '40', '--eta', '0.01', '--out', dir], {
      onStdout: (all, kill) => { if (!sent && /epoch 3:/.test(all)) { sent = true; kill(); } },
    });
    expect(cut.code).toBe(130);
    const stoppedAt = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).steps;
    expect(cut.stdout).toContain(`checkpoint at step ${stoppedAt}: ${join(dir, 'checkpoint.safetensors')}`);
    const rest = await run(['train', ...SMALL, '--depth', '4', '--width', '32', '--epochs', '40', '--eta', '0.01', '--json', '--resume', join(dir, 'checkpoint.safetensors')]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(lastJson(rest.stdout).weightsSha256).toBe(lastJson(whole.stdout).weightsSha256);
  });

  it('a run that turns NaN stops naming the step and the layer, and its last checkpoint is intact', async () => {
    const dir = tmp();
    const r = await run(['train', ...SMALL, '--depth', '6', '--width', '32', '--lr', '5', '--steps', '200', '--checkpoint-every', '2', '--out', dir, '--workers', '2']);
    expect(r.code).toBe(1);
    const m = /gradnoise: error: fit: the loss is (?:NaN|Infinity) at step (\d+): training diverged in layer (dense_\d)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const step = Number(m![1]);
    const saved = 2 * Math.floor(step / 2);
    expect(r.stderr).toContain(`gradnoise: the last checkpoint, at step ${saved}, is intact: ${join(dir, 'checkpoint.safetensors')}`);
    const { loadModel } = await import('../../../src/index.js');
    const back = await loadModel(join(dir, 'checkpoint.safetensors'), { workers: 0 });
    expect(back.step).toBe(saved);
    await back.dispose();
  });
});

describe('gradnoise reproduce table1', () => {
  const sweep = ['reproduce', 'table1', '--rows', '5,6', '--runs', '2', '--lr', '0.1', '--epochs', '1', '--train-limit', '1500', '--test-limit', '300', '--json'];
  const table = (dir: string) => JSON.parse(readFileSync(join(dir, 'table1.json'), 'utf8')).rows;

  it('an interrupted sweep resumes without redoing finished runs and gives the same table as an uninterrupted one', async () => {
    const whole = tmp(), cut = tmp();
    const full = await run([...sweep, '--out', whole]);
    expect(full.code, full.stderr).toBe(0);
    expect(readdirSync(join(whole, 'runs'))).toHaveLength(8);

    // Interrupt as soon as the first run is on disk.
    let sent = false;
    const poll = setInterval(() => {
      if (!sent && existsSync(join(cut, 'runs')) && readdirSync(join(cut, 'runs')).length >= 1) { sent = true; child.kill('SIGINT'); }
    }, 20);
    const child = spawn(process.execPath, [BIN, ...sweep, '--out', cut], { stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    clearInterval(poll);
    const kept = readdirSync(join(cut, 'runs')).filter((f) => f.endsWith('.json'));
    expect(code === 130 || (code === 0 && kept.length === 8)).toBe(true);
    const before = new Map(kept.map((f) => [f, readFileSync(join(cut, 'runs', f), 'utf8')]));

    const resumed = await run([...sweep, '--out', cut]);
    expect(resumed.code, resumed.stderr).toBe(0);
    // Finished runs were not redone (their records are byte for byte the same) and the table is the same.
    for (const [f, text] of before) expect(readFileSync(join(cut, 'runs', f), 'utf8')).toBe(text);
    expect(table(cut)).toEqual(table(whole));
    expect(lastJson(resumed.stdout).runs).toBe(8);

    // A finished sweep runs nothing new.
    const again = await run([...sweep.filter((a) => a !== '--json'), '--out', cut]);
    expect(again.stdout).toMatch(/8 already finished/);
    expect(table(cut)).toEqual(table(whole));
  });

  it('--simple-init simpleVar runs the simple rows with that init, says so, and its runs replay to their weights', async () => {
    const dir = tmp();
    const r = await run(['reproduce', 'table1', '--rows', '3', '--runs', '1', '--lr', '0.1', '--epochs', '1', '--train-limit', '1500', '--test-limit', '300',
      '--simple-init', 'simpleVar', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/simple rows with the simpleVar init/);
    expect(readFileSync(join(dir, 'table1.md'), 'utf8')).toMatch(/the simple rows with the simpleVar init \(N\(0, 0\.1\), std 0\.316\)/);
    const records = readdirSync(join(dir, 'runs')).map((f) => JSON.parse(readFileSync(join(dir, 'runs', f), 'utf8')));
    expect(records.map((x) => [x.config.init, x.config.clip, x.config.noise]).sort()).toEqual([['simpleVar', 10, false], ['simpleVar', 10, true]]);
    const replay = await run(['train', '--config', join(dir, 'runs', `${records[0].id}.json`), '--json']);
    expect(lastJson(replay.stdout).weightsSha256).toBe(records[0].summary.weightsSha256);
  });

  it('splits over processes (--jobs) with the same result, and writes the table beside the paper\'s and a plot per row', async () => {
    const dir = tmp(), ref = tmp();
    const [a, b] = await Promise.all([run([...sweep, '--jobs', '2', '--out', dir]), run([...sweep, '--out', ref])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(table(dir)).toEqual(table(ref));
    const md = readFileSync(join(dir, 'table1.md'), 'utf8');
    expect(md).toMatch(/\| 5\. He init, clip 10 \| [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \| 97\.4 \/ 91\.7 \| 97\.2 \/ 91\.7 \|/);
    expect(md).toMatch(/\| 6\. Zero init, clip 10 \|.*\| 11\.4 \/ 10\.1 \| 94\.5 \/ 49\.7 \|/);
    expect(readdirSync(join(dir, 'plots')).sort()).toEqual(['report.svg', 'table1-row-5.svg', 'table1-row-6.svg']);
  });
});
