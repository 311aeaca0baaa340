import { readFile } from 'node:fs/promises';
import { type IdxArray, parseIdx } from '../idx';

/**
 * Reads and parses an IDX file (the format of the original MNIST files).
 *
 * @param path - the file to read (uncompressed; gunzip `.gz` downloads first).
 * @returns the element type, the dimensions and the elements; see `parseIdx`.
 * @throws an Error naming the path when the file cannot be read, an `IdxError` when it is
 *   not a well-formed IDX file.
 * @example
 * const labels = await readIdxFile('data/train-labels-idx1-ubyte'); // { type: 'uint8', shape: [60000], data }
 */
export async function readIdxFile(path: string): Promise<IdxArray> {
  return parseIdx(await readBytes('readIdxFile', path), path);
}

/** Reads a whole file; a failure becomes an error that names the caller and the path. */
export async function readBytes(caller: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw fileError(caller, path, err);
  }
}

function fileError(caller: string, path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new Error(`${caller}: file not found: ${path}`, { cause: err });
  if (code === 'EISDIR') return new Error(`${caller}: ${path} is a directory, expected a file`, { cause: err });
  return new Error(`${caller}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
}
