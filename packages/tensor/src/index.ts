/**
 * @trainkit/tensor — dense float32 tensors, reverse-mode autograd, fast kernels and a
 * seeded, splittable RNG. Runs in Node and in browsers.
 * @packageDocumentation
 */
export { Tensor, noGrad, isGradEnabled, backward, fromOp, gradOf } from './tensor';
export { markResident, registerDevice, deviceBackend, isOnDevice, onDeviceOp } from './device';
export { fromDeviceOp, accumulateDeviceGrad, deviceTensor, placeTensors, sameDeviceAs, shareStorage, gradientOf, setGradient, restoreOnCpu } from './placement';
export { Arena, keep } from './arena';
export { tensor, scalar, zeros, ones, full } from './create';
export { ShapeError, ValueError, formatShape, shapeSize, stridesOf, sameShape, broadcastShapes } from './shape';
export { Rng } from './rng';
export { add, sub, mul, div, neg, exp, log, sqrt, abs, pow, square, sigmoid, tanh, relu } from './ops/elementwise';
export { sum, mean, max, argmax } from './ops/reduce';
export { reshape, flatten, permute, transpose, concat, slice } from './ops/shape';
export { matmul, linear } from './ops/matmul';
export { softmax, logSoftmax } from './ops/softmax';
export { conv2d, conv2dReluPool } from './ops/conv';
export { maxPool2d, avgPool2d } from './ops/pool';
export { adaptiveAvgPool2d, globalAvgPool2d } from './ops/adaptivePool';
export { leakyRelu, elu, silu, gelu, hardtanh, relu6 } from './ops/activation';
export { layerNorm, groupNorm } from './ops/norm';
export { batchNorm } from './ops/batchNorm';
export { embedding } from './ops/embedding';
export { crossEntropy, mse } from './ops/loss';
export { gemm } from './kernels/gemm';
export { setKernelBackend, getKernelBackend, getKernelVariant, withKernelBackend, initKernels, resetKernels, getThreads } from './kernels/wasm/runtime';
export { adamStepKernel, momentumStepKernel, adagradStepKernel, rmspropStepKernel, firstNonFinite } from './kernels/wasm/optim';
export { allocResident } from './kernels/wasm/resident';
export { im2col, col2im } from './kernels/im2col';
export { gradcheck, assertGradients } from './gradcheck';

export type { Shape } from './shape';
export type { TensorOptions } from './tensor';
export type { DeviceBackend, DeviceHeldState } from './device';
export type { ArenaStats } from './arena';
export type { RngState } from './rng';
export type { TensorLike } from './ops/elementwise';
export type { Axes } from './ops/reduce';
export type { Pair, Conv2dOptions } from './ops/conv';
export type { Pool2dOptions } from './ops/pool';
export type { BatchNormOpOptions } from './ops/batchNorm';
export type { Target, LossOptions } from './ops/loss';
export type { GemmArgs } from './kernels/gemm';
export type { KernelBackend } from './kernels/wasm/abi';
export type { SimdVariant } from './kernels/wasm/simd';
export type { AdamStepScalars, MomentumStepScalars, AdagradStepScalars, RmspropStepScalars } from './kernels/wasm/optim';
export type { ConvGeometry } from './kernels/im2col';
export type { GradcheckOptions, GradcheckResult } from './gradcheck';
