import { ValueError } from '@trainkit/tensor';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { access, mkdir, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AtomicFile, removeStaleTemps } from './atomicFile';
import { type CacheFooter, cacheFileName, cacheKey, encodeFooter, readCacheFooter, sampleBytes } from './imageCache';
import { ImageFolderDataset, type ImageFolderDatasetInit } from './imageDataset';
import { type IgnoredFile, type ImageEntry, classFolders, scanSplit, splitEntries } from './imageFiles';
import { type ImageFolderOptions, type ResolvedImageOptions, resolveImageOptions } from './imageFolderOptions';
import { DecodePool } from './decodePool';
import { CacheBuilder } from './lazyCache';
import { loadSharp } from './peers';


/** Folder names that mean a split, not a class. */
const SPLIT_NAMES = new Set(['train', 'val', 'valid', 'validation', 'test']);
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

/** The folder names each split may have, in the order looked for (`valid/` as Kaggle and Roboflow exports name it). */
const SPLIT_FOLDERS = { train: ['train'], val: ['val', 'valid', 'validation'], test: ['test'] } as const;

/** The split a split folder gives (`valid` → `val`). */
const splitOf = (folder: string): string => Object.entries(SPLIT_FOLDERS).find(([, names]) => (names as readonly string[]).includes(folder))![0];

/**
 * A labelled image dataset from a folder with one subfolder per class (like torchvision's
 * `ImageFolder`): `dir/cat/001.jpg`, `dir/dog/002.png`, … Classes are the subfolder names
 * sorted; a folder holding `train/` and `val/` (or `valid/`, `validation/`; and optionally `test/`)
 * subfolders, each with the class folders, is split that way instead, and a folder whose only subfolder is `train/`
 * takes its classes from there (with `valFraction`, the validation split comes from them).
 *
 * PNG, JPEG, WebP and GIF (first frame) files are decoded by sharp (an optional peer
 * dependency: `npm install sharp`) in worker threads, turned upright by their EXIF orientation
 * (unless `orientation: 'ignore'`), resized to `size`, converted to RGB or
 * grayscale, and written into a decoded cache: one binary file per split in `cacheDir`, written
 * atomically and keyed by the files' paths, sizes and modification times and the decoding
 * options. The next call with the same files and options decodes nothing, and every epoch
 * reads the pixels straight from that file. The datasets implement `Dataset`, so `DataLoader`
 * and `Trainer` use them as they are; inputs are float32 CHW `[C, H, W]`.
 *
 * @param dir - the dataset folder.
 * @param options - `size` (required), `fit`, `color`, `orientation`, `normalize`, `valFraction`,
 *   `seed`, `cacheDir`, `workers`, `prefetch`, `onBadImage`, `lazy`.
 * @throws on a missing folder, a lone class folder named like a split (train/ holding images), an empty class folder, a file that
 *   does not decode (with `onBadImage: 'error'`), a cache folder that cannot be written, or a bad option, naming the folder, file or
 *   option. A refused call writes nothing: the cache files and `classes.json` are committed
 *   only once every split is open.
 * @example
 * const { train, val, classes } = await imageFolder('photos', { size: 64, valFraction: 0.1, seed: 1 });
 * const loader = new DataLoader(train, { batchSize: 32, shuffle: true });
 */
export async function imageFolder(dir: string, options: ImageFolderOptions): Promise<ImageFolderResult> {
  const opts = resolveImageOptions(options);
  const root = resolve(dir);
  const cacheDir = resolve(options.cacheDir ?? join(root, '.trainkit-cache'));
  const layout = await splitLayout(root, cacheDir);
  if (layout.length > 1 && opts.valFraction > 0) {
    throw new ValueError(`imageFolder: ${root} already has ${layout.join('/ + ')}/ folders; drop valFraction, or point at a folder of class folders`);
  }
  const top = layout.length > 0 ? join(root, 'train') : root;
  const classes = (await classFolders(top)).filter((c) => join(top, c) !== cacheDir);
  if (classes.length === 0) throw new ValueError(`imageFolder: ${root} has no class folders; put each class's images in its own subfolder (${root}/<class>/…)`);
  // one class is fine (decoding files for predict, one-class data), but one named like a split is a layout mistake: train/ holding images
  if (classes.length === 1 && SPLIT_NAMES.has(classes[0].toLowerCase())) {
    throw new ValueError(`imageFolder: ${top} has 1 class folder (${classes[0]}), named like a split; put each class's images in its own subfolder (${top}/${classes[0]}/<class>/…), or point at the folder that holds the class folders`);
  }
  const pool = new SharedPool(opts, splitNames(layout, opts).every((name) => !existsSync(join(cacheDir, cacheFileName(name, opts.spec)))));
  try {
    return await openFolder(root, layout, classes, cacheDir, opts, pool);
  } finally {
    await pool.close();
  }
}

/** The split names a folder gives. */
function splitNames(layout: string[], opts: ResolvedImageOptions): string[] {
  return layout.length > 1 ? layout.map(splitOf) : opts.valFraction > 0 ? ['train', 'val'] : ['train'];
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

/**
 * Opens every split, then commits the cache files it decoded and `classes.json` (so a call
 * refused on a bad image leaves the cache folder as it was, or absent when it created it).
 */
async function openFolder(root: string, layout: string[], classes: string[], cacheDir: string, opts: ResolvedImageOptions, pool: SharedPool): Promise<ImageFolderResult> {
  const splits = await listSplits(root, layout, classes, opts);
  const created = await makeCacheDir(cacheDir);
  const report: ImageFolderReport = { ignored: splits.ignored, skipped: [], decoded: 0, fromCache: {} };
  const opened: OpenedSplit[] = [];
  try {
    for (const [name, entries] of Object.entries(splits.parts)) opened.push(await openSplit(name, entries, classes, cacheDir, opts, report, pool));
    for (const split of opened) await split.file?.commit();
    const mapping = await AtomicFile.create(join(cacheDir, 'classes.json'));
    await mapping.write(Buffer.from(`${JSON.stringify({ classes }, null, 2)}\n`), 0);
    await mapping.commit();
  } catch (e) {
    for (const split of opened) await Promise.all([split.file?.abort(), split.builder?.cancel()]);
    if (created !== undefined) await removeEmptyFolders(cacheDir, created);
    throw e;
  }
  const result: ImageFolderResult = { train: undefined as unknown as ImageFolderDataset, classes, report };
  for (const split of opened) result[split.name as 'train' | 'val' | 'test'] = new ImageFolderDataset(split.init);
  return result;
}

/**
 * Creates the cache folder (and its parents) and checks that it may be written; one that cannot
 * be (a read-only data folder, a file in its place) is a ValueError naming it and the way out.
 * Resolves with the first folder it created, as `mkdir` does.
 */
async function makeCacheDir(cacheDir: string): Promise<string | undefined> {
  try {
    const created = await mkdir(cacheDir, { recursive: true });
    await access(cacheDir, constants.W_OK);
    return created;
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'the file system is read-only' : message;
    throw new ValueError(`imageFolder: cannot create the decoded cache in ${cacheDir} (${why}); pass cacheDir: a folder you may write to`, { cause: e });
  }
}

/** Removes `dir` and its parents up to `top` (the folders a `mkdir` created), each only while empty. */
async function removeEmptyFolders(dir: string, top: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    if (!(await rmdir(d).then(() => true, () => false)) || d === top || dirname(d) === d) return;
  }
}

/**
 * The split folders present (`train`, `val` or `valid` or `validation`, `test`): when `train/` and
 * at least one other are there, or when `train/` is the only subfolder (besides the cache) and
 * holds class folders.
 */
async function splitLayout(root: string, cacheDir: string): Promise<string[]> {
  const present: string[] = [];
  for (const names of Object.values(SPLIT_FOLDERS)) {
    for (const name of names) {
      if (!(await stat(join(root, name)).catch(() => undefined))?.isDirectory()) continue;
      present.push(name);
      break;
    }
  }
  if (!present.includes('train')) return [];
  if (present.length > 1) return present;
  const subfolders = (await classFolders(root)).filter((c) => join(root, c) !== cacheDir);
  return subfolders.length === 1 && (await classFolders(join(root, 'train'))).length > 0 ? ['train'] : [];
}

async function listSplits(root: string, layout: string[], classes: string[], opts: ResolvedImageOptions): Promise<{ parts: Record<string, ImageEntry[]>; ignored: IgnoredFile[] }> {
  if (layout.length <= 1) {
    const { entries, ignored } = await scanSplit(root, layout.length === 0 ? root : join(root, 'train'), classes);
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
    parts[splitOf(name)] = scanned.entries;
    ignored.push(...scanned.ignored);
  }
  return { parts, ignored };
}

/** A split opened but not returned yet: its dataset, and the cache file it decoded (not committed yet) or is decoding (lazy). */
interface OpenedSplit {
  name: string;
  init: ImageFolderDatasetInit;
  file?: AtomicFile;
  builder?: CacheBuilder;
}

/** The dataset of one split, from its cache (decoded first when missing or stale; the new cache file is committed by the caller). */
async function openSplit(name: string, entries: ImageEntry[], classes: string[], cacheDir: string, opts: ResolvedImageOptions, report: ImageFolderReport, pool: SharedPool): Promise<OpenedSplit> {
  const { spec } = opts;
  const shape: [number, number, number] = [spec.channels, spec.height, spec.width];
  const key = cacheKey(entries, spec, classes);
  const fileName = cacheFileName(name, spec);
  const cacheFile = join(cacheDir, fileName);
  let footer = await readCacheFooter(cacheFile, key, shape);
  report.fromCache[name] = footer !== undefined;
  if (footer === undefined) await removeStaleTemps(cacheDir, fileName);
  const base = { cacheFile, classes, sampleShape: shape, lut: opts.lut };
  if (footer === undefined && opts.lazy) {
    const builder = await CacheBuilder.start({ cacheFile, key, shape, entries, opts, sharpPath: (await loadSharp('imageFolder')).path });
    const all = Int32Array.from(entries, (_, i) => i);
    return { name, builder, init: { ...base, slots: all, labels: Int32Array.from(entries, (e) => e.label), files: entries.map((e) => e.rel), builder } };
  }
  let file: AtomicFile | undefined;
  if (footer === undefined) {
    ({ footer, file } = await buildCache(cacheFile, key, shape, entries, opts, await pool.get()));
    report.decoded += entries.length;
  }
  if (footer.skipped.length > 0 && opts.onBadImage === 'error') {
    const first = footer.skipped[0];
    throw new ValueError(`imageFolder: cannot decode ${entries[first.index].path}: ${first.reason} (the cache lists ${footer.skipped.length} bad files; pass onBadImage: 'skip' to leave them out)`);
  }
  const bad = new Set(footer.skipped.map((s) => s.index));
  for (const s of footer.skipped) report.skipped.push({ file: entries[s.index].rel, reason: s.reason });
  const kept = entries.map((_, i) => i).filter((i) => !bad.has(i));
  return { name, file, init: { ...base, slots: Int32Array.from(kept), labels: Int32Array.from(kept, (i) => entries[i].label), files: kept.map((i) => entries[i].rel) } };
}

/**
 * Decodes every entry into a new cache file, left uncommitted (written in full, footer last, to
 * its temporary file) for the caller to commit once every split is open; the workers write the
 * pixels into the temporary file themselves. On an error the temporary file is removed.
 */
async function buildCache(cacheFile: string, key: string, shape: [number, number, number], entries: ImageEntry[], opts: ResolvedImageOptions, pool: DecodePool): Promise<{ footer: CacheFooter; file: AtomicFile }> {
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
    return { footer: { format: 1, ...footer }, file };
  } catch (e) {
    if (fd !== undefined) {
      await pool.close(); // no worker writes into the file any more
      closeSync(fd);
    }
    await file.abort();
    throw e;
  }
}
