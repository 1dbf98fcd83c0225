/** The convkit WebAssembly kernels. Memory is imported: the host (src/kernels/wasm/) lays out every buffer. */
export { f32_igemm_4x8 } from './igemm';
