import { POOL_THREAD_SOURCE, type PoolThreadData, type PoolWorker, startPool } from './threadPool';
import { stopPool } from './runtime';

/** The browser worker: a classic script (from a Blob URL) that waits for its data. */
const WEB_WORKER = `${POOL_THREAD_SOURCE}
self.onmessage = (e) => {
  self.onmessage = null;
  poolThread(e.data, () => self.postMessage('ready'));
};
`;

interface WebWorkerLike extends PoolWorker {
  postMessage(data: unknown): void;
  addEventListener(type: 'message' | 'error', listener: (e: { message?: string }) => void, options?: { once: boolean }): void;
}

/** The parts of a browser's global scope the pool needs (typed here: the package builds without the DOM library). */
interface WebScope {
  Worker?: new (url: string) => WebWorkerLike;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL: { createObjectURL(blob: object): string };
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  document?: unknown;
}

const scope = globalThis as unknown as WebScope;

/** Why a pool cannot start here, or null when it can. */
function unsupported(): string | null {
  if (scope.document !== undefined) {
    return "call it inside a Web Worker: a page's main thread may not block (Atomics.wait), and the thread that calls the kernels waits for the pool's workers";
  }
  if (scope.Worker === undefined || scope.Blob === undefined) return 'this runtime has no Web Workers (in Node, use startThreadPool from @trainkit/tensor/node)';
  if (typeof SharedArrayBuffer === 'undefined' || scope.crossOriginIsolated !== true) {
    return 'SharedArrayBuffer needs a cross-origin isolated page: serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp';
  }
  return null;
}

let url: string | null = null;

function spawn(data: PoolThreadData): Promise<PoolWorker> {
  const { Worker: W, Blob: B } = scope as Required<Pick<WebScope, 'Worker' | 'Blob'>>;
  url ??= scope.URL.createObjectURL(new B([WEB_WORKER], { type: 'text/javascript' }));
  const w = new W(url);
  return new Promise<PoolWorker>((resolve, reject) => {
    w.addEventListener('message', () => resolve(w), { once: true });
    w.addEventListener('error', (e) => reject(new Error(`startThreadPool: a pool worker failed to start: ${e.message ?? 'unknown error'}`)), { once: true });
    w.postMessage(data);
  });
}

/**
 * Starts a pool of `threads` threads in a browser: the calling Web Worker plus `threads − 1`
 * nested Web Workers sharing one WebAssembly memory, which split convolutions and large matrix
 * products between them. Results are bit-identical to one thread. Needs a cross-origin
 * isolated page (for SharedArrayBuffer) and must be called from a Web Worker (the thread that
 * runs the kernels blocks while it waits for the others, which a page's main thread may not);
 * otherwise it throws an Error saying which.
 *
 * @param threads total threads, default `navigator.hardwareConcurrency` (2 to 16)
 * @example
 * // inside the Web Worker that trains
 * import { startThreadPool } from '@trainkit/tensor/web';
 * await startThreadPool(2);
 */
export function startThreadPool(threads: number = Math.min(16, scope.navigator?.hardwareConcurrency ?? 2)): Promise<number> {
  const why = unsupported();
  if (why !== null) return Promise.reject(new Error(`startThreadPool: ${why}`));
  return startPool(threads, spawn, 'startThreadPool');
}

/** Stops the pool started by {@link startThreadPool}; the kernels go back to one thread. */
export function stopThreadPool(): Promise<void> {
  return stopPool();
}
