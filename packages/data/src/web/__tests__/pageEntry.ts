// The page script of the browser image-folder test: runs the browser imageFolder on files the
// test hands over as bytes and returns plain data (datasets gathered whole).
import { type InMemoryImageDataset, type WebImageFolderOptions, filesFromEntries, imageFolder } from '../../web';

export interface FileBytes {
  path: string;
  bytes: number[];
  /** The file itself, when the page already has it (then `bytes` is unused). */
  blob?: Blob;
}

export interface DatasetData {
  length: number;
  labels: number[];
  files: readonly string[];
  sampleShape: readonly number[];
  x: number[];
}

function data(ds: InMemoryImageDataset | undefined): DatasetData | undefined {
  if (ds === undefined) return undefined;
  const all = ds.gather(Array.from({ length: ds.length }, (_, i) => i));
  return { length: ds.length, labels: [...ds.labels], files: ds.files, sampleShape: ds.sampleShape, x: Array.from(all.x.data) };
}

async function run(files: FileBytes[], options: WebImageFolderOptions) {
  let progress = 0;
  try {
    const pathed = files.map((f) => ({ path: f.path, file: f.blob ?? new Blob([Uint8Array.from(f.bytes)]) }));
    const r = await imageFolder(pathed, { ...options, onProgress: () => void progress++ });
    return { classes: r.classes, report: r.report, progress, train: data(r.train), val: data(r.val), test: data(r.test) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** The old (still supported) file-system API whose entries a drop hands out: a sandboxed temporary file system. */
interface EntryFs {
  root: {
    getDirectory(path: string, o: { create: boolean }, ok: (d: FileSystemDirectoryEntry) => void, fail: (e: unknown) => void): void;
    getFile(path: string, o: { create: boolean }, ok: (f: { createWriter(ok: (w: { onwriteend: () => void; onerror: (e: unknown) => void; write(b: Blob): void }) => void): void }) => void, fail: (e: unknown) => void): void;
  };
}

/**
 * Writes `files` under a new folder of a temporary file system, then loads that folder's entry
 * the way a drop does: `filesFromEntries([entry])` walked into `imageFolder`.
 */
async function runFromEntries(files: FileBytes[], options: WebImageFolderOptions) {
  const request = (window as unknown as { webkitRequestFileSystem(t: number, size: number, ok: (fs: EntryFs) => void, fail: (e: unknown) => void): void }).webkitRequestFileSystem;
  const fs = await new Promise<EntryFs>((ok, fail) => request(0, 64 << 20, ok, fail));
  const base = `drop-${Math.random().toString(36).slice(2)}`;
  const mkdir = (path: string) => new Promise<FileSystemDirectoryEntry>((ok, fail) => fs.root.getDirectory(path, { create: true }, ok, fail));
  await mkdir(base);
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) await mkdir(`${base}/${parts.slice(0, i).join('/')}`);
    await new Promise<void>((ok, fail) =>
      fs.root.getFile(`${base}/${f.path}`, { create: true }, (entry) => entry.createWriter((w) => {
        w.onwriteend = () => ok();
        w.onerror = fail;
        w.write(new Blob([Uint8Array.from(f.bytes)]));
      }), fail),
    );
  }
  const top = files[0].path.split('/')[0];
  const pathed = await filesFromEntries([await mkdir(`${base}/${top}`)]);
  return { paths: pathed.map((p) => p.path).sort(), result: await run(pathed.map((p) => ({ path: p.path, bytes: [] as number[], blob: p.file })), options) };
}

(window as unknown as { run: typeof run }).run = run;
(window as unknown as { runFromEntries: typeof runFromEntries }).runFromEntries = runFromEntries;
(window as unknown as { ready: boolean }).ready = true;
