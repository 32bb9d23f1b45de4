// The first fit() on workers, as a new user meets it (issue #22): the paper's net on 2 workers, the whole
// MNIST training set prepared once, then fit({ steps: 10 }) twice. Prints, per runtime (Node, Bun, Deno,
// each in its own process, interleaved over rounds): createModel, prepare, the time from the first fit()
// call to its first step (onStep), the rest of that call, the second call, and the process's peak
// resident memory and CPU time (process.resourceUsage(), which all three implement).
//
//   npm run build && node bench/first-fit.mjs [--rounds 3] [--runtimes node,bun,deno] [--bundle PATH] [--json]
//
// --bundle measures another build of the package's Node bundle (default: this checkout's
// dist/node/gradnoise.js), such as an earlier commit's, built in a scratch copy, for a before/after.
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const arg = (flag, d) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : d);
const bundle = arg('--bundle', `${root}dist/node/gradnoise.js`);

if (argv.includes('--child')) {
  const g = await import(bundle);
  const { train } = g.mnist();
  const t0 = performance.now();
  const m = await g.createModel(g.paperNet('he'), { batchSize: 100, seed: 1, workers: 2 });
  const t1 = performance.now();
  const p = m.prepare(train.x, train.y);
  const t2 = performance.now();
  let first = null;
  await m.fit(p, { steps: 10, onStep: () => { first ??= performance.now(); } });
  const t3 = performance.now();
  await m.fit(p, { steps: 10 });
  const t4 = performance.now();
  await m.dispose();
  const u = process.resourceUsage();
  console.log(JSON.stringify({
    examples: train.count, createMs: t1 - t0, prepareMs: t2 - t1, firstStepMs: first - t2, restOfFitMs: t3 - first, secondFitMs: t4 - t3,
    peakRssMiB: u.maxRSS / 1024, userS: u.userCPUTime / 1e6, systemS: u.systemCPUTime / 1e6,
  }));
} else {
  const rounds = Number(arg('--rounds', 3)), runtimes = arg('--runtimes', 'node,bun,deno').split(',');
  const self = fileURLToPath(import.meta.url), child = ['--child', '--bundle', bundle];
  const cmd = {
    node: [process.execPath, [self, ...child]],
    bun: [`${root}node_modules/.bin/bun`, [self, ...child]],
    deno: [`${root}node_modules/.bin/deno`, ['run', '--allow-read', '--allow-env', self, ...child]],
  };
  const got = Object.fromEntries(runtimes.map((r) => [r, []]));
  for (let i = 0; i < rounds; i++) {
    for (const r of runtimes) {
      const [file, args] = cmd[r];
      got[r].push(JSON.parse(execFileSync(file, args, { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()));
    }
  }
  if (argv.includes('--json')) console.log(JSON.stringify({ bundle, rounds, runs: got }));
  else {
    const cols = [['createMs', 'createModel'], ['prepareMs', 'prepare'], ['firstStepMs', 'first fit() to its first step'], ['restOfFitMs', 'rest of that fit'],
      ['secondFitMs', 'second fit (10 steps)'], ['peakRssMiB', 'peak RSS, MiB'], ['userS', 'user CPU, s'], ['systemS', 'system CPU, s']];
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const f = (x) => (x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(x >= 10 ? 1 : 2));
    console.log(`${bundle}\npaper net (He init), batch 100, 2 workers, ${got[runtimes[0]][0].examples.toLocaleString('en')} MNIST examples prepared once; ` +
      `times in ms; median (min-max) of ${rounds} rounds, runtimes interleaved\n`);
    console.log(`| runtime | ${cols.map((c) => c[1]).join(' | ')} |\n|---|${cols.map(() => '---').join('|')}|`);
    for (const r of runtimes) {
      console.log(`| ${r} | ${cols.map(([k]) => { const xs = got[r].map((x) => x[k]); return rounds > 1 ? `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})` : f(xs[0]); }).join(' | ')} |`);
    }
  }
}
