// How workers wait at their barriers, on a quiet machine and on a busy one: a waiting worker spins
// (fastest when every worker has a core of its own) and then sleeps (Atomics.wait). When another process
// takes a core, a spinning worker burns the time slice its partner needs. Three policies, each in its own
// process, interleaved in rounds: a fixed spin of 50,000 loads (before), no spin, and the adaptive spin
// (the default: a wait the spin outlasts halves the next spin, one that ends while spinning doubles it).
// "Busy" runs one CPU-bound process beside the benchmark. Paper net, clip + noise + SGD, 2 workers,
// 1,500 steps per sample after 100 of warm-up; medians (min-max) of the rounds.
//
// Usage: npm run build && node bench/barrier-spin.mjs [--rounds N]
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const POLICIES = { 'fixed 50,000': { max: 50000, adaptive: false }, 'no spin': { max: 0, adaptive: false }, 'adaptive (default)': { max: 50000, adaptive: true } };

if (process.argv[2] === '--child') {
  const { chain, clipByGlobalNorm, addNoise, createModel, mnist, paperNet, sgd } = await import('../dist/src/index.js');
  globalThis[Symbol.for('gradnoise.testing.spin')] = JSON.parse(process.argv[3]);
  const { x, y } = mnist({ limit: { train: 10000, test: 1 } }).train;
  const m = await createModel(paperNet(), { batchSize: 100, seed: 1, workers: 2, optimizer: chain(clipByGlobalNorm(10), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.01 })) });
  const data = m.prepare(x, y);
  await m.fit(data, { steps: 100 });
  const t = performance.now();
  await m.fit(data, { steps: 1500 });
  process.stdout.write(`${150000 / ((performance.now() - t) / 1000)}\n`);
  await m.dispose();
} else {
  const self = fileURLToPath(import.meta.url);
  const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  const fmt = (a) => `${Math.round(median(a)).toLocaleString('en-US')} (${Math.round(Math.min(...a)).toLocaleString('en-US')}-${Math.round(Math.max(...a)).toLocaleString('en-US')})`;
  console.log('paper net, clip + noise + SGD, batch 100, 2 workers: training examples/s, median (min-max) of', rounds, 'rounds');
  for (const busy of [false, true]) {
    const hog = busy ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : null;
    const got = Object.fromEntries(Object.keys(POLICIES).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, policy] of Object.entries(POLICIES)) {
        got[name].push(Number(execFileSync(process.execPath, [self, '--child', JSON.stringify(policy)], { encoding: 'utf8' }).trim()));
      }
    }
    hog?.kill();
    const base = got['fixed 50,000'];
    console.log(busy ? 'busy (one CPU-bound process beside it):' : 'quiet:');
    for (const [name, a] of Object.entries(got)) {
      const ratio = a.map((v, i) => v / base[i]);
      console.log(`  ${name.padEnd(19)} ${fmt(a)}${name === 'fixed 50,000' ? '' : `; ${median(ratio).toFixed(2)}x the fixed spin (${Math.min(...ratio).toFixed(2)}-${Math.max(...ratio).toFixed(2)})`}`);
    }
  }
}
