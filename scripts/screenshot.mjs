// Takes the README's screenshot of the demo page (docs/browser-demo.png): Debian's chromium, headless,
// the page served cross-origin isolated, the paper's net with the simple init trained with and without
// noise. `node scripts/screenshot.mjs [steps]` (default 6000: ten epochs of the 60,000 images, as `npm run train`).
import { chromium } from 'playwright-core';
import { startServer } from '../examples/browser/serve.mjs';

const steps = Number(process.argv[2] ?? 6000);
const server = await startServer({ port: 0, isolation: true });
const browser = await chromium.launch({
  executablePath: process.env.GRADNOISE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 860 } });
  await page.goto(`${server.url}?steps=${steps}&workers=2&seed=1&init=simple&lr=0.1&clip=10&eta=0.01&gamma=0.55&auto=1`);
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#status').dataset.state), null, { timeout: 1_800_000 });
  const status = await page.textContent('#status');
  await page.screenshot({ path: 'docs/browser-demo.png' });
  console.log(`${status} -> docs/browser-demo.png`);
} finally {
  await browser.close();
  await server.close();
}
