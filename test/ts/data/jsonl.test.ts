// JSON Lines examples (src/data/jsonl.ts): nested lists of each field's shape, read row-major into typed
// arrays; padding of short integer lists only with a pad id; every bad line an error naming the line, the
// field, the position and what is wrong.
import { describe, expect, it } from 'vitest';
import { parseJsonlExamples } from '../../../src/data/jsonl.js';

const FIELDS = { story: { shape: [3, 2], integer: true }, q: { shape: [2], integer: true }, a: { shape: [], integer: true }, w: { shape: [2], integer: false } };
const line = (o: unknown) => JSON.stringify(o);

describe('parseJsonlExamples', () => {
  it('reads nested lists row-major, integers as Int32Array and floats as Float32Array', () => {
    const text = [
      line({ story: [[1, 2], [3, 4], [5, 6]], q: [7, 8], a: 2, w: [0.5, -1.25] }),
      line({ a: 0, w: [1e-3, 3], q: [9, 10], story: [[11, 12], [13, 14], [15, 16]] }),
    ].join('\r\n') + '\n\n';
    const r = parseJsonlExamples(text, 'f.jsonl', FIELDS);
    expect([r.count, r.total]).toEqual([2, 2]);
    expect(r.arrays.story).toEqual(new Int32Array([1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]));
    expect(r.arrays.q).toEqual(new Int32Array([7, 8, 9, 10]));
    expect(r.arrays.a).toEqual(new Int32Array([2, 0]));
    expect(r.arrays.w).toEqual(new Float32Array([0.5, -1.25, Math.fround(1e-3), 3]));
    expect(r.padded).toEqual({ story: 0, q: 0, a: 0, w: 0 });
  });

  it('pads short lists of integer fields at their end with the pad id, whole missing entries too', () => {
    const text = `\ufeff${line({ story: [[1], [2, 3]], q: [4], a: 1, w: [0, 0] })}\n`;
    const r = parseJsonlExamples(text, 'f.jsonl', FIELDS, { padId: -1 });
    expect(r.arrays.story).toEqual(new Int32Array([1, -1, 2, 3, -1, -1]));
    expect(r.arrays.q).toEqual(new Int32Array([4, -1]));
    expect(r.padded).toEqual({ story: 3, q: 1, a: 0, w: 0 });
  });

  it('stops at the limit, counting every example of the file in total', () => {
    const text = [1, 2, 3].map((a) => line({ a })).join('\n');
    const r = parseJsonlExamples(text, 'f.jsonl', { a: { shape: [], integer: true } }, { limit: 2 });
    expect([r.count, r.total, [...r.arrays.a!]]).toEqual([2, 3, [1, 2]]);
  });

  const ok = line({ story: [[1, 2], [3, 4], [5, 6]], q: [7, 8], a: 2, w: [0.5, 1] });
  it.each([
    ['', {}, /^f\.jsonl: no examples \(the file is empty\)$/],
    [`${ok}\n\n${ok}`, {}, /^f\.jsonl: line 2 is blank \(blank lines are only allowed at the end\)$/],
    [`${ok}\n{"a": 1,`, {}, /^f\.jsonl: line 2 is not valid JSON \(/],
    ['[1, 2]', {}, /^f\.jsonl: line 1 is \[1,2\] \(need an object of "story", "q", "a", "w"\)$/],
    [line({ story: [[1, 2], [3, 4], [5, 6]], q: [7, 8], w: [0, 0] }), {}, /^f\.jsonl: line 1: "a" is missing \(every line holds "story", "q", "a", "w"\)$/],
    [line({ story: [], q: [], a: 1, w: [0, 0], ansewr: 3 }), {}, /^f\.jsonl: line 1: unknown key "ansewr" \(this file holds "story", "q", "a", "w"\)$/],
    [line({ story: [], q: [], a: 1, w: [0, 0], stroy: 3 }), { padId: 0 }, /^f\.jsonl: line 1: unknown key "stroy" .*; did you mean story\?$/],
    [line({ story: [], q: [], a: 1, w: [0, 0], x: [3] }), { padId: 0, elsewhere: { x: 'given by --input x=x.npy' } },
      /^f\.jsonl: line 1: "x" is given by --input x=x\.npy, so this file must not hold it too$/],
    [line({ story: [[1, 2], [3, 4], [5, 6], [7, 8]], q: [7, 8], a: 2, w: [0, 1] }), {}, /^f\.jsonl: line 1: "story" has 4 entries, more than the 3 of its shape \[3, 2\]$/],
    [line({ story: [[1, 2], [3, 4, 9], [5, 6]], q: [7, 8], a: 2, w: [0, 1] }), { padId: 0 }, /^f\.jsonl: line 1: "story"\[1\] has 3 entries, more than the 2 of its shape \[2\]$/],
    [line({ story: [[1, 2], [3], [5, 6]], q: [7, 8], a: 2, w: [0, 1] }), { padHint: '--pad-id' },
      /^f\.jsonl: line 1: "story"\[1\] has 1 entry, its shape \[2\] needs 2 \(short lists are padded only with a pad id: --pad-id\)$/],
    [line({ story: [[1, 2]], q: [7, 8], a: 2, w: [0, 1] }), {}, /^f\.jsonl: line 1: "story" has 1 entry, its shape \[3, 2\] needs 3 \(short lists are padded only with a pad id/],
    [line({ story: [[1, 2], [3, 4], [5, 6]], q: [7, 8], a: 2, w: [0] }), { padId: 0 }, /^f\.jsonl: line 1: "w" has 1 entry, its shape \[2\] needs 2 \(lists of float values are never padded\)$/],
    [line({ story: [[1, 2], [3, 4.5], [5, 6]], q: [7, 8], a: 2, w: [0, 1] }), {}, /^f\.jsonl: line 1: "story"\[1\]\[1\] is 4\.5 \(need an integer from -2147483648 to 2147483647\)$/],
    [line({ story: [[1, 2], [3, 4], [5, 6]], q: [7, 2 ** 31], a: 2, w: [0, 1] }), {}, /^f\.jsonl: line 1: "q"\[1\] is 2147483648 \(need an integer/],
    [line({ story: [[1, 2], [3, 4], [5, 6]], q: [7, 8], a: [2], w: [0, 1] }), {}, /^f\.jsonl: line 1: "a" is \[2\] \(need an integer/],
    [line({ story: [[1, 2], [3, 4], [5, 6]], q: 7, a: 2, w: [0, 1] }), {}, /^f\.jsonl: line 1: "q" is 7 \(need a list of 2, the shape \[2\]\)$/],
    [line({ story: [[1, 2], [3, 4], [5, 6]], q: [7, 8], a: 2, w: [0, '1'] }), {}, /^f\.jsonl: line 1: "w"\[1\] is "1" \(need a finite number\)$/],
    [`${ok}\n${ok}\n${line({ story: [[1, 2], [3, 4], [5, 6]], q: [7, 8], a: 2, w: [0, null] })}`, {}, /^f\.jsonl: line 3: "w"\[1\] is null \(need a finite number\)$/],
  ])('%s is refused, naming the line, field and position', (text, o, message) => {
    expect(() => parseJsonlExamples(text, 'f.jsonl', FIELDS, o)).toThrow(message);
  });
});
