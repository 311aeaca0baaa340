/**
 * @trainkit/tensor/node — Node-only additions to @trainkit/tensor: the opt-in thread pool
 * (worker_threads sharing one WebAssembly memory) that splits convolutions and large matrix
 * products across cores with results identical to one thread.
 * @packageDocumentation
 */
export { startThreadPool, stopThreadPool } from './kernels/wasm/nodePool';
