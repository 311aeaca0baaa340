import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { solid } from '../__tests__/images';
import { imageFolder } from './imageFolder';

let root = '';
let n = 0;
/** A fresh folder for one test. */
const fresh = (): string => join(root, `case-${n++}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trainkit-imagefolder-layout-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** `train/` and a validation folder named `valName/`, each with cat/ and dog/ images. */
async function splitFolders(dir: string, valName: string): Promise<void> {
  for (const [split, count] of [['train', 2], [valName, 1]] as const) {
    for (let i = 0; i < count; i++) {
      await solid(join(dir, split, 'cat', `${i}.png`), [255, 0, 0]);
      await solid(join(dir, split, 'dog', `${i}.png`), [0, 0, 255]);
    }
  }
}

describe('imageFolder split folders and the cache folder', () => {
  test.each(['valid', 'validation'])('a train/ + %s/ layout (as Kaggle and Roboflow export it) gives the train and val splits, not two classes named after the folders', async (valName) => {
    const dir = fresh();
    await splitFolders(dir, valName);
    const { train, val, classes } = await imageFolder(dir, { size: 2 });
    expect(classes).toEqual(['cat', 'dog']);
    expect([train.files, Array.from(train.labels)]).toEqual([['train/cat/0.png', 'train/cat/1.png', 'train/dog/0.png', 'train/dog/1.png'], [0, 0, 1, 1]]);
    expect([val!.files, Array.from(val!.labels)]).toEqual([[`${valName}/cat/0.png`, `${valName}/dog/0.png`], [0, 1]]);
    await expect(imageFolder(dir, { size: 2, valFraction: 0.5 })).rejects.toThrow(`already has train/ + ${valName}/ folders; drop valFraction`);
  });

  test('a cache folder that cannot be created (a file in its place) is an error naming it and cacheDir, and nothing is written', async () => {
    const dir = fresh();
    await solid(join(dir, 'cat', '0.png'), [255, 0, 0]);
    await writeFile(join(dir, '.trainkit-cache'), 'not a folder');
    await expect(imageFolder(dir, { size: 2 })).rejects.toThrow(`imageFolder: cannot create the decoded cache in ${join(dir, '.trainkit-cache')} (a file is in the way); pass cacheDir: a folder you may write to`);
    await expect(imageFolder(dir, { size: 2, lazy: true })).rejects.toThrow('cannot create the decoded cache');
    const blocked = join(dir, '.trainkit-cache', 'below');
    await expect(imageFolder(dir, { size: 2, cacheDir: blocked })).rejects.toThrow(`imageFolder: cannot create the decoded cache in ${blocked} (a file is in the way)`);
    expect((await readdir(dir)).sort()).toEqual(['.trainkit-cache', 'cat']);
    await mkdir(join(dir, 'cache'));
    expect((await imageFolder(dir, { size: 2, cacheDir: join(dir, 'cache') })).classes).toEqual(['cat']);
  });
});
