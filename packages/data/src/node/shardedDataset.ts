import { Tensor, ValueError } from '@trainkit/tensor';
import type { Batch } from '../dataset';
import { type LoadedShard, type ShardManifest, checkPositiveInt, readManifest, readShard, sampleSizeOf } from './shardFormat';
import { type ShardGroup, epochGroups, groupOrder } from './shardOrder';

/** Options of {@link shardedDataset}. */
export interface ShardedDatasetOptions {
  /** Examples per batch, a positive integer. */
  batchSize: number;
  /** Seed of the shard order and the in-buffer shuffle, an integer in [0, 2^32). Default 0. */
  seed?: number;
  /** Shards held in memory at once; their examples are shuffled together. Default 4. */
  bufferShards?: number;
  /** Visit shards in a seeded random order and shuffle within each buffer. Default true. */
  shuffle?: boolean;
  /** Drop the last batch of an epoch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
}

/** Where a {@link ShardedLoader} is, and what it must match to resume there exactly. */
export interface ShardedLoaderState {
  /** The epoch of the next batch. */
  epoch: number;
  /** Index in that epoch of the next batch. */
  batch: number;
  /** Seed of that epoch's order. */
  seed: number;
  /** CRC-32 of the dataset's manifest. */
  dataset: string;
  batchSize: number;
  bufferShards: number;
  shuffle: boolean;
  dropLast: boolean;
}

/**
 * Opens the sharded dataset that {@link writeShards} wrote to `dir` (reading only its
 * manifest) and returns a loader that reads it with bounded memory.
 *
 * @throws ShardError when the manifest is missing or malformed; ValueError on a bad option.
 */
export function shardedDataset(dir: string, options: ShardedDatasetOptions): ShardedLoader {
  const { manifest, checksum } = readManifest(dir);
  return new ShardedLoader(dir, manifest, checksum, options);
}

/**
 * Batches from a sharded dataset on disk, holding at most `bufferShards` shards (plus the
 * batch being filled) in memory, so the dataset may be far larger than RAM.
 *
 * An epoch visits the shards in a seeded random order, `bufferShards` at a time, and the
 * examples of each such buffer in a seeded random order. Like DataLoader's, that order is a
 * pure function of `(seed, epoch)`: `epoch(e, { startBatch: k })` yields exactly the batches
 * an uninterrupted `epoch(e)` yields after its first `k`, reading only the shards it needs.
 * It is a DataSource, so a Trainer trains on it and resumes it mid-epoch from a checkpoint
 * as it does a DataLoader; {@link stateDict} and {@link resume} do the same for a loop of
 * your own. Every shard is checked against its size and CRC-32 each time it is read.
 *
 * @example
 * const train = shardedDataset('data/train-shards', { batchSize: 64, seed: 1 });
 * for (let e = 0; e < 3; e++) for (const { x, y } of train.epoch(e)) step(x, y);
 */
export class ShardedLoader {
  /** Examples per batch. */
  readonly batchSize: number;
  /** Default seed ({@link epoch}'s `seed` option overrides it per call). */
  readonly seed: number;
  /** Shards held in memory at once. */
  readonly bufferShards: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** Shape of one example's input. */
  readonly sampleShape: readonly number[];
  /** Number of classes, when the manifest records it. */
  readonly numClasses?: number;
  private readonly sampleSize: number;
  private position: { epoch: number; batch: number; seed: number };

  constructor(
    /** The dataset's directory. */
    readonly dir: string,
    /** The dataset's manifest. */
    readonly manifest: ShardManifest,
    private readonly manifestChecksum: string,
    options: ShardedDatasetOptions,
  ) {
    const { batchSize, seed = 0, bufferShards = 4, shuffle = true, dropLast = false } = options ?? ({} as ShardedDatasetOptions);
    checkPositiveInt('shardedDataset', 'batchSize', batchSize);
    checkPositiveInt('shardedDataset', 'bufferShards', bufferShards);
    checkSeed('shardedDataset', seed);
    if (dropLast && manifest.count < batchSize) {
      throw new ValueError(`shardedDataset: ${dir} holds ${manifest.count} examples, fewer than batchSize ${batchSize}, so with dropLast: true every epoch would be empty`);
    }
    this.batchSize = batchSize;
    this.seed = seed;
    this.bufferShards = bufferShards;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.sampleShape = Object.freeze([...manifest.sampleShape]);
    if (manifest.numClasses !== undefined) this.numClasses = manifest.numClasses;
    this.sampleSize = sampleSizeOf(manifest.sampleShape);
    this.position = { epoch: 0, batch: 0, seed };
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.manifest.count;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Examples in the dataset. */
  get numSamples(): number {
    return this.manifest.count;
  }

  /**
   * The batches of epoch `epoch` (0-based) from batch `startBatch` on. Options are checked
   * when this is called; shards are read as iteration reaches them.
   */
  epoch(epoch: number, options: { seed?: number; startBatch?: number } = {}): IterableIterator<Batch> {
    const { seed = this.seed, startBatch = 0 } = options;
    if (!Number.isInteger(epoch) || epoch < 0) throw new ValueError(`ShardedLoader.epoch: epoch must be a non-negative integer, got ${epoch}`);
    checkSeed('ShardedLoader.epoch', seed);
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > this.length) {
      throw new ValueError(`ShardedLoader.epoch: startBatch must be an integer in [0, ${this.length}], got ${startBatch}`);
    }
    return this.batches(epoch, seed, startBatch);
  }

  /** The batches of epoch 0. */
  [Symbol.iterator](): IterableIterator<Batch> {
    return this.epoch(0);
  }

  /** The position after the last batch handed out (by {@link epoch} or {@link resume}), with what resuming there requires. */
  stateDict(): ShardedLoaderState {
    const { batchSize, bufferShards, shuffle, dropLast } = this;
    return { ...this.position, dataset: this.manifestChecksum, batchSize, bufferShards, shuffle, dropLast };
  }

  /**
   * Moves to a position saved by {@link stateDict}; {@link resume} then continues from it.
   * @throws ValueError when the state was taken on another dataset or with other options, since the batches would differ.
   */
  loadStateDict(state: ShardedLoaderState): void {
    const expected = this.stateDict();
    for (const key of ['dataset', 'batchSize', 'bufferShards', 'shuffle', 'dropLast'] as const) {
      if (state?.[key] !== expected[key]) {
        const what = key === 'dataset' ? `the manifest's checksum (${this.dir} was rewritten or is another dataset)` : key;
        throw new ValueError(`ShardedLoader.loadStateDict: ${what} was ${String(state?.[key])} when the state was saved but is ${String(expected[key])} now`);
      }
    }
    const { epoch, batch, seed } = state;
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(batch) || batch < 0 || batch >= this.length) {
      throw new ValueError(`ShardedLoader.loadStateDict: epoch ${epoch} / batch ${batch} is not a position of this loader (${this.length} batches per epoch)`);
    }
    checkSeed('ShardedLoader.loadStateDict', seed);
    this.position = { epoch, batch, seed };
  }

  /** The rest of the current epoch, from the position {@link stateDict} reports. */
  resume(): IterableIterator<Batch> {
    const { epoch, batch, seed } = this.position;
    return this.epoch(epoch, { seed, startBatch: batch });
  }

  private *batches(epoch: number, seed: number, startBatch: number): IterableIterator<Batch> {
    const counts = this.manifest.shards.map((s) => s.count);
    const groups = epochGroups(counts, this.bufferShards, this.shuffle, seed, epoch);
    const end = this.dropLast ? this.length * this.batchSize : this.manifest.count;
    let pos = startBatch * this.batchSize;
    let batch = this.newBatch(end - pos);
    let filled = 0;
    let b = startBatch;
    const scratch: Uint8Array[] = []; // one buffer per shard held, reused by every group
    for (let g = 0; g < groups.length && pos < end; g++) {
      const group = groups[g];
      if (group.start + group.count <= pos) continue;
      const buffer = this.load(group, scratch);
      const order = groupOrder(group, g, this.shuffle, seed, epoch);
      for (let i = pos - group.start; i < group.count && pos < end; i++, pos++) {
        this.copy(buffer, order[i], batch, filled++);
        if (filled < batch.y.length) continue;
        this.position = ++b === this.length ? { epoch: epoch + 1, batch: 0, seed } : { epoch, batch: b, seed };
        yield batch;
        batch = this.newBatch(end - pos - 1);
        filled = 0;
      }
    }
  }

  private load(group: ShardGroup, scratch: Uint8Array[]): LoadedShard[] {
    const largest = Math.max(...this.manifest.shards.map((s) => s.bytes));
    return group.shards.map((s, i) => readShard(this.dir, this.manifest.shards[s], this.manifest, (scratch[i] ??= new Uint8Array(largest))));
  }

  private newBatch(left: number): Batch {
    const n = Math.max(0, Math.min(this.batchSize, left));
    return { x: new Tensor(new Float32Array(n * this.sampleSize), [n, ...this.sampleShape]), y: new Int32Array(n) };
  }

  /** Copies example `k` of the buffer (its shards concatenated) into row `row` of `batch`. */
  private copy(buffer: LoadedShard[], k: number, batch: Batch, row: number): void {
    let s = 0;
    while (k >= buffer[s].labels.length) k -= buffer[s++].labels.length;
    const size = this.sampleSize;
    const from = buffer[s].x.subarray(k * size, (k + 1) * size);
    const to = batch.x.data.subarray(row * size, (row + 1) * size);
    if (from instanceof Float32Array) to.set(from);
    else {
      const scale = this.manifest.scale ?? 1;
      for (let i = 0; i < size; i++) to[i] = from[i] * scale;
    }
    batch.y[row] = buffer[s].labels[k];
  }
}

function checkSeed(where: string, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ValueError(`${where}: seed must be an integer in [0, 2^32), got ${seed}`);
}
