// gradnoise: train neural networks on the CPU in any JavaScript runtime, on a WebAssembly SIMD core.
// The public barrel: nothing else is public.
export { createModel, Model } from './runtime/model.js';
export type { EpochInfo, Evaluation, FitHistory, FitOptions, ModelOptions, StepInfo } from './runtime/model.js';
export type { Inputs, Targets } from './runtime/data.js';
export { dense, dropout, mlp, paperNet } from './model/spec.js';
export type { Activation, DenseSpec, DropoutSpec, Initializer, LayerSpec, Loss, MlpOptions, ModelSpec } from './model/spec.js';
export { sgd } from './optim/sgd.js';
export type { Optimizer, Sgd } from './optim/sgd.js';
export { planLayout } from './core/layout.js';
export type { Block, BlockKind, LayoutPlan, LayoutRequest, Placement, TensorRequest } from './core/layout.js';
export { threadsAvailable } from './core/wasm.js';
export type { BuildName } from './core/wasm.js';
export { mnist, parseIdx, readIdxFile, validateDataset } from './data/index.js';
export type { Dataset, Mnist, MnistOptions, MnistSplit } from './data/index.js';
