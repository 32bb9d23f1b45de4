// TensorFlow.js 4.22 (wasm backend, XNNPACK SIMD) on the graph workloads W5-W7 of bench/peers/models.mjs,
// two formulations each, both the way TF.js users write them; the faster is TF.js at its best:
//   W5  --variant gather : core ops, embedding rows by tf.gather, tf.variableGrads, tf.train.sgd
//       --variant onehot : core ops, embedding rows as tf.oneHot(ids) · table (no gather gradient needed)
//   W6  --variant layers : tf.sequential of tf.layers.conv2d / maxPooling2d / flatten / dense
//       --variant core   : tf.fused.conv2d and tf.fused.matMul (bias and ReLU fused), tf.maxPool
//   W7  --variant layers : tf.sequential of tf.layers.lstm and tf.layers.dense
//       --variant core   : the LSTM by hand: per step one matMul of [x_t, h] by the stacked weights,
//                          then the gates
// Every variant trains with tf.variableGrads over the loss and tf.train.sgd(lr).applyGradients (what a
// custom training loop does, and model.fit does per batch besides reading the loss back), on the cache's
// data and gradnoise's initial weights (the same values; where TF.js keeps a tensor in another layout,
// the conversion is exact: PyTorch-layout LSTM weights transposed, b_ih + b_hh as Keras' single bias).
// The layers are imported from @tensorflow/tfjs-layers, whose Node bundle also registers every op's
// gradient (tfjs-core's Node bundle alone has none, so tf.grad finds nothing).
//
// TF.js at its best: every variant runs with two shims of shims.mjs on the wasm backend, unless its name
// ends in -shipped (TF.js exactly as installed): addWasmTrainingKernels() adds the two kernels training
// needs that the backend lacks (without them W5's gather and W6's convolutions cannot train at all), and
// explicitTransposes() runs the transposed products of every matMul gradient as Transpose + a plain
// product (as W1's "explicit transposes" row), several times faster there. W7's Keras LSTM: recurrentActivation 'sigmoid' (TF.js defaults to hardSigmoid, another
// function than PyTorch's and gradnoise's), and its single bias b = b_ih + b_hh gets the gradient g of
// each of the two, so the same SGD step moves it by -2·lr·g: its gradient is doubled before the update.
// A run of n steps ends with dataSync() of a weight, so the time covers all the work.
//
//   W5  --variant onehot-shipped, W7 --variant layers-shipped: the same without the shims.
//
// Usage: node bench/peers/tfjs_graph.mjs --workload W5|W6|W7 --variant ... --threads 1|2 --cache DIR
import { createRequire } from 'node:module';
import path from 'node:path';
import { LR, batchRows, batchStart, loadGraphCache, parseArgs, report, sampleRates } from './common.mjs';
import { W5, W6, W7, positionEncoding } from './models.mjs';
import { addWasmTrainingKernels, enableTfjsThreads, explicitTransposes } from './shims.mjs';

const o = parseArgs();
const VARIANTS = { W5: ['gather', 'onehot', 'onehot-shipped'], W6: ['layers', 'core'], W7: ['layers', 'core', 'layers-shipped'] };
if (!VARIANTS[o.workload]?.includes(o.variant)) throw new Error(`tfjs_graph: --workload ${o.workload} --variant ${o.variant} is not one of ${JSON.stringify(VARIANTS)}`);
const shipped = o.variant.endsWith('-shipped'), form = o.variant.replace(/-shipped$/, '');
const base = { system: 'tfjs', variant: o.variant, workload: o.workload, threads: o.threads };

const tf = await import('@tensorflow/tfjs-core');
const tfl = await import('@tensorflow/tfjs-layers');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
const require = createRequire(import.meta.url);
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + '/');
if (o.threads > 1) await enableTfjsThreads(tf, wasm, o.threads);
else await tf.setBackend('wasm');
await tf.ready();
const info = { version: tf.version_core, layers: tfl.version_layers, backend: tf.getBackend(), simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), xnnpackThreads: wasm.getThreadsCount() };
if (info.backend !== 'wasm') throw new Error(`backend is ${info.backend}, not wasm`);
if (info.xnnpackThreads !== o.threads) throw new Error(`XNNPACK runs ${info.xnnpackThreads} threads, asked for ${o.threads}`);
if (!shipped) {
  addWasmTrainingKernels(tf);
  explicitTransposes(tf);
}
info.shims = shipped ? 'none' : 'addWasmTrainingKernels, explicitTransposes (shims.mjs)';

const cache = loadGraphCache(o.cache, o.workload);
const param = (name) => {
  const p = cache.params.get(name);
  if (!p) throw new Error(`the cache has no parameter ${name} (has ${[...cache.params.keys()].join(', ')})`);
  return p;
};
const tensorOf = (name) => tf.tensor(param(name).values, param(name).shape);
/** [rows, cols] row-major -> its transpose, exactly (a copy). */
function transposed(values, rows, cols) {
  const t = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = values[r * cols + c];
  return t;
}
// The batch of step s as tensors of the given shapes, by input name.
function batchOf(s, B) {
  const from = batchStart(s, B, cache.count);
  const t = {};
  for (const [name, a] of Object.entries(cache.inputs)) {
    t[name] = tf.tensor(batchRows(a, cache.shapes[name], from, B), [B, ...cache.shapes[name]], a instanceof Int32Array ? 'int32' : 'float32');
  }
  return t;
}

/**
 * A trainer: `vars` the tf.Variables, `loss(batch)` the mean loss (inside variableGrads), `scale` optional
 * factors per variable name for the gradient (W7's Keras bias). Returns { run(n), loss(), moved() }:
 * moved() is the L2 norm of (current - initial) over all variables, in gradnoise's parameters (W7's Keras
 * bias b = b_ih + b_hh moved by 2 d where each of the two moved by d: it counts ||2 d||² / 2).
 */
function trainer(B, vars, lossOf, scale = {}) {
  const opt = tf.train.sgd(LR);
  const initial = vars.map((v) => v.dataSync().slice());
  let s = 0;
  const step = (wantLoss) => {
    const value = tf.tidy(() => {
      const batch = batchOf(s++, B);
      const { value, grads } = tf.variableGrads(() => lossOf(batch), vars);
      for (const [name, f] of Object.entries(scale)) grads[name] = tf.mul(grads[name], f);
      opt.applyGradients(grads);
      return wantLoss ? value : null;
    });
    if (!wantLoss) return null;
    const v = value.dataSync()[0];
    value.dispose();
    return v;
  };
  const moved = () => {
    let sq = 0;
    vars.forEach((v, i) => {
      const w = v.dataSync(), w0 = initial[i];
      let q = 0;
      for (let j = 0; j < w.length; j++) q += (w[j] - w0[j]) ** 2;
      sq += scale[v.name] === 2 ? q / 2 : q;
    });
    return Math.sqrt(sq);
  };
  return {
    run: (n) => { for (let i = 0; i < n; i++) step(false); vars[0].dataSync(); },
    loss: () => step(true),
    moved,
  };
}

// ---------------------------------------------------------------------------------------------------
// W5: the memory block (models.mjs has the computation). Padding ids (0) read as zero vectors: the
// position weights are zeroed there (the tables' row 0 is a live row of the output layer, tied to E_K).
function memoryTrainer(variant) {
  const { S, L, D, V, K, batch: B } = W5;
  const E = Array.from({ length: K + 1 }, (_, k) => tf.variable(tensorOf(`E${k}/embeddings`), true, `E${k}`));
  const pe = tf.tensor2d(positionEncoding(L, D), [L, D]);
  const lossOf = ({ story, query, answer }) => {
    const sMask = tf.cast(tf.notEqual(story, 0), 'float32'); //                 [B, S, L]
    const qMask = tf.cast(tf.notEqual(query, 0), 'float32'); //                 [B, L]
    const sW = tf.mul(tf.expandDims(sMask, 3), pe), qW = tf.mul(tf.expandDims(qMask, 2), pe); // [B, S, L, D], [B, L, D]
    const keys = tf.greater(tf.sum(sMask, 2), 0); //                              [B, S]
    let rows;
    if (variant === 'gather') {
      rows = (table, ids) => tf.gather(table, ids);
    } else {
      // tf.oneHot(..., 'float32') on the wasm backend writes the int32 bits of 1 (1.4e-45) into the f32
      // tensor (4.22's OneHot kernel ignores the dtype), so the one-hot rows are int32, then cast.
      const hot = (ids) => tf.cast(tf.oneHot(tf.reshape(ids, [-1]), V), 'float32');
      const sHot = hot(story), qHot = hot(query);
      rows = (table, ids) => tf.reshape(tf.matMul(ids === story ? sHot : qHot, table), [...ids.shape, D]);
    }
    const bag = (table, ids, w) => tf.sum(tf.mul(rows(table, ids), w), -2);
    const memories = E.map((e) => bag(e, story, sW)); //                          [B, S, D] each
    const minusInf = tf.fill([B, S], -Infinity);
    let u = bag(E[0], query, qW); //                                              [B, D]
    for (let k = 0; k < K; k++) {
      const scores = tf.reshape(tf.matMul(memories[k], tf.expandDims(u, 2)), [B, S]);
      const p = tf.softmax(tf.where(keys, scores, minusInf));
      u = tf.add(u, tf.reshape(tf.matMul(tf.expandDims(p, 1), memories[k + 1]), [B, D]));
    }
    const logits = tf.matMul(u, E[K], false, true); //                             [B, V]
    return tf.losses.softmaxCrossEntropy(tf.oneHot(answer, V), logits);
  };
  return trainer(B, E, lossOf);
}

// ---------------------------------------------------------------------------------------------------
// W6: the LeNet-5-style CNN. Kernels [KH, KW, C, F] and [IN, OUT], TF.js's layouts as well as gradnoise's.
const LENET = ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'];
function lenetTrainer(variant) {
  const B = W6.batch;
  const init = LENET.flatMap((l) => [tensorOf(`${l}/kernel`), tensorOf(`${l}/bias`)]);
  const labels = (label) => tf.oneHot(label, W6.classes);
  if (variant === 'layers') {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [W6.H, W6.W, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 120, activation: 'relu' }),
        tfl.layers.dense({ units: 84, activation: 'relu' }),
        tfl.layers.dense({ units: W6.classes }),
      ],
    });
    model.setWeights(init);
    const vars = model.trainableWeights.map((w) => w.val);
    return trainer(B, vars, ({ image, label }) => tf.losses.softmaxCrossEntropy(labels(label), model.apply(image, { training: true })));
  }
  const v = init.map((t, i) => tf.variable(t, true, `lenet${i}`));
  const [k1, b1, k2, b2, w3, b3, w4, b4, w5, b5] = v;
  return trainer(B, v, ({ image, label }) => {
    let h = tf.fused.conv2d({ x: image, filter: k1, strides: 1, pad: 'same', bias: b1, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.fused.conv2d({ x: h, filter: k2, strides: 1, pad: 'valid', bias: b2, activation: 'relu' });
    h = tf.reshape(tf.maxPool(h, 2, 2, 'valid'), [B, 400]);
    h = tf.fused.matMul({ a: h, b: w3, bias: b3, activation: 'relu' });
    h = tf.fused.matMul({ a: h, b: w4, bias: b4, activation: 'relu' });
    return tf.losses.softmaxCrossEntropy(labels(label), tf.fused.matMul({ a: h, b: w5, bias: b5 }));
  });
}

// ---------------------------------------------------------------------------------------------------
// W7: the LSTM on the adding problem. gradnoise (and PyTorch) keep weight_ih [4H, IN], weight_hh [4H, H]
// with gates i, f, g, o; TF.js multiplies x · kernel, so both take the transposes [IN, 4H], [H, 4H]
// (Keras' gate order i, f, c, o is the same).
function lstmTrainer(variant) {
  const { T, H, batch: B } = W7;
  const G = 4 * H;
  const wih = tf.tensor2d(transposed(param('lstm/weight_ih_l0').values, G, 2), [2, G]);
  const whh = tf.tensor2d(transposed(param('lstm/weight_hh_l0').values, G, H), [H, G]);
  const bih = param('lstm/bias_ih_l0').values, bhh = param('lstm/bias_hh_l0').values;
  const out = [tensorOf('out/kernel'), tensorOf('out/bias')];
  if (variant === 'layers') {
    const model = tfl.sequential({
      layers: [
        // The initialisers are overwritten by setWeights; the default orthogonal one fails on the wasm
        // backend ("rMat.flatten is not a function").
        tfl.layers.lstm({ units: H, inputShape: [T, 2], activation: 'tanh', recurrentActivation: 'sigmoid', unitForgetBias: false,
          kernelInitializer: 'zeros', recurrentInitializer: 'zeros' }),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    const bias = new Float32Array(G);
    for (let i = 0; i < G; i++) bias[i] = bih[i] + bhh[i];
    model.setWeights([wih, whh, tf.tensor1d(bias), ...out]);
    const vars = model.trainableWeights.map((w) => w.val);
    const lstmBias = model.layers[0].trainableWeights.find((w) => w.name.endsWith('bias')).val.name;
    return trainer(B, vars, ({ x, target }) => tf.losses.meanSquaredError(target, model.apply(x, { training: true })), { [lstmBias]: 2 });
  }
  const v = [tf.variable(wih, true, 'wih'), tf.variable(whh, true, 'whh'), tf.variable(tf.tensor1d(bih), true, 'bih'),
    tf.variable(tf.tensor1d(bhh), true, 'bhh'), tf.variable(out[0], true, 'wo'), tf.variable(out[1], true, 'bo')];
  const [Wih, Whh, Bih, Bhh, Wo, Bo] = v;
  return trainer(B, v, ({ x, target }) => {
    // One product per step, of [x_t, h] by [W_ihᵀ; W_hhᵀ] [2 + H, 4H] with b_ih + b_hh. (Computing the input
    // side of all steps as one product first, as gradnoise does, is slower here: the wasm backend's Slice,
    // Unpack and SplitV read back their whole input for every piece, so cutting [T, B, 4H] into steps
    // copies it T times.)
    const xs = tf.unstack(x, 1); //                                               T x [B, 2]
    const W = tf.concat([Wih, Whh], 0), b = tf.add(Bih, Bhh);
    let h = tf.zeros([B, H]), c = tf.zeros([B, H]);
    for (let t = 0; t < T; t++) {
      const z = tf.fused.matMul({ a: tf.concat([xs[t], h], 1), b: W, bias: b });
      const [i, f, g, o] = tf.split(z, 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    }
    return tf.losses.meanSquaredError(target, tf.fused.matMul({ a: h, b: Wo, bias: Bo }));
  });
}

// ---------------------------------------------------------------------------------------------------
const tr = o.workload === 'W5' ? memoryTrainer(form) : o.workload === 'W6' ? lenetTrainer(form) : lstmTrainer(form);
if (o.check > 0) {
  const loss = Array.from({ length: o.check }, () => tr.loss());
  report({ ...base, workload: `check-${o.workload}`, info, series: { loss }, moved: tr.moved() });
} else {
  const r = await sampleRates(tr.run, { warmup: o.warmup || 5, samples: o.samples, seconds: o.seconds, perStep: cache.batch });
  report({ ...base, unit: 'examples/s', info, series: { 'examples/s': r.samples }, steps: r.steps });
}
process.exit(0); // the threaded build's workers would keep Node alive
