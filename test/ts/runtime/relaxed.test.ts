// The opt-in relaxed build where the engine has no relaxed SIMD: Node 20 as vitest runs it (without
// --experimental-wasm-relaxed-simd). The deterministic baseline stays the default; `build: 'relaxed'` (and
// `gradnoise train --build relaxed`) falls back to it with a notice that says why, and trains its bits; a
// relaxed core handed over as bytes, or a core of the other SIMD than asked for, gets an error naming it.
// The relaxed build itself runs in test/ts/runtimes/relaxed.test.ts (Deno, Bun, Node with the flag).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createModel, mlp, relaxedSimdAvailable, resolveTrainConfig, runTraining, sgd, weightsSha256 } from '../../../src/index.js';
import { blobs } from '../helpers.js';

const core = (build: string) => readFileSync(new URL(`../../../build/gradnoise.${build}.wasm`, import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/gradnoise.js', import.meta.url));
const spec = mlp({ inputs: 8, hidden: [16, 16], outputs: 4, init: 'heNormal' });
const NOTICE = (asked: string, runs: string) => `gradnoise: build "${asked}" needs relaxed SIMD (f32x4.relaxed_madd), which this runtime ` +
  `(node ${process.versions.node}) does not have (Chromium, Deno and Bun have it; Node 20 only when started with ` +
  `--experimental-wasm-relaxed-simd); the model runs the baseline ${runs} build, with the deterministic bits.`;

// This suite is about an engine without relaxed SIMD: Node 20 without the V8 flag is one.
const withoutRelaxed = process.versions.node.startsWith('20.') && !process.execArgv.some((a) => a.includes('relaxed-simd'));

describe.runIf(withoutRelaxed)('build "relaxed" where the engine has no relaxed SIMD (Node 20 without the flag)', () => {
  it('the engine says so', () => {
    expect(relaxedSimdAvailable()).toBe(false);
  });

  it('the default model runs the deterministic baseline build', async () => {
    const m = await createModel(spec, { batchSize: 8, workers: 0 });
    expect(m.build).toBe('threads');
    await m.dispose();
  });

  it('falls back to the baseline build with a notice, and trains its bits, inline and on workers', async () => {
    const d = blobs(200, 5);
    const train = async (build: 'auto' | 'relaxed' | 'single-relaxed', workers: number) => {
      const notices: string[] = [];
      const m = await createModel(spec, { batchSize: 20, seed: 4, optimizer: sgd({ lr: 0.05 }), build, workers, onWarning: (w) => notices.push(w) });
      await m.fit(d.x, d.y, { epochs: 2 });
      const r = { build: m.build, workers: m.workers, notices, hash: await weightsSha256(m) };
      await m.dispose();
      return r;
    };
    const base = await train('auto', 0);
    expect(base).toMatchObject({ build: 'threads', notices: [] });
    expect(await train('relaxed', 2)).toEqual({ build: 'threads', workers: 2, notices: [NOTICE('relaxed', 'threads')], hash: base.hash });
    expect(await train('single-relaxed', 0)).toEqual({ build: 'single', workers: 0, notices: [NOTICE('single-relaxed', 'single')], hash: base.hash });
  });

  it('a run asked to use it says the same, and its summary names the build that ran', async () => {
    const d = blobs(200, 6);
    const notices: string[] = [];
    const { summary } = await runTraining(resolveTrainConfig({ steps: 5, batchSize: 20, depth: 1, width: 8 }), { train: { ...d, count: 200 }, test: null, features: 8, classes: 4 },
      { workers: 0, build: 'relaxed', keepSteps: false, hooks: { onWarning: (w) => notices.push(w) } });
    expect(summary.build).toBe('threads');
    expect(notices).toEqual([NOTICE('relaxed', 'threads')]);
  });

  it('a relaxed core handed over as bytes cannot compile here, and says why', async () => {
    await expect(createModel(spec, { onWarning: () => {}, build: 'threads-relaxed', wasm: core('threads-relaxed') }))
      .rejects.toThrow(/^gradnoise: this runtime has no relaxed SIMD, so it cannot compile a relaxed build of the core \(.*\); use a baseline build \(gradnoise\.threads\.wasm\)$/);
    await expect(createModel(spec, { onWarning: () => {}, wasm: core('single-relaxed') }))
      .rejects.toThrow(/this runtime has no relaxed SIMD, so it cannot compile a relaxed build of the core/);
  });

  it('gradnoise train --build relaxed warns on stderr, names the build in --json, and trains the baseline bits', async () => {
    const cli = (extra: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'train', '--train-limit', '500', '--test-limit', '100', '--steps', '5', '--workers', '0', '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      c.stdout.on('data', (b: Buffer) => { stdout += b; });
      c.stderr.on('data', (b: Buffer) => { stderr += b; });
      c.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    const [plain, relaxed] = await Promise.all([cli([]), cli(['--build', 'relaxed'])]);
    expect([plain.code, relaxed.code]).toEqual([0, 0]);
    const summary = (s: string) => JSON.parse(s.trim().split('\n').pop()!) as { build: string; weightsSha256: string };
    expect(relaxed.stderr).toBe(`${NOTICE('relaxed', 'threads')}\n`);
    expect(summary(relaxed.stdout).build).toBe('threads');
    expect(summary(relaxed.stdout).weightsSha256).toBe(summary(plain.stdout).weightsSha256);
    const bad = await cli(['--build', 'fma']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/option '--build <name>' argument 'fma' is invalid\. Allowed choices are auto, relaxed, threads, single, threads-relaxed, single-relaxed\./);
  });
});

describe('choosing a build', () => {
  it('an unknown build is an error listing the builds', async () => {
    await expect(createModel(spec, { build: 'fma' as 'auto' })).rejects.toThrow(/createModel: build is "fma" \(allowed: auto, threads, single, relaxed, threads-relaxed, single-relaxed\)/);
  });

  it('a baseline core handed over where a relaxed one is asked for (or the reverse) is an error naming both', async () => {
    const quiet = { onWarning: () => {} };
    await expect(createModel(spec, { ...quiet, build: 'threads-relaxed', wasm: core('threads') })).rejects.toThrow(/the wasm module given is the threads build, but build is "threads-relaxed"/);
    await expect(createModel(spec, { ...quiet, build: 'relaxed', wasm: await WebAssembly.compile(core('single')) })).rejects.toThrow(/the wasm module given is the single build, but build is "relaxed"/);
    // A baseline core handed over with build "auto" is simply that build.
    const m = await createModel(spec, { ...quiet, wasm: core('threads') });
    expect(m.build).toBe('threads');
    await m.dispose();
  });
});
