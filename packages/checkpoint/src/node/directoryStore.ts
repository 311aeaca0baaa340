import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { CheckpointStore } from '../store';
import { TEMP_FILE, writeFileAtomic } from './atomicWrite';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * A {@link CheckpointStore} in a directory, with atomic writes ({@link writeFileAtomic}).
 * `prepare` creates the directory, proves it writable, and removes temporary files left by
 * processes that died while writing. `read` also accepts a path (anything with a slash),
 * relative to the working directory.
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
      for (const f of await readdir(location)) {
        const m = TEMP_FILE.exec(f);
        if (m !== null && !alive(Number(m[2]))) await rm(join(location, f), { force: true });
      }
      const probe = join(location, `.probe.${process.pid}.tmp`);
      await writeFile(probe, '', { flag: 'w' });
      await rm(probe, { force: true });
    },
    async write(name, bytes) {
      checkName(name);
      await writeFileAtomic(join(location, name), bytes);
    },
    async read(name) {
      try {
        return new Uint8Array(await readFile(pathOf(name)));
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
