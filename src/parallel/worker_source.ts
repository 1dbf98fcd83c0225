/**
 * The worker's code, as source text: a worker made from a string needs no file path, so the same pool
 * works in Node (worker_threads, eval) and in browsers (a Blob URL) with any bundler.
 *
 * Protocol (messages from the pool):
 *   { type: 'init', module, memory }  instantiate the kernel module over the shared memory; reply 'ready'
 *   { type: 'run', id, calls }         call f32_igemm_4x8 with each argument list; reply 'done' (or 'error')
 */
export const WORKER_SOURCE = `
'use strict';
const isNode = typeof process === 'object' && process.versions && process.versions.node;
let nodePort = null;
let kernels = null;
function reply(message) {
  if (nodePort) nodePort.postMessage(message);
  else self.postMessage(message);
}
function handle(message) {
  if (message.type === 'init') {
    kernels = new WebAssembly.Instance(message.module, { env: { memory: message.memory } }).exports;
    reply({ type: 'ready' });
    return;
  }
  if (message.type === 'run') {
    try {
      for (const c of message.calls) kernels.f32_igemm_4x8(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
      reply({ type: 'done', id: message.id });
    } catch (error) {
      reply({ type: 'error', id: message.id, message: String((error && error.message) || error) });
    }
  }
}
// Node runs an eval'd worker as CommonJS or as an ES module (after --input-type=module): a dynamic
// import works in both. The parent port queues messages until the listener is attached.
if (isNode) {
  import('node:worker_threads').then((threads) => {
    nodePort = threads.parentPort;
    nodePort.on('message', handle);
  });
} else {
  self.onmessage = (event) => handle(event.data);
}
`;
