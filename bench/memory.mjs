// What the planner's lifetime reuse saves (issue #16): for each model, the bytes of one shard's activation
// region with reuse (buffers whose lifetimes do not meet share bytes) and without (every buffer its own),
// and the whole arena (parameters, gradient slots, optimizer state, regions, scratch). Deterministic: a plan
// is a pure function of the graph, the batch size and the shards, so no repetition is needed.
//
//   node bench/memory.mjs [--json]
import * as g from '../dist/src/index.js';
import { memoryBlock } from './peers/models.mjs';

const MODELS = [
  { name: 'paper net (784-20x50-10), batch 100, 4 shards', spec: g.paperNet('he'), batch: 100, shards: 4 },
  { name: 'paper net, batch 100, 1 shard', spec: g.paperNet('he'), batch: 100, shards: 1 },
  { name: 'memory block (W5: 50 x 6 words, d 32, 3 hops), batch 32, 4 shards', spec: memoryBlock(g), batch: 32, shards: 4 },
  { name: 'memory block, batch 32, 1 shard', spec: memoryBlock(g), batch: 32, shards: 1 },
];

const KiB = 1024;
const rows = [];
for (const m of MODELS) {
  const model = await g.createModel(m.spec, { batchSize: m.batch, shards: m.shards, workers: 0 });
  const plan = model.plan;
  rows.push({
    model: m.name, regionRows: plan.rows, buffers: plan.buffers, regionWithReuse: plan.regionBytes, regionWithoutReuse: plan.regionBytesNoReuse,
    arena: model.memoryBytes, params: model.layout.params.bytes,
  });
  await model.dispose();
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
else {
  console.log('| model | rows per region | buffers | region with reuse | without | saved | whole arena |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.regionRows} | ${r.buffers} | ${(r.regionWithReuse / KiB).toFixed(1)} KiB | ${(r.regionWithoutReuse / KiB).toFixed(1)} KiB | ` +
      `${((1 - r.regionWithReuse / r.regionWithoutReuse) * 100).toFixed(0)}% | ${(r.arena / KiB).toFixed(0)} KiB |`);
  }
}
