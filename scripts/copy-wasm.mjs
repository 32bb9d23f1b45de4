// Copies the built cores next to the compiled facade: dist/src/core/wasm.js loads ../../build/*.wasm,
// which from dist/ is dist/build/. Run by `npm run build:ts`.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

mkdirSync('dist/build', { recursive: true });
for (const f of readdirSync('build').filter((n) => n.endsWith('.wasm'))) copyFileSync(`build/${f}`, `dist/build/${f}`);
