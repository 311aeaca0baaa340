import type { PathedFile } from './files';

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Every entry of a folder (readEntries hands them out in batches until an empty one). */
async function children(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/** Adds the files under `entry` to `out`, with paths from `entry` down (`photos/cat/001.png`). */
async function walk(entry: FileSystemEntry, out: PathedFile[], parent = ''): Promise<void> {
  const path = parent === '' ? entry.name : `${parent}/${entry.name}`;
  if (entry.isFile) out.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
  else if (entry.isDirectory) for (const child of await children(entry as FileSystemDirectoryEntry)) await walk(child, out, path);
}

/**
 * The files of a drop (folders walked recursively), each with its path from the dropped
 * folder down (`photos/cat/001.png`), ready for the browser `imageFolder`. Call it in the
 * `drop` handler before any `await`: the browser empties `dataTransfer` once the handler
 * returns; the entries are taken synchronously, then read.
 *
 * @example
 * zone.addEventListener('drop', async (e) => {
 *   e.preventDefault();
 *   const { train, classes } = await imageFolder(await filesFromDrop(e.dataTransfer!), { size: 28 });
 * });
 */
export async function filesFromDrop(data: DataTransfer): Promise<PathedFile[]> {
  const items = Array.from(data.items).filter((i) => i.kind === 'file');
  const roots = items.map((i) => ({ entry: typeof i.webkitGetAsEntry === 'function' ? i.webkitGetAsEntry() : null, file: i.getAsFile() }));
  const out = await filesFromEntries(roots.flatMap((r) => (r.entry === null ? [] : [r.entry])));
  for (const { entry, file } of roots) if (entry === null && file !== null) out.push({ path: file.name, file });
  return out;
}

/**
 * The files under file-system entries (a drop's `webkitGetAsEntry()` results), folders walked
 * recursively, each with its path from the entry down (`photos/cat/001.png`).
 */
export async function filesFromEntries(entries: readonly FileSystemEntry[]): Promise<PathedFile[]> {
  const out: PathedFile[] = [];
  for (const entry of entries) await walk(entry, out);
  return out;
}
