// The ABI drift test: the functions the built core exports are exactly the ones the facade declares.
import { describe, expect, it } from 'vitest';
import { CORE_EXPORT_NAMES } from '../../../src/core/abi.js';
import { createMemory, instantiateCore, loadCoreModule } from '../../../src/core/wasm.js';
import { readCoreBuild } from '../../../src/runtime/threads.js';

describe('core ABI', () => {
  for (const build of ['threads', 'single'] as const) {
    it(`the ${build} build exports exactly CORE_EXPORT_NAMES, all functions, and imports only env.memory`, async () => {
      const mod = await loadCoreModule(build, readCoreBuild);
      const names = WebAssembly.Module.exports(mod.module).map((e) => e.name).sort();
      expect(names).toEqual([...CORE_EXPORT_NAMES].sort());
      expect(CORE_EXPORT_NAMES).toEqual([...CORE_EXPORT_NAMES].sort());
      for (const e of WebAssembly.Module.exports(mod.module)) expect(e.kind, e.name).toBe('function');
      expect(WebAssembly.Module.imports(mod.module).map((i) => `${i.module}.${i.name}:${i.kind}`)).toEqual(['env.memory:memory']);
      const core = instantiateCore(mod, createMemory(mod, 1));
      expect(core.memory.buffer instanceof SharedArrayBuffer).toBe(build === 'threads');
      expect(mod.arenaBase % 64).toBe(0);
      expect(core.exports.arena_base()).toBe(mod.arenaBase);
      expect(core.exports.relaxed_simd(), 'a baseline build').toBe(0);
    });
  }

  it('refuses a memory larger than wasm32 allows and a non-integer page count', async () => {
    const mod = await loadCoreModule('single', readCoreBuild);
    expect(() => createMemory(mod, 65537)).toThrow(/65537 pages.*limit is 65536/);
    expect(() => createMemory(mod, 1.5)).toThrow(/1.5 pages/);
  });
});
