import type { GemmArgs } from '../gemm';
import type { WasmKernels } from './abi';
import { HEAP_BASE, align4, gemmWorkBytes, heapView } from './heap';
import { residentAt } from './resident';
import { getThreads, kernelPool } from './runtime';

/** Products at least this big are split across the threads of a pool (by blocks of C's columns). */
const POOL_MIN_WORK = 1 << 18;
/** Column blocks are multiples of the micro-kernel's width. */
const NR = 8;
/**
 * Column blocks are at least this wide: every block packs all of op(A) again, so a block's
 * products should outnumber A's values many times over.
 */
const MIN_COLS = 64;
/** Row blocks are multiples of 30, the micro-kernel's height in both builds (5 plain, 6 relaxed), and at least MIN_ROWS tall (every block packs all of op(B) again). */
const ROW_STEP = 30;
const MIN_ROWS = 60;

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
 * Where operand `x` (`n` floats from `off`) is in `k`'s memory without a copy: its byte pointer
 * when `x` is resident there (a thread pool's shared memory holds the optimizers' parameters and
 * gradients), else −1.
 */
function inPlace(k: WasmKernels, x: Float32Array, off: number, n: number): number {
  const at = residentAt(k, x);
  return n > 0 && at >= 0 && off + n <= x.length ? at + off * 4 : -1;
}

/**
 * The operands of `count` products stored one after another (from their offsets) that are in
 * `k`'s memory already: their byte pointers, or −1 for those to copy. C written in place must not
 * overlap an input it is computed from (it is copied then).
 */
function operandsInPlace(k: WasmKernels, args: GemmArgs, count: number): [number, number, number] {
  const { M, N, K, A, B, C } = args;
  const aHere = inPlace(k, A, args.aOffset ?? 0, count * M * K);
  const bHere = inPlace(k, B, args.bOffset ?? 0, count * K * N);
  const cHere = inPlace(k, C, args.cOffset ?? 0, count * M * N);
  const overlaps = (p: number, n: number) => p >= 0 && p < cHere + count * M * N * 4 && cHere < p + n * 4;
  return [aHere, bHere, cHere >= 0 && (overlaps(aHere, count * M * K) || overlaps(bHere, count * K * N)) ? -1 : cHere];
}

/**
 * Products [i0, i0 + n) of those {@link operandsInPlace} placed: copies the other operands in (C
 * only when accumulating) after the GEMM packing area; returns the kernel's byte pointers, the
 * heap view and C's float index there (for the copy out when C is not in place).
 */
function stage(k: WasmKernels, args: GemmArgs, here: [number, number, number], i0: number, n: number): { ptr: [number, number, number]; heap: Float32Array; cIdx: number } {
  const { M, N, K, A, B, C } = args;
  const [sa, sb, sc] = [M * K, K * N, M * N];
  const [aHere, bHere, cHere] = here;
  const [aOff, bOff, cOff] = [(args.aOffset ?? 0) + i0 * sa, (args.bOffset ?? 0) + i0 * sb, (args.cOffset ?? 0) + i0 * sc];
  const aIdx = afterGemmWork(k) >> 2;
  const bIdx = aIdx + (aHere < 0 ? align4(n * sa) : 0);
  const cIdx = bIdx + (bHere < 0 ? align4(n * sb) : 0);
  const heap = heapView(k, (cIdx + (cHere < 0 ? align4(n * sc) : 0)) * 4);
  if (aHere < 0) heap.set(A.subarray(aOff, aOff + n * sa), aIdx);
  if (bHere < 0) heap.set(B.subarray(bOff, bOff + n * sb), bIdx);
  if (args.accumulate && cHere < 0) heap.set(C.subarray(cOff, cOff + n * sc), cIdx);
  const ptr: [number, number, number] = [aHere < 0 ? aIdx * 4 : aHere + i0 * sa * 4, bHere < 0 ? bIdx * 4 : bHere + i0 * sb * 4, cHere < 0 ? cIdx * 4 : cHere + i0 * sc * 4];
  return { ptr, heap, cIdx };
}

/**
 * {@link GemmArgs} on the WebAssembly SIMD kernel: copies op(A), op(B) (and C when
 * accumulating) into wasm memory, multiplies there, and copies C back. Operands already in the
 * kernels' memory (resident arrays, in a thread pool's shared memory) are used where they are:
 * copies into and out of shared memory cost V8 several times an ordinary copy.
 */
export function wasmGemm(k: WasmKernels, args: GemmArgs): void {
  const { transA, transB, M, N, K, C } = args;
  const accumulate = args.accumulate ?? false;
  const here = operandsInPlace(k, args, 1);
  const { ptr, heap, cIdx } = stage(k, args, here, 0, 1);
  const [a, b, c] = ptr;
  const p = kernelPool();
  const pooled = p !== null && M * N * K >= POOL_MIN_WORK;
  const call = [+transA, +transB, M, N, K, a, b, c, +accumulate, 0, 0, 0];
  if (pooled && M >= N && M >= 2 * MIN_ROWS) {
    // taller than wide: blocks of C's rows (each packs B again, the smaller operand), each entry summed as on one thread
    p.run({ op: 'gemmRows', args: call, rangeAt: 10, scratchAt: -1, workAt: 9, chunks: split(M, Math.min(4 * p.threads, Math.ceil(M / MIN_ROWS)), ROW_STEP), scratch: [] });
  } else if (pooled && N >= 2 * NR) {
    // blocks of C's columns (each packs A again), each entry summed exactly as on one thread
    p.run({ op: 'gemmCols', args: call, rangeAt: 10, scratchAt: -1, workAt: 9, chunks: split(N, Math.min(4 * p.threads, Math.ceil(N / MIN_COLS)), NR), scratch: [] });
  } else {
    k.gemm(+transA, +transB, M, N, K, a, b, c, N, +accumulate, gemmWork(k));
  }
  if (here[2] < 0) C.set(heap.subarray(cIdx, cIdx + M * N), args.cOffset ?? 0);
}

/** Floats of operands one {@link wasmGemmBatch} copy brings into wasm memory at most (a bigger batch goes in chunks). */
const BATCH_CHUNK_FLOATS = 1 << 21;

/**
 * `batch` products of the same shape, stored one after another in A, B and C (from their
 * offsets): each operand is copied into wasm memory once for the whole batch (or a chunk of it),
 * unless it is there already (a thread pool's arena: used in place),
 * and the kernel runs on each product there. A ViT's attention is 256 products of 50×16×50 per
 * call; copying each one's operands separately cost more than its multiply-adds. With a thread
 * pool, whole products go to each thread. The same kernel on the same values: the bits of
 * {@link wasmGemm} per product.
 */
export function wasmGemmBatch(k: WasmKernels, args: GemmArgs, batch: number): void {
  const { transA, transB, M, N, K, C } = args;
  const [sa, sb, sc] = [M * K, K * N, M * N];
  const accumulate = args.accumulate ?? false;
  // operands in the kernels' memory (a pool's arena) are used in place, the whole batch at once
  const here = operandsInPlace(k, args, batch);
  const copied = (here[0] < 0 ? sa : 0) + (here[1] < 0 ? sb : 0) + (here[2] < 0 ? sc : 0);
  const chunk = copied === 0 ? batch : Math.max(1, Math.floor(BATCH_CHUNK_FLOATS / copied));
  for (let i0 = 0; i0 < batch; i0 += chunk) {
    const n = Math.min(chunk, batch - i0);
    const { ptr, heap, cIdx } = stage(k, args, here, i0, n);
    const call = [+transA, +transB, M, N, K, ...ptr, +accumulate, gemmWork(k), 0, n];
    const p = kernelPool();
    // whole products to each thread: each is summed as on one thread, so no bit changes
    if (p !== null && n >= 2 && n * M * N * K >= POOL_MIN_WORK) p.run({ op: 'gemmBatchRange', args: call, rangeAt: 10, scratchAt: -1, workAt: 9, chunks: split(n, Math.min(n, 4 * p.threads), 1), scratch: [] });
    else k.gemmBatchRange(...(call as Parameters<WasmKernels['gemmBatchRange']>));
    if (here[2] < 0) C.set(heap.subarray(cIdx, cIdx + n * sc), (args.cOffset ?? 0) + i0 * sc);
  }
}
