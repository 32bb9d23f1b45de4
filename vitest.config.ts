import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The wasm cores are built by `npm run build:wasm` (npm test runs it first); tests load build/.
// `gradnoise` resolves to the sources, so the README's example runs as written (test/ts/readme.test.ts).
export default defineConfig({
  resolve: { alias: { gradnoise: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/ts/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
