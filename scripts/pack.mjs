// The package as npm users get it: pack this repository (`npm pack`, the `files` field decides what goes
// in), install the tarball into a fresh, empty project as `npm install ./gradnoise-x.y.z.tgz` does, and
// measure that project's node_modules. Shared by the install test (test/ts/package/install.test.ts) and
// the install-size bench (bench/install-size.mjs).
//
// Contract: pack() packs the build as it is (--ignore-scripts: `prepare` would rebuild dist/ under the
// tests that read it); checkBuildFresh() says first when dist/ is older than the sources. npm runs with
// the lifecycle variables of an enclosing `npm test` removed (npm_config_local_prefix would point the
// inner npm at this repository) and with --prefer-offline: what the npm cache holds (after `npm ci`, every
// dependency) installs without the registry, anything else comes from it. Sizes are the bytes of the
// files (what a deployment ships) and the disk blocks they take (what `du` shows).
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** The optional peer dependencies, with the version ranges package.json gives them. */
export const OPTIONAL = Object.fromEntries(Object.entries(manifest.peerDependencies ?? {})
  .filter(([name]) => manifest.peerDependenciesMeta?.[name]?.optional === true));

/**
 * The environment for an inner npm, the user's own: this one without what an enclosing npm script sets
 * for itself, and without node_modules/.bin folders on the PATH (this repository's holds the npm 6 that a
 * dev dependency brings).
 */
export function npmEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_prefix$)/i.test(k)) delete env[k];
  }
  const path = Object.keys(env).find((k) => k.toUpperCase() === 'PATH');
  if (path) env[path] = env[path].split(delimiter).filter((d) => !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(d)).join(delimiter);
  return env;
}

const npm = (args, cwd) => execFileSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

/** Throws when a file the package ships from dist/ or build/ is older than a source it is built from. */
export function checkBuildFresh() {
  const newest = (dir) => {
    let best = { t: 0, path: '' };
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const p = join(dir, e.name);
      const n = e.isDirectory() ? newest(p) : { t: statSync(join(ROOT, p)).mtimeMs, path: p };
      if (n.t > best.t) best = n;
    }
    return best;
  };
  const built = [
    [['dist/node/gradnoise.js', 'dist/browser/gradnoise.js', 'dist/src/index.js', 'dist/src/cli/main.js'], ['src', 'assembly']],
    [['build/gradnoise.threads.wasm', 'build/gradnoise.single.wasm', 'build/gradnoise.threads-relaxed.wasm', 'build/gradnoise.single-relaxed.wasm'], ['assembly']],
  ];
  for (const [outputs, sources] of built) {
    const source = sources.map(newest).reduce((a, b) => (b.t > a.t ? b : a));
    for (const f of outputs) {
      let t;
      try {
        t = statSync(join(ROOT, f)).mtimeMs;
      } catch {
        throw new Error(`${f} is missing: run \`npm run build\` first (npm test does)`);
      }
      if (t < source.t) throw new Error(`${f} is older than ${source.path}: run \`npm run build\` first (npm test does), so that the package holds the sources`);
    }
  }
}

/** Packs the repository into `dest`; the tarball's path, its size, its unpacked size and its file count. */
export function pack(dest) {
  const [r] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], ROOT));
  return { tarball: join(dest, r.filename), size: r.size, unpackedSize: r.unpackedSize, files: r.entryCount };
}

/** Makes `dir` (existing, empty) an empty ES-module project. */
export function newProject(dir) {
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
}

/** `npm install ...specs` in the project `dir`, as a user runs it; returns npm's output and the seconds it took. */
export function install(dir, specs) {
  const t0 = performance.now();
  const output = npm(['install', '--prefix', dir, '--no-audit', '--no-fund', '--prefer-offline', ...specs], dir);
  return { output, seconds: (performance.now() - t0) / 1000 };
}

/** One installed package: its name, version, and the bytes and disk blocks of its own files (not its nested node_modules). */
function measureTree(dir, skipNodeModules) {
  let bytes = 0, disk = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (skipNodeModules && e.name === 'node_modules') continue;
      const t = measureTree(p, false);
      bytes += t.bytes;
      disk += t.disk;
    } else {
      const s = lstatSync(p);
      bytes += s.size;
      disk += s.blocks * 512;
    }
  }
  return { bytes, disk };
}

/**
 * A node_modules folder: its total bytes and disk use, and every package in it (nested ones too), largest
 * first.
 */
export function measure(nodeModules) {
  const packages = [];
  const visit = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      if (e.name.startsWith('@')) {
        for (const s of readdirSync(join(dir, e.name), { withFileTypes: true })) if (s.isDirectory()) add(join(dir, e.name, s.name));
      } else add(join(dir, e.name));
    }
  };
  const add = (path) => {
    const m = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
    const own = measureTree(path, true);
    packages.push({ name: m.name, version: m.version, ...own });
    try {
      if (statSync(join(path, 'node_modules')).isDirectory()) visit(join(path, 'node_modules'));
    } catch { /* no nested node_modules */ }
  };
  visit(nodeModules);
  packages.sort((a, b) => b.bytes - a.bytes);
  return { ...measureTree(nodeModules, false), packages };
}

/** Bytes as decimal megabytes, as npm and the issue count them. */
export const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
