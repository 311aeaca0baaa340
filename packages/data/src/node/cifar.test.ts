import { fc, test as fcTest } from '@fast-check/vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CIFAR10_CLASS_NAMES, loadCifar } from './cifar';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-cifar-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PIXELS = 3072;

/** CIFAR records: each label list (one byte per label) followed by 3,072 pixel bytes from `pixel(record, i)`. */
function records(labels: number[][], pixel: (r: number, i: number) => number): Uint8Array {
  const width = labels[0]?.length ?? 1;
  const out = new Uint8Array(labels.length * (width + PIXELS));
  labels.forEach((ls, r) => {
    const at = r * (width + PIXELS);
    out.set(ls, at);
    for (let i = 0; i < PIXELS; i++) out[at + width + i] = pixel(r, i);
  });
  return out;
}

let n = 0;
async function file(bytes: Uint8Array, name = `f${n++}.bin`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

describe('loadCifar', () => {
  fcTest.prop([fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 255 })], { numRuns: 15 })(
    'CIFAR-10: record r gives label byte 0 and pixels bytes 1..3072 / 255, CHW as stored',
    async (labels, seed) => {
      const pixel = (r: number, i: number): number => (seed + r * 31 + i * 7) % 256;
      const ds = await loadCifar([await file(records(labels.map((l) => [l]), pixel))], { variant: 10 });
      expect([ds.length, ds.sampleShape, ds.numClasses, Array.from(ds.y)]).toEqual([labels.length, [3, 32, 32], 10, labels]);
      const last = labels.length - 1;
      expect([ds.x[0], ds.x[last * PIXELS + 1025]]).toEqual([Math.fround(pixel(0, 0) / 255), Math.fround(pixel(last, 1025) / 255)]);
    },
  );

  test("CIFAR-100: label 'fine' reads the second label byte (100 classes), 'coarse' the first (20 classes)", async () => {
    const path = await file(records([[3, 77], [19, 99]], () => 0));
    const fine = await loadCifar([path], { variant: 100 });
    const coarse = await loadCifar([path], { variant: 100, label: 'coarse' });
    expect([Array.from(fine.y), fine.numClasses, Array.from(coarse.y), coarse.numClasses]).toEqual([[77, 99], 100, [3, 19], 20]);
  });

  test('a folder gives the split files of the download in order: data_batch_1..5.bin for train, test_batch.bin for test', async () => {
    const folder = join(dir, 'cifar-10-batches-bin');
    await mkdir(folder);
    for (let b = 1; b <= 5; b++) await file(records([[b]], () => b), `cifar-10-batches-bin/data_batch_${b}.bin`);
    await file(records([[0], [9]], () => 0), 'cifar-10-batches-bin/test_batch.bin');
    expect(Array.from((await loadCifar(folder, { variant: 10 })).y)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from((await loadCifar(folder, { variant: 10, split: 'test' })).y)).toEqual([0, 9]);
    await expect(loadCifar(folder, { variant: 100 })).rejects.toThrow(`loadCifar: ${folder} lacks train.bin; CIFAR-100 train is train.bin`);
    expect(CIFAR10_CLASS_NAMES[3]).toBe('cat');
  });

  test('a truncated file is an error naming the file, its size and the record size', async () => {
    const whole = records([[1], [2]], () => 5);
    const path = await file(whole.subarray(0, whole.length - 100), 'cut.bin');
    await expect(loadCifar([path], { variant: 10 })).rejects.toThrow(
      `loadCifar: ${path} is 6046 bytes, not a whole number of CIFAR-10 records of 3073 bytes (1 label byte + 3072 pixel bytes): the file is truncated or not CIFAR-10`,
    );
    await expect(loadCifar([await file(new Uint8Array(0))], { variant: 100 })).rejects.toThrow('is 0 bytes, not a whole number of CIFAR-100 records of 3074 bytes');
  });

  test('a label out of range (a CIFAR-100 file read as CIFAR-10) names the file and the record', async () => {
    const path = await file(records([[1], [42]], () => 0), 'wrong.bin');
    await expect(loadCifar([path], { variant: 10 })).rejects.toThrow(`loadCifar: ${path} record 1 has fine label 42, expected 0..9 for CIFAR-10: is this a CIFAR-10 file?`);
  });

  test('missing files and bad options are named', async () => {
    await expect(loadCifar([join(dir, 'nope.bin')], { variant: 10 })).rejects.toThrow(`loadCifar: file not found: ${join(dir, 'nope.bin')}`);
    await expect(loadCifar(join(dir, 'nowhere'), { variant: 10 })).rejects.toThrow(`loadCifar: folder not found: ${join(dir, 'nowhere')}`);
    await expect(loadCifar([], { variant: 10 })).rejects.toThrow('loadCifar: no files given');
    await expect(loadCifar(dir, { variant: 11 as 10 })).rejects.toThrow('loadCifar: variant must be 10 or 100, got 11');
    await expect(loadCifar(dir, { variant: 10, label: 'coarse' })).rejects.toThrow("loadCifar: label 'coarse' exists only in CIFAR-100");
  });
});
