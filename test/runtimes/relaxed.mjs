// The opt-in relaxed build (GEMMs on f32x4.relaxed_madd) against the deterministic baseline, in whatever
// runtime runs this file: Deno, Bun, Chromium-less Node started with --experimental-wasm-relaxed-simd.
// Prints one JSON line; test/ts/runtimes/relaxed.test.ts runs it as
// `<runtime> test/runtimes/relaxed.mjs '<json options>'` (Deno needs --allow-read) and judges it.
//
// What it measures, through the package's Node bundle (dist/node) and its compiled facade (dist/src):
// - which build a model gets by default, with build "relaxed", and what it said (notices);
// - the GEMM of both builds on the same operands: whether the bits differ (they do where the CPU fuses the
//   multiply-add) and the largest relative difference;
// - every case of the graph fixtures (test/fixtures/graph/cases.json): loss and gradients of both builds,
//   relative difference per tensor (max |relaxed - baseline| / max |baseline|); a case that fails (a kernel
//   this core lacks) is recorded with both builds' errors;
// - the cross-runtime run (test/fixtures/cross-runtime.json: the paper's net, 60 noisy clipped steps) on
//   both builds: the loss of every step, the final weights, and the relaxed build's hash inline and on 2
//   workers (one machine, one fold order: the same bits).
//
// Options: { noRelaxed: true } makes WebAssembly.validate refuse relaxed SIMD first, as an engine without
// it does (the fallback test); { skip: ['cases', 'train', 'gemm'] } leaves parts out.
const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const o = JSON.parse(args[0] ?? '{}');
if (o.noRelaxed) {
  const validate = WebAssembly.validate;
  // An engine without relaxed SIMD refuses any module holding one of its opcodes (0xfd 0x100-0x113).
  WebAssembly.validate = (bytes) => {
    const b = new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength);
    for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0xfd && b[i + 1] >= 0x80 && b[i + 1] <= 0x93 && b[i + 2] === 0x02) return false;
    return validate(bytes);
  };
}
const g = await import('../../dist/node/gradnoise.js');
const { createMemory, instantiateCore, loadCoreModule } = await import('../../dist/src/core/wasm.js');
const { readCoreBuild } = await import('../../dist/src/runtime/threads.js');
const { CORE_EXPORT_NAMES } = await import('../../dist/src/core/abi.js');
const readText = async (rel) => {
  const url = new URL(rel, import.meta.url);
  if (globalThis.Deno) return globalThis.Deno.readTextFile(url);
  const { readFileSync } = await import('node:fs');
  return readFileSync(url, 'utf8');
};
const skip = new Set(o.skip ?? []);
const notices = [];
const onWarning = (m) => notices.push(m);

/** max |a - b| / max |b| (0 when equal). */
function relError(a, b) {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num === 0 ? 0 : num / den;
}
const sameBits = (a, b) => a.length === b.length && new Uint32Array(a.buffer, a.byteOffset, a.length).every((v, i) => v === new Uint32Array(b.buffer, b.byteOffset, b.length)[i]);

const out = { runtime: g.runtimeInfo(), relaxedSimdAvailable: g.relaxedSimdAvailable() };

// Which build a model gets: by default, and when relaxed is asked for (inline and on 2 workers).
const probe = g.mlp({ inputs: 4, hidden: [8], outputs: 2 });
const buildOf = async (options) => {
  const m = await g.createModel(probe, { batchSize: 4, onWarning, ...options });
  const r = { build: m.build, workers: m.workers };
  await m.dispose();
  return r;
};
out.defaultBuild = await buildOf({});
out.relaxedBuild = await buildOf({ build: 'relaxed', workers: 2 });
out.singleRelaxedBuild = await buildOf({ build: 'single-relaxed', workers: 0 });

// The GEMM of both builds, 3 forms, on one set of operands (M, K, N chosen to reach every tile kind).
if (!skip.has('gemm') && out.relaxedSimdAvailable) {
  const [M, K, N] = [37, 301, 45];
  const cores = [];
  for (const build of ['single', 'single-relaxed']) {
    const mod = await loadCoreModule(build, readCoreBuild);
    const core = instantiateCore(mod, createMemory(mod, 64));
    cores.push({ build: mod.build, exports: WebAssembly.Module.exports(mod.module).map((e) => e.name).sort(), k: core.exports, f: new Float32Array(core.memory.buffer), base: mod.arenaBase, relaxed: core.exports.relaxed_simd() });
  }
  out.gemm = { builds: cores.map((c) => c.build), relaxedFlag: cores.map((c) => c.relaxed), sameExports: cores.every((c) => c.exports.join() === [...CORE_EXPORT_NAMES].sort().join()), forms: {} };
  for (const form of ['nn', 'nt', 'tn']) {
    const res = cores.map((c) => {
      const a = c.base, b = a + M * K * 4, y = b + K * N * 4, s = y + M * N * 4;
      let x = 7;
      for (let i = a >> 2; i < y >> 2; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; c.f[i] = (x >>> 8) / 2 ** 24 - 0.5; }
      c.k[`gemm_${form}_f32`](y, a, b, M, K, N, 0, s);
      return c.f.slice(y >> 2, (y >> 2) + M * N);
    });
    out.gemm.forms[form] = { sameBits: sameBits(res[0], res[1]), relError: relError(res[1], res[0]) };
  }
}

// Every graph fixture case: loss and gradients, baseline and relaxed, inline.
if (!skip.has('cases')) {
  const { cases } = JSON.parse(await readText('../fixtures/graph/cases.json'));
  const run = async (c, build) => {
    const spec = g.compileGraph(c.spec);
    const m = await g.createModel(c.spec, { batchSize: c.rows, workers: 0, build, onWarning });
    for (const [name, v] of Object.entries(c.params)) m.setParam(name, Float32Array.from(v));
    const x = {}, y = {};
    for (const i of spec.spec.inputs) {
      const a = i.dtype === 'i32' ? Int32Array.from(c.inputs[i.name]) : Float32Array.from(c.inputs[i.name]);
      (spec.targetInputs.includes(i.name) ? y : x)[i.name] = a;
    }
    const loss = m.computeGradients(x, y);
    const grads = new Map(m.paramNames.map((n) => [n, m.getGrad(n)]));
    const build_ = m.build;
    await m.dispose();
    return { loss, grads, build: build_ };
  };
  out.cases = [];
  for (const c of cases) {
    // A case whose kernels this core lacks fails in both builds alike: recorded, not compared.
    const attempt = (build) => run(c, build).catch((e) => ({ error: e.message }));
    const base = await attempt('auto'), rel = await attempt('relaxed');
    if (base.error || rel.error) {
      out.cases.push({ name: c.name, error: [base.error ?? null, rel.error ?? null] });
      continue;
    }
    let grads = 0, same = base.loss === rel.loss;
    for (const [n, v] of base.grads) {
      grads = Math.max(grads, relError(rel.grads.get(n), v));
      same &&= sameBits(v, rel.grads.get(n));
    }
    out.cases.push({ name: c.name, builds: [base.build, rel.build], loss: Math.abs(rel.loss - base.loss) / Math.abs(base.loss), grads, sameBits: same });
  }
}

// The cross-runtime run on both builds.
if (!skip.has('train')) {
  const fixture = JSON.parse(await readText('../fixtures/cross-runtime.json'));
  const { train, test } = g.mnist({ limit: { train: fixture.trainLimit, test: fixture.testLimit } });
  const config = g.resolveTrainConfig(fixture.config, 'fixture.config');
  const data = { train, test, features: 784, classes: 10 };
  const trainOn = async (build, workers) => {
    const m = await g.createModelFromConfig(config, data, { workers, build, onWarning });
    const losses = [];
    await m.fit(train.x, train.y, { steps: config.steps, onStep: (s) => losses.push(s.loss) });
    const r = { build: m.build, workers: m.workers, losses, weights: m.getWeights(), hash: await g.weightsSha256(m), accuracy: m.evaluate(test.x, test.y).accuracy };
    await m.dispose();
    return r;
  };
  const base = await trainOn('auto', 2), rel = await trainOn('relaxed', 2), rel0 = await trainOn('relaxed', 0);
  let lossRel = 0, weightsRel = 0;
  base.losses.forEach((l, i) => { lossRel = Math.max(lossRel, Math.abs(rel.losses[i] - l) / Math.abs(l)); });
  for (const [n, w] of base.weights) weightsRel = Math.max(weightsRel, relError(rel.weights.get(n), w));
  out.train = {
    steps: [base.losses.length, rel.losses.length], builds: [base.build, rel.build, rel0.build], workers: [base.workers, rel.workers, rel0.workers],
    baselineHash: base.hash, fixtureHash: fixture.weightsSha256, relaxedHash: rel.hash, relaxedInlineHash: rel0.hash,
    lossRelError: lossRel, weightsRelError: weightsRel, testAccuracy: [base.accuracy, rel.accuracy],
  };
}
out.notices = [...new Set(notices)];
console.log(JSON.stringify(out));
