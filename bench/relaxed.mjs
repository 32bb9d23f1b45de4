// The opt-in relaxed build (GEMMs on f32x4.relaxed_madd) against the deterministic baseline, in every
// runtime here that has relaxed SIMD: Deno, Node 20 started with --experimental-wasm-relaxed-simd, Bun,
// and Debian's Chromium (headless, through playwright-core, on a cross-origin isolated page). Each runtime
// runs bench/relaxed-runner.mjs in its own process (Chromium: a page of a small local server), which times
// both builds in interleaved rounds: the register-resident roofline, the GEMMs (512^3 in three forms, the
// wide net's and the paper net's first layer) and the paper net's training step (clip + noise + SGD,
// 4 shards) inline (and on 2 workers). Prints per runtime the medians (min-max) and the median of the
// per-round ratios relaxed/baseline, and whether the GEMM bits differ (only where the engine fuses);
// --json adds every figure as one JSON line at the end.
//
//   npm run bench:relaxed [-- [--runtimes deno,node,bun,chromium] [--rounds 7] [--steps 150] [--workers] [--json]]
//   (run quoted figures through /work/wt/quiet on the shared machine)
//
// Time is CPU time (the runner's process, or Chromium's page thread through the DevTools protocol), except
// on workers (--workers adds the 2-worker step), where it is wall time and needs two idle cores to mean much.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (flag, d) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : d);
const runtimes = arg('--runtimes', 'deno,node,bun,chromium').split(',');
const options = { rounds: Number(arg('--rounds', 7)), steps: Number(arg('--steps', 150)), workers: process.argv.includes('--workers') };
const json = process.argv.includes('--json');
const CHROMIUM = process.env.GRADNOISE_CHROMIUM ?? '/usr/bin/chromium';
const RUNNER = `${root}/bench/relaxed-runner.mjs`;
const log = (m) => process.stderr.write(`${m}\n`);

const CMD = {
  deno: (o) => [`${root}/node_modules/.bin/deno`, 'run', '--allow-read', RUNNER, JSON.stringify(o)],
  node: (o) => [process.execPath, '--experimental-wasm-relaxed-simd', RUNNER, JSON.stringify(o)],
  bun: (o) => [`${root}/node_modules/.bin/bun`, RUNNER, JSON.stringify(o)],
};

/** A static server for the page: dist/browser, build and bench, cross-origin isolated (shared memory, workers). */
function serve() {
  const server = createServer((req, res) => {
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-cache' };
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
      return res.end('<!doctype html><meta charset="utf-8"><title>relaxed bench</title>');
    }
    const file = normalize(join(root, path));
    const allowed = ['dist/browser', 'build', 'bench'].some((d) => file.startsWith(join(root, d) + sep));
    if (!allowed || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404, headers); return res.end(); }
    const type = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' }[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() })));
}

async function chromium(o) {
  const { chromium: launcher } = await import('playwright-core');
  const server = await serve();
  const browser = await launcher.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => log(`  chromium: ${m.text()}`));
    await page.goto(server.url);
    // The page thread's CPU time, for the runner's clock.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    await page.exposeFunction('__threadMs', async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime').value * 1000);
    const r = await page.evaluate(async (o) => {
      const g = await import('/dist/browser/gradnoise.js');
      const { measure } = await import('/bench/relaxed-runner.mjs');
      if (!g.relaxedSimdAvailable()) throw new Error('this Chromium has no relaxed SIMD');
      const shared = g.threadsAvailable(), kind = shared ? 'threads' : 'single';
      const bytes = async (name) => new Uint8Array(await (await fetch(`/build/gradnoise.${name}.wasm`)).arrayBuffer());
      const r = await measure({ gradnoise: g, cores: { baseline: await bytes(kind), relaxed: await bytes(`${kind}-relaxed`) }, shared, ...o, clock: () => globalThis.__threadMs(), log: console.log });
      return { runtime: { ...g.runtimeInfo(), name: 'chromium' }, build: kind, ...r };
    }, o);
    return { ...r, runtime: { ...r.runtime, version: browser.version() } };
  } finally {
    await browser.close();
    server.close();
  }
}

const results = [];
for (const rt of runtimes) {
  log(`${rt}:`);
  if (rt === 'chromium') {
    if (!existsSync(CHROMIUM)) { log(`  skipped: ${CHROMIUM} does not exist`); continue; }
    results.push(await chromium(options));
    continue;
  }
  const [file, ...args] = CMD[rt](options);
  const out = execFileSync(file, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 << 20 });
  results.push(JSON.parse(out.trim().split('\n').pop()));
}

{
  const f1 = (s) => `${s.median.toFixed(1)} (${s.min.toFixed(1)}-${s.max.toFixed(1)})`;
  const f0 = (s) => `${Math.round(s.median)} (${Math.round(s.min)}-${Math.round(s.max)})`;
  const ratio = (r) => `${r.median.toFixed(2)} (${r.min.toFixed(2)}-${r.max.toFixed(2)})`;
  console.log(`relaxed (f32x4.relaxed_madd) vs baseline (f32x4 mul + add) build; ${options.rounds} interleaved rounds, medians (min-max); ratio: median of per-round relaxed/baseline`);
  for (const r of results) {
    console.log(`\n${r.runtime.name} ${r.runtime.version} (${r.build} / ${r.build}-relaxed)`);
    console.log(`| figure | baseline | relaxed | relaxed / baseline | same bits |`);
    console.log(`|---|---|---|---|---|`);
    console.log(`| roofline, GFLOP/s | ${f1(r.roofline.baseline)} | ${f1(r.roofline.relaxed)} | ${ratio(r.roofline.ratio)} | |`);
    for (const g of r.gemm) console.log(`| GEMM ${g.form} ${g.M}x${g.K}x${g.N} (${g.label}), GFLOP/s | ${f1(g.baseline)} | ${f1(g.relaxed)} | ${ratio(g.ratio)} | ${g.sameBits ? 'yes' : 'no'} |`);
    for (const t of r.training) {
      console.log(`| paper net step (clip + noise + SGD, 4 shards), ${t.workers ? `${t.workers} workers` : 'inline'}, examples/s (${t.builds.join(' / ')}) | ${f0(t.baseline)} | ${f0(t.relaxed)} | ${ratio(t.ratio)} | |`);
    }
  }
}
if (json) console.log(JSON.stringify({ options, results }));
