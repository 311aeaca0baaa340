import { Worker } from 'node:worker_threads';

/**
 * The reading thread, CommonJS source run with `eval`: for each request it checks that the
 * cache file is still the one the dataset was made from, reads the requested samples' bytes
 * and converts them to float32 through the lookup table, and hands the floats back.
 */
const READER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { path, ino, size, sampleBytes, channels, lut } = workerData;
const plane = sampleBytes / channels;
let fd = -1;
parentPort.on('message', ({ id, slots }) => {
  try {
    const st = fs.statSync(path);
    if (st.ino !== ino || st.size !== size) return parentPort.postMessage({ id, replaced: true });
    if (fd < 0) fd = fs.openSync(path, 'r');
    const n = slots.length;
    const bytes = new Uint8Array(n * sampleBytes);
    for (let i = 0; i < n; i++) {
      for (let done = 0; done < sampleBytes; ) {
        const got = fs.readSync(fd, bytes, i * sampleBytes + done, sampleBytes - done, slots[i] * sampleBytes + done);
        if (got === 0) throw new Error(path + ' ended early at byte ' + (slots[i] * sampleBytes + done));
        done += got;
      }
    }
    const xs = new Float32Array(n * sampleBytes);
    for (let i = 0; i < n * channels; i++) {
      const base = (i % channels) * 256;
      for (let p = i * plane, end = p + plane; p < end; p++) xs[p] = lut[base + bytes[p]];
    }
    parentPort.postMessage({ id, xs }, [xs.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

/** Which file a {@link CacheReader} reads, and how. */
export interface CacheReaderInit {
  path: string;
  /** The cache file's inode and size when the dataset was made: a file replaced since is refused. */
  identity: { ino: number; size: number };
  sampleBytes: number;
  channels: number;
  lut: Float32Array;
}

/** A reader dropped with its dataset ends its thread. */
const dropped = new FinalizationRegistry<Worker>((w) => void w.terminate());

/**
 * A worker thread that reads samples from a decoded cache file and converts them to float32,
 * so the thread that trains spends on a batch only the time to receive it. The thread keeps
 * the process alive only while a read is pending.
 */
export class CacheReader {
  // the thread's handlers close over these two only, never over the reader, so a reader
  // dropped with its dataset can be collected (and its thread ended)
  private readonly state: { worker: Worker | undefined } = { worker: undefined };
  private readonly pending = new Map<number, { resolve(xs: Float32Array): void; reject(e: Error): void }>();
  private nextId = 0;

  constructor(private readonly init: CacheReaderInit) {}

  /** The float32 values of the samples in cache slots `slots`, one after another. */
  read(slots: Int32Array): Promise<Float32Array> {
    const worker = this.state.worker ?? this.start();
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, slots });
    });
  }

  private start(): Worker {
    const { path, identity, sampleBytes, channels, lut } = this.init;
    const { pending, state } = this;
    const worker = new Worker(READER_SOURCE, { eval: true, execArgv: [], workerData: { path, ...identity, sampleBytes, channels, lut } });
    worker.on('message', (m: { id: number; xs?: Float32Array; error?: string; replaced?: boolean }) => {
      const job = pending.get(m.id);
      if (job === undefined) return;
      pending.delete(m.id);
      if (pending.size === 0) worker.unref();
      if (m.xs !== undefined) job.resolve(m.xs);
      else job.reject(new Error(m.replaced === true ? replacedMessage(path) : `ImageFolderDataset: ${m.error ?? 'read failed'}`));
    });
    const fail = (e: Error): void => {
      for (const job of pending.values()) job.reject(e);
      pending.clear();
      state.worker = undefined;
    };
    worker.on('error', (e) => fail(new Error(`ImageFolderDataset: the reading thread crashed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => fail(new Error(`ImageFolderDataset: the reading thread exited (code ${code})`)));
    worker.unref(); // after the listeners: adding one refs the port again
    dropped.register(this, worker);
    state.worker = worker;
    return worker;
  }
}

/** The error of reading a cache file that another imageFolder call has rebuilt since. */
export function replacedMessage(path: string): string {
  return `ImageFolderDataset: the cache file ${path} was replaced (rebuilt by another imageFolder call with other options or files); load the folder again`;
}
