// bench/wasm/conv-cells.ts: the entry of the benchmark module bench/conv-cells.mjs compiles (with the
// core's asc options) so that each SIMD kernel of issue #17 and its scalar `_ref` twin run side by side on
// one memory. Not part of the core's ABI.
export { arena_base } from "../../assembly/arena";
export { copy_f32 } from "../../assembly/kernels/copy";
export { gemm_nn_f32, gemm_scratch_bytes } from "../../assembly/kernels/gemm";
export { col2im_f32, im2col_f32 } from "../../assembly/kernels/conv";
export { col2im_f32_ref, im2col_f32_ref } from "../../assembly/ref/conv";
export { avgpool_backward_f32, avgpool_forward_f32, maxpool_backward_f32, maxpool_forward_f32 } from "../../assembly/kernels/pool";
export { avgpool_backward_f32_ref, avgpool_forward_f32_ref, maxpool_backward_f32_ref, maxpool_forward_f32_ref } from "../../assembly/ref/pool";
export { gru_cell_backward_f32, gru_cell_forward_f32, lstm_cell_backward_f32, lstm_cell_forward_f32 } from "../../assembly/kernels/recurrent";
export { gru_cell_backward_f32_ref, gru_cell_forward_f32_ref, lstm_cell_backward_f32_ref, lstm_cell_forward_f32_ref } from "../../assembly/ref/recurrent";
export { cgru_gate_backward_f32, cgru_gate_forward_f32, cgru_out_backward_f32, cgru_out_forward_f32 } from "../../assembly/kernels/cgru";
export { cgru_gate_backward_f32_ref, cgru_gate_forward_f32_ref, cgru_out_backward_f32_ref, cgru_out_forward_f32_ref } from "../../assembly/ref/cgru";
