// Constants shared by the AssemblyScript core and the TypeScript facade.
// This file must stay valid in both languages: plain `export const NAME = <integer literal>;` lines only
// (AssemblyScript infers i32, TypeScript infers number). src/core/abi.ts re-exports it for the facade.

// ---- Arena header: the first block of the planned memory (docs/memory.md) ----
export const HEADER_BYTES = 256;
export const HEADER_MAGIC = 0x315a4e47; // "GNZ1" little-endian
export const ABI_VERSION = 1;
export const H_MAGIC = 0; //          u32
export const H_VERSION = 4; //        u32
export const H_LAYOUT_HASH = 8; //    u32, FNV-1a of the layout plan
export const H_SEED_LO = 16; //       u32, low half of the 64-bit seed
export const H_SEED_HI = 20; //       u32, high half
export const H_STEP_LO = 24; //       u32, completed optimizer steps t (low half)
export const H_STEP_HI = 28; //       u32, high half
export const H_HYPER = 64; //         64 bytes reserved for the optimizer's hyperparameter struct
export const H_METRICS = 128; //      per-step metrics written by kernels (loss sum, correct count, ...)

// ---- Alignment of every planned tensor, in bytes ----
export const ALIGN = 16;

// ---- Activation codes (kernels/activation.ts) ----
export const ACT_LINEAR = 0;
export const ACT_RELU = 1;
export const ACT_LEAKY_RELU = 2;
export const ACT_TANH = 3;
export const ACT_SIGMOID = 4;

// ---- Counter-based RNG domains: word 3 of the Philox counter says what a random number is for ----
export const RNG_DOMAIN_INIT = 1; //     parameter initialisation: word 2 = tensor index
export const RNG_DOMAIN_NOISE = 2; //    gradient noise: word 2 = step t
export const RNG_DOMAIN_DROPOUT = 3; //  dropout masks: word 2 = step t, high bits of word 1 = layer
export const RNG_DOMAIN_SHUFFLE = 4; //  data order: word 2 = epoch

// ---- GEMM blocking (kernels/gemm.ts); the planner sizes the scratch block from these ----
export const GEMM_MR = 4; //   rows of C per register tile
export const GEMM_NR = 8; //   columns of C per register tile (two f32x4)
export const GEMM_KC = 256; // depth of a packed panel
export const GEMM_MC = 64; //  rows of A packed per block (MC x KC in L2)
export const GEMM_NC = 512; // columns of B packed per block (KC x NC)
