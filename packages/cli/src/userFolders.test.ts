// Image folders as users have them: read-only, or with only a few images per class.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { writeImageFolder } from './__tests__/fixtures';
import { trainkit } from './__tests__/spawnCli';
import { fallbackCacheDir } from './imageCache';
import type { RunFile } from './runFile';

let dir = '';
const TIMEOUT = 60_000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-user-folders-'));
  await writeImageFolder(join(dir, 'squares'), 6);
  await writeFile(join(dir, 'squares', '.trainkit-cache'), 'a file where the cache folder would go'); // refuses the cache as a read-only folder does
  await writeImageFolder(join(dir, 'few'), 2);
}, TIMEOUT);

afterAll(async () => {
  if (dir === '') return;
  await rm(fallbackCacheDir(join(dir, 'squares')), { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

test('a data folder that cannot hold the decoded cache (read-only) trains and evaluates with the cache in the temporary folder, saying where', async () => {
  const cache = fallbackCacheDir(join(dir, 'squares'));
  const t = await trainkit(['train', 'squares', '--size', '12', '--epochs', '1', '--out', 'runs/ro'], dir);
  expect(t.code, t.stderr).toBe(0);
  expect(t.stdout).toContain(`squares cannot hold the decoded cache (read-only?), so it is in ${cache}`);
  expect((await readdir(cache)).filter((f) => f.endsWith('.tkcache'))).toHaveLength(2); // train and val
  const e = await trainkit(['eval', 'runs/ro', 'squares'], dir);
  expect(e.code, e.stderr).toBe(0);
  expect(e.stdout).toMatch(/accuracy: .*\(\d+ \/ 18\)/);
  expect(existsSync(join(cache, 'eval', 'classes.json'))).toBe(true);
  expect(await readdir(join(dir, 'squares'))).toEqual(['.trainkit-cache', 'bottom', 'left', 'top']);
}, TIMEOUT);

test('a folder with too few images per class for --val-fraction trains without validation (best follows the training accuracy) instead of failing on an empty validation set', async () => {
  const t = await trainkit(['train', 'few', '--size', '12', '--epochs', '1', '--out', 'runs/few'], dir);
  expect(t.code, t.stderr).toBe(0);
  expect(t.stdout).toContain('3 classes, 6 training samples [3, 12, 12]');
  expect(t.stdout).toContain('no validation images (too few per class for --val-fraction 0.1, or an empty val/ folder); best follows the training accuracy');
  const run = JSON.parse(await readFile(join(dir, 'runs/few/run.json'), 'utf8')) as RunFile;
  expect(run.training.monitor).toBe('accuracy');
  expect(existsSync(join(dir, 'runs/few/best.safetensors'))).toBe(true);
}, TIMEOUT);
