import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { wasmSharedModuleBase64 } from './moduleShared.generated';
import { type KernelPool, type PoolOp, type WasmKernels, installPool, wasmKernels } from './runtime';

/** Where the pool's control words live in the shared memory (below the kernels' HEAP_BASE). */
const CTRL_BYTE = 1024;
/** Words per thread slot: op, argument count, claim flag, up to 13 arguments. */
const SLOT = 16;
const ARGS = 3;
const MAX_THREADS = 16;
const OPS: readonly PoolOp[] = ['convForward', 'convWeightGrad', 'convInputGrad', 'gemmStrided'];
/** ctrl[0]: task sequence number; ctrl[1]: threads still running; ctrl[2]: stop flag; ctrl[3]: failures. */
const SEQ = 0;
const PENDING = 1;
const STOP = 2;
const FAILED = 3;

/**
 * The worker's whole program, CommonJS (execArgv [] keeps a parent's --input-type=module
 * out): wait for a task, claim it, run it, count down. A task the main thread already
 * claimed (it steals tasks whose thread has not started, e.g. on a busy machine) is skipped.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, id, ctrlByte, slot, ops } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctrl = new Int32Array(memory.buffer, ctrlByte, 16 + slot * ${MAX_THREADS + 1});
// read the sequence number before announcing readiness: a task posted right after 'ready'
// must look like a change, or this thread would sleep through it
let seen = Atomics.load(ctrl, ${SEQ});
parentPort.postMessage('ready');
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  if (Atomics.load(ctrl, ${STOP}) === 1) break;
  const base = 16 + id * slot;
  if (Atomics.compareExchange(ctrl, base + 2, 0, 1) !== 0) continue;
  const op = ctrl[base];
  try {
    k[ops[op - 1]](...Array.from(ctrl.subarray(base + ${ARGS}, base + ${ARGS} + ctrl[base + 1])));
  } catch (err) {
    Atomics.add(ctrl, ${FAILED}, 1);
  }
  if (Atomics.sub(ctrl, ${PENDING}, 1) === 1) Atomics.notify(ctrl, ${PENDING});
}
`;

let active: { workers: Worker[]; ctrl: Int32Array } | null = null;

function moduleBytes(): Uint8Array {
  const text = atob(wasmSharedModuleBase64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Starts a pool of `threads` threads (the calling thread plus `threads − 1` workers) that
 * split convolutions and large matrix products between them. Results are bit-identical to
 * one thread: each output value is computed by one thread, in the single-threaded order.
 * Opt-in and Node-only (worker_threads); the kernels must be the wasm ones.
 *
 * @param threads total threads, default `os.availableParallelism()` (2 to 16)
 * @example
 * import { startThreadPool } from '@trainkit/tensor/node';
 * await startThreadPool(2);
 */
export async function startThreadPool(threads: number = availableParallelism()): Promise<number> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`startThreadPool: threads must be an integer in [1, ${MAX_THREADS}], got ${threads}`);
  }
  await stopThreadPool();
  if (threads === 1) return 1;
  if (wasmKernels() === null) throw new Error('startThreadPool: the thread pool runs the wasm kernels; they are not in use (setKernelBackend)');
  const module = new WebAssembly.Module(moduleBytes() as BufferSource);
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 32768, shared: true });
  const main = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmKernels;
  const ctrl = new Int32Array(memory.buffer, CTRL_BYTE, 16 + SLOT * (MAX_THREADS + 1));
  for (let t = 1; t < threads; t++) ctrl[16 + t * SLOT + 2] = 1; // no task to claim yet
  const workers = await Promise.all(
    Array.from({ length: threads - 1 }, (_, i) => {
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module, memory, id: i + 1, ctrlByte: CTRL_BYTE, slot: SLOT, ops: OPS } });
      w.unref();
      return new Promise<Worker>((resolve, reject) => {
        w.once('message', () => resolve(w));
        w.once('error', reject);
      });
    }),
  );
  const pool: KernelPool = {
    threads,
    run(op, args) {
      const code = OPS.indexOf(op) + 1;
      const fn = main[op] as (...x: number[]) => void;
      let tasks = 0;
      for (let t = 1; t < threads; t++) {
        const base = 16 + t * SLOT;
        const a = args[t] ?? [];
        if (a.length === 0) {
          Atomics.store(ctrl, base + 2, 1); // nothing to do: already "claimed"
          continue;
        }
        ctrl[base] = code;
        ctrl[base + 1] = a.length;
        for (let i = 0; i < a.length; i++) ctrl[base + ARGS + i] = a[i];
        tasks++;
      }
      Atomics.store(ctrl, PENDING, tasks);
      for (let t = 1; t < threads; t++) if ((args[t] ?? []).length > 0) Atomics.store(ctrl, 16 + t * SLOT + 2, 0);
      Atomics.add(ctrl, SEQ, 1);
      Atomics.notify(ctrl, SEQ);
      if (args[0]?.length) fn(...args[0]);
      // steal what no worker has started yet (on a busy machine a worker may not get a core soon)
      for (let t = 1; t < threads; t++) {
        const base = 16 + t * SLOT;
        if (Atomics.compareExchange(ctrl, base + 2, 0, 1) === 0) {
          fn(...Array.from(ctrl.subarray(base + ARGS, base + ARGS + ctrl[base + 1])));
          Atomics.sub(ctrl, PENDING, 1);
        }
      }
      for (let p = Atomics.load(ctrl, PENDING); p !== 0; p = Atomics.load(ctrl, PENDING)) Atomics.wait(ctrl, PENDING, p);
      if (Atomics.exchange(ctrl, FAILED, 0) !== 0) throw new Error(`thread pool: ${op} failed on a worker thread`);
    },
  };
  active = { workers, ctrl };
  installPool(pool, main);
  return threads;
}

/** Stops the pool started by {@link startThreadPool}; the kernels go back to one thread. */
export async function stopThreadPool(): Promise<void> {
  if (active === null) return;
  const { workers, ctrl } = active;
  active = null;
  installPool(null, null);
  Atomics.store(ctrl, STOP, 1);
  Atomics.add(ctrl, SEQ, 1);
  Atomics.notify(ctrl, SEQ);
  await Promise.all(workers.map((w) => w.terminate()));
}
