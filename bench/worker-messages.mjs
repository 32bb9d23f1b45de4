// What it costs to hand a worker a training set in shared memory, in each runtime (issue #22): the time
// from postMessage to the worker's reply, and how much the process's resident memory grew meanwhile, for
// MNIST-sized inputs (784 floats per example) posted as a Float32Array over a SharedArrayBuffer (what
// fit() posted before) and in toWire's form (the buffer, its offset and length: what gradnoise posts now,
// runtime/protocol.ts). Node, Bun and Deno each run this file in their own process, on node:worker_threads
// as the library does there, one fresh worker per post, the two forms alternating. Chromium's Web
// Workers are timed by the runtime matrix (bench/runtimes.mjs, its start-up column).
//
//   npm run bench:messages [-- --rows 500,2000,8000,60000 --rounds 3 --json]
//
// The Float32Array form is posted only up to --view-max rows (default 8000): in Deno its cost grows faster
// than the data, and the full 60,000 rows took minutes there.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const arg = (flag, d) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : d);

if (!isMainThread) {
  const { fromWire } = await import('../dist/src/runtime/protocol.js');
  parentPort.on('message', (m) => {
    const d = fromWire(m);
    parentPort.postMessage({ length: d.x.length, first: d.x[0] });
  });
  parentPort.postMessage('ready');
} else if (argv.includes('--child')) {
  const { toWire } = await import('../dist/src/runtime/protocol.js');
  const rows = arg('--rows', '500').split(',').map(Number), rounds = Number(arg('--rounds', 3)), viewMax = Number(arg('--view-max', 8000));
  const rss = () => (globalThis.Deno ? globalThis.Deno.memoryUsage().rss : process.memoryUsage().rss);
  const out = [];
  async function post(form, n) {
    const x = new Float32Array(new SharedArrayBuffer(n * 784 * 4));
    x[0] = 1;
    const w = new Worker(new URL(import.meta.url));
    await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    const before = rss();
    const t = performance.now();
    w.postMessage(form === 'view' ? { x } : toWire({ x }));
    const reply = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    const ms = performance.now() - t;
    const mib = (rss() - before) / 2 ** 20;
    await w.terminate();
    if (reply.length !== x.length || reply.first !== 1) throw new Error(`the worker read ${JSON.stringify(reply)}`);
    return { ms, mib };
  }
  for (const n of rows) {
    const forms = n > viewMax ? ['wire'] : ['view', 'wire'];
    const got = forms.map((form) => ({ rows: n, form, ms: [], mib: [] }));
    for (let r = 0; r < rounds; r++) {
      for (const g of got) { const s = await post(g.form, n); g.ms.push(s.ms); g.mib.push(s.mib); }
    }
    for (const g of got) out.push({ rows: n, form: g.form, ms: g.ms, rssGrowthMiB: Math.max(...g.mib) });
  }
  console.log(JSON.stringify(out));
} else {
  const rows = arg('--rows', '500,2000,8000,60000'), rounds = arg('--rounds', '3'), viewMax = arg('--view-max', '8000');
  const child = ['--child', '--rows', rows, '--rounds', rounds, '--view-max', viewMax];
  const cmd = {
    node: [process.execPath, [fileURLToPath(import.meta.url), ...child]],
    bun: [`${root}node_modules/.bin/bun`, [fileURLToPath(import.meta.url), ...child]],
    deno: [`${root}node_modules/.bin/deno`, ['run', '--allow-read', '--allow-env', fileURLToPath(import.meta.url), ...child]],
  };
  const result = {};
  for (const [runtime, [file, args]] of Object.entries(cmd)) {
    result[runtime] = JSON.parse(execFileSync(file, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop());
  }
  if (argv.includes('--json')) console.log(JSON.stringify(result));
  else {
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const f = (ms) => (ms >= 100 ? Math.round(ms).toLocaleString('en') : ms.toFixed(1));
    console.log(`postMessage to a fresh worker until its reply: median (min-max) of ${rounds} posts in ms; how much the process's RSS grew from the post to the reply (largest of the posts)\n`);
    console.log('| runtime | examples (MiB of inputs) | Float32Array over the SharedArrayBuffer | toWire form (buffer, offset, length) |\n|---|---|---|---|');
    for (const [runtime, rs] of Object.entries(result)) {
      for (const n of new Set(rs.map((r) => r.rows))) {
        const cell = (form) => {
          const r = rs.find((x) => x.rows === n && x.form === form);
          return r ? `${f(median(r.ms))} (${f(Math.min(...r.ms))}-${f(Math.max(...r.ms))}) ms, +${Math.round(r.rssGrowthMiB)} MiB` : 'not run';
        };
        console.log(`| ${runtime} | ${n.toLocaleString('en')} (${Math.round((n * 784 * 4) / 2 ** 20)}) | ${cell('view')} | ${cell('wire')} |`);
      }
    }
  }
}
