// trainkit's WebAssembly SIMD kernels (AssemblyScript). Built by build.mjs into
// src/kernels/wasm/module.generated.ts (base64), so the module loads in Node and browsers.
// No runtime and no allocation: the JS side owns the linear memory layout.
export { gemm, gemmStrided, gemmCols, gemmRows, gemmBatchRange, gemmWorkBytes } from './gemm';
export { im2col, col2im } from './im2col';
export { convForward, convWeightGrad, convInputGrad, convInputGradT } from './conv';
export { winogradFilter } from './winograd';
export { zeroFill, relu, reluBackward, reluMask, maxPool2x2, scatterAdd } from './elementwise';
export { convGradPrep, channelSums } from './convGradPrep';
export { softmaxRows, softmaxRowsBackward } from './softmax';
export { layerNormRows, layerNormRowsBackward } from './layerNorm';
export { geluForward } from './gelu';
export { addRows, mulAdd, permuteRuns, addArrays, divScalar, scaleAdd } from './accumulate';
export { bnMoments, bnNormalize, bnGradSums, bnInputGrad } from './batchNorm';
export { adamStep, momentumStep, adagradStep, rmspropStep, optimChunk, firstNonFinite, firstNonFiniteChunk } from './optim';
