// The demo page in a real headless Chromium (Debian's, driven by playwright-core; never a downloaded
// browser), served by examples/browser/serve.mjs: it trains the paper's net on MNIST in Web Workers with 2
// workers per run, its page thread stays responsive, its charts update, and the final weights hashes equal
// the ones `gradnoise train` prints in Node for the same flags. Served without cross-origin isolation it
// falls back to one worker per run, says so, and gives the same hashes. On the whole MNIST training set,
// its first step comes about as soon as in Node.
//
// Needs the browser bundle (npm run build) and /usr/bin/chromium (apt-get install chromium; .ci/run does).
// Without chromium these tests are skipped with a warning, unless GRADNOISE_BROWSER_TESTS=required (set by
// .ci/run), which makes a missing browser a failure.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { startServer } from '../../../examples/browser/serve.mjs';

const CHROMIUM = process.env.GRADNOISE_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const BIN = fileURLToPath(new URL('../../../bin/gradnoise.js', import.meta.url));
const found = existsSync(CHROMIUM);
if (!found && process.env.GRADNOISE_BROWSER_TESTS === 'required') {
  throw new Error(`the browser tests are required (GRADNOISE_BROWSER_TESTS=required) but ${CHROMIUM} does not exist: apt-get install -y chromium`);
}
if (!found) console.warn(`browser tests skipped: ${CHROMIUM} does not exist (apt-get install -y chromium, or set GRADNOISE_CHROMIUM)`);

// One configuration, as page parameters and as CLI flags: the paper's 20 x 50 ReLU net, simple init,
// lr 0.1, clip 10, noise eta 0.01 (gamma 0.55), seed 3, batch 100, 4 shards, 2000 training examples. With
// noise it is the run of test/fixtures/cross-runtime.json, which every other runtime trains too
// (test/ts/runtimes): the page must get its hash.
const FIXTURE = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/cross-runtime.json', import.meta.url)), 'utf8'));
const STEPS = 60;
const PAGE = `steps=${STEPS}&limit=2000&testLimit=500&seed=3&init=simple&lr=0.1&clip=10&eta=0.01&gamma=0.55`;
// With the page's defaults (seed 1), the step where the curves part: bench/measured/demo-defaults.txt.
const DEFAULT_PARTED = 964;
const CLI = ['--train-limit', '2000', '--test-limit', '500', '--seed', '3', '--init', 'simple', '--lr', '0.1', '--clip', '10', '--steps', String(STEPS), '--json'];

function cliHash(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(process.execPath, [BIN, 'train', ...args], (e, out, err) => {
    if (e) return reject(new Error(`gradnoise train failed: ${err}`));
    resolve(JSON.parse(out.trim().split('\n').pop()!).weightsSha256);
  }));
}

interface PageRun {
  state: string; text: string; isolated: boolean; isolationNote: string; hashes: { noise?: string; plain?: string };
  workers: { noise?: string; plain?: string }; longestPause: number; longestTask: number; longTasksObserved?: string; draws: number; drawsWhileTraining: number; lossPoints: number;
  wasmOnPageThread: string[];
}

// Counts every use of WebAssembly on the page's own thread (init scripts run in the page, not in its
// workers): training there would have to compile or instantiate the core.
const WATCH_WASM = () => {
  const used: string[] = [];
  (globalThis as unknown as { __wasmOnPageThread: string[] }).__wasmOnPageThread = used;
  const W = WebAssembly as unknown as Record<string, unknown>;
  for (const name of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming', 'validate']) {
    const f = W[name] as ((...a: unknown[]) => unknown) | undefined;
    if (f) W[name] = (...a: unknown[]) => { used.push(name); return f.apply(WebAssembly, a); };
  }
  for (const name of ['Module', 'Instance', 'Memory']) {
    const C = W[name] as new (...a: unknown[]) => object;
    W[name] = new Proxy(C, { construct(t, a) { used.push(name); return new t(...a); } });
  }
};

async function trainOnPage(page: Page, url: string): Promise<PageRun> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(WATCH_WASM);
  await page.goto(url);
  // Chart redraws seen before the runs finish: the chart must move while training, not only at the end.
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#status')!.getAttribute('data-state')!), null, { timeout: 180_000 });
  expect(errors).toEqual([]);
  return page.evaluate(() => {
    const b = document.body.dataset;
    const row = (n: string) => document.querySelector<HTMLElement>(`#run-${n}`)!.dataset.hash;
    return {
      state: document.querySelector('#status')!.getAttribute('data-state')!, text: document.querySelector('#status')!.textContent!,
      isolated: self.crossOriginIsolated, isolationNote: document.querySelector('#isolation')!.textContent!,
      hashes: { noise: row('noise'), plain: row('plain') }, workers: { noise: b.noiseWorkers, plain: b.plainWorkers },
      longestPause: Number(b.longestPause), longestTask: Number(b.longestTask), longTasksObserved: b.longTasksObserved, draws: Number(b.draws), drawsWhileTraining: Number(b.drawsWhileTraining),
      lossPoints: Number(b.lossPoints), wasmOnPageThread: (globalThis as unknown as { __wasmOnPageThread: string[] }).__wasmOnPageThread,
    };
  });
}

describe.skipIf(!found)('the demo page in headless Chromium', () => {
  let browser: Browser;
  const expected: { noise?: string; plain?: string } = {};
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    [expected.noise, expected.plain] = await Promise.all([cliHash([...CLI, '--eta', '0.01', '--gamma', '0.55']), cliHash(CLI)]);
    expect(expected.noise).toBe(FIXTURE.weightsSha256);
  });
  afterAll(async () => { await browser?.close(); });

  it('cross-origin isolated: 2 Web Workers per run, a responsive page, live charts, and the Node CLI\'s weights hashes', async () => {
    const server = await startServer({ port: 0, isolation: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const r = await trainOnPage(page, `${server.url}?${PAGE}&workers=2&auto=1`);
      expect(r.state, r.text).toBe('done');
      expect(r.isolated).toBe(true);
      expect(r.workers).toEqual({ noise: '2', plain: '2' });
      expect(r.hashes).toEqual(expected);
      // The page thread only draws: it never compiles or instantiates wasm, so no training can run on it.
      // It stays responsive: its 20 ms ticks keep coming and no task on it (the Long Tasks API reports
      // those over 50 ms) nears a second. On a quiet machine there is no long task at all and the ticks
      // are at most about 40 ms apart; the bounds leave room for a machine busy with other tests (a CI
      // run once saw a 63 ms task while the other test files trained on both cores).
      expect(r.wasmOnPageThread).toEqual([]);
      expect(r.longTasksObserved).toBe('yes');
      expect(r.longestTask).toBeLessThan(1000);
      expect(r.longestPause).toBeLessThan(1000);
      expect(r.drawsWhileTraining).toBeGreaterThanOrEqual(3);
      expect(r.lossPoints).toBe(2 * STEPS);
    } finally {
      await server.close();
    }
  });

  // On the whole MNIST training set, the first step comes about as soon as in Node: the bound of
  // test/ts/runtimes (5x Node's start-up, or 5 s on a loaded machine), for the page's 2 Web Workers.
  it('the whole training set: the first step within 5x Node\'s start-up (or 5 s), to Node\'s bits', async () => {
    const node = await new Promise<{ startupSeconds: number; weightsSha256: string }>((resolve, reject) => execFile(process.execPath,
      [fileURLToPath(new URL('../../runtimes/train.mjs', import.meta.url)), JSON.stringify({ config: { ...FIXTURE.config, steps: 10 }, trainLimit: 60000, testLimit: 0, workers: 2 })],
      (e, out, err) => (e ? reject(new Error(`test/runtimes/train.mjs failed: ${err}`)) : resolve(JSON.parse(out.trim().split('\n').pop()!)))));
    const server = await startServer({ port: 0, isolation: true });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}?steps=10&limit=60000&testLimit=100&seed=3&init=simple&lr=0.1&clip=10&eta=0.01&gamma=0.55&workers=2&only=noise&auto=1`);
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#status')!.getAttribute('data-state')!), null, { timeout: 180_000 });
      const r = await page.evaluate(() => {
        const row = document.querySelector<HTMLElement>('#run-noise')!.dataset;
        return { text: document.querySelector('#status')!.textContent!, startupSeconds: row.startupSeconds, hash: row.hash, workers: document.body.dataset.noiseWorkers };
      });
      expect(r.workers, r.text).toBe('2');
      expect(Number(r.startupSeconds), `Chromium: start-up ${r.startupSeconds} s, Node's ${node.startupSeconds} s`).toBeLessThan(Math.max(5 * node.startupSeconds, 5));
      expect(r.hash).toBe(node.weightsSha256);
    } finally {
      await server.close();
    }
  });

  // Issue #26: the first press, with the page's defaults, must show the paper's effect. The runs are the
  // bits bench/demo-defaults.mjs trains in Node (seed 1: the curves part at step DEFAULT_PARTED), so the
  // step is exact; the seconds to it and where the time goes are measured here and printed (figures for
  // the docs come from bench/demo-page.mjs, not from this test).
  it('the defaults: the noisy run leaves the noiseless one behind, the page says what to expect and when the curves parted', async () => {
    const server = await startServer({ port: 0, isolation: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}?auto=1`);
      await page.waitForFunction(() => document.querySelector('#status')!.getAttribute('data-state') === 'running', null, { timeout: 30_000 });
      const expectation = await page.textContent('#expect');
      expect(expectation).toContain('What to expect: without noise this 20-layer net never leaves 11% test accuracy');
      expect(expectation).toMatch(/With noise it starts learning after about \d+ steps/);
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#status')!.getAttribute('data-state')!), null, { timeout: 600_000 });
      expect(errors).toEqual([]);
      const r = await page.evaluate(() => ({
        state: document.querySelector('#status')!.getAttribute('data-state'), status: document.querySelector('#status')!.textContent,
        parted: document.querySelector('#parted')!.textContent, timing: document.querySelector('#timing')!.textContent, ...document.body.dataset,
      }));
      expect(r.state, r.status!).toBe('done');
      const noise = Number(r.noiseAccuracy), plain = Number(r.plainAccuracy);
      expect(plain).toBeLessThan(0.15); // the noiseless net never leaves 11%
      expect(noise).toBeGreaterThan(plain + 0.4);
      expect(Number(r.partedStep)).toBe(DEFAULT_PARTED);
      expect(r.parted).toContain(`The curves parted at step ${DEFAULT_PARTED} `);
      const time = JSON.parse(r.noiseTime!);
      for (const k of ['load', 'build', 'train', 'eval', 'other']) expect(time[k]).toBeGreaterThanOrEqual(0);
      console.log(`demo defaults in Chromium: test accuracy ${(100 * noise).toFixed(2)}% with noise, ${(100 * plain).toFixed(2)}% without; ` +
        `the curves parted at step ${r.partedStep}, ${r.partedSeconds} s after the press; ${r.wallSeconds} s to the end. ${r.timing}`);
    } finally {
      await server.close();
    }
  });

  it('not isolated: one worker per run, the page says so, and the same hashes', async () => {
    const server = await startServer({ port: 0, isolation: false });
    try {
      const page = await browser.newPage();
      const r = await trainOnPage(page, `${server.url}?${PAGE}&workers=2&auto=1`);
      expect(r.state, r.text).toBe('done');
      expect(r.isolated).toBe(false);
      expect(r.isolationNote).toContain('not cross-origin isolated (no SharedArrayBuffer): each run trains on one Web Worker');
      expect(r.workers).toEqual({ noise: '0', plain: '0' });
      expect(r.hashes).toEqual(expected);
    } finally {
      await server.close();
    }
  });
});
