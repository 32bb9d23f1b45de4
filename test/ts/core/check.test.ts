// The shared option checker (src/core/check.ts): every combinator's pass/fail and the exact message
// formats the builders rely on.
import { describe, expect, it } from 'vitest';
import {
  anything, arrayOf, boolean, check, checkArg, checkFields, custom, didYouMean, func, instanceOf, int, nullable, nullish, number,
  object, oneOf, optional, string, tagged, type FieldsOf,
} from '../../../src/core/check.js';

describe('field checks', () => {
  it('leaves: undefined when the value passes, else " is <value> (need <need>)"', () => {
    expect(int(1, 8)(3)).toBeUndefined();
    expect(int(1, 8)(9)).toBe(' is 9 (need an integer from 1 to 8)');
    expect(int(0)(2 ** 53)).toBe(' is 9007199254740992 (need an integer from 0 up)');
    expect(int(0)(1.5)).toBe(' is 1.5 (need an integer from 0 up)');
    expect(int(0)('1')).toBe(' is "1" (need an integer from 0 up)');
    expect(number()(0)).toBeUndefined();
    expect(number()(NaN)).toBe(' is NaN (need a finite number)');
    expect(number()(Infinity)).toBe(' is Infinity (need a finite number)');
    expect(number({ min: 0, max: 1, maxOpen: true })(1)).toBe(' is 1 (need a finite number >= 0 and < 1)');
    expect(number({ min: 0, minOpen: true })(0)).toBe(' is 0 (need a finite number > 0)');
    expect(number({ min: 1, integer: true })(2.5)).toBe(' is 2.5 (need a finite integer >= 1)');
    expect(number({ max: 2 })(-1e300)).toBeUndefined();
    expect(boolean(false)).toBeUndefined();
    expect(boolean(0)).toBe(' is 0 (need true or false)');
    expect(func(() => 0)).toBeUndefined();
    expect(func('f')).toBe(' is "f" (need a function)');
    expect(string('')).toBe(' is "" (need a non-empty string)');
    expect(instanceOf(Uint8Array)(new Uint8Array(1))).toBeUndefined();
    expect(instanceOf(Uint8Array)([1])).toBe(' is [1] (need a Uint8Array)');
    expect(anything(Symbol('s'))).toBeUndefined();
    expect(check('an even number', (v) => v === 2)(3)).toBe(' is 3 (need an even number)');
    expect(custom('x', () => '.y is wrong')(0)).toBe('.y is wrong');
  });

  it('oneOf: the allowed values, and "did you mean" for a misspelt string', () => {
    const act = oneOf(['linear', 'relu', 'leakyRelu', 'tanh']);
    expect(act('relu')).toBeUndefined();
    expect(act('rleu')).toBe(' is "rleu" (allowed: linear, relu, leakyRelu, tanh); did you mean relu?');
    expect(act('RELU')).toBe(' is "RELU" (allowed: linear, relu, leakyRelu, tanh); did you mean relu?');
    expect(act('gelu')).toBe(' is "gelu" (allowed: linear, relu, leakyRelu, tanh); did you mean relu?');
    expect(act('softplus')).toBe(' is "softplus" (allowed: linear, relu, leakyRelu, tanh)');
    expect(act(5)).toBe(' is 5 (allowed: linear, relu, leakyRelu, tanh)');
    expect(act.need).toBe('one of linear, relu, leakyRelu, tanh');
  });

  it('optional, nullish, nullable', () => {
    expect(optional(int(1))(undefined)).toBeUndefined();
    expect(optional(int(1))(null)).toBe(' is null (need an integer from 1 up)');
    expect(nullish(int(1))(null)).toBeUndefined();
    expect(nullish(int(1))(0)).toBe(' is 0 (need an integer from 1 up)');
    expect(nullable(int(1))(null)).toBeUndefined();
    expect(nullable(int(1))(undefined)).toBe(' is undefined (need null or an integer from 1 up)');
    expect(nullable(number({ min: 0, minOpen: true }))(-1)).toBe(' is -1 (need null or a finite number > 0)');
    // A problem inside a nested value keeps its place.
    expect(nullable(object({ a: int(0) }))({ a: -1 })).toBe('.a is -1 (need an integer from 0 up)');
  });

  it('arrayOf: the index of the first bad element; length bounds', () => {
    const hidden = arrayOf(int(1, 8));
    expect(hidden([1, 2])).toBeUndefined();
    expect(hidden([])).toBeUndefined();
    expect(hidden([1, 0])).toBe('[1] is 0 (need an integer from 1 to 8)');
    expect(hidden(3)).toBe(' is 3 (need an array of an integer from 1 to 8)');
    expect(arrayOf(int(0), { minLength: 1 })([])).toBe(' is [] (need a non-empty array of an integer from 0 up)');
    expect(arrayOf(int(0), { maxLength: 1 })([1, 2])).toBe(' is [1, 2] (need an array of an integer from 0 up (at most 1))');
  });

  it('object: unknown keys (did you mean), then fields in order, with their path', () => {
    const limit = object({ train: optional(int(1)), test: optional(int(1)) });
    expect(limit({})).toBeUndefined();
    expect(limit({ tain: 5 })).toBe(': unknown option "tain" (allowed: train, test); did you mean train?');
    expect(limit({ train: 0 })).toBe('.train is 0 (need an integer from 1 up)');
    expect(limit(null)).toBe(' is null (need an object with keys train, test)');
    expect(limit([1])).toBe(' is [1] (need an object with keys train, test)');
    expect(object({ a: int(0) }, { open: true })({ a: 1, b: 2 })).toBeUndefined();
    expect(object({ 'two words': int(0) })({ 'two words': -1 })).toBe('["two words"] is -1 (need an integer from 0 up)');
    // Objects without a prototype are objects too.
    const bare = Object.assign(Object.create(null) as object, { train: 2 });
    expect(limit(bare)).toBeUndefined();
  });

  it('tagged: the tag first (did you mean), then that variant\'s fields', () => {
    const init = tagged('kind', { normal: { mean: optional(number()), std: number({ min: 0 }) }, constant: { value: number() } });
    expect(init({ kind: 'normal', std: 0.1 })).toBeUndefined();
    expect(init({ kind: 'constant', value: 1 })).toBeUndefined();
    expect(init({ kind: 'normall', std: 0.1 })).toBe('.kind is "normall" (allowed: normal, constant); did you mean normal?');
    expect(init({ std: 0.1 })).toBe('.kind is undefined (allowed: normal, constant)');
    expect(init({ kind: 'normal', std: -1 })).toBe('.std is -1 (need a finite number >= 0)');
    expect(init({ kind: 'normal', std: 1, value: 2 })).toBe(': unknown option "value" (allowed: kind, mean, std)');
    expect(init({ kind: 'normal', sdt: 1 })).toBe(': unknown option "sdt" (allowed: kind, mean, std); did you mean std?');
    expect(init('normal')).toBe(' is "normal" (need an object { kind: normal | constant, ... })');
  });
});

describe('checkFields and checkArg', () => {
  interface DenseOptions { activation?: string; units?: number; kernelInit?: string }
  const DENSE: FieldsOf<DenseOptions> = {
    activation: optional(oneOf(['linear', 'relu'])), units: optional(int(1, 8)), kernelInit: optional(oneOf(['zeros', 'heNormal'])),
  };

  it('returns the options (undefined as {} unless required)', () => {
    const o = { activation: 'relu' };
    expect(checkFields('dense', o, DENSE)).toBe(o);
    expect(checkFields('dense', undefined, DENSE)).toEqual({});
    expect(() => checkFields('mlp', undefined, DENSE, { optional: false }))
      .toThrow('mlp: options must be an object with keys activation, units, kernelInit (got undefined)');
    expect(() => checkFields('dense', 5, DENSE)).toThrow('dense: options must be an object with keys activation, units, kernelInit (got 5)');
    expect(() => checkFields('dense', [], DENSE)).toThrow('dense: options must be an object');
  });

  it('the messages of the issue: an unknown key with the allowed ones and a did-you-mean, an enum value likewise', () => {
    expect(() => checkFields('dense', { kernelinit: 'zeros' }, DENSE))
      .toThrow(new Error('dense: unknown option "kernelinit" (allowed: activation, units, kernelInit); did you mean kernelInit?'));
    expect(() => checkFields('dense', { activation: 'rleu' }, DENSE))
      .toThrow(new Error('dense: activation is "rleu" (allowed: linear, relu); did you mean relu?'));
    expect(() => checkFields('dense', { units: 0 }, DENSE)).toThrow(new Error('dense: units is 0 (need an integer from 1 to 8)'));
    expect(() => checkFields('dense', { bogus: 1 }, DENSE)).toThrow(new Error('dense: unknown option "bogus" (allowed: activation, units, kernelInit)'));
    expect(() => checkFields('f', { a: 1 }, {})).toThrow(new Error('f: unknown option "a" (allowed: none)'));
  });

  it('unknown keys come before bad values; fields in schema order; nested paths', () => {
    expect(() => checkFields('dense', { units: 0, activaton: 'relu' }, DENSE)).toThrow(/unknown option "activaton"/);
    expect(() => checkFields('dense', { kernelInit: 'x', units: 0 }, DENSE)).toThrow(/^dense: units is 0/);
    const MNIST = { limit: optional(object({ train: optional(int(1)) })) };
    expect(() => checkFields('mnist', { limit: { train: 0 } }, MNIST)).toThrow(new Error('mnist: limit.train is 0 (need an integer from 1 up)'));
    expect(() => checkFields('mnist', { limit: { tran: 1 } }, MNIST))
      .toThrow(new Error('mnist: limit: unknown option "tran" (allowed: train); did you mean train?'));
  });

  it('open: other keys pass, the named ones are still checked', () => {
    expect(checkFields('data', { features: 3, extra: 1 }, { features: int(1) }, { open: true })).toEqual({ features: 3, extra: 1 });
    expect(() => checkFields('data', { extra: 1 }, { features: int(1) }, { open: true })).toThrow('data: features is undefined (need an integer from 1 up)');
  });

  it('checkArg: one positional argument', () => {
    expect(checkArg('dense', 'units', 3, int(1, 8))).toBe(3);
    expect(() => checkArg('dense', 'units', 2.5, int(1, 8))).toThrow(new Error('dense: units is 2.5 (need an integer from 1 to 8)'));
  });

  it('didYouMean: near names within two edits, case aside', () => {
    expect(didYouMean('lr_decay', ['lrDecay', 'eps'])).toBe('; did you mean lrDecay?');
    expect(didYouMean('x', ['x', 'y'])).toBe('; did you mean x or y?');
    expect(didYouMean('zzzzzz', ['lr'])).toBe('');
  });
});
