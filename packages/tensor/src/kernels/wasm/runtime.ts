import type { KernelBackend, KernelPool, WasmKernels } from './abi';
import { type SimdVariant, chooseSimdVariant, moduleBytes } from './simd';

function backendFromEnv(): KernelBackend | 'auto' {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TRAINKIT_KERNELS;
  return env === 'js' || env === 'wasm' ? env : 'auto';
}

/**
 * Everything the kernels keep between calls, in one object. Its life: created at import with
 * the backend from `TRAINKIT_KERNELS`; compiles the module on first use; a thread pool may be
 * installed and uninstalled; {@link resetKernels} disposes of it (stopping its pool) and puts a
 * fresh one in its place. A compile still in flight finishes into the object that started it.
 */
class KernelRuntime {
  /** The backend asked for; 'auto' uses WebAssembly when the runtime supports SIMD, else JS. */
  requested: KernelBackend | 'auto' = backendFromEnv();
  /** The module's own instance. undefined: not tried yet; null: unavailable (or still compiling in a browser). */
  kernels: WasmKernels | null | undefined = undefined;
  pending: Promise<WasmKernels | null> | null = null;
  /** The compiled module, kept to create further instances (resident blocks). */
  compiled: WebAssembly.Module | null = null;
  pool: KernelPool | null = null;
  /** The kernels instance on the pool's shared memory, used while a pool is installed. */
  sharedKernels: WasmKernels | null = null;
  /** A Float32Array over the memory last laid out (re-created when that memory grows or changes). */
  view = new Float32Array(0);
  /** Bytes of one thread's GEMM packing area; 0 until first asked. */
  workBytes = 0;
  /**
   * The next free byte of the step arena's region in the module's own memory (see arenaFloats in
   * resident.ts): null until the region is reserved, -1 where the runtime refused it.
   */
  localTop: number | null = null;
  /** The SIMD build loaded (and the one a thread pool loads); null until the first load. */
  simd: SimdVariant | null = null;

  /**
   * Compiles the module on first use. Node compiles synchronously; a browser's main thread
   * refuses synchronous compilation of modules over 4 KB, so there the JS kernels run until
   * the asynchronous compile started here finishes (or call {@link initKernels} and await it).
   * A runtime without WebAssembly SIMD fails validation and keeps the JS kernels. The relaxed
   * SIMD build is loaded where the runtime validates it (see simd.ts and `TRAINKIT_SIMD`).
   */
  load(): WasmKernels | null {
    if (this.kernels !== undefined) return this.kernels;
    this.kernels = null;
    if (typeof WebAssembly !== 'object') return null;
    this.simd = chooseSimdVariant();
    const bytes = moduleBytes(this.simd);
    try {
      const mod = new WebAssembly.Module(bytes as BufferSource);
      const k = this.adopt(new WebAssembly.Instance(mod, {}));
      this.compiled = mod;
      return k;
    } catch (err) {
      if (!(err instanceof WebAssembly.CompileError) && !(err instanceof WebAssembly.LinkError)) this.loadAsync(bytes);
      return null;
    }
  }

  private loadAsync(bytes: Uint8Array): void {
    this.pending ??= WebAssembly.instantiate(bytes as BufferSource, {}).then(
      (r) => {
        this.compiled = r.module;
        return this.adopt(r.instance);
      },
      () => null,
    );
  }

  private adopt(instance: WebAssembly.Instance): WasmKernels {
    const k = instance.exports as unknown as WasmKernels;
    this.kernels = k;
    this.view = new Float32Array(k.memory.buffer);
    return k;
  }

  /** Installs a thread pool with the main thread's instance on its shared memory, or removes it (null). */
  installPool(p: KernelPool | null, k: WasmKernels | null): void {
    this.pool = p;
    this.sharedKernels = p ? k : null;
    this.view = new Float32Array(0);
  }

  /** Uninstalls the pool, if any, and ends its threads: the kernels go back to the module's own memory. */
  async dispose(): Promise<void> {
    const p = this.pool;
    this.installPool(null, null);
    await p?.stop();
  }
}

export type { KernelRuntime };

let runtime = new KernelRuntime();

/** @internal The kernel runtime in use (for the memory layout helpers in heap.ts). */
export function currentRuntime(): KernelRuntime {
  return runtime;
}

/**
 * Puts the kernels back in the state a fresh import has: stops the thread pool, if one was
 * started, drops the compiled WebAssembly module and its memory (recompiled on next use), and
 * selects the backend from `TRAINKIT_KERNELS`, or `'auto'`. Resident arrays from
 * `allocResident` stay valid. Resolves once the pool's threads have ended.
 *
 * @example
 * await resetKernels(); // e.g. between test files that share one module graph
 */
export async function resetKernels(): Promise<void> {
  const old = runtime;
  runtime = new KernelRuntime();
  await old.dispose();
}

/**
 * @internal Installs a thread pool with the main thread's instance on its shared memory, or
 * removes it (null) without stopping it: the kernels go back to the module's own memory.
 */
export function installPool(p: KernelPool | null, k: WasmKernels | null): void {
  runtime.installPool(p, k);
}

/** @internal Uninstalls the thread pool, if any, and ends its threads: the kernels go back to one thread. */
export function stopPool(): Promise<void> {
  return runtime.dispose();
}

/** @internal The installed pool when the wasm kernels are in use, else null. */
export function kernelPool(): KernelPool | null {
  return runtime.pool !== null && runtime.requested !== 'js' ? runtime.pool : null;
}

/**
 * Threads the kernels run on: 1 unless a thread pool was started (Node:
 * `startThreadPool(n)` from `@trainkit/tensor/node`) and the wasm kernels are in use.
 */
export function getThreads(): number {
  return kernelPool()?.threads ?? 1;
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
  runtime.requested = backend;
}

/**
 * The implementation the kernels use right now: `'wasm'` once the WebAssembly module is
 * ready and selected, otherwise `'js'`.
 */
export function getKernelBackend(): KernelBackend {
  return wasmKernels() === null ? 'js' : 'wasm';
}

/**
 * The kernels in use right now: `'js'`, `'simd'` (WebAssembly SIMD) or `'relaxed-simd'` (the
 * same kernels built with WebAssembly relaxed SIMD, whose fused multiply-adds round once: GEMM
 * and convolution results may differ from `'simd'` in the last bits). Relaxed SIMD is used where
 * the runtime supports it (Node ≥ 22, current browsers); `TRAINKIT_SIMD=plain|relaxed` overrides.
 *
 * @example
 * getKernelVariant(); // 'relaxed-simd' on Node 26, 'simd' on Node 20
 */
export function getKernelVariant(): KernelBackend | SimdVariant {
  return wasmKernels() === null ? 'js' : (runtime.simd ?? 'simd');
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
  const rt = runtime;
  if (rt.requested !== 'js' && rt.load() === null && rt.pending) await rt.pending;
  return getKernelBackend();
}

/** @internal The loaded module when the wasm backend is selected and ready, else null. */
export function wasmKernels(): WasmKernels | null {
  const rt = runtime;
  if (rt.requested === 'js') return null;
  if (rt.sharedKernels !== null) return rt.sharedKernels;
  const k = rt.load();
  if (k === null && rt.requested === 'wasm' && rt.pending === null) {
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
  const rt = runtime;
  if (rt.requested === 'js') return null;
  return rt.sharedKernels !== null ? rt.load() : wasmKernels();
}

/**
 * @internal The compiled kernels module when the wasm backend is selected and ready, to
 * instantiate again on a memory of its own; null otherwise.
 */
export function kernelsModule(): WebAssembly.Module | null {
  return localKernels() !== null ? runtime.compiled : null;
}

/**
 * @internal Whether an element-wise op of n values should run in wasm: it must be loaded
 * and selected, and n large enough that the copies in and out pay off (any n when forced).
 */
export function wasmFor(n: number): WasmKernels | null {
  const k = localKernels();
  return k !== null && (n >= 1024 || runtime.requested === 'wasm') ? k : null;
}

/** @internal True when `setKernelBackend('wasm')` asked for wasm even where JS would be faster (tests use it). */
export function wasmForced(): boolean {
  return runtime.requested === 'wasm';
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
  const rt = runtime;
  const prev = rt.requested;
  rt.requested = backend;
  try {
    return fn();
  } finally {
    rt.requested = prev;
  }
}
