import { Tensor, ValueError } from '@trainkit/tensor';
import type { Batch, Dataset } from '../dataset';

/** Everything an {@link InMemoryImageDataset} is made from. */
export interface InMemoryImageDatasetInit {
  /** Every sample's CHW bytes, one after another. */
  pixels: Uint8Array;
  labels: Int32Array;
  files: readonly string[];
  classes: readonly string[];
  sampleShape: readonly [number, number, number];
  /** Per channel, the value of each byte: `lut[c × 256 + byte]`. */
  lut: Float32Array;
}

/**
 * Decoded images held in memory as bytes (a quarter of the float32 size); `gather` converts
 * the requested samples to float32 CHW (`byte / 255`, or normalised with the given mean and
 * std). The browser counterpart of `@trainkit/data/node`'s `ImageFolderDataset`, with the same
 * fields.
 */
export class InMemoryImageDataset implements Dataset {
  /** Class label of each sample. */
  readonly labels: Int32Array;
  /** The file of each sample, relative to the dataset folder (`cat/001.jpg`). */
  readonly files: readonly string[];
  /** Class names, sorted; label `i` is `classes[i]`. */
  readonly classes: readonly string[];
  readonly sampleShape: readonly number[];
  readonly numClasses: number;
  private readonly pixels: Uint8Array;
  private readonly lut: Float32Array;

  constructor(init: InMemoryImageDatasetInit) {
    const [c, h, w] = init.sampleShape;
    if (init.pixels.length !== init.labels.length * c * h * w || init.files.length !== init.labels.length) {
      throw new ValueError(`InMemoryImageDataset: ${init.pixels.length} bytes, ${init.labels.length} labels and ${init.files.length} files do not fit samples of [${c}, ${h}, ${w}]`);
    }
    this.pixels = init.pixels;
    this.labels = init.labels;
    this.files = init.files;
    this.classes = init.classes;
    this.sampleShape = Object.freeze([...init.sampleShape]);
    this.numClasses = init.classes.length;
    this.lut = init.lut;
  }

  get length(): number {
    return this.labels.length;
  }

  /** The samples at `indices` as one new float32 batch. */
  gather(indices: ArrayLike<number>): Batch {
    const n = indices.length;
    const [c, h, w] = this.sampleShape;
    const plane = h * w;
    const size = c * plane;
    const xs = new Float32Array(n * size);
    const ys = new Int32Array(n);
    const lut = this.lut;
    for (let i = 0; i < n; i++) {
      const j = indices[i];
      if (!(Number.isInteger(j) && j >= 0 && j < this.labels.length)) {
        throw new ValueError(`InMemoryImageDataset.gather: index ${j} is out of range for a dataset of length ${this.labels.length}`);
      }
      for (let k = 0; k < c; k++) {
        const base = k * 256;
        const from = j * size + k * plane;
        const to = i * size + k * plane;
        for (let p = 0; p < plane; p++) xs[to + p] = lut[base + this.pixels[from + p]];
      }
      ys[i] = this.labels[j];
    }
    return { x: new Tensor(xs, [n, ...this.sampleShape]), y: ys };
  }
}
