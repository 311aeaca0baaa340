/**
 * @trainkit/nn — modules with named parameters, layers, initializers and state dicts.
 * @packageDocumentation
 */
export { Module } from './module';
export { Parameter } from './parameter';
export { Linear } from './layers/linear';
export { Conv2d } from './layers/conv2d';
export { ReLU, Sigmoid, Tanh, Identity, Flatten, MaxPool2d, AvgPool2d } from './layers/simple';
export { Sequential } from './layers/sequential';
export { BatchNorm1d, BatchNorm2d } from './layers/batchnorm';
export { LeakyReLU, GELU, SiLU, ELU, Softmax, Hardtanh, ReLU6 } from './layers/activations';
export { AdaptiveAvgPool2d, GlobalAvgPool } from './layers/pooling';
export { LayerNorm, GroupNorm } from './layers/norm';
export { Embedding } from './layers/embedding';
export { MultiheadAttention } from './layers/attention';
export { Residual } from './layers/residual';
export {
  manualSeed,
  getDefaultRng,
  fans,
  gain,
  kaimingUniform,
  kaimingNormal,
  xavierUniform,
  xavierNormal,
  pytorchDefaultInit,
} from './init';
export { mnistCnn, mnistMlp } from './models';
export { isStochastic, bindRngs } from './stochastic';

export type { ForwardHook, LoadReport } from './module';
export type { LinearOptions } from './layers/linear';
export type { Conv2dLayerOptions } from './layers/conv2d';
export type { BatchNormOptions } from './layers/batchnorm';
export type { GELUOptions } from './layers/activations';
export type { NormOptions } from './layers/norm';
export type { EmbeddingOptions } from './layers/embedding';
export type { MultiheadAttentionOptions, AttendOptions } from './layers/attention';
export type { KaimingOptions } from './init';
export type { Stochastic } from './stochastic';
