// Where a step's time goes on each thread, inline and on workers (issue #20, item 2): the paper's net
// (784 -> 20 x 50 ReLU -> 10, batch 100, SGD, the bench's training setup) trained with the profiler on,
// and the trace (docs/workers.md, "Profiling") cut into phases per step and per thread:
//   data     staging the shard's rows          shards   forward, loss and backward of the shards
//   update   reduction, pass 1 and pass 2       barrier  waiting at the step's barriers (spinning)
//   slept    waiting at a barrier asleep         between  from a step's end to the next one's start on
//                                                         that thread (the leader's loop, the top barrier)
// First, whether two threads at once each reach the roofline kernel's rate, and what the machine does to
// two threads that only read the clock for 2 s (one per core, nothing else to do): the gaps over 0.2 ms
// are time a thread lost its core, which a barrier passes on to the other.
// Each configuration runs in its own process, one after the other, on the same examples. Per-step figures
// are medians over the recorded steps; "quiet" steps are those under 1.5 x the median step, and the rest
// are counted with the share of the wall time they take. Recording reads the clock around each op, so the
// absolute times are a little above an unprofiled run's; the bench (npm run bench) has the throughput.
//
// Usage: npm run build && node bench/worker-timeline.mjs [--steps 400] [--configs 0x1,1x4,2x4] [--spin LOADS]
// (--spin: the adaptive spin's longest spin in loads instead of the default's)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const PHASES = ['data', 'shards', 'update', 'barrier', 'slept', 'between'];

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

if (!isMainThread && workerData === 'roofline') {
  // The roofline kernel of npm run bench, on this thread: GFLOP/s.
  const { createMemory, instantiateCore, loadCoreModule } = await import('../dist/src/core/wasm.js');
  const { readCoreBuild } = await import('../dist/src/runtime/threads.js');
  const mod = await loadCoreModule('threads', readCoreBuild);
  const k = instantiateCore(mod, createMemory(mod, 64)).exports, iters = 2e7;
  k.roofline_f32(iters / 10, 1);
  const t = performance.now();
  k.roofline_f32(iters, 1);
  parentPort.postMessage((96 * iters) / ((performance.now() - t) / 1e3) / 1e9);
} else if (!isMainThread) {
  // A clock reader: the gaps over 0.2 ms between two readings, for 2 s.
  const gaps = [];
  let last = performance.now();
  for (const end = last + 2000; last < end;) {
    const t = performance.now();
    if (t - last > 0.2) gaps.push(t - last);
    last = t;
  }
  parentPort.postMessage(gaps);
} else if (process.argv[2] === '--child') {
  const { createModel, mnist, paperNet, sgd } = await import('../dist/src/index.js');
  const [workers, shards, steps] = process.argv.slice(3, 6).map(Number);
  // The spin before a barrier sleeps (runtime/sync.ts), through the testing hook bench/barrier-spin.mjs uses.
  if (process.argv[6] !== 'default') globalThis[Symbol.for('gradnoise.testing.spin')] = { max: Number(process.argv[6]), adaptive: true };
  const { x, y } = mnist({ limit: { train: 10000, test: 1 } }).train;
  const model = await createModel(paperNet('he'), { batchSize: 100, seed: 1, workers, shards, optimizer: sgd({ lr: 0.01 }) });
  const data = model.prepare(x, y);
  await model.fit(data, { steps: 300 }); // warm-up: the workers' start and the engines' tier-up
  const h = await model.fit(data, { steps, profile: { from: 0, steps } });
  await model.dispose();
  process.stdout.write(JSON.stringify(summarise(h.profile.traceEvents)));
} else {
  const steps = Number(arg('steps', 400));
  const configs = arg('configs', '0x1,1x4,2x4').split(',').map((c) => c.split('x').map(Number));
  const spin = arg('spin', 'default');
  const self = fileURLToPath(import.meta.url);
  const threads = (n, job) => Promise.all(Array.from({ length: n }, () => new Promise((done, fail) => {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: job });
    w.once('message', (m) => { done(m); void w.terminate(); });
    w.once('error', fail);
  })));
  // Can two threads each run at the roofline? (Two vCPUs may share one core's vector units.)
  const roofOne = [], roofTwo = [];
  for (let r = 0; r < 3; r++) {
    roofOne.push(...(await threads(1, 'roofline')));
    roofTwo.push((await threads(2, 'roofline')).reduce((a, g) => a + g, 0));
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`roofline, GFLOP/s (median of 3): one thread ${med(roofOne).toFixed(1)}; two threads at once ${med(roofTwo).toFixed(1)} together, ${(med(roofTwo) / med(roofOne)).toFixed(2)}x one\n`);
  const readers = await threads(2, 'clock');
  console.log('two threads reading the clock for 2 s: gaps over 0.2 ms');
  readers.forEach((g, i) => {
    const top = [...g].sort((a, b) => b - a).slice(0, 3).map((x) => x.toFixed(1)).join(', ');
    console.log(`  thread ${i + 1}: ${g.length} gaps, ${g.reduce((a, x) => a + x, 0).toFixed(1)} ms in all (${(g.reduce((a, x) => a + x, 0) / 20).toFixed(1)}%), longest ${top} ms`);
  });
  console.log(`\npaper net, batch 100, SGD: ${steps} profiled steps per configuration after 300 of warm-up; µs per step, medians over the steps`);
  const rows = [];
  for (const [workers, shards] of configs) {
    const s = JSON.parse(execFileSync(process.execPath, [self, '--child', String(workers), String(shards), String(steps), spin], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    rows.push({ workers, shards, ...s });
    const name = `${workers === 0 ? 'inline' : `${workers} worker${workers > 1 ? 's' : ''}`}, ${shards} shard${shards > 1 ? 's' : ''}`;
    console.log(`\n${name}: step median ${s.median} (p90 ${s.p90}, max ${s.max}); wall per step ${s.wallPerStep}; ` +
      `${s.slow} of ${s.steps} steps over 1.5 x the median take ${s.slowShare}% of the wall time`);
    console.log(`  all steps, per thread:   ${PHASES.join(' / ')}`);
    for (const t of s.threads) console.log(`    thread ${t.tid}: ${PHASES.map((p) => t.all[p]).join(' / ')}`);
    console.log(`  quiet steps, per thread: ${PHASES.join(' / ')}`);
    for (const t of s.threads) console.log(`    thread ${t.tid}: ${PHASES.map((p) => t.quiet[p]).join(' / ')}`);
    if (s.slow > 0) {
      console.log(`  slow steps, per thread:  ${PHASES.join(' / ')}`);
      for (const t of s.threads) console.log(`    thread ${t.tid}: ${PHASES.map((p) => t.slow[p]).join(' / ')}`);
    }
  }
  const inline = rows.find((r) => r.workers === 0), two = rows.find((r) => r.workers === 2);
  if (inline && two) {
    console.log(`\ninline over 2 workers, step time: median steps ${(inline.median / two.median).toFixed(2)}x, wall ${(inline.wallPerStep / two.wallPerStep).toFixed(2)}x`);
  }
}

function summarise(events) {
  const spans = events.filter((e) => e.ph === 'X');
  const tids = [...new Set(spans.map((e) => e.tid))].sort((a, b) => a - b);
  const phaseOf = (e) => {
    if (e.cat === 'data') return 'data';
    if (e.cat === 'shard') return 'shards';
    if (e.cat === 'update') return 'update';
    if (e.cat === 'barrier') return e.name.includes('slept') ? 'slept' : 'barrier';
    return null; // ops (inside a shard's span) and the step itself
  };
  const leaderSteps = spans.filter((e) => e.name === 'step' && e.tid === tids[0]).sort((a, b) => a.ts - b.ts);
  const durations = leaderSteps.map((e) => e.dur);
  const median = quantile(durations, 0.5);
  const quiet = new Set(leaderSteps.map((e, i) => (e.dur < 1.5 * median ? i : -1)).filter((i) => i >= 0));
  const wall = leaderSteps.at(-1).ts + leaderSteps.at(-1).dur - leaderSteps[0].ts;
  const threads = tids.map((tid) => {
    const mine = spans.filter((e) => e.tid === tid).sort((a, b) => a.ts - b.ts);
    const steps = mine.filter((e) => e.name === 'step');
    const per = steps.map((s, i) => {
      const p = Object.fromEntries(PHASES.map((k) => [k, 0]));
      for (const e of mine) {
        const k = e.ts >= s.ts && e.ts < s.ts + s.dur ? phaseOf(e) : null;
        if (k) p[k] += e.dur;
      }
      // The next step's top barrier and, on the leader, its loop.
      p.between = i + 1 < steps.length ? Math.max(0, steps[i + 1].ts - (s.ts + s.dur)) : 0;
      return p;
    });
    // Steps of other threads are matched to the leader's by index (each thread records the same steps).
    const pick = (f) => Object.fromEntries(PHASES.map((k) => [k, Math.round(quantile(per.filter((_, i) => f(i)).map((p) => p[k]), 0.5))]));
    return { tid, all: pick(() => true), quiet: pick((i) => quiet.has(i)), slow: pick((i) => !quiet.has(i)) };
  });
  const slow = durations.filter((d) => d >= 1.5 * median);
  return {
    steps: durations.length, median: Math.round(median), p90: Math.round(quantile(durations, 0.9)), max: Math.round(Math.max(...durations)),
    wallPerStep: Math.round(wall / durations.length), slow: slow.length, slowShare: Math.round((100 * slow.reduce((a, d) => a + d, 0)) / wall), threads,
  };
}

function quantile(a, q) {
  if (a.length === 0) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
