// The algorithmic tasks' bits (src/tasks/algorithmic.ts) in whatever runtime runs this file: digests() of
// fixed batches and curriculum draws, which test/fixtures/tasks-algorithmic.json pins. test/ts/tasks runs it
// as `<runtime> test/runtimes/tasks.mjs` in Node, Bun and Deno (through the Node bundle); test/ts/browser
// evaluates digests() itself in Chromium on the browser bundle. Only WebCrypto and the library: no Node API.

/** SHA-256 (hex) of the batches' inputs, targets and masks per task, and 32 curriculum lengths. */
export async function digests(g) {
  const sha = async (arrays) => {
    const bytes = arrays.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bytes) { all.set(b, at); at += b.length; }
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
  };
  const out = {};
  for (const name of ['add', 'mul', 'copy', 'reverse']) {
    const arrays = [];
    for (const split of ['train', 'test']) {
      const b = g.algorithmicBatch(g.algorithmicTask(name), { seed: 7, length: 20, count: 64, split });
      arrays.push(b.inputs, b.targets, b.mask);
    }
    out[name] = await sha(arrays);
  }
  // Long operands: the multi-limb multiplication and many Philox blocks per example.
  const long = g.algorithmicBatch(g.algorithmicTask('mul', { result: 'full' }), { seed: 2 ** 40 + 3, length: 300, count: 4, start: 2 ** 32 - 5, width: 640 });
  out.mul300 = await sha([long.inputs, long.targets, long.mask]);
  const c = g.curriculum();
  out.curriculum = Array.from({ length: 32 }, (_, s) => g.curriculumLength(c, 7, 7, s)).join(',');
  return out;
}

const argv1 = globalThis.process?.argv?.[1] ?? '';
if (import.meta.main ?? (argv1 !== '' && import.meta.url.endsWith(argv1.slice(argv1.lastIndexOf('/'))))) {
  console.log(JSON.stringify(await digests(await import('../../dist/node/gradnoise.js'))));
}
