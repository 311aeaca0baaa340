import { ValueError } from '@trainkit/tensor';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../dataset';
import { AtomicFile, isAlive, removeStaleTemps } from './atomicFile';
import {
  MANIFEST_FILE,
  SHARD_FORMAT,
  type ShardDtype,
  type ShardInfo,
  type ShardManifest,
  checkPositiveInt,
  checksum,
  sampleSizeOf,
  shardFileName,
} from './shardFormat';

/** One labelled example for {@link writeShards}. */
export interface Example {
  /** The input, `sampleSize` values in the order of `sampleShape`: floats, or bytes for `dtype: 'uint8'`. */
  x: Float32Array | Uint8Array;
  /** Class label, a non-negative integer. */
  y: number;
}

/** Options of {@link writeShards}. */
export interface WriteShardsOptions {
  /** Examples per shard file. A reader holds `bufferShards` shards in memory at once, so pick a size of a few to a few tens of MB. */
  shardSize: number;
  /** Shape of one input; required for an iterable source, taken from a Dataset otherwise. */
  sampleShape?: readonly number[];
  /** How inputs are stored. `'uint8'` stores `round(x / scale)` (or Uint8Array inputs as they are). Default `'float32'`. */
  dtype?: ShardDtype;
  /** uint8 only: the value of one step, so a byte `b` reads back as `b × scale`. Default `1 / 255`. */
  scale?: number;
  /** Number of classes; taken from a Dataset when it has one. Every label must then be in `[0, numClasses)`. */
  numClasses?: number;
}

/**
 * Writes examples into a sharded dataset in `dir` (created when missing): shard files of
 * `shardSize` examples and a `manifest.json` (shape, dtype, count, and every shard's size and
 * CRC-32) that {@link shardedDataset} reads back with bounded memory.
 *
 * The source is a {@link Dataset} or any iterable or async iterable of `{ x, y }` examples,
 * consumed one shard at a time, so a dataset larger than memory can be written from a
 * generator. The shards are written into a staging folder inside `dir` and moved into place
 * only once every example is written, so a write refused on a bad example (or a failing
 * source) leaves the dataset already in `dir` as it was, still readable. The swap removes the
 * old manifest first and writes the new one last, so a process killed during it leaves a
 * directory that readers refuse. Shard files of an earlier write to `dir` that the new
 * manifest does not list are deleted.
 *
 * @returns the manifest written.
 * @throws ValueError on a bad option or example (naming the example's index).
 */
export async function writeShards(
  dir: string,
  source: Dataset | Iterable<Example> | AsyncIterable<Example>,
  options: WriteShardsOptions,
): Promise<ShardManifest> {
  const dataset = isDataset(source) ? source : undefined;
  const sampleShape = dataset?.sampleShape ?? options.sampleShape;
  if (sampleShape === undefined) throw new ValueError('writeShards: sampleShape is required when the source is an iterable of examples');
  const numClasses = options.numClasses ?? dataset?.numClasses;
  const { shardSize, dtype = 'float32', scale = 1 / 255 } = options;
  checkOptions(sampleShape, shardSize, dtype, scale, numClasses);
  const created = await mkdir(dir, { recursive: true });
  await removeStaleStaging(dir);
  const staging = join(dir, `.writeShards-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  let shards: ShardInfo[];
  let count: number;
  try {
    const writer = new ShardWriter(staging, sampleShape, shardSize, dtype, scale, numClasses);
    if (dataset !== undefined) await writer.addDataset(dataset);
    else for await (const example of source as AsyncIterable<Example>) await writer.add(example);
    shards = await writer.finish();
    count = writer.count;
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    if (created !== undefined) await rmdir(dir).catch(() => {}); // a folder this call made, left empty
    throw e;
  }
  const manifest: ShardManifest = {
    format: SHARD_FORMAT,
    version: 1,
    sampleShape: [...sampleShape],
    dtype,
    ...(dtype === 'uint8' ? { scale } : {}),
    count,
    ...(numClasses !== undefined ? { numClasses } : {}),
    shardSize,
    shards,
  };
  await swapIn(dir, staging, manifest);
  return manifest;
}

/**
 * Puts the shards written in `staging` in place of the dataset in `dir`: the old manifest goes,
 * the new shards are renamed over the old ones, shards the new manifest does not list are
 * deleted, and the new manifest is written last (a process killed in between leaves no manifest).
 */
async function swapIn(dir: string, staging: string, manifest: ShardManifest): Promise<void> {
  await rm(join(dir, MANIFEST_FILE), { force: true });
  for (const s of manifest.shards) await rename(join(staging, s.file), join(dir, s.file));
  await rm(staging, { recursive: true, force: true });
  await removeOtherShards(dir, manifest.shards);
  await writeAtomic(dir, MANIFEST_FILE, [Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`, 'utf8')]);
}

/** Staging folders of writes whose process is gone (killed before it swapped its shards in). */
async function removeStaleStaging(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = /^\.writeShards-(\d+)-[0-9a-f]{12}$/.exec(name);
    if (m !== null && !isAlive(Number(m[1]))) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** Deletes shard files of an earlier, larger write to `dir` that the new manifest does not list. */
async function removeOtherShards(dir: string, shards: readonly ShardInfo[]): Promise<void> {
  const kept = new Set(shards.map((s) => s.file));
  for (const name of await readdir(dir)) {
    if (/^shard-\d{5,}\.bin$/.test(name) && !kept.has(name)) await rm(join(dir, name), { force: true });
  }
}

function isDataset(source: unknown): source is Dataset {
  const d = source as Dataset;
  return typeof d.gather === 'function' && typeof d.length === 'number';
}

function checkOptions(shape: readonly number[], shardSize: number, dtype: ShardDtype, scale: number, numClasses: number | undefined): void {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ValueError(`writeShards: sampleShape must be a non-empty list of positive integers, got [${String(shape)}]`);
  }
  checkPositiveInt('writeShards', 'shardSize', shardSize);
  if (dtype !== 'float32' && dtype !== 'uint8') throw new ValueError(`writeShards: dtype must be 'float32' or 'uint8', got ${String(dtype)}`);
  if (!(Number.isFinite(scale) && scale > 0)) throw new ValueError(`writeShards: scale must be a positive number, got ${scale}`);
  if (numClasses !== undefined) checkPositiveInt('writeShards', 'numClasses', numClasses);
}

async function writeAtomic(dir: string, name: string, parts: Uint8Array[]): Promise<void> {
  await removeStaleTemps(dir, name);
  const file = await AtomicFile.create(join(dir, name));
  try {
    let at = 0;
    for (const p of parts) {
      await file.write(p, at);
      at += p.length;
    }
    await file.commit();
  } catch (e) {
    await file.abort();
    throw e;
  }
}

/** Collects examples into one shard's buffers and writes each shard when it is full. */
class ShardWriter {
  count = 0;
  private readonly size: number;
  private readonly labels: Int32Array;
  private readonly x: Float32Array | Uint8Array;
  private filled = 0;
  private readonly shards: ShardInfo[] = [];

  constructor(
    private readonly dir: string,
    sampleShape: readonly number[],
    private readonly shardSize: number,
    private readonly dtype: ShardDtype,
    private readonly scale: number,
    private readonly numClasses: number | undefined,
  ) {
    this.size = sampleSizeOf(sampleShape);
    this.labels = new Int32Array(shardSize);
    this.x = dtype === 'float32' ? new Float32Array(shardSize * this.size) : new Uint8Array(shardSize * this.size);
  }

  /** Reads the dataset a shard at a time. */
  async addDataset(dataset: Dataset): Promise<void> {
    for (let start = 0; start < dataset.length; start += this.shardSize) {
      const n = Math.min(this.shardSize, dataset.length - start);
      const batch = dataset.gather(Int32Array.from({ length: n }, (_, i) => start + i));
      for (let i = 0; i < n; i++) await this.add({ x: batch.x.data.subarray(i * this.size, (i + 1) * this.size), y: batch.y[i] });
    }
  }

  async add(example: Example): Promise<void> {
    const where = `writeShards: example ${this.count}`;
    const { x, y } = example ?? ({} as Example);
    if (!(x instanceof Float32Array || x instanceof Uint8Array)) throw new ValueError(`${where}: x must be a Float32Array or a Uint8Array`);
    if (x.length !== this.size) throw new ValueError(`${where}: x has ${x.length} values, sampleShape needs ${this.size}`);
    if (!(Number.isInteger(y) && y >= 0 && y <= 0x7fffffff && y < (this.numClasses ?? Infinity))) {
      const range = this.numClasses === undefined ? 'a non-negative integer' : `an integer in [0, ${this.numClasses})`;
      throw new ValueError(`${where}: label ${String(y)} must be ${range}`);
    }
    const at = this.filled * this.size;
    if (this.dtype === 'float32') {
      if (x instanceof Uint8Array) throw new ValueError(`${where}: x is a Uint8Array; pass dtype: 'uint8' (with its scale) to store bytes`);
      this.x.set(x, at);
    } else if (x instanceof Uint8Array) this.x.set(x, at);
    else this.quantize(x, at, where);
    this.labels[this.filled++] = y;
    this.count++;
    if (this.filled === this.shardSize) await this.flush();
  }

  /** Stores `round(v / scale)` for each value; one that does not fit in a byte is an error. */
  private quantize(x: Float32Array, at: number, where: string): void {
    const inv = 1 / this.scale;
    for (let i = 0; i < x.length; i++) {
      const q = Math.round(x[i] * inv);
      if (!(q >= 0 && q <= 255)) {
        throw new ValueError(`${where}: value ${x[i]} at position ${i} does not fit in uint8 with scale ${this.scale} (range 0 to ${255 * this.scale})`);
      }
      this.x[at + i] = q;
    }
  }

  private async flush(): Promise<void> {
    const n = this.filled;
    if (n === 0) return;
    const labels = new Uint8Array(this.labels.buffer, 0, n * 4);
    const bytesPer = this.dtype === 'float32' ? 4 : 1;
    const x = new Uint8Array(this.x.buffer, 0, n * this.size * bytesPer);
    const file = shardFileName(this.shards.length);
    await writeAtomic(this.dir, file, [labels, x]);
    this.shards.push({ file, count: n, bytes: labels.length + x.length, crc32: checksum(labels, x) });
    this.filled = 0;
  }

  /** Writes the last, partial shard and returns every shard's record. */
  async finish(): Promise<ShardInfo[]> {
    await this.flush();
    if (this.count === 0) throw new ValueError('writeShards: the source has no examples');
    return this.shards;
  }
}
