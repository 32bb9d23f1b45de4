// The whole ABI of the gradnoise core: the only file that exports to JS. Sorted re-exports; every name
// here is declared in src/core/abi.ts and test/ts/core/abi.test.ts compares the two lists.
// The scalar `_ref` twins of the GEMMs and of the fused update are exported for the facade-level tests and bench/;
// the other twins are exercised by the as-pect suites in test/assembly.
export { arena_base } from "./arena";
export { relu_backward_f32, relu_forward_f32, leaky_relu_backward_f32, leaky_relu_forward_f32 } from "./kernels/activation";
export { sigmoid_backward_f32, sigmoid_forward_f32, tanh_backward_f32, tanh_forward_f32 } from "./kernels/activation";
export { bias_backward_f32, bias_forward_f32 } from "./kernels/bias";
export { cgru_gate_backward_f32, cgru_gate_forward_f32, cgru_out_backward_f32, cgru_out_forward_f32 } from "./kernels/cgru";
export { col2im_f32, im2col_f32 } from "./kernels/conv";
export { add_f32, copy_f32, copy_rows_f32, reduce_slots_f32, scale_f32 } from "./kernels/copy";
export { dropout_backward_f32, dropout_forward_f32 } from "./kernels/dropout";
export { add_forward_f32, broadcast_groups_f32, mul_backward_f32, mul_forward_f32, mul_sum_groups_f32 } from "./kernels/elementwise";
export { sub_forward_f32, sum_groups_f32 } from "./kernels/elementwise";
export { embedding_backward_f32, embedding_bag_backward_f32, embedding_bag_forward_f32, embedding_forward_f32 } from "./kernels/embedding";
export { gemm_batched_f32, gemm_nn_f32, gemm_nt_f32, gemm_scratch_bytes, gemm_tn_f32 } from "./kernels/gemm";
export { fill_f32, init_normal_f32, init_uniform_f32 } from "./kernels/init";
export { argmax_f32, bce_logits_f32, correct_count_f32, mse_f32, seq_correct_count_f32 } from "./kernels/loss";
export { seq_softmax_xent_f32, seq_valid_count_f32, softmax_xent_f32 } from "./kernels/loss";
export { token_mask_f32 } from "./kernels/mask";
export { avgpool_backward_f32, avgpool_forward_f32, maxpool_backward_f32, maxpool_forward_f32 } from "./kernels/pool";
export { gru_cell_backward_f32, gru_cell_forward_f32, lstm_cell_backward_f32, lstm_cell_forward_f32 } from "./kernels/recurrent";
export { roofline_f32 } from "./kernels/roofline";
export { softmax_backward_f32, softmax_forward_f32 } from "./kernels/softmax";
export { relaxed_simd } from "./madd";
export { first_nonfinite_f32, fused_update_ahead_f32, fused_update_f32, grad_sumsq_f64, noise_fill_f32, step_scratch_bytes } from "./optim/step";
export { gemm_batched_f32_ref, gemm_nn_f32_ref, gemm_nt_f32_ref, gemm_tn_f32_ref } from "./ref/gemm";
export { fused_update_f32_ref, grad_sumsq_f64_ref } from "./ref/step";
export { philox4x32_10 } from "./rng";
