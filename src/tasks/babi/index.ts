// Barrel of the bAbI tasks (runtime-agnostic part): generation, the text format, vocabulary and encoding.
// The Node-only file readers and writers are in files.ts (exported by src/index.ts).
export { babi, babiFileName, babiStory, BABI_TASKS } from './generate.js';
export type { BabiOptions, BabiTaskInfo, Split as BabiSplit } from './generate.js';
export { formatBabi, parseBabi } from './format.js';
export type { ParseBabiOptions } from './format.js';
export { babiSentenceLength, babiTokens, babiVocabulary, encodeBabi, selectBabiTasks, subsetBabi } from './encode.js';
export type { BabiVocabulary, BabiVocabularyOptions, EncodeBabiOptions, EncodedBabi } from './encode.js';
export { babiData } from './data.js';
export type { BabiData, BabiDataOptions } from './data.js';
export type { BabiFact, BabiLine, BabiQuestion, BabiStory } from './story.js';
