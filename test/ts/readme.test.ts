// The README's example runs as written: its first ```js block is extracted and executed.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';

it('the README example works as written', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code, 'README has a ```js block').toBeTruthy();
  const file = join(mkdtempSync(join(tmpdir(), 'gradnoise-readme-')), 'example.mjs');
  writeFileSync(file, code!);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ file);
    const lines = log.mock.calls.map((c) => c.join(' '));
    expect(lines.filter((l) => l.startsWith('epoch '))).toHaveLength(2);
    const [steps, loss, accuracy, logits, kernel] = lines.at(-1)!.split(' ').map(Number);
    expect(steps).toBe(200);
    expect(loss).toBeGreaterThan(0);
    expect(accuracy).toBeGreaterThan(0.2); // 200 steps of a 20-layer net at lr 0.01: well past chance (0.1), far from done
    expect(logits).toBe(10);
    expect(kernel).toBe(784 * 50);
  } finally {
    log.mockRestore();
  }
});

it('the README\'s graph example (its second js block) learns its lookup task', async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const code = [...readme.matchAll(/```js\n([\s\S]*?)```/g)][1]?.[1];
  expect(code, 'README has a second ```js block').toMatch(/graph\(/);
  const file = join(mkdtempSync(join(tmpdir(), 'gradnoise-readme-')), 'graph.mjs');
  writeFileSync(file, code!);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ file);
    const line = log.mock.calls.map((c) => c.join(' ')).find((l) => l.startsWith('test accuracy '));
    expect(Number(line!.split(' ').at(-1))).toBeGreaterThan(0.9);
  } finally {
    log.mockRestore();
  }
});
