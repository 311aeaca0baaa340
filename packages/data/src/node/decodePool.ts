import { Worker } from 'node:worker_threads';
import type { DecodeSpec } from '../imageOptions';

export type { DecodeSpec };

/** A decoded image: `channels × height × width` bytes, channel-major (CHW). */
export type DecodeResult = { index: number; pixels: Uint8Array } | { index: number; error: string };

/**
 * The decoding worker, CommonJS source run with `eval` (so it works unchanged from the
 * TypeScript sources and from the build): sharp reads the file, keeps the first frame,
 * drops alpha, converts to grey or sRGB, resizes and returns the bytes channel-major (CHW).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const sharp = require(workerData.sharp);
const s = workerData.spec;
const background = { r: 0, g: 0, b: 0 };
parentPort.on('message', (job) => {
  sharp(job.path, { pages: 1 })
    .removeAlpha()
    .toColourspace(s.channels === 1 ? 'b-w' : 'srgb')
    .resize(s.width, s.height, { fit: s.fit, background })
    .raw()
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => {
      // interleaved HWC to channel-major CHW, here rather than on the thread that trains
      const c = info.channels;
      const plane = info.width * info.height;
      const chw = new Uint8Array(data.length);
      for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) chw[k * plane + p] = data[p * c + k];
      parentPort.postMessage({ index: job.index, chw, channels: c, width: info.width, height: info.height }, [chw.buffer]);
    }, (e) => parentPort.postMessage({ index: job.index, error: String((e && e.message) || e).replace(/\\s+/g, ' ').trim() }));
});
`;

interface WorkerReply {
  index: number;
  chw?: Uint8Array;
  channels?: number;
  width?: number;
  height?: number;
  error?: string;
}

/** Options of {@link DecodePool}. */
export interface PoolOptions {
  /** Entry file of sharp, which each worker requires. */
  sharpPath: string;
  workers: number;
  /** Decodes in flight per worker; further requests wait in a queue of paths. */
  prefetch: number;
}

interface Job {
  path: string;
  resolve(result: { pixels: Uint8Array } | { error: string }): void;
  reject(error: Error): void;
}

/**
 * Worker threads that decode images with sharp: {@link decode} queues a file and resolves
 * with its CHW bytes (or the reason it did not decode), at most `workers × prefetch` files
 * being decoded at once. The workers do not keep the process alive; {@link close} ends them.
 */
export class DecodePool {
  private readonly workers: Worker[];
  private readonly busy: Map<number, Job>[];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  constructor(
    readonly spec: DecodeSpec,
    private readonly options: PoolOptions,
  ) {
    this.workers = Array.from({ length: options.workers }, () => new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { sharp: options.sharpPath, spec } }));
    this.busy = this.workers.map(() => new Map());
    this.workers.forEach((w, k) => {
      w.on('message', (reply: WorkerReply) => this.settle(k, reply));
      w.on('error', (e) => this.fail(new Error(`imageFolder: a decoding worker crashed: ${e.message}`, { cause: e })));
      w.on('exit', (code) => this.fail(new Error(`imageFolder: a decoding worker exited (code ${code}) before all images were decoded`)));
      w.unref(); // idle workers do not keep the process alive (after the listeners: adding one refs the port again)
    });
  }

  /** The CHW bytes of the image at `path`, or why it did not decode. Rejects only when a worker died. */
  decode(path: string): Promise<{ pixels: Uint8Array } | { error: string }> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ path, resolve, reject });
      this.pump();
    });
  }

  /** Stops the workers; pending decodes reject. */
  async close(): Promise<void> {
    this.fail(new Error('imageFolder: the decoding workers were closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private pump(): void {
    for (let k = 0; k < this.workers.length && this.queue.length > 0; k++) {
      while (this.busy[k].size < this.options.prefetch && this.queue.length > 0) {
        const job = this.queue.shift() as Job;
        const index = this.nextId++;
        if (this.busy[k].size === 0) this.workers[k].ref(); // a decode in flight keeps the process alive
        this.busy[k].set(index, job);
        this.workers[k].postMessage({ index, path: job.path });
      }
    }
  }

  private settle(k: number, reply: WorkerReply): void {
    const job = this.busy[k].get(reply.index);
    if (job === undefined) return;
    this.busy[k].delete(reply.index);
    job.resolve(toResult(reply, this.spec, job.path));
    this.pump();
    if (this.busy[k].size === 0) this.workers[k].unref();
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const job of [...this.queue, ...this.busy.flatMap((m) => [...m.values()])]) job.reject(error);
    this.queue.length = 0;
    for (const m of this.busy) m.clear();
  }
}

/**
 * Decodes `paths` with a {@link DecodePool}, at most `workers × prefetch` at a time (as many
 * more wait in its queue), and hands each result to `onResult`, in completion order; at most
 * `2 × workers × prefetch` files are between queued and handled at once.
 * Rejects (and stops every worker) when `onResult` throws or a worker crashes.
 */
export async function decodeImages(paths: readonly string[], spec: DecodeSpec, options: PoolOptions & { onResult(result: DecodeResult): Promise<void> }): Promise<void> {
  if (paths.length === 0) return;
  const workers = Math.max(1, Math.min(options.workers, paths.length));
  const pool = new DecodePool(spec, { ...options, workers });
  const limit = 2 * workers * options.prefetch; // half decoding, half queued or being written: workers never wait for a write
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const start = (): void => {
        const index = next++;
        pool
          .decode(paths[index])
          .then((r) => options.onResult({ index, ...r }))
          .then(() => (++done === paths.length ? resolve() : next < paths.length && start()), reject);
      };
      while (next < Math.min(limit, paths.length)) start();
    });
  } finally {
    await pool.close();
  }
}

function toResult(reply: WorkerReply, spec: DecodeSpec, path: string): { pixels: Uint8Array } | { error: string } {
  const { chw, channels, width, height, error } = reply;
  if (error !== undefined || chw === undefined) return { error: error ?? 'no pixels' };
  if (channels !== spec.channels || width !== spec.width || height !== spec.height) {
    return { error: `decoded to ${width}×${height}×${channels}, expected ${spec.width}×${spec.height}×${spec.channels} (${path})` };
  }
  return { pixels: chw };
}
