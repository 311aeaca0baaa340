// The Web Worker of web.test.ts (bundled by esbuild for the browser): runs the pool workload on
// one thread, then on a 2-thread pool of nested Web Workers, and posts back whether every
// value is identical, or the error startThreadPool gave.
import { getKernelBackend, getThreads, initKernels } from '../index';
import { startThreadPool, stopThreadPool } from '../web';
import { poolWorkload } from './poolWorkload';

const post = (msg: unknown) => (globalThis as unknown as { postMessage(m: unknown): void }).postMessage(msg);

function firstDifference(a: Float32Array[], b: Float32Array[]): string | null {
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return `output ${i}: length ${a[i].length} vs ${b[i].length}`;
    for (let j = 0; j < a[i].length; j++) if (!Object.is(a[i][j], b[i][j])) return `output ${i} index ${j}: ${a[i][j]} vs ${b[i][j]}`;
  }
  return null;
}

(globalThis as unknown as { onmessage: () => void }).onmessage = async () => {
  try {
    const backend = await initKernels();
    const one = poolWorkload();
    const started = await startThreadPool(2);
    const threads = getThreads();
    const pooled = poolWorkload();
    await stopThreadPool();
    post({ backend, started, threads, afterStop: getThreads(), difference: firstDifference(one, pooled), kernels: getKernelBackend() });
  } catch (err) {
    post({ error: err instanceof Error ? err.message : String(err) });
  }
};
