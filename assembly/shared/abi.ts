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
export const H_EPOCH = 32; //         u32, completed passes over the training data (the data order's epoch)
export const H_POS = 36; //           u32, batches of epoch H_EPOCH already taken (0 at an epoch boundary)
export const H_POS_COUNT = 40; //     u32, the data order of the epoch in progress: examples,
export const H_POS_BATCH = 44; //     u32, batch size,
export const H_POS_SEED_LO = 48; //   u32, seed (low half),
export const H_POS_SEED_HI = 52; //   u32, seed (high half),
export const H_POS_FLAGS = 56; //     u32, POS_F_* flags
export const H_HYPER = 64; //         the update's hyperparameter struct (U_* below), 96 bytes
export const H_METRICS = 160; //      reserved for per-step metrics kept with the state (unused so far)

export const POS_F_SHUFFLE = 1;
export const POS_F_DROP_LAST = 2;

// ---- The fused update's hyperparameter struct (docs/update.md), at header + H_HYPER ----
// Every float is an f32 the facade computed (in f64, rounded once) for this step; the kernel only reads.
export const U_GSCALE = 0; //     f32  1 / rows of the batch (gradients are batch sums)
export const U_CLIP_VALUE = 4; // f32  c of clip-by-value (used when U_F_CLIP_VALUE is set)
export const U_CLIP_SCALE = 8; // f32  global-norm clip factor max / norm (used when U_F_CLIP_NORM is set)
export const U_SIGMA = 12; //     f32  noise standard deviation sqrt(eta / (1 + t)^gamma)
export const U_LR = 16; //        f32  learning rate of this step (after the schedule)
export const U_WD = 20; //        f32  weight decay (L2 for sgd/adam/adagrad/rmsprop; decoupled for adamw)
export const U_A = 24; //         f32  momentum (sgd) | beta1 (adam) | alpha (rmsprop)
export const U_B = 28; //         f32  1 - dampening (sgd) | 1 - beta1 (adam) | 1 - alpha (rmsprop)
export const U_C = 32; //         f32  beta2 (adam) | rmsprop momentum
export const U_D = 36; //         f32  1 - beta2 (adam)
export const U_EPS = 40; //       f32  epsilon
export const U_E = 44; //         f32  lr / (1 - beta1^(t+1)) (adam, adamw) | lr / (1 + t lr_decay) (adagrad); t from 0
export const U_F = 48; //         f32  sqrt(1 - beta2^(t+1)) (adam, adamw)
export const U_FLAGS = 52; //     u32  optimizer kind (low 4 bits) | U_F_* flags
export const U_STEP = 56; //      u32  step t (0 at the first update): word 2 of the noise counter
export const U_SEED_LO = 60; //   u32  noise key, low half of the 64-bit seed
export const U_SEED_HI = 64; //   u32  noise key, high half
export const U_G = 68; //         f32  1 - lr * wd (adamw's decoupled decay)
export const U_BYTES = 96; //     size of the struct (the rest is reserved)

export const OPT_SGD = 0;
export const OPT_ADAM = 1;
export const OPT_ADAMW = 2;
export const OPT_ADAGRAD = 3;
export const OPT_RMSPROP = 4;
export const U_F_CLIP_VALUE = 16; //   clip each coordinate to [-c, c]
export const U_F_CLIP_NORM = 32; //    multiply by U_CLIP_SCALE (set only when the norm exceeds the threshold)
export const U_F_NOISE = 64; //        add sigma * z
export const U_F_PRESCALED = 128; //   gradients already hold g * gscale (+ noise): noise-before-clip pass 2
export const U_F_MOMENTUM = 256; //    sgd / rmsprop: use the momentum buffer
export const U_F_NESTEROV = 512; //    sgd: Nesterov momentum
export const U_F_FIRST = 1024; //      sgd momentum: first step, buffer = gradient
export const U_F_CENTERED = 2048; //   rmsprop: centered
export const U_F_WD = 4096; //         apply weight decay

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
export const RNG_DOMAIN_NOISE = 2; //    gradient noise: word 2 = step t, word 1 = parameter tensor index
export const RNG_DOMAIN_DROPOUT = 3; //  dropout masks: word 2 = step t, word 1 = layer index
export const RNG_DOMAIN_SHUFFLE = 4; //  data order: word 2 = epoch
export const RNG_DOMAIN_TASKS = 5; //    generated task data (src/tasks/): word 1 = example index or step, word 2 = stream << 24 | length

// ---- GEMM blocking (kernels/gemm.ts); the planner sizes the scratch block from these ----
export const GEMM_MR = 4; //   rows of C per register tile
export const GEMM_NR = 8; //   columns of C per register tile (two f32x4)
export const GEMM_KC = 256; // depth of a packed panel
export const GEMM_MC = 64; //  rows of A packed per block (MC x KC in L2)
export const GEMM_NC = 512; // columns of B packed per block (KC x NC)
export const GEMM_READ_SLACK = 64; // bytes the planner leaves after the arena for reads past a GEMM operand (the kernel now makes none: kernels/gemm.ts contract)

// ---- Work units of the update (docs/workers.md) ----
// Every parameter tensor is cut into units of at most UPDATE_UNIT elements (from its first element).
// Reduction of gradient shards, pass 1 and pass 2 run per unit, so workers split the update by units; the
// global norm is the sum over tensors (layout order) of the sum over each tensor's units (in order) of the
// unit's pass-1 sum (docs/update.md). A multiple of STEP_CHUNK (1024) and of 4 (the lanes of pass 1).
export const UPDATE_UNIT = 16384;
