import type { GemmArgs } from '../gemm';
import type { WasmKernels } from './abi';
import { HEAP_BASE, align4, gemmWorkBytes, heapView } from './heap';
import { residentOwner } from './resident';
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
  return n > 0 && residentOwner(x) === k && off + n <= x.length ? x.byteOffset + off * 4 : -1;
}

/**
 * {@link GemmArgs} on the WebAssembly SIMD kernel: copies op(A), op(B) (and C when
 * accumulating) into wasm memory, multiplies there, and copies C back. Operands already in the
 * kernels' memory (resident arrays, in a thread pool's shared memory) are used where they are:
 * copies into and out of shared memory cost V8 several times an ordinary copy.
 */
export function wasmGemm(k: WasmKernels, args: GemmArgs): void {
  const { transA, transB, M, N, K, A, B, C } = args;
  const aOff = args.aOffset ?? 0;
  const bOff = args.bOffset ?? 0;
  const cOff = args.cOffset ?? 0;
  const accumulate = args.accumulate ?? false;
  const aHere = inPlace(k, A, aOff, M * K);
  const bHere = inPlace(k, B, bOff, K * N);
  let cHere = inPlace(k, C, cOff, M * N);
  // C written in place must not overlap an input it is computed from
  const overlaps = (p: number, n: number) => p >= 0 && p < cHere + M * N * 4 && cHere < p + n * 4;
  if (cHere >= 0 && (overlaps(aHere, M * K) || overlaps(bHere, K * N))) cHere = -1;
  const aIdx = afterGemmWork(k) >> 2;
  const bIdx = aIdx + (aHere < 0 ? align4(M * K) : 0);
  const cIdx = bIdx + (bHere < 0 ? align4(K * N) : 0);
  const heap = heapView(k, (cIdx + (cHere < 0 ? align4(M * N) : 0)) * 4);
  if (aHere < 0) heap.set(A.subarray(aOff, aOff + M * K), aIdx);
  if (bHere < 0) heap.set(B.subarray(bOff, bOff + K * N), bIdx);
  if (accumulate && cHere < 0) heap.set(C.subarray(cOff, cOff + M * N), cIdx);
  const [a, b, c] = [aHere < 0 ? aIdx * 4 : aHere, bHere < 0 ? bIdx * 4 : bHere, cHere < 0 ? cIdx * 4 : cHere];
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
  if (cHere < 0) C.set(heap.subarray(cIdx, cIdx + M * N), cOff);
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
  const { transA, transB, M, N, K, A, B, C } = args;
  const [sa, sb, sc] = [M * K, K * N, M * N];
  const accumulate = args.accumulate ?? false;
  // operands in the kernels' memory (a pool's arena) are used in place, the whole batch at once
  const [a0, b0, c0] = [args.aOffset ?? 0, args.bOffset ?? 0, args.cOffset ?? 0];
  const aHere = inPlace(k, A, a0, batch * sa);
  const bHere = inPlace(k, B, b0, batch * sb);
  let cHere = inPlace(k, C, c0, batch * sc);
  const overlaps = (p: number, n: number) => p >= 0 && p < cHere + batch * sc * 4 && cHere < p + n * 4;
  if (cHere >= 0 && (overlaps(aHere, batch * sa) || overlaps(bHere, batch * sb))) cHere = -1;
  const copied = (aHere < 0 ? sa : 0) + (bHere < 0 ? sb : 0) + (cHere < 0 ? sc : 0);
  const chunk = copied === 0 ? batch : Math.max(1, Math.floor(BATCH_CHUNK_FLOATS / copied));
  for (let i0 = 0; i0 < batch; i0 += chunk) {
    const n = Math.min(chunk, batch - i0);
    const [aOff, bOff, cOff] = [a0 + i0 * sa, b0 + i0 * sb, c0 + i0 * sc];
    const aIdx = afterGemmWork(k) >> 2;
    const bIdx = aIdx + (aHere < 0 ? align4(n * sa) : 0);
    const cIdx = bIdx + (bHere < 0 ? align4(n * sb) : 0);
    const heap = heapView(k, (cIdx + (cHere < 0 ? align4(n * sc) : 0)) * 4);
    if (aHere < 0) heap.set(A.subarray(aOff, aOff + n * sa), aIdx);
    if (bHere < 0) heap.set(B.subarray(bOff, bOff + n * sb), bIdx);
    if (accumulate && cHere < 0) heap.set(C.subarray(cOff, cOff + n * sc), cIdx);
    const [a, b, c] = [aHere < 0 ? aIdx * 4 : aHere + i0 * sa * 4, bHere < 0 ? bIdx * 4 : bHere + i0 * sb * 4, cHere < 0 ? cIdx * 4 : cHere + i0 * sc * 4];
    const call = [+transA, +transB, M, N, K, a, b, c, +accumulate, gemmWork(k), 0, n];
    const p = kernelPool();
    // whole products to each thread: each is summed as on one thread, so no bit changes
    if (p !== null && n >= 2 && n * M * N * K >= POOL_MIN_WORK) p.run({ op: 'gemmBatchRange', args: call, rangeAt: 10, scratchAt: -1, workAt: 9, chunks: split(n, Math.min(n, 4 * p.threads), 1), scratch: [] });
    else k.gemmBatchRange(...(call as Parameters<WasmKernels['gemmBatchRange']>));
    if (cHere < 0) C.set(heap.subarray(cIdx, cIdx + n * sc), cOff);
  }
}
