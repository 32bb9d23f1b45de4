// Where gradnoise's training step goes on the graph workloads of the peer benchmarks (W5-W7 of models.mjs):
// every op's forward and backward timed, node by node, on the plain single-threaded step (workers 0,
// shards 1, plain SGD lr 0.01, the workloads' batches and data as in bench:peers).
//
// It wraps, with timers, the op declarations' forward/backward and each loss's run in
// dist/src/graph/ops/index.js's OPS and LOSSES, and the phases of a step around them on the prototypes of
// dist/src/graph/network.js's Network (load, forward, lossForward, backward) and dist/src/runtime/engine.js's
// Engine (update), before the model is built, so the network calls the wrapped ones; nothing in src/
// changes. A phase's time beyond its ops' is its own: between the ops of forward (the loop over nodes),
// the planner's gradient adds and zero fills in backward; what no phase covers is the training loop's JS.
// Inside an op, every core kernel it calls is timed too (the op gets its bound node with `k`, the core's
// exports, behind a proxy that times each call), GEMMs by shape M x K x N: an LSTM is one op, and what
// matters is which of its kernels take the time. The timers' own cost is measured: rounds alternate with
// and without them, and the report gives both step times.
//
//   npm run build && node bench/peers/graph-profile.mjs [--only W5,W6,W7] [--steps 100] [--rounds 5] [--out FILE] [--json]
// --out writes the markdown report to FILE too (bench/measured/graph-profile.md is the committed one).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { GRAPHS } from './models.mjs';

const argv = process.argv.slice(2);
const value = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const only = value('--only', 'W5,W6,W7').split(',');
const steps = Number(value('--steps', 100));
const rounds = Number(value('--rounds', 5));
const out = value('--out', null);
for (const w of only) if (!(w in GRAPHS)) throw new Error(`--only: ${w} is not a graph workload (${Object.keys(GRAPHS).join(', ')})`);

const dist = new URL('../../dist/src/', import.meta.url);
const g = await import(new URL('index.js', dist).href);
const { OPS, LOSSES } = await import(new URL('graph/ops/index.js', dist).href);
const { Network } = await import(new URL('graph/network.js', dist).href);
const { Engine } = await import(new URL('runtime/engine.js', dist).href);

// The timers: on only while `profiling` is set; keyed by node name and pass.
let profiling = false;
const spent = new Map(); // `${node}\t${op}\t${pass}` -> ms
const charge = (key, t0) => spent.set(key, (spent.get(key) ?? 0) + performance.now() - t0);
const kernels = new Map(); // `${kernel}\t${op} ${pass}` -> { ms, calls }
// The core's exports behind a proxy that times every call, charged to `where` (an op and pass).
const timedExports = new Map();
function timedK(k, where) {
  const key = `${where}`;
  let proxy = timedExports.get(k)?.get(key);
  if (proxy) return proxy;
  const fns = new Map();
  proxy = new Proxy(k, {
    get(target, name) {
      const v = target[name];
      if (typeof v !== 'function') return v;
      if (!fns.has(name)) {
        fns.set(name, (...a) => {
          const t0 = performance.now();
          try { return v(...a); } finally {
            // GEMMs by shape: gemm_xx_f32(c, a, b, M, K, N, ...), gemm_batched_f32(form, c, a, b, batch, M,
            // K, N, ...) as batch x (M x K x N) with its form (0 nn, 1 nt, 2 tn); everything else by name.
            const n = String(name);
            const id = n === 'gemm_batched_f32' ? `${n} ${['nn', 'nt', 'tn'][a[0]] ?? a[0]} ${a[4]} x (${a[5]}x${a[6]}x${a[7]})`
              : n.startsWith('gemm_') && a.length >= 6 ? `${n} ${a[3]}x${a[4]}x${a[5]}` : n;
            const e = kernels.get(`${id}\t${where}`) ?? { ms: 0, calls: 0 };
            e.ms += performance.now() - t0; e.calls++;
            kernels.set(`${id}\t${where}`, e);
          }
        });
      }
      return fns.get(name);
    },
  });
  if (!timedExports.has(k)) timedExports.set(k, new Map());
  timedExports.get(k).set(key, proxy);
  return proxy;
}
for (const decl of Object.values(OPS)) {
  for (const pass of ['forward', 'backward']) {
    const f = decl[pass];
    if (typeof f !== 'function') continue;
    decl[pass] = function timed(n, p) {
      if (!profiling) return f.call(this, n, p);
      const t0 = performance.now();
      try { return f.call(this, { ...n, k: timedK(n.k, `${decl.op} ${pass}`) }, p); } finally { charge(`${n.name}\t${decl.op}\t${pass}`, t0); }
    };
  }
}
for (const decl of Object.values(LOSSES)) {
  const f = decl.run;
  decl.run = function timed(b, rows) {
    if (!profiling) return f.call(this, b, rows);
    const t0 = performance.now();
    try { return f.call(this, b, rows); } finally { charge(`loss\t${decl.op}\tforward + backward`, t0); }
  };
}

const phases = new Map(); // phase -> ms
const wrapPhase = (proto, method, phase) => {
  const f = proto[method];
  proto[method] = function timed(...a) {
    if (!profiling) return f.apply(this, a);
    const t0 = performance.now();
    try { return f.apply(this, a); } finally { phases.set(phase, (phases.get(phase) ?? 0) + performance.now() - t0); }
  };
};
wrapPhase(Network.prototype, 'load', 'load');
wrapPhase(Network.prototype, 'forward', 'forward');
wrapPhase(Network.prototype, 'lossForward', 'loss');
wrapPhase(Network.prototype, 'backward', 'backward');
wrapPhase(Engine.prototype, 'update', 'update');

const mnistData = only.includes('W6') ? (() => { const { train } = g.mnist({ limit: { train: 10000, test: 1 } }); return { x: train.x, y: train.y }; })() : null;

// Seconds of n steps by the training loop's own clock.
const timed = async (m, data, n) => {
  const h = await m.fit(data, { steps: n, shuffle: false, dropLast: true });
  return h.epochs.reduce((a, e) => a + e.examples / e.examplesPerSecond, 0);
};
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const report = [];
for (const w of only) {
  const { build, batch, features } = GRAPHS[w];
  const spec = build(g);
  const data = GRAPHS[w].data(mnistData);
  const targets = spec.inputs.map((i) => i.name).filter((n) => !features.includes(n));
  const pick = (names) => (names.length === 1 ? data[names[0]] : Object.fromEntries(names.map((n) => [n, data[n]])));
  const m = await g.createModel(spec, { batchSize: batch, seed: 1, optimizer: g.sgd({ lr: 0.01 }), workers: 0, shards: 1 });
  const prepared = m.prepare(pick(features), pick(targets));
  await timed(m, prepared, 20); // warm-up: compilation, tier-up
  spent.clear();
  phases.clear();
  kernels.clear();
  const plain = [], wrapped = [];
  for (let r = 0; r < rounds; r++) {
    profiling = false;
    plain.push(await timed(m, prepared, steps) / steps);
    profiling = true;
    wrapped.push(await timed(m, prepared, steps) / steps);
    profiling = false;
  }
  await m.dispose();
  const total = wrapped.reduce((a, b) => a + b, 0) * steps * 1000; // ms over all profiled steps
  const nodes = [...spent].map(([k, ms]) => { const [node, op, pass] = k.split('\t'); return { node, op, pass, share: ms / total }; });
  const byOp = new Map();
  for (const n of nodes) byOp.set(`${n.op} ${n.pass}`, (byOp.get(`${n.op} ${n.pass}`) ?? 0) + n.share);
  const phase = (p) => (phases.get(p) ?? 0) / total;
  const ops = (pass) => nodes.filter((n) => n.pass === pass).reduce((a, n) => a + n.share, 0);
  const rest = [
    { what: 'forward, between the ops (the loop over nodes)', share: phase('forward') - ops('forward') },
    { what: 'backward, beyond the ops (the planner\'s gradient adds and zero fills, the loop)', share: phase('backward') - ops('backward') },
    { what: 'the SGD update (Engine.update: the fused update pass)', share: phase('update') },
    { what: 'staging the batch (Network.load)', share: phase('load') },
    { what: 'the training loop outside the phases (JS)', share: 1 - phase('load') - phase('forward') - phase('loss') - phase('backward') - phase('update') },
  ];
  report.push({
    workload: w, batch, steps, rounds, stepMsPlain: median(plain) * 1000, stepMsProfiled: median(wrapped) * 1000,
    examplesPerSecondPlain: batch / median(plain),
    byOp: [...byOp].map(([what, share]) => ({ what, share })).sort((a, b) => b.share - a.share), rest,
    nodes: nodes.sort((a, b) => b.share - a.share),
    kernels: [...kernels].map(([k, e]) => { const [kernel, where] = k.split('\t'); return { kernel, where, share: e.ms / total, callsPerStep: e.calls / (rounds * steps), usPerCall: 1000 * e.ms / e.calls }; })
      .sort((a, b) => b.share - a.share),
  });
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const lines = [
  `# Where gradnoise's training step goes on the graph workloads (bench/peers/graph-profile.mjs)`,
  '',
  `_Generated by \`node bench/peers/graph-profile.mjs ${argv.join(' ')}\` at ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ` +
    `${os.cpus()[0]?.model}, ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} at the end. ` +
    'Inline (workers 0, shards 1), plain SGD; shares of the profiled step (each op\'s forward and backward timed around its kernel calls)._',
];
for (const r of report) {
  lines.push('', `## ${r.workload}, batch ${r.batch}: ${r.rounds} rounds of ${r.steps} steps, with and without the timers`, '',
    `Step ${r.stepMsPlain.toFixed(2)} ms without the timers (${Math.round(r.examplesPerSecondPlain).toLocaleString('en-US')} examples/s), ` +
    `${r.stepMsProfiled.toFixed(2)} ms with them (medians over the rounds).`, '',
    '| op and pass (all its nodes) | share of the step |', '|---|---|');
  for (const o of r.byOp) lines.push(`| ${o.what} | ${pct(o.share)} |`);
  for (const o of r.rest) lines.push(`| ${o.what} | ${pct(o.share)} |`);
  lines.push('',
    '| the ten largest nodes | op | pass | share of the step |', '|---|---|---|---|');
  for (const n of r.nodes.slice(0, 10)) lines.push(`| ${n.node} | ${n.op} | ${n.pass} | ${pct(n.share)} |`);
  lines.push('', '| the twelve largest kernels inside the ops (GEMM: M×K×N) | in | calls per step | µs per call | share of the step |', '|---|---|---|---|---|');
  for (const k of r.kernels.slice(0, 12)) lines.push(`| ${k.kernel} | ${k.where} | ${k.callsPerStep.toFixed(0)} | ${k.usPerCall.toFixed(1)} | ${pct(k.share)} |`);
}
const md = lines.join('\n') + '\n';
if (argv.includes('--json')) console.log(JSON.stringify(report));
else process.stdout.write(md);
if (out) writeFileSync(out, md);
