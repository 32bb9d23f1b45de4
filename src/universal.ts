// Everything public that runs in any JavaScript runtime: the barrel of the browser build (browser.ts)
// and, with the Node-only file readers added, of the Node build (index.ts).
export { createModel, loadModel, Model, NonFiniteError } from './runtime/model.js';
export type { CheckpointSource, EpochInfo, Evaluation, FitHistory, FitOptions, LoadModelOptions, ModelOptions, StepInfo } from './runtime/model.js';
export { crc32, decodeCheckpoint, parseSafetensors } from './runtime/checkpoint.js';
export type { Checkpoint, CheckpointMeta, Safetensors, SafetensorsEntry, TensorEntry } from './runtime/checkpoint.js';
export { PreparedData } from './runtime/data.js';
export type { Inputs, Targets } from './runtime/data.js';
export { dense, dropout, mlp, paperNet } from './model/spec.js';
export type { Activation, DenseSpec, DropoutSpec, Initializer, LayerSpec, Loss, MlpOptions, ModelSpec } from './model/spec.js';
export {
  adagrad, adam, adamw, addNoise, chain, clipByGlobalNorm, clipByValue, describeTransform, fromDescription, rmsprop, sgd,
} from './optim/transforms.js';
export type { Chain, GradientTransformation, StepMetrics, TransformDescription } from './optim/transforms.js';
export { constant, cosineDecay, exponentialDecay, linearWarmup, stepDecay } from './optim/schedules.js';
export type { LearningRate, Schedule } from './optim/schedules.js';
export { planLayout } from './core/layout.js';
export type { Block, BlockKind, LayoutPlan, LayoutRequest, Placement, TensorRequest } from './core/layout.js';
export { threadsAvailable } from './core/wasm.js';
export type { BuildName, CoreSource } from './core/wasm.js';
export { runtimeInfo } from './runtime/threads.js';
export type { RuntimeInfo, RuntimeName } from './runtime/threads.js';
export {
  ACTIVATIONS, createModelFromConfig, DEFAULT_TRAIN_CONFIG, INITS, OPTIMIZERS, optimizerOfConfig, resolveTrainConfig, SCHEDULES, specOfConfig,
  weightsSha256,
} from './runs/config.js';
export type { DataShape, RunModelOptions, TrainConfig } from './runs/config.js';
export { runTraining } from './runs/train.js';
export type { EpochRecord, RunData, RunHooks, RunOptions, RunResult, RunSummary, Split, StepRecord } from './runs/train.js';
export { mnistSplit, MNIST_FILES } from './data/mnist.js';
export type { Mnist, MnistNormalize, MnistOptions, MnistSplit } from './data/mnist.js';
export { parseIdx } from './data/idx.js';
export type { IdxTensor } from './data/idx.js';
export { validateDataset } from './data/dataset.js';
export type { Dataset } from './data/dataset.js';
export {
  advanceCurriculum, algorithmicBatch, algorithmicExample, algorithmicTask, ALGORITHMIC_TASKS, curriculum, curriculumLength, curriculumOf,
  errorRates, errorRatesFromLogits, inputWidth, MAX_EXAMPLE_INDEX, MAX_TASK_LENGTH, OUTPUT_CLASSES, sumErrorRates, TOKENS, tokensToString,
  VOCAB_SIZE,
} from './tasks/algorithmic.js';
export type {
  AlgorithmicBatch, AlgorithmicExample, AlgorithmicTask, AlgorithmicTaskName, AlgorithmicTaskOptions, AlgorithmicBatchOptions, Curriculum, CurriculumOptions,
  ErrorRates, ResultDigits, TaskSplit,
} from './tasks/algorithmic.js';
