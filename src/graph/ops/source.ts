// Static values: a parameter seen as a value (`param`: temporal encodings, a matrix applied with matmul),
// and constants written in the spec (`constant`: position encodings). Neither runs a kernel: a param's
// output is the parameter itself and its gradient the parameter's gradient slot; a constant lives in
// the arena's static block, written once when the network is built.
import { arrayOf, int, number, withDefaults } from '../../core/check.js';
import { sizeOf, type OpDecl } from '../op.js';
import { MAX_ELEMENTS, MAX_UNITS } from '../limits.js';

export const param: OpDecl<Record<string, never>> = {
  op: 'param',
  family: 'source',
  arity: 0,
  inputNames: [],
  source: 'param',
  attrs: (where, raw) => withDefaults(where, raw, {}, {}),
  infer(where, _a, _x, params) {
    const shape = params.value;
    if (!shape) throw new Error(`${where}: a param node names its parameter as params: { value: "<name>" }`);
    return { out: { shape: [...shape], dtype: 'f32', batched: false }, params: [{ slot: 'value', shape }] };
  },
  forward() {},
};

export interface ConstantAttrs {
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

export const constant: OpDecl<ConstantAttrs> = {
  op: 'constant',
  family: 'source',
  arity: 0,
  inputNames: [],
  source: 'constant',
  attrs(where, raw) {
    const a = withDefaults<ConstantAttrs>(where, raw, { shape: arrayOf(int(1, MAX_UNITS), { maxLength: 8 }), values: arrayOf(number()) }, {});
    if (sizeOf(a.shape) > MAX_ELEMENTS) throw new Error(`${where}: shape [${a.shape.join(', ')}] holds more than ${MAX_ELEMENTS} values`);
    if (a.values.length !== sizeOf(a.shape)) {
      throw new Error(`${where}: ${a.values.length} values for shape [${a.shape.join(', ')}] (need ${sizeOf(a.shape)})`);
    }
    return a;
  },
  infer(_where, a) {
    return { out: { shape: [...a.shape], dtype: 'f32', batched: false } };
  },
  forward() {},
};
