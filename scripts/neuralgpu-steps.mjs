// Where a Neural GPU restart's long-input errors come from: trains one restart of `gradnoise reproduce
// neuralgpu` (the same bits as the sweep's record of that config), then tests the trained weights on graphs
// of other widths and step counts, and prints the error per digit and per sequence with the wrong digits
// counted by position. A test at `digits` d on a graph of `width` w > d + 1 writes the operands with leading
// zeros out to w (aligned layout: pair A on the columns the batch pads), so the sums are d-digit sums run
// for more steps and columns. Run after `npm run build` (it uses dist/), from the repository root:
//
//   node scripts/neuralgpu-steps.mjs CONFIG_JSON [CASES_JSON]
//
// CONFIG_JSON is a neuralgpu config (src/experiments/neuralgpu.ts), e.g.
//   '{"task":"add","layout":"aligned","seed":3,"steps":20000,"lrSchedule":"cosine","cutoff":1.2,"lengthGraphs":true}'
// CASES_JSON is a list of [digits, width, steps] (default below); 512 test sums each, on the test split.
import { neuralGpuGraph, resolveNeuralGpuConfig, runNeuralGpu } from '../dist/src/experiments/neuralgpu.js';
import { createModel } from '../dist/src/runtime/model.js';
import { algorithmicBatch, algorithmicTask, OUTPUT_CLASSES, TOKENS } from '../dist/src/tasks/algorithmic.js';

const config = resolveNeuralGpuConfig(JSON.parse(process.argv[2] ?? '{}'));
const cases = JSON.parse(process.argv[3] ?? '[[16,17,17],[16,41,41],[16,17,41],[40,41,41],[40,41,82],[8,41,41]]');
const COUNT = 512, CHUNK = 64;

// Errors of `model`'s weights at `digits` on a graph of `width` columns run for `steps` steps.
async function testAt(model, digits, width, steps) {
  const c = config;
  const task = algorithmicTask(c.task, { trainLength: c.trainLength, testLengths: c.testLengths, layout: c.layout });
  const m = await createModel(neuralGpuGraph(c, width, steps), { batchSize: CHUNK, seed: 1, workers: 0, shards: 1 });
  try {
    for (const [name, w] of model.getWeights()) m.setParam(name, w);
    let digitsSeen = 0, digitErrors = 0, sequenceErrors = 0;
    const byPosition = new Array(width).fill(0);
    for (let start = 0; start < COUNT; start += CHUNK) {
      const b = algorithmicBatch(task, { seed: c.seed, length: digits, count: CHUNK, start, split: 'test', width });
      if (c.layout === 'aligned') b.inputs.forEach((t, i) => { if (t === TOKENS.pad) b.inputs[i] = TOKENS.pair; });
      const logits = m.predict({ tokens: b.inputs });
      for (let e = 0; e < CHUNK; e++) {
        let wrong = 0;
        for (let p = 0; p < width; p++) {
          const i = e * width + p, target = b.targets[i];
          if (target === TOKENS.pad) continue;
          digitsSeen++;
          let best = 0;
          for (let k = 1; k < OUTPUT_CLASSES; k++) if (logits[i * OUTPUT_CLASSES + k] > logits[i * OUTPUT_CLASSES + best]) best = k;
          if (best !== target) { wrong++; byPosition[p]++; }
        }
        digitErrors += wrong;
        if (wrong > 0) sequenceErrors++;
      }
    }
    const where = byPosition.map((n, p) => (n ? `${p}:${n}` : '')).filter(Boolean).join(' ');
    console.log(`digits ${digits} width ${width} steps ${steps}: digit error ${(100 * digitErrors / digitsSeen).toFixed(2)}%, ` +
      `sequence error ${(100 * sequenceErrors / COUNT).toFixed(1)}%${where ? `; wrong digits by position: ${where}` : ''}`);
  } finally {
    await m.dispose();
  }
}

const r = await runNeuralGpu(config, {
  onTrained: async (model) => { for (const [d, w, s] of cases) await testAt(model, d, w, s); },
});
console.log(`the restart's own tests: ${r.tests.map((t) => `${t.length} digits ${(100 * t.sequenceError).toFixed(1)}%`).join(', ')}; weights ${r.weightsSha256}`);
