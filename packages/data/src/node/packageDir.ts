import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The folder of an installed npm package, looked up from this module first (where a
 * peer dependency lives), then from the working directory.
 *
 * @param name - the package name.
 * @param caller - who needs it, for the error message.
 * @throws when the package is not installed, telling the user how to install it.
 */
export function packageDir(name: string, caller: string): string {
  const bases = [import.meta.url, pathToFileURL(join(process.cwd(), 'noop.js')).href];
  for (const base of bases) {
    try {
      return dirname(createRequire(base).resolve(`${name}/package.json`));
    } catch {
      // not found from this base; try the next one
    }
  }
  throw new Error(
    `${caller}: the data comes from the npm package "${name}", which is not installed. ` +
      `Run \`npm install ${name}\` (it is an optional peer dependency of @trainkit/data), or pass { dir } pointing at a copy of its files.`,
  );
}

/**
 * Returns the cached promise for `key`, or starts `load` and caches it. A rejected load is
 * forgotten, so a later call retries.
 */
export function memoize<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = load();
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}
