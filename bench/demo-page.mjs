// The demo page's first press, timed in Debian's headless Chromium (issue #26): the page served
// cross-origin isolated with its defaults (no URL parameters but auto=1), a fresh browser per round.
// Per round: the seconds from the press to the moment the page knew the two loss curves had parted (the
// noise run's smoothed loss 0.1 below the other's) and to the end, and where each run's time went, as
// the page reports it (examples/browser/trainer.js says how each part is measured). Medians over the
// rounds; the load average beside them, since both runs share this machine's cores with whatever else runs.
//
// Usage: npm run build && node bench/demo-page.mjs [--rounds 3]
import { loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { startServer } from '../examples/browser/serve.mjs';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor((a.length - 1) / 2)];
const server = await startServer({ port: 0, isolation: true });
const rows = [];
console.log(`demo page, defaults, ${rounds} rounds; load average before: ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
try {
  for (let r = 0; r < rounds; r++) {
    const browser = await chromium.launch({ executablePath: process.env.GRADNOISE_CHROMIUM ?? '/usr/bin/chromium', args: FLAGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`${server.url}?auto=1`);
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#status').dataset.state), null, { timeout: 900_000 });
      const d = await page.evaluate(() => ({ state: document.querySelector('#status').dataset.state, status: document.querySelector('#status').textContent, ...document.body.dataset }));
      if (d.state !== 'done') throw new Error(d.status);
      const row = {
        partedStep: Number(d.partedStep), parted: Number(d.partedSeconds), wall: Number(d.wallSeconds),
        noise: JSON.parse(d.noiseTime), plain: JSON.parse(d.plainTime), accuracy: [Number(d.noiseAccuracy), Number(d.plainAccuracy)],
      };
      rows.push(row);
      const parts = (t) => Object.entries(t).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
      console.log(`round ${r + 1}: parted at step ${row.partedStep} after ${row.parted.toFixed(2)} s; done after ${row.wall.toFixed(2)} s; ` +
        `test accuracy ${(100 * row.accuracy[0]).toFixed(2)}% / ${(100 * row.accuracy[1]).toFixed(2)}% (noise / none)`);
      console.log(`  seconds, noise run: ${parts(row.noise)}`);
      console.log(`  seconds, no-noise run: ${parts(row.plain)}`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
const m = (f) => median(rows.map(f)).toFixed(2);
console.log(`median: parted after ${m((x) => x.parted)} s, done after ${m((x) => x.wall)} s; noise run: ` +
  ['load', 'build', 'train', 'eval', 'other'].map((k) => `${k} ${m((x) => x.noise[k])}`).join(', '));
console.log(`load average after: ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
