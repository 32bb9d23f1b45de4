// The loader of the optional packages (src/io/optional.ts): a missing package among those a feature names
// becomes one message with the packages and the command; every other failure passes through unchanged.
// The packed package without them is tested in test/ts/package/install.test.ts.
import { describe, expect, it } from 'vitest';
import { importOptional, MissingPackageError, missingPackageMessage, notFoundPackage, requireOptional } from '../../../src/io/optional.js';

const NONE = 'gradnoise-test-no-such-package';

describe('optional packages', () => {
  it('words the message for one package and for several, with the other way when there is one', () => {
    expect(missingPackageMessage('reading YAML', ['yaml'], 'write JSON'))
      .toBe('reading YAML needs the optional package "yaml", which is not installed: npm install yaml (or write JSON)');
    expect(missingPackageMessage('--queue', ['bullmq', 'ioredis']))
      .toBe('--queue needs the optional packages "bullmq" and "ioredis", which are not installed: npm install bullmq ioredis');
    expect(missingPackageMessage('x', ['a', 'b', 'c'])).toBe('x needs the optional packages "a", "b" and "c", which are not installed: npm install a b c');
  });

  it('reads the package out of the resolution errors of import() and require(), and nothing else', () => {
    expect(notFoundPackage(new Error("Cannot find package 'vega' imported from /x/plots.js"))).toBe('vega');
    expect(notFoundPackage(new Error("Cannot find module 'yaml'\nRequire stack:\n- /x/spec.js"))).toBe('yaml');
    expect(notFoundPackage(new Error("Cannot find package '@scope/pkg/sub/path.js' imported from /x"))).toBe('@scope/pkg');
    expect(notFoundPackage(new Error("Cannot find module '/abs/file.js' imported from /x"))).toBeNull();
    expect(notFoundPackage(new Error("Cannot find module './queue.js'"))).toBeNull();
    expect(notFoundPackage(new Error('something else'))).toBeNull();
    expect(notFoundPackage('not an error')).toBeNull();
  });

  it('turns a missing package of the feature into a MissingPackageError, from import() and from require()', async () => {
    const e = await importOptional({ what: 'the feature' }, [NONE], () => import(NONE)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MissingPackageError);
    expect((e as MissingPackageError).message).toBe(`the feature needs the optional package "${NONE}", which is not installed: npm install ${NONE}`);
    expect((e as MissingPackageError).packages).toEqual([NONE]);
    expect((e as MissingPackageError).command).toBe(`npm install ${NONE}`);
    expect((e as Error).cause).toBeInstanceOf(Error);
    expect(() => requireOptional({ what: 'it', otherwise: 'not' }, [NONE], NONE))
      .toThrow(new MissingPackageError('it', [NONE], `npm install ${NONE}`, 'not'));
  });

  it('passes every other failure through: a package that is not the feature\'s, or one that is there but throws', async () => {
    const other = await importOptional({ what: 'f' }, ['vega'], () => import(NONE)).catch((x: unknown) => x);
    expect(other).not.toBeInstanceOf(MissingPackageError);
    expect((other as Error).message).toContain(NONE);
    const broken = new Error('broken inside');
    await expect(importOptional({ what: 'f' }, ['vega'], () => Promise.reject(broken))).rejects.toBe(broken);
  });

  it('loads what is there (the repository has every optional package as a dev dependency)', async () => {
    const yaml = requireOptional<typeof import('yaml')>({ what: 'f' }, ['yaml'], 'yaml');
    expect(yaml.parse('a: 1')).toEqual({ a: 1 });
    const vega = await importOptional({ what: 'f' }, ['vega'], () => import('vega'));
    expect(typeof vega.View).toBe('function');
  });
});
