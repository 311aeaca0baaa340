import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';

// Size of the generated dataset: 2 GB by default, as the issue asks (about 15 s here: the
// examples are 12 KiB images, so an epoch is 175k examples through a tiny model). The bounds
// on memory are the same at any size, which is the point; TRAINKIT_SHARD_TEST_MB sets another
// size (tools/bench runs it at 5 GB).
const MB = Number(process.env.TRAINKIT_SHARD_TEST_MB ?? 2048);
const SAMPLE_BYTES = 3 * 32 * 32 * 4;
/** Growth of RSS allowed while writing and while training. */
const BOUND_MB = 150;
/** The bound on the whole process while training over 2 GB. */
const RSS_LIMIT_MB = 600;

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..', '..');
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainkit-shards-memory-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test(`writing ${MB} MB of shards and training one epoch over them (in a fresh process) grows RSS by less than ${BOUND_MB} MB and keeps it under ${RSS_LIMIT_MB} MB; the epoch visits every example once, with its label`, async () => {
  const script = join(here, '..', '__tests__', 'shardsMemoryRun.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@trainkit/source', '--import', 'tsx', script, dir, String(MB)], { cwd: repo, maxBuffer: 2 ** 20 });
  const run = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number | boolean>;
  expect(run.bytesWritten).toBeGreaterThan(MB * 2 ** 20 - SAMPLE_BYTES);
  expect(run.everyExampleOnce).toBe(true);
  expect(run.mislabelled).toBe(0);
  expect(run.writingGrowthMB).toBeLessThan(BOUND_MB);
  expect(run.trainingGrowthMB).toBeLessThan(BOUND_MB);
  expect(run.peakRssMB).toBeLessThan(RSS_LIMIT_MB);
  if (process.env.TRAINKIT_SHARD_TEST_MB !== undefined) console.log(`SHARDS ${JSON.stringify(run)}`);
}, 600_000);
