import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import {
  ConfigError, Trainer, cosineAnnealing, cosineWarmRestarts, cycleOf, exponentialDecay, linearWarmup, multiStepDecay, oneCycle, reduceOnPlateau, scheduler, sgd, stepDecay, type Plugin,
} from './index';
import { snapshot, toyLoader, toyModel } from './__tests__/fixtures';

describe('schedules (torch.optim.lr_scheduler, stepped as torch steps them; tools/compare checks them float for float)', () => {
  test('stepDecay multiplies the lr by gamma every stepSize epochs: 0.1 for epochs 0-2, 0.1·0.1 for 3-5, 0.1·0.1·0.1 from 6', () => {
    const s = stepDecay({ stepSize: 3, gamma: 0.1 });
    expect([0, 2, 3, 5, 6].map((t) => s(t, 0.1))).toEqual([0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1]);
  });

  test('multiStepDecay multiplies by gamma at each milestone, by gamma² at a milestone listed twice', () => {
    const s = multiStepDecay({ milestones: [4, 2, 4], gamma: 0.5 });
    expect([0, 1, 2, 3, 4, 5, 9].map((t) => s(t, 1))).toEqual([1, 1, 0.5, 0.5, 0.125, 0.125, 0.125]);
  });

  test('exponentialDecay multiplies by gamma every epoch', () => {
    expect(exponentialDecay({ gamma: 0.5 })(3, 1)).toBe(0.125);
  });

  propTest.prop([fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 0.05, noNaN: true }), fc.nat({ max: 300 })])(
    'cosineAnnealing starts at lr, reaches etaMin at tMax and rises back to lr at 2·tMax, with period 2·tMax (torch CosineAnnealingLR)',
    (tMax, etaMin, t) => {
      const s = cosineAnnealing({ tMax, etaMin });
      const at = (u: number) => cosineAnnealing({ tMax, etaMin })(u, 0.1);
      expect(s(0, 0.1)).toBe(0.1);
      expect(at(tMax)).toBeCloseTo(etaMin, 12);
      expect(at(2 * tMax)).toBeCloseTo(0.1, 12);
      expect(at(t + 2 * tMax)).toBeCloseTo(at(t), 12);
      expect(at(tMax + (t % tMax))).toBeCloseTo(at(tMax - (t % tMax)), 12);
    },
  );

  propTest.prop([fc.array(fc.nat({ max: 80 }), { minLength: 1, maxLength: 20 }), fc.double({ min: 1e-4, max: 1, noNaN: true })])(
    'a schedule is pure: its lr at t does not depend on the times asked before (recurrences are replayed from 0)',
    (times, lr) => {
      const makers = [() => stepDecay({ stepSize: 3, gamma: 0.3 }), () => exponentialDecay({ gamma: 0.93 }), () => cosineAnnealing({ tMax: 7, etaMin: 1e-4 }), () => linearWarmup({ warmup: 5, startFactor: 0.2, after: cosineAnnealing({ tMax: 9 }) })];
      for (const make of makers) {
        const shared = make();
        for (const t of times) expect(shared(t, lr)).toBe(make()(t, lr));
      }
    },
  );

  test('cosineWarmRestarts restarts at lr after each cycle (t0 2, tMult 2: cycles start at 0, 2, 6, 14)', () => {
    const s = cosineWarmRestarts({ t0: 2, tMult: 2 });
    expect([0, 2, 6, 14].map((t) => s(t, 1))).toEqual([1, 1, 1, 1]);
    expect(s(1, 1)).toBeCloseTo(0.5, 12);
    expect(cycleOf(7, 2, 2)).toEqual({ cycle: 2, position: 1, length: 8 });
  });

  test('linearWarmup ramps from startFactor·lr to lr, then hands over to the next schedule started at 0', () => {
    const s = linearWarmup({ warmup: 4, after: exponentialDecay({ gamma: 0.5 }) });
    expect([0, 1, 2, 3, 4, 5].map((t) => s(t, 1))).toEqual([0, 0.25, 0.5, 0.75, 1, 0.5]);
  });

  test('linearWarmup hands the parameter group on to the next schedule (oneCycle with one maxLr per group gives each group its own)', () => {
    const s = linearWarmup({ warmup: 2, after: oneCycle({ maxLr: [0.05, 0.5], totalSteps: 10 }) });
    const cycle = oneCycle({ maxLr: [0.05, 0.5], totalSteps: 10 });
    expect([2, 5, 9].map((t) => [s(t, 1, 0), s(t, 1, 1)])).toEqual([0, 3, 7].map((t) => [cycle(t, 1, 0), cycle(t, 1, 1)]));
  });

  test('linearWarmup without a next schedule keeps the lr it reached at the end of the warmup', () => {
    const s = linearWarmup({ warmup: 7, startFactor: 1 / 3 });
    expect(s(7, 0.3)).toBeCloseTo(0.3, 15);
    expect([8, 50].map((t) => s(t, 0.3))).toEqual([s(7, 0.3), s(7, 0.3)]);
  });

  test("scheduler(oneCycle(…)) without an interval steps per batch (oneCycle's own interval), also after a linearWarmup; an explicit interval wins", async () => {
    const lrs = async (schedule: ReturnType<typeof oneCycle>, interval?: 'epoch' | 'step') => {
      const seen: number[] = [];
      const probe: Plugin = { name: 'probe', onTrainBatchStart: (ctx) => void seen.push(ctx.optimizer!.lr) };
      await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [scheduler(schedule, interval === undefined ? {} : { interval }), probe] }).fit(toyModel(), { train: toyLoader(32, 8), epochs: 2 });
      return seen;
    };
    const perStep = await lrs(oneCycle({ maxLr: 0.5, totalSteps: 8 }));
    expect(new Set(perStep).size).toBe(8); // a new lr before each of the 8 batches
    expect(perStep).toEqual(await lrs(oneCycle({ maxLr: 0.5, totalSteps: 8 }), 'step'));
    expect(new Set(await lrs(linearWarmup({ warmup: 2, after: oneCycle({ maxLr: 0.5, totalSteps: 6 }) }))).size).toBeGreaterThan(2);
    expect(new Set(await lrs(oneCycle({ maxLr: 0.5, totalSteps: 8 }), 'epoch')).size).toBe(2);
  });

  test('oneCycle starts at maxLr/divFactor, peaks at maxLr after pctStart, ends at initial/finalDivFactor', () => {
    const s = oneCycle({ maxLr: 1, totalSteps: 101, pctStart: 0.3 });
    expect(s(0, 0)).toBeCloseTo(1 / 25, 12);
    const peak = Math.max(...Array.from({ length: 101 }, (_, t) => s(t, 0)));
    expect(peak).toBeCloseTo(1, 3);
    expect(s(100, 0)).toBeCloseTo(1 / 25 / 1e4, 12);
  });

  test.each([
    ['stepDecay: stepSize must be a positive integer, got 0', () => stepDecay({ stepSize: 0 })],
    ['multiStepDecay: milestones[1] must be a positive integer, got 0', () => multiStepDecay({ milestones: [3, 0] })],
    ['multiStepDecay: milestones[0] must be a positive integer, got 2.5', () => multiStepDecay({ milestones: [2.5] })],
    ['multiStepDecay: milestones must be an array of epoch indices, got 3', () => multiStepDecay({ milestones: 3 as never })],
    ['cosineAnnealing: tMax must be a positive integer, got 0', () => cosineAnnealing({ tMax: 0 })],
    ['cosineAnnealing: tMax must be a positive integer, got 2.5', () => cosineAnnealing({ tMax: 2.5 })],
    ['cosineAnnealing: t must be an integer ≥ 0 (an epoch or step index), got 1.5', () => cosineAnnealing({ tMax: 5 })(1.5, 0.1)],
    ['exponentialDecay: t must be an integer ≥ 0 (an epoch or step index), got -1', () => exponentialDecay({ gamma: 0.9 })(-1, 0.1)],
    ['cosineWarmRestarts: tMult must be an integer ≥ 1, got 1.5', () => cosineWarmRestarts({ t0: 1, tMult: 1.5 })],
    ['oneCycle: pctStart must be in (0, 1), got 1', () => oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 1 })],
    ['oneCycle: pctStart·totalSteps must not be 1 (the rising phase would have no length), got 0.1·10', () => oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 0.1 })],
    ['oneCycle: step 11 is outside 0…totalSteps (10); set totalSteps to at least the number of batches in the run', () => oneCycle({ maxLr: 1, totalSteps: 10 })(11, 0)],
    ['cosineWarmRestarts: t0 must be a positive integer (torch\'s T_0), got 2.5', () => cosineWarmRestarts({ t0: 2.5 })],
    ['cosineWarmRestarts: etaMin must be a finite number ≥ 0, got -0.1', () => cosineWarmRestarts({ t0: 2, etaMin: -0.1 })],
    ['cosineWarmRestarts: t must be an integer ≥ 0 (an epoch or step index), got -1', () => cosineWarmRestarts({ t0: 2 })(-1, 0.1)],
    ['oneCycle: divFactor must be a finite number > 0, got 0', () => oneCycle({ maxLr: 1, totalSteps: 10, divFactor: 0 })],
    ['oneCycle: maxLr must be a finite number > 0, got Infinity', () => oneCycle({ maxLr: Infinity, totalSteps: 10 })],
    ['stepDecay: gamma must be a finite number > 0, got Infinity', () => stepDecay({ stepSize: 1, gamma: Infinity })],
    ['reduceOnPlateau: saved state must be { best: a finite number or null, bad and cooldownLeft: integers ≥ 0 }, got {"best":"x","bad":0,"cooldownLeft":0}', () => reduceOnPlateau().loadStateDict?.({ best: 'x', bad: 0, cooldownLeft: 0 })],
    ['reduceOnPlateau: saved state must be', () => reduceOnPlateau().loadStateDict?.(null)],
    ['reduceOnPlateau: factor must be in (0, 1), got 1', () => reduceOnPlateau({ factor: 1 })],
    ["reduceOnPlateau: thresholdMode must be 'rel' or 'abs', got relative", () => reduceOnPlateau({ thresholdMode: 'relative' as never })],
  ])('a clear error for bad options: %s', (message, make) => {
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
  });
});

describe('scheduler plugin', () => {
  test('sets the lr at each epoch start, each parameter group from its own base lr, and logs it', async () => {
    const seen: number[][] = [];
    const spy: Plugin = { name: 'spy', onTrainBatchStart: (ctx) => void seen.push([ctx.optimizer!.hyperFor('fc2.weight').lr, ctx.optimizer!.hyperFor('fc1.weight').lr]) };
    const opt = sgd({ lr: 0.1, groups: [{ params: /^fc1/, lr: 0.01 }] });
    const { history } = await new Trainer({ optimizer: opt, plugins: [scheduler(stepDecay({ stepSize: 1, gamma: 0.5 })), spy] }).fit(toyModel(), { train: toyLoader(8, 8), epochs: 3 });
    seen.forEach(([head, backbone], i) => {
      expect(head).toBeCloseTo(0.1 * 0.5 ** i, 12);
      expect(backbone).toBeCloseTo(0.01 * 0.5 ** i, 12);
    });
    expect(history[2].metrics.lr).toBeCloseTo(0.025, 12);
  });

  /** The lr of each epoch for [fc2 (default group), fc1 (its own group)] under `plugin`. */
  async function groupLrs(opt: ReturnType<typeof sgd>, plugin: Plugin, epochs: number, val = false): Promise<number[][]> {
    const seen: number[][] = [];
    const spy: Plugin = { name: 'spy', onTrainEpochStart: (ctx) => void seen.push([ctx.optimizer!.hyperFor('fc2.weight').lr, ctx.optimizer!.hyperFor('fc1.weight').lr]) };
    await new Trainer({ optimizer: opt, plugins: [plugin, spy] }).fit(toyModel(), { train: toyLoader(8, 8), val: val ? toyLoader(8, 8, 3) : undefined, epochs });
    return seen;
  }

  test('a cosine\'s etaMin is reached by every group, as torch\'s per-group base_lrs do (ratios would end the 0.1 group at 0.001)', async () => {
    const seen = await groupLrs(sgd({ lr: 1, groups: [{ params: /^fc1/, lr: 0.1 }] }), scheduler(cosineAnnealing({ tMax: 4, etaMin: 0.01 })), 5);
    const cos = cosineAnnealing({ tMax: 4, etaMin: 0.01 });
    expect(seen).toEqual([0, 1, 2, 3, 4].map((t) => [cos(t, 1), cos(t, 0.1)]));
    expect(seen[4][1]).toBeCloseTo(0.01, 15);
  });

  test('oneCycle gives every group the same lr from one maxLr (torch\'s single max_lr), and one lr per group from a list (torch\'s list, default group last)', async () => {
    const one = await groupLrs(sgd({ lr: 1, groups: [{ params: /^fc1/, lr: 0.1 }] }), scheduler(oneCycle({ maxLr: 0.5, totalSteps: 10 }), { interval: 'epoch' }), 3);
    expect(one.every(([a, b]) => a === b)).toBe(true);
    const cycle = oneCycle({ maxLr: [0.05, 0.5], totalSteps: 10 });
    const listed = await groupLrs(sgd({ lr: 1, groups: [{ params: /^fc1/, lr: 0.1 }] }), scheduler(oneCycle({ maxLr: [0.05, 0.5], totalSteps: 10 }), { interval: 'epoch' }), 3);
    expect(listed).toEqual([0, 1, 2].map((t) => [cycle(t, 1, 1), cycle(t, 1, 0)]));
    expect(listed[2][0] / listed[2][1]).toBeCloseTo(10, 10);
    await expect(groupLrs(sgd({ lr: 1, groups: [{ params: /^fc1/, lr: 0.1 }] }), scheduler(oneCycle({ maxLr: [0.5], totalSteps: 10 }), { interval: 'epoch' }), 1)).rejects.toThrow(/oneCycle: maxLr lists 1 values, one per parameter group, but the optimizer has a group 1/);
  });

  test('a group trains on its own schedule while the default group sits at lr 0 (the frozen-backbone setup); a multiplicative ratio of 0 would stop it', async () => {
    const seen = await groupLrs(sgd({ lr: 0, groups: [{ params: /^fc1/, lr: 0.1 }] }), scheduler(stepDecay({ stepSize: 1, gamma: 0.5 })), 3);
    expect(seen).toEqual([[0, 0.1], [0, 0.05], [0, 0.025]]);
  });

  test('reduceOnPlateau cuts each group\'s own lr and clamps each at minLr (torch: 0.01 → 0.005, not 0.0005)', async () => {
    const seen = await groupLrs(sgd({ lr: 1e-12, groups: [{ params: /^fc1/, lr: 0.01 }] }), reduceOnPlateau({ mode: 'max', patience: 0, factor: 0.1, minLr: 0.005, eps: 0 }), 4, true); // 'max' on a falling loss: a plateau from epoch 1
    expect(seen.map(([, g]) => g)).toEqual([0.01, 0.01, 0.005, 0.005]);
    expect(seen[2][0]).toBe(1e-12); // a group below minLr is left alone: torch sets a new lr only when it is lower by more than eps
  });

  test('a scheduler state saved with one base lr (before per-group base lrs) resumes with the groups\' ratios; a corrupt one is refused', () => {
    const s = scheduler(stepDecay({ stepSize: 1 }));
    expect(() => s.loadStateDict?.({ baseLrs: [0.1, 'x'] })).toThrow("scheduler: saved baseLrs must be a list of finite numbers ≥ 0, got [0.1,\"x\"]");
    expect(() => s.loadStateDict?.({ baseLr: -1 })).toThrow('scheduler: saved baseLr must be a finite number ≥ 0, got -1');
  });

  test('a step-interval schedule resumed mid-epoch reproduces the uninterrupted run exactly', async () => {
    const make = () => [scheduler(cosineAnnealing({ tMax: 20 }), { interval: 'step' })];
    const full = toyModel(2);
    await new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: make() }).fit(full, { train: toyLoader(64, 8), epochs: 2 });
    const part = toyModel(2);
    const kill: Plugin = { name: 'kill', onTrainBatchEnd: (ctx) => { if (ctx.step === 11) ctx.stop(); } };
    const t1 = new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: [...make(), kill] });
    await t1.fit(part, { train: toyLoader(64, 8), epochs: 2 });
    const state = structuredClone(t1.stateDict());
    const t2 = new Trainer({ optimizer: sgd({ lr: 0.2 }), plugins: make() });
    await t2.fit(part, { train: toyLoader(64, 8), epochs: 2, resume: state });
    expect(snapshot(part)).toEqual(snapshot(full));
  });

  test('reduceOnPlateau cuts the lr after more than `patience` epochs without improvement', async () => {
    const lrs: number[] = [];
    const record: Plugin = { name: 'rec', onTrainEpochStart: (ctx) => void lrs.push(ctx.optimizer!.lr) };
    // an lr this small leaves the validation loss flat: no epoch after the first improves it
    // eps 0: with torch's default eps (1e-8) a cut this small would be skipped
    const plugins = [record, reduceOnPlateau({ monitor: 'valLoss', patience: 1, factor: 0.5, eps: 0 })];
    await new Trainer({ optimizer: sgd({ lr: 1e-12 }), plugins }).fit(toyModel(), { train: toyLoader(8, 8), val: toyLoader(8, 8, 3), epochs: 5 });
    expect(lrs).toEqual([1e-12, 1e-12, 1e-12, 5e-13, 5e-13]);
  });

  test('reduceOnPlateau counts afresh in a fresh fit (an earlier fit\'s best is no reference) and keeps its counts in a resumed one', async () => {
    const lrs: number[] = [];
    const scores = [1, 0.5, 2, 1.5, 1, 2];
    const probe: Plugin = { name: 'probe', onTrainEpochEnd: (ctx) => ctx.log('score', scores.shift() as number), onTrainEpochStart: (ctx) => void lrs.push(ctx.optimizer!.lr) };
    const plugins = () => [probe, reduceOnPlateau({ monitor: 'score', patience: 0, factor: 0.5 })];
    const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: plugins() });
    await trainer.fit(toyModel(), { train: toyLoader(8, 8), epochs: 2 }); // scores 1, 0.5
    await trainer.fit(toyModel(), { train: toyLoader(8, 8), epochs: 3 }); // 2, 1.5, 1: each one better than the last
    expect(lrs).toEqual([0.1, 0.1, 0.1, 0.1, 0.1]);
    const resumed = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: plugins() });
    await resumed.fit(toyModel(), { train: toyLoader(8, 8), epochs: 4, resume: structuredClone(trainer.stateDict()) }); // 2 after the saved best 1: a cut
    expect(resumed.optimizer?.lr).toBe(0.05);
  });

  test("reduceOnPlateau takes its default mode from the monitor's name (Keras 'auto'): a rising valAccuracy is no plateau, a rising valLoss is", async () => {
    const lrsFor = async (monitor: string, mode?: 'min' | 'max') => {
      const values = [0.5, 0.6, 0.7, 0.8];
      const rising: Plugin = { name: 'rising', onTrainEpochEnd: (ctx) => ctx.log(monitor, values.shift() as number) };
      const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [rising, reduceOnPlateau({ monitor, mode, patience: 0, factor: 0.5, eps: 0 })] });
      await trainer.fit(toyModel(), { train: toyLoader(8, 8), epochs: 4 });
      return trainer.optimizer?.lr;
    };
    expect(await lrsFor('valAccuracy')).toBe(0.1);
    expect(await lrsFor('valLoss')).toBe(0.1 * 0.5 ** 3);
    expect(await lrsFor('valAccuracy', 'min')).toBe(0.1 * 0.5 ** 3); // an explicit mode wins
    expect(await lrsFor('reward')).toBe(0.1 * 0.5 ** 3); // a name that says neither: torch's 'min'
  });

  test('reduceOnPlateau on a metric that does not exist lists the metrics that do', async () => {
    const t = new Trainer({ optimizer: sgd(), plugins: [reduceOnPlateau({ monitor: 'valLoss' })] });
    await expect(t.fit(toyModel(), { train: toyLoader(8, 8), epochs: 1 })).rejects.toThrow(/reduceOnPlateau\(\{ monitor: 'valLoss' \}\) found no such metric; available: loss, accuracy/);
  });
});
