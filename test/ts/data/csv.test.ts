// test/ts/data/csv.test.ts
// Numeric CSV reader: plain and headed files, line endings and whitespace, the number syntax (JS Number()
// plus the NaN/inf spellings numpy and R write), and every validation error (message must start with
// the name and give the line and column).

import { describe, expect, it } from 'vitest';
import { parseNumericCsv } from '../../../src/data/csv.js';

describe('parseNumericCsv', () => {
  it('plain rows, row-major', () => {
    const t = parseNumericCsv('1,2,3\n4,5,6\n');
    expect(t.rows).toBe(2);
    expect(t.cols).toBe(3);
    expect(t.header).toBeNull();
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('without a trailing newline, and with blank lines at the end', () => {
    expect(Array.from(parseNumericCsv('1,2\n3,4').data)).toEqual([1, 2, 3, 4]);
    const t = parseNumericCsv('1,2\n3,4\n\n  \n\r\n');
    expect(t.rows).toBe(2);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]);
  });

  it('a single column and a single row', () => {
    expect(parseNumericCsv('7\n8\n9\n')).toMatchObject({ rows: 3, cols: 1 });
    expect(parseNumericCsv('7,8,9')).toMatchObject({ rows: 1, cols: 3 });
  });

  it('header line', () => {
    const t = parseNumericCsv('label, x0 ,x1\n1,0.5,-0.5\n0,1e-3,2E2\n', 'train.csv');
    expect(t.header).toEqual(['label', 'x0', 'x1']);
    expect(t.rows).toBe(2);
    expect(t.cols).toBe(3);
    expect(Array.from(t.data)).toEqual([1, 0.5, -0.5, 0, 0.001, 200]);
  });

  it('one non-numeric field makes the first line a header', () => {
    const t = parseNumericCsv('1,2,y\n3,4,5\n');
    expect(t.header).toEqual(['1', '2', 'y']);
    expect(Array.from(t.data)).toEqual([3, 4, 5]);
    // pandas' unnamed index column: an empty header name is fine.
    expect(parseNumericCsv(',a,b\n0,1,2\n').header).toEqual(['', 'a', 'b']);
  });

  it('CRLF line endings', () => {
    const t = parseNumericCsv('a,b\r\n1,2\r\n3,4\r\n');
    expect(t.header).toEqual(['a', 'b']);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]);
  });

  it('spaces around fields, and JS number syntax', () => {
    const t = parseNumericCsv(' 1 ,\t-2.5,  .5\n+3, 0x10 ,1e3 \n');
    expect(Array.from(t.data)).toEqual([1, -2.5, 0.5, 3, 16, 1000]);
  });

  it('every value equals Number() of its text (random decimal fields, fast and general paths)', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const digits = (n: number): string => Array.from({ length: n }, () => String(rand(10))).join('');
    const fields: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let f = ['', '-', '+'][rand(3)]! + digits(rand(19));
      if (rand(2)) f += '.' + digits(rand(19));
      if (!/\d/.test(f)) f += '7';
      if (rand(3) === 0) f += ['e', 'E'][rand(2)]! + ['', '-', '+'][rand(3)]! + digits(1 + rand(3));
      fields.push(' '.repeat(rand(2)) + f + ' '.repeat(rand(2)));
    }
    const t = parseNumericCsv(fields.join(',') + '\n' + fields.join(',') + '\n');
    expect(t.cols).toBe(fields.length);
    fields.forEach((f, i) => {
      expect(Object.is(t.data[i], Number(f)), `${JSON.stringify(f)}: ${t.data[i]} vs ${Number(f)}`).toBe(true);
      expect(Object.is(t.data[fields.length + i], Number(f))).toBe(true);
    });
  });

  it('a leading byte order mark is dropped', () => {
    expect(parseNumericCsv('\ufeffa,b\n1,2\n').header).toEqual(['a', 'b']);
  });

  it('NaN and Infinity literals are values, not a header', () => {
    const t = parseNumericCsv('NaN,Infinity,-Infinity\nnan,inf,-inf\nNaN,Inf,-Inf\n');
    expect(t.header).toBeNull();
    expect(t.rows).toBe(3);
    expect(Array.from(t.data)).toEqual([NaN, Infinity, -Infinity, NaN, Infinity, -Infinity, NaN, Infinity, -Infinity]);
  });
});

describe('parseNumericCsv errors', () => {
  const bad = (text: string) => () => parseNumericCsv(text, 'train.csv');

  it('every message starts with the name', () => {
    expect(() => parseNumericCsv('')).toThrow(/^csv: /);
    expect(bad('')).toThrow(/^train\.csv: /);
  });

  it('ragged rows', () => {
    expect(bad('1,2,3\n4,5\n')).toThrow('train.csv: line 2 has 2 fields but the first data row (line 1) has 3');
    expect(bad('a,b\n1,2\n3,4,5\n')).toThrow('train.csv: line 3 has 3 fields but the first data row (line 2) has 2');
    expect(bad('a,b,c\n1,2\n')).toThrow('train.csv: line 2 has 2 fields but the header (line 1) has 3');
  });

  it('a bad field names line and column', () => {
    expect(bad('1,2,3\n4,x,6\n')).toThrow('train.csv: line 2, column 2: "x" is not a number');
    expect(bad('a,b\n1,2\n3,4\n5,six\n')).toThrow('train.csv: line 4, column 2: "six" is not a number');
    expect(bad('1,2\n3,1.2.3\n')).toThrow(/line 2, column 2: "1\.2\.3" is not a number/);
    expect(bad('1,2\n3,-0x10\n')).toThrow(/line 2, column 2: "-0x10" is not a number/);
  });

  it('an empty field is an error, not 0', () => {
    expect(bad('1,2\n3,\n')).toThrow('train.csv: line 2, column 2: empty field (need a number)');
    expect(bad('1,,3\n')).toThrow('train.csv: line 1, column 2: empty field (need a number)');
    expect(bad('1,2\n  ,4\n')).toThrow(/line 2, column 1: empty field/);
  });

  it('a blank line in the middle (or at the start)', () => {
    expect(bad('1,2\n\n3,4\n')).toThrow('train.csv: line 2 is blank (blank lines are only allowed at the end)');
    expect(bad('1,2\r\n \r\n3,4\r\n')).toThrow(/line 2 is blank/);
    expect(bad('\n1,2\n')).toThrow(/line 1 is blank/);
  });

  it('quoted fields', () => {
    expect(bad('"a",b\n1,2\n')).toThrow('train.csv: line 1, column 1: field "\\"a\\"" is quoted; quoting is not supported');
    expect(bad('1,2\n3, "4"\n')).toThrow(/line 2, column 2: .* quoting is not supported/);
  });

  it('no data rows', () => {
    expect(bad('')).toThrow('train.csv: no data rows (the input is empty)');
    expect(bad('\n\r\n  \n')).toThrow('train.csv: no data rows (the input is empty)');
    expect(bad('a,b,c\n')).toThrow('train.csv: line 1 is a header ("a,b,c") but no data rows follow');
  });
});
