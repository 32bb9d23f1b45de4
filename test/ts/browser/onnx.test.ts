// Train in the browser, export, serve with onnxruntime-web (the README's claim), in a real headless
// Chromium: examples/onnx/ trains a small network on 2 Web Workers, writes it with model.toOnnx() (the
// browser bundle loading @bufbuild/protobuf through the page's import map) and runs the file in ONNX
// Runtime Web, whose outputs must equal predict()'s within 1e-5.
//
// Needs the browser bundle (npm run build) and /usr/bin/chromium, as test/ts/browser/browser.test.ts
// (skipped with a warning without it, unless GRADNOISE_BROWSER_TESTS=required).
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { startServer } from '../../../examples/browser/serve.mjs';

const CHROMIUM = process.env.GRADNOISE_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const found = existsSync(CHROMIUM);
if (!found && process.env.GRADNOISE_BROWSER_TESTS === 'required') {
  throw new Error(`the browser tests are required (GRADNOISE_BROWSER_TESTS=required) but ${CHROMIUM} does not exist: apt-get install -y chromium`);
}
if (!found) console.warn(`browser ONNX test skipped: ${CHROMIUM} does not exist (apt-get install -y chromium, or set GRADNOISE_CHROMIUM)`);

describe.skipIf(!found)('examples/onnx in headless Chromium', () => {
  it('trains on 2 Web Workers, exports ONNX in the page and ONNX Runtime Web serves predict()\'s outputs', async () => {
    const server = await startServer({ port: 0, isolation: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}examples/onnx/index.html`);
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#status')!.getAttribute('data-state')!), null, { timeout: 120_000 });
      const r = await page.evaluate(() => ({ state: document.querySelector('#status')!.getAttribute('data-state'), text: document.querySelector('#status')!.textContent, ...document.body.dataset }));
      expect(errors).toEqual([]);
      expect(r.state, r.text ?? '').toBe('done');
      expect(r.workers).toBe('2');
      expect(r.inputs).toBe('features');
      expect(r.outputs).toBe('logits');
      expect(Number(r.onnxBytes)).toBeGreaterThan(1000);
      expect(Number(r.maxDiff)).toBeLessThanOrEqual(1e-5);
      expect(Number(r.accuracy)).toBeGreaterThan(0.9);
      expect(Number(r.servedAccuracy)).toBe(Number(r.accuracy));
      expect(await page.locator('#download').getAttribute('href')).toMatch(/^blob:/);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
