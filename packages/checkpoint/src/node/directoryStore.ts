import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { CheckpointStore } from '../store';
import { TEMP_FILE, tempFileName, writeFileAtomic } from './atomicWrite';
import { alive, lockDirectory, lockedElsewhere } from './lock';
import { readWhole } from './readWhole';

/**
 * A {@link CheckpointStore} in a directory, with atomic writes ({@link writeFileAtomic}).
 * `prepare` creates the directory, proves it writable, and removes temporary files left by
 * processes that died while writing (none while a run of another host holds the lock: on a
 * shared file system its process ids mean nothing here). `lock` takes the directory's writer lock (a
 * `.trainkit.lock` file with the process id and host; a lock of a dead process on this host
 * is taken over). `read` also accepts a path (anything with a slash), relative to the working
 * directory.
 *
 * @example const store = directoryStore('runs/mnist');
 */
export function directoryStore(dir: string): CheckpointStore {
  const location = resolve(dir);
  const pathOf = (name: string) => (isAbsolute(name) || /[/\\]/.test(name) ? resolve(name) : join(location, name));
  const checkName = (name: string) => {
    if (/[/\\]/.test(name) || name === '' || name.startsWith('.')) throw new Error(`directoryStore: invalid file name ${JSON.stringify(name)}`);
  };
  return {
    location,
    async prepare() {
      await mkdir(location, { recursive: true });
      // a run of another host (a shared file system) may be writing: its process ids say nothing here
      for (const f of (await lockedElsewhere(location)) ? [] : await readdir(location)) {
        const m = TEMP_FILE.exec(f);
        if (m !== null && !alive(Number(m[2]))) await rm(join(location, f), { force: true });
      }
      const probe = join(location, tempFileName('probe')); // named like every temporary file, so a kill here leaves nothing the next prepare keeps
      await writeFile(probe, '', { flag: 'wx' });
      await rm(probe, { force: true });
    },
    lock: () => lockDirectory(location),
    nameOf(path) {
      const p = resolve(path);
      return dirname(p) === location ? basename(p) : null;
    },
    async write(name, bytes) {
      checkName(name);
      await writeFileAtomic(join(location, name), bytes);
    },
    async read(name) {
      try {
        return await readWhole(pathOf(name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async remove(name) {
      checkName(name);
      await rm(join(location, name), { force: true });
    },
    async list() {
      try {
        return (await readdir(location, { withFileTypes: true })).filter((d) => d.isFile() && !d.name.startsWith('.')).map((d) => d.name);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    },
  };
}
