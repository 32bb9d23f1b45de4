// `gradnoise sweep` over a graph model on the local pool (real processes over the built dist/): the spec names
// a graph file and JSON Lines data beside it; each record carries the graph and the data's SHA-256 and
// replays with `gradnoise train --config` to its weights hash; a finished sweep runs nothing, and a sweep
// missing a record runs that run alone, to the same bits; bad data for the graph fail before any run.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecord, records, run, stopAll, tmp } from './helpers.js';

afterAll(stopAll);

const example = (f: string) => readFileSync(fileURLToPath(new URL(`../../../examples/graph/${f}`, import.meta.url)));
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

describe('gradnoise sweep over a graph model', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'model.json'), example('model.json'));
  writeFileSync(join(dir, 'train.jsonl'), example('train.jsonl'));
  writeFileSync(join(dir, 'test.jsonl'), example('test.jsonl'));
  const spec = join(dir, 'graph.json');
  writeFileSync(spec, JSON.stringify({
    name: 'graph', base: { model: 'model.json', steps: 40, batchSize: 50, clip: 5 },
    grid: { lr: [0.05, 0.02] }, seeds: 2, data: { jsonl: 'train.jsonl', testJsonl: 'test.jsonl', padId: 0 }, thresholds: [0.5, 0.3],
  }));

  it('runs every point and seed; records carry the graph and replay to their weights hash; a finished sweep runs nothing', async () => {
    const out = join(dir, 'out');
    const r = await run(['sweep', spec, '--out', out, '--jobs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const files = records(out);
    expect(files).toHaveLength(4);
    const rec = readRecord(out, files[0]!);
    expect(rec.config.model).toEqual(JSON.parse(example('model.json').toString()));
    expect(rec.data).toMatchObject({ source: 'inputs', jsonl: { path: 'train.jsonl' }, testJsonl: { path: 'test.jsonl' }, padId: 0 });
    expect(rec.accuracyOf).toBe('test');
    expect(lastJson(r.stdout).rows.map((row: { label: string; finished: number }) => [row.label, row.finished])).toEqual([['lr 0.05', 2], ['lr 0.02', 2]]);

    // Replayed from elsewhere, its data found through --data-dir.
    const replay = await run(['train', '--config', join(out, 'runs', files[0]!), '--data-dir', dir, '--json', '--workers', '2']);
    expect(replay.code, replay.stderr).toBe(0);
    expect(lastJson(replay.stdout).weightsSha256).toBe(rec.summary.weightsSha256);

    const stamp = new Map(files.map((f) => [f, statSync(join(out, 'runs', f)).mtimeMs]));
    const again = await run(['sweep', spec, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/sweep graph: 4 runs \(2 settings x 2 seeds\) on train\.jsonl, test test\.jsonl, pad id 0; 4 already finished in /);
    for (const [f, t] of stamp) expect(statSync(join(out, 'runs', f)).mtimeMs).toBe(t);

    // A lost record: that run alone runs again, to the same weights.
    const lost = readRecord(out, files[1]!).summary.weightsSha256;
    rmSync(join(out, 'runs', files[1]!));
    const resumed = await run(['sweep', spec, '--out', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/3 already finished in .*; running the rest 1 at a time/);
    expect(readRecord(out, files[1]!).summary.weightsSha256).toBe(lost);
    for (const [f, t] of stamp) if (f !== files[1]) expect(statSync(join(out, 'runs', f)).mtimeMs).toBe(t);
  });

  it('data that do not fit the graph fail before any run, naming the file and the place', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(join(dir, 'oob.jsonl'), example('train.jsonl').toString().replace('"tokens":[19,10,2,13,6]', '"tokens":[19,10,2,33,6]'));
    writeFileSync(bad, JSON.stringify({ base: { model: 'model.json', steps: 5 }, data: { jsonl: 'oob.jsonl', padId: 0 } }));
    const r = await run(['sweep', bad, '--out', join(dir, 'bad-out')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gradnoise: error: data file jsonl oob\.jsonl \(.*oob\.jsonl\): line 1 \(example 0\), "tokens"\[3\] is token id 33, outside \[0, 20\), the vocabulary of node "embed"/);
    expect(records(join(dir, 'bad-out'))).toHaveLength(0);
  });
});
