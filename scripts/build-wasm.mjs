// Builds the WebAssembly kernels from wasm/ (filled in by the fast-engine work).
console.log('build-wasm: no WebAssembly kernels yet');
