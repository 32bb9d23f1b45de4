// The ONNX example page: train a small network in Web Workers, export it with model.toOnnx(), run the
// file in ONNX Runtime Web and compare its outputs with predict(). The results go into the page (and into
// document.body.dataset, which test/ts/browser/onnx.test.ts reads).
import { addNoise, chain, createModel, graph, input, layers, losses, sgd } from 'gradnoise';
import * as ort from 'onnxruntime-web';

const status = document.querySelector('#status');
const say = (state, text) => { status.dataset.state = state; status.textContent = text; };

/** Four Gaussian clusters in 8 dimensions (a seeded LCG, Box-Muller), labels 0..3. */
function clusters(count, seed) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const centers = [[2, 0], [-2, 0], [0, 2], [0, -2]];
  const x = new Float32Array(count * 8), y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % 4;
    for (let j = 0; j < 8; j++) x[i * 8 + j] = (j < 2 ? centers[i % 4][j] : 0) + 0.5 * gauss();
  }
  return { x, y };
}

try {
  const features = input('features', [8]), label = input('label', [], { dtype: 'i32' });
  const hidden = layers.dense(32, { activation: 'tanh', name: 'hidden' })(features);
  const logits = layers.dense(4, { name: 'logits' })(layers.dense(16, { activation: 'relu', name: 'middle' })(hidden));
  const spec = graph({ outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, label)] });
  const model = await createModel(spec, {
    seed: 1, batchSize: 32, workers: self.crossOriginIsolated ? 2 : 0,
    optimizer: chain(addNoise({ eta: 0.01, gamma: 0.55 }), sgd({ lr: 0.1 })),
  });
  const train = clusters(1024, 1), test = clusters(256, 2);
  say('training', 'training...');
  await model.fit(train.x, train.y, { epochs: 5 });
  const { accuracy } = model.evaluate(test.x, test.y);

  const onnx = await model.toOnnx();
  const link = document.querySelector('#download');
  link.href = URL.createObjectURL(new Blob([onnx], { type: 'application/octet-stream' }));
  link.hidden = false;

  ort.env.wasm.wasmPaths = new URL('/node_modules/onnxruntime-web/dist/', location.href).href;
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(onnx);
  const served = (await session.run({ features: new ort.Tensor('float32', test.x, [256, 8]) })).logits.data;
  const predicted = model.predict(test.x);
  let maxDiff = 0, agree = 0;
  for (let i = 0; i < predicted.length; i++) maxDiff = Math.max(maxDiff, Math.abs(served[i] - predicted[i]));
  const argmax = (a, r) => { let b = 0; for (let j = 1; j < 4; j++) if (a[r * 4 + j] > a[r * 4 + b]) b = j; return b; };
  for (let r = 0; r < 256; r++) if (argmax(served, r) === test.y[r]) agree++;
  Object.assign(document.body.dataset, {
    workers: String(model.workers), onnxBytes: String(onnx.length), maxDiff: String(maxDiff), accuracy: String(accuracy), servedAccuracy: String(agree / 256),
    inputs: session.inputNames.join(','), outputs: session.outputNames.join(','),
  });
  say('done', `trained on ${model.workers || 'no'} worker${model.workers === 1 ? '' : 's'} to ${(100 * accuracy).toFixed(1)}% test accuracy; ` +
    `the ${onnx.length}-byte ONNX model in ONNX Runtime Web: ${(100 * agree / 256).toFixed(1)}%, largest difference from predict() ${maxDiff.toExponential(2)}`);
  await session.release();
  await model.dispose();
} catch (e) {
  say('error', `error: ${e?.message ?? e}`);
  throw e;
}
