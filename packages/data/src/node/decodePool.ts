import { Worker } from 'node:worker_threads';

/** How every image of one dataset is decoded: resized to `height × width`, `channels` 1 (grey) or 3 (sRGB). */
export interface DecodeSpec {
  width: number;
  height: number;
  channels: 1 | 3;
  fit: 'cover' | 'contain' | 'fill';
}

/** A decoded image: `channels × height × width` bytes, channel-major (CHW). */
export type DecodeResult = { index: number; pixels: Uint8Array } | { index: number; error: string };

/**
 * The decoding worker, CommonJS source run with `eval` (so it works unchanged from the
 * TypeScript sources and from the build): sharp reads the file, keeps the first frame,
 * drops alpha, converts to grey or sRGB, resizes and returns raw interleaved (HWC) bytes.
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
      const hwc = new Uint8Array(data);
      parentPort.postMessage({ index: job.index, hwc, channels: info.channels, width: info.width, height: info.height }, [hwc.buffer]);
    }, (e) => parentPort.postMessage({ index: job.index, error: String((e && e.message) || e).replace(/\\s+/g, ' ').trim() }));
});
`;

interface WorkerReply {
  index: number;
  hwc?: Uint8Array;
  channels?: number;
  width?: number;
  height?: number;
  error?: string;
}

/** Options of {@link decodeImages}. */
export interface PoolOptions {
  /** Entry file of sharp, which each worker requires. */
  sharpPath: string;
  workers: number;
  /** Decodes in flight per worker: the bounded prefetch queue (decoded images wait in memory only until `onResult` resolves). */
  prefetch: number;
  /** Called once per file, in completion order; the next file is sent only after it resolves. */
  onResult(result: DecodeResult): Promise<void>;
}

/**
 * Decodes `paths` in worker threads, at most `workers × prefetch` at a time, and hands each
 * result to `onResult`. Rejects (and stops every worker) when `onResult` throws or a worker
 * crashes.
 */
export async function decodeImages(paths: readonly string[], spec: DecodeSpec, options: PoolOptions): Promise<void> {
  const count = Math.max(1, Math.min(options.workers, paths.length));
  const workers = Array.from({ length: count }, () => new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { sharp: options.sharpPath, spec } }));
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      if (paths.length === 0) return resolve();
      const feed = (w: Worker): void => {
        if (next < paths.length) w.postMessage({ index: next, path: paths[next++] });
      };
      for (const w of workers) {
        w.on('message', (reply: WorkerReply) => {
          options.onResult(toResult(reply, spec, paths)).then(() => {
            if (++done === paths.length) resolve();
            else feed(w);
          }, reject);
        });
        w.on('error', (e) => reject(new Error(`imageFolder: a decoding worker crashed: ${e.message}`, { cause: e })));
        w.on('exit', (code) => reject(new Error(`imageFolder: a decoding worker exited (code ${code}) before all images were decoded`)));
        for (let k = 0; k < options.prefetch; k++) feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function toResult(reply: WorkerReply, spec: DecodeSpec, paths: readonly string[]): DecodeResult {
  const { index, hwc, channels, width, height, error } = reply;
  if (error !== undefined || hwc === undefined) return { index, error: error ?? 'no pixels' };
  if (channels !== spec.channels || width !== spec.width || height !== spec.height) {
    return { index, error: `decoded to ${width}×${height}×${channels}, expected ${spec.width}×${spec.height}×${spec.channels} (${paths[index]})` };
  }
  return { index, pixels: hwcToChw(hwc, spec) };
}

/** Interleaved `H × W × C` bytes to channel-major `C × H × W`. */
export function hwcToChw(hwc: Uint8Array, spec: DecodeSpec): Uint8Array {
  const { channels: c, width, height } = spec;
  if (c === 1) return hwc;
  const plane = width * height;
  const chw = new Uint8Array(hwc.length);
  for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) chw[k * plane + p] = hwc[p * c + k];
  return chw;
}
