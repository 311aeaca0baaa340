// The transcript in docs/guide/cli.md is what the command prints: this test runs the guide's
// command on the same generated folder and compares every line (timings masked).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { writeImageFolder } from './__tests__/fixtures';
import { trainkit } from './__tests__/spawnCli';

const guide = fileURLToPath(new URL('../../../docs/guide/cli.md', import.meta.url));
const COMMAND = 'trainkit train squares --size 12 --epochs 3 --batch-size 8 --out runs/sq';
let dir = '';

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** Throughput and seconds differ from run to run; everything else must not. */
const maskTimings = (line: string) => line.replace(/\d+ samples\/s {2}\d+\.\d s$/, '<n> samples/s  <t> s');

test('the guide shows what `trainkit train` prints on its 60 generated squares, line for line', async () => {
  const text = await readFile(guide, 'utf8');
  const at = text.indexOf(`\`${COMMAND}\` prints:`);
  expect(at, 'the guide names the command it shows').toBeGreaterThan(0);
  const block = text.slice(at).split('```')[1].trim().split('\n');

  dir = await mkdtemp(join(tmpdir(), 'trainkit-guide-'));
  await writeImageFolder(join(dir, 'squares'), 20);
  const r = await trainkit(COMMAND.split(' ').slice(1), dir);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split('\n').map(maskTimings)).toEqual(block.map(maskTimings));
}, 60_000);
