import { ValueError } from '@trainkit/tensor';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AtomicFile, removeStaleTemps } from './atomicFile';
import { type CacheFooter, cacheFileName, cacheKey, encodeFooter, readCacheFooter, sampleBytes } from './imageCache';
import { ImageFolderDataset } from './imageDataset';
import { type IgnoredFile, type ImageEntry, classFolders, scanSplit, splitEntries } from './imageFiles';
import { type ImageFolderOptions, type ResolvedImageOptions, resolveImageOptions } from './imageFolderOptions';
import { DecodePool } from './decodePool';
import { CacheBuilder } from './lazyCache';
import { loadSharp } from './peers';

/** What {@link imageFolder} did: files left out and why, and which splits came from the cache. */
export interface ImageFolderReport {
  /** Files that are not images by their extension (never decoded). */
  ignored: IgnoredFile[];
  /** Image files that did not decode, left out (only with `onBadImage: 'skip'`). */
  skipped: IgnoredFile[];
  /** Images decoded by this call (0 when every split came from the cache; a `lazy` split decodes later, while training). */
  decoded: number;
  /** For each split, whether its pixels came from an existing cache file. */
  fromCache: Record<string, boolean>;
}

/** The splits of an image folder, the class names and the report. */
export interface ImageFolderResult {
  train: ImageFolderDataset;
  /** With `valFraction > 0`, or a `val/` folder. */
  val?: ImageFolderDataset;
  /** With a `test/` folder next to `train/`. */
  test?: ImageFolderDataset;
  /** Class names sorted by name; label `i` is `classes[i]` (also saved as `classes.json` in the cache folder). */
  classes: string[];
  report: ImageFolderReport;
}

const SPLIT_FOLDERS = ['train', 'val', 'test'] as const;

/**
 * A labelled image dataset from a folder with one subfolder per class (like torchvision's
 * `ImageFolder`): `dir/cat/001.jpg`, `dir/dog/002.png`, … Classes are the subfolder names
 * sorted; a folder holding `train/` and `val/` (and optionally `test/`) subfolders, each with
 * the class folders, is split that way instead.
 *
 * PNG, JPEG, WebP and GIF (first frame) files are decoded by sharp (an optional peer
 * dependency: `npm install sharp`) in worker threads, resized to `size`, converted to RGB or
 * grayscale, and written into a decoded cache: one binary file per split in `cacheDir`, written
 * atomically and keyed by the files' paths, sizes and modification times and the decoding
 * options. The next call with the same files and options decodes nothing, and every epoch
 * reads the pixels straight from that file. The datasets implement `Dataset`, so `DataLoader`
 * and `Trainer` use them as they are; inputs are float32 CHW `[C, H, W]`.
 *
 * @param dir - the dataset folder.
 * @param options - `size` (required), `fit`, `color`, `normalize`, `valFraction`, `seed`,
 *   `cacheDir`, `workers`, `prefetch`, `onBadImage`, `lazy`.
 * @throws on a missing folder, an empty class folder, a file that does not decode (with
 *   `onBadImage: 'error'`), or a bad option, naming the folder, file or option.
 * @example
 * const { train, val, classes } = await imageFolder('photos', { size: 64, valFraction: 0.1, seed: 1 });
 * const loader = new DataLoader(train, { batchSize: 32, shuffle: true });
 */
export async function imageFolder(dir: string, options: ImageFolderOptions): Promise<ImageFolderResult> {
  const opts = resolveImageOptions(options);
  const root = resolve(dir);
  const layout = await splitLayout(root);
  if (layout.length > 0 && opts.valFraction > 0) {
    throw new ValueError(`imageFolder: ${root} already has ${layout.join('/ + ')}/ folders; drop valFraction, or point at a folder of class folders`);
  }
  const cacheDir = resolve(options.cacheDir ?? join(root, '.trainkit-cache'));
  const top = layout.length > 0 ? join(root, 'train') : root;
  const classes = (await classFolders(top)).filter((c) => join(top, c) !== cacheDir);
  if (classes.length === 0) throw new ValueError(`imageFolder: ${root} has no class folders; put each class's images in its own subfolder (${root}/<class>/…)`);
  const pool = new SharedPool(opts, splitNames(layout, opts).every((name) => !existsSync(join(cacheDir, cacheFileName(name, opts.spec)))));
  try {
    return await openFolder(root, layout, classes, cacheDir, opts, pool);
  } finally {
    await pool.close();
  }
}

/** The split names a folder gives. */
function splitNames(layout: string[], opts: ResolvedImageOptions): string[] {
  return layout.length > 0 ? layout : opts.valFraction > 0 ? ['train', 'val'] : ['train'];
}

/**
 * The decoding workers of an up-front build, shared by its splits: started at once when no
 * split has a cache file yet (they boot while the folder is listed), else when first needed.
 */
class SharedPool {
  private pool: Promise<DecodePool> | undefined;

  constructor(
    private readonly opts: ResolvedImageOptions,
    early: boolean,
  ) {
    if (early && !opts.lazy) void this.get().catch(() => {}); // a missing sharp is reported when a split needs it
  }

  get(): Promise<DecodePool> {
    this.pool ??= loadSharp('imageFolder').then(({ path }) => new DecodePool(this.opts.spec, { sharpPath: path, workers: this.opts.workers, prefetch: this.opts.prefetch }));
    return this.pool;
  }

  async close(): Promise<void> {
    await (await this.pool?.catch(() => undefined))?.close();
  }
}

async function openFolder(root: string, layout: string[], classes: string[], cacheDir: string, opts: ResolvedImageOptions, pool: SharedPool): Promise<ImageFolderResult> {
  const splits = await listSplits(root, layout, classes, opts);
  await mkdir(cacheDir, { recursive: true });
  const mapping = await AtomicFile.create(join(cacheDir, 'classes.json'));
  await mapping.write(Buffer.from(`${JSON.stringify({ classes }, null, 2)}\n`), 0);
  await mapping.commit();
  const report: ImageFolderReport = { ignored: splits.ignored, skipped: [], decoded: 0, fromCache: {} };
  const result: ImageFolderResult = { train: undefined as unknown as ImageFolderDataset, classes, report };
  for (const [name, entries] of Object.entries(splits.parts)) {
    result[name as 'train' | 'val' | 'test'] = await openSplit(name, entries, classes, cacheDir, opts, report, pool);
  }
  return result;
}

/** The split folders present (`train`, `val`, `test`), when `train/` and at least one other are there. */
async function splitLayout(root: string): Promise<string[]> {
  const present: string[] = [];
  for (const name of SPLIT_FOLDERS) {
    if ((await stat(join(root, name)).catch(() => undefined))?.isDirectory()) present.push(name);
  }
  return present.includes('train') && present.length > 1 ? present : [];
}

async function listSplits(root: string, layout: string[], classes: string[], opts: ResolvedImageOptions): Promise<{ parts: Record<string, ImageEntry[]>; ignored: IgnoredFile[] }> {
  if (layout.length === 0) {
    const { entries, ignored } = await scanSplit(root, root, classes);
    if (opts.valFraction === 0) return { parts: { train: entries }, ignored };
    const { train, val } = splitEntries(entries, opts.valFraction, opts.seed);
    return { parts: { train, val }, ignored };
  }
  const parts: Record<string, ImageEntry[]> = {};
  const ignored: IgnoredFile[] = [];
  for (const name of layout) {
    const folder = join(root, name);
    const unknown = (await classFolders(folder)).filter((c) => !classes.includes(c));
    if (unknown.length > 0) throw new ValueError(`imageFolder: ${folder} has class folders that train/ lacks: ${unknown.join(', ')}`);
    const scanned = await scanSplit(root, folder, classes, name !== 'train');
    parts[name] = scanned.entries;
    ignored.push(...scanned.ignored);
  }
  return { parts, ignored };
}

/** The dataset of one split, from its cache (built first when missing or stale). */
async function openSplit(name: string, entries: ImageEntry[], classes: string[], cacheDir: string, opts: ResolvedImageOptions, report: ImageFolderReport, pool: SharedPool): Promise<ImageFolderDataset> {
  const { spec } = opts;
  const shape: [number, number, number] = [spec.channels, spec.height, spec.width];
  const key = cacheKey(entries, spec, classes);
  const fileName = cacheFileName(name, spec);
  const cacheFile = join(cacheDir, fileName);
  let footer = await readCacheFooter(cacheFile, key, shape);
  report.fromCache[name] = footer !== undefined;
  if (footer === undefined) await removeStaleTemps(cacheDir, fileName);
  if (footer === undefined && opts.lazy) {
    const builder = await CacheBuilder.start({ cacheFile, key, shape, entries, opts, sharpPath: (await loadSharp('imageFolder')).path });
    const all = Int32Array.from(entries, (_, i) => i);
    return new ImageFolderDataset({ cacheFile, slots: all, labels: Int32Array.from(entries, (e) => e.label), files: entries.map((e) => e.rel), classes, sampleShape: shape, lut: opts.lut, builder });
  }
  if (footer === undefined) {
    footer = await buildCache(cacheFile, key, shape, entries, opts, await pool.get());
    report.decoded += entries.length;
  }
  if (footer.skipped.length > 0 && opts.onBadImage === 'error') {
    const first = footer.skipped[0];
    throw new ValueError(`imageFolder: cannot decode ${entries[first.index].path}: ${first.reason} (the cache lists ${footer.skipped.length} bad files; pass onBadImage: 'skip' to leave them out)`);
  }
  const bad = new Set(footer.skipped.map((s) => s.index));
  for (const s of footer.skipped) report.skipped.push({ file: entries[s.index].rel, reason: s.reason });
  const kept = entries.map((_, i) => i).filter((i) => !bad.has(i));
  return new ImageFolderDataset({
    cacheFile,
    slots: Int32Array.from(kept),
    labels: Int32Array.from(kept, (i) => entries[i].label),
    files: kept.map((i) => entries[i].rel),
    classes,
    sampleShape: shape,
    lut: opts.lut,
  });
}

/**
 * Decodes every entry into a new cache file (atomically: the file appears only once complete);
 * the workers write the pixels into the temporary file themselves.
 */
async function buildCache(cacheFile: string, key: string, shape: [number, number, number], entries: ImageEntry[], opts: ResolvedImageOptions, pool: DecodePool): Promise<CacheFooter> {
  const bytes = sampleBytes(shape);
  const skipped: CacheFooter['skipped'] = [];
  const file = await AtomicFile.create(cacheFile);
  let fd: number | undefined = openSync(file.temp, 'r+');
  try {
    const bad = (index: number, reason: string): void => {
      if (opts.onBadImage === 'error') throw new ValueError(`imageFolder: cannot decode ${entries[index].path}: ${reason} (pass onBadImage: 'skip' to leave such files out)`);
      skipped.push({ index, reason });
    };
    const todo = entries.flatMap((e, index) => (e.size > 0 ? [index] : []));
    for (const [index, e] of entries.entries()) if (e.size === 0) bad(index, 'empty file (0 bytes)');
    await pool.decode(fd, todo.map((i) => ({ path: entries[i].path, position: i * bytes })), (i, reason) => bad(todo[i], reason));
    skipped.sort((a, b) => a.index - b.index);
    const footer = { key, count: entries.length, sampleShape: shape, skipped };
    closeSync(fd);
    fd = undefined;
    await file.write(encodeFooter(footer), entries.length * bytes);
    await file.commit();
    return { format: 1, ...footer };
  } catch (e) {
    if (fd !== undefined) {
      await pool.close(); // no worker writes into the file any more
      closeSync(fd);
    }
    await file.abort();
    throw e;
  }
}
