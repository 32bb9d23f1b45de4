// gradnoise on the edge: a Cloudflare Worker (the workerd runtime) whose fetch handler trains a model on
// the MNIST images bundled with it and answers with its metrics and weights hash.
//
//   POST /train  {"config": {...a partial TrainConfig...}, "trainLimit": n, "testLimit": n, "test": true}
//   -> {"runtime", "workers", "build", "steps", "testAccuracy", "trainLoss", "weightsSha256", "notices"}
//
// workerd has no threads (no worker_threads, no Web Workers), so the model trains inline in the request,
// and it forbids compiling WebAssembly at run time, so the core comes in as a module import, compiled by
// the runtime's loader when the Worker is deployed. The imports are written as a project using the npm
// package writes them: wrangler resolves `gradnoise` through the package's `workerd` export condition
// (the browser bundle, which names no node: module) and imports .wasm files as compiled modules; the
// MNIST slices are Data modules (a `[[rules]] type = "Data"` entry in wrangler.toml). examples/workerd/
// edge.mjs runs this file locally in workerd through Miniflare, with the same module names.
//
// Limits on Cloudflare (state of 2026): 128 MB of memory per isolate; CPU time per request 10 ms on the
// free plan (too little for any training) and 30 s by default, up to 5 minutes, on the paid plan
// (limits.cpu_ms). The paper's 20 x 50 net plans 3.3 MiB and a step of batch 100 takes a few
// milliseconds, so a few thousand steps fit a paid request; the bundled slices must fit the Worker's size
// limit (3 MB compressed on the free plan, 10 MB on the paid one).
import { mnistSplit, resolveTrainConfig, runTraining, runtimeInfo } from 'gradnoise';
import core from 'gradnoise/gradnoise.single.wasm';
import trainImages from './mnist/train-images-idx3-ubyte';
import trainLabels from './mnist/train-labels-idx1-ubyte';
import testImages from './mnist/t10k-images-idx3-ubyte';
import testLabels from './mnist/t10k-labels-idx1-ubyte';

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname !== '/train') return json({ error: 'POST /train with {"config": {...}}' }, 404);
    if (request.method !== 'POST') return json({ error: `${request.method} /train: use POST` }, 405);
    let body;
    try {
      body = await request.json();
    } catch (e) {
      return json({ error: `the request body is not JSON: ${e.message}` }, 400);
    }
    let config;
    try {
      config = resolveTrainConfig(body?.config ?? {}, 'config');
    } catch (e) {
      return json({ error: e.message }, 400);
    }
    // The bundled slices, or their first trainLimit / testLimit examples; "test": false trains without a test split.
    let train, test = null;
    try {
      train = mnistSplit(new Uint8Array(trainImages), new Uint8Array(trainLabels), { name: 'MNIST train', limit: body?.trainLimit });
    } catch (e) {
      return json({ error: `trainLimit: ${e.message}` }, 400);
    }
    try {
      if (body?.test !== false) test = mnistSplit(new Uint8Array(testImages), new Uint8Array(testLabels), { name: 'MNIST test', limit: body?.testLimit });
    } catch (e) {
      return json({ error: `testLimit: ${e.message}` }, 400);
    }
    const notices = [];
    try {
      const { summary } = await runTraining(config, { train, test, features: 784, classes: 10 }, {
        workers: 1, keepSteps: false, hooks: { onWarning: (m) => notices.push(m) }, wasm: core,
      });
      return json({
        runtime: runtimeInfo(), workers: summary.workers, build: summary.build, steps: summary.steps,
        trainLoss: summary.trainLoss, testAccuracy: summary.testAccuracy, weightsSha256: summary.weightsSha256, notices,
      });
    } catch (e) {
      return json({ error: e.message }, 500);
    }
  },
};
