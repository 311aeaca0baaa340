import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeImage } from '../__tests__/images';
import { type DecodeItem, DecodePool } from './decodePool';
import { loadSharp } from './peers';

const SIDE = 4;
const BYTES = 3 * SIDE * SIDE;
/** Pixel (x, y) channel k of image i: distinct across images, channels and places. */
const value = (i: number, x: number, y: number, k: number): number => (i * 11 + x * 29 + y * 7 + k * 83) % 256;
const spec = { width: SIDE, height: SIDE, channels: 3, fit: 'fill' } as const;

let root = '';
let sharpPath = '';
const paths: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trainkit-decodepool-'));
  sharpPath = (await loadSharp('test')).path;
  for (let i = 0; i < 150; i++) {
    paths.push(join(root, `${i}.png`));
    await writeImage(paths[i], { width: SIDE, height: SIDE, pixel: (x, y, k) => value(i, x, y, k) });
  }
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Image i's bytes channel-major (CHW). */
function chw(i: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < 3; k++) for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) out.push(value(i, x, y, k));
  return out;
}

/** Runs `decode` into a new file; returns the file's bytes and the errors reported. */
async function decodeInto(items: DecodeItem[], options = { workers: 2, prefetch: 3 }): Promise<{ bytes: Buffer; errors: [number, string][] }> {
  const file = join(root, `out-${Math.random().toString(16).slice(2)}.bin`);
  const fd = openSync(file, 'w+');
  const pool = new DecodePool(spec, { sharpPath, ...options });
  const errors: [number, string][] = [];
  try {
    await pool.decode(fd, items, (index, reason) => void errors.push([index, reason]));
  } finally {
    await pool.close();
    closeSync(fd);
  }
  return { bytes: await readFile(file), errors };
}

describe('DecodePool', () => {
  test('every image lands, channel-major, at its own position: 150 images over several chunks and two workers, in consecutive runs and scattered slots', async () => {
    const slots = paths.map((_, i) => (i < 100 ? i : 300 - i)); // 0…99 in order, then 200…151 backwards
    const { bytes, errors } = await decodeInto(paths.map((path, i) => ({ path, position: slots[i] * BYTES })));
    expect(errors).toEqual([]);
    for (let i = 0; i < paths.length; i++) expect(Array.from(bytes.subarray(slots[i] * BYTES, (slots[i] + 1) * BYTES))).toEqual(chw(i));
  });

  test('a file that does not decode is reported with its index and left zero; its neighbours in the same chunk are written', async () => {
    const broken = join(root, 'broken.png');
    await writeFile(broken, 'not a png');
    const items = [paths[0], broken, paths[2]].map((path, i) => ({ path, position: i * BYTES }));
    const { bytes, errors } = await decodeInto(items, { workers: 1, prefetch: 2 });
    expect(errors.map(([i]) => i)).toEqual([1]);
    expect(errors[0][1]).toMatch(/unsupported image format|Input file/);
    expect([Array.from(bytes.subarray(0, BYTES)), Array.from(bytes.subarray(BYTES, 2 * BYTES)), Array.from(bytes.subarray(2 * BYTES))]).toEqual([chw(0), new Array(BYTES).fill(0), chw(2)]);
  });

  test('the call rejects when onError throws, and when the file cannot be written (naming the cache file)', async () => {
    const pool = new DecodePool(spec, { sharpPath, workers: 1, prefetch: 2 });
    const readOnly = openSync(paths[0], 'r');
    try {
      const items = [{ path: join(root, 'missing.png'), position: 0 }];
      const fd = openSync(join(root, 'rejects.bin'), 'w');
      await expect(
        pool.decode(fd, items, (_, reason) => {
          throw new Error(`bad: ${reason}`);
        }),
      ).rejects.toThrow(/^bad: .*missing\.png/);
      closeSync(fd);
      await expect(pool.decode(readOnly, [{ path: paths[1], position: 0 }], () => {})).rejects.toThrow(/cannot write decoded images into the cache file: .*EBADF/);
    } finally {
      await pool.close();
      closeSync(readOnly);
    }
  });
});
