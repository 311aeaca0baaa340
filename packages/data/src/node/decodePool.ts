import { Worker } from 'node:worker_threads';
import type { DecodeSpec } from '../imageOptions';

export type { DecodeSpec };

/** An image to decode, and where its CHW bytes go in the file being written. */
export interface DecodeItem {
  path: string;
  /** Byte offset of the image's `channels × height × width` bytes in the file. */
  position: number;
}

/**
 * The decoding worker, CommonJS source run with `eval` (so it works unchanged from the
 * TypeScript sources and from the build). It takes chunks of images; `lanes` images are
 * decoded at a time, across chunks, so the decoder never waits for a chunk boundary. sharp
 * reads each file, keeps the first frame, drops alpha, converts to grey or sRGB and resizes,
 * turning the image upright by its EXIF orientation unless the spec says 'ignore' (`rotate()`
 * without an angle: the size asked for is the upright image's; sharp does not orient unasked);
 * the bytes are turned channel-major (CHW) straight into the chunk's buffer, and a finished
 * chunk is written into the file with one positioned write per run of consecutive slots, then
 * answered with one message listing the images that did not decode (their bytes stay zero).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const sharp = require(workerData.sharp);
const { spec: s, lanes } = workerData;
const bytes = s.channels * s.width * s.height;
const background = { r: 0, g: 0, b: 0 };
const message = (e) => String((e && e.message) || e).replace(/\\s+/g, ' ').trim();
const waiting = [];
let running = 0;
parentPort.on('message', (chunk) => {
  chunk.out = new Uint8Array(chunk.paths.length * bytes);
  chunk.left = chunk.paths.length;
  chunk.errors = [];
  for (let i = 0; i < chunk.paths.length; i++) waiting.push(chunk, i);
  pump();
});
function pump() {
  while (running < lanes && waiting.length > 0) {
    running++;
    decode(waiting.shift(), waiting.shift());
  }
}
function decode(chunk, i) {
  const image = sharp(chunk.paths[i], { pages: 1 });
  (s.orientation === 'ignore' ? image : image.rotate())
    .removeAlpha()
    .toColourspace(s.channels === 1 ? 'b-w' : 'srgb')
    .resize(s.width, s.height, { fit: s.fit, background })
    .raw()
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => {
      if (info.channels !== s.channels || info.width !== s.width || info.height !== s.height) {
        chunk.errors.push([i, 'decoded to ' + info.width + '×' + info.height + '×' + info.channels + ', expected ' + s.width + '×' + s.height + '×' + s.channels]);
        return;
      }
      toChw(data, chunk.out, i * bytes);
    }, (e) => void chunk.errors.push([i, message(e)]))
    .then(() => {
      running--;
      if (--chunk.left === 0) finish(chunk);
      pump();
    });
}
// interleaved HWC to channel-major CHW at out[o…], here rather than on the thread that trains
// (one pass over the pixels, reading them in order)
function toChw(data, out, o) {
  const plane = s.width * s.height;
  if (s.channels === 1) return out.set(data, o);
  for (let p = 0, j = 0, g = o + plane, b = o + 2 * plane; p < plane; p++, j += 3) {
    out[o + p] = data[j];
    out[g + p] = data[j + 1];
    out[b + p] = data[j + 2];
  }
}
function finish(chunk) {
  try {
    const n = chunk.paths.length, at = chunk.positions;
    for (let start = 0, i = 1; i <= n; i++) {
      if (i < n && at[i] === at[i - 1] + bytes) continue;
      for (let done = start * bytes, end = i * bytes; done < end; ) done += writeSync(chunk.fd, chunk.out, done, end - done, at[start] + done - start * bytes);
      start = i;
    }
    parentPort.postMessage({ id: chunk.id, errors: chunk.errors });
  } catch (e) {
    parentPort.postMessage({ id: chunk.id, fatal: message(e) });
  }
}
`;

interface WorkerReply {
  id: number;
  errors?: [number, string][];
  fatal?: string;
}

/** Options of {@link DecodePool}. */
export interface PoolOptions {
  /** Entry file of sharp, which each worker requires. */
  sharpPath: string;
  workers: number;
  /** Decodes in flight per worker. */
  prefetch: number;
}

/** One {@link DecodePool.decode} call. */
interface Call {
  left: number;
  done: boolean;
  onError(index: number, reason: string): void;
  resolve(): void;
  reject(error: Error): void;
}

interface Chunk {
  id: number;
  fd: number;
  items: readonly DecodeItem[];
  /** Index of the chunk's first item in its call. */
  first: number;
  call: Call;
}

/** Chunks in flight per worker: one being decoded, the next one waiting, so the worker never idles between them. */
const CHUNKS_PER_WORKER = 2;

/**
 * Worker threads that decode images with sharp straight into a file: {@link decode} splits
 * the images into chunks of about half a megabyte; each worker decodes `prefetch` images at a
 * time and writes each finished chunk at its images' positions itself, so the pixels never
 * cross to this thread and each chunk costs one message each way. The workers do not keep the
 * process alive while idle; {@link close} ends them.
 */
export class DecodePool {
  private readonly workers: Worker[];
  private readonly busy: Map<number, Chunk>[];
  private readonly queue: Chunk[] = [];
  private readonly chunkImages: number;
  private nextId = 0;
  private failure: Error | undefined;

  constructor(
    readonly spec: DecodeSpec,
    options: PoolOptions,
  ) {
    const workerData = { sharp: options.sharpPath, spec, lanes: options.prefetch };
    this.chunkImages = Math.max(1, Math.min(64, Math.floor(2 ** 19 / (spec.channels * spec.width * spec.height))));
    this.workers = Array.from({ length: options.workers }, () => new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData }));
    this.busy = this.workers.map(() => new Map());
    this.workers.forEach((w, k) => {
      w.on('message', (reply: WorkerReply) => this.settle(k, reply));
      w.on('error', (e) => this.fail(new Error(`imageFolder: a decoding worker crashed: ${e.message}`, { cause: e })));
      w.on('exit', (code) => this.fail(new Error(`imageFolder: a decoding worker exited (code ${code}) before all images were decoded`)));
      w.unref(); // idle workers do not keep the process alive (after the listeners: adding one refs the port again)
    });
  }

  /**
   * Decodes `items` and writes their CHW bytes into the file open as `fd` (for writing), each
   * at its position; resolves once all are written. An image that does not decode is passed to
   * `onError` (with its index in `items`) and its bytes are left zero; the call rejects when
   * `onError` throws, a write fails or a worker dies.
   */
  decode(fd: number, items: readonly DecodeItem[], onError: (index: number, reason: string) => void): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (items.length === 0) return Promise.resolve();
    const size = Math.min(this.chunkImages, Math.ceil(items.length / this.workers.length)); // a small call still reaches every worker
    return new Promise((resolve, reject) => {
      const call: Call = { left: Math.ceil(items.length / size), done: false, onError, resolve, reject };
      for (let first = 0; first < items.length; first += size) this.queue.push({ id: this.nextId++, fd, items: items.slice(first, first + size), first, call });
      this.pump();
    });
  }

  /** Stops the workers; pending decodes reject. */
  async close(): Promise<void> {
    this.fail(new Error('imageFolder: the decoding workers were closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let k = 0;
      for (let j = 1; j < this.workers.length; j++) if (this.busy[j].size < this.busy[k].size) k = j;
      if (this.busy[k].size >= CHUNKS_PER_WORKER) return;
      const chunk = this.queue.shift() as Chunk;
      if (chunk.call.done) continue; // its call already failed
      if (this.busy[k].size === 0) this.workers[k].ref(); // a chunk in flight keeps the process alive
      this.busy[k].set(chunk.id, chunk);
      this.workers[k].postMessage({ id: chunk.id, fd: chunk.fd, paths: chunk.items.map((i) => i.path), positions: chunk.items.map((i) => i.position) });
    }
  }

  private settle(k: number, reply: WorkerReply): void {
    const chunk = this.busy[k].get(reply.id);
    if (chunk === undefined) return;
    this.busy[k].delete(reply.id);
    if (this.busy[k].size === 0) this.workers[k].unref();
    const { call } = chunk;
    if (!call.done) {
      try {
        if (reply.fatal !== undefined) throw new Error(`imageFolder: cannot write decoded images into the cache file: ${reply.fatal}`);
        for (const [i, reason] of reply.errors ?? []) call.onError(chunk.first + i, reason);
        if (--call.left === 0) settleCall(call);
      } catch (e) {
        settleCall(call, e as Error);
      }
    }
    this.pump();
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const chunk of [...this.queue, ...this.busy.flatMap((m) => [...m.values()])]) if (!chunk.call.done) settleCall(chunk.call, error);
    this.queue.length = 0;
    for (const m of this.busy) m.clear();
  }
}

function settleCall(call: Call, error?: Error): void {
  call.done = true;
  if (error === undefined) call.resolve();
  else call.reject(error);
}
