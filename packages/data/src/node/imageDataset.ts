import { Tensor, ValueError } from '@trainkit/tensor';
import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Batch, Dataset } from '../dataset';
import { CacheReader, replacedMessage } from './cacheReader';
import type { CacheBuilder } from './lazyCache';

/** Everything an {@link ImageFolderDataset} is made from. */
export interface ImageFolderDatasetInit {
  /** The decoded cache file the pixels are read from. */
  cacheFile: string;
  /** For each sample, its slot in the cache file. */
  slots: Int32Array;
  labels: Int32Array;
  /** For each sample, its file relative to the dataset folder. */
  files: readonly string[];
  classes: readonly string[];
  sampleShape: readonly [number, number, number];
  /** Per channel, the value of each byte: `lut[c × 256 + byte]`. */
  lut: Float32Array;
  /** Present while the cache is written by the first epoch (`lazy`): the images are decoded as they are gathered. */
  builder?: CacheBuilder;
}

/**
 * Images of one split of an image folder, served from the decoded cache on disk: `gather`
 * reads the requested samples' bytes from the cache file and converts them to float32
 * (`byte / 255`, or normalised with the given mean and std). Memory holds only labels and
 * indices, so the dataset may be larger than RAM; the operating system's page cache keeps a
 * dataset that fits in memory there after the first epoch.
 *
 * `gatherAsync` (which `DataLoader.epochAsync`, and so the Trainer, calls for the next
 * batches while the current one trains) reads without blocking; for a split opened with
 * `lazy: true` it also decodes the images it needs in the worker threads, so the first epoch's
 * decoding overlaps training. Until every image of such a split is decoded, only
 * `gatherAsync` (or `decodeAll`) can fetch the images not decoded yet.
 */
export class ImageFolderDataset implements Dataset {
  /** The cache file the pixels come from. */
  readonly cacheFile: string;
  /** Class label of each sample. */
  readonly labels: Int32Array;
  /** The file of each sample, relative to the dataset folder (`cat/001.jpg`). */
  readonly files: readonly string[];
  /** Class names, sorted; label `i` is `classes[i]`. */
  readonly classes: readonly string[];
  readonly sampleShape: readonly number[];
  readonly numClasses: number;
  private readonly slots: Int32Array;
  private readonly lut: Float32Array;
  private readonly identity: { ino: number; size: number } | undefined;
  private readonly builder: CacheBuilder | undefined;
  private reader: CacheReader | undefined;

  constructor(init: ImageFolderDatasetInit) {
    this.cacheFile = init.cacheFile;
    this.slots = init.slots;
    this.labels = init.labels;
    this.files = init.files;
    this.classes = init.classes;
    this.sampleShape = Object.freeze([...init.sampleShape]);
    this.numClasses = init.classes.length;
    this.lut = init.lut;
    this.builder = init.builder;
    this.identity = this.builder === undefined ? identityOf(init.cacheFile) : undefined;
  }

  get length(): number {
    return this.labels.length;
  }

  /** Reads the samples at `indices` from the cache file into one new batch. */
  gather(indices: ArrayLike<number>): Batch {
    const slots = this.slotsOf(indices, 'gather');
    const b = this.builder;
    if (b !== undefined) {
      const missing = Array.from(slots).filter((s) => !b.has(s)).length;
      if (missing > 0) throw new Error(`ImageFolderDataset.gather: ${missing} of these ${slots.length} images are not decoded yet (this split decodes during the first epoch, lazy: true); use gatherAsync (DataLoader.epochAsync, as the Trainer does) or await decodeAll() first`);
    }
    const fd = b?.fd ?? openSync(this.cacheFile, 'r');
    try {
      if (b === undefined) this.checkUnchanged(fd);
      const bytes = new Uint8Array(slots.length * this.sampleBytes);
      for (let i = 0; i < slots.length; i++) readFully(fd, bytes.subarray(i * this.sampleBytes, (i + 1) * this.sampleBytes), slots[i] * this.sampleBytes, this.cacheFile);
      return this.toBatch(bytes, indices);
    } finally {
      if (b === undefined) closeSync(fd);
    }
  }

  /**
   * The same batch as {@link gather}, without blocking the thread: a reading thread reads the
   * cache and converts the bytes to float32, and a lazily decoded split first decodes the
   * images it lacks in its decoding threads.
   */
  async gatherAsync(indices: ArrayLike<number>): Promise<Batch> {
    const slots = this.slotsOf(indices, 'gatherAsync');
    const b = this.builder;
    if (b !== undefined && !b.committed) {
      await Promise.all(Array.from(slots, (s) => b.ensure(s)));
      await b.finished;
    }
    if (b === undefined || b.committed) {
      const xs = await this.cacheReader().read(slots);
      return { x: new Tensor(xs, [slots.length, ...this.sampleShape]), y: Int32Array.from(indices, (j) => this.labels[j]) };
    }
    // the first epoch of a lazy split: the bytes come from the cache file being written
    const size = this.sampleBytes;
    const bytes = new Uint8Array(slots.length * size);
    await Promise.all(Array.from(slots, (slot, i) => readFullyAsync(b.fd, bytes.subarray(i * size, (i + 1) * size), slot * size, this.cacheFile)));
    return this.toBatch(bytes, indices);
  }

  private cacheReader(): CacheReader {
    if (this.reader === undefined) {
      const { ino, size } = this.identity ?? fstatSync((this.builder as CacheBuilder).fd); // a lazy split's file, now committed
      this.reader = new CacheReader({ path: this.cacheFile, identity: { ino, size }, sampleBytes: this.sampleBytes, channels: this.sampleShape[0], lut: this.lut });
    }
    return this.reader;
  }

  /** Decodes every image not decoded yet (a no-op unless the split was opened with `lazy: true`), committing the cache. */
  async decodeAll(): Promise<void> {
    const b = this.builder;
    if (b === undefined) return;
    await Promise.all(Array.from(this.slots, (s) => b.ensure(s)));
    await b.finished;
  }

  private get sampleBytes(): number {
    return this.sampleShape.reduce((a, d) => a * d, 1);
  }

  /** The cache slots of `indices`, checked. */
  private slotsOf(indices: ArrayLike<number>, method: string): Int32Array {
    const slots = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      if (!(Number.isInteger(j) && j >= 0 && j < this.labels.length)) {
        throw new ValueError(`ImageFolderDataset.${method}: index ${j} is out of range for a dataset of length ${this.labels.length}`);
      }
      slots[i] = this.slots[j];
    }
    return slots;
  }

  /** The batch of the samples at `indices`, from their cache bytes (in the same order). */
  private toBatch(bytes: Uint8Array, indices: ArrayLike<number>): Batch {
    const n = indices.length;
    const [c, h, w] = this.sampleShape;
    const plane = h * w;
    const ys = Int32Array.from(indices, (j) => this.labels[j]);
    const xs = new Float32Array(n * c * plane);
    const lut = this.lut;
    for (let i = 0; i < n * c; i++) {
      const base = (i % c) * 256;
      for (let p = i * plane, end = p + plane; p < end; p++) xs[p] = lut[base + bytes[p]];
    }
    return { x: new Tensor(xs, [n, ...this.sampleShape]), y: ys };
  }

  /** The file read must still be the cache this dataset was made from (another call may have rebuilt it). */
  private checkUnchanged(fd: number): void {
    const { ino, size } = fstatSync(fd);
    if (ino !== this.identity?.ino || size !== this.identity.size) throw new Error(replacedMessage(this.cacheFile));
  }
}

const readAsync = promisify(read);

function identityOf(path: string): { ino: number; size: number } {
  const fd = openSync(path, 'r');
  try {
    const { ino, size } = fstatSync(fd);
    return { ino, size };
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    const got = readSync(fd, into, done, into.length - done, position + done);
    if (got === 0) throw new Error(`ImageFolderDataset: ${path} ended early at byte ${position + done}`);
    done += got;
  }
}

async function readFullyAsync(fd: number, into: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await readAsync(fd, into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`ImageFolderDataset: ${path} ended early at byte ${position + done}`);
    done += bytesRead;
  }
}
