import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { solid } from '../__tests__/images';
import { imageFolder } from './imageFolder';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..', '..');
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-imagecache-kill-'));
  for (let i = 0; i < 300; i++) await solid(join(dir, i % 2 === 0 ? 'even' : 'odd', `${i}.png`), [i % 256, 0, 0], { width: 24, height: 24 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a process SIGKILLed while writing the cache leaves no cache file, only its temporary file; the next call rebuilds the cache and removes that file', async () => {
  const cache = join(dir, '.trainkit-cache');
  const child = spawn(process.execPath, ['--conditions=@trainkit/source', '--import', 'tsx', join(here, '..', '__tests__', 'buildImageCache.ts'), dir], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const poll = setInterval(() => {
    if (existsSync(cache) && readdirSync(cache).some((f) => /^\.train\.[0-9a-f]{8}\.tkcache\./.test(f) && f.endsWith('.tmp'))) {
      clearInterval(poll);
      child.kill('SIGKILL');
    }
  }, 1);
  const signal = await exited;
  clearInterval(poll);
  expect(signal, stderr).toBe('SIGKILL');
  expect(readdirSync(cache)).toEqual([expect.stringMatching(new RegExp(`^\\.train\\.[0-9a-f]{8}\\.tkcache\\.${child.pid}\\.[0-9a-f]{12}\\.tmp$`))]); // classes.json comes only with the committed cache

  const { train, report } = await imageFolder(dir, { size: 16 });
  expect([report.fromCache, report.decoded, train.length]).toEqual([{ train: false }, 300, 300]);
  expect(readdirSync(cache).sort()).toEqual(['classes.json', expect.stringMatching(/^train\.[0-9a-f]{8}\.tkcache$/)]);
  const { x } = train.gather([0, 150]); // even/0.png (red 0) and odd/1.png (red 1): sorted by path, so check the files
  expect([train.files[0], train.files[150]]).toEqual(['even/0.png', 'odd/1.png']);
  expect([x.data[0], x.data[3 * 256]]).toEqual([0, Math.fround(1 / 255)]);
});
