// A/B benchmark of training throughput: the build before the graph of ops (the dense stack) and the graph
// build, measured alternately in one run, so that the load of a shared machine hits both alike (issue #16:
// the paper net through the graph trains at >= 0.97x the old throughput). Each round trains one epoch of
// every configuration on A, then on B (the order swaps every round); the figure per sample is the loop's
// own examples/s (timed inside fit(), leaving out its checks); ratios are medians of per-round B/A. Inline
// configurations also get examples per CPU second of the process (process.cpuUsage around the epoch): on a
// machine shared with other work, CPU time moves far less than wall time, so its ratio is the steadier one.
//
//   node bench/graph-ab.mjs --old <root of the old build> [--new .] [--rounds 15] [--examples 3000] [--json]
//
// A root is a checkout where `npm run build` has run (dist/src for the facade, build/ for the wasm), e.g.
//   git worktree add /tmp/base 0e9cb73 && ln -s $PWD/node_modules /tmp/base/ && (cd /tmp/base && npm run build)
// Configurations: the paper net (784-20x50-10, batch 100, clip 10 + SGD) inline with 1 shard (the plain
// step), inline with 4 shards (the default), and on 2 workers with 4 shards; the wide net (784-1024-1024-10,
// batch 128) inline with 1 shard (GEMM-bound: the graph's fixed costs vanish there).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const oldRoot = arg('old');
if (!oldRoot) throw new Error('graph-ab: pass --old <root of the old build> (see the header)');
const newRoot = arg('new', '.');
const rounds = Number(arg('rounds', 15));
const examples = Number(arg('examples', 3000));
const json = process.argv.includes('--json');

const load = async (label, root) => ({ label, g: await import(pathToFileURL(`${resolve(root)}/dist/src/index.js`).href) });
const A = await load('A (dense stack)', oldRoot), B = await load('B (graph)', newRoot);
const { train } = B.g.mnist({ limit: { train: examples, test: 1 } });

const CONFIGS = [
  { name: 'paper net, inline, 1 shard', spec: (g) => g.paperNet('he'), batch: 100, shards: 1, workers: 0 },
  { name: 'paper net, inline, 4 shards', spec: (g) => g.paperNet('he'), batch: 100, shards: 4, workers: 0 },
  { name: 'paper net, 2 workers, 4 shards', spec: (g) => g.paperNet('he'), batch: 100, shards: 4, workers: 2 },
  { name: 'wide net, inline, 1 shard', spec: (g) => g.mlp({ inputs: 784, hidden: [1024, 1024], outputs: 10 }), batch: 128, shards: 1, workers: 0, examples: 1024 },
];

async function setup(v, c) {
  const g = v.g;
  const model = await g.createModel(c.spec(g), {
    batchSize: c.batch, seed: 1, shards: c.shards, workers: c.workers,
    optimizer: g.chain(g.clipByGlobalNorm(10), g.sgd({ lr: 0.01 })),
  });
  const n = c.examples ?? examples;
  const data = model.prepare(train.x.subarray(0, n * 784), train.y.subarray(0, n));
  await model.fit(data, { steps: 3 }); // warm-up: compile, tier up, start the workers
  return { model, data };
}

const r2 = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); return { median: s[s.length >> 1], min: s[0], max: s[s.length - 1] }; };

const results = [];
for (const c of CONFIGS) {
  const runs = [await setup(A, c), await setup(B, c)];
  const eps = [[], []], ratio = [], cpu = [[], []], cpuRatio = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    const got = [0, 0], gotCpu = [0, 0];
    for (const i of order) {
      const c0 = process.cpuUsage();
      const h = await runs[i].model.fit(runs[i].data, { epochs: 1 });
      const used = process.cpuUsage(c0), last = h.epochs[h.epochs.length - 1];
      got[i] = last.examplesPerSecond;
      eps[i].push(got[i]);
      gotCpu[i] = last.examples / ((used.user + used.system) / 1e6);
      cpu[i].push(gotCpu[i]);
    }
    ratio.push(got[1] / got[0]);
    cpuRatio.push(gotCpu[1] / gotCpu[0]);
  }
  await Promise.all(runs.map((x) => x.model.dispose()));
  const out = {
    name: c.name, a: stats(eps[0]), b: stats(eps[1]), ratio: stats(ratio),
    ...(c.workers === 0 ? { aCpu: stats(cpu[0]), bCpu: stats(cpu[1]), cpuRatio: stats(cpuRatio) } : {}),
  };
  results.push(out);
  if (!json) {
    console.log(`${c.name}: A ${r2(out.a.median, 0)} (${r2(out.a.min, 0)}-${r2(out.a.max, 0)}), B ${r2(out.b.median, 0)} ` +
      `(${r2(out.b.min, 0)}-${r2(out.b.max, 0)}) examples/s; B/A ${r2(out.ratio.median, 3)} (${r2(out.ratio.min, 3)}-${r2(out.ratio.max, 3)})` +
      (out.cpuRatio ? `; per CPU second A ${r2(out.aCpu.median, 0)}, B ${r2(out.bCpu.median, 0)}, B/A ${r2(out.cpuRatio.median, 3)} (${r2(out.cpuRatio.min, 3)}-${r2(out.cpuRatio.max, 3)})` : ''));
  }
}
if (json) console.log(JSON.stringify({ rounds, examples, results }));
