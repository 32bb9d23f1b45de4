// One training run in a Web Worker, so that the page stays responsive whatever happens. When the page is
// cross-origin isolated, gradnoise trains on `workers` Web Workers of its own (nested in this one) over one
// shared memory; when it is not, there is no SharedArrayBuffer, and gradnoise trains right here, on this
// one worker, with its single-threaded build: the same bits either way.
//
// The model and data are built exactly as `gradnoise train` builds them (src/cli/run.ts), so the final
// weights hash can be compared with the one the command line prints for the same flags.
import {
  addNoise, chain, clipByGlobalNorm, createModel, mlp, mnistSplit, sgd,
} from '../../dist/browser/gradnoise.js';

const post = (m) => self.postMessage(m);

async function bytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

const KERNEL_INIT = { simple: { kind: 'normal', std: 0.1 }, he: 'heNormal', sussilloAbbott: 'sussilloAbbott', zero: 'zeros' };

/** The weights' SHA-256, as the CLI's weightsSha256: every parameter's bytes in layout order. */
async function weightsSha256(model) {
  const parts = [...model.getWeights().values()];
  const all = new Uint8Array(parts.reduce((n, w) => n + w.byteLength, 0));
  let at = 0;
  for (const w of parts) { all.set(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), at); at += w.byteLength; }
  const digest = await crypto.subtle.digest('SHA-256', all);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

self.onmessage = async ({ data: c }) => {
  let model = null;
  try {
    const [xi, yi, xt, yt] = await Promise.all([
      bytes('/mnist/train-images-idx3-ubyte'), bytes('/mnist/train-labels-idx1-ubyte'),
      bytes('/mnist/t10k-images-idx3-ubyte'), bytes('/mnist/t10k-labels-idx1-ubyte'),
    ]);
    const train = mnistSplit(xi, yi, { limit: c.limit, name: 'MNIST train' });
    const test = mnistSplit(xt, yt, { limit: c.testLimit, name: 'MNIST test' });
    const spec = mlp({
      inputs: 784, hidden: Array(c.depth).fill(c.width), outputs: 10, activation: 'relu', init: KERNEL_INIT[c.init], biasInit: 'zeros',
    });
    const optimizer = chain(
      ...(c.clip > 0 ? [clipByGlobalNorm(c.clip)] : []),
      ...(c.noise ? [addNoise({ eta: c.eta, gamma: c.gamma })] : []),
      sgd({ lr: c.lr, momentum: 0, weightDecay: 0 }),
    );
    const notices = [];
    model = await createModel(spec, {
      batchSize: c.batchSize, seed: c.seed, optimizer, workers: c.workers, shards: 4, onWarning: (m) => notices.push(m),
    });
    post({ type: 'start', workers: model.workers, build: model.build, isolated: self.crossOriginIsolated === true, notices });
    // Steps reach the page at most every 50 ms, in batches: a message per step would only cost time.
    let pending = [], last = 0;
    const flush = () => { if (pending.length) post({ type: 'steps', steps: pending }); pending = []; last = performance.now(); };
    const t0 = performance.now();
    let examples = 0, lastStep = 0;
    const history = await model.fit(train.x, train.y, {
      steps: c.steps,
      validation: { x: test.x, y: test.y },
      onStep: (s) => {
        examples += s.examples;
        lastStep = s.step;
        pending.push({ step: s.step, loss: s.loss, accuracy: s.accuracy });
        if (performance.now() - last > 50) flush();
      },
      onEpoch: (e) => { flush(); if (e.validation) post({ type: 'epoch', epoch: e.epoch, step: lastStep, testAccuracy: e.validation.accuracy }); },
    });
    flush();
    const seconds = (performance.now() - t0) / 1000;
    const final = model.evaluate(test.x, test.y);
    post({ type: 'done', steps: history.steps, seconds, examplesPerSecond: examples / seconds, testAccuracy: final.accuracy, hash: await weightsSha256(model) });
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  } finally {
    await model?.dispose();
  }
};
