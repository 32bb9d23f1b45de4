// The bAbI text format: written and read back identical (strings and files, Facebook's directory layout),
// the released files' quirks accepted, and every malformed file refused with the file, the line and what is
// wrong.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { babi, BABI_TASKS, formatBabi, parseBabi, readBabi, readBabiFile, writeBabi, writeBabiFile, type BabiStory } from '../../../src/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'gradnoise-babi-'));

describe('round trip', () => {
  it('every task: format then parse gives the same stories', () => {
    for (const { id: task } of BABI_TASKS) {
      const stories = babi({ tasks: [task], split: 'test', count: 100 });
      const text = formatBabi(stories);
      expect(parseBabi(text, { task })).toEqual(stories);
      expect(formatBabi(parseBabi(text))).toBe(text);
    }
  });

  it('the layout is Facebook\'s: numbered lines from 1 per story, "question? \\tanswer\\tsupports"', () => {
    const text = formatBabi(babi({ tasks: [1], count: 10 }));
    const lines = text.split('\n');
    expect(lines.at(-1)).toBe(''); // every line ends in \n
    expect(lines[0]).toMatch(/^1 [A-Z][a-z]+ (moved|went|journeyed|travelled|went back) to the [a-z]+\.$/);
    expect(lines[2]).toMatch(/^3 Where is [A-Z][a-z]+\? \t[a-z]+\t[12]$/);
    expect(lines[15]).toMatch(/^1 /); // the second story starts again at 1
  });

  it('files: writeBabiFile then readBabiFile, atomically (no temporary file left), the task from the name', () => {
    const dir = tmp();
    const stories = babi({ tasks: [5], count: 20 });
    const path = join(dir, 'qa5_three-arg-relations_train.txt');
    writeBabiFile(path, stories);
    expect(readdirSync(dir)).toEqual(['qa5_three-arg-relations_train.txt']);
    expect(readBabiFile(path)).toEqual(stories);
    expect(readBabiFile(path, { task: 7 })[0]!.task).toBe(7);
  });

  it('writeBabi writes Facebook\'s names for both splits, and readBabi reads them back in the order asked', () => {
    const dir = tmp();
    const written = writeBabi(dir, { tasks: [1, 10, 19], count: 30, seed: 4 });
    expect(readdirSync(dir).sort()).toEqual([
      'qa10_indefinite-knowledge_test.txt', 'qa10_indefinite-knowledge_train.txt',
      'qa19_path-finding_test.txt', 'qa19_path-finding_train.txt',
      'qa1_single-supporting-fact_test.txt', 'qa1_single-supporting-fact_train.txt',
    ]);
    expect(written).toHaveLength(6);
    expect(readBabi(dir, { tasks: [19, 1], split: 'test' })).toEqual(babi({ tasks: [19, 1], split: 'test', count: 30, seed: 4 }));
    expect(() => readBabi(dir, { tasks: [2] })).toThrow(`readBabi: no file for task 2 in ${dir} (need one qa2_*_train.txt)`);
    writeFileSync(join(dir, 'qa1_copy_train.txt'), 'x');
    expect(() => readBabi(dir, { tasks: [1] })).toThrow(/2 files \(qa1_copy_train\.txt, qa1_single-supporting-fact_train\.txt\) for task 1/);
    expect(() => readBabi(join(dir, 'nope'))).toThrow(/readBabi: cannot list .*nope \(ENOENT\)/);
    expect(() => readBabi(dir, { split: 'dev' as never })).toThrow('readBabi: split is "dev" (need "train", "test" or "valid")');
  });

  it('readBabi reads the en-valid layout too: qa{N}_train.txt, qa{N}_valid.txt', () => {
    const dir = tmp();
    const valid = babi({ tasks: [12], split: 'test', count: 10 });
    writeBabiFile(join(dir, 'qa12_valid.txt'), valid);
    writeBabiFile(join(dir, 'qa12_train.txt'), babi({ tasks: [12], count: 10 }));
    expect(readBabi(dir, { tasks: [12], split: 'valid' })).toEqual(valid);
  });
});

describe('the released files read as they are', () => {
  // The start of Facebook's qa1 and qa8 (tasks_1-20_v1-2/en), with a byte order mark and Windows line ends
  // added, and a question without supporting facts as in the en-nosf files.
  const released = '\ufeff1 Mary moved to the bathroom.\r\n2 John went to the hallway.\r\n3 Where is Mary? \tbathroom\t1\r\n' +
    '4 Daniel went back to the hallway.\r\n5 Sandra moved to the garden.\r\n6 Where is Daniel? \thallway\t4\r\n' +
    '1 Mary got the milk there.\r\n2 John moved to the bedroom.\r\n3 What is Mary carrying? \tmilk\t1\r\n4 Where is John?\tbedroom\r\n\r\n';

  it('parses into stories, lines, answers and supports', () => {
    const stories = parseBabi(released, { name: 'en/qa1_single-supporting-fact_train.txt' });
    expect(stories).toEqual<BabiStory[]>([
      { task: 1, lines: [
        { kind: 'fact', id: 1, text: 'Mary moved to the bathroom.' },
        { kind: 'fact', id: 2, text: 'John went to the hallway.' },
        { kind: 'question', id: 3, text: 'Where is Mary?', answer: 'bathroom', supports: [1] },
        { kind: 'fact', id: 4, text: 'Daniel went back to the hallway.' },
        { kind: 'fact', id: 5, text: 'Sandra moved to the garden.' },
        { kind: 'question', id: 6, text: 'Where is Daniel?', answer: 'hallway', supports: [4] },
      ] },
      { task: 1, lines: [
        { kind: 'fact', id: 1, text: 'Mary got the milk there.' },
        { kind: 'fact', id: 2, text: 'John moved to the bedroom.' },
        { kind: 'question', id: 3, text: 'What is Mary carrying?', answer: 'milk', supports: [1] },
        { kind: 'question', id: 4, text: 'Where is John?', answer: 'bedroom', supports: [] },
      ] },
    ]);
  });

  it('a file\'s task comes from its name', () => {
    const dir = tmp();
    const path = join(dir, 'qa8_lists-sets_test.txt');
    writeFileSync(path, released);
    expect(readBabiFile(path).map((s) => s.task)).toEqual([8, 8]);
    const other = join(dir, 'stories.txt');
    writeFileSync(other, released);
    expect(readBabiFile(other).map((s) => s.task)).toEqual([0, 0]);
  });
});

describe('malformed files: the file, the line and what is wrong', () => {
  it.each([
    ['', 'no lines (an empty file)'],
    ['\n\n', 'no lines (an empty file)'],
    ['2 Mary moved to the bathroom.\n', 'line 1: the first story starts at line number 2 (need 1)'],
    ['1 Mary moved to the bathroom.\n3 John went to the hallway.\n', 'line 2: line number 3 does not follow 1 (numbers go up by one, and back to 1 for a new story)'],
    ['1 Mary moved.\n\n2 John went.\n', 'line 2: blank line inside the file'],
    ['Mary moved to the bathroom.\n', 'line 1: the line number "Mary" is not a positive integer'],
    ['1\n', 'line 1: expected a line number, a space and the text, got "1"'],
    ['0 Mary moved.\n', 'line 1: the line number "0" is not a positive integer'],
    ['1 Mary moved.\n2  \n', 'line 2: the statement is empty'],
    ['1 Mary moved.\n2 Where is Mary?\t\t1\n', 'line 2: the answer is empty'],
    ['1 Mary moved.\n2 \tkitchen\t1\n', 'line 2: the question is empty'],
    ['1 Mary moved.\n2 Where?\tkitchen\t1\textra\n', 'line 2: a question line has 4 tab-separated fields (need 3: question, answer, supporting line numbers)'],
    ['1 Mary moved.\n2 Where?\tkitchen\tone\n', 'line 2: supporting line "one" is not a line number'],
    ['1 Mary moved.\n2 Where?\tkitchen\t2\n', 'line 2: supporting line 2 is not an earlier line of this story (the question is line 2)'],
    ['1 Mary moved.\n2 Where?\tkitchen\t0\n', 'line 2: supporting line 0 is not an earlier line of this story'],
    ['1 Mary moved.\n2 Where?\tkitchen\t1\n3 Where?\tkitchen\t2\n', 'line 3: supporting line 2 is a question, not a statement'],
    ['1 Mary moved.\n2 Where?\tkitchen\t1 1\n', 'line 2: supporting line 1 is listed twice'],
    ['1 Mary\rmoved.\n', 'line 1: a carriage return inside the line (line ends are \\n or \\r\\n)'],
    ['1 Mary moved.\n2 John went.\n1 Sandra went.\n3 Where?\tx\t1\n', 'line 4: line number 3 does not follow 1'],
  ])('%j', (text, message) => {
    expect(() => parseBabi(text, { name: 'data/qa1_x_train.txt' })).toThrow(`bAbI data/qa1_x_train.txt: ${message}`);
  });

  it('reading a file names its path', () => {
    const dir = tmp();
    const path = join(dir, 'qa2_two-supporting-facts_train.txt');
    writeFileSync(path, '1 Mary got the milk.\n2 Mary went to the office.\n3 Where is the milk? \toffice\t1 4\n');
    expect(() => readBabiFile(path)).toThrow(`bAbI ${path}: line 3: supporting line 4 is not an earlier line of this story (the question is line 3)`);
    writeFileSync(path, Buffer.from([0x31, 0x20, 0xff, 0xfe, 0x0a]));
    expect(() => readBabiFile(path)).toThrow(`bAbI ${path}: not UTF-8 text`);
    expect(() => readBabiFile(join(dir, 'missing.txt'))).toThrow(/bAbI .*missing\.txt: cannot read the file \(ENOENT\)/);
  });

  it('formatBabi refuses stories it could not write as bAbI text', () => {
    const good = babi({ tasks: [1], count: 1 })[0]!;
    const fact = good.lines[0]!;
    expect(() => formatBabi([{ task: 1, lines: [{ ...fact, id: 2 }] }])).toThrow('formatBabi: story 0, line 0: id is 2 (need 1: ids count lines from 1)');
    expect(() => formatBabi([{ task: 1, lines: [{ ...fact, text: 'a\tb' }] }])).toThrow(/formatBabi: story 0, line 1: text is "a\\tb" \(need non-empty text without tabs/);
    expect(() => formatBabi([{ task: 1, lines: [fact, { kind: 'question', id: 2, text: 'Where?', answer: 'x', supports: [2] }] }]))
      .toThrow('formatBabi: story 0, line 2: support 2 is not an earlier statement of the story');
    expect(() => formatBabi([{ task: 1, lines: [] }])).toThrow(/stories\[0\] is .* \(need a story with a non-empty lines array\)/);
    expect(() => formatBabi('x' as never)).toThrow(/formatBabi: stories is "x"/);
  });

  it('parseBabi checks its options', () => {
    expect(() => parseBabi('1 a.\n', { task: 21 })).toThrow(/parseBabi: task is 21/);
    expect(() => parseBabi('1 a.\n', { nam: 'x' } as never)).toThrow(/unknown option "nam".*did you mean name\?/);
  });
});

describe('the CLI', () => {
  it('gradnoise babi generate --out DIR writes DIR/en/ as Facebook\'s release is laid out', async () => {
    const { main } = await import('../../../src/cli/main.js');
    const dir = tmp();
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => { out.push(s); return true; }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['babi', 'generate', '--out', dir, '--tasks', '1,20', '--count', '12', '--seed', '3']);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    expect(out.join('')).toContain(`wrote 4 files to ${join(dir, 'en')}`);
    expect(readdirSync(join(dir, 'en')).sort()).toEqual([
      'qa1_single-supporting-fact_test.txt', 'qa1_single-supporting-fact_train.txt',
      'qa20_agents-motivations_test.txt', 'qa20_agents-motivations_train.txt',
    ]);
    expect(readFileSync(join(dir, 'en', 'qa20_agents-motivations_test.txt'), 'utf8')).toBe(formatBabi(babi({ tasks: [20], split: 'test', count: 12, seed: 3 })));
  });
});
