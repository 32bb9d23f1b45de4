// The package as another project sees it: `import 'gradnoise'` from a project that depends on it resolves
// through the exports map to the Node bundle in Node and to the browser bundle under the `browser`
// condition (what bundlers set for web targets), and the Node bundle trains on workers from there with no
// configuration (its worker.js and wasm files sit beside it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const app = mkdtempSync(join(tmpdir(), 'gradnoise-app-'));
mkdirSync(join(app, 'node_modules'));
symlinkSync(ROOT, join(app, 'node_modules', 'gradnoise'), 'dir');
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', dependencies: { gradnoise: '*' } }));
afterAll(() => rmSync(app, { recursive: true, force: true }));

const node = (args: string[], script: string) =>
  execFileSync(process.execPath, [...args, '--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' }).trim();

describe('the package from another project', () => {
  it('resolves to dist/node in Node, to dist/browser under the browser and workerd conditions, and names the wasm cores', () => {
    expect(node([], "console.log(import.meta.resolve('gradnoise'))")).toMatch(/\/dist\/node\/gradnoise\.js$/);
    expect(node(['--conditions=browser'], "console.log(import.meta.resolve('gradnoise'))")).toMatch(/\/dist\/browser\/gradnoise\.js$/);
    // wrangler (Cloudflare Workers) resolves with the workerd condition and imports .wasm files as modules.
    expect(node(['--conditions=workerd'], "console.log(import.meta.resolve('gradnoise'))")).toMatch(/\/dist\/browser\/gradnoise\.js$/);
    for (const build of ['single', 'threads', 'single-relaxed', 'threads-relaxed']) {
      const path = fileURLToPath(node([], `console.log(import.meta.resolve('gradnoise/gradnoise.${build}.wasm'))`));
      expect(path).toMatch(new RegExp(`/dist/browser/gradnoise\\.${build}\\.wasm$`));
      expect(readFileSync(path).subarray(0, 4)).toEqual(Buffer.from([0, 97, 115, 109]));
    }
  });

  it('the Node bundle trains on 2 workers with no configuration, with the bits of the sources', () => {
    const out = node([], `
      import { createHash } from 'node:crypto';
      import { createModel, mlp, sgd } from 'gradnoise';
      const m = await createModel(mlp({ inputs: 8, hidden: [16, 16], outputs: 4 }), { workers: 2, seed: 5, optimizer: sgd({ lr: 0.1 }) });
      const x = new Float32Array(64 * 8).map((_, i) => Math.sin(i)), y = new Uint8Array(64).map((_, i) => i % 4);
      await m.fit(x, y, { epochs: 3 });
      const h = createHash('sha256');
      for (const w of m.getWeights().values()) h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
      console.log(JSON.stringify({ workers: m.workers, build: m.build, steps: m.step, sha: h.digest('hex') }));
      await m.dispose();`);
    const fromSources = node([], `
      import { createHash } from 'node:crypto';
      import { createModel, mlp, sgd } from ${JSON.stringify(join(ROOT, 'dist/src/index.js'))};
      const m = await createModel(mlp({ inputs: 8, hidden: [16, 16], outputs: 4 }), { workers: 0, seed: 5, optimizer: sgd({ lr: 0.1 }) });
      const x = new Float32Array(64 * 8).map((_, i) => Math.sin(i)), y = new Uint8Array(64).map((_, i) => i % 4);
      await m.fit(x, y, { epochs: 3 });
      const h = createHash('sha256');
      for (const w of m.getWeights().values()) h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
      console.log(h.digest('hex'));`);
    expect(JSON.parse(out)).toEqual({ workers: 2, build: 'threads', steps: 6, sha: fromSources });
  });
});
