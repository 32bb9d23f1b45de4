// Sweeps over BullMQ on a real Redis (Debian's redis-server, started here on a free loopback port without
// persistence): 54 short runs over 3 `gradnoise worker` processes, one of them killed (SIGKILL) mid-run;
// every run completes exactly once (the workers' completion lines), every stored result has the weights
// hash of a local replay (the same spec on the local pool, and `gradnoise train --config` of a record),
// and a second submission, into the same OUT or a fresh one, runs nothing new. Then Redis is killed
// mid-sweep: the submitter says so clearly and waits, and when a fresh Redis is back the sweep completes,
// its runs' checkpoints carried back through Redis.
//
// Needs /usr/bin/redis-server (apt-get install redis-server; .ci/run does). Without it these tests are
// skipped with a warning, unless GRADNOISE_REDIS_TESTS=required (set by .ci/run), which makes a missing
// server a failure.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, freePort, readRecord, records, RedisServer, REDIS_SERVER, run, stopAll, tmp, waitFor, type Proc } from './helpers.js';

const found = existsSync(REDIS_SERVER);
if (!found && process.env.GRADNOISE_REDIS_TESTS === 'required') {
  throw new Error(`the Redis tests are required (GRADNOISE_REDIS_TESTS=required) but ${REDIS_SERVER} does not exist: apt-get install -y redis-server`);
}
if (!found) console.warn(`Redis tests skipped: ${REDIS_SERVER} does not exist (apt-get install -y redis-server, or set GRADNOISE_REDIS_SERVER)`);

const lines = (text: string, re: RegExp) => [...text.matchAll(re)].map((m) => m[1]!);
const COMPLETED = /^completed ([0-9a-f]{16})/gm;
const STARTED = /^started ([0-9a-f]{16}) .*attempt (\d+)\)$/gm;

function spec(dir: string, name: string, body: object): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, ...body }));
  return path;
}

const hashes = (dir: string) => new Map(records(dir).map((f) => {
  const r = readRecord(dir, f);
  return [r.id as string, r.summary.weightsSha256 as string];
}));

describe.skipIf(!found)('sweeps over BullMQ on a real Redis', () => {
  const dir = tmp();
  let redis: RedisServer;
  const workers: Proc[] = [];
  const completions = () => workers.flatMap((w) => lines(w.out(), COMPLETED));
  const workerArgs = () => ['worker', '--queue', redis.url, '--lock-duration', '3000', '--stalled-interval', '1000'];

  beforeAll(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
  });
  afterAll(stopAll);

  // 9 settings x 6 seeds of a tiny net on 500 MNIST images: each run well under a second.
  const A = () => spec(dir, 'restarts', {
    base: { depth: 2, width: 12, steps: 80, batchSize: 50 },
    grid: { lr: [0.1, 0.05, 0.02], init: ['he', 'glorot', 'simple'] },
    seeds: 6, data: { trainLimit: 500, testLimit: 100 }, thresholds: [0.6, 0.4, 0.2],
  });

  it('54 runs over 3 workers, one killed mid-run: each completes once, every hash equals a local replay, a resubmission runs nothing', async () => {
    const specA = A();
    const out = join(dir, 'queued');
    for (let k = 0; k < 3; k++) workers.push(cli(workerArgs()));
    // Kill the first worker the moment it starts its third run: mid-run, its lock still held.
    let killed: string | null = null;
    workers[0]!.child.stdout!.on('data', () => {
      const started = lines(workers[0]!.out(), STARTED);
      if (killed === null && started.length >= 3) {
        killed = started[started.length - 1]!;
        workers[0]!.child.kill('SIGKILL');
      }
    });
    const sub = await run(['sweep', specA, '--out', out, '--queue', redis.url, '--json'], 150_000);
    expect(sub.code, sub.stderr).toBe(0);
    await workers[0]!.exit;
    expect(killed).not.toBeNull();

    // Every planned run has its record, and the workers completed each exactly once.
    const report = JSON.parse(sub.stdout.trim().split('\n').pop()!);
    expect([report.planned, report.finished]).toEqual([54, 54]);
    expect(records(out)).toHaveLength(54);
    const done = completions();
    expect(done).toHaveLength(54);
    expect(new Set(done).size).toBe(54);
    // The killed worker never completed its run; another worker ran it again (its second start, or a later
    // one if a loaded machine let another lock lapse too), and it was completed once (above).
    expect(lines(workers[0]!.out(), COMPLETED)).not.toContain(killed);
    const again = workers.slice(1).flatMap((w) => [...w.out().matchAll(STARTED)]).filter((m) => m[1] === killed);
    expect(again.length).toBeGreaterThanOrEqual(1);
    expect(Math.min(...again.map((m) => Number(m[2])))).toBe(2);

    // A local replay of the whole spec gives every run's weights, bit for bit, and the same report.
    const local = join(dir, 'local');
    const loc = await run(['sweep', specA, '--out', local, '--jobs', '2', '--json'], 150_000);
    expect(loc.code, loc.stderr).toBe(0);
    expect(hashes(out)).toEqual(hashes(local));
    expect(JSON.parse(loc.stdout.trim().split('\n').pop()!).rows).toEqual(report.rows);
    // And so does `gradnoise train --config` of a stored record (the killed run's, and another).
    for (const id of [killed!, done[10]!]) {
      const t = await run(['train', '--config', join(out, 'runs', `${id}.json`), '--json']);
      expect(t.code, t.stderr).toBe(0);
      expect(JSON.parse(t.stdout.trim()).weightsSha256).toBe(hashes(out).get(id));
    }

    // A second submission runs nothing new: into the same OUT it has every result already; into a fresh
    // OUT, BullMQ holds every job id as completed and the results are collected without running.
    const same = await run(['sweep', specA, '--out', out, '--queue', redis.url]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/54 runs \(9 settings x 6 seeds\) .*; 54 already finished in /);
    const fresh = join(dir, 'fresh');
    const again2 = await run(['sweep', specA, '--out', fresh, '--queue', redis.url]);
    expect(again2.code, again2.stderr).toBe(0);
    expect(hashes(fresh)).toEqual(hashes(out));
    expect(completions()).toHaveLength(54);
  });

  it('Redis killed mid-sweep: a clear error, the sweep waits, and completes when Redis is back (empty)', async () => {
    const specB = spec(dir, 'outage', {
      base: { depth: 2, width: 12, steps: 120, batchSize: 50 }, grid: { lr: [0.1, 0.05] }, seeds: [101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112],
      data: { trainLimit: 500, testLimit: 100 }, checkpoint: true,
    });
    const out = join(dir, 'outage');
    const sub = cli(['sweep', specB, '--out', out, '--queue', redis.url, '--json']);
    await waitFor('4 results', () => records(out).length >= 4 || sub.child.exitCode !== null, 60_000, sub.err);
    await redis.kill();
    const lost = new RegExp(`lost the connection to Redis at redis://127\\.0\\.0\\.1:${redis.port} \\((ECONNREFUSED|ECONNRESET)\\); waiting for it to come back`);
    await waitFor('the lost-connection message', () => lost.test(sub.err()), 20_000, sub.err);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sub.child.exitCode).toBeNull(); // waiting, not crashed
    expect(records(out).length).toBeLessThan(24);
    await redis.start(); // a fresh server: the queue is gone, the submitter submits the rest again
    const { code } = await sub.exit;
    expect(code, sub.err()).toBe(0);
    expect(sub.err()).toMatch(/reconnected to Redis at redis:\/\/127\.0\.0\.1:\d+/);
    expect(sub.err()).toMatch(/no longer holds \d+ pending jobs? \(restarted without its data\?\): submitting/);
    expect(sub.err()).not.toMatch(/\n\s+at /); // no stack trace
    expect(records(out)).toHaveLength(24);
    for (const w of workers.slice(1)) expect(w.out()).toMatch(/lost the connection to Redis[\s\S]*reconnected to Redis/);
    const local = join(dir, 'outage-local');
    const loc = await run(['sweep', specB, '--out', local, '--jobs', '2']);
    expect(loc.code, loc.stderr).toBe(0);
    expect(hashes(out)).toEqual(hashes(local));
    // The final checkpoints came back through Redis (base64 in the result), byte for byte the local ones.
    for (const f of records(out)) {
      const ck = readRecord(out, f).checkpointFile;
      expect(ck).toMatch(/^checkpoints\/[0-9a-f]{16}\.safetensors$/);
      expect(readFileSync(join(out, ck)).equals(readFileSync(join(local, ck)))).toBe(true);
    }
  });

  it('a worker stopped by SIGTERM finishes its run and exits; a sweep without a reachable Redis says so', async () => {
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    for (const w of workers.slice(1)) {
      const { code } = await w.exit;
      expect(code).toBe(143);
      expect(w.out()).toMatch(/worker stopped: \d+ runs? completed, 0 failed/);
    }
    const port = await freePort();
    const r = await run(['sweep', A(), '--out', join(dir, 'nowhere'), '--queue', `redis://127.0.0.1:${port}`, '--connect-timeout', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`gradnoise: error: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} within 2 s \\(ECONNREFUSED\\): is redis-server running there`));
  });

  it('Ctrl-C while Redis is down ends the submission at once, with the report of what was collected', async () => {
    const out = join(dir, 'outage-stop');
    const sub = cli(['sweep', A(), '--out', out, '--queue', redis.url]); // no worker runs now
    await waitFor('the submission', () => /queued \d+ runs?/.test(sub.err()) || sub.child.exitCode !== null, 60_000, sub.err);
    await redis.kill();
    await waitFor('the lost-connection message', () => /lost the connection to Redis/.test(sub.err()), 20_000, sub.err);
    const t0 = Date.now();
    sub.child.kill('SIGINT');
    const { code } = await sub.exit;
    expect(code, sub.err()).toBe(130);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(sub.err()).toMatch(/stopped waiting: \d+ jobs are still in the queue/);
    expect(sub.out()).toMatch(/interrupted: 0 of \d+ runs finished; run the same command again to resume/);
    expect(existsSync(join(out, 'report.md')), readdirSync(out).join(', ')).toBe(true);
  });
});
