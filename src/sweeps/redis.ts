// The Redis endpoint of a sweep queue, from a URL: redis://[user@]HOST[:PORT][/DB], or rediss:// for TLS.
// The password may be in the URL (redis://:secret@host), but GRADNOISE_REDIS_PASSWORD (and
// GRADNOISE_REDIS_USERNAME for an ACL user) is better: a URL on the command line shows in `ps` and in the
// shell's history. TLS takes the CA, certificate and key as files (--tls-ca, --tls-cert, --tls-key) and
// always verifies the server. An endpoint without a password that is not on loopback gets a warning:
// whoever reaches an open Redis can read, change or delete every job and result (docs/sweeps.md).
// ioredis options as BullMQ needs them: maxRetriesPerRequest null (commands wait for a lost connection
// instead of failing), and reconnecting within 2 s of Redis coming back.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { RedisOptions } from 'ioredis';
import { show } from '../core/check.js';

/** The BullMQ queue of sweeps unless told otherwise (the submitter's and the workers' --queue-name). */
export const DEFAULT_QUEUE = 'gradnoise';

export interface RedisEndpointOptions {
  readonly url: string;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** Where GRADNOISE_REDIS_PASSWORD and GRADNOISE_REDIS_USERNAME come from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The flag the URL came from, for errors. */
  readonly flag?: string;
}

export interface RedisEndpoint {
  readonly options: RedisOptions;
  /** The endpoint as messages show it: never the password. */
  readonly shown: string;
  readonly warnings: readonly string[];
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

export function redisEndpoint(o: RedisEndpointOptions): RedisEndpoint {
  const flag = o.flag ?? '--queue';
  const env = o.env ?? process.env;
  let u: URL;
  try {
    u = new URL(o.url);
  } catch {
    throw new Error(`${flag} is ${show(o.url)} (need redis://HOST:PORT, or rediss://HOST:PORT for TLS)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`${flag} is ${show(o.url)} (need redis://HOST:PORT, or rediss://HOST:PORT for TLS)`);
  if (!u.hostname) throw new Error(`${flag} is ${show(o.url)}: it names no host`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isSafeInteger(db) || db < 0 || !/^\d*$/.test(dbText)) throw new Error(`${flag} is ${show(o.url)}: the database /${dbText} is not a number`);
  if (u.search || u.hash) throw new Error(`${flag} is ${show(o.url)}: options after ? or # are not read (TLS files: --tls-ca, --tls-cert, --tls-key)`);
  const tls = u.protocol === 'rediss:';
  const warnings: string[] = [];
  const urlPassword = u.password ? decodeURIComponent(u.password) : undefined;
  if (urlPassword !== undefined) warnings.push(`the password in ${flag} shows in \`ps\` and in the shell's history: set GRADNOISE_REDIS_PASSWORD instead`);
  const password = env.GRADNOISE_REDIS_PASSWORD || urlPassword;
  const username = env.GRADNOISE_REDIS_USERNAME || (u.username ? decodeURIComponent(u.username) : undefined);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const shown = `${tls ? 'rediss' : 'redis'}://${username ? `${username}@` : ''}${u.hostname}:${port}${db ? `/${db}` : ''}`;
  if (!password && !LOOPBACK.test(u.hostname)) {
    warnings.push(`Redis at ${shown} is used without a password: anyone who can reach it can read, change or delete the sweep's jobs and results. ` +
      'Set requirepass or an ACL user on the server and GRADNOISE_REDIS_PASSWORD here (docs/sweeps.md)');
  }
  if (!tls && (o.tlsCa || o.tlsCert || o.tlsKey)) throw new Error(`--tls-ca, --tls-cert and --tls-key need a rediss:// URL (${flag} is ${shown})`);
  const file = (path: string | undefined, which: string): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`${which} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together (a client certificate and its key)');
  const options: RedisOptions = {
    host, port, db, ...(username ? { username } : {}), ...(password ? { password } : {}),
    // SNI takes host names only (RFC 6066); an IP address is still verified against the certificate.
    ...(tls ? { tls: { ...(isIP(host) ? {} : { servername: host }), ca: file(o.tlsCa, '--tls-ca'), cert: file(o.tlsCert, '--tls-cert'), key: file(o.tlsKey, '--tls-key') } } : {}),
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: (times: number) => Math.min(250 * times, 2000),
  };
  return { options, shown, warnings };
}
