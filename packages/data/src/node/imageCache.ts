import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { DecodeSpec } from './decodePool';
import type { ImageEntry } from './imageFiles';

/**
 * The decoded cache of one split: one binary file, written atomically (see AtomicFile).
 *
 *     [pixels: count × sampleBytes, sample i at i × sampleBytes, CHW bytes]
 *     [footer: UTF-8 JSON {@link CacheFooter}] [footer length: uint32 LE] [magic "TKIMGC01"]
 *
 * The footer is written last, so a file is complete only when its end reads back; a file
 * whose size, magic, footer or key disagree is never used, only rebuilt.
 */
export const CACHE_MAGIC = 'TKIMGC01';
const TAIL = 4 + CACHE_MAGIC.length;
const FORMAT = 1;

/** What the footer records. */
export interface CacheFooter {
  format: number;
  /** {@link cacheKey} of the files and options the pixels come from. */
  key: string;
  count: number;
  sampleShape: [number, number, number];
  /** Files that could not be decoded (kept only with `onBadImage: 'skip'`): index in the split and reason. */
  skipped: { index: number; reason: string }[];
}

/**
 * The decoding options as hashed, the orientation always written out: caches written before it
 * was an option hold pixels as stored (EXIF ignored), so no spec of now may hash as theirs did.
 */
function hashedSpec(spec: DecodeSpec): Required<DecodeSpec> {
  return { ...spec, orientation: spec.orientation ?? 'exif' };
}

/**
 * The key of a split's cache: a SHA-256 of the cache format, the decoding options, the class
 * names and every file's relative path, size, modification time and label. Changing any of
 * them (or adding, removing or touching a file) makes a new key, so the cache is rebuilt.
 */
export function cacheKey(entries: readonly ImageEntry[], spec: DecodeSpec, classes: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ format: FORMAT, spec: hashedSpec(spec), classes }));
  for (const e of entries) hash.update(JSON.stringify([e.rel, e.size, e.mtimeMs, e.label]));
  return hash.digest('hex');
}

/**
 * The cache file of a split, named by a short hash of the decoding options too: two programs that
 * read one folder at different sizes or colours keep a cache each instead of replacing each
 * other's (which fails the other's reads mid-epoch). The same options on changed files reuse the
 * name, so the stale cache is rebuilt in place.
 */
export function cacheFileName(split: string, spec: DecodeSpec): string {
  return `${split}.${createHash('sha256').update(JSON.stringify({ format: FORMAT, spec: hashedSpec(spec) })).digest('hex').slice(0, 8)}.tkcache`;
}

/** Bytes of one sample. */
export function sampleBytes(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The footer and its trailer, to be written at byte `count × sampleBytes`. */
export function encodeFooter(footer: Omit<CacheFooter, 'format'>): Uint8Array {
  const json = Buffer.from(JSON.stringify({ format: FORMAT, ...footer }), 'utf8');
  const out = Buffer.alloc(json.length + TAIL);
  json.copy(out, 0);
  out.writeUInt32LE(json.length, json.length);
  out.write(CACHE_MAGIC, json.length + 4, 'latin1');
  return out;
}

/**
 * The footer of the cache at `path` when that file is complete and was made from exactly
 * `key` and `shape`; `undefined` when it is missing, incomplete, damaged or stale.
 */
export async function readCacheFooter(path: string, key: string, shape: readonly number[]): Promise<CacheFooter | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await handle.stat();
    if (size < TAIL) return undefined;
    const tail = Buffer.alloc(TAIL);
    await handle.read(tail, 0, TAIL, size - TAIL);
    if (tail.toString('latin1', 4) !== CACHE_MAGIC) return undefined;
    const length = tail.readUInt32LE(0);
    if (length > size - TAIL) return undefined;
    const json = Buffer.alloc(length);
    await handle.read(json, 0, length, size - TAIL - length);
    const footer = parseFooter(json.toString('utf8'));
    if (footer === undefined || footer.key !== key || footer.sampleShape.join() !== shape.join()) return undefined;
    return size === footer.count * sampleBytes(shape) + length + TAIL ? footer : undefined;
  } finally {
    await handle.close();
  }
}

function parseFooter(text: string): CacheFooter | undefined {
  try {
    const f = JSON.parse(text) as CacheFooter;
    const ok = f.format === FORMAT && typeof f.key === 'string' && Number.isInteger(f.count) && Array.isArray(f.sampleShape) && Array.isArray(f.skipped);
    return ok ? f : undefined;
  } catch {
    return undefined;
  }
}
