import type { WasmKernels } from './abi';
import { HEAP_BASE, POOL_MEMORY_BYTES, POOL_RESIDENT_BASE, align4, layout } from './heap';
import { currentRuntime, kernelPool, kernelsModule, localKernels } from './runtime';

/** Which kernels instance owns each resident block's memory. */
const owners = new WeakMap<ArrayBuffer, WasmKernels>();

/** The next free byte of each pool's resident region (a bump allocator: a pool's arrays live as long as its memory). */
const poolTops = new WeakMap<WasmKernels, number>();

/**
 * While a thread pool runs: the groups in the pool's shared memory, above its scratch region, so
 * its threads can split the fused updates. Null when no pool runs or its region is full.
 */
function allocInPool(groups: ReadonlyArray<readonly number[]>, bytes: number): Float32Array[][] | null {
  const k = currentRuntime().sharedKernels;
  if (k === null || kernelPool() === null) return null;
  const top = poolTops.get(k) ?? POOL_RESIDENT_BASE;
  if (top + bytes > POOL_MEMORY_BYTES) return null;
  const have = k.memory.buffer.byteLength;
  try {
    if (top + bytes > have) k.memory.grow(Math.ceil((top + bytes - have) / 65536));
  } catch {
    return null; // the runtime refused the memory: the caller keeps ordinary arrays
  }
  const buffer = k.memory.buffer;
  owners.set(buffer, k);
  let at = top;
  const out = groups.map((lengths) =>
    lengths.map((n) => {
      const a = new Float32Array(buffer, at, n);
      at += align4(n) * 4;
      return a;
    }),
  );
  poolTops.set(k, at);
  return out;
}

/** A block stays under this size (a group larger than it gets a block of its own). */
const BLOCK_BYTES = 2 ** 30;

/**
 * Allocates zero-filled float32 arrays in WebAssembly memory ("resident" storage), where the
 * fused kernels (`adamStepKernel`, `momentumStepKernel`, `firstNonFinite`)
 * update them in place instead of copying them in and out of the kernels' memory.
 *
 * Each inner list is one group whose arrays share a block (an optimizer puts a parameter,
 * its gradient and its slots in one group); groups are packed into blocks of up to 1 GiB.
 * A block never grows, so its arrays stay valid, and the garbage collector frees it once
 * none of them is referenced. While a thread pool runs, the arrays go into the pool's shared
 * memory instead (up to 1 GiB per pool, kept until the pool's memory is dropped), where the
 * pool's threads split the fused updates of large arrays between them. Returns null, allocating nothing, when the wasm kernels are
 * not in use or the runtime refuses another instance (a browser's main thread does); the
 * caller then keeps ordinary Float32Arrays, which every kernel also accepts.
 *
 * @param groups the lengths of the arrays, grouped by the block they must share
 * @returns the arrays in the same nesting, or null
 * @example
 * const block = allocResident([[n, n, n, n]]);
 * const [value, grad, m, v] = block ? block[0] : [n, n, n, n].map((k) => new Float32Array(k));
 */
export function allocResident(groups: ReadonlyArray<readonly number[]>): Float32Array[][] | null {
  groups.forEach((lengths, g) => {
    const bad = Array.isArray(lengths) ? lengths.findIndex((n) => !Number.isInteger(n) || n < 0) : -2;
    if (bad !== -1) {
      const what = bad === -2 ? `group ${g} is not an array of lengths` : `length ${bad} of group ${g} is ${String(lengths[bad])}`;
      throw new RangeError(`allocResident: ${what}; lengths must be integers ≥ 0`);
    }
  });
  const mod = kernelsModule();
  if (mod === null) return null;
  const bytesOf = (lengths: readonly number[]) => lengths.reduce((s, n) => s + align4(n) * 4, 0);
  const pooled = allocInPool(groups, groups.reduce((s, lengths) => s + bytesOf(lengths), 0));
  if (pooled !== null) return pooled;
  const blocks: number[][] = [];
  let open: number[] = [];
  let used = 0;
  groups.forEach((lengths, i) => {
    const bytes = bytesOf(lengths);
    if (open.length > 0 && used + bytes > BLOCK_BYTES) {
      blocks.push(open);
      open = [];
      used = 0;
    }
    open.push(i);
    used += bytes;
  });
  if (open.length > 0) blocks.push(open);
  const out: Float32Array[][] = new Array(groups.length);
  try {
    for (const members of blocks) {
      const k = new WebAssembly.Instance(mod, {}).exports as unknown as WasmKernels;
      const bytes = HEAP_BASE + members.reduce((s, i) => s + bytesOf(groups[i]), 0);
      const have = k.memory.buffer.byteLength;
      if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
      const buffer = k.memory.buffer;
      owners.set(buffer, k);
      let at = HEAP_BASE;
      for (const i of members) {
        out[i] = groups[i].map((n) => {
          const a = new Float32Array(buffer, at, n);
          at += align4(n) * 4;
          return a;
        });
      }
    }
  } catch {
    return null; // out of address space, or synchronous instantiation refused
  }
  return out;
}

/**
 * @internal The kernels instance whose memory holds every given array (nulls are skipped),
 * when the wasm kernels are in use; null when any array is elsewhere.
 */
export function residentKernels(first: Float32Array, ...rest: ReadonlyArray<Float32Array | null>): WasmKernels | null {
  const buffer = first.buffer as ArrayBuffer;
  const k = owners.get(buffer);
  if (k === undefined || localKernels() === null) return null;
  for (const a of rest) if (a !== null && a.buffer !== buffer) return null;
  return k;
}

/**
 * @internal The kernels instance whose memory holds `a` when `a` is resident (see
 * {@link allocResident}), else null. Resident arrays keep their byte offset when the memory grows.
 */
export function residentOwner(a: Float32Array): WasmKernels | null {
  return owners.get(a.buffer as ArrayBuffer) ?? null;
}

/**
 * @internal A zero-filled array of `n` floats in the running thread pool's shared memory (the
 * step arena's fresh buffers: the kernels then read and write them in place, where copies into
 * and out of shared memory are slow), or null when no pool runs or its region is full.
 */
export function poolFloats(n: number): Float32Array | null {
  return n > 0 ? (allocInPool([[n]], align4(n) * 4)?.[0][0] ?? null) : null;
}

/**
 * @internal Reserves the step arena's region in the module's own memory, above its scratch
 * region (as in a thread pool's): the memory grows once to 2 GiB of address space (pages are only
 * used as arrays are written) and never again, since growing would detach every array on it; one
 * op's scratch is then capped at 1 GiB, as in a pool. Called as an arena's run() begins, never
 * inside an op (whose views of the memory the growth would detach). Does nothing with the JS
 * kernels, while a pool runs, or once tried; where the memory already passed 1 GiB or the
 * runtime refuses the address space, the arena keeps ordinary arrays.
 */
export function reserveArenaRegion(): void {
  const rt = currentRuntime();
  if (rt.localTop !== null || rt.sharedKernels !== null) return;
  const k = localKernels();
  if (k === null) return;
  const have = k.memory.buffer.byteLength;
  rt.localTop = -1;
  if (have > POOL_RESIDENT_BASE) return; // an earlier op's scratch is above the region
  try {
    k.memory.grow((POOL_MEMORY_BYTES - have) / 65536);
  } catch {
    return; // the runtime refused the address space: ordinary arrays, as before
  }
  owners.set(k.memory.buffer as ArrayBuffer, k);
  rt.localTop = POOL_RESIDENT_BASE;
}

/**
 * @internal A zero-filled array of `n` floats where the kernels use it in place, for the step
 * arena's fresh buffers: in the running thread pool's memory ({@link poolFloats}), or with no
 * pool in the region {@link reserveArenaRegion} reserved in the module's own memory. Null (the
 * caller keeps an ordinary array) with the JS kernels, without a reserved region, and once the
 * region is full (it is a bump allocator: its arrays are never given back).
 */
export function arenaFloats(n: number): Float32Array | null {
  if (n <= 0) return null;
  const rt = currentRuntime();
  if (rt.sharedKernels !== null) return poolFloats(n);
  const k = localKernels();
  if (k === null || rt.localTop === null) return null;
  const bytes = align4(n) * 4;
  if (rt.localTop < 0 || rt.localTop + bytes > POOL_MEMORY_BYTES) return null;
  const a = new Float32Array(k.memory.buffer, rt.localTop, n);
  rt.localTop += bytes;
  return a;
}

/**
 * @internal The kernels to run a kernel the pool does not split on `a` (and its companions):
 * the pool's shared instance when `a` lives in its memory (an arena buffer: used in place there),
 * else `k` (the module's own instance, where copies are cheaper than into shared memory).
 */
export function kernelsAt(k: WasmKernels | null, a: Float32Array): WasmKernels | null {
  const shared = currentRuntime().sharedKernels;
  return k !== null && shared !== null && owners.get(a.buffer as ArrayBuffer) === shared ? shared : k;
}

/**
 * @internal The byte offset of `a` in `k`'s memory when it lives there (a resident array, or
 * an arena buffer in the pool's memory), else -1: kernels use such arrays where they are.
 */
export function residentAt(k: WasmKernels, a: Float32Array | Int32Array | null): number {
  return a !== null && a.length > 0 && owners.get(a.buffer as ArrayBuffer) === k ? a.byteOffset : -1;
}

/**
 * @internal {@link residentAt} of each array, for one kernel call; all -1 (everything copied, as
 * when nothing is resident) when two resident ones overlap, since a kernel may write one while
 * it reads another.
 */
export function residentAll(k: WasmKernels, arrays: ReadonlyArray<Float32Array | Int32Array | null>): number[] {
  const at = arrays.map((a) => residentAt(k, a));
  for (let i = 0; i < arrays.length; i++) {
    for (let j = i + 1; j < arrays.length; j++) {
      const [a, b] = [arrays[i], arrays[j]];
      if (at[i] >= 0 && at[j] >= 0 && a !== null && b !== null && at[i] < at[j] + b.byteLength && at[j] < at[i] + a.byteLength) return at.map(() => -1);
    }
  }
  return at;
}

/** @internal Regions for one kernel call, from {@link place}. */
export interface Placed {
  /** Byte pointers, one per item. */
  ptr: number[];
  /** A view over the whole memory. */
  heap: Float32Array;
  /** Copies array item `i` in, unless it is resident (then the kernel reads it where it is). */
  copyIn(i: number, a: Float32Array | Int32Array): void;
  /** Copies array item `i` out into `a`, unless it is resident (then the kernel wrote it there). */
  copyOut(i: number, a: Float32Array | Int32Array): void;
}

/**
 * @internal Lays out one kernel call's regions: an array already in `k`'s memory (resident, or
 * an arena buffer in the pool's memory) stays where it is (see {@link residentAll}); another array gets a region of its
 * length (copy it in and out with the result's copyIn and copyOut); a number is a scratch region
 * of that many floats; null an empty one.
 */
export function place(k: WasmKernels, items: ReadonlyArray<Float32Array | Int32Array | number | null>): Placed {
  const here = residentAll(
    k,
    items.map((a) => (typeof a === 'number' ? null : a)),
  );
  const { at, heap } = layout(
    k,
    items.map((a, i) => (a === null || here[i] >= 0 ? 0 : typeof a === 'number' ? a : a.length)),
  );
  const ptr = at.map((idx, i) => (here[i] >= 0 ? here[i] : idx * 4));
  const view = (i: number, a: Float32Array | Int32Array) => (a instanceof Int32Array ? new Int32Array(heap.buffer, ptr[i], a.length) : heap.subarray(ptr[i] >> 2, (ptr[i] >> 2) + a.length));
  return {
    ptr,
    heap,
    copyIn: (i, a) => {
      if (here[i] < 0) view(i, a).set(a);
    },
    copyOut: (i, a) => {
      if (here[i] < 0) a.set(view(i, a));
    },
  };
}

/**
 * @internal Sets `a` to zeros; in WebAssembly memory with the kernels' bulk fill, which is much
 * faster than `fill` on a thread pool's shared memory (where V8 fills element by element).
 */
export function zeroFloats(a: Float32Array): void {
  const k = owners.get(a.buffer as ArrayBuffer);
  if (k !== undefined && a.length > 0) k.zeroFill(a.byteOffset, a.length);
  else a.fill(0);
}
