// The data of the two-input example (model.json), written as JSON Lines: train.jsonl (1,000 examples) and
// test.jsonl (250). Each example is a bag of 3, 5 or 7 token ids from 1..19 (0 pads the list to the
// model's 7 with --pad-id 0) and a signal of 4 numbers in [-1, 1]; its label is 2A + B, where A says
// whether most tokens are 10 or more and B whether signal[0] > signal[1]: the model needs both inputs.
// Every value is a pure function of (split, example, slot) through a counter-based integer hash, so the
// files are the same bytes on every machine. Run: node examples/graph/make-data.mjs [OUT_DIR]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The finaliser of MurmurHash3 (a bijection of 32-bit words), chained over the counter's words.
const mix = (a) => {
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  return (a ^ (a >>> 16)) >>> 0;
};
/** A uniform draw in [0, 1) for (split, example, slot). */
const uniform = (split, i, slot) => mix(mix(mix(0x9e3779b9 ^ split) ^ i) ^ slot) / 2 ** 32;

export function example(split, i) {
  const length = 3 + 2 * Math.floor(3 * uniform(split, i, 0));
  const tokens = Array.from({ length }, (_, k) => 1 + Math.floor(19 * uniform(split, i, 1 + k)));
  const signal = Array.from({ length: 4 }, (_, k) => Math.round(2000 * uniform(split, i, 100 + k) - 1000) / 1000);
  const a = tokens.filter((t) => t >= 10).length > length / 2 ? 1 : 0;
  const b = signal[0] > signal[1] ? 1 : 0;
  return { tokens, signal, label: 2 * a + b };
}

export const jsonl = (split, count) => Array.from({ length: count }, (_, i) => `${JSON.stringify(example(split, i))}\n`).join('');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? fileURLToPath(new URL('.', import.meta.url));
  writeFileSync(join(dir, 'train.jsonl'), jsonl(0, 1000));
  writeFileSync(join(dir, 'test.jsonl'), jsonl(1, 250));
}
