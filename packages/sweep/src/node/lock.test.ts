import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { toySpace, toyTrial } from '../__tests__/toyTrial';
import { type TrialFunction, LOCK_FILE, SweepError, inProcess, openSweep, runSweep } from '../node';

const base = { space: toySpace, trial: toyTrial, executor: inProcess(), trials: 2, metric: 'valLoss', mode: 'min' as const };
const tmp = mkdtempSync(join(tmpdir(), 'trainkit-sweep-lock-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lockOf = (dir: string) => join(dir, LOCK_FILE);
const lines = (dir: string) => readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n');

/** The pid of a process that has ended: a short-lived child, waited for. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** Runs `fn`, collecting the messages of the process warnings emitted meanwhile. */
async function warningsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error) => void seen.push(w.message);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

describe('the lock of a sweep directory: one coordinator at a time', () => {
  test('while a sweep runs its directory holds a lock naming this process; a second coordinator there is refused with the holder, runs nothing and writes nothing; reading results needs no lock', async () => {
    const dir = join(tmp, 'busy');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const gated: TrialFunction<{ lr: number; width: number }> = async (config, ctx) => {
      if (ctx.index === 0) {
        started();
        await gate;
      }
      return toyTrial(config, ctx);
    };
    const first = runSweep({ ...base, trial: gated, dir });
    await running;
    const holder = JSON.parse(readFileSync(lockOf(dir), 'utf8')) as { startedAt: string };
    expect(holder).toEqual({ pid: process.pid, hostname: hostname(), startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

    let ran = 0;
    const counted: TrialFunction<{ lr: number; width: number }> = (config, ctx) => (ran++, toyTrial(config, ctx));
    const second = runSweep({ ...base, trial: counted, dir });
    await expect(second).rejects.toThrow(SweepError);
    await expect(second).rejects.toThrow(
      `sweep directory ${dir} is in use by another coordinator: pid ${process.pid} on ${hostname()}, started ${holder.startedAt} (it holds ${lockOf(dir)}). ` +
        'Two coordinators on one directory would both append to its trials.jsonl: wait for that sweep to end or stop it, or give this one another dir.',
    );
    expect(ran).toBe(0);
    expect(existsSync(join(dir, 'trials.jsonl'))).toBe(false);
    expect(openSweep(dir, { metric: 'valLoss' }).trials()).toEqual([]);

    release();
    await first;
    expect(lines(dir)).toHaveLength(2); // the first coordinator's two trials, nothing of the second
    expect(readdirSync(dir).sort()).toEqual(['sweep.json', 'trials.jsonl']);
  });

  test('a lock left on this host by a coordinator that no longer runs (its pid is gone) is taken over, with a process warning that says so', async () => {
    const dir = join(tmp, 'stale');
    mkdirSync(dir);
    const pid = await deadPid();
    const startedAt = '2024-01-01T00:00:00.000Z';
    writeFileSync(lockOf(dir), JSON.stringify({ pid, hostname: hostname(), startedAt }));
    let statuses: string[] = [];
    const warnings = await warningsOf(async () => (statuses = (await runSweep({ ...base, dir })).trials().map((t) => t.status)));
    expect(statuses).toEqual(['completed', 'completed']);
    expect(warnings).toContain(`sweep directory ${dir}: took over the lock of a coordinator that no longer runs (pid ${pid} on ${hostname()}, started ${startedAt})`);
    expect(existsSync(lockOf(dir))).toBe(false);
  });

  test('a lock with this pid from before this process started (a container restarted with the same hostname and pid) is taken over too', async () => {
    const dir = join(tmp, 'restarted-container');
    mkdirSync(dir);
    writeFileSync(lockOf(dir), JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: '2000-01-01T00:00:00.000Z' }));
    const warnings = await warningsOf(() => runSweep({ ...base, dir }));
    expect(warnings.filter((w) => w.includes('took over the lock'))).toHaveLength(1);
    expect(lines(dir)).toHaveLength(2);
  });

  test('a lock from another host is never taken over: the error names the host and start time and says to delete the file if sure; the lock and the directory stay as they were', async () => {
    const dir = join(tmp, 'other-host');
    mkdirSync(dir);
    const lock = JSON.stringify({ pid: 4242, hostname: 'coordinator-0.example', startedAt: '2024-05-01T10:00:00.000Z' });
    writeFileSync(lockOf(dir), lock);
    const refused = runSweep({ ...base, dir });
    await expect(refused).rejects.toThrow(`sweep directory ${dir} is in use by another coordinator: pid 4242 on coordinator-0.example, started 2024-05-01T10:00:00.000Z`);
    await expect(refused).rejects.toThrow(
      `The lock comes from another host, so it is never taken over automatically: if you are sure no sweep runs on coordinator-0.example any more (its machine or pod is gone), delete ${lockOf(dir)} and run again.`,
    );
    expect(readFileSync(lockOf(dir), 'utf8')).toBe(lock);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
  });

  test('a lock file that names no coordinator is refused, not taken over', async () => {
    const dir = join(tmp, 'garbled');
    mkdirSync(dir);
    writeFileSync(lockOf(dir), 'not json');
    await expect(runSweep({ ...base, dir })).rejects.toThrow(`sweep directory ${dir}: its lock ${lockOf(dir)} names no coordinator ("not json")`);
    expect(readFileSync(lockOf(dir), 'utf8')).toBe('not json');
  });

  test('the lock is held during the run and gone after it: after a normal end, after a run that throws (onTrialEnd), and after one refused for its directory (another sweep)', async () => {
    const dir = join(tmp, 'released');
    const held: boolean[] = [];
    await runSweep({ ...base, dir, onTrialEnd: () => void held.push(existsSync(lockOf(dir))) });
    expect(held).toEqual([true, true]);
    expect(existsSync(lockOf(dir))).toBe(false);

    const throwing = join(tmp, 'released-throwing');
    await expect(
      runSweep({
        ...base,
        dir: throwing,
        onTrialEnd: () => {
          throw new Error('the callback failed');
        },
      }),
    ).rejects.toThrow('the callback failed');
    expect(existsSync(lockOf(throwing))).toBe(false);

    await expect(runSweep({ ...base, dir, seed: 7 })).rejects.toThrow(/belongs to a different sweep/);
    expect(existsSync(lockOf(dir))).toBe(false);
    // and the directory runs again at once
    expect((await runSweep({ ...base, dir })).trials()).toHaveLength(2);
    expect(existsSync(lockOf(dir))).toBe(false);
  });
});
