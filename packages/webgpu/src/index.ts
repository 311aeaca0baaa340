/**
 * @trainkit/webgpu — a WebGPU backend for trainkit: WGSL kernels, a buffer pool, eager GPU ops
 * and GPU-resident training of Sequential models with trainkit's optimizers, in browsers and in
 * Node (through the optional `webgpu` package, Dawn). Importing it registers the `'webgpu'` device
 * of `new Trainer({ device })`.
 * @packageDocumentation
 */
export { GpuContext, requestGpu, requestGpuOrCpu } from './context';
export { useWebGpu } from './backend';
import './eagerOps';
import './eagerLayers';
import './eagerShape';
import './eagerOptimizer';
export { GpuTensor } from './tensor';
export { GpuTrainingSession } from './session';
export { webgpuDevice } from './device';
export { GpuOptimizer, GPU_OPTIMIZERS } from './optimizer';
export { planModel } from './plan';
export { matmul, linear, linearBackward, relu, reluBackward, conv2d, conv2dBackward, maxPool2x2, maxPool2x2Backward, softmaxCrossEntropy, sum } from './ops';
export { WebGpuUnavailableError, DeviceLostError, GpuOutOfMemoryError, WebGpuUnsupportedError } from './errors';

export type { RequestGpuOptions } from './context';
export type { WebGpuDeviceOptions } from './device';
export type { GpuTrainingOptions, GpuMetrics } from './session';
export type { GpuParam } from './optimizer';
export type { GpuConvOptions } from './ops';
export type { LayerPlan } from './plan';
