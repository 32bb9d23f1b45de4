// The runtime matrix: the paper's net (784 -> 20 x 50 ReLU -> 10, batch 100, clip 10 + annealed noise +
// SGD, 4 shards) trained on the whole MNIST training set (60,000 examples) in every JS runtime gradnoise
// claims, each in its own process: Node, Bun and Deno inline and on 2 workers, workerd (Cloudflare
// Workers, through Miniflare: inline, it has no threads; on the first 10,000 examples, as the whole set
// does not fit a Worker's 128 MB) and, where Debian's chromium is installed, Chromium (the demo page, 2
// Web Workers). Prints per runtime its version, the build and workers it really used, the start-up (from
// fit() to its first step: what a user waits for before training starts), examples/s (both: median and
// min-max over rounds, runtimes interleaved), and whether the fixture run (test/fixtures/
// cross-runtime.json) gives the Node CLI's weights hash there.
//
//   npm run bench:runtimes [-- --rounds 3 --steps 300 --json]
//
// Start-up is the run summary's startupSeconds (it follows prepare(), which copies the data into shared
// memory once). Steady state: examples/s counts the steps after the first 50 (Node, Bun, Deno: timed in
// the script); Chromium's is the demo page's figure, the summary's examplesPerSecond over all its steps.
// workerd's clocks stand still while a request computes (a Spectre mitigation), so there both are timed
// from outside: examples/s from a request of 50 + steps steps minus one of 50 steps, start-up from a
// request of 1 step minus one of none.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startEdge } from '../examples/workerd/edge.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (flag, d) => (process.argv.includes(flag) ? Number(process.argv[process.argv.indexOf(flag) + 1]) : d);
const ROUNDS = arg('--rounds', 3), STEPS = arg('--steps', 300), WARM = 50, TRAIN = 60000, EDGE_TRAIN = 10000;
const json = process.argv.includes('--json');
const FIXTURE = JSON.parse(readFileSync(`${root}/test/fixtures/cross-runtime.json`, 'utf8'));
const SPEED = { ...FIXTURE.config, steps: WARM + STEPS };
const CHROMIUM = process.env.GRADNOISE_CHROMIUM ?? '/usr/bin/chromium';

const SCRIPT = `${root}/test/runtimes/train.mjs`;
const CMD = {
  node: (o) => [process.execPath, SCRIPT, JSON.stringify(o)],
  bun: (o) => [`${root}/node_modules/.bin/bun`, SCRIPT, JSON.stringify(o)],
  deno: (o) => [`${root}/node_modules/.bin/deno`, 'run', '--allow-read', SCRIPT, JSON.stringify(o)],
};
function script(runtime, o) {
  const [file, ...args] = CMD[runtime](o);
  return JSON.parse(execFileSync(file, args, { cwd: root, encoding: 'utf8' }).trim().split('\n').pop());
}

const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); return { median: s[s.length >> 1], min: s[0], max: s[s.length - 1], n: s.length }; };
const rows = new Map();
const add = (key, info, startup, eps) => {
  const r = rows.get(key) ?? { ...info, startup: [], samples: [] };
  r.startup.push(startup);
  r.samples.push(eps);
  rows.set(key, r);
};

const edge = await startEdge({ train: EDGE_TRAIN, test: FIXTURE.testLimit });
async function edgeRun(steps) {
  const t = performance.now();
  const r = await edge.train({ config: { ...FIXTURE.config, steps }, test: false });
  return { r, ms: performance.now() - t };
}

let browser = null;
if (existsSync(CHROMIUM)) {
  const { chromium } = await import('playwright-core');
  const { startServer } = await import('../examples/browser/serve.mjs');
  const server = await startServer({ port: 0, isolation: true });
  const b = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const version = b.version();
  browser = {
    version,
    // The demo page's noise run alone (only=noise), on 2 Web Workers; its start-up and examples/s are the run summary's.
    async run(steps, limit, testLimit) {
      const page = await b.newPage();
      const c = FIXTURE.config;
      await page.goto(`${server.url}?steps=${steps}&limit=${limit}&testLimit=${testLimit}&seed=${c.seed}&init=${c.init}&lr=${c.lr}&clip=${c.clip}&eta=${c.eta}&gamma=${c.gamma}&workers=2&only=noise&auto=1`);
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#status').dataset.state), null, { timeout: 300_000 });
      const r = await page.evaluate(() => ({ state: document.querySelector('#status').dataset.state, text: document.querySelector('#status').textContent,
        eps: Number(document.querySelector('#run-noise').dataset.examplesPerSecond), hash: document.querySelector('#run-noise').dataset.hash,
        startup: Number(document.querySelector('#run-noise').dataset.startupSeconds),
        workers: Number(document.body.dataset.noiseWorkers) }));
      await page.close();
      if (r.state !== 'done') throw new Error(`chromium: ${r.text}`);
      return r;
    },
    close: async () => { await b.close(); await server.close(); },
  };
}

for (let round = 0; round < ROUNDS; round++) {
  for (const runtime of ['node', 'bun', 'deno']) {
    for (const workers of [0, 2]) {
      const r = script(runtime, { config: SPEED, trainLimit: TRAIN, testLimit: 0, workers, warmup: WARM });
      add(`${runtime}/${workers}`, { runtime, version: r.runtime.version, build: r.build, workers: r.workers, train: TRAIN }, r.startupSeconds, r.examplesPerSecond);
    }
  }
  const none = await edgeRun(0), one = await edgeRun(1), short = await edgeRun(WARM), long = await edgeRun(WARM + STEPS);
  add('workerd/0', { runtime: 'workerd', version: edge.version, build: long.r.build, workers: long.r.workers, train: EDGE_TRAIN, note: 'timed from outside' },
    (one.ms - none.ms) / 1000, (STEPS * 100) / ((long.ms - short.ms) / 1000));
  if (browser) {
    const r = await browser.run(WARM + STEPS, TRAIN, 100);
    add('chromium/2', { runtime: 'chromium', version: browser.version, build: 'threads', workers: r.workers, train: TRAIN, note: 'the demo page; examples/s over all steps' }, r.startup, r.eps);
  }
}

// Same bits: the fixture run in each runtime, against the Node CLI's hash.
const cli = JSON.parse(execFileSync(process.execPath, [`${root}/bin/gradnoise.js`, 'train', ...FIXTURE.cli, '--json'], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()).weightsSha256;
const fixtureHash = {
  node: script('node', { config: FIXTURE.config, trainLimit: FIXTURE.trainLimit, testLimit: FIXTURE.testLimit, workers: 2 }).weightsSha256,
  bun: script('bun', { config: FIXTURE.config, trainLimit: FIXTURE.trainLimit, testLimit: FIXTURE.testLimit, workers: 2 }).weightsSha256,
  deno: script('deno', { config: FIXTURE.config, trainLimit: FIXTURE.trainLimit, testLimit: FIXTURE.testLimit, workers: 2 }).weightsSha256,
  workerd: (await edge.train({ config: FIXTURE.config, trainLimit: FIXTURE.trainLimit })).weightsSha256,
  ...(browser ? { chromium: (await browser.run(FIXTURE.config.steps, FIXTURE.trainLimit, FIXTURE.testLimit)).hash } : {}),
};
await edge.close();
await browser?.close();

const result = [...rows.values()].map((r) => ({
  runtime: r.runtime, version: r.version, build: r.build, workers: r.workers, trainExamples: r.train,
  startupSeconds: stats(r.startup), examplesPerSecond: stats(r.samples),
  sameHashAsNode: fixtureHash[r.runtime] === cli, ...(r.note ? { note: r.note } : {}),
}));
if (json) console.log(JSON.stringify({ steps: STEPS, rounds: ROUNDS, nodeCliHash: cli, rows: result }));
else {
  const k = (x) => Math.round(x).toLocaleString('en'), s = (x) => x.toFixed(2);
  console.log(`paper net, clip + noise + SGD, batch 100, 4 shards, on ${k(TRAIN)} MNIST examples (workerd: ${k(EDGE_TRAIN)}); ` +
    `start-up: fit() to its first step; examples/s: ${STEPS} steps after ${WARM}; median (min-max) of ${ROUNDS} rounds\n`);
  console.log('| runtime | version | build | workers | fit() to first step, s | examples/s | weights hash = Node\'s |\n|---|---|---|---|---|---|---|');
  for (const r of result) {
    const a = r.startupSeconds, e = r.examplesPerSecond;
    console.log(`| ${r.runtime} | ${r.version} | ${r.build} | ${r.workers} | ${s(a.median)} (${s(a.min)}-${s(a.max)}) | ` +
      `${k(e.median)} (${k(e.min)}-${k(e.max)})${r.note ? ` (${r.note})` : ''} | ${r.sameHashAsNode ? 'yes' : 'NO'} |`);
  }
}
