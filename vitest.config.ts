import { defineConfig } from 'vitest/config';

// The wasm module is built once by `npm run build:wasm` (npm test runs it first); tests load build/.
export default defineConfig({
  test: {
    include: ['test/ts/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
