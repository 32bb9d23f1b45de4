// Every bad option is an error naming the transform, the field and the value; chains are checked for
// shape; descriptions round-trip through JSON for the worker and the fuser.
import { describe, expect, it } from 'vitest';
import {
  adagrad, adam, adamw, addNoise, chain, clipByGlobalNorm, clipByValue, describeTransform, fromDescription,
  NonFiniteGradientError, rmsprop, sgd, validateChain, type GradientTransformation,
} from '../../../src/optim/transforms.js';
import { cosineDecay, linearWarmup } from '../../../src/optim/schedules.js';

const bad: [string, () => unknown, RegExp][] = [
  // noise
  ['negative eta', () => addNoise({ eta: -0.01 }), /addNoise: eta is -0.01 \(need a finite number >= 0\)/],
  ['NaN eta', () => addNoise({ eta: NaN }), /addNoise: eta is NaN/],
  ['Infinity eta', () => addNoise({ eta: Infinity }), /addNoise: eta is Infinity/],
  ['negative gamma', () => addNoise({ gamma: -0.55 }), /addNoise: gamma is -0.55/],
  ['NaN gamma', () => addNoise({ gamma: NaN }), /addNoise: gamma is NaN/],
  ['string eta', () => addNoise({ eta: '0.01' as never }), /addNoise: eta is "0.01"/],
  ['typo in addNoise', () => addNoise({ eta: 0.01, gama: 0.55 } as never),
    /addNoise: unknown option "gama" \(allowed: eta, gamma\); did you mean gamma\?/],
  // clipping
  ['zero maxNorm', () => clipByGlobalNorm(0), /clipByGlobalNorm: maxNorm is 0 \(need a finite number > 0\)/],
  ['negative maxNorm', () => clipByGlobalNorm(-1), /clipByGlobalNorm: maxNorm is -1/],
  ['NaN maxNorm', () => clipByGlobalNorm(NaN), /clipByGlobalNorm: maxNorm is NaN/],
  ['Infinity maxNorm', () => clipByGlobalNorm(Infinity), /clipByGlobalNorm: maxNorm is Infinity/],
  ['zero maxAbs', () => clipByValue(0), /clipByValue: maxAbs is 0 \(need a finite number > 0\)/],
  ['NaN maxAbs', () => clipByValue(NaN), /clipByValue: maxAbs is NaN/],
  ['object maxAbs', () => clipByValue({ maxAbs: 1 } as never), /clipByValue: maxAbs is \{"maxAbs":1\}/],
  // sgd
  ['sgd without lr', () => sgd({} as never), /sgd: lr is undefined \(need a finite number >= 0 and <= 3.4028234663852886e\+38\)/],
  ['sgd without options', () => sgd(undefined as never), /sgd: options must be an object/],
  ['negative lr', () => sgd({ lr: -0.1 }), /sgd: lr is -0.1/],
  ['NaN lr', () => sgd({ lr: NaN }), /sgd: lr is NaN/],
  ['Infinity lr', () => sgd({ lr: Infinity }), /sgd: lr is Infinity/],
  ['negative momentum', () => sgd({ lr: 0.1, momentum: -0.9 }), /sgd: momentum is -0.9 \(need a finite number >= 0\)/],
  ['dampening > 1', () => sgd({ lr: 0.1, momentum: 0.9, dampening: 1.5 }), /sgd: dampening is 1.5/],
  ['negative weightDecay', () => sgd({ lr: 0.1, weightDecay: -1e-4 }), /sgd: weightDecay is -0.0001/],
  ['nesterov without momentum', () => sgd({ lr: 0.1, nesterov: true }),
    /sgd: nesterov needs momentum > 0 and dampening = 0 \(PyTorch's rule; got momentum 0, dampening 0\)/],
  ['nesterov with dampening', () => sgd({ lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
    /sgd: nesterov needs momentum > 0 and dampening = 0 .*got momentum 0.9, dampening 0.1/],
  ['non-boolean nesterov', () => sgd({ lr: 0.1, momentum: 0.9, nesterov: 1 as never }), /sgd: nesterov is 1 \(need true or false\)/],
  ['typo momentun', () => sgd({ lr: 0.1, momentun: 0.9 } as never),
    /sgd: unknown option "momentun" \(allowed: lr, momentum, dampening, nesterov, weightDecay\); did you mean momentum\?/],
  ['snake_case key', () => sgd({ lr: 0.1, weight_decay: 0.1 } as never), /sgd: unknown option "weight_decay" \(allowed: .*\)/],
  ['a function as lr', () => sgd({ lr: ((t: number) => 0.1 / (t + 1)) as never }), /sgd: lr: a function is not a schedule/],
  ['a bad schedule as lr', () => sgd({ lr: { kind: 'cosineDecay', lr: 0.1, steps: -5 } as never }), /sgd: lr: cosineDecay: steps is -5/],
  // adam / adamw
  ['beta1 = 1', () => adam({ betas: [1, 0.999] }), /adam: betas\[0\] is 1 \(need a finite number >= 0 and < 1\)/],
  ['negative beta2', () => adam({ betas: [0.9, -0.1] }), /adam: betas\[1\] is -0.1/],
  ['NaN beta', () => adamw({ betas: [NaN, 0.999] }), /adamw: betas\[0\] is NaN/],
  ['one beta', () => adam({ betas: [0.9] as never }), /adam: betas is \[0.9\] \(need \[beta1, beta2\]/],
  ['zero eps', () => adam({ eps: 0 }), /adam: eps is 0 \(need a finite number > 0\)/],
  ['negative eps', () => adamw({ eps: -1e-8 }), /adamw: eps is -1e-8/],
  ['adamw negative decay', () => adamw({ weightDecay: -0.01 }), /adamw: weightDecay is -0.01/],
  ['adam typo', () => adam({ beta: [0.9, 0.99] } as never), /adam: unknown option "beta" \(allowed: lr, betas, eps, weightDecay\); did you mean betas\?/],
  ['adam negative lr', () => adam({ lr: -1e-3 }), /adam: lr is -0.001/],
  // adagrad
  ['negative lrDecay', () => adagrad({ lrDecay: -0.1 }), /adagrad: lrDecay is -0.1/],
  ['negative initial accumulator', () => adagrad({ initialAccumulatorValue: -1 }), /adagrad: initialAccumulatorValue is -1/],
  ['adagrad zero eps', () => adagrad({ eps: 0 }), /adagrad: eps is 0/],
  ['adagrad typo', () => adagrad({ lr_decay: 0.1 } as never), /adagrad: unknown option "lr_decay" .*did you mean lrDecay\?/],
  // rmsprop
  ['alpha = 1', () => rmsprop({ alpha: 1 }), /rmsprop: alpha is 1 \(need a finite number >= 0 and < 1\)/],
  ['negative alpha', () => rmsprop({ alpha: -0.5 }), /rmsprop: alpha is -0.5/],
  ['rmsprop negative momentum', () => rmsprop({ momentum: -0.1 }), /rmsprop: momentum is -0.1/],
  ['rmsprop negative weightDecay', () => rmsprop({ weightDecay: -1 }), /rmsprop: weightDecay is -1/],
  ['rmsprop zero eps', () => rmsprop({ eps: 0 }), /rmsprop: eps is 0/],
  ['non-boolean centered', () => rmsprop({ centered: 'yes' as never }), /rmsprop: centered is "yes" \(need true or false\)/],
  // chains
  ['empty chain', () => chain(), /chain: needs at least one transform/],
  ['optimizer not last', () => chain(sgd({ lr: 0.1 }), addNoise()),
    /chain: the optimizer sgd is transform 0 of 2; an optimizer must be the last transform .*\[sgd, addNoise\]/],
  ['two optimizers', () => chain(adam(), sgd({ lr: 0.1 })), /chain: the optimizer adam is transform 0 of 2/],
  ['not a transform', () => chain(42 as never), /chain: transforms\[0\]: transform is 42/],
  ['unknown transform name', () => chain({ name: 'lamb', config: {} } as never), /chain: transforms\[0\]: unknown transform "lamb" \(allowed: clipByValue, .*rmsprop, chain\)/],
  ['bad config in a description', () => fromDescription({ name: 'adam', config: { betas: [0.9, 1] } }), /fromDescription: adam: betas\[1\] is 1/],
  ['no optimizer', () => validateChain(chain(clipByGlobalNorm(1), addNoise())),
    /optimizer: the chain \[clipByGlobalNorm, addNoise\] has no optimizer; end it with one of sgd, adam, adamw, adagrad, rmsprop/],
];

describe('option validation', () => {
  for (const [what, f, re] of bad) it(`rejects ${what}`, () => expect(f).toThrow(re));

  it('accepts the boundaries', () => {
    expect(() => addNoise({ eta: 0, gamma: 0 })).not.toThrow();
    expect(() => sgd({ lr: 0 })).not.toThrow();
    expect(() => adam({ betas: [0, 0] })).not.toThrow();
    expect(() => sgd({ lr: 0.1, momentum: 0.9, dampening: 1 })).not.toThrow();
    expect(() => rmsprop({ alpha: 0 })).not.toThrow();
    expect(() => sgd({ lr: linearWarmup({ steps: 10, schedule: cosineDecay({ lr: 0.1, steps: 100 }) }) })).not.toThrow();
  });

  it('fills PyTorch\'s defaults', () => {
    expect(addNoise().config).toEqual({ eta: 0.01, gamma: 0.55 });
    expect(sgd({ lr: 0.1 }).config).toEqual({ lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
    expect(adam().config).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    expect(adamw().config).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 });
    expect(adagrad().config).toEqual({ lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
    expect(rmsprop().config).toEqual({ lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
  });
});

describe('update checks', () => {
  const p = () => [new Float32Array(3), new Float32Array(2)];
  const opt = chain(clipByGlobalNorm(1), adam());

  it('rejects a bad step', () => {
    expect(() => opt.update(p(), opt.init(p()), p(), -1)).toThrow(/chain: step is -1 \(need a finite integer >= 0 and < 4294967296\)/);
    expect(() => opt.update(p(), opt.init(p()), p(), 1.5)).toThrow(/step is 1.5/);
    expect(() => opt.update(p(), opt.init(p()), p(), 2 ** 32)).toThrow(/step is 4294967296/);
  });

  it('rejects mismatched shapes and state', () => {
    expect(() => opt.update([new Float32Array(3)], opt.init(p()), p(), 0)).toThrow(/chain: grads has 1 tensors, params has 2/);
    expect(() => opt.update([new Float32Array(3), new Float32Array(5)], opt.init(p()), p(), 0))
      .toThrow(/chain: tensor 1 has 5 elements in grads, 2 in params/);
    expect(() => opt.update([new Float32Array(3), [0, 0] as never], opt.init(p()), p(), 0)).toThrow(/tensor 1 of grads or params is not a Float32Array/);
    expect(() => opt.update(p(), undefined as never, p(), 0)).toThrow(/chain: state is undefined/);
    expect(() => opt.update(p(), [null] as never, p(), 0)).toThrow(/chain: state must be the array init returned \(2 entries\)/);
    const other = [new Float32Array(4), new Float32Array(2)];
    expect(() => opt.update(p(), opt.init(other), p(), 0)).toThrow(/adam: tensor 0 has 4 elements in state.m, 3 in params/);
  });

  it('refuses a non-finite gradient, naming the step, tensor and index', () => {
    const g = p();
    g[1]![1] = NaN;
    const err = (() => { try { opt.update(g, opt.init(p()), p(), 17); } catch (e) { return e; } return null; })();
    expect(err).toBeInstanceOf(NonFiniteGradientError);
    expect((err as NonFiniteGradientError).message).toMatch(/step 17: non-finite gradient \(NaN\) in tensor 1 at index 1; the update is refused/);
    expect([(err as NonFiniteGradientError).tensor, (err as NonFiniteGradientError).index]).toEqual([1, 1]);
    g[1]![1] = 0;
    g[0]![2] = -Infinity;
    expect(() => opt.update(g, opt.init(p()), p(), 0)).toThrow(/step 0: non-finite gradient \(-Infinity\) in tensor 0 at index 2/);
  });
});

describe('descriptions: what the fuser and the worker read', () => {
  const opt = chain(
    chain(clipByGlobalNorm(10), addNoise({ eta: 0.3 })),
    sgd({ lr: cosineDecay({ lr: 0.1, steps: 50, minLr: 0.001 }), momentum: 0.9, nesterov: true }),
  );

  it('chain flattens nested chains and its config is the ordered list of { name, config }', () => {
    expect(opt.transforms.map((t) => t.name)).toEqual(['clipByGlobalNorm', 'addNoise', 'sgd']);
    expect(opt.kind).toBe('optimizer');
    expect(describeTransform(opt)).toEqual({
      name: 'chain',
      config: {
        transforms: [
          { name: 'clipByGlobalNorm', config: { maxNorm: 10 } },
          { name: 'addNoise', config: { eta: 0.3, gamma: 0.55 } },
          { name: 'sgd', config: {
            lr: { kind: 'cosineDecay', lr: 0.1, steps: 50, minLr: 0.001 }, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0,
          } },
        ],
      },
    });
    expect(Object.isFrozen(opt.config)).toBe(true);
    expect(Object.isFrozen((opt.transforms[2]!.config as { lr: object }).lr)).toBe(true);
    expect(chain(clipByValue(1), addNoise()).kind).toBe('gradient');
  });

  it('a description survives JSON and structuredClone, and rebuilds a transform with the same bits', () => {
    const viaJson = fromDescription(JSON.parse(JSON.stringify(describeTransform(opt))));
    const viaClone = fromDescription(structuredClone(describeTransform(opt)));
    const run = (t: GradientTransformation) => {
      let params: Float32Array[] = [Float32Array.of(1, -2, 3), Float32Array.of(0.5)];
      let state = t.init(params);
      for (let s = 0; s < 5; s++) {
        const r = t.update([Float32Array.of(0.3, s, -1), Float32Array.of(2)], state, params, s, { seed: 5n });
        params = r.params!;
        state = r.state;
      }
      return params;
    };
    expect(run(viaJson)).toEqual(run(opt));
    expect(run(viaClone)).toEqual(run(opt));
  });

  it('validateChain wraps a lone optimizer and accepts a description', () => {
    const c = validateChain(adam());
    expect(c.name).toBe('chain');
    expect(c.transforms.map((t) => t.name)).toEqual(['adam']);
    expect(validateChain(describeTransform(opt)).transforms.map((t) => t.name)).toEqual(['clipByGlobalNorm', 'addNoise', 'sgd']);
    expect(validateChain({ name: 'rmsprop', config: { centered: true } }).transforms[0]!.config).toMatchObject({ centered: true });
  });
});
