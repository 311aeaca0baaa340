import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runSweep } from '@trainkit/sweep/node';
import { bullmq } from '@trainkit/sweep/bullmq';
// the sweep package's own test helpers: a private redis-server and a checkpointed toy trial
import { type TestRedis, startRedis } from '../../sweep/src/bullmq/__tests__/redis';
import { toySpace } from '../../sweep/src/__tests__/toyTrial';
import { main } from './main';
import { trainkit } from './__tests__/spawnCli';

const tmp = mkdtempSync(join(tmpdir(), 'trainkit-cli-worker-'));
let redis: TestRedis;
/** The worker processes this file spawned, killed after each test (a failed one leaves none running). */
const children: ChildProcess[] = [];
beforeAll(async () => void (redis = await startRedis()));
afterEach(async () => {
  const running = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(running.map((c) => new Promise((resolve) => (c.once('close', resolve), c.kill('SIGKILL')))));
});
afterAll(async () => {
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('trainkit worker', () => {
  test('runs the trials a coordinator queues, with the code and checkpoints where this machine has them, and stops after SIGTERM with exit code 0', async () => {
    const here = { trials: fileURLToPath(new URL('../../sweep/src/bullmq/__tests__/trial.ts', import.meta.url)), checkpoints: join(tmp, 'mounted') };
    const args = ['worker', '--redis', redis.url, '--queue', 'cli', '--name', 'cli-worker', '--trials', here.trials, '--checkpoints', here.checkpoints];
    let taking: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (taking = resolve));
    const cli = trainkit(args, tmp, (text) => /taking trials from queue cli/.test(text) && taking());
    children.push(cli.child);
    // every wait also ends, with the worker's output, when the worker exits before it is stopped
    const early = cli.then(({ code, stdout, stderr }) => {
      throw new Error(`trainkit worker exited (${code}) before the test stopped it:\n${stdout}\n${stderr}`);
    });
    await Promise.race([ready, early]);
    const coordinator = runSweep({
      space: toySpace,
      trials: 2,
      metric: 'valLoss',
      // the coordinator's machine keeps the code and the shared volume at other paths
      trial: { module: '/on/the/coordinator/trial.ts', exportName: 'trial' },
      executor: bullmq({ redis: redis.url, queue: 'cli', checkpoints: '/on/the/coordinator/checkpoints' }),
    });
    const sweep = await Promise.race([coordinator, early]);
    expect(sweep.trials().map((t) => [t.status, t.worker])).toEqual([
      ['completed', 'cli-worker'],
      ['completed', 'cli-worker'],
    ]);
    expect(readdirSync(here.checkpoints)).toHaveLength(2);
    cli.child.kill('SIGTERM');
    const { code, stdout, stderr } = await cli;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/trainkit worker cli-worker: SIGTERM, finishing the running trials/);
  });

  test('bad command lines are usage errors (exit code 2) that say what is wrong', async () => {
    expect(await run(['worker', '--queue', 'q'])).toMatchObject({ code: 2, err: ['trainkit worker: --redis is required (see trainkit worker --help)'] });
    expect(await run(['worker', '--redis', 'http://localhost:6379', '--queue', 'q'])).toMatchObject({
      code: 2,
      err: ['trainkit worker: startWorker({ redis: "http://localhost:6379" }): redis must be a redis:// or rediss:// URL, got "http://localhost:6379"'],
    });
    expect(await run(['worker', '--redis', redis.url, '--queue', 'a:b'])).toMatchObject({ code: 2, err: [expect.stringMatching(/^trainkit worker: startWorker: queue must be a name of letters/)] });
    expect(await run(['worker', '--redis', redis.url, '--queue', 'q', '--concurrency', '0'])).toMatchObject({ code: 2, err: ['trainkit worker: --concurrency must be a positive integer, got "0"'] });
    const help = await run(['worker', '--help']);
    expect(help.code).toBe(0);
    expect(help.out[0]).toMatch(/^Usage: trainkit worker --redis redis:\/\/host:6379 --queue NAME/);
  });
});
