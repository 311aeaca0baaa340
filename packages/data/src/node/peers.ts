import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Sharp = typeof import('sharp');
type CsvParse = typeof import('csv-parse');

/** The error for a missing optional peer dependency, telling the user what to install. */
function missingPeer(name: string, caller: string, purpose: string, cause: unknown): Error {
  return new Error(
    `${caller}: ${purpose} needs the npm package "${name}", which is not installed. ` +
      `Run \`npm install ${name}\` (it is an optional peer dependency of @trainkit/data).`,
    { cause },
  );
}

function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Loads sharp (libvips), the image decoder, and returns it with the path of its entry file,
 * which worker threads `require` (an eval'd worker cannot resolve packages from here).
 */
export async function loadSharp(caller: string): Promise<{ sharp: Sharp; path: string }> {
  let path: string;
  try {
    path = resolveFromHere('sharp');
  } catch (e) {
    throw missingPeer('sharp', caller, 'decoding images', e);
  }
  // Loaded in this thread first: libvips must be initialised by the main thread before workers load it.
  // (from here, or from the path found from the working directory when it is installed only there)
  const module = (await import('sharp').catch(() => import(pathToFileURL(path).href))) as { default: Sharp };
  return { sharp: module.default, path };
}

/** Loads csv-parse, the streaming CSV parser. */
export async function loadCsvParse(caller: string): Promise<CsvParse> {
  try {
    return await import('csv-parse');
  } catch (e) {
    if (isNotFound(e)) throw missingPeer('csv-parse', caller, 'reading CSV files', e);
    throw e;
  }
}

/** The CommonJS entry of package `name`, looked up from this module, then from the working directory. */
function resolveFromHere(name: string): string {
  const bases = [import.meta.url, pathToFileURL(join(process.cwd(), 'noop.js')).href];
  let last: unknown;
  for (const base of bases) {
    try {
      return createRequire(base).resolve(name);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
