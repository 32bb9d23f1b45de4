// What one fit() call costs beyond its steps, on the whole MNIST training set (60,000 x 784): fit(x, y)
// checks every value and label on every call, and on workers copies the examples into shared memory;
// fit(model.prepare(x, y)) did both once. Measured as a run cut into fit({ steps: 10 }) calls (what
// `gradnoise train --checkpoint-every 10` does) against the same steps in one call, inline and on 2
// workers, arrays and prepared data interleaved in rounds; medians (min-max) of the rounds.
//
// Usage: npm run build && node bench/fit-calls.mjs [--rounds N]
import { chain, clipByGlobalNorm, addNoise, createModel, mnist, paperNet, sgd } from '../dist/src/index.js';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;
const { x, y } = mnist({ limit: { test: 1 } }).train;
const STEPS = 100, CHUNK = 10;
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const show = (a) => `${median(a).toFixed(1)} ms (${Math.min(...a).toFixed(1)}-${Math.max(...a).toFixed(1)})`;

for (const workers of [0, 2]) {
  const m = await createModel(paperNet(), {
    batchSize: 100, seed: 1, workers, optimizer: chain(clipByGlobalNorm(10), addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.01 })),
  });
  const t0 = performance.now();
  const prepared = m.prepare(x, y);
  const prepareMs = performance.now() - t0;
  await m.fit(prepared, { steps: 50 }); // warm-up (and the workers' start)
  const cut = { arrays: [], prepared: [] }, whole = { arrays: [], prepared: [] };
  const time = async (f) => { const t = performance.now(); await f(); return performance.now() - t; };
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 ? ['prepared', 'arrays'] : ['arrays', 'prepared']) {
      const fit = (o) => (kind === 'arrays' ? m.fit(x, y, o) : m.fit(prepared, o));
      cut[kind].push(await time(async () => { for (let s = 0; s < STEPS; s += CHUNK) await fit({ steps: CHUNK }); }));
      whole[kind].push(await time(() => fit({ steps: STEPS })));
    }
  }
  const perCall = (kind) => cut[kind].map((c, i) => (c - whole[kind][i]) / (STEPS / CHUNK - 1));
  console.log(`${workers === 0 ? 'inline' : `${workers} workers`} (${m.workers} running), paper net, batch 100, ${STEPS} steps:`);
  console.log(`  model.prepare(x, y) once: ${prepareMs.toFixed(1)} ms`);
  for (const kind of ['arrays', 'prepared']) {
    console.log(`  ${kind === 'arrays' ? 'fit(x, y)         ' : 'fit(prepared)     '}: in one call ${show(whole[kind])}, in ${STEPS / CHUNK} calls ${show(cut[kind])}; per extra call ${show(perCall(kind))}`);
  }
  const ratio = cut.arrays.map((c, i) => c / cut.prepared[i]);
  console.log(`  ${STEPS / CHUNK} calls, arrays / prepared: ${median(ratio).toFixed(2)}x (${Math.min(...ratio).toFixed(2)}-${Math.max(...ratio).toFixed(2)})`);
  await m.dispose();
}
