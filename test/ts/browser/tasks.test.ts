// The algorithmic tasks' bits in a real headless Chromium: digests() of test/runtimes/tasks.mjs, run on the
// browser bundle (dist/browser/gradnoise.js) in a page, equal test/fixtures/tasks-algorithmic.json, the bits
// the sources, Node, Bun and Deno give (test/ts/tasks). Needs the bundle (npm run build) and Debian's
// chromium; skipped without it, as browser.test.ts, unless GRADNOISE_BROWSER_TESTS=required.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { startServer } from '../../../examples/browser/serve.mjs';
// @ts-expect-error: a plain .mjs script without types
import { digests } from '../../runtimes/tasks.mjs';

const CHROMIUM = process.env.GRADNOISE_CHROMIUM ?? '/usr/bin/chromium';
const found = existsSync(CHROMIUM);
if (!found && process.env.GRADNOISE_BROWSER_TESTS === 'required') {
  throw new Error(`the browser tests are required (GRADNOISE_BROWSER_TESTS=required) but ${CHROMIUM} does not exist: apt-get install -y chromium`);
}
const GOLDEN = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/tasks-algorithmic.json', import.meta.url)), 'utf8'));
delete GOLDEN._comment;

describe.skipIf(!found)('the algorithmic tasks in headless Chromium', () => {
  it('give the pinned bits from the browser bundle', async () => {
    const server = await startServer({ port: 0, isolation: false });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}examples/browser/style.css`); // any page of the server's origin
      const got = await page.evaluate(`(async () => (${(digests as (g: unknown) => Promise<object>).toString()})(await import('/dist/browser/gradnoise.js')))()`);
      expect(got).toEqual(GOLDEN);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
