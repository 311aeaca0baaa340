import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { outcome } from '../__tests__/outcome';
import { EPOCHS, toySpace, toyTrial } from '../__tests__/toyTrial';
import { type Sweep, type TrialRecord, SweepError, asha, inProcess, local, openSweep, runSweep, uniform } from '../node';

const module = new URL('../__tests__/toyTrial.ts', import.meta.url);
const base = { space: toySpace, trial: { module, exportName: 'toyTrial' }, trials: 8, metric: 'valLoss', mode: 'min' as const };
const tmp = mkdtempSync(join(tmpdir(), 'trainkit-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('runSweep on worker threads (the local executor)', () => {
  let inCaller: Sweep;
  let onThreads: Sweep;
  beforeAll(async () => {
    inCaller = await runSweep({ ...base, trial: toyTrial, executor: inProcess() });
    onThreads = await runSweep({ ...base, executor: local({ concurrency: 2 }), dir: join(tmp, 'threads') });
  });

  test('the same seed gives identical trials on worker threads and in the calling thread', () => {
    expect(onThreads.trials().map(outcome)).toEqual(inCaller.trials().map(outcome));
    expect(new Set(onThreads.trials().map((t) => t.worker)).size).toBe(2);
    expect(onThreads.trials().every((t) => /^thread-\d+$/.test(t.worker))).toBe(true);
    expect(inCaller.trials().every((t) => t.worker === 'main')).toBe(true);
  });

  /** Runs trials 0, 1 (and 2) of `dieAfterReturn` (`throws`: an exception, else a rejection) with `gate`, `between` trials 0 and 1, `meanwhile` while trial 1 is pending. */
  async function lateError(throws: boolean, between: (gate: string) => Promise<unknown>, meanwhile: (gate: string) => Promise<unknown>) {
    const executor = local({ concurrency: 1 })({ module, exportName: 'dieAfterReturn' });
    const gate = mkdtempSync(join(tmp, 'gate-'));
    const job = (index: number) => ({ trialId: `trial-${index}`, index, seed: index, attempt: 0, config: { lr: 0.1, width: 4, gate, throws } });
    const run = (index: number) => executor.run({ job: job(index), report: async () => 'continue' as const, signal: new AbortController().signal });
    const hung = () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a trial hung')), 20_000));
    try {
      const first = await run(0);
      await between(gate);
      const pending = run(1);
      await meanwhile(gate);
      const second = await Promise.race([pending, hung()]);
      expect(second.outcome.metrics.valLoss).toBeGreaterThan(0);
      // after a rejection, a third trial: it must not land on the retired thread (an exception of
      // trial 1 would strike trial 2 mid-run, a failure no executor can tell apart from trial 2's own)
      return { first, second, third: throws ? null : await Promise.race([run(2), hung()]) };
    } finally {
      await executor.close?.();
    }
  }
  const until = async (path: string) => {
    while (!existsSync(path)) await new Promise((r) => setTimeout(r, 5));
  };
  const go = async (gate: string) => writeFileSync(join(gate, 'go'), '');
  /** Lets trial 0's late error happen with no trial pending: the thread reports a rejection (or dies of an exception) while idle. */
  const idle = (throws: boolean) => async (gate: string) => {
    await until(join(gate, 'busy'));
    await go(gate);
    if (!throws) await until(join(gate, 'reported'));
    await new Promise((r) => setTimeout(r, 200)); // for the report (or the death) to reach the executor; if it has not, the retry covers a death
  };

  test('a worker thread whose trial left a rejection unhandled is replaced: the next trial runs on a fresh thread', async () => {
    const { first, second } = await lateError(false, idle(false), async () => undefined);
    expect(second.worker).not.toBe(first.worker);
  });

  test('a rejection left unhandled fails no trial: one handed to that thread meanwhile runs to its result, then the thread is replaced', async () => {
    const { first, second, third } = await lateError(false, (gate) => until(join(gate, 'busy')), go);
    expect(second.worker).toBe(first.worker); // it read the trial before it reported the rejection
    expect(third?.worker).not.toBe(second.worker);
  });

  test('a worker thread that dies (an exception after its trial) is replaced, whether it died idle or after it was handed the next trial but before it read it', async () => {
    const idleDeath = await lateError(true, idle(true), async () => undefined);
    expect(idleDeath.second.worker).not.toBe(idleDeath.first.worker);
    const handedDeath = await lateError(true, (gate) => until(join(gate, 'busy')), go);
    expect(handedDeath.second.worker).not.toBe(handedDeath.first.worker);
  });

  test('an error of the sweep itself (onTrialEnd throws) rejects runSweep and stops every lane: no trial runs or is recorded after it', async () => {
    const ended: string[] = [];
    const dir = join(tmp, 'stops');
    const onTrialEnd = (r: TrialRecord) => {
      ended.push(r.trialId);
      if (ended.length === 1) throw new Error('the callback failed');
    };
    await expect(runSweep({ ...base, executor: local({ concurrency: 2 }), dir, onTrialEnd })).rejects.toThrow('the callback failed');
    await new Promise((r) => setTimeout(r, 1500)); // the other lane's trial would have ended by now
    expect(ended).toHaveLength(1);
    expect(readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  test('with ASHA, a worker waits for each decision: one thread prunes exactly as the calling thread', async () => {
    const scheduler = () => asha({ maxEpochs: EPOCHS });
    const a = await runSweep({ ...base, trials: 6, scheduler: scheduler(), trial: toyTrial, executor: inProcess() });
    const b = await runSweep({ ...base, trials: 6, scheduler: scheduler(), executor: local({ concurrency: 1 }) });
    expect(b.trials().map(outcome)).toEqual(a.trials().map(outcome));
    expect(b.trials().some((t) => t.status === 'pruned')).toBe(true);
  });

  test('the sweep directory holds one JSON line per trial run, and openSweep reads it back', () => {
    expect(readdirSync(join(tmp, 'threads')).sort()).toEqual(['sweep.json', 'trials.jsonl']); // the run's lock is gone
    const lines = readFileSync(join(tmp, 'threads', 'trials.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { trialId: string; status: string; durationMs: number });
    expect(lines.map((l) => l.trialId).sort()).toEqual(onThreads.trials().map((t) => t.trialId));
    expect(lines.every((l) => l.status === 'completed' && l.durationMs > 0)).toBe(true);
    const reopened = openSweep(join(tmp, 'threads'), { metric: 'valLoss' });
    expect(reopened.trials()).toEqual(onThreads.trials());
    expect(reopened.best()).toEqual(onThreads.best());
  });

  test('restarted with the same directory after a crash, the sweep runs only the unfinished trials', async () => {
    const dir = join(tmp, 'restart');
    mkdirSync(dir);
    const lines = readFileSync(join(tmp, 'threads', 'trials.jsonl'), 'utf8').trim().split('\n');
    const kept = lines.slice(0, 3);
    // the coordinator died while writing the fourth line: a torn last line is ignored
    writeFileSync(join(dir, 'trials.jsonl'), kept.join('\n') + '\n' + lines[3].slice(0, 40));
    writeFileSync(join(dir, 'sweep.json'), readFileSync(join(tmp, 'threads', 'sweep.json')));
    const ran: string[] = [];
    const resumed = await runSweep({ ...base, trial: toyTrial, executor: inProcess(), dir, onTrialEnd: (r) => ran.push(r.trialId) });
    const done = kept.map((l) => (JSON.parse(l) as { trialId: string }).trialId);
    expect(ran.sort()).toEqual(onThreads.trials().map((t) => t.trialId).filter((id) => !done.includes(id)));
    expect(resumed.trials().map(outcome)).toEqual(onThreads.trials().map(outcome));
  });

  test('a trial that hangs on a worker is failed by its timeout, its worker replaced, and the sweep goes on', async () => {
    const sweep = await runSweep({ ...base, trials: 4, trial: { module, exportName: 'hangOnFirst' }, executor: local({ concurrency: 2 }), timeoutMs: 4000 });
    expect(sweep.trials().map((t) => t.status)).toEqual(['failed', 'completed', 'completed', 'completed']);
    expect(sweep.trials()[0].error).toEqual({ name: 'TrialTimeoutError', message: 'trial-0000 did not finish within 4000 ms (timeoutMs)' });
  });

  test('a worker thread that dies in a trial fails only that run: the retry runs on a fresh worker and gives the undisturbed result', async () => {
    const runs: TrialRecord[] = [];
    const sweep = await runSweep({ ...base, trials: 3, trial: { module, exportName: 'crashOnFirst' }, executor: local({ concurrency: 2 }), retries: 1, onTrialEnd: (r) => runs.push(r) });
    expect(runs.find((r) => r.status === 'failed')).toMatchObject({ trialId: 'trial-0000', attempt: 0, error: { message: 'its worker thread exited with code 3 before the trial finished' } });
    expect(sweep.trials().map(outcome)).toEqual(inCaller.trials().slice(0, 3).map(outcome));
    expect(sweep.trials()[0].attempt).toBe(1);
  });

  test('bad input: a directory from a newer version, a function for worker threads, bad concurrency', async () => {
    const newer = join(tmp, 'newer');
    mkdirSync(newer);
    writeFileSync(join(newer, 'sweep.json'), JSON.stringify({ format: 99 }));
    await expect(runSweep({ ...base, dir: newer })).rejects.toThrow(/was written by a newer version of @trainkit\/sweep \(format 99; this version reads format 1 and older\)/);
    await expect(runSweep({ ...base, trial: toyTrial, executor: local({ concurrency: 2 }) })).rejects.toThrow(/worker threads load the trial from a module/);
    expect(() => local({ concurrency: 0 })).toThrow(/concurrency must be an integer ≥ 1/);
    await expect(runSweep({ ...base, trial: { module, exportName: 'nope' }, trials: 1, executor: inProcess() }).then((s) => s.trials()[0].error?.message)).resolves.toMatch(/export "nope" of file:.*toyTrial\.ts is not a trial function/);
    expect(() => openSweep(join(tmp, 'nothing-here'), { metric: 'valLoss' })).toThrow(/is not a sweep directory/);
  });
});

describe('a sweep refused for its options', () => {
  test('leaves no results directory behind: bad space, bad trials, a function for worker threads', async () => {
    const refused = [
      { ...base, space: { lr: uniform(1, 0) } },
      { ...base, trials: 0 },
      { ...base, trial: toyTrial, executor: local({ concurrency: 2 }) },
    ];
    for (const [i, options] of refused.entries()) {
      const dir = join(tmp, `refused-${i}`);
      await expect(runSweep({ ...options, dir })).rejects.toThrow(SweepError);
      expect(existsSync(dir)).toBe(false);
    }
  });

  test('an executor that cannot start (a Redis that does not answer) fails the sweep before its directory is made', async () => {
    const dir = join(tmp, 'refused-open');
    const down = () => ({ name: 'down', concurrency: 1, open: () => Promise.reject(new SweepError('bullmq(): Redis did not answer')), run: () => Promise.reject(new Error('never')) });
    await expect(runSweep({ ...base, trial: toyTrial, executor: down, dir })).rejects.toThrow('Redis did not answer');
    expect(existsSync(dir)).toBe(false);
  });

  test('a store that refuses its directory (a different sweep) closes the executor it opened', async () => {
    const dir = join(tmp, 'other-sweep');
    await runSweep({ ...base, trials: 1, executor: inProcess(), dir });
    let closed = 0;
    const counted = () => ({ ...inProcess()(toyTrial), close: async () => void closed++ });
    await expect(runSweep({ ...base, trial: toyTrial, trials: 1, seed: 7, executor: counted, dir })).rejects.toThrow(/belongs to a different sweep/);
    expect(closed).toBe(1);
  });
});
