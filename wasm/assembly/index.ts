/** The convkit WebAssembly kernels. Memory is imported: the host (src/kernels/wasm/) lays out every buffer. */
export { f32_igemm_4x8, f32_igemm_4x8_epilogue } from './igemm';
export { f32_winograd_input, f32_winograd_gemm, f32_winograd_output } from './winograd';
export { fft_run, fft_rows_r2c, fft_columns, fft_cgemm, fft_rows_c2r } from './fft';
export { f32_dwconv } from './depthwise';
export { f32_bias_clamp } from './epilogue';
export { f32_pool2d, f32_global_pool } from './pool';
export { f32_dwconv_inplace } from './depthwise_inplace';
export {
  f32_copy_rows,
  f32_zero_rows,
  f32_binary_rows,
  f32_clamp_rows,
  f32_affine_rows,
  f32_relu_general_rows,
  f32_hard_sigmoid_rows,
} from './rows';
