import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temporary files: `.<name>.<pid>.<random>.tmp`, next to the file they become. */
const TEMP_FILE = /^\.(.+)\.(\d+)\.([0-9a-f]{12})\.tmp$/;

/**
 * A file written in pieces (in any order) that appears under its name only when complete:
 * the bytes go to a temporary file in the same directory, which {@link commit} flushes to disk
 * (fsync) and renames over `path`, then fsyncs the directory. A process killed at any moment
 * leaves `path` as it was (absent, or the previous complete file) plus at worst a temporary
 * file, which {@link removeStaleTemps} deletes once its process is gone.
 */
export class AtomicFile {
  private constructor(
    readonly path: string,
    readonly temp: string,
    private handle: FileHandle | undefined,
  ) {}

  /** Starts writing `path` (its directory must exist). */
  static async create(path: string): Promise<AtomicFile> {
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    return new AtomicFile(path, temp, await open(temp, 'wx', 0o644));
  }

  /** Writes `bytes` at byte `position`. */
  async write(bytes: Uint8Array, position: number): Promise<void> {
    if (this.handle === undefined) throw new Error(`AtomicFile: ${this.path} is already committed or aborted`);
    let done = 0;
    while (done < bytes.length) done += (await this.handle.write(bytes, done, bytes.length - done, position + done)).bytesWritten;
  }

  /** Flushes the temporary file and renames it over `path`. */
  async commit(): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) throw new Error(`AtomicFile: ${this.path} is already committed or aborted`);
    this.handle = undefined;
    try {
      await handle.sync();
      await handle.close();
      await rename(this.temp, this.path);
    } catch (e) {
      await handle.close().catch(() => {});
      await rm(this.temp, { force: true }).catch(() => {});
      throw e;
    }
    await syncDirectory(dirname(this.path));
  }

  /** Gives up: closes and removes the temporary file; `path` stays as it was. */
  async abort(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
    await rm(this.temp, { force: true }).catch(() => {});
  }
}

/** Removes the temporary files of `name` in `dir` left by processes that no longer run. */
export async function removeStaleTemps(dir: string, name: string): Promise<void> {
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const m = TEMP_FILE.exec(entry);
    if (m === null || m[1] !== name || isAlive(Number(m[2]))) continue;
    await rm(join(dir, entry), { force: true }).catch(() => {});
  }
}

/** Whether process `pid` runs (this one included; one of another user counts as running). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** fsync a directory so a rename in it is durable (skipped where a directory cannot be opened). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a directory
  } finally {
    await handle?.close().catch(() => {});
  }
}
