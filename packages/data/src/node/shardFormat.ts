import { ValueError } from '@trainkit/tensor';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * The on-disk layout of a sharded dataset: a directory holding `manifest.json` and shard
 * files `shard-00000.bin`, `shard-00001.bin`, … Each shard holds `count` examples as
 *
 *     [labels: count × int32 LE] [inputs: count × sampleSize × (float32 LE | uint8)]
 *
 * and the manifest records, for every shard, its example count, byte size and CRC-32 (the
 * zlib one), so a damaged or truncated shard is detected when it is read. The manifest is
 * written last: a directory without one is an unfinished write.
 */
export const MANIFEST_FILE = 'manifest.json';
export const SHARD_FORMAT = 'trainkit-shards';
const VERSION = 1;

/** How inputs are stored: float32 as given, or uint8 bytes read back as `byte × scale`. */
export type ShardDtype = 'float32' | 'uint8';

/** One shard file as the manifest records it. */
export interface ShardInfo {
  /** File name inside the dataset directory. */
  file: string;
  /** Examples in the shard. */
  count: number;
  /** Size of the file in bytes. */
  bytes: number;
  /** CRC-32 of the whole file, 8 lowercase hex digits. */
  crc32: string;
}

/** `manifest.json` of a sharded dataset. */
export interface ShardManifest {
  format: typeof SHARD_FORMAT;
  version: number;
  /** Shape of one example's input. */
  sampleShape: number[];
  dtype: ShardDtype;
  /** uint8 only: an input value is `byte × scale`. */
  scale?: number;
  /** Examples in all shards together. */
  count: number;
  /** Number of classes, when known; every label is then in `[0, numClasses)`. */
  numClasses?: number;
  /** Examples per shard (the last shard may hold fewer). */
  shardSize: number;
  shards: ShardInfo[];
}

/** A shard that cannot be used: missing, truncated, longer than recorded, or failing its checksum. */
export class ShardError extends Error {
  /** @param file - the path of the shard (or manifest) at fault. */
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'ShardError';
  }
}

/** The name of shard number `i`. */
export function shardFileName(i: number): string {
  return `shard-${String(i).padStart(5, '0')}.bin`;
}

/** Values in one example's input. */
export function sampleSizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Bytes of a shard of `count` examples. */
export function shardBytes(count: number, sampleSize: number, dtype: ShardDtype): number {
  return count * (4 + sampleSize * (dtype === 'float32' ? 4 : 1));
}

/** The CRC-32 of the given byte ranges, one after another, as 8 hex digits. */
export function checksum(...parts: Uint8Array[]): string {
  let c = 0;
  for (const p of parts) c = crc32(p, c);
  return c.toString(16).padStart(8, '0');
}

/** Reads and checks `dir/manifest.json`; a missing or malformed manifest throws a {@link ShardError} naming it. */
export function readManifest(dir: string): { manifest: ShardManifest; checksum: string } {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist (write the dataset with writeShards; a write that did not finish leaves no manifest)' : `cannot be read (${code})`;
    throw new ShardError(`shardedDataset: ${path} ${why}`, path);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ShardError(`shardedDataset: ${path} is not valid JSON`, path);
  }
  return { manifest: checkManifest(raw, path), checksum: checksum(Buffer.from(text, 'utf8')) };
}

function checkManifest(raw: unknown, path: string): ShardManifest {
  const bad = (what: string): never => {
    throw new ShardError(`shardedDataset: ${path}: ${what}`, path);
  };
  const m = raw as ShardManifest;
  if (m === null || typeof m !== 'object' || m.format !== SHARD_FORMAT) bad(`"format" must be "${SHARD_FORMAT}"`);
  if (m.version !== VERSION) bad(`"version" ${String(m.version)} is not supported (this reader knows version ${VERSION})`);
  const posInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;
  if (!Array.isArray(m.sampleShape) || m.sampleShape.length === 0 || !m.sampleShape.every(posInt)) bad('"sampleShape" must be a non-empty list of positive integers');
  if (m.dtype !== 'float32' && m.dtype !== 'uint8') bad(`"dtype" must be "float32" or "uint8", got ${JSON.stringify(m.dtype)}`);
  if (m.dtype === 'uint8' && !(typeof m.scale === 'number' && Number.isFinite(m.scale))) bad('"scale" must be a finite number when "dtype" is "uint8"');
  if (!posInt(m.count) || !posInt(m.shardSize)) bad('"count" and "shardSize" must be positive integers');
  if (m.numClasses !== undefined && !posInt(m.numClasses)) bad('"numClasses" must be a positive integer');
  if (!Array.isArray(m.shards) || m.shards.length === 0) bad('"shards" must be a non-empty list');
  const size = sampleSizeOf(m.sampleShape);
  let total = 0;
  m.shards.forEach((s, i) => {
    const ok = s !== null && typeof s === 'object' && typeof s.file === 'string' && /^[\w.-]+$/.test(s.file) && posInt(s.count) && typeof s.crc32 === 'string';
    if (!ok) bad(`shard ${i} must be { file, count, bytes, crc32 } with a plain file name`);
    if (s.count > m.shardSize) bad(`shard ${i} (${s.file}) holds ${s.count} examples, more than shardSize ${m.shardSize}`);
    if (s.bytes !== shardBytes(s.count, size, m.dtype)) bad(`shard ${i} (${s.file}) records ${s.bytes} bytes but ${s.count} examples take ${shardBytes(s.count, size, m.dtype)}`);
    total += s.count;
  });
  if (total !== m.count) bad(`the shards hold ${total} examples but "count" is ${m.count}`);
  return m;
}

/** One shard in memory: labels and inputs are views of a single buffer. */
export interface LoadedShard {
  labels: Int32Array;
  x: Float32Array | Uint8Array;
}

/**
 * Reads shard `info` of `dir` whole into the start of `into` (a new buffer when absent) and
 * checks its size, checksum and labels; any damage throws a {@link ShardError} naming the file.
 */
export function readShard(dir: string, info: ShardInfo, manifest: ShardManifest, into?: Uint8Array): LoadedShard {
  const path = join(dir, info.file);
  const bytes = readWhole(path, (into ?? new Uint8Array(info.bytes)).subarray(0, info.bytes));
  const sum = checksum(bytes);
  if (sum !== info.crc32) {
    throw new ShardError(`shardedDataset: ${path} is corrupt: its CRC-32 is ${sum} but the manifest records ${info.crc32}`, path);
  }
  const labels = new Int32Array(bytes.buffer, bytes.byteOffset, info.count);
  const at = bytes.byteOffset + info.count * 4;
  const values = info.count * sampleSizeOf(manifest.sampleShape);
  const x = manifest.dtype === 'float32' ? new Float32Array(bytes.buffer, at, values) : new Uint8Array(bytes.buffer, at, values);
  const hi = manifest.numClasses ?? Infinity;
  for (let i = 0; i < labels.length; i++) {
    if (!(labels[i] >= 0 && labels[i] < hi)) throw new ShardError(`shardedDataset: ${path}: example ${i} has label ${labels[i]}, outside [0, ${hi})`, path);
  }
  return { labels, x };
}

function readWhole(path: string, bytes: Uint8Array): Uint8Array {
  const expected = bytes.length;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ShardError(`shardedDataset: shard ${path} cannot be opened (${(e as NodeJS.ErrnoException).code})`, path);
  }
  try {
    const { size } = fstatSync(fd);
    if (size !== expected) {
      const what = size < expected ? 'is truncated' : 'is longer than recorded';
      throw new ShardError(`shardedDataset: shard ${path} ${what}: ${size} bytes, the manifest records ${expected}`, path);
    }
    for (let done = 0; done < expected; ) {
      const got = readSync(fd, bytes, done, expected - done, done);
      if (got === 0) throw new ShardError(`shardedDataset: shard ${path} ended early at byte ${done} of ${expected}`, path);
      done += got;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** Throws a ValueError naming `where` unless `v` is a positive integer. */
export function checkPositiveInt(where: string, name: string, v: unknown): void {
  if (!Number.isInteger(v) || (v as number) < 1) throw new ValueError(`${where}: ${name} must be a positive integer, got ${String(v)}`);
}
