// A sweep over a Redis that is not open: password (requirepass) and TLS (a certificate from a CA made
// here with openssl), as docs/sweeps.md tells users to run one. The submitter and a worker pass the
// password through GRADNOISE_REDIS_PASSWORD and the CA through --tls-ca, and the sweep completes; a wrong
// or missing password and an untrusted server certificate are clear errors, never a hang or a stack trace.
//
// Needs /usr/bin/redis-server built with TLS (Debian's is) and openssl; skipped like the other Redis
// tests without redis-server, unless GRADNOISE_REDIS_TESTS=required.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, freePort, records, RedisServer, REDIS_SERVER, run, stopAll, tmp } from './helpers.js';

const found = existsSync(REDIS_SERVER);
if (!found && process.env.GRADNOISE_REDIS_TESTS === 'required') {
  throw new Error(`the Redis tests are required (GRADNOISE_REDIS_TESTS=required) but ${REDIS_SERVER} does not exist: apt-get install -y redis-server`);
}

/** A CA, and a server certificate it signed for 127.0.0.1; returns the file paths. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string; otherCa: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=gradnoise test CA');
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=another CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), otherCa: join(dir, 'other.crt') };
}

describe.skipIf(!found)('sweeps over a Redis with a password and TLS', () => {
  const dir = tmp();
  const PASSWORD = 'correct horse battery staple';
  let redis: RedisServer;
  let certs: ReturnType<typeof makeCertificates>;
  const spec = join(dir, 'secure.json');
  writeFileSync(spec, JSON.stringify({ name: 'secure', base: { depth: 1, width: 10, steps: 40, batchSize: 50 }, grid: { lr: [0.1, 0.05] }, seeds: 3, data: { trainLimit: 300, testLimit: 100 } }));

  beforeAll(async () => {
    certs = makeCertificates(dir);
    redis = new RedisServer(await freePort(), { tls: certs, extra: ['--requirepass', PASSWORD] });
    await redis.start();
  });
  afterAll(stopAll);

  it('runs over rediss:// with the password from GRADNOISE_REDIS_PASSWORD and the CA from --tls-ca', async () => {
    const env = { GRADNOISE_REDIS_PASSWORD: PASSWORD };
    const tls = ['--tls-ca', certs.ca];
    const worker = cli(['worker', '--queue', redis.url, ...tls, '--exit-when-idle', '5'], env);
    const out = join(dir, 'out');
    const sub = await run(['sweep', spec, '--out', out, '--queue', redis.url, ...tls, '--json'], 120_000, env);
    expect(sub.code, sub.stderr).toBe(0);
    expect(records(out)).toHaveLength(6);
    expect(sub.stderr).not.toMatch(/without a password|correct horse/); // the password is never shown
    expect(sub.stderr).not.toMatch(/Warning/); // no SNI with an IP address (RFC 6066), no other warning
    const w = await worker.exit;
    expect(w.code, worker.err()).toBe(0);
    expect(worker.out()).toMatch(/worker stopped: 6 runs completed, 0 failed/);
  });

  it.each([
    ['a wrong password', { GRADNOISE_REDIS_PASSWORD: 'wrong' }, () => ['--tls-ca', certs.ca], /WRONGPASS|invalid username-password/],
    ['no password', {}, () => ['--tls-ca', certs.ca], /NOAUTH|Authentication required/],
    ['a server certificate of another CA', { GRADNOISE_REDIS_PASSWORD: PASSWORD }, () => ['--tls-ca', certs.otherCa], /certificate/],
  ] as const)('%s: a clear error naming it, no hang', async (_what, env, tls, reason) => {
    const r = await run(['sweep', spec, '--out', join(dir, 'refused'), '--queue', redis.url, ...tls(), '--connect-timeout', '3'], 60_000, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`gradnoise: error: .*Redis at rediss://127\\.0\\.0\\.1:${redis.port}`));
    expect(r.stderr).toMatch(reason);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr).not.toMatch(/correct horse/);
  });
});
