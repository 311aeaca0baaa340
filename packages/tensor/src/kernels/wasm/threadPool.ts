import type { KernelPool, PoolOp, PoolTask, WasmKernels } from './abi';
import { gemmWorkOf } from './heap';
import { applyDelta, decodeBase64 } from './embedded';
import { wasmSharedModuleDelta } from './moduleShared.generated';
import { wasmSharedModuleRelaxedDelta } from './moduleSharedRelaxed.generated';
import { getKernelVariant, installPool, stopPool, wasmKernels } from './runtime';
import { moduleBytes } from './simd';

/** Where the pool's control words live in the shared memory (below the kernels' HEAP_BASE). */
const CTRL_BYTE = 1024;
const MAX_THREADS = 16;
// a task's chunks: up to 4 per thread for one op, and a second op's (conv2d's dW beside dX) up to 2 more
const MAX_CHUNKS = 6 * MAX_THREADS;
const OPS: readonly PoolOp[] = ['convForward', 'convWeightGrad', 'convInputGrad', 'gemmCols', 'optimChunk', 'firstNonFiniteChunk', 'convInputGradT', 'gemmBatchRange', 'gemmRows', 'convGradPrep', 'channelSums'];
/**
 * Control words: sequence number, chunks still running, stop flag, failures, then the task (its
 * first op's words, the split, its second op's words), per-thread pointers, the chunk table and
 * the second op's arguments.
 */
const SEQ = 0;
const PENDING = 1;
const STOP = 2;
const FAILED = 3;
const OP = 4; // op index + 1
const NARGS = 5;
const RANGE_AT = 6;
const SCRATCH_AT = 7; // −1: none
const WORK_AT = 8;
const SPLIT = 9; // chunks of the first op; those from here on run the second op (PoolTask.next)
const OP2 = 10; // the second op's OP, NARGS, RANGE_AT, SCRATCH_AT and WORK_AT (OP2 − OP words further on)
const MAX_ARGS = 16;
const ARGS = 16; // the first op's arguments, up to MAX_ARGS
const THREAD = 32; // per thread: scratch pointer, packing-area pointer
const CHUNK = THREAD + 2 * MAX_THREADS; // per chunk: claim flag (0 free, 1 taken), lo, hi
const ARGS2 = CHUNK + 3 * MAX_CHUNKS; // the second op's arguments
const CTRL_WORDS = ARGS2 + MAX_ARGS;
/**
 * Polls of a control word before a thread sleeps in Atomics.wait (about 0.1 ms): a step's
 * pooled ops come back to back, and a sleeping thread takes tens of microseconds to wake.
 */
const SPIN = 20000;

/** What each pool thread receives: the shared module and memory, its id and the control block. */
export interface PoolThreadData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  id: number;
  ctrlByte: number;
  words: number;
  ops: readonly PoolOp[];
}

/**
 * A pool thread's whole program, as source shared by the Node and the browser workers:
 * `poolThread(data, ready)` instantiates the kernels on the shared memory, then on each new
 * task claims free chunks one by one, runs each and counts it down. Any thread may run any
 * chunk (the caller works through them too), so a worker that gets no core for a while, on
 * a busy machine, delays the task by at most the one chunk it holds. A chunk is read only
 * after it was claimed: the caller writes the task before it frees the chunks.
 */
export const POOL_THREAD_SOURCE = `
function poolThread({ module, memory, id, ctrlByte, words, ops }, ready) {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const ctrl = new Int32Array(memory.buffer, ctrlByte, words);
  // read the sequence number before announcing readiness: a task posted right after 'ready'
  // must look like a change, or this thread would sleep through it
  let seen = Atomics.load(ctrl, ${SEQ});
  ready();
  for (;;) {
    // a training step posts its tasks back to back: poll for the next one a little while
    // before sleeping, since waking from Atomics.wait takes tens of microseconds
    for (let spin = 0; spin < ${SPIN} && Atomics.load(ctrl, ${SEQ}) === seen; spin++);
    Atomics.wait(ctrl, ${SEQ}, seen);
    seen = Atomics.load(ctrl, ${SEQ});
    if (Atomics.load(ctrl, ${STOP}) === 1) break;
    for (let c = 0; c < ${MAX_CHUNKS}; c++) {
      const at = ${CHUNK} + 3 * c;
      if (Atomics.compareExchange(ctrl, at, 0, 1) !== 0) continue;
      // the first op's words, or from chunk SPLIT on the second's (each OP2 − OP words further on)
      const w = c < ctrl[${SPLIT}] ? 0 : ${OP2 - OP};
      const from = w === 0 ? ${ARGS} : ${ARGS2};
      const args = Array.from(ctrl.subarray(from, from + ctrl[${NARGS} + w]));
      args[ctrl[${RANGE_AT} + w]] = ctrl[at + 1];
      args[ctrl[${RANGE_AT} + w] + 1] = ctrl[at + 2];
      if (ctrl[${SCRATCH_AT} + w] >= 0) args[ctrl[${SCRATCH_AT} + w]] = ctrl[${THREAD} + 2 * id];
      args[ctrl[${WORK_AT} + w]] = ctrl[${THREAD} + 2 * id + 1];
      try {
        k[ops[ctrl[${OP} + w] - 1]](...args);
      } catch (err) {
        Atomics.add(ctrl, ${FAILED}, 1);
      }
      if (Atomics.sub(ctrl, ${PENDING}, 1) === 1) Atomics.notify(ctrl, ${PENDING});
    }
  }
}
`;

/** A started worker, as the pool needs it: something it can end. */
export interface PoolWorker {
  terminate(): unknown;
}

/** Starts one pool thread running `poolThread(data, ready)`; resolves once it called `ready`. */
export type SpawnPoolThread = (data: PoolThreadData) => Promise<PoolWorker>;

/**
 * Runs every chunk of `task` on the pool whose control block is `ctrl` (`main`: the caller's
 * instance on the shared memory) and returns when all are done.
 */
function runTask(main: WasmKernels, ctrl: Int32Array, threads: number, task: PoolTask): void {
  const first = task.chunks.filter(([lo, hi]) => hi > lo);
  const ops = task.next ? [task, task.next] : [task];
  const chunks = [...first, ...(task.next?.chunks.filter(([lo, hi]) => hi > lo) ?? [])];
  if (chunks.length > MAX_CHUNKS) throw new Error(`thread pool: ${chunks.length} chunks, at most ${MAX_CHUNKS}`);
  for (const op of ops) if (op.args.length > MAX_ARGS) throw new Error(`thread pool: ${op.op} has ${op.args.length} arguments, at most ${MAX_ARGS}`);
  // 1. the task (read by a thread only after it claimed a chunk): each op's words, then the chunks
  ops.forEach((op, i) => {
    const w = i * (OP2 - OP);
    ctrl[OP + w] = OPS.indexOf(op.op) + 1;
    ctrl[NARGS + w] = op.args.length;
    ctrl[RANGE_AT + w] = op.rangeAt;
    ctrl[SCRATCH_AT + w] = op.scratchAt;
    ctrl[WORK_AT + w] = op.workAt;
    for (let a = 0; a < op.args.length; a++) ctrl[(i === 0 ? ARGS : ARGS2) + a] = op.args[a];
  });
  ctrl[SPLIT] = first.length;
  for (let t = 0; t < threads; t++) {
    ctrl[THREAD + 2 * t] = task.scratch[t] ?? 0;
    ctrl[THREAD + 2 * t + 1] = gemmWorkOf(main, t);
  }
  chunks.forEach(([lo, hi], c) => {
    ctrl[CHUNK + 3 * c + 1] = lo;
    ctrl[CHUNK + 3 * c + 2] = hi;
  });
  // 2. free the chunks and wake the workers
  Atomics.store(ctrl, PENDING, chunks.length);
  for (let c = 0; c < chunks.length; c++) Atomics.store(ctrl, CHUNK + 3 * c, 0);
  Atomics.add(ctrl, SEQ, 1);
  Atomics.notify(ctrl, SEQ);
  // 3. work through the chunks too, then wait for those a worker is still running
  const calls = ops.map((op) => {
    const args = [...op.args];
    if (op.scratchAt >= 0) args[op.scratchAt] = task.scratch[0];
    args[op.workAt] = gemmWorkOf(main, 0);
    return { op, args, fn: main[op.op] as (...x: number[]) => void };
  });
  try {
    for (let c = 0; c < chunks.length; c++) {
      if (Atomics.compareExchange(ctrl, CHUNK + 3 * c, 0, 1) !== 0) continue;
      const { op, args, fn } = calls[c < first.length ? 0 : 1];
      args[op.rangeAt] = chunks[c][0];
      args[op.rangeAt + 1] = chunks[c][1];
      try {
        fn(...args);
      } finally {
        Atomics.sub(ctrl, PENDING, 1);
      }
    }
  } finally {
    // even after an error here, no worker may still be running this task when we return
    for (let c = 0; c < chunks.length; c++) if (Atomics.compareExchange(ctrl, CHUNK + 3 * c, 0, 1) === 0) Atomics.sub(ctrl, PENDING, 1);
    // the last chunks are short: poll for them before sleeping (see SPIN)
    for (let spin = 0; spin < SPIN && Atomics.load(ctrl, PENDING) !== 0; spin++);
    for (let p = Atomics.load(ctrl, PENDING); p !== 0; p = Atomics.load(ctrl, PENDING)) Atomics.wait(ctrl, PENDING, p);
  }
  if (Atomics.exchange(ctrl, FAILED, 0) !== 0) throw new Error(`thread pool: ${ops.map((op) => op.op).join(' or ')} failed on a worker thread`);
}

/** Tells the pool's threads to leave their loop, then ends them. */
async function stopThreads(ctrl: Int32Array, workers: readonly PoolWorker[]): Promise<void> {
  Atomics.store(ctrl, STOP, 1);
  Atomics.add(ctrl, SEQ, 1);
  Atomics.notify(ctrl, SEQ);
  await Promise.all(workers.map((w) => w.terminate()));
}

/**
 * @internal Starts a pool of `threads` threads (the caller plus `threads − 1` workers made by
 * `spawn`) on a fresh shared memory and installs it. `where` prefixes error messages.
 */
export async function startPool(threads: number, spawn: SpawnPoolThread, where: string): Promise<number> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`${where}: threads must be an integer in [1, ${MAX_THREADS}], got ${threads}`);
  }
  await stopPool();
  if (threads === 1) return 1;
  if (wasmKernels() === null) throw new Error(`${where}: the thread pool runs the wasm kernels; they are not in use (setKernelBackend)`);
  // the same SIMD build as the module's own instance, so a pool changes no bit
  const variant = getKernelVariant() === 'relaxed-simd' ? 'relaxed-simd' : 'simd';
  const delta = variant === 'relaxed-simd' ? wasmSharedModuleRelaxedDelta : wasmSharedModuleDelta;
  const module = new WebAssembly.Module(applyDelta(moduleBytes(variant), decodeBase64(delta)) as BufferSource);
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 32768, shared: true });
  const main = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmKernels;
  const ctrl = new Int32Array(memory.buffer, CTRL_BYTE, CTRL_WORDS);
  for (let c = 0; c < MAX_CHUNKS; c++) ctrl[CHUNK + 3 * c] = 1; // nothing to claim yet
  const workers = await Promise.all(Array.from({ length: threads - 1 }, (_, i) => spawn({ module, memory, id: i + 1, ctrlByte: CTRL_BYTE, words: CTRL_WORDS, ops: OPS })));
  const pool: KernelPool = { threads, run: (task) => runTask(main, ctrl, threads, task), stop: () => stopThreads(ctrl, workers) };
  installPool(pool, main);
  return threads;
}
