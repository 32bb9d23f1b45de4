// Every op kind of the graph, by name: the only list of them. The planner, autodiff and the builder know
// ops through these declarations alone (op.ts has the contract).
import type { OpDecl } from '../op.js';
import { leakyRelu, relu, sigmoid, tanh } from './activation.js';
import { dense, dropout } from './dense.js';
import { add, mul, scale, sub } from './elementwise.js';
import { embedding, embeddingBag } from './embedding.js';
import { matmul } from './matmul.js';
import { concat, mean, pad, reshape, slice, sum } from './shape.js';
import { softmax, tokenMask } from './softmax.js';
import { constant, param } from './source.js';
import { avgPool1d, avgPool2d, conv1d, conv2d, maxPool1d, maxPool2d } from './conv.js';
import { cgru, gru, lstm } from './recurrent.js';

export const OPS: Readonly<Record<string, OpDecl>> = Object.fromEntries([
  dense, dropout, relu, leakyRelu, tanh, sigmoid, add, sub, mul, scale, reshape, concat, slice, pad, sum, mean, softmax, tokenMask,
  matmul, embedding, embeddingBag, param, constant, conv2d, conv1d, maxPool2d, maxPool1d, avgPool2d, avgPool1d, lstm, gru, cgru,
].map((d) => [d.op, d]));

export { LOSSES } from './loss.js';
export type { LossDecl, LossResult, BoundLoss, TargetRule } from './loss.js';
