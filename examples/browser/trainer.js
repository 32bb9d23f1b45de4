// One training run in a Web Worker, so that the page stays responsive whatever happens. When the page is
// cross-origin isolated, gradnoise trains on `workers` Web Workers of its own (nested in this one) over one
// shared memory; when it is not, there is no SharedArrayBuffer, and gradnoise trains right here, on this
// one worker, with its single-threaded build: the same bits either way.
//
// The run is a TrainConfig (the plain data that `gradnoise train` builds from its flags) trained by the
// library's runTraining, as the command line trains it, so the final weights hash is the one the CLI
// prints for the same flags.
import { mnistSplit, resolveTrainConfig, runTraining } from '../../dist/browser/gradnoise.js';

const post = (m) => self.postMessage(m);

async function bytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

// Where the run's time goes, posted with 'done' (seconds): fetching and parsing MNIST (load); building the
// model (build: compiling the core, starting workers); the training steps (train: each epoch's examples
// over its examples/s, which the training loop measures around its steps alone); the test evaluations
// after each epoch (eval: the rest of the run's training time); and the rest (other: copying the data
// into shared memory before the first step, the final test and the weights hash). The step and epoch
// hooks reach this thread late when gradnoise trains on workers, so no interval is timed here from them.
self.onmessage = async ({ data: c }) => {
  try {
    const t0 = performance.now();
    const [xi, yi, xt, yt] = await Promise.all([
      bytes('/mnist/train-images-idx3-ubyte'), bytes('/mnist/train-labels-idx1-ubyte'),
      bytes('/mnist/t10k-images-idx3-ubyte'), bytes('/mnist/t10k-labels-idx1-ubyte'),
    ]);
    const train = mnistSplit(xi, yi, { limit: c.limit, name: 'MNIST train' });
    const test = mnistSplit(xt, yt, { limit: c.testLimit, name: 'MNIST test' });
    const config = resolveTrainConfig({
      depth: c.depth, width: c.width, init: c.init, lr: c.lr, clip: c.clip > 0 ? c.clip : null,
      noise: c.noise, eta: c.eta, gamma: c.gamma, seed: c.seed, steps: c.steps, batchSize: c.batchSize, shards: 4,
    }, 'the page\'s settings');
    const tLoaded = performance.now();
    const notices = [];
    // Steps reach the page at most every 50 ms, in batches: a message per step would only cost time.
    let pending = [], last = 0, lastStep = 0, tStart = 0, trainSeconds = 0;
    const flush = () => { if (pending.length) post({ type: 'steps', steps: pending }); pending = []; last = performance.now(); };
    const { summary } = await runTraining(config, { train, test, features: 784, classes: 10 }, {
      workers: c.workers, keepSteps: false,
      hooks: {
        onWarning: (m) => notices.push(m),
        onStart: ({ workers, build }) => {
          tStart = performance.now();
          post({ type: 'start', workers, build, notices });
        },
        onStep: (s) => {
          lastStep = s.step;
          pending.push({ step: s.step, loss: s.loss, accuracy: s.accuracy });
          if (performance.now() - last > 50) flush();
        },
        onEpoch: (e) => {
          trainSeconds += e.examples / e.examplesPerSecond;
          flush();
          if (e.testAccuracy !== null) post({ type: 'epoch', epoch: e.epoch, step: lastStep, testAccuracy: e.testAccuracy });
        },
      },
    });
    flush();
    const tEnd = performance.now();
    post({
      type: 'done', steps: summary.steps, seconds: summary.seconds, startupSeconds: summary.startupSeconds, examplesPerSecond: summary.examplesPerSecond,
      testAccuracy: summary.testAccuracy, hash: summary.weightsSha256, workers: summary.workers,
      time: { load: (tLoaded - t0) / 1000, build: (tStart - tLoaded) / 1000, train: trainSeconds, eval: summary.seconds - trainSeconds, other: (tEnd - tStart) / 1000 - summary.seconds },
    });
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
};
