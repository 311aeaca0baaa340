import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeIdx } from '../__tests__/encodeIdx';
import { IdxError } from '../idx';
import { readIdxFile } from './readIdxFile';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-idx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readIdxFile', () => {
  test('reads back what encodeIdx wrote', async () => {
    const path = join(dir, 'ok-idx1-ubyte');
    await writeFile(path, encodeIdx('int32', [2, 2], [1, -2, 3, 2 ** 31 - 1]));
    expect(await readIdxFile(path)).toEqual({ type: 'int32', shape: [2, 2], data: Int32Array.of(1, -2, 3, 2 ** 31 - 1) });
  });

  test('a missing file is an error naming the path', async () => {
    const path = join(dir, 'missing-idx3-ubyte');
    await expect(readIdxFile(path)).rejects.toThrow(`readIdxFile: file not found: ${path}`);
  });

  test('a directory is an error naming the path', async () => {
    await expect(readIdxFile(dir)).rejects.toThrow(`readIdxFile: ${dir} is a directory, expected a file`);
  });

  test('a truncated file is an IdxError naming the path', async () => {
    const path = join(dir, 'truncated-idx3-ubyte');
    await writeFile(path, encodeIdx('uint8', [3, 2, 2], new Array<number>(12).fill(1)).subarray(0, -5));
    const error = await readIdxFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdxError);
    expect((error as Error).message).toBe(`parseIdx(${path}): truncated data: dimensions [3, 2, 2] of uint8: expected 12 bytes of data, found 7`);
  });
});
