import type { WasmKernels } from './abi';
import { currentRuntime, getThreads } from './runtime';

/** Start of the region callers lay out per call (the first 64 KiB stay unused). */
export const HEAP_BASE = 65536;

/**
 * In a thread pool's shared memory: where an optimizer update's array pointers (8 × u32) and
 * scalars (16 × f32), then a pooled scan's result (1 × i32), are written for the pool's threads
 * (above the pool's control words).
 */
export const OPTIM_ARGS_BYTE = 8192;

/**
 * In a thread pool's shared memory (at most 2 GiB): resident arrays are allocated from here up,
 * so the pool's threads can split the fused optimizer updates; per-call scratch stays below.
 * The module's own memory takes the same layout once the step arena reserves its region there.
 */
export const POOL_RESIDENT_BASE = 2 ** 30;
export const POOL_MEMORY_BYTES = 2 ** 31;

/**
 * Floats of room conv.ts leaves after the GEMM path's padded image: assembly/convGemm.ts's
 * packPanel loads whole vectors around a panel's lanes and reads up to 7 floats past the image's
 * last one (those lanes are masked out).
 */
export const CONV_SLACK = 8;

/** Rounds a float count up to a whole number of 16-byte vectors. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * @internal A Float32Array over the whole wasm memory, at least `bytes` long: grows the
 * memory when needed and re-creates the view (growing detaches the old buffer).
 */
export function heapView(k: WasmKernels, bytes: number): Float32Array {
  const rt = currentRuntime();
  const mem = k.memory;
  const have = mem.buffer.byteLength;
  if (k === rt.sharedKernels && bytes > POOL_RESIDENT_BASE) {
    throw new RangeError(`thread pool: an op needs ${bytes} bytes of scratch memory, more than the ${POOL_RESIDENT_BASE} below the pool's resident arrays`);
  }
  if (k === rt.kernels && rt.localTop !== null && rt.localTop >= 0 && bytes > POOL_RESIDENT_BASE) {
    // the memory must not grow any more: growing would detach the step arena's arrays above
    throw new RangeError(
      `wasm kernels: an op needs ${bytes} bytes of scratch memory, more than the ${POOL_RESIDENT_BASE} below the step arena's arrays in the kernels' memory; ` +
        'run it in smaller pieces (a smaller batch), or outside training after `await resetKernels()` (fresh kernels, whose memory the next training step reserves again)',
    );
  }
  if (have < bytes) mem.grow(Math.ceil((bytes - have) / 65536));
  if (rt.view.buffer !== mem.buffer) rt.view = new Float32Array(mem.buffer);
  return rt.view;
}

/**
 * @internal Lays out consecutive float32 regions of the given lengths after the GEMM packing
 * area and returns their float indices with a view over memory large enough for all of them.
 */
export function layout(k: WasmKernels, sizes: readonly number[]): { at: number[]; heap: Float32Array } {
  const at: number[] = [];
  let idx = (HEAP_BASE + gemmWorkBytes(k) * (k === currentRuntime().sharedKernels ? getThreads() : 1)) >> 2;
  for (const n of sizes) {
    at.push(idx);
    idx += align4(n);
  }
  return { at, heap: heapView(k, idx * 4) };
}

/** @internal Thread t's GEMM packing area (thread 0 is the caller). */
export function gemmWorkOf(k: WasmKernels, t: number): number {
  return HEAP_BASE + gemmWorkBytes(k) * t;
}

/** Bytes the GEMM's packed panels take at HEAP_BASE, per thread (a multiple of 16). */
export function gemmWorkBytes(k: WasmKernels): number {
  const rt = currentRuntime();
  if (rt.workBytes === 0) rt.workBytes = align4(k.gemmWorkBytes() / 4) * 4;
  return rt.workBytes;
}
