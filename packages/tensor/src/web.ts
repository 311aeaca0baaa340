/**
 * @trainkit/tensor/web — browser additions to @trainkit/tensor: the opt-in thread pool on
 * nested Web Workers sharing one WebAssembly memory (cross-origin isolated pages, started
 * from a Web Worker), with results identical to one thread.
 * @packageDocumentation
 */
export { startThreadPool, stopThreadPool } from './kernels/wasm/webPool';
