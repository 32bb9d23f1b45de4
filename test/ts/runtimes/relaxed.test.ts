// The opt-in relaxed build where it runs: Deno, Bun and Node 20 started with --experimental-wasm-relaxed-simd
// (the flag reaches worker threads: the library starts them without the V8 flags Node refuses in a worker's
// execArgv, which hold for the whole process). Each runs test/runtimes/relaxed.mjs through the package's
// bundle. What must hold:
// - the deterministic baseline stays the default even where relaxed SIMD exists, and trains the
//   cross-runtime fixture's bits; `build: 'relaxed'` gives the relaxed build, on workers too;
// - the relaxed GEMM, every graph fixture case (loss and every gradient) and 60 noisy steps of the paper's
//   net (every step's loss, every weight) stay within 1e-5 of the baseline (relative, per tensor);
// - in V8 on a CPU with FMA, the relaxed build really differs from the baseline (it fuses; JavaScriptCore,
//   Bun's engine, runs relaxed_madd unfused, as the spec allows), and on one machine it still gives the same
//   bits on 2 workers as inline (the fold order is fixed);
// - where the engine refuses relaxed SIMD (simulated in Deno), `relaxed` falls back to the baseline with a
//   notice saying why, and trains the baseline's bits.
// Node 20 without the flag (the real fallback, and the CLI's --build) is tested in test/ts/runtime/relaxed.test.ts.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = `${root}/test/runtimes/relaxed.mjs`;
const TOLERANCE = 1e-5;
// V8 compiles relaxed_madd to a fused multiply-add where the CPU has one (x86: FMA3, every ARM64).
const cpuFma = process.arch === 'arm64' || (process.platform === 'linux' && /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8')));

const RUNTIMES: Record<string, (o: object) => string[]> = {
  deno: (o) => [`${root}/node_modules/.bin/deno`, 'run', '--allow-read', SCRIPT, JSON.stringify(o)],
  bun: (o) => [`${root}/node_modules/.bin/bun`, SCRIPT, JSON.stringify(o)],
  node: (o) => [process.execPath, '--experimental-wasm-relaxed-simd', SCRIPT, JSON.stringify(o)],
};

interface Result {
  runtime: { name: string; version: string }; relaxedSimdAvailable: boolean; notices: string[];
  defaultBuild: { build: string; workers: number }; relaxedBuild: { build: string; workers: number }; singleRelaxedBuild: { build: string; workers: number };
  gemm?: { builds: string[]; relaxedFlag: number[]; sameExports: boolean; forms: Record<string, { sameBits: boolean; relError: number }> };
  cases?: { name: string; builds?: string[]; loss?: number; grads?: number; sameBits?: boolean; error?: (string | null)[] }[];
  train?: { steps: number[]; builds: string[]; workers: number[]; baselineHash: string; fixtureHash: string; relaxedHash: string; relaxedInlineHash: string;
    lossRelError: number; weightsRelError: number };
}

function run(runtime: string, o: object = {}): Promise<Result> {
  const [file, ...args] = RUNTIMES[runtime]!(o);
  if (!existsSync(file!)) throw new Error(`${runtime} is not installed at ${file} (npm ci installs it)`);
  return new Promise((resolve, reject) => execFile(file!, args, { cwd: root, timeout: 180_000, maxBuffer: 16 << 20 }, (e, out, err) => {
    if (e) reject(new Error(`${runtime} ${SCRIPT} failed: ${e.message}\n${err}`));
    else resolve(JSON.parse(out.trim().split('\n').pop()!) as Result);
  }));
}

describe('the relaxed build where the engine has relaxed SIMD', () => {
  it.each(['deno', 'node', 'bun'])('%s: baseline by default, relaxed when asked, within 1e-5 of the baseline on the golden nets', async (runtime) => {
    const r = await run(runtime);
    expect(r.runtime.name).toBe(runtime);
    expect(r.relaxedSimdAvailable).toBe(true);
    expect(r.notices).toEqual([]);
    expect(r.defaultBuild.build).toBe('threads');
    expect(r.relaxedBuild).toEqual({ build: 'threads-relaxed', workers: 2 });
    expect(r.singleRelaxedBuild).toEqual({ build: 'single-relaxed', workers: 0 });
    const fuses = runtime !== 'bun' && cpuFma;

    // The GEMM: the right module, the same ABI, close, and (where V8 fuses) not the same bits.
    expect(r.gemm).toMatchObject({ builds: ['single', 'single-relaxed'], relaxedFlag: [0, 1], sameExports: true });
    for (const [form, g] of Object.entries(r.gemm!.forms)) {
      expect(g.relError, form).toBeLessThan(TOLERANCE);
      if (fuses) expect(g.sameBits, `${form}: the relaxed GEMM should fuse here`).toBe(false);
    }

    // Every graph fixture case this core has the kernels for; one it lacks fails alike in both builds.
    const compared = r.cases!.filter((c) => !c.error);
    expect(compared.length).toBeGreaterThanOrEqual(10);
    for (const c of r.cases!) {
      if (c.error) {
        expect(c.error[1], c.name).toBe(c.error[0]);
        continue;
      }
      expect(c.builds, c.name).toEqual(['threads', 'threads-relaxed']);
      expect(c.loss, c.name).toBeLessThan(TOLERANCE);
      expect(c.grads, c.name).toBeLessThan(TOLERANCE);
    }
    if (fuses) expect(compared.some((c) => !c.sameBits)).toBe(true);

    // 60 noisy, clipped steps of the paper's net: the baseline keeps the fixture's bits, the relaxed build
    // stays close and gives one hash for 2 workers and inline.
    const t = r.train!;
    expect({ steps: t.steps, builds: t.builds, workers: t.workers }).toEqual({ steps: [60, 60], builds: ['threads', 'threads-relaxed', 'threads-relaxed'], workers: [2, 2, 0] });
    expect(t.baselineHash).toBe(t.fixtureHash);
    expect(t.relaxedInlineHash).toBe(t.relaxedHash);
    expect(t.lossRelError).toBeLessThan(TOLERANCE);
    expect(t.weightsRelError).toBeLessThan(TOLERANCE);
    if (fuses) expect(t.relaxedHash).not.toBe(t.baselineHash);
  }, 240_000);

  it('an engine without relaxed SIMD (simulated in Deno): "relaxed" falls back to the baseline, says why, and trains its bits', async () => {
    const r = await run('deno', { noRelaxed: true, skip: ['cases', 'gemm'] });
    expect(r.relaxedSimdAvailable).toBe(false);
    expect(r.relaxedBuild).toEqual({ build: 'threads', workers: 2 });
    expect(r.singleRelaxedBuild).toEqual({ build: 'single', workers: 0 });
    const notice = (asked: string, runs: string) => `gradnoise: build "${asked}" needs relaxed SIMD (f32x4.relaxed_madd), which this runtime (deno ${r.runtime.version}) ` +
      `does not have (Chromium, Deno and Bun have it; Node 20 only when started with --experimental-wasm-relaxed-simd); the model runs the baseline ${runs} build, with the deterministic bits.`;
    expect(r.notices).toEqual([notice('relaxed', 'threads'), notice('single-relaxed', 'single')]);
    expect(r.train!.builds).toEqual(['threads', 'threads', 'threads']);
    expect([r.train!.relaxedHash, r.train!.relaxedInlineHash, r.train!.baselineHash]).toEqual([r.train!.fixtureHash, r.train!.fixtureHash, r.train!.fixtureHash]);
  }, 240_000);
});
