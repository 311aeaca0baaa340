import { open } from 'node:fs/promises';

/** The most bytes one read call moves (Node refuses single reads, and `readFile`, past 2 GiB). */
const CHUNK = 1 << 30;

/**
 * A whole file's bytes, read in chunks of at most `chunk` bytes into one array: `readFile` refuses
 * files over 2 GiB (`ERR_FS_FILE_TOO_LARGE`), which a large model's weights plus Adam's two slots
 * reach at about 180 M parameters, so such a checkpoint could be written but not read back.
 */
export async function readWhole(path: string, chunk = CHUNK): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const bytes = new Uint8Array(size);
    for (let at = 0; at < size; ) {
      const { bytesRead } = await file.read(bytes, at, Math.min(chunk, size - at), at);
      if (bytesRead === 0) throw new Error(`${path} ended at byte ${at} of the ${size} its size gave (it shrank while being read)`);
      at += bytesRead;
    }
    return bytes;
  } finally {
    await file.close();
  }
}
