// What the demo page's first press shows (issue #26): the paper's 20 x 50 ReLU net with the simple
// N(0, 0.1^2) init on the real MNIST (60,000 training images, batch 100, 4 shards, clip 10, gamma 0.55),
// trained with and without gradient noise for a few settings of lr and eta and several seeds. Per run:
// the step where the noise run's loss curve visibly parts from the noiseless one (the page's smoothed
// loss, an exponential average with factor 0.9, at least 0.1 below the noiseless run's at the same
// step: what examples/browser/main.js reports live), the step where it first falls below 2.0, and both
// runs' final smoothed loss and test accuracy (all 10,000 test images). The bits are the page's: same
// config, same seed, any number of workers (the browser tests check the hashes).
//
// Usage: npm run build && node bench/demo-defaults.mjs [--steps 2000] [--seeds 1-5] [--settings 0.1:0.01,0.2:0.01]
// (settings are lr:eta pairs; the noiseless run depends on lr only and is trained once per lr and seed).
import { mnist, resolveTrainConfig, runTraining } from '../dist/src/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const steps = Number(arg('steps', '2000'));
const [s0, s1] = arg('seeds', '1-5').split('-').map(Number);
const seeds = Array.from({ length: (s1 ?? s0) - s0 + 1 }, (_, i) => s0 + i);
const settings = arg('settings', '0.1:0.01,0.1:0.1,0.2:0.01').split(',').map((p) => p.split(':').map(Number));

const { train, test } = mnist();
const data = { train, test, features: 784, classes: 10 };

/** One run: its smoothed loss per step, final smoothed loss, test accuracy and seconds. */
async function run(lr, eta, seed) {
  const config = resolveTrainConfig({
    init: 'simple', lr, clip: 10, noise: eta !== null, eta: eta ?? 0.01, gamma: 0.55, seed, steps, batchSize: 100, shards: 4,
  }, 'bench');
  const smooth = new Float64Array(steps + 1);
  let s = null;
  const t0 = performance.now();
  const r = await runTraining(config, data, {
    workers: 0, keepSteps: false,
    hooks: { onWarning() {}, onStep: (x) => { s = s === null ? x.loss : 0.9 * s + 0.1 * x.loss; smooth[x.step] = s; } },
  });
  return { smooth, loss: s, accuracy: r.summary.testAccuracy, seconds: (performance.now() - t0) / 1000 };
}

const fmt = (v) => (v === null ? '-' : String(v));
const median = (a) => { const b = a.filter((v) => v !== null).sort((p, q) => p - q); return b.length ? b[Math.floor((b.length - 1) / 2)] : null; };
console.log(`demo defaults: simple init, clip 10, gamma 0.55, batch 100, 4 shards, 60,000 images, ${steps} steps, seeds ${seeds.join(', ')}`);
console.log('parted: first step the noise run\'s smoothed loss is >= 0.1 below the noiseless run\'s; < 2.0: first step below 2.0');
const plain = new Map();
for (const [lr, eta] of settings) {
  console.log(`\nlr ${lr}, eta ${eta}`);
  console.log('seed | parted at step | < 2.0 at step | noise: loss, test acc | no noise: loss, test acc | seconds (noise, no noise)');
  const parted = [];
  for (const seed of seeds) {
    const key = `${lr}/${seed}`;
    if (!plain.has(key)) plain.set(key, await run(lr, null, seed));
    const p = plain.get(key);
    const n = await run(lr, eta, seed);
    let part = null, below = null;
    for (let t = 1; t <= steps; t++) {
      if (part === null && n.smooth[t] <= p.smooth[t] - 0.1) part = t;
      if (below === null && n.smooth[t] < 2.0) below = t;
    }
    parted.push(part);
    console.log(`${seed} | ${fmt(part)} | ${fmt(below)} | ${n.loss.toFixed(3)}, ${(100 * n.accuracy).toFixed(2)}% | ${p.loss.toFixed(3)}, ${(100 * p.accuracy).toFixed(2)}% | ${n.seconds.toFixed(1)}, ${p.seconds.toFixed(1)}`);
  }
  console.log(`parted within ${steps} steps: ${parted.filter((v) => v !== null).length} of ${seeds.length} seeds; median step ${fmt(median(parted))}`);
}
