import { ValueError } from '@trainkit/tensor';
import { InMemoryImageDataset } from './dataset';
import { decodeBlob } from './decode';
import { type FolderFiles, type WebIgnoredFile, type WebImageEntry, indexFolder, splitWebEntries } from './files';
import { type ResolvedWebOptions, type WebImageFolderOptions, resolveWebOptions } from './options';

/** What the browser {@link imageFolder} did: files left out and why. */
export interface WebImageFolderReport {
  /** Files that are not images by their extension, or lie outside a class folder (never decoded). */
  ignored: WebIgnoredFile[];
  /** Image files that did not decode, left out (only with `onBadImage: 'skip'`). */
  skipped: WebIgnoredFile[];
  /** Images decoded. */
  decoded: number;
}

/** The splits, the class names and the report (the shape of `@trainkit/data/node`'s result). */
export interface WebImageFolderResult {
  train: InMemoryImageDataset;
  /** With `valFraction > 0`, or a `val/` folder. */
  val?: InMemoryImageDataset;
  /** With a `test/` folder next to `train/`. */
  test?: InMemoryImageDataset;
  /** Class names sorted by name; label `i` is `classes[i]`. */
  classes: string[];
  report: WebImageFolderReport;
}

/**
 * A labelled image dataset from a folder the user picked (`<input type="file" webkitdirectory>`)
 * or dropped on the page: one subfolder per class, like `@trainkit/data/node`'s `imageFolder`
 * and torchvision's `ImageFolder` (classes sorted by name; a `train/` + `val/` layout splits
 * that way). Each file's folder comes from its `webkitRelativePath`, or from the `path` given
 * with it (see `filesFromDrop`).
 *
 * Images are decoded by the browser (`createImageBitmap`), drawn resized onto an
 * `OffscreenCanvas` and kept in memory as bytes; the datasets serve float32 CHW `[C, H, W]`
 * batches to `DataLoader` and `Trainer`. Works on a page and in a Web Worker.
 *
 * @param files - a `FileList`, Files, or `{ path, file }` pairs.
 * @param options - `size` (required), `fit`, `color`, `normalize`, `valFraction`, `seed`,
 *   `onBadImage`, `concurrency`, `onProgress`.
 * @throws when no file is in a class folder, a class folder holds no images, a file does not
 *   decode (with `onBadImage: 'error'`), or an option is bad, naming the folder, file or option.
 * @example
 * const { train, val, classes } = await imageFolder(input.files, { size: 32, valFraction: 0.2 });
 */
export async function imageFolder(files: FolderFiles, options: WebImageFolderOptions): Promise<WebImageFolderResult> {
  const opts = resolveWebOptions(options);
  const indexed = indexFolder(files);
  const parts = { ...indexed.parts };
  if (opts.valFraction > 0) {
    if (parts.val !== undefined || parts.test !== undefined) {
      throw new ValueError(`imageFolder: the files already have ${Object.keys(parts).join('/ + ')}/ folders; drop valFraction, or pick a folder of class folders`);
    }
    Object.assign(parts, splitWebEntries(parts.train, opts.valFraction, opts.seed));
  }
  const report: WebImageFolderReport = { ignored: indexed.ignored, skipped: [], decoded: 0 };
  const total = Object.values(parts).reduce((n, p) => n + p.length, 0);
  const progress = { done: 0, total };
  const result: Partial<WebImageFolderResult> = { classes: indexed.classes, report };
  for (const [name, entries] of Object.entries(parts)) {
    result[name as 'train' | 'val' | 'test'] = await decodeSplit(entries, indexed.classes, opts, report, progress);
  }
  return result as WebImageFolderResult;
}

async function decodeSplit(
  entries: WebImageEntry[],
  classes: string[],
  opts: ResolvedWebOptions,
  report: WebImageFolderReport,
  progress: { done: number; total: number },
): Promise<InMemoryImageDataset> {
  const { spec } = opts;
  const size = spec.channels * spec.height * spec.width;
  const pixels = new Uint8Array(entries.length * size);
  const ok = new Uint8Array(entries.length);
  const bad: Array<{ index: number; reason: string }> = [];
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < entries.length && !failed) {
      const index = next++;
      const reason = await decodeInto(entries[index].file, spec, pixels, index * size);
      if (reason === undefined) ok[index] = 1;
      else {
        bad.push({ index, reason });
        failed = opts.onBadImage === 'error'; // no new decodes; those in flight finish
      }
      opts.onProgress(++progress.done, progress.total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, Math.max(1, entries.length)) }, worker));
  bad.sort((a, b) => a.index - b.index);
  if (failed) {
    // every file before the last one started has been decoded: this is the first bad file in order
    const { index, reason } = bad[0];
    throw new ValueError(`imageFolder: cannot decode ${entries[index].rel}: ${reason} (pass onBadImage: 'skip' to leave such files out)`);
  }
  for (const b of bad) report.skipped.push({ file: entries[b.index].rel, reason: b.reason });
  const kept = entries.flatMap((_, i) => (ok[i] === 1 ? [i] : []));
  report.decoded += kept.length;
  const packed = kept.length === entries.length ? pixels : new Uint8Array(kept.length * size);
  if (packed !== pixels) kept.forEach((i, k) => packed.set(pixels.subarray(i * size, (i + 1) * size), k * size));
  return new InMemoryImageDataset({
    pixels: packed,
    labels: Int32Array.from(kept, (i) => entries[i].label),
    files: kept.map((i) => entries[i].rel),
    classes,
    sampleShape: [spec.channels, spec.height, spec.width],
    lut: opts.lut,
  });
}

/** Decodes one file into `into[at…]`; returns why it failed, or undefined. */
async function decodeInto(file: Blob, spec: ResolvedWebOptions['spec'], into: Uint8Array, at: number): Promise<string | undefined> {
  if (file.size === 0) return 'empty file (0 bytes)';
  try {
    into.set(await decodeBlob(file, spec), at);
    return undefined;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('imageFolder:')) throw e; // no decoder at all: not this file's fault
    return `not a decodable image (${e instanceof Error ? e.message : String(e)})`;
  }
}
