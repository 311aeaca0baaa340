// The contracts between the TypeScript side and the kernels: what assembly/index.ts exports, and
// what a thread pool runs. Types only; the state that holds them lives in runtime.ts.

/** Which implementation runs the hot kernels (GEMM, convolution, fused optimizer updates). */
export type KernelBackend = 'js' | 'wasm';

/** The exports of assembly/index.ts. Pointers are byte offsets into `memory`. */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  gemmWorkBytes(): number;
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: number, b: number, c: number, ldc: number, accumulate: number, work: number): void;
  im2col(x: number, C: number, H: number, W: number, KH: number, KW: number, OH: number, OW: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, cols: number): void;
  col2im(cols: number, C: number, H: number, W: number, KH: number, KW: number, OH: number, OW: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, dx: number): void;
  gemmStrided(transA: number, transB: number, M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number, work: number): void;
  gemmCols(transA: number, transB: number, M: number, N: number, K: number, a: number, b: number, c: number, accumulate: number, work: number, j0: number, j1: number): void;
  gemmRows(transA: number, transB: number, M: number, N: number, K: number, a: number, b: number, c: number, accumulate: number, work: number, i0: number, i1: number): void;
  gemmBatchRange(transA: number, transB: number, M: number, N: number, K: number, a: number, b: number, c: number, accumulate: number, work: number, i0: number, i1: number): void;
  convForward(g: number, x: number, w: number, bias: number, OC: number, n0: number, n1: number, out: number, cols: number, work: number): void;
  convWeightGrad(g: number, x: number, gout: number, gw: number, OC: number, N: number, r0: number, r1: number, cols: number, work: number): void;
  convInputGrad(g: number, w: number, gout: number, gx: number, OC: number, n0: number, n1: number, dcols: number, work: number): void;
  convInputGradT(g: number, gout: number, wf: number, gx: number, C: number, n0: number, n1: number, cols: number, work: number): void;
  winogradFilter(w: number, OC: number, C: number, u: number): void;
  zeroFill(p: number, n: number): void;
  relu(x: number, y: number, n: number): void;
  reluBackward(y: number, g: number, ga: number, n: number): void;
  softmaxRows(x: number, y: number, rows: number, len: number): void;
  softmaxRowsBackward(y: number, g: number, ga: number, rows: number, len: number): void;
  geluForward(x: number, y: number, slope: number, n: number): void;
  addRows(g: number, rows: number, cols: number, out: number): void;
  mulAdd(g: number, s: number, ga: number, n: number): void;
  addArrays(a: number, b: number, out: number, n: number): void;
  divScalar(a: number, b: number, out: number, n: number): void;
  scaleAdd(g: number, c: number, ga: number, n: number): void;
  permuteRuns(src: number, dst: number, dims: number, rank: number, back: number, idx: number): void;
  layerNormRows(x: number, w: number, b: number, rows: number, len: number, eps: number, xhat: number, inv: number, y: number): void;
  layerNormRowsBackward(g: number, xhat: number, w: number, inv: number, rows: number, len: number, gx: number, gw: number, gb: number, dx: number, dw: number): void;
  reluMask(y: number, g: number, n: number): void;
  channelSums(g: number, N: number, C: number, hw: number, out: number, c0: number, c1: number, scratch: number, work: number): void;
  convGradPrep(g: number, arg: number, v: number, y: number, gout: number, OC: number, H: number, W: number, n0: number, n1: number, scratch: number, work: number): void;
  maxPool2x2(x: number, planes: number, H: number, W: number, y: number, arg: number, base: number): void;
  scatterAdd(g: number, arg: number, n: number, gx: number, base: number): void;
  bnMoments(x: number, N: number, C: number, inner: number, sums: number): void;
  bnNormalize(x: number, y: number, N: number, C: number, inner: number, coef: number): void;
  bnGradSums(g: number, x: number, N: number, C: number, inner: number, mean: number, sums: number): void;
  bnInputGrad(dx: number, g: number, x: number, N: number, C: number, inner: number, coef: number): void;
  adamStep(p: number, g: number, m: number, v: number, vmax: number, n: number, b1: number, b2: number, c1: number, c2: number, eps: number, wd: number, stepSize: number, bc2: number, shrink: number, flags: number): void;
  momentumStep(p: number, g: number, buf: number, n: number, alpha: number, mu: number, keep: number, wd: number, first: number, nesterov: number): void;
  adagradStep(p: number, g: number, sum: number, n: number, clr: number, wd: number, eps: number): void;
  rmspropStep(p: number, g: number, sq: number, ga: number, buf: number, n: number, alpha: number, c: number, eps: number, wd: number, mu: number, negLr: number, flags: number): void;
  optimChunk(kind: number, ptrs: number, scalars: number, lo: number, hi: number, work: number): void;
  firstNonFinite(x: number, n: number): number;
  firstNonFiniteChunk(x: number, out: number, unused: number, lo: number, hi: number, work: number): void;
}

/** The kernels a thread pool's threads run, one chunk of the work per call. */
export type PoolOp = 'convForward' | 'convWeightGrad' | 'convInputGrad' | 'convInputGradT' | 'gemmCols' | 'optimChunk' | 'firstNonFiniteChunk' | 'gemmBatchRange' | 'gemmRows' | 'convGradPrep' | 'channelSums';

/**
 * One pooled op: `args` with the chunk's range written at `rangeAt` and `rangeAt + 1`, the
 * running thread's scratch pointer at `scratchAt` (−1: none) and its GEMM packing area at
 * `workAt`. Each chunk of `chunks` runs exactly once, on whichever thread claims it first.
 */
export interface PoolTask {
  op: PoolOp;
  args: readonly number[];
  rangeAt: number;
  scratchAt: number;
  workAt: number;
  chunks: ReadonlyArray<readonly [number, number]>;
  /** Per-thread scratch pointers (thread 0 is the caller). */
  scratch: readonly number[];
  /**
   * A second, independent op whose chunks join the same list after this one's (the same
   * per-thread scratch): threads move on to them instead of waiting for this op's last chunk.
   */
  next?: Omit<PoolTask, 'scratch' | 'next'>;
}

/**
 * A pool of threads sharing one WebAssembly memory (see `startThreadPool` in
 * `@trainkit/tensor/node`). Ops split their work into ranges (a few per thread) such that every
 * output value is computed by one thread in the same order as single-threaded: results are
 * bit-identical whatever the thread count.
 */
export interface KernelPool {
  /** Threads, the calling thread included. */
  readonly threads: number;
  /** Runs every chunk of `task` and of its `next` (the caller works too) and returns when all are done. */
  run(task: PoolTask): void;
  /** Ends the pool's threads; called once, after the pool was uninstalled. */
  stop(): Promise<void>;
}
