// Processes for the sweep tests: the real CLI (bin/gradnoise.js over the built dist/), watched while it
// runs, and Debian's redis-server on a free loopback port with no persistence, stopped and restarted at
// will. Every process started here is ended by stopAll() (the suites call it in afterAll).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/gradnoise.js', import.meta.url));
export const tmp = () => mkdtempSync(join(tmpdir(), 'gradnoise-sweeps-'));

const started = new Set<ChildProcess>();

export interface Proc {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function cli(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  started.add(child);
  let out = '', err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d; });
  child.stderr!.on('data', (d: Buffer) => { err += d; });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => {
    started.delete(child);
    resolve({ code, signal });
  }));
  return { child, out: () => out, err: () => err, exit };
}

/** Runs the CLI to its end (failing the test after `timeout` ms). */
export async function run(args: string[], timeout = 120_000, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = cli(args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeout);
  const { code } = await p.exit;
  clearTimeout(timer);
  return { code, stdout: p.out(), stderr: p.err() };
}

/** Polls `ok` every 20 ms until it holds; throws `what` (and `context()`) after `ms`. */
export async function waitFor(what: string, ok: () => boolean, ms = 60_000, context: () => string = () => ''): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const records = (dir: string): string[] => (existsSync(join(dir, 'runs')) ? readdirSync(join(dir, 'runs')).filter((f) => f.endsWith('.json')) : []);
export const readRecord = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, 'runs', file), 'utf8'));

export const REDIS_SERVER = process.env.GRADNOISE_REDIS_SERVER ?? '/usr/bin/redis-server';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server on loopback, without persistence: a restart comes back empty. */
export class RedisServer {
  private proc: ChildProcess | null = null;
  /**
   * On loopback at `port`; with `tls` (the server's certificate and key, and the CA of client
   * certificates) that port speaks TLS only; `extra` are more redis-server arguments (--requirepass).
   */
  constructor(readonly port: number, private readonly o: { tls?: { cert: string; key: string; ca: string }; extra?: string[] } = {}) {}

  get url(): string {
    return `${this.o.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const t = this.o.tls;
    const ports = t
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', t.cert, '--tls-key-file', t.key, '--tls-ca-cert-file', t.ca, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    const args = [...ports, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(this.o.extra ?? [])];
    const p = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(p);
    this.proc = p;
    let log = '';
    p.stdout!.on('data', (d: Buffer) => { log += d; });
    p.on('exit', () => started.delete(p));
    await waitFor(`redis-server on port ${this.port}`, () => /Ready to accept connections/.test(log) || p.exitCode !== null, 20_000);
    if (p.exitCode !== null) throw new Error(`redis-server exited with code ${p.exitCode}:\n${log}`);
  }

  /** Kills the server (SIGKILL: as a crash, nothing saved) and waits until it is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.on('exit', r));
    p.kill('SIGKILL');
    await gone;
    this.proc = null;
  }
}

/** Ends every process a test started and is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    c.on('exit', () => { clearTimeout(timer); resolve(); });
    c.kill('SIGTERM');
  })));
}
