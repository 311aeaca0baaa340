import type { GemmArgs } from '../gemm';
import { HEAP_BASE, type WasmKernels, align4, gemmWorkBytes, heapView } from './runtime';

/** Below this many multiply-adds the copies in and out cost more than the SIMD kernel saves. */
export const WASM_GEMM_MIN_WORK = 2048;

/** @internal Where the packed panels live: the start of the per-call region. */
export function gemmWork(_k: WasmKernels): number {
  return HEAP_BASE;
}

/** @internal First free byte after the packing area. */
export function afterGemmWork(k: WasmKernels): number {
  return HEAP_BASE + gemmWorkBytes(k);
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
  k.gemm(+transA, +transB, M, N, K, aIdx * 4, bIdx * 4, cIdx * 4, N, +accumulate, gemmWork(k));
  C.set(heap.subarray(cIdx, cIdx + M * N), cOff);
}
