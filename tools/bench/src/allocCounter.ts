/**
 * Counts the bytes of new typed arrays a piece of code allocates: wraps the global typed-array,
 * ArrayBuffer and SharedArrayBuffer constructors (so `new Float32Array(n)`, `Float32Array.from(…)`
 * and `new ArrayBuffer(n)` count) and the typed arrays' `slice`, `map` and `filter`. A view on an
 * existing buffer (`new Float32Array(buffer, offset, length)`, `subarray`) allocates no array
 * memory and counts 0; WebAssembly memory growth is not a typed array and is not counted.
 * Install once per process (the bench's allocations.ts), before the code to watch runs.
 */

/** What the counter saw while it was on; `sites` maps the allocating call site to bytes. */
export interface AllocationCounter {
  on: boolean;
  bytes: number;
  arrays: number;
  sites: Map<string, number>;
  reset(): void;
  /** Puts the original constructors and methods back (tests share their process with other files). */
  uninstall(): void;
}

const TYPED = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint32Array', 'Int16Array', 'Uint16Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'BigInt64Array', 'BigUint64Array'] as const;
const BUFFERS = ['ArrayBuffer', 'SharedArrayBuffer'] as const;

const count: AllocationCounter = {
  on: false,
  bytes: 0,
  arrays: 0,
  sites: new Map(),
  reset() {
    this.bytes = 0;
    this.arrays = 0;
    this.sites.clear();
  },
  uninstall() {
    for (const undo of restore.splice(0)) undo();
    installed = false;
  },
};
let installed = false;
const restore: Array<() => void> = [];

/** The first stack frame outside this file and node internals: where the allocation came from. */
function site(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(2);
  const frame = lines.find((l) => !l.includes('allocCounter.ts') && !l.includes('node:')) ?? '(unknown)';
  return frame.trim().replace(/^at /, '').replace(/\(?file:\/\/[^)]*\/(packages|tools)\//, '$1/').replace(/\)$/, '');
}

function record(bytes: number): void {
  if (!count.on || bytes === 0) return;
  count.bytes += bytes;
  count.arrays++;
  const s = site();
  count.sites.set(s, (count.sites.get(s) ?? 0) + bytes);
}

/** Wraps the global constructors and the allocating typed-array methods (once per process) and returns the counter, off. */
export function installAllocationCounter(): AllocationCounter {
  if (installed) return count;
  installed = true;
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of [...TYPED, ...BUFFERS]) {
    if (typeof g[name] !== 'function') continue; // SharedArrayBuffer where it is not exposed
    const Original = g[name] as new (...args: unknown[]) => ArrayBufferView | ArrayBuffer;
    restore.push(() => (g[name] = Original));
    g[name] = new Proxy(Original, {
      construct(target, args, newTarget) {
        const made = Reflect.construct(target, args, newTarget === g[name] ? target : newTarget) as ArrayBufferView | ArrayBuffer;
        const isView = !(BUFFERS as readonly string[]).includes(name) && (args[0] instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && args[0] instanceof SharedArrayBuffer));
        if (!isView) record(made.byteLength);
        return made;
      },
    });
  }
  const proto = Object.getPrototypeOf(Float32Array.prototype) as Record<string, (...a: unknown[]) => ArrayBufferView>;
  for (const method of ['slice', 'map', 'filter']) {
    const original = proto[method];
    restore.push(() => (proto[method] = original));
    proto[method] = function (this: ArrayBufferView, ...args: unknown[]) {
      const out = original.apply(this, args);
      record(out.byteLength);
      return out;
    };
  }
  return count;
}
