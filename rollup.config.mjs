// The package's bundles, from the compiled facade (dist/src, tsc's output):
//   dist/browser/  gradnoise.js (the browser barrel, src/browser.ts), worker.js, gradnoise.{threads,single}.wasm and
//                  their opt-in relaxed-SIMD twins gradnoise.{threads,single}-relaxed.wasm
//   dist/node/     gradnoise.js (the Node barrel, src/index.ts), worker.js, the same wasm files
// Each bundle is one self-contained ES module (no shared chunks): the library finds its worker and its
// wasm beside itself (`new URL('./worker.js', import.meta.url)`), which works from a plain
// <script type="module"> page, from node_modules, and through bundlers that follow that pattern.
// `node:` modules stay external in the Node bundle; the browser bundle, which also serves edge runtimes
// (workerd), names none (see noNodeModules). @assemblyscript/loader is bundled in, and no other package
// (onlyTheLoader): the optional ones (MNIST, plots, BullMQ, YAML) stay out of the library. The build
// prints each file's size.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { gzipSync } from 'node:zlib';

const WASM = ['gradnoise.threads.wasm', 'gradnoise.single.wasm', 'gradnoise.threads-relaxed.wasm', 'gradnoise.single-relaxed.wasm'];

/** Paths from dist/src/runtime/ to the wasm files become paths beside the bundle. */
const besideTheBundle = () => ({
  name: 'gradnoise-beside-the-bundle',
  transform(code, id) {
    if (!id.endsWith('/runtime/threads.js')) return null;
    const out = code.replaceAll("'../../build/gradnoise.", "'./gradnoise.");
    if (out === code) this.error('threads.js no longer names ../../build/gradnoise.*.wasm: update rollup.config.mjs');
    return { code: out, map: null };
  },
});

/**
 * Browsers and edge runtimes have no node: modules, and workerd, Vite and plain pages refuse a bundle that
 * names one: runtime/node.ts (files, worker_threads), which threads.ts loads only in Node, Bun and Deno,
 * becomes a stub here. The stub is never called: threads.ts checks the runtime first.
 */
const noNodeModules = () => ({
  name: 'gradnoise-no-node-modules',
  resolveId(source, importer) {
    return source === './node.js' && importer?.endsWith('/runtime/threads.js') ? '\0gradnoise-node-stub' : null;
  },
  load(id) {
    if (id !== '\0gradnoise-node-stub') return null;
    return ['readBytes', 'writeBytesAtomic', 'cores', 'startWorker', 'hostPort']
      .map((f) => `export function ${f}() { throw new Error('gradnoise: ${f} needs Node, Bun or Deno'); }`).join('\n');
  },
  generateBundle(_options, bundle) {
    for (const [name, chunk] of Object.entries(bundle)) {
      const named = chunk.type === 'chunk' && chunk.code.match(/['"]node:[a-z_/]+['"]/);
      if (named) this.error(`${name} names ${named[0]}: the browser bundle must not import node: modules`);
    }
  },
});

/**
 * Of node_modules only @assemblyscript/loader goes into a bundle. A barrel that reached the CLI, the sweeps
 * or an optional package (statically or by import()) would inline it here, silently: this makes it an error.
 */
const onlyTheLoader = () => ({
  name: 'gradnoise-only-the-loader',
  generateBundle(_options, bundle) {
    for (const [name, chunk] of Object.entries(bundle)) {
      if (chunk.type !== 'chunk') continue;
      const other = Object.keys(chunk.modules).find((id) => id.includes('/node_modules/') && !id.includes('/node_modules/@assemblyscript/loader/'));
      if (other) this.error(`${name} bundles ${other}: the library's bundles carry no package but @assemblyscript/loader (see rollup.config.mjs)`);
    }
  },
});

/** Copies the wasm files next to the bundle and prints every output's size (raw and gzipped). */
const shipAndReport = (dir, withWasm) => ({
  name: 'gradnoise-ship-and-report',
  writeBundle(_options, bundle) {
    mkdirSync(dir, { recursive: true });
    for (const f of WASM) copyFileSync(`build/${f}`, `${dir}/${f}`);
    const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
    for (const name of [...Object.keys(bundle), ...(withWasm ? WASM : [])]) {
      const bytes = readFileSync(`${dir}/${name}`);
      console.log(`  ${dir}/${name}: ${kb(bytes.length)} (gzip ${kb(gzipSync(bytes).length)})`);
    }
  },
});

const bundle = (target, input, name) => ({
  input,
  // @bufbuild/protobuf writes ONNX files (src/export/onnx/encode.ts imports it when toOnnx() first runs): a
  // dependency of the package, never part of a bundle, so training never loads it.
  external: (id) => id.startsWith('node:') || id === '@bufbuild/protobuf' || id.startsWith('@bufbuild/protobuf/'),
  plugins: [
    besideTheBundle(), ...(target === 'browser' ? [noNodeModules()] : []), onlyTheLoader(),
    // @assemblyscript/loader, the one runtime dependency the core needs, goes into the bundle.
    nodeResolve({ browser: target === 'browser', preferBuiltins: true }),
    shipAndReport(`dist/${target}`, name === 'gradnoise'),
  ],
  output: { file: `dist/${target}/${name}.js`, format: 'es', inlineDynamicImports: true, sourcemap: false },
  onwarn(w, warn) {
    if (w.code === 'CIRCULAR_DEPENDENCY') return;
    warn(w);
  },
});

export default [
  bundle('browser', 'dist/src/browser.js', 'gradnoise'),
  bundle('browser', 'dist/src/runtime/worker.js', 'worker'),
  bundle('node', 'dist/src/index.js', 'gradnoise'),
  bundle('node', 'dist/src/runtime/worker.js', 'worker'),
];
