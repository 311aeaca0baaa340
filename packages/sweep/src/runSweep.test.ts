import { beforeAll, describe, expect, test } from 'vitest';
import { outcome } from './__tests__/outcome';
import { EPOCHS, brokenThird, flakyOnSecond, hangOnFirst, toySpace, toyTrial } from './__tests__/toyTrial';
import { type Metrics, type Scheduler, type Sweep, type TrialFunction, asha, memoryStore, renderSweepReport, runSweep, uniform } from './index';
import { escapeHtml } from './report/svg';

const base = { space: toySpace, trial: toyTrial, trials: 8, metric: 'valLoss', mode: 'min' as const };

describe('runSweep in the calling thread', () => {
  let pruned: Sweep;
  let full: Sweep;
  beforeAll(async () => {
    pruned = await runSweep({ ...base, scheduler: asha({ maxEpochs: EPOCHS }) });
    full = await runSweep(base);
  });

  test('ASHA stops at least half of 8 toy trials early, at a rung, and the completed ones ran every epoch', () => {
    const trials = pruned.trials();
    expect(trials).toHaveLength(8);
    const stopped = trials.filter((t) => t.status === 'pruned');
    expect(stopped.length).toBeGreaterThanOrEqual(4);
    for (const t of stopped) expect([1, 3]).toContain(t.epochs.length);
    for (const t of trials.filter((t) => t.status === 'completed')) expect(t.epochs).toHaveLength(EPOCHS);
  });

  test('a pruned trial trained exactly as the unpruned run of the same trial until it was stopped', () => {
    for (const t of pruned.trials().filter((t) => t.status === 'pruned')) expect(outcome(t).epochs).toEqual(outcome(full.trials()[t.index]).epochs.slice(0, t.epochs.length));
  });

  test('best() is the completed trial with the lowest final valLoss', () => {
    const completed = full.trials().filter((t) => t.status === 'completed');
    const lowest = Math.min(...completed.map((t) => t.metrics!.valLoss));
    expect(full.best()?.metrics?.valLoss).toBe(lowest);
    expect(pruned.best()?.status).toBe('completed');
  });

  test('the same seed gives the same trials; another seed other configurations', async () => {
    const again = await runSweep({ ...base, scheduler: asha({ maxEpochs: EPOCHS }) });
    expect(again.trials().map(outcome)).toEqual(pruned.trials().map(outcome));
    const other = await runSweep({ ...base, trials: 2, seed: 7 });
    expect(other.trials().map((t) => t.config)).not.toEqual(full.trials().slice(0, 2).map((t) => t.config));
  });

  test('a trial that never resolves fails with a timeout error and the sweep goes on', async () => {
    const sweep = await runSweep({ ...base, trials: 3, trial: hangOnFirst, timeoutMs: 300 });
    const [first, ...rest] = sweep.trials();
    expect(first).toMatchObject({ status: 'failed', metrics: null, error: { name: 'TrialTimeoutError', message: 'trial-0000 did not finish within 300 ms (timeoutMs)' } });
    expect(rest.map((t) => t.status)).toEqual(['completed', 'completed']);
  });

  test('a failing trial is recorded with its error and retried up to `retries`; the others are unaffected', async () => {
    const store = memoryStore();
    const flaky = await runSweep({ ...base, trials: 3, trial: flakyOnSecond, retries: 1, store });
    const lines = await store.load();
    expect(lines.map((r) => [r.trialId, r.attempt, r.status])).toEqual([['trial-0000', 0, 'completed'], ['trial-0001', 0, 'failed'], ['trial-0001', 1, 'completed'], ['trial-0002', 0, 'completed']]);
    expect(lines[1].error).toEqual({ name: 'Error', message: 'flaky on purpose' });
    expect(flaky.trials().map(outcome)).toEqual(full.trials().slice(0, 3).map(outcome));

    const broken = await runSweep({ ...base, trials: 4, trial: brokenThird, retries: 2 });
    expect(broken.trials().map((t) => t.status)).toEqual(['completed', 'completed', 'failed', 'completed']);
    expect(broken.trials()[2]).toMatchObject({ attempt: 2, error: { name: 'RangeError', message: 'broken trial 2' } });
  });

  test('a store holding part of the sweep resumes it: finished trials are not run again', async () => {
    const store = memoryStore();
    const firstHalf = (await runSweep({ ...base, trials: 3, store, scheduler: asha({ maxEpochs: EPOCHS }) })).trials();
    const ran: string[] = [];
    const resumed = await runSweep({ ...base, store, scheduler: asha({ maxEpochs: EPOCHS }), onTrialEnd: (r) => ran.push(r.trialId) });
    expect(ran).toEqual(['trial-0003', 'trial-0004', 'trial-0005', 'trial-0006', 'trial-0007']);
    expect(resumed.trials().slice(0, 3)).toEqual(firstHalf); // the very records, durations included
    // the scheduler state was rebuilt from the stored trials: the decisions match one uninterrupted run
    expect(resumed.trials().map(outcome)).toEqual(pruned.trials().map(outcome));
  });

  test('a resumed sweep gives its scheduler every epoch the store holds for finished trials, even past an answer of stop', async () => {
    const store = memoryStore();
    await runSweep({ ...base, trials: 3, store });
    const fed: string[] = [];
    const stopsAll: Scheduler = { name: 'stops-all', decide: (id, epoch) => (fed.push(`${id} e${epoch}`), 'stop') };
    await runSweep({ ...base, trials: 3, store, scheduler: stopsAll });
    expect(fed).toHaveLength(3 * EPOCHS);
  });

  test('bad input is refused before any trial runs, saying what was wrong', async () => {
    await expect(runSweep({ ...base, sampler: 'hyperband' })).rejects.toThrow(/unknown sampler "hyperband"/);
    await expect(runSweep({ ...base, space: {} })).rejects.toThrow(/search space: has no parameters/);
    await expect(runSweep({ ...base, space: { p: uniform(1, 0) } })).rejects.toThrow(/uniform at "p": low must be below high/);
    await expect(runSweep({ ...base, metric: undefined })).rejects.toThrow(/say which metric to optimize/);
    await expect(runSweep({ ...base, mode: 'lowest' as 'min' })).rejects.toThrow(/mode must be 'min' or 'max', got "lowest"/);
    await expect(runSweep({ ...base, trials: 0 })).rejects.toThrow(/trials must be an integer ≥ 1, got 0/);
    await expect(runSweep({ ...base, timeoutMs: -5 })).rejects.toThrow(/timeoutMs must be a positive number of milliseconds up to 2147483647 .*, got -5/);
    await expect(runSweep({ ...base, store: await storeOf(2, { trials: 2 }), seed: 3, trials: 2 })).rejects.toThrow(/holds trial-0000 with another configuration or seed .* use a new directory/);
  });

  test('a timeoutMs past what a timer can hold (Infinity, 30 days) is refused instead of failing every trial at once', async () => {
    let ran = 0;
    const counted = { ...base, trials: 1, trial: (...args: Parameters<typeof toyTrial>) => (ran++, toyTrial(...args)) };
    await expect(runSweep({ ...counted, timeoutMs: Number.POSITIVE_INFINITY })).rejects.toThrow('runSweep: timeoutMs must be a positive number of milliseconds up to 2147483647 (24.8 days; leave it out for no limit), got Infinity');
    await expect(runSweep({ ...counted, timeoutMs: 30 * 86_400_000 })).rejects.toThrow(/up to 2147483647 .* got 2592000000/);
    expect(ran).toBe(0);
  });

  test('a trial that returns no value for the metric is failed with a message naming it', async () => {
    const sweep = await runSweep({ ...base, trials: 1, metric: 'valF1' });
    expect(sweep.trials()[0].error?.message).toMatch(/^trial-0000 returned no number for the metric "valF1"; its metrics: \{"loss"/);
  });
});

describe('a trial whose objective cannot rank it (NaN, or the infinity that would win) is failed, as in Optuna', () => {
  /** The final valLoss of trials 0…4 if nothing goes wrong; trial 1 is NaN from epoch 3, trial 2 −∞ at epoch 4, trial 4 +∞ at epoch 4. */
  const finals = [0.5, 0.1, 0.05, 0.3, 0.4];
  const valLoss = (index: number, epoch: number) => (index === 1 && epoch >= 3 ? Number.NaN : index === 2 && epoch === 4 ? -Infinity : index === 4 && epoch === 4 ? Infinity : finals[index] * (5 - epoch));
  /** Four epochs of `valLoss`, reported to the sweep; returns the last reported. */
  const scripted: TrialFunction = async (_config, ctx) => {
    let metrics: Metrics = {};
    for (let epoch = 1; epoch <= 4; epoch++) {
      metrics = { valLoss: valLoss(ctx.index, epoch), accuracy: 0.5 };
      if ((await ctx.report(epoch, metrics)) === 'stop') break;
    }
    return metrics;
  };
  const options = { ...base, trial: scripted, trials: 5 };

  test('a NaN objective fails the trial with a reason naming the metric, its value and the epoch; it keeps the epochs it reported and is never best', async () => {
    const sweep = await runSweep(options);
    const [, nan, winning, , losing] = sweep.trials();
    expect(nan).toMatchObject({ status: 'failed', metrics: null, error: { name: 'SweepError', message: 'trial-0001: objective "valLoss" was NaN at epoch 3' } });
    expect(nan.epochs.map((m) => m.valLoss)).toEqual([0.4, 0.30000000000000004, Number.NaN, Number.NaN]);
    // −∞ would beat every real loss: failed too; +∞ is the worst loss there is, an honest result ranked last
    expect(winning).toMatchObject({ status: 'failed', error: { message: "trial-0002: objective \"valLoss\" was -Infinity at epoch 4 (with mode 'min' it would rank above every real result)" } });
    expect(losing).toMatchObject({ status: 'completed', metrics: { valLoss: Infinity } });
    expect(sweep.trials().map((t) => t.status)).toEqual(['completed', 'failed', 'failed', 'completed', 'completed']);
    expect(sweep.best()?.trialId).toBe('trial-0003');
  });

  test("the report counts such a trial as failed and lists it with its reason", async () => {
    const page = renderSweepReport((await runSweep(options)).trials(), { metric: 'valLoss', mode: 'min' });
    expect(page).toContain('5 trials: 3 completed, 0 pruned, 2 failed. Best: trial-0003');
    const failed = page.match(/<table class="failed-trials">[\s\S]*?<\/table>/)![0];
    expect([...failed.matchAll(/<tr class="failed"><td>([^<]+)<\/td><td>\d+<\/td><td>(\d+)<\/td><td>([^<]+)<\/td>/g)].map((m) => [m[1], m[2], m[3]])).toEqual([
      ['trial-0001', '4', escapeHtml('SweepError: trial-0001: objective "valLoss" was NaN at epoch 3')],
      ['trial-0002', '4', escapeHtml("SweepError: trial-0002: objective \"valLoss\" was -Infinity at epoch 4 (with mode 'min' it would rank above every real result)")],
    ]);
  });

  test('with ASHA a trial whose score is NaN at a rung is stopped there, and recorded as failed rather than pruned', async () => {
    const sweep = await runSweep({ ...options, scheduler: asha({ maxEpochs: 4 }) });
    expect(sweep.trials()[1]).toMatchObject({ status: 'failed', error: { message: 'trial-0001: objective "valLoss" was NaN at epoch 3' } });
    expect(sweep.trials()[1].epochs).toHaveLength(3); // rungs at 1 and 3: stopped at 3
  });

  test("with mode 'max' it is +Infinity that fails and -Infinity that ranks last; a value no epoch reported is named as returned", async () => {
    const returned: TrialFunction = (_config, ctx) => ({ accuracy: [Infinity, -Infinity, 0.5][ctx.index] });
    const sweep = await runSweep({ ...base, trial: returned, trials: 3, metric: 'accuracy', mode: 'max' });
    expect(sweep.trials().map((t) => [t.status, t.error?.message])).toEqual([
      ['failed', "trial-0000: objective \"accuracy\" was Infinity in the metrics the trial returned (with mode 'max' it would rank above every real result)"],
      ['completed', undefined],
      ['completed', undefined],
    ]);
    expect(sweep.best()?.trialId).toBe('trial-0002');
  });

  test('it is retried like any failure, and with a store a resumed sweep does not run it again once its retries are spent', async () => {
    const store = memoryStore();
    const runs: string[] = [];
    await runSweep({ ...options, retries: 1, store, onTrialEnd: (r) => runs.push(`${r.trialId} a${r.attempt} ${r.status}`) });
    expect(runs.filter((r) => r.startsWith('trial-0001'))).toEqual(['trial-0001 a0 failed', 'trial-0001 a1 failed']);
    const again: string[] = [];
    await runSweep({ ...options, retries: 1, store, onTrialEnd: (r) => again.push(r.trialId) });
    expect(again).toEqual([]);
  });
});

async function storeOf(seed: number, options: { trials: number }) {
  const store = memoryStore();
  await runSweep({ ...base, ...options, seed, store });
  return store;
}
