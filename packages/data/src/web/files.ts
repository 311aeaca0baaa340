import { ValueError } from '@trainkit/tensor';
import { valCount } from '../split';

/** A file with its path inside the picked or dropped folder (`cat/001.png`, or `photos/cat/001.png`). */
export interface PathedFile {
  path: string;
  file: Blob;
}

/** What the browser {@link imageFolder} accepts: a `FileList` from `<input webkitdirectory>`, Files, or files with their paths. */
export type FolderFiles = FileList | Iterable<File | PathedFile>;

/** File extensions decoded as images (case-insensitive), as in `@trainkit/data/node`. */
export const WEB_IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp', '.gif'];

/** One image file of a class folder. */
export interface WebImageEntry {
  /** Path inside the dataset folder, `/`-separated, without the picked folder's own name. */
  rel: string;
  file: Blob;
  label: number;
}

/** A file that is not decoded, and why. */
export interface WebIgnoredFile {
  file: string;
  reason: string;
}

/** The files sorted into classes and splits. */
export interface IndexedFolder {
  classes: string[];
  /** `train`, and `val` / `test` with a `train/` + `val/` layout. */
  parts: Record<string, WebImageEntry[]>;
  ignored: WebIgnoredFile[];
}

const SPLITS = ['train', 'val', 'test'];
/** Split folder names and the split each gives (`valid/`, `validation/`: val, as Kaggle and Roboflow exports name it; as the Node imageFolder). */
const SPLIT_OF: ReadonlyMap<string, string> = new Map([['train', 'train'], ['val', 'val'], ['valid', 'val'], ['validation', 'val'], ['test', 'test']]);

function pathOf(f: File | PathedFile): PathedFile {
  if (f !== null && typeof f === 'object' && 'path' in f && 'file' in f) {
    if (typeof f.path !== 'string' || !(f.file instanceof Blob)) throw new ValueError('imageFolder: each { path, file } needs a string path and a Blob file');
    return f;
  }
  if (!(f instanceof Blob)) throw new ValueError(`imageFolder: expected File objects or { path, file } pairs, got ${Object.prototype.toString.call(f)}`);
  const relative = (f as File & { webkitRelativePath?: string }).webkitRelativePath;
  return { path: relative || f.name, file: f };
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Paths split into segments, without the folder that was picked or dropped: when every path
 * starts with the same folder and some lie two folders deep, that folder is the dataset folder
 * itself (`photos/cat/1.png` → `cat/1.png`). Hidden files and folders are left out.
 */
function segmentsOf(files: PathedFile[]): Array<{ parts: string[]; file: Blob }> {
  const all = files.map((f) => ({ parts: f.path.split(/[\\/]+/).filter((p) => p !== '' && p !== '.'), file: f.file }));
  const visible = all.filter((f) => f.parts.length > 0 && !f.parts.some((p) => p.startsWith('.')));
  const first = visible[0]?.parts[0];
  const wrapped = visible.every((f) => f.parts.length >= 2 && f.parts[0] === first) && visible.some((f) => f.parts.length >= 3);
  return wrapped ? visible.map((f) => ({ parts: f.parts.slice(1), file: f.file })) : visible;
}

function isImage(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && WEB_IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

/**
 * Sorts files into classes like the Node `imageFolder`: the first folder of each path is its
 * class (classes sorted by name), or, when the top folders are `train/` and `val/` (or `valid/`, `validation/`) or `test/`
 * (or `train/` alone, holding class folders), the second. Files outside a class folder, and files that are not images by their extension,
 * are listed in `ignored`. A class folder without images is an error.
 */
export function indexFolder(input: FolderFiles): IndexedFolder {
  if (input === null || typeof input !== 'object' || !(Symbol.iterator in input)) {
    throw new ValueError('imageFolder: files must be a FileList (from <input webkitdirectory> or a drop), an array of Files, or { path, file } pairs');
  }
  const files = segmentsOf(Array.from(input as Iterable<File | PathedFile>, pathOf));
  const tops = new Set(files.filter((f) => f.parts.length > 1).map((f) => f.parts[0]));
  // train/ (+ val/, test/) holding class folders is a split layout, train/ alone too (it is not a class named "train")
  const trainHasClasses = files.some((f) => f.parts.length > 2 && f.parts[0] === 'train');
  const layout = tops.has('train') && [...tops].every((t) => SPLIT_OF.has(t)) && (tops.size > 1 || trainHasClasses);
  const folderOf = new Map<string, string>(); // split → the folder it was read from
  for (const t of layout ? tops : []) {
    const split = SPLIT_OF.get(t) as string;
    if (folderOf.has(split)) throw new ValueError(`imageFolder: both ${folderOf.get(split)}/ and ${t}/ are a ${split} split; keep one`);
    folderOf.set(split, t);
  }
  const ignored: WebIgnoredFile[] = [];
  const grouped = new Map<string, Map<string, Array<{ rel: string; file: Blob }>>>(); // split → class → files
  for (const { parts, file } of files) {
    const rel = parts.join('/');
    const depth = layout ? 2 : 1;
    if (parts.length <= depth) {
      ignored.push({ file: rel, reason: layout ? 'not inside a class folder of train/, val/ or test/' : 'not inside a class folder' });
      continue;
    }
    const [split, cls] = layout ? [SPLIT_OF.get(parts[0]) as string, parts[1]] : ['train', parts[0]];
    const classes = grouped.get(split) ?? new Map<string, Array<{ rel: string; file: Blob }>>();
    grouped.set(split, classes);
    const members = classes.get(cls) ?? [];
    classes.set(cls, members);
    members.push({ rel, file });
  }
  const classes = [...(grouped.get('train')?.keys() ?? [])].sort(byName);
  if (classes.length === 0) {
    throw new ValueError('imageFolder: no file is inside a class folder; pick or drop a folder whose subfolders are the classes (<folder>/<class>/<image>)');
  }
  if (classes.length === 1 && SPLITS.includes(classes[0].toLowerCase())) {
    throw new ValueError(`imageFolder: the only class folder is ${classes[0]}/, named like a split; put each class's images in its own subfolder (${classes[0]}/<class>/<image>)`);
  }
  const parts: Record<string, WebImageEntry[]> = {};
  for (const split of SPLITS.filter((s) => grouped.has(s))) {
    const found = grouped.get(split) as Map<string, Array<{ rel: string; file: Blob }>>;
    const unknown = [...found.keys()].filter((c) => !classes.includes(c)).sort(byName);
    const folder = folderOf.get(split) ?? split;
    if (unknown.length > 0) throw new ValueError(`imageFolder: ${folder}/ has class folders that train/ lacks: ${unknown.join(', ')}`);
    parts[split] = classes.flatMap((cls, label) => entriesOf(found.get(cls) ?? [], label, layout ? `${folder}/${cls}` : cls, split !== 'train', ignored));
  }
  return { classes, parts, ignored };
}

function entriesOf(files: Array<{ rel: string; file: Blob }>, label: number, folder: string, missingAllowed: boolean, ignored: WebIgnoredFile[]): WebImageEntry[] {
  const entries: WebImageEntry[] = [];
  for (const { rel, file } of [...files].sort((a, b) => byName(a.rel, b.rel))) {
    if (isImage(rel)) entries.push({ rel, file, label });
    else ignored.push({ file: rel, reason: `not an image file (extension is not one of ${WEB_IMAGE_EXTENSIONS.join(' ')})` });
  }
  if (entries.length === 0 && !(missingAllowed && files.length === 0)) {
    throw new ValueError(`imageFolder: class folder ${folder} holds no images (${WEB_IMAGE_EXTENSIONS.join(', ')}); add images or remove the folder`);
  }
  return entries;
}

/**
 * The fewest files a class needs for the validation split to hold at least one of them out:
 * the smallest `n` with `min(round(fraction × n), n − 1) ≥ 1` (3 for a fraction of 0.2, since
 * round(0.4) = 0). Smaller classes train on all their files and have none in validation.
 */
export function minFilesForValidation(fraction: number): number {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`minFilesForValidation: fraction must be in (0, 1), got ${fraction}`);
  let n = 2;
  while (valCount(fraction, n) < 1) n++;
  return n;
}

/** Splits entries into train and validation exactly as `@trainkit/data/node` does (the same {@link splitByClass}). */
export { splitByClass as splitWebEntries } from '../split';
