// The page script of the browser image-folder test: runs the browser imageFolder on files the
// test hands over as bytes and returns plain data (datasets gathered whole).
import { type InMemoryImageDataset, type WebImageFolderOptions, imageFolder } from '../../web';

export interface FileBytes {
  path: string;
  bytes: number[];
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
    const pathed = files.map((f) => ({ path: f.path, file: new Blob([Uint8Array.from(f.bytes)]) }));
    const r = await imageFolder(pathed, { ...options, onProgress: () => void progress++ });
    return { classes: r.classes, report: r.report, progress, train: data(r.train), val: data(r.val), test: data(r.test) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

(window as unknown as { run: typeof run }).run = run;
(window as unknown as { ready: boolean }).ready = true;
