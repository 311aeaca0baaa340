// What `trainkit train` leaves in --out when it fails or refuses, what --resume accepts, and how
// paths the user gave that cannot be read or written are reported.
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeImageFolder } from './__tests__/fixtures';
import { type CliResult, trainkit } from './__tests__/spawnCli';

let dir = '';
let doneRunJson = '';
const TIMEOUT = 60_000;
const SMALL = ['--size', '12', '--epochs', '2', '--batch-size', '8'];

/** A usage error: exit code 2 and one line on stderr matching `message`. */
function expectUsageError(r: CliResult, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-run-folder-'));
  await writeImageFolder(join(dir, 'squares'), 6);
  await cp(join(dir, 'squares'), join(dir, 'broken'), { recursive: true });
  await writeFile(join(dir, 'broken', 'top', 'zz.png'), 'not a picture'); // sorts last: fails during the first epoch
  const done = await trainkit(['train', 'squares', ...SMALL, '--out', 'runs/done'], dir);
  expect(done.code, done.stderr).toBe(0);
  doneRunJson = await readFile(join(dir, 'runs/done/run.json'), 'utf8');
}, TIMEOUT);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('a new run that fails before its first checkpoint', () => {
  test('removes the --out folder (and the parent folders) it made, so running the same command again fails the same way', async () => {
    const args = ['train', 'broken', ...SMALL, '--out', 'made/by/train'];
    const first = await trainkit(args, dir);
    expectUsageError(first, /^trainkit train: imageFolder: cannot decode .*zz\.png/);
    expect(existsSync(join(dir, 'made'))).toBe(false);
    const again = await trainkit(args, dir);
    expectUsageError(again, /^trainkit train: imageFolder: cannot decode .*zz\.png/); // not "already holds a run"
  }, TIMEOUT);

  test('keeps an --out folder that existed, taking out only the files it wrote', async () => {
    await mkdir(join(dir, 'mine'));
    await writeFile(join(dir, 'mine', 'notes.txt'), 'kept');
    const r = await trainkit(['train', 'broken', ...SMALL, '--out', 'mine'], dir);
    expectUsageError(r, /cannot decode .*zz\.png/);
    expect(await readdir(join(dir, 'mine'))).toEqual(['notes.txt']);
  }, TIMEOUT);
});

describe('trainkit train --resume', () => {
  test('with no run in --out exits 2 naming --out, and creates nothing', async () => {
    const r = await trainkit(['train', 'squares', ...SMALL, '--out', 'runs/nothing', '--resume'], dir);
    expectUsageError(r, /^trainkit train --resume: --out runs\/nothing holds no run to resume \(no run\.json\)/);
    expect(r.stdout).toBe('');
    expect(existsSync(join(dir, 'runs/nothing'))).toBe(false);
  }, TIMEOUT);

  test('with a run.json but no latest.safetensors in --out exits 2 saying there is no checkpoint to resume', async () => {
    await mkdir(join(dir, 'runs/no-checkpoint'), { recursive: true });
    await writeFile(join(dir, 'runs/no-checkpoint/run.json'), doneRunJson);
    const r = await trainkit(['train', '--out', 'runs/no-checkpoint', '--resume'], dir);
    expectUsageError(r, /^trainkit train --resume: --out runs\/no-checkpoint has no checkpoint to resume \(no latest\.safetensors\)/);
    expect(await readdir(join(dir, 'runs/no-checkpoint'))).toEqual(['run.json']);
  }, TIMEOUT);

  test('refuses --epochs below the run\'s before writing anything', async () => {
    const r = await trainkit(['train', '--out', 'runs/done', '--resume', '--epochs', '1'], dir);
    expectUsageError(r, /--epochs 1 is below the run's 2 \(runs\/done\/run\.json\); a resumed run may raise --epochs but not lower it/);
    expect(await readFile(join(dir, 'runs/done/run.json'), 'utf8')).toBe(doneRunJson);
  }, TIMEOUT);

  test('refuses a data option that differs from run.json, naming the option and the run\'s value, and accepts the run\'s own values', async () => {
    const cases: [string[], RegExp][] = [
      [['--size', '16'], /--size 16 differs from the run's 12,12 \(runs\/done\/run\.json\)/],
      [['--color', 'grayscale'], /--color grayscale differs from the run's rgb/],
      [['--fit', 'fill'], /--fit fill differs from the run's cover/],
      [['--orientation', 'ignore'], /--orientation ignore differs from the run's exif/],
      [['--mean', '0.5,0.5,0.5', '--std', '0.2,0.2,0.2'], /--mean 0.5,0.5,0.5 differs from the run, which has no --mean/],
      [['--target', 'species'], /--target species differs from the run, which has no --target/],
      [['--categorical', 'shape'], /--categorical shape differs from the run, which has no --categorical/],
      [['--missing', 'drop'], /--missing drop differs from the run, which has no --missing/],
    ];
    const results = await Promise.all(cases.map(([flags]) => trainkit(['train', '--out', 'runs/done', '--resume', ...flags], dir)));
    results.forEach((r, i) => expectUsageError(r, cases[i][1]));
    expect(await readFile(join(dir, 'runs/done/run.json'), 'utf8')).toBe(doneRunJson);
    const same = await trainkit(['train', '--out', 'runs/done', '--resume', '--size', '12', '--color', 'rgb', '--fit', 'cover'], dir);
    expect(same.code, same.stderr).toBe(0);
  }, TIMEOUT);
});

describe('a refused --overwrite', () => {
  test('of a model the images cannot take leaves the earlier run as it was, so it still evaluates', async () => {
    const before = { files: (await readdir(join(dir, 'runs/done'))).sort(), run: await readFile(join(dir, 'runs/done/run.json'), 'utf8') };
    const cases: [string[], RegExp][] = [
      [['--model', 'vit', '--size', '12,10'], /^trainkit train: --model vit needs square images, got 12×10; pass --size 12/],
      [['--size', '3'], /^trainkit train: --model cnn needs images of at least 4×4 \(it halves them twice\), got 3×3; pass --size 4 or more/],
    ];
    for (const [flags, message] of cases) {
      const r = await trainkit(['train', 'squares', '--epochs', '1', ...flags, '--overwrite', '--out', 'runs/done'], dir);
      expectUsageError(r, message);
    }
    expect({ files: (await readdir(join(dir, 'runs/done'))).sort(), run: await readFile(join(dir, 'runs/done/run.json'), 'utf8') }).toEqual(before);
    const e = await trainkit(['eval', 'runs/done', 'squares'], dir);
    expect(e.code, e.stderr).toBe(0);
  }, TIMEOUT);
});

describe('paths that cannot be read or written', () => {
  test('are usage errors (exit 2, one line) that name the option and the path, never "unexpected error"', async () => {
    const cases: [string[], RegExp][] = [
      [['eval', 'runs/done', 'squares', '--svg', 'no-such-folder/c.svg'], /^trainkit eval: cannot write --svg no-such-folder\/c\.svg: the folder no-such-folder does not exist; give --svg a file in an existing folder/],
      [['eval', 'runs/done/run.json', 'squares'], /^trainkit eval: runs\/done\/run\.json is not a folder/],
      [['train', 'squares', '--out', 'runs/done/run.json'], /^trainkit train: --out runs\/done\/run\.json is not a folder .*; pick a folder for the run with --out/],
    ];
    const results = await Promise.all(cases.map(([args]) => trainkit(args, dir)));
    results.forEach((r, i) => expectUsageError(r, cases[i][1]));
  }, TIMEOUT);
});
