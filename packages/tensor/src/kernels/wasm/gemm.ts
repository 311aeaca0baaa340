import type { GemmArgs } from '../gemm';
import type { WasmKernels } from './abi';
import { HEAP_BASE, align4, gemmWorkBytes, heapView } from './heap';
import { getThreads, kernelPool } from './runtime';

/** Products at least this big are split across the threads of a pool (by blocks of C's columns). */
const POOL_MIN_WORK = 1 << 18;
/** Column blocks are multiples of the micro-kernel's width. */
const NR = 8;

/** Below this many multiply-adds the copies in and out cost more than the SIMD kernel saves. */
export const WASM_GEMM_MIN_WORK = 2048;

/** @internal Where the packed panels live: the start of the per-call region. */
export function gemmWork(_k: WasmKernels): number {
  return HEAP_BASE;
}

/** @internal First free byte after the packing areas (one per thread). */
export function afterGemmWork(k: WasmKernels): number {
  return HEAP_BASE + gemmWorkBytes(k) * getThreads();
}

/** Splits [0, n) into `parts` ranges whose bounds are multiples of `step` (empty ranges allowed). */
export function split(n: number, parts: number, step: number): Array<[number, number]> {
  const blocks = Math.ceil(n / step);
  const out: Array<[number, number]> = [];
  for (let t = 0; t < parts; t++) {
    const lo = Math.min(n, Math.floor((blocks * t) / parts) * step);
    const hi = Math.min(n, Math.floor((blocks * (t + 1)) / parts) * step);
    out.push([lo, hi]);
  }
  return out;
}

/**
 * {@link GemmArgs} on the WebAssembly SIMD kernel: copies op(A), op(B) (and C when
 * accumulating) into wasm memory, multiplies there, and copies C back.
 */
export function wasmGemm(k: WasmKernels, args: GemmArgs): void {
  const { transA, transB, M, N, K, A, B, C } = args;
  const aOff = args.aOffset ?? 0;
  const bOff = args.bOffset ?? 0;
  const cOff = args.cOffset ?? 0;
  const accumulate = args.accumulate ?? false;
  const aIdx = afterGemmWork(k) >> 2;
  const bIdx = aIdx + align4(M * K);
  const cIdx = bIdx + align4(K * N);
  const heap = heapView(k, (cIdx + align4(M * N)) * 4);
  heap.set(A.subarray(aOff, aOff + M * K), aIdx);
  heap.set(B.subarray(bOff, bOff + K * N), bIdx);
  if (accumulate) heap.set(C.subarray(cOff, cOff + M * N), cIdx);
  const p = kernelPool();
  if (p !== null && M * N * K >= POOL_MIN_WORK && N >= 2 * NR) {
    // blocks of C's columns, each entry summed exactly as on one thread
    p.run({
      op: 'gemmCols',
      args: [+transA, +transB, M, N, K, aIdx * 4, bIdx * 4, cIdx * 4, +accumulate, 0, 0, 0],
      rangeAt: 10,
      scratchAt: -1,
      workAt: 9,
      chunks: split(N, Math.min(4 * p.threads, Math.ceil(N / NR)), NR),
      scratch: [],
    });
  } else {
    k.gemm(+transA, +transB, M, N, K, aIdx * 4, bIdx * 4, cIdx * 4, N, +accumulate, gemmWork(k));
  }
  C.set(heap.subarray(cIdx, cIdx + M * N), cOff);
}
