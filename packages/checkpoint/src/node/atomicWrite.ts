import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Temporary files of {@link writeFileAtomic} and the directory store's writability probe:
 * `.<name>.<pid>.<random>.tmp`, next to the target. The random part is optional so the
 * `.probe.<pid>.tmp` files of earlier versions are recognised (and cleaned up) too.
 */
export const TEMP_FILE = /^\.(.+)\.(\d+)(?:\.([0-9a-f]{12}))?\.tmp$/;

/** A fresh temporary file name for `name` owned by this process; it matches {@link TEMP_FILE}. */
export function tempFileName(name: string): string {
  return `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Replaces `path` with `bytes` atomically: the bytes go to a temporary file in the same
 * directory, which is flushed to disk (fsync) and then renamed over `path` (atomic on POSIX
 * file systems and on NTFS); the directory is fsynced too, so the rename survives a power cut.
 * If the process dies at any point, `path` holds the old or the new bytes in full, never a mix;
 * at worst a temporary file is left behind (the directory store removes those of dead processes).
 * A failure (a full disk, a read-only file system) removes the temporary file, leaves `path`
 * as it was, and throws the system error with `path` in its message (its `code` kept).
 *
 * @example await writeFileAtomic('runs/a/latest.safetensors', bytes);
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, tempFileName(basename(path)));
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o644);
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (e) {
    await handle?.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw naming(e, path);
  }
  await syncDirectory(dir);
}

/** The system error `e` with the file it concerns in its message (Node leaves it out of write and fsync errors). */
function naming(e: unknown, path: string): unknown {
  if (!(e instanceof Error) || e.message.includes(path)) return e;
  const named = new Error(`${e.message} (writing ${path})`, { cause: e }) as NodeJS.ErrnoException;
  const { code, errno, syscall } = e as NodeJS.ErrnoException;
  Object.assign(named, { code, errno, syscall, path });
  return named;
}

/** fsync a directory so a rename in it is durable (not possible on every platform: then skipped). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open or fsync a directory; its renames are durable enough for this purpose
  } finally {
    await handle?.close().catch(() => {});
  }
}
