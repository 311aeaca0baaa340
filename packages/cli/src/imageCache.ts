import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** How imageFolder says that its cache folder cannot be created or written. */
const UNWRITABLE = /^imageFolder: cannot create the decoded cache in /;

/**
 * Where the decoded-image cache of the data folder `dir` goes when `dir` cannot hold it (a
 * read-only mount, another user's dataset): a folder under the system's temporary folder named by
 * `dir`'s absolute path, so later runs on `dir` find it again.
 */
export function fallbackCacheDir(dir: string): string {
  return join(tmpdir(), 'trainkit-cache', createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 16));
}

/**
 * Runs `open` (an `imageFolder` call on `dir`) with its cache in `preferred` (undefined:
 * imageFolder's default, `<dir>/.trainkit-cache`); when that folder cannot be written, runs it
 * again with the cache in {@link fallbackCacheDir}`/<sub>`. Resolves with the result, and with the
 * folder the cache went to when it is the fallback.
 */
export async function withCacheFallback<T>(dir: string, preferred: string | undefined, sub: string, open: (cacheDir: string | undefined) => Promise<T>): Promise<{ result: T; movedTo?: string }> {
  try {
    return { result: await open(preferred) };
  } catch (e) {
    if (!(e instanceof Error) || !UNWRITABLE.test(e.message)) throw e;
    const movedTo = join(fallbackCacheDir(dir), sub);
    return { result: await open(movedTo), movedTo };
  }
}
