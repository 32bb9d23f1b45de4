// The facade's view of the core's ABI: the constants shared with AssemblyScript, and the exact list of
// functions the wasm module exports with their TypeScript signatures. test/ts/core/abi.test.ts checks the
// list against the built module (the ABI drift test).
export * from '../../assembly/shared/abi.js';

/** A byte address in the core's linear memory. */
type Ptr = number;
type GemmFn = (c: Ptr, a: Ptr, b: Ptr, M: number, K: number, N: number, accumulate: number, scratch: Ptr) => void;
type GemmBatchedFn = (form: number, c: Ptr, a: Ptr, b: Ptr, batch: number, M: number, K: number, N: number,
  sa: number, sb: number, sc: number, accumulate: number, scratch: Ptr) => void;
type UnaryFn = (y: Ptr, x: Ptr, n: number) => void;
type UnaryBackFn = (dx: Ptr, y: Ptr, dy: Ptr, n: number) => void;
type FusedFn = (hyper: Ptr, p: Ptr, g: Ptr, s0: Ptr, s1: Ptr, s2: Ptr, n: number, tensor: number, start: number, tmp: Ptr) => void;
type FusedAheadFn = (hyper: Ptr, p: Ptr, g: Ptr, s0: Ptr, s1: Ptr, s2: Ptr, n: number, tensor: number, start: number, tmp: Ptr,
  ahead: Ptr, ready: number) => void;
type BinaryFn = (y: Ptr, a: Ptr, b: Ptr, G: number, P: number, I: number, bs: number) => void;
type InitNormalFn = (p: Ptr, n: number, mean: number, std: number, k0: number, k1: number, w2: number, domain: number) => void;

/** Every function exported by assembly/index.ts, as the facade calls it (`_ref`: scalar twins for tests). */
export interface CoreExports {
  arena_base(): Ptr;
  roofline_f32(iters: number, seed: number): number;
  /** 1 in the relaxed builds (GEMMs on f32x4.relaxed_madd), 0 in the baseline ones. */
  relaxed_simd(): number;

  gemm_scratch_bytes(M: number, K: number, N: number): number;
  gemm_nn_f32: GemmFn; gemm_nt_f32: GemmFn; gemm_tn_f32: GemmFn;
  gemm_nn_f32_ref: GemmFn; gemm_nt_f32_ref: GemmFn; gemm_tn_f32_ref: GemmFn;
  /** form: 0 nn, 1 nt, 2 tn; strides in elements, 0 = shared; sc = 0 folds every item into one C. */
  gemm_batched_f32: GemmBatchedFn; gemm_batched_f32_ref: GemmBatchedFn;

  bias_forward_f32(y: Ptr, b: Ptr, rows: number, cols: number): void;
  bias_backward_f32(db: Ptr, dy: Ptr, rows: number, cols: number): void;

  add_forward_f32: BinaryFn; sub_forward_f32: BinaryFn; mul_forward_f32: BinaryFn;
  mul_backward_f32(da: Ptr, dy: Ptr, b: Ptr, G: number, P: number, I: number, bs: number, accumulate: number): void;
  sum_groups_f32(out: Ptr, x: Ptr, G: number, P: number, I: number, bs: number, scale: number, accumulate: number): void;
  mul_sum_groups_f32(out: Ptr, x: Ptr, w: Ptr, G: number, P: number, I: number, bs: number, accumulate: number): void;
  broadcast_groups_f32(out: Ptr, x: Ptr, G: number, P: number, I: number, bs: number, scale: number, accumulate: number): void;

  embedding_forward_f32(y: Ptr, ids: Ptr, table: Ptr, n: number, d: number, paddingId: number): void;
  embedding_backward_f32(dtable: Ptr, ids: Ptr, dy: Ptr, n: number, d: number, paddingId: number): void;
  embedding_bag_forward_f32(y: Ptr, ids: Ptr, table: Ptr, w: Ptr, n: number, L: number, d: number, paddingId: number): void;
  embedding_bag_backward_f32(dtable: Ptr, dw: Ptr, ids: Ptr, table: Ptr, w: Ptr, dy: Ptr, n: number, L: number, d: number, paddingId: number): void;

  relu_forward_f32: UnaryFn; relu_backward_f32: UnaryBackFn;
  leaky_relu_forward_f32(y: Ptr, x: Ptr, n: number, alpha: number): void;
  leaky_relu_backward_f32(dx: Ptr, y: Ptr, dy: Ptr, n: number, alpha: number): void;
  tanh_forward_f32: UnaryFn; tanh_backward_f32: UnaryBackFn;
  sigmoid_forward_f32: UnaryFn; sigmoid_backward_f32: UnaryBackFn;

  softmax_xent_f32(dlogits: Ptr, logits: Ptr, labels: Ptr, rows: number, classes: number): number;
  softmax_forward_f32(y: Ptr, x: Ptr, mask: Ptr, E: number, P: number, Q: number, n: number): void;
  softmax_backward_f32(dx: Ptr, y: Ptr, dy: Ptr, rows: number, n: number, accumulate: number): void;
  token_mask_f32(y: Ptr, ids: Ptr, rows: number, L: number, paddingId: number): void;

  // convolution, pooling, recurrence (KERNELS-17)
  im2col_f32(cols: Ptr, x: Ptr, E: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number,
    PH: number, PW: number, DH: number, DW: number, OH: number, OW: number): void;
  col2im_f32(dx: Ptr, dcols: Ptr, E: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number,
    PH: number, PW: number, DH: number, DW: number, OH: number, OW: number, accumulate: number): void;
  maxpool_forward_f32(y: Ptr, idx: Ptr, x: Ptr, E: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number,
    PH: number, PW: number, OH: number, OW: number): void;
  maxpool_backward_f32(dx: Ptr, dy: Ptr, idx: Ptr, E: number, H: number, W: number, C: number, OH: number, OW: number, accumulate: number): void;
  avgpool_forward_f32(y: Ptr, x: Ptr, E: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number,
    PH: number, PW: number, OH: number, OW: number, countPad: number): void;
  avgpool_backward_f32(dx: Ptr, dy: Ptr, E: number, H: number, W: number, C: number, KH: number, KW: number, SH: number, SW: number,
    PH: number, PW: number, OH: number, OW: number, countPad: number, accumulate: number): void;
  lstm_cell_forward_f32(gates: Ptr, c: Ptr, h: Ptr, gx: Ptr, gxStride: number, gh: Ptr, cPrev: Ptr, hPrev: Ptr, mask: Ptr, maskStride: number, rows: number, Hd: number): void;
  lstm_cell_backward_f32(dgx: Ptr, dgxStride: number, dcPrev: Ptr, dhPrev: Ptr, dh: Ptr, dc: Ptr, gates: Ptr, c: Ptr, cPrev: Ptr, mask: Ptr,
    maskStride: number, rows: number, Hd: number): void;
  gru_cell_forward_f32(gates: Ptr, h: Ptr, gx: Ptr, gxStride: number, gh: Ptr, hPrev: Ptr, mask: Ptr, maskStride: number, rows: number, Hd: number): void;
  gru_cell_backward_f32(dgx: Ptr, dgxStride: number, dgh: Ptr, dhPrev: Ptr, dh: Ptr, gates: Ptr, gh: Ptr, hPrev: Ptr, mask: Ptr, maskStride: number,
    rows: number, Hd: number): void;
  cgru_gate_forward_f32(u: Ptr, r: Ptr, rs: Ptr, g: Ptr, s: Ptr, n: number, C: number, cutoff: number): void;
  cgru_out_forward_f32(y: Ptr, cand: Ptr, u: Ptr, s: Ptr, a: Ptr, n: number): void;
  cgru_out_backward_f32(du: Ptr, ds: Ptr, da: Ptr, dy: Ptr, u: Ptr, s: Ptr, cand: Ptr, n: number, accumulate: number): void;
  cgru_gate_backward_f32(dg: Ptr, ds: Ptr, drs: Ptr, u: Ptr, r: Ptr, s: Ptr, du: Ptr, n: number, C: number, cutoff: number): void;
  mse_f32(dy: Ptr, y: Ptr, target: Ptr, rows: number, cols: number): number;
  argmax_f32(out: Ptr, x: Ptr, rows: number, cols: number): void;
  correct_count_f32(x: Ptr, labels: Ptr, rows: number, cols: number): number;
  seq_softmax_xent_f32(dlogits: Ptr, logits: Ptr, labels: Ptr, mask: Ptr, E: number, T: number, C: number,
    ignoreIndex: number, mean: number): number;
  seq_correct_count_f32(logits: Ptr, labels: Ptr, mask: Ptr, E: number, T: number, C: number, ignoreIndex: number): number;
  seq_valid_count_f32(labels: Ptr, mask: Ptr, E: number, T: number, ignoreIndex: number): number;
  bce_logits_f32(dx: Ptr, x: Ptr, t: Ptr, rows: number, n: number): number;

  fill_f32(p: Ptr, n: number, value: number): void;
  copy_f32(dst: Ptr, src: Ptr, n: number): void;
  add_f32(dst: Ptr, src: Ptr, n: number): void;
  scale_f32(y: Ptr, x: Ptr, n: number, c: number): void;
  copy_rows_f32(dst: Ptr, dstStride: number, src: Ptr, srcStride: number, rows: number, cols: number, accumulate: number): void;
  reduce_slots_f32(dst: Ptr, stride: number, slots: number, n: number): void;
  dropout_forward_f32(y: Ptr, x: Ptr, n: number, rate: number, k0: number, k1: number, step: number, layer: number, start: number): void;
  dropout_backward_f32(dx: Ptr, dy: Ptr, n: number, rate: number, k0: number, k1: number, step: number, layer: number, start: number): void;
  init_normal_f32: InitNormalFn;
  init_uniform_f32: InitNormalFn;
  philox4x32_10(out: Ptr, c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): void;

  step_scratch_bytes(): number;
  grad_sumsq_f64(hyper: Ptr, g: Ptr, n: number, tensor: number, start: number, tmp: Ptr, noiseFirst: number): number;
  grad_sumsq_f64_ref(hyper: Ptr, g: Ptr, n: number, tensor: number, start: number, tmp: Ptr, noiseFirst: number): number;
  fused_update_f32: FusedFn;
  fused_update_ahead_f32: FusedAheadFn;
  fused_update_f32_ref: FusedFn;
  noise_fill_f32(hyper: Ptr, p: Ptr, n: number, tensor: number, start: number): void;
  first_nonfinite_f32(g: Ptr, n: number): number;
}

/** The export names, sorted, as the drift test expects them (memory is imported, not exported). */
export const CORE_EXPORT_NAMES: readonly (keyof CoreExports)[] = [
  'add_f32', 'add_forward_f32', 'arena_base', 'argmax_f32',
  'avgpool_backward_f32', 'avgpool_forward_f32',
  'bce_logits_f32', 'bias_backward_f32',
  'bias_forward_f32', 'broadcast_groups_f32',
  'cgru_gate_backward_f32', 'cgru_gate_forward_f32', 'cgru_out_backward_f32', 'cgru_out_forward_f32',
  'col2im_f32', 'copy_f32', 'copy_rows_f32', 'correct_count_f32',
  'dropout_backward_f32', 'dropout_forward_f32', 'embedding_backward_f32', 'embedding_bag_backward_f32', 'embedding_bag_forward_f32', 'embedding_forward_f32', 'fill_f32',
  'first_nonfinite_f32', 'fused_update_ahead_f32', 'fused_update_f32', 'fused_update_f32_ref',
  'gemm_batched_f32', 'gemm_batched_f32_ref', 'gemm_nn_f32', 'gemm_nn_f32_ref', 'gemm_nt_f32',
  'gemm_nt_f32_ref', 'gemm_scratch_bytes', 'gemm_tn_f32', 'gemm_tn_f32_ref', 'grad_sumsq_f64',
  'grad_sumsq_f64_ref',
  'gru_cell_backward_f32', 'gru_cell_forward_f32',
  'im2col_f32', 'init_normal_f32', 'init_uniform_f32', 'leaky_relu_backward_f32',
  'leaky_relu_forward_f32',
  'lstm_cell_backward_f32', 'lstm_cell_forward_f32',
  'maxpool_backward_f32', 'maxpool_forward_f32',
  'mse_f32', 'mul_backward_f32', 'mul_forward_f32', 'mul_sum_groups_f32',
  'noise_fill_f32', 'philox4x32_10', 'reduce_slots_f32', 'relaxed_simd', 'relu_backward_f32', 'relu_forward_f32',
  'roofline_f32', 'scale_f32', 'seq_correct_count_f32', 'seq_softmax_xent_f32', 'seq_valid_count_f32',
  'sigmoid_backward_f32', 'sigmoid_forward_f32', 'softmax_backward_f32', 'softmax_forward_f32',
  'softmax_xent_f32', 'step_scratch_bytes', 'sub_forward_f32', 'sum_groups_f32', 'tanh_backward_f32',
  'tanh_forward_f32', 'token_mask_f32',
];
