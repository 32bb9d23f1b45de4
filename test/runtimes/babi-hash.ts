// Run by test/ts/tasks/babi.test.ts in Bun and in Deno (--sloppy-imports), straight from the TypeScript
// sources: prints the SHA-256 of the generated bAbI text (every task, train then test, seed 1, COUNT
// questions per task, the first argument) and its length, which must be the bits Node generates.
import { babi } from '../../src/tasks/babi/generate.ts';
import { formatBabi } from '../../src/tasks/babi/format.ts';

declare const Deno: { args: string[] } | undefined;
declare const process: { argv: string[] };
const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const count = Number(args[0] ?? '100');
const text = formatBabi([...babi({ split: 'train', count }), ...babi({ split: 'test', count })]);
const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
console.log(`${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')} ${text.length}`);
