import { Tensor, ValueError } from '@trainkit/tensor';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Batch, Dataset } from '../dataset';

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
}

/**
 * Images of one split of an image folder, served from the decoded cache on disk: `gather`
 * reads the requested samples' bytes from the cache file and converts them to float32
 * (`byte / 255`, or normalised with the given mean and std). Memory holds only labels and
 * indices, so the dataset may be larger than RAM; the operating system's page cache keeps a
 * dataset that fits in memory there after the first epoch.
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
  private readonly identity: { ino: number; size: number };

  constructor(init: ImageFolderDatasetInit) {
    this.cacheFile = init.cacheFile;
    this.slots = init.slots;
    this.labels = init.labels;
    this.files = init.files;
    this.classes = init.classes;
    this.sampleShape = Object.freeze([...init.sampleShape]);
    this.numClasses = init.classes.length;
    this.lut = init.lut;
    const { ino, size } = fstatOf(init.cacheFile);
    this.identity = { ino, size };
  }

  get length(): number {
    return this.labels.length;
  }

  /** Reads the samples at `indices` from the cache file into one new batch. */
  gather(indices: ArrayLike<number>): Batch {
    const n = indices.length;
    const [c, h, w] = this.sampleShape;
    const plane = h * w;
    const size = c * plane;
    const bytes = new Uint8Array(n * size);
    const ys = new Int32Array(n);
    const fd = openSync(this.cacheFile, 'r');
    try {
      this.checkUnchanged(fd);
      for (let i = 0; i < n; i++) {
        const j = indices[i];
        if (!(Number.isInteger(j) && j >= 0 && j < this.labels.length)) {
          throw new ValueError(`ImageFolderDataset.gather: index ${j} is out of range for a dataset of length ${this.labels.length}`);
        }
        readFully(fd, bytes.subarray(i * size, (i + 1) * size), this.slots[j] * size, this.cacheFile);
        ys[i] = this.labels[j];
      }
    } finally {
      closeSync(fd);
    }
    const xs = new Float32Array(n * size);
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
    if (ino !== this.identity.ino || size !== this.identity.size) {
      throw new Error(`ImageFolderDataset: the cache file ${this.cacheFile} was replaced (rebuilt by another imageFolder call with other options or files); load the folder again`);
    }
  }
}

function fstatOf(path: string): { ino: number; size: number } {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd);
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
