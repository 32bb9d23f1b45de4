// Sweep throughput: short runs per minute through `gradnoise sweep`, on the local pool with 1, 2 and 4
// processes, and over BullMQ on a redis-server started here (loopback, no persistence) with 1, 2 and 4
// `gradnoise worker` processes. Each figure is the wall time of the whole `gradnoise sweep` command over
// fresh OUT directories (process start, data loading in every process, the report and its plot
// included), medians of --reps repetitions, configurations interleaved. Workers are started before the
// clock (they are long-lived daemons) on a fresh queue per repetition. `node bench/sweeps.mjs [--reps 3]
// [--runs 48] [--steps 300] [--json]` (after npm run build). On a 2-core machine 4 processes oversubscribe the cores.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, d) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : d; };
const json = process.argv.includes('--json');
const reps = arg('--reps', 3), runs = arg('--runs', 48), steps = arg('--steps', 300);
const log = (...a) => { if (!json) console.log(...a); };
const BIN = fileURLToPath(new URL('../bin/gradnoise.js', import.meta.url));
const REDIS = process.env.GRADNOISE_REDIS_SERVER ?? '/usr/bin/redis-server';
const dir = mkdtempSync(join(os.tmpdir(), 'gradnoise-bench-sweeps-'));

// A short run: 784-16-16-10 ReLU, --steps (300) steps of batch 50 on 1,000 MNIST images, tested on 200 per epoch.
const seeds = runs / 4;
const spec = join(dir, 'bench.json');
writeFileSync(spec, JSON.stringify({
  name: 'bench', base: { depth: 2, width: 16, steps, batchSize: 50 }, grid: { lr: [0.1, 0.05], init: ['he', 'glorot'] },
  seeds, data: { trainLimit: 1000, testLimit: 200 },
}));

function start(args) {
  const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  c.stdout.on('data', (d) => { out += d; });
  c.stderr.on('data', (d) => { err += d; });
  const exit = new Promise((resolve) => c.on('exit', (code) => resolve(code)));
  return { c, out: () => out, err: () => err, exit };
}

async function waitFor(ok, ms) {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const freePort = () => new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

let redis = null, url = null;
if (existsSync(REDIS)) {
  const port = await freePort();
  url = `redis://127.0.0.1:${port}`;
  redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  redis.stdout.on('data', (d) => { text += d; });
  await waitFor(() => /Ready to accept connections/.test(text), 20_000);
} else log(`(no ${REDIS}: the Redis figures are skipped)`);

const configs = [
  ...[1, 2, 4].map((n) => ({ name: `local, ${n} process${n === 1 ? '' : 'es'}`, kind: 'local', n })),
  ...(url ? [1, 2, 4].map((n) => ({ name: `Redis, ${n} worker${n === 1 ? '' : 's'}`, kind: 'redis', n })) : []),
];
const times = new Map(configs.map((c) => [c.name, []]));
// Seconds each run took in its process: when they grow with the process count, the cores are saturated.
const perRun = new Map(configs.map((c) => [c.name, []]));
const load0 = os.loadavg()[0];
let k = 0;
try {
  for (let rep = 0; rep < reps; rep++) {
    for (const cfg of configs) {
      const out = join(dir, `out-${k++}`);
      let args = ['sweep', spec, '--out', out, '--quiet'];
      const workers = [];
      if (cfg.kind === 'local') args.push('--jobs', String(cfg.n));
      else {
        const queue = `bench-${k}`;
        args.push('--queue', url, '--queue-name', queue);
        for (let w = 0; w < cfg.n; w++) workers.push(start(['worker', '--queue', url, '--queue-name', queue]));
        await waitFor(() => workers.every((w) => /taking jobs/.test(w.out())), 30_000);
      }
      const t0 = performance.now();
      const s = start(args);
      const code = await s.exit;
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) throw new Error(`${cfg.name}: gradnoise sweep exited with ${code}\n${s.err()}`);
      for (const w of workers) w.c.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exit));
      times.get(cfg.name).push(seconds);
      const secs = readdirSync(join(out, 'runs')).map((f) => JSON.parse(readFileSync(join(out, 'runs', f), 'utf8')).summary.seconds);
      perRun.get(cfg.name).push(secs.reduce((a, b) => a + b, 0) / secs.length);
      rmSync(out, { recursive: true, force: true });
      log(`  rep ${rep + 1}, ${cfg.name}: ${seconds.toFixed(1)} s`);
    }
  }
} finally {
  redis?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const result = {
  machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), node: process.version, loadAverage: [load0, os.loadavg()[0]] },
  runs, reps, run: `784-16-16-10 ReLU, ${steps} steps of batch 50 on 1,000 MNIST images, tested on 200 after each of its ${Math.ceil(steps / 20)} epochs; 0 worker threads per run`,
  figures: configs.map((c) => {
    const t = times.get(c.name);
    return { config: c.name, medianSeconds: median(t), runsPerMinute: (60 * runs) / median(t), min: Math.min(...t), max: Math.max(...t), secondsPerRun: median(perRun.get(c.name)) };
  }),
};
log(`\n${runs} runs per sweep (${result.run}), ${result.machine.cores} cores, median of ${reps}; load average ${load0.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end:`);
log('| how | sweep wall time | runs per minute | seconds per run, in its process |');
log('|---|---|---|---|');
for (const f of result.figures) log(`| ${f.config} | ${f.medianSeconds.toFixed(1)} s (${f.min.toFixed(1)}-${f.max.toFixed(1)}) | ${Math.round(f.runsPerMinute)} | ${f.secondsPerRun.toFixed(2)} |`);
if (json) console.log(JSON.stringify(result));
