// Deterministic synthetic data and checks shared by the vitest suites (not a test file itself).
import { createHash } from 'node:crypto';
import type { Model } from '../../src/index.js';

/** SHA-256 of every parameter's bytes in layout order (weightsSha256's bits, synchronously). */
export function weightsHash(m: Model): string {
  const h = createHash('sha256');
  for (const w of m.getWeights().values()) h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  return h.digest('hex');
}

/** A 32-bit LCG (Numerical Recipes constants) giving values in [-1, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** Four Gaussian clusters in 8 dimensions, labels 0..3 (deterministic LCG + Box-Muller in f64). */
export function blobs(count: number, seed: number): { x: Float32Array; y: Uint8Array } {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const centers = [[2, 0], [-2, 0], [0, 2], [0, -2]];
  const x = new Float32Array(count * 8), y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % 4;
    y[i] = c;
    for (let j = 0; j < 8; j++) x[i * 8 + j] = (j < 2 ? centers[c]![j]! : 0) + 0.5 * gauss();
  }
  return { x, y };
}

/**
 * Compiles AssemblyScript entry files (paths relative to the repository) to a standalone wasm module that
 * exports its own memory, and instantiates it: for suites that test kernels outside the core's ABI. An
 * empty config keeps asc from applying the project's asconfig.json (whose entry is assembly/index.ts).
 */
export async function compileTestWasm<T>(label: string, entries: readonly string[]): Promise<{ exports: T; cleanup: () => void }> {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tmp = mkdtempSync(join(tmpdir(), `gradnoise-${label}-`));
  writeFileSync(join(tmp, 'asconfig.json'), JSON.stringify({ options: {} }));
  const out = join(tmp, `${label}.wasm`);
  execFileSync(process.execPath, [
    join(root, 'node_modules/assemblyscript/bin/asc.js'), ...entries.map((e) => join(root, e)),
    '--config', join(tmp, 'asconfig.json'), '--enable', 'simd', '--runtime', 'stub', '-O3', '-o', out,
  ], { cwd: root, stdio: 'pipe' });
  const { instance } = await WebAssembly.instantiate(readFileSync(out), {
    env: { abort: () => { throw new Error('wasm abort'); } },
  });
  return { exports: instance.exports as unknown as T, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}
