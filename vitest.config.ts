import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources: every package's exports map lists the
// "@trainkit/source" condition first, pointing at src/index.ts.
const conditions = ['@trainkit/source', 'module', 'node', 'development|production'];

// The kernel-level suites run once more on each kernel backend forced for every size (the
// default run picks WebAssembly or JS per call), and once with a 2-thread pool: the same GEMM,
// convolution, gradient-check and optimizer-equivalence tests pass on every variant (see
// setKernelBackend in @trainkit/tensor and startThreadPool in @trainkit/tensor/node).
// kernels:wasm pins the plain SIMD build and kernels:relaxed the relaxed SIMD one (fused
// multiply-adds; Node 20 validates it only with a V8 flag, Node ≥ 22 by default).
const relaxedSimdArgv = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
const kernelSuites = [
  'packages/tensor/src/kernels/**/*.test.ts',
  'packages/tensor/src/ops/*.test.ts',
  'packages/tensor/src/gradcheck.test.ts',
  'packages/tensor/src/arena.test.ts',
  'packages/optim-adam/src/**/*.test.ts',
  'packages/optim-momentum/src/**/*.test.ts',
  'tools/compare/src/torchOptim.test.ts',
];

// The relaxed build differs from the plain one only in GEMM and the direct convolution (the
// optimizer updates are the same code), so its project runs the suites that reach those.
const relaxedSuites = [
  'packages/tensor/src/kernels/**/*.test.ts',
  'packages/tensor/src/ops/{conv,groupedConv,matmul,matmulBroadcast}.test.ts',
  'packages/tensor/src/gradcheck.test.ts',
];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@trainkit/source'] } },
  test: {
    projects: [
      // Files of the default project share their worker's module cache (isolate: false; module
      // import was most of the run's time); a setup file puts the global state back before each
      // file. The kernel projects keep one fresh module graph per file, since their backend comes
      // from the environment at import (kernels/backend.test.ts checks each project).
      {
        extends: true,
        test: {
          name: 'default',
          include: ['packages/*/src/**/*.test.ts', 'tools/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
          isolate: false,
          setupFiles: ['scripts/vitest.freshState.ts'],
        },
      },
      { extends: true, test: { name: 'kernels:js', include: kernelSuites, env: { TRAINKIT_KERNELS: 'js' } } },
      { extends: true, test: { name: 'kernels:wasm', include: kernelSuites, env: { TRAINKIT_KERNELS: 'wasm', TRAINKIT_SIMD: 'plain' } } },
      { extends: true, test: { name: 'kernels:relaxed', include: relaxedSuites, execArgv: relaxedSimdArgv, env: { TRAINKIT_KERNELS: 'wasm', TRAINKIT_SIMD: 'relaxed' } } },
      { extends: true, test: { name: 'kernels:threads', include: kernelSuites, setupFiles: ['packages/tensor/src/__tests__/threads.setup.ts'], env: { TRAINKIT_TEST_THREADS: '2' } } },
    ],
    // fast-check's seed from TRAINKIT_FC_SEED when set (.ci/run sets it); merged into every project
    setupFiles: ['scripts/vitest.fastCheckSeed.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // the JSON report is what .ci/run counts ("N passed, N failed")
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
