// Everything public that runs in any JavaScript runtime: the barrel of the browser build (browser.ts)
// and, with the Node-only file readers added, of the Node build (index.ts).
export { createModel, loadModel, Model, NonFiniteError } from './runtime/model.js';
export type { CheckpointSource, EpochInfo, Evaluation, FitHistory, FitOptions, LoadModelOptions, LoadOptions, ModelOptions, SaveOptions, StepInfo } from './runtime/model.js';
export { exportOnnx } from './export/onnx/index.js';
export type { OnnxOptions } from './export/onnx/index.js';
export { pytorchLayout } from './export/pytorch.js';
export type { PytorchNames, PytorchTensor } from './export/pytorch.js';
export { crc32, decodeCheckpoint, parseSafetensors } from './runtime/checkpoint.js';
export type { Checkpoint, CheckpointMeta, Safetensors, SafetensorsEntry, TensorEntry } from './runtime/checkpoint.js';
export { PreparedData } from './runtime/data.js';
export type { DataSignature, Inputs, Targets } from './runtime/data.js';
export { dense, dropout, mlp, paperNet, toGraph } from './model/spec.js';
export type { Activation, DenseSpec, DropoutSpec, Initializer, LayerSpec, Loss, MlpOptions, ModelSpec, PaperNetOptions, SequentialSpec } from './model/spec.js';
export { graph, input, layers, losses, ops, Param, Tensor } from './graph/builder.js';
export type { DenseOptions, EmbeddingLayer, EmbeddingOptions, GraphOptions, Layer, Loss as GraphLossTerm } from './graph/builder.js';
export { compileGraph, GRAPH_FORMAT, isGraphSpec, normalizeGraph } from './graph/spec.js';
export type { GraphInput, GraphLoss, GraphNode, GraphParam, GraphSpec, NormalizedGraph } from './graph/spec.js';
export type { DType, ValueType } from './graph/op.js';
export {
  adagrad, adam, adamw, addNoise, chain, clipByGlobalNorm, clipByValue, describeTransform, fromDescription, rmsprop, sgd,
} from './optim/transforms.js';
export type { Chain, GradientTransformation, StepMetrics, TransformDescription } from './optim/transforms.js';
export { constant, cosineDecay, exponentialDecay, linearWarmup, stepDecay } from './optim/schedules.js';
export type { LearningRate, Schedule } from './optim/schedules.js';
export { planLayout } from './core/layout.js';
export type { Block, BlockKind, LayoutPlan, LayoutRequest, Placement, TensorRequest } from './core/layout.js';
export { relaxedSimdAvailable, threadsAvailable } from './core/wasm.js';
export type { BuildChoice, BuildName, CoreSource } from './core/wasm.js';
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
export type { Mnist, MnistNormalize, MnistOptions, MnistSplit, MnistSplitOptions } from './data/mnist.js';
export { parseIdx } from './data/idx.js';
export type { IdxTensor } from './data/idx.js';
export { validateDataset } from './data/dataset.js';
export type { Dataset } from './data/dataset.js';
export {
  babi, babiData, babiFileName, babiSentenceLength, babiStory, BABI_TASKS, babiTokens, babiVocabulary, encodeBabi, formatBabi, parseBabi, selectBabiTasks, subsetBabi,
} from './tasks/babi/index.js';
export type {
  BabiData, BabiDataOptions, BabiFact, BabiLine, BabiOptions, BabiQuestion, BabiSplit, BabiStory, BabiTaskInfo, BabiVocabulary, BabiVocabularyOptions,
  EncodeBabiOptions, EncodedBabi, ParseBabiOptions,
} from './tasks/babi/index.js';
export {
  advanceCurriculum, algorithmicBatch, algorithmicExample, algorithmicTask, ALGORITHMIC_TASKS, curriculum, curriculumLength, curriculumOf,
  errorRates, errorRatesFromLogits, INPUT_LAYOUTS, inputWidth, MAX_EXAMPLE_INDEX, MAX_TASK_LENGTH, OUTPUT_CLASSES, sumErrorRates, TOKENS, tokensToString,
  VOCAB_SIZE, vocabSize,
} from './tasks/algorithmic.js';
export type {
  AlgorithmicBatch, AlgorithmicExample, AlgorithmicTask, AlgorithmicTaskName, AlgorithmicTaskOptions, AlgorithmicBatchOptions, Curriculum, CurriculumOptions,
  ErrorRates, InputLayout, ResultDigits, TaskSplit,
} from './tasks/algorithmic.js';
