import { ValueError } from '@trainkit/tensor';
import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

/** File extensions decoded as images (case-insensitive); GIFs give their first frame. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp', '.gif'];

/** One image file of a class folder. */
export interface ImageEntry {
  /** Absolute path. */
  path: string;
  /** Path relative to the dataset folder, with `/` separators (names it in reports and the cache key). */
  rel: string;
  size: number;
  mtimeMs: number;
  label: number;
}

/** A file that is not decoded, and why. */
export interface IgnoredFile {
  file: string;
  reason: string;
}

/** The class folders of one split folder, scanned. */
export interface ScannedSplit {
  entries: ImageEntry[];
  ignored: IgnoredFile[];
}

const caller = 'imageFolder';

/** The names of the visible subfolders of `dir`, sorted (the class names, like torchvision's `ImageFolder`). */
export async function classFolders(dir: string): Promise<string[]> {
  let items;
  try {
    items = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${caller}: folder not found: ${dir}`, { cause: e });
    if (code === 'ENOTDIR') throw new Error(`${caller}: ${dir} is a file, expected a folder with one subfolder per class`, { cause: e });
    throw new Error(`${caller}: cannot read ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const names: string[] = [];
  for (const d of items) if (!d.name.startsWith('.') && (await kindOf(dir, d)) === 'dir') names.push(d.name);
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A directory entry's kind, following symbolic links as torchvision does (a dataset of links into
 * a cache, `ln -s` subsets): a link is what it points to, and a dangling one a file, so that
 * reading it fails naming it rather than the image vanishing.
 */
async function kindOf(dir: string, d: Dirent): Promise<'dir' | 'file' | 'other'> {
  if (d.isDirectory()) return 'dir';
  if (d.isFile()) return 'file';
  if (!d.isSymbolicLink()) return 'other';
  try {
    const target = await stat(join(dir, d.name));
    return target.isDirectory() ? 'dir' : target.isFile() ? 'file' : 'other';
  } catch {
    return 'file';
  }
}

/**
 * The image files under `splitDir/<class>/` (searched recursively, sorted by path, hidden
 * entries skipped) labelled by the index of their class in `classes`. Files with other
 * extensions are listed in `ignored`. A class folder without images is an error; a missing
 * one too, unless `missingClassesAllowed` (a val/ or test/ folder may lack a class).
 */
export async function scanSplit(root: string, splitDir: string, classes: readonly string[], missingClassesAllowed = false): Promise<ScannedSplit> {
  const entries: ImageEntry[] = [];
  const ignored: IgnoredFile[] = [];
  for (let label = 0; label < classes.length; label++) {
    const folder = join(splitDir, classes[label]);
    const files = await walk(folder);
    if (files === undefined) {
      if (missingClassesAllowed) continue;
      throw new ValueError(`${caller}: class folder ${folder} is missing`);
    }
    files.sort();
    const infos = await statAll(files.filter((p) => IMAGE_EXTENSIONS.includes(extname(p).toLowerCase())));
    let images = 0;
    for (const path of files) {
      const rel = relative(root, path).split(sep).join('/');
      if (!IMAGE_EXTENSIONS.includes(extname(path).toLowerCase())) {
        ignored.push({ file: rel, reason: `not an image file (extension is not one of ${IMAGE_EXTENSIONS.join(' ')})` });
        continue;
      }
      const info = infos.get(path) as Stats;
      entries.push({ path, rel, size: info.size, mtimeMs: info.mtimeMs, label });
      images++;
    }
    if (images === 0) {
      throw new ValueError(`${caller}: class folder ${folder} holds no images (${IMAGE_EXTENSIONS.join(', ')}); add images or remove the folder`);
    }
  }
  return { entries, ignored };
}

/** `stat` of each path, 64 at a time (awaited one by one, each file would cost a round trip to libuv's threads). */
async function statAll(paths: readonly string[]): Promise<Map<string, Stats>> {
  const out = new Map<string, Stats>();
  for (let i = 0; i < paths.length; i += 64) {
    const batch = paths.slice(i, i + 64);
    (await Promise.all(batch.map((p) => stat(p)))).forEach((info, j) => out.set(batch[j], info));
  }
  return out;
}

/** The files under `dir`, recursively (through symbolic links, each real folder once); undefined when `dir` does not exist. */
async function walk(dir: string, seen = new Set<string>()): Promise<string[] | undefined> {
  const out: string[] = [];
  let items;
  try {
    items = await readdir(dir, { withFileTypes: true });
    const real = await realpath(dir);
    if (seen.has(real)) return []; // a link back up the tree
    seen.add(real);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  for (const item of items) {
    if (item.name.startsWith('.')) continue;
    const path = join(dir, item.name);
    const kind = await kindOf(dir, item);
    if (kind === 'dir') out.push(...((await walk(path, seen)) ?? []));
    else if (kind === 'file') out.push(path);
  }
  return out;
}

/** Splits entries into train and validation, class by class, by a seeded shuffle (see {@link splitByClass}). */
export { splitByClass as splitEntries } from '../split';
