// Trains one run config on MNIST in whatever runtime runs this file (Node, Bun, Deno), through the package's
// Node bundle, and prints one JSON line: the runtime, the workers and build it really got, the notices it
// printed, the weights hash, the start-up (from fit() to the first step: the summary's startupSeconds) and
// the steady-state examples/s. test/ts/runtimes and bench/runtimes.mjs run it as
// `<runtime> test/runtimes/train.mjs '<json options>'`; Deno needs --allow-read.
//
// Options: { config: a partial TrainConfig, trainLimit, testLimit (0: no test split), workers,
//            noSharedMemory: true to delete SharedArrayBuffer first (the fallback test), warmup: steps
//            left out of examples/s }. trainLimit 60000 is the whole MNIST training set.
const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const o = JSON.parse(args[0] ?? '{}');
if (o.noSharedMemory) delete globalThis.SharedArrayBuffer;
const g = await import('../../dist/node/gradnoise.js');

const { train, test } = g.mnist({ limit: { train: o.trainLimit ?? 2000, test: o.testLimit || 1 } });
const config = g.resolveTrainConfig(o.config ?? {}, 'options.config');
const notices = [];
const at = [];
const { summary } = await g.runTraining(config, { train, test: o.testLimit === 0 ? null : test, features: 784, classes: 10 }, {
  workers: o.workers ?? 1, keepSteps: false,
  hooks: { onWarning: (m) => notices.push(m), onStep: (s) => at.push([s.step, performance.now()]) },
});
// Steady state: from the first step after the warm-up to the last (progress reaches the caller in batches
// with workers, a few milliseconds late: over hundreds of steps that blurs nothing).
const warm = at.find(([step]) => step > (o.warmup ?? 0)) ?? at[0];
const last = at[at.length - 1];
const examplesPerSecond = last && last !== warm ? ((last[0] - warm[0]) * config.batchSize) / ((last[1] - warm[1]) / 1000) : summary.examplesPerSecond;
console.log(JSON.stringify({
  runtime: g.runtimeInfo(), workers: summary.workers, build: summary.build, steps: summary.steps, weightsSha256: summary.weightsSha256,
  testAccuracy: summary.testAccuracy, startupSeconds: summary.startupSeconds, examplesPerSecond, notices,
}));
