// `gradnoise train --model graph.json` as a user runs it (real processes over the built dist/): the example
// of examples/graph (a two-input model on generated data) trained from JSON Lines to one weights hash on 0
// and 2 workers; the same data as .npy arrays per input (int32 and int64 ids) to the same hash; --out's
// config.json replayed with --config; a resumed run; and every new flag's errors, each naming the flag or the
// file, the line or example, the input, the position and the value.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/gradnoise.js', import.meta.url));
const EX = fileURLToPath(new URL('../../../examples/graph/', import.meta.url));
const MODEL = join(EX, 'model.json'), TRAIN = join(EX, 'train.jsonl'), TEST = join(EX, 'test.jsonl');
const tmp = () => mkdtempSync(join(tmpdir(), 'gradnoise-graph-cli-'));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`timed out: gradnoise ${args.join(' ')}\n${stderr}`)); }, 90_000);
    c.stdout.on('data', (d: Buffer) => { stdout += d; });
    c.stderr.on('data', (d: Buffer) => { stderr += d; });
    c.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;

/** A .npy file (version 1.0, C order). */
function npy(path: string, descr: string, shape: number[], data: ArrayBufferView): void {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = (64 - ((10 + header.length + 1) % 64)) % 64;
  const h = Buffer.from(`${header}${' '.repeat(pad)}\n`, 'latin1');
  writeFileSync(path, Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY', 'latin1'), Buffer.from([1, 0, h.length & 255, h.length >> 8]), h,
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

/** The example's JSON Lines as arrays per input (tokens padded with 0 to the model's 7). */
function asArrays(file: string) {
  const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tokens: number[]; signal: number[]; label: number });
  const n = rows.length, tokens = new Int32Array(n * 7), signal = new Float32Array(n * 4), label = new Int32Array(n);
  rows.forEach((r, i) => { tokens.set(r.tokens, 7 * i); signal.set(r.signal, 4 * i); label[i] = r.label; });
  return { n, tokens, signal, label };
}

const RUN = ['--batch-size', '50', '--lr', '0.05', '--steps', '300', '--clip', '5', '--eta', '0.01', '--json'];

describe('gradnoise train --model', () => {
  it('the example: --json for --workers 0 and 2 gives one weightsSha256, and the model learns from both inputs', async () => {
    const args = ['train', '--model', MODEL, '--data', TRAIN, '--test-data', TEST, '--pad-id', '0', ...RUN];
    const [zero, two] = await Promise.all([run([...args, '--workers', '0']), run([...args, '--workers', '2'])]);
    for (const r of [zero, two]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
    }
    const a = lastJson(zero.stdout), b = lastJson(two.stdout);
    expect(a.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.weightsSha256).toBe(a.weightsSha256);
    expect([a.workers, b.workers, a.steps]).toEqual([0, 2, 300]);
    expect(b.testAccuracy).toBe(a.testAccuracy);
    // Four classes that need both inputs (chance: about 25%).
    expect(a.testAccuracy).toBeGreaterThan(0.7);
  });

  it('the example\'s data are what examples/graph/make-data.mjs writes, byte for byte', async () => {
    const { jsonl } = await import(/* @vite-ignore */ join(EX, 'make-data.mjs')) as { jsonl: (split: number, count: number) => string };
    expect(jsonl(0, 1000)).toBe(readFileSync(TRAIN, 'utf8'));
    expect(jsonl(1, 250)).toBe(readFileSync(TEST, 'utf8'));
  });

  it('the same data as arrays per input (.npy int32 and int64 ids, f32 and .csv features), or mixed with JSON Lines, train to the same weights', async () => {
    const dir = tmp();
    for (const [split, file] of [['train', TRAIN], ['test', TEST]] as const) {
      const a = asArrays(file);
      npy(join(dir, `${split}-tokens.npy`), split === 'train' ? '<i4' : '<i8', [a.n, 7], split === 'train' ? a.tokens : BigInt64Array.from(a.tokens, (v) => BigInt(v)));
      npy(join(dir, `${split}-signal.npy`), '<f4', [a.n, 4], a.signal);
      npy(join(dir, `${split}-label.npy`), '<i8', [a.n], BigInt64Array.from(a.label, (v) => BigInt(v)));
    }
    // The test signal as CSV too (every value has at most 3 decimals, so the same f32 values).
    const t = asArrays(TEST);
    writeFileSync(join(dir, 'test-signal.csv'), Array.from({ length: t.n }, (_, i) => Array.from(t.signal.subarray(4 * i, 4 * i + 4), (v) => Number(v.toPrecision(6))).join(',')).join('\n'));
    const files = (split: string, flag: string, signal = `${split}-signal.npy`) =>
      ['tokens', 'label'].flatMap((k) => [flag, `${k}=${join(dir, `${split}-${k}.npy`)}`]).concat([flag, `signal=${join(dir, signal)}`]);
    // The JSON Lines without the signal, which comes from its own files.
    for (const [split, file] of [['train', TRAIN], ['test', TEST]] as const) {
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => { const { signal: _, ...rest } = JSON.parse(l); return JSON.stringify(rest); });
      writeFileSync(join(dir, `${split}-nosignal.jsonl`), `${lines.join('\n')}\n`);
    }
    const [fromJsonl, fromNpy, fromMixed, twice] = await Promise.all([
      run(['train', '--model', MODEL, '--data', TRAIN, '--test-data', TEST, '--pad-id', '0', ...RUN]),
      run(['train', '--model', MODEL, ...files('train', '--input'), ...files('test', '--test-input'), ...RUN]),
      run(['train', '--model', MODEL, '--data', join(dir, 'train-nosignal.jsonl'), '--test-data', join(dir, 'test-nosignal.jsonl'), '--pad-id', '0',
        '--input', `signal=${join(dir, 'train-signal.npy')}`, '--test-input', `signal=${join(dir, 'test-signal.csv')}`, ...RUN]),
      // An input given by a file and by the JSON Lines too.
      run(['train', '--model', MODEL, '--data', TRAIN, '--pad-id', '0', '--input', `signal=${join(dir, 'train-signal.npy')}`, ...RUN]),
    ]);
    for (const r of [fromJsonl, fromNpy, fromMixed]) expect(r.code, r.stderr).toBe(0);
    expect(lastJson(fromNpy.stdout).weightsSha256).toBe(lastJson(fromJsonl.stdout).weightsSha256);
    expect(lastJson(fromMixed.stdout).weightsSha256).toBe(lastJson(fromJsonl.stdout).weightsSha256);
    expect(lastJson(fromNpy.stdout).testAccuracy).toBe(lastJson(fromJsonl.stdout).testAccuracy);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/gradnoise: error: --data .*train\.jsonl: line 1: "signal" is given by --input signal=.*train-signal\.npy, so this file must not hold it too/);
  });

  it('--out records the graph and the data\'s SHA-256; --config replays it to the same hash, on the same bytes only', async () => {
    const dir = tmp();
    const copy = join(dir, 'train.jsonl');
    writeFileSync(copy, readFileSync(TRAIN));
    const a = await run(['train', '--model', MODEL, '--data', copy, '--pad-id', '0', '--steps', '20', '--out', join(dir, 'out'), '--json']);
    expect(a.code, a.stderr).toBe(0);
    const rec = JSON.parse(readFileSync(join(dir, 'out', 'config.json'), 'utf8'));
    expect(rec.config.model).toEqual(JSON.parse(readFileSync(MODEL, 'utf8')));
    expect(rec.data).toMatchObject({ source: 'inputs', jsonl: { path: copy, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }, padId: 0, testJsonl: null });
    const b = await run(['train', '--config', join(dir, 'out', 'config.json'), '--json', '--workers', '2']);
    expect(b.code, b.stderr).toBe(0);
    expect(lastJson(b.stdout).weightsSha256).toBe(lastJson(a.stdout).weightsSha256);
    const clash = await run(['train', '--config', join(dir, 'out', 'config.json'), '--input', 'signal=x.npy']);
    expect(clash.stderr).toMatch(/--config and --input do not go together \(the file names the data\)/);
    const model = await run(['train', '--config', join(dir, 'out', 'config.json'), '--model', MODEL]);
    expect(model.stderr).toMatch(/--config and --model do not go together \(the file names every field of the run\)/);
    // A file with the config alone takes its data from the flags, as the graph reads them.
    writeFileSync(join(dir, 'only.json'), JSON.stringify({ config: rec.config }));
    const only = await run(['train', '--config', join(dir, 'only.json'), '--data', copy, '--pad-id', '0', '--json']);
    expect(only.code, only.stderr).toBe(0);
    expect(lastJson(only.stdout).weightsSha256).toBe(lastJson(a.stdout).weightsSha256);
    expect((await run(['train', '--config', join(dir, 'only.json'), '--train-x', 'x.npy'])).stderr)
      .toMatch(/the config of .*only\.json and --train-x do not go together \(a graph reads its data by input name/);
    writeFileSync(copy, readFileSync(TRAIN, 'utf8').replace('"label":2', '"label":3'));
    const changed = await run(['train', '--config', join(dir, 'out', 'config.json')]);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/gradnoise: error: data file jsonl .*train\.jsonl: its SHA-256 is [0-9a-f]{16}\.\.\., but the job was planned on/);
  });

  it('a checkpointed run stopped at step 13 and --resume\'d ends at the weights of one run', async () => {
    const dir = tmp();
    const args = ['train', '--model', MODEL, '--data', TRAIN, '--pad-id', '0', '--batch-size', '64', '--momentum', '0.9', '--eta', '0.01', '--json'];
    const whole = await run([...args, '--steps', '30', '--workers', '2']);
    const part = await run([...args, '--steps', '13', '--checkpoint', join(dir, 'c.safetensors')]);
    expect(part.code, part.stderr).toBe(0);
    const rest = await run([...args, '--steps', '30', '--workers', '0', '--resume', join(dir, 'c.safetensors')]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(lastJson(rest.stdout).weightsSha256).toBe(lastJson(whole.stdout).weightsSha256);
  });
});

describe('gradnoise train --model: every new flag\'s errors', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'bad.json'), '{"format": "gradnoise.graph",');
  const graph = JSON.parse(readFileSync(MODEL, 'utf8'));
  graph.nodes[0].attrs.vocb = 20;
  writeFileSync(join(dir, 'typo.json'), JSON.stringify(graph));
  const a = asArrays(TRAIN);
  a.tokens[7 * 3 + 2] = 25;
  npy(join(dir, 'tokens.npy'), '<i4', [a.n, 7], a.tokens);
  npy(join(dir, 'signal.npy'), '<f4', [a.n, 4], a.signal);
  npy(join(dir, 'label.npy'), '<i4', [a.n], a.label);
  npy(join(dir, 'short.npy'), '<f4', [a.n - 1, 4], a.signal.subarray(4));
  const ok = ['--input', `signal=${join(dir, 'signal.npy')}`, '--input', `label=${join(dir, 'label.npy')}`];

  it.each<[string[], RegExp]>([
    [['--model', MODEL, '--data', TRAIN, '--depth', '3'], /--model and --depth do not go together \(the graph names its own layers\)/],
    [['--model', MODEL, '--data', TRAIN, '--init', 'simple'], /--model and --init do not go together/],
    [['--model', MODEL, '--data', TRAIN, '--bias-init', '0.1'], /--model and --bias-init do not go together/],
    [['--model', MODEL], /--model .*model\.json needs its data: --input NAME=FILE for each of its inputs \(tokens, signal, label\), or --data FILE\.jsonl/],
    [['--model', MODEL, '--data', TRAIN, '--train-x', 'x.npy'], /--model and --train-x do not go together \(a graph reads its data by input name/],
    [['--input', 'tokens=x.npy'], /--input needs --model \(a graph's named inputs; the MLP reads --train-x and --train-y\)/],
    [['--data', TRAIN], /--data needs --model/],
    [['--pad-id', '0'], /--pad-id needs --model/],
    [['--model', MODEL, '--input', 'tokens'], /option '--input <name=file>' argument 'tokens' is invalid\. Need NAME=FILE/],
    [['--model', MODEL, '--input', 'a=x.npy', '--input', 'a=y.npy'], /argument 'a=y\.npy' is invalid\. --input a= is given twice \(x\.npy and y\.npy\)/],
    [['--model', MODEL, '--pad-id', '1.5'], /option '--pad-id <id>' argument '1\.5' is invalid/],
    [['--model', MODEL, '--input', `tokens=${join(dir, 'tokens.npy')}`, ...ok, '--pad-id', '0'], /--pad-id pads the short lists of --data and --test-data files/],
    [['--model', MODEL, '--data', TRAIN, '--pad-id', '0', '--test-limit', '5'], /--test-limit needs a test split \(--test-input or --test-data\)/],
    [['--model', join(dir, 'nope.json'), '--data', TRAIN], /--model .*nope\.json: cannot read it \(ENOENT\)/],
    [['--model', join(dir, 'bad.json'), '--data', TRAIN], /--model .*bad\.json: not valid JSON: /],
    [['--model', join(dir, 'typo.json'), '--data', TRAIN], /--model .*typo\.json: node "embed" \(embedding\): attrs: unknown option "vocb" .*did you mean vocab\?/],
    [['--model', MODEL, '--data', TRAIN], /--data .*train\.jsonl: line 1: "tokens" has 5 entries, its shape \[7\] needs 7 \(short lists are padded only with a pad id: --pad-id\)/],
    [['--model', MODEL, '--data', join(dir, 'none.jsonl')], /--data .*none\.jsonl: cannot read the file \(ENOENT\)/],
    [['--model', MODEL, '--input', `tokens=${join(dir, 'tokens.npy')}`, ...ok],
      /--input tokens=.*tokens\.npy: example 3, position \[2\] of input "tokens" is token id 25, outside \[0, 20\), the vocabulary of node "embed"/],
    [['--model', MODEL, '--input', `tokenz=${join(dir, 'tokens.npy')}`, ...ok], /--input tokenz=.*: the model has no input "tokenz" \(its inputs: "tokens" \[7\] i32, "signal" \[4\], "label" \[\] i32\); did you mean tokens\?/],
    [['--model', MODEL, ...ok], /training data: input "tokens" \[7\] i32 has no data \(give it with --input NAME=FILE, or in the lines of --data FILE\.jsonl\)/],
    [['--model', MODEL, '--input', `tokens=${join(dir, 'signal.npy')}`, ...ok], /--input tokens=.*signal\.npy: shape \[1000, 4\] holds 4 values per example; input "tokens" \[7\] i32 takes 7/],
    [['--model', MODEL, '--input', `tokens=${join(dir, 'tokens.npy')}`, '--input', `signal=${join(dir, 'short.npy')}`, '--input', `label=${join(dir, 'label.npy')}`],
      /--input signal=.*short\.npy: 999 examples, but --input tokens=.*tokens\.npy has 1000/],
  ])('gradnoise train %j fails naming the flag, the file and the place', async (args, message) => {
    const r = await run(['train', ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
