// The adding problem (Hochreiter & Schmidhuber 1997) with an LSTM, in gradnoise's functional API. Each
// example is a sequence of 50 steps of two numbers: a value uniform in [0, 1) and a marker, 1 at exactly two
// steps (one in each half) and 0 elsewhere; the target is the sum of the two marked values. Always answering
// 1 gives a mean squared error of about 0.167; the LSTM has to remember the marked values across the
// sequence to get under 0.01.
//   node examples/lstm/adding.mjs [--epochs 4] [--workers 2]     train and print the test MSE per epoch
//   node examples/lstm/adding.mjs --write DIR                      write model.json and the data as .npy
//     then: gradnoise train --model DIR/model.json --input x=DIR/train-x.npy --input y=DIR/train-y.npy \
//           --test-input x=DIR/test-x.npy --test-input y=DIR/test-y.npy --optimizer adam --lr 0.003 ...
// Every value is a pure function of (split, example, slot) through a counter-based integer hash, so the
// data are the same bytes on every machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adam, clipByGlobalNorm, chain, createModel, graph, input, layers, losses, weightsSha256 } from 'gradnoise';

export const STEPS = 50;

/** The graph: x [50, 2] and y [1] in, the predicted sum out. */
export function addingLstm(units = 64) {
  const x = input('x', [STEPS, 2]), y = input('y', [1]);
  const sum = layers.dense(1)(layers.lstm(units)(x)); // the LSTM's last state -> one number
  return graph({ inputs: [x, y], outputs: [sum], losses: [losses.meanSquaredError(sum, y)] });
}

// The finaliser of MurmurHash3 (a bijection of 32-bit words), chained over the counter's words.
const mix = (a) => {
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  return (a ^ (a >>> 16)) >>> 0;
};
const uniform = (split, i, slot) => mix(mix(mix(0x2545f491 ^ split) ^ i) ^ slot) / 2 ** 32;

/** `count` examples of a split (0 train, 1 test): x [count, 50, 2] and y [count, 1]. */
export function addingData(split, count) {
  const x = new Float32Array(count * STEPS * 2), y = new Float32Array(count);
  const half = STEPS / 2;
  for (let i = 0; i < count; i++) {
    const a = Math.floor(uniform(split, i, 0) * half), b = half + Math.floor(uniform(split, i, 1) * half);
    for (let t = 0; t < STEPS; t++) {
      const v = Math.fround(uniform(split, i, 2 + t));
      x[(i * STEPS + t) * 2] = v;
      if (t === a || t === b) {
        x[(i * STEPS + t) * 2 + 1] = 1;
        y[i] += v;
      }
    }
  }
  return { x, y };
}

/** A .npy file (version 1.0, little-endian float32, C order). */
function npy(path, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  head.set(new TextEncoder().encode(header), 10);
  writeFileSync(path, Buffer.concat([head, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]));
}

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const train = addingData(0, 20_000), test = addingData(1, 2_000);
  const dir = arg('write');
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), `${JSON.stringify(addingLstm(), null, 1)}\n`);
    npy(join(dir, 'train-x.npy'), [20_000, STEPS, 2], train.x);
    npy(join(dir, 'train-y.npy'), [20_000, 1], train.y);
    npy(join(dir, 'test-x.npy'), [2_000, STEPS, 2], test.x);
    npy(join(dir, 'test-y.npy'), [2_000, 1], test.y);
    console.log(`wrote model.json and train/test x, y .npy files to ${dir}`);
  } else {
    const epochs = Number(arg('epochs', 4)), workers = Number(arg('workers', 2));
    const model = await createModel(addingLstm(), { batchSize: 32, seed: 1, workers, optimizer: chain(clipByGlobalNorm(1), adam({ lr: 0.003 })) });
    const t0 = performance.now();
    await model.fit(model.prepare({ x: train.x }, { y: train.y }), {
      epochs, validation: model.prepare({ x: test.x }, { y: test.y }),
      onEpoch: (e) => console.log(`epoch ${e.epoch + 1}: train MSE ${e.loss.toFixed(5)}, test MSE ${e.validation.loss.toFixed(5)}, ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s`),
    });
    console.log(`weights sha256 ${await weightsSha256(model)}`);
    await model.dispose();
  }
}
