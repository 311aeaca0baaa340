import { wasmModuleBase64 } from './module.generated';

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
  convForward(g: number, x: number, w: number, bias: number, OC: number, n0: number, n1: number, out: number, cols: number, work: number): void;
  convWeightGrad(g: number, x: number, gout: number, gw: number, OC: number, N: number, r0: number, r1: number, cols: number, work: number): void;
  convInputGrad(g: number, w: number, gout: number, gx: number, OC: number, n0: number, n1: number, dcols: number, work: number): void;
  relu(x: number, y: number, n: number): void;
  reluBackward(y: number, g: number, ga: number, n: number): void;
  reluMask(y: number, g: number, n: number): void;
  channelSums(g: number, N: number, C: number, hw: number, out: number): void;
  maxPool2x2(x: number, planes: number, H: number, W: number, y: number, arg: number, base: number): void;
  scatterAdd(g: number, arg: number, n: number, gx: number, base: number): void;
  scatterReluMasked(g: number, arg: number, v: number, n: number, gx: number): void;
  adamStep(p: number, g: number, m: number, v: number, vmax: number, n: number, b1: number, b2: number, c1: number, c2: number, eps: number, wd: number, stepSize: number, bc2: number, shrink: number, flags: number): void;
  momentumStep(p: number, g: number, buf: number, n: number, alpha: number, mu: number, keep: number, wd: number, first: number, nesterov: number): void;
  adagradStep(p: number, g: number, sum: number, n: number, clr: number, wd: number, eps: number): void;
  rmspropStep(p: number, g: number, sq: number, ga: number, buf: number, n: number, alpha: number, c: number, eps: number, wd: number, mu: number, negLr: number, flags: number): void;
  firstNonFinite(x: number, n: number): number;
}

/** The kernels a thread pool's threads run, one chunk of the work per call. */
export type PoolOp = 'convForward' | 'convWeightGrad' | 'convInputGrad' | 'gemmCols';

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
}

/**
 * A pool of threads sharing one WebAssembly memory (see `startThreadPool` in
 * `@trainkit/tensor/node`). Ops split their work into one range per thread such that every
 * output value is computed by one thread in the same order as single-threaded: results are
 * bit-identical whatever the thread count.
 */
export interface KernelPool {
  /** Threads, the calling thread included. */
  readonly threads: number;
  /** Runs every chunk of `task` (the caller works too) and returns when all are done. */
  run(task: PoolTask): void;
}

let pool: KernelPool | null = null;
/** The kernels instance on the pool's shared memory, used while a pool is installed. */
let sharedKernels: WasmKernels | null = null;

/**
 * @internal Installs a thread pool with the main thread's instance on its shared memory, or
 * removes it (null): the kernels go back to the module's own memory.
 */
export function installPool(p: KernelPool | null, k: WasmKernels | null): void {
  pool = p;
  sharedKernels = p ? k : null;
  view = new Float32Array(0);
}

/** @internal The installed pool when the wasm kernels are in use, else null. */
export function kernelPool(): KernelPool | null {
  return pool !== null && requested !== 'js' ? pool : null;
}

/**
 * Threads the kernels run on: 1 unless a thread pool was started (Node:
 * `startThreadPool(n)` from `@trainkit/tensor/node`) and the wasm kernels are in use.
 */
export function getThreads(): number {
  return kernelPool()?.threads ?? 1;
}

/** 'auto' uses WebAssembly when the runtime supports SIMD, else JS. */
let requested: KernelBackend | 'auto' = backendFromEnv();
/** undefined: not tried yet; null: unavailable (or still compiling in a browser). */
let kernels: WasmKernels | null | undefined;
let pending: Promise<WasmKernels | null> | null = null;
/** The compiled module, kept to create further instances (resident blocks). */
let compiled: WebAssembly.Module | null = null;
let view = new Float32Array(0);

function backendFromEnv(): KernelBackend | 'auto' {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TRAINKIT_KERNELS;
  return env === 'js' || env === 'wasm' ? env : 'auto';
}

function moduleBytes(): Uint8Array {
  const text = atob(wasmModuleBase64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function adopt(instance: WebAssembly.Instance): WasmKernels {
  kernels = instance.exports as unknown as WasmKernels;
  view = new Float32Array(kernels.memory.buffer);
  return kernels;
}

/**
 * Compiles the module on first use. Node compiles synchronously; a browser's main thread
 * refuses synchronous compilation of modules over 4 KB, so there the JS kernels run until
 * the asynchronous compile started here finishes (or call {@link initKernels} and await it).
 * A runtime without WebAssembly SIMD fails validation and keeps the JS kernels.
 */
function load(): WasmKernels | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  if (typeof WebAssembly !== 'object') return null;
  const bytes = moduleBytes();
  try {
    const mod = new WebAssembly.Module(bytes as BufferSource);
    const k = adopt(new WebAssembly.Instance(mod, {}));
    compiled = mod;
    return k;
  } catch (err) {
    if (!(err instanceof WebAssembly.CompileError) && !(err instanceof WebAssembly.LinkError)) startAsync(bytes);
    return null;
  }
}

function startAsync(bytes: Uint8Array): Promise<WasmKernels | null> {
  pending ??= WebAssembly.instantiate(bytes as BufferSource, {}).then(
    (r) => {
      compiled = r.module;
      return adopt(r.instance);
    },
    () => null,
  );
  return pending;
}

/**
 * Selects the kernel implementation: `'wasm'` (WebAssembly SIMD, the default where the
 * runtime supports it) or `'js'` (plain JavaScript, always available). Both give results
 * within float32 rounding of each other; the fused optimizer updates are bit-identical.
 * The environment variable `TRAINKIT_KERNELS=js|wasm` sets the initial choice.
 *
 * @param backend the implementation to use, or `'auto'` for the fastest available
 * @example
 * setKernelBackend('js'); // e.g. to compare against the reference kernels
 */
export function setKernelBackend(backend: KernelBackend | 'auto'): void {
  if (backend !== 'js' && backend !== 'wasm' && backend !== 'auto') {
    throw new TypeError(`setKernelBackend: backend must be 'js', 'wasm' or 'auto', got ${JSON.stringify(backend)}`);
  }
  requested = backend;
}

/**
 * The implementation the kernels use right now: `'wasm'` once the WebAssembly module is
 * ready and selected, otherwise `'js'`.
 */
export function getKernelBackend(): KernelBackend {
  return wasmKernels() === null ? 'js' : 'wasm';
}

/**
 * Compiles the WebAssembly kernels ahead of the first op and resolves with the backend
 * that will run. Optional in Node (compilation there is synchronous and lazy); in a
 * browser, await it before training so the first batches do not run on the JS kernels.
 *
 * @example
 * await initKernels(); // 'wasm' where WebAssembly SIMD is available
 */
export async function initKernels(): Promise<KernelBackend> {
  if (requested !== 'js' && load() === null && pending) await pending;
  return getKernelBackend();
}

/** @internal The loaded module when the wasm backend is selected and ready, else null. */
export function wasmKernels(): WasmKernels | null {
  if (requested === 'js') return null;
  if (sharedKernels !== null) return sharedKernels;
  const k = load();
  if (k === null && requested === 'wasm' && pending === null) {
    throw new Error("setKernelBackend('wasm'): this runtime cannot compile the WebAssembly SIMD kernels; use 'auto' to fall back to JS");
  }
  return k;
}

/**
 * @internal The module's own (unshared) instance when wasm is selected, even while a pool is
 * installed: for the kernels a pool does not split (element-wise ops, optimizer updates),
 * since V8 copies in and out of a SharedArrayBuffer more slowly.
 */
export function localKernels(): WasmKernels | null {
  if (requested === 'js') return null;
  return sharedKernels !== null ? load() : wasmKernels();
}

/**
 * @internal The compiled kernels module when the wasm backend is selected and ready, to
 * instantiate again on a memory of its own; null otherwise.
 */
export function kernelsModule(): WebAssembly.Module | null {
  return localKernels() !== null ? compiled : null;
}

/** Start of the region callers lay out per call (the first 64 KiB stay unused). */
export const HEAP_BASE = 65536;

/**
 * @internal A Float32Array over the whole wasm memory, at least `bytes` long: grows the
 * memory when needed and re-creates the view (growing detaches the old buffer).
 */
export function heapView(k: WasmKernels, bytes: number): Float32Array {
  const mem = k.memory;
  const have = mem.buffer.byteLength;
  if (have < bytes) mem.grow(Math.ceil((bytes - have) / 65536));
  if (view.buffer !== mem.buffer) view = new Float32Array(mem.buffer);
  return view;
}

/**
 * @internal Lays out consecutive float32 regions of the given lengths after the GEMM packing
 * area and returns their float indices with a view over memory large enough for all of them.
 */
export function layout(k: WasmKernels, sizes: readonly number[]): { at: number[]; heap: Float32Array } {
  const at: number[] = [];
  let idx = (HEAP_BASE + gemmWorkBytes(k) * (k === sharedKernels ? getThreads() : 1)) >> 2;
  for (const n of sizes) {
    at.push(idx);
    idx += align4(n);
  }
  return { at, heap: heapView(k, idx * 4) };
}

let workBytes = 0;

/** @internal Thread t's GEMM packing area (thread 0 is the caller). */
export function gemmWorkOf(k: WasmKernels, t: number): number {
  return HEAP_BASE + gemmWorkBytes(k) * t;
}

/** Bytes the GEMM's packed panels take at HEAP_BASE, per thread (a multiple of 16). */
export function gemmWorkBytes(k: WasmKernels): number {
  if (workBytes === 0) workBytes = align4(k.gemmWorkBytes() / 4) * 4;
  return workBytes;
}

/**
 * @internal Whether an element-wise op of n values should run in wasm: it must be loaded
 * and selected, and n large enough that the copies in and out pay off (any n when forced).
 */
export function wasmFor(n: number): WasmKernels | null {
  const k = localKernels();
  return k !== null && (n >= 1024 || requested === 'wasm') ? k : null;
}

/** Rounds a float count up to a whole number of 16-byte vectors. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** @internal True when `setKernelBackend('wasm')` asked for wasm even where JS would be faster (tests use it). */
export function wasmForced(): boolean {
  return requested === 'wasm';
}

/**
 * Runs `fn` with `backend` selected (as {@link setKernelBackend} would), restoring the previous
 * choice afterwards, also when `fn` throws. For tests that compare the kernel backends.
 *
 * @param backend the implementation to use while `fn` runs
 * @param fn the work
 * @example
 * const reference = withKernelBackend('js', () => model.call(x).toArray());
 */
export function withKernelBackend<T>(backend: KernelBackend | 'auto', fn: () => T): T {
  const prev = requested;
  requested = backend;
  try {
    return fn();
  } finally {
    requested = prev;
  }
}
