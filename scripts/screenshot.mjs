// Takes the README's screenshot of the demo page (docs/browser-demo.png): Debian's chromium, headless,
// the page served cross-origin isolated, trained with its defaults, as a visitor's first press trains it.
// `node scripts/screenshot.mjs ['steps=6000&eta=0.01']` sets other controls through the URL.
import { chromium } from 'playwright-core';
import { startServer } from '../examples/browser/serve.mjs';

const query = process.argv[2] ? `${process.argv[2]}&` : '';
const server = await startServer({ port: 0, isolation: true });
const browser = await chromium.launch({
  executablePath: process.env.GRADNOISE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 940 } });
  await page.goto(`${server.url}?${query}auto=1`);
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#status').dataset.state), null, { timeout: 1_800_000 });
  const status = await page.textContent('#status');
  await page.screenshot({ path: 'docs/browser-demo.png' });
  console.log(`${status} -> docs/browser-demo.png`);
} finally {
  await browser.close();
  await server.close();
}
