import { ConfigError } from './errors';
import type { BaseContext, Plugin } from './hooks';
import type { Optimizer } from './optimizer';
import { setGroupLrs } from './optimizer/groups';

export { reduceOnPlateau, type ReduceOnPlateauOptions } from './schedules/plateau';

/**
 * A learning-rate schedule: the lr at time t (an epoch or a step, counted from 0) given the
 * optimizer's base lr. Pure, so resuming at t reproduces the uninterrupted run.
 *
 * The built-in schedules give the float64 values a PyTorch 1.13 user reads from
 * `optimizer.param_groups[0]['lr']` after calling the matching torch scheduler's `step()` t
 * times. Most torch schedulers step by recurrence (lr(t) from lr(t − 1), e.g. lr·gamma), which
 * rounds differently from their closed forms; trainkit replays that recurrence. Bit for bit,
 * except that the cosine schedules may differ by a few ulps of their largest lr (Math.cos and
 * the C library's cos, which torch calls, round some arguments differently); see
 * tools/compare/torch_schedules.py and the test against its fixture.
 */
export type Schedule = ((t: number, baseLr: number, group?: number) => number) & {
  /** The interval the schedule is written for, when it has one (oneCycle counts steps); {@link scheduler} uses it unless told otherwise. */
  readonly interval?: 'epoch' | 'step';
};

function check(name: string, cond: boolean, message: string): void {
  if (!cond) throw new ConfigError(`${name}: ${message}`);
}

/**
 * A schedule torch steps by recurrence: lr(0) = first(baseLr), lr(t) = next(t, lr(t − 1), baseLr).
 * Replaying it from 0 reproduces torch's rounding; the last value is kept, so stepping forward
 * costs O(1) per call and a resume at t costs O(t) once.
 */
function recurrence(name: string, first: (baseLr: number) => number, next: (t: number, lr: number, baseLr: number) => number): Schedule {
  const last = new Map<number, { t: number; lr: number }>(); // per base lr: each parameter group replays its own
  return (t, baseLr) => {
    check(name, Number.isInteger(t) && t >= 0, `t must be an integer ≥ 0 (an epoch or step index), got ${t}`);
    let at = last.get(baseLr);
    if (at === undefined || at.t > t) {
      if (last.size >= 4096) last.clear(); // one entry per distinct base lr: a bound, not a cache that cycles with many groups
      last.set(baseLr, (at = { t: 0, lr: first(baseLr) }));
    }
    while (at.t < t) {
      at.t++;
      at.lr = next(at.t, at.lr, baseLr);
    }
    return at.lr;
  };
}

const unchanged = (lr: number) => lr;

/** lr·gamma^⌊t / stepSize⌋ (torch StepLR: the lr is multiplied by gamma every stepSize epochs). */
export function stepDecay({ stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }): Schedule {
  check('stepDecay', Number.isInteger(stepSize) && stepSize > 0, `stepSize must be a positive integer, got ${stepSize}`);
  check('stepDecay', gamma > 0 && Number.isFinite(gamma), `gamma must be a finite number > 0, got ${gamma}`);
  return recurrence('stepDecay', unchanged, (t, lr) => (t % stepSize === 0 ? lr * gamma : lr));
}

/**
 * lr·gamma^(number of milestones ≤ t) (torch MultiStepLR): the lr is multiplied by gamma at
 * each milestone epoch. A milestone listed twice multiplies by gamma² there, as in torch.
 *
 * @example
 * scheduler(multiStepDecay({ milestones: [30, 80], gamma: 0.1 })) // 0.05 → 0.005 at 30 → 0.0005 at 80
 */
export function multiStepDecay({ milestones, gamma = 0.1 }: { milestones: readonly number[]; gamma?: number }): Schedule {
  check('multiStepDecay', Array.isArray(milestones), `milestones must be an array of epoch indices, got ${String(milestones)}`);
  milestones.forEach((m, i) => check('multiStepDecay', Number.isInteger(m) && m > 0, `milestones[${i}] must be a positive integer, got ${m}`));
  check('multiStepDecay', gamma > 0 && Number.isFinite(gamma), `gamma must be a finite number > 0, got ${gamma}`);
  const count = new Map<number, number>();
  for (const m of milestones) count.set(m, (count.get(m) ?? 0) + 1);
  return recurrence('multiStepDecay', unchanged, (t, lr) => {
    const k = count.get(t);
    return k === undefined ? lr : lr * gamma ** k;
  });
}

/** lr·gamma^t (torch ExponentialLR: multiplied by gamma every epoch). */
export function exponentialDecay({ gamma }: { gamma: number }): Schedule {
  check('exponentialDecay', gamma > 0 && Number.isFinite(gamma), `gamma must be a finite number > 0, got ${gamma}`);
  return recurrence('exponentialDecay', unchanged, (_t, lr) => lr * gamma);
}

/**
 * Half a cosine from lr down to etaMin over tMax epochs, then back up over the next tMax, and so
 * on (torch CosineAnnealingLR, whose curve has period 2·tMax: it does not stay at etaMin after
 * tMax). For one descent per run set tMax to the number of epochs; for restarts at lr instead
 * of a rise see {@link cosineWarmRestarts}. Follows torch's recursive step(), not its closed form.
 */
export function cosineAnnealing({ tMax, etaMin = 0 }: { tMax: number; etaMin?: number }): Schedule {
  check('cosineAnnealing', Number.isInteger(tMax) && tMax > 0, `tMax must be a positive integer, got ${tMax}`);
  check('cosineAnnealing', etaMin >= 0 && Number.isFinite(etaMin), `etaMin must be a finite number ≥ 0, got ${etaMin}`);
  return recurrence('cosineAnnealing', unchanged, (t, lr, baseLr) => {
    // leaving a trough, torch adds a step instead of dividing by 1 + cos(π) = 0
    if ((t - 1 - tMax) % (2 * tMax) === 0) return lr + ((baseLr - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
    return ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (lr - etaMin) + etaMin;
  });
}

/**
 * Cosine annealing with warm restarts (SGDR, torch CosineAnnealingWarmRestarts): cycles of
 * length t0, t0·tMult, t0·tMult², …, each restarting at lr. Snapshot ensembles take a model at
 * the end of each cycle; {@link cycleOf} tells which cycle t is in.
 * @see https://arxiv.org/abs/1608.03983
 */
export function cosineWarmRestarts({ t0, tMult = 1, etaMin = 0 }: { t0: number; tMult?: number; etaMin?: number }): Schedule {
  check('cosineWarmRestarts', Number.isInteger(t0) && t0 > 0, `t0 must be a positive integer (torch's T_0), got ${t0}`);
  check('cosineWarmRestarts', etaMin >= 0 && Number.isFinite(etaMin), `etaMin must be a finite number ≥ 0, got ${etaMin}`);
  check('cosineWarmRestarts', Number.isInteger(tMult) && tMult >= 1, `tMult must be an integer ≥ 1, got ${tMult}`);
  return (t, lr) => {
    check('cosineWarmRestarts', Number.isInteger(t) && t >= 0, `t must be an integer ≥ 0 (an epoch or step index), got ${t}`);
    const { position, length } = cycleOf(t, t0, tMult);
    return etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * position) / length))) / 2;
  };
}

/** Which warm-restart cycle t falls in, how far into it, and its length. */
export function cycleOf(t: number, t0: number, tMult = 1): { cycle: number; position: number; length: number } {
  let cycle = 0;
  let start = 0;
  let length = t0;
  while (t >= start + length) {
    start += length;
    length *= tMult;
    cycle++;
  }
  return { cycle, position: t - start, length };
}

/**
 * Linear warmup from startFactor·lr to lr over `warmup` epochs (torch LinearLR with end_factor 1,
 * total_iters warmup), then `after` started afresh at 0 (torch SequentialLR with milestones
 * [warmup]), or a constant lr. With startFactor 0, which torch 1.13's LinearLR cannot step (it
 * divides by zero), the warmup follows LinearLR's closed form.
 */
export function linearWarmup({ warmup, startFactor = 0, after }: { warmup: number; startFactor?: number; after?: Schedule }): Schedule {
  check('linearWarmup', Number.isInteger(warmup) && warmup > 0, `warmup must be a positive integer, got ${warmup}`);
  check('linearWarmup', startFactor >= 0 && startFactor <= 1, `startFactor must be in [0, 1], got ${startFactor}`);
  const rise = 1 - startFactor;
  const ramp: Schedule =
    startFactor === 0
      ? (t, lr) => lr * (startFactor + (rise * t) / warmup)
      : recurrence('linearWarmup', (lr) => lr * startFactor, (t, lr) => lr * (1 + rise / (warmup * startFactor + (t - 1) * rise)));
  // torch's LinearLR keeps the lr it reached at total_iters (which may differ from lr in the last bit)
  const warm: Schedule = (t, lr, group) => (t >= warmup && after ? after(t - warmup, lr, group) : ramp(Math.min(t, warmup), lr, group));
  return after?.interval === undefined ? warm : Object.assign(warm, { interval: after.interval });
}

/**
 * The one-cycle policy (Smith 2018; torch OneCycleLR, cosine, two phases): from maxLr/divFactor
 * up to maxLr over pctStart of totalSteps, then down to maxLr/(divFactor·finalDivFactor).
 * Ignores the optimizer's base lr (and, unlike torch, leaves momentum alone): one `maxLr` gives
 * every parameter group the same lr, as torch's single `max_lr`; a list gives one per group, in
 * `optimizer.groups` order (the default group last), as torch's list. It counts steps: the
 * scheduler applies it before every batch unless given another interval. Like torch, steps past
 * totalSteps are an error.
 * @see https://arxiv.org/abs/1803.09820
 */
export function oneCycle({ maxLr, totalSteps, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 }: { maxLr: number | readonly number[]; totalSteps: number; pctStart?: number; divFactor?: number; finalDivFactor?: number }): Schedule {
  const maxLrs = typeof maxLr === 'number' ? null : maxLr;
  check('oneCycle', maxLrs === null || (Array.isArray(maxLrs) && maxLrs.length > 0), `maxLr must be a number or a non-empty list (one per parameter group), got ${JSON.stringify(maxLr)}`);
  for (const m of maxLrs ?? [maxLr as number]) check('oneCycle', m > 0 && Number.isFinite(m), `maxLr must be a finite number > 0, got ${m}`);
  check('oneCycle', divFactor > 0 && Number.isFinite(divFactor), `divFactor must be a finite number > 0, got ${divFactor}`);
  check('oneCycle', finalDivFactor > 0 && Number.isFinite(finalDivFactor), `finalDivFactor must be a finite number > 0, got ${finalDivFactor}`);
  check('oneCycle', Number.isInteger(totalSteps) && totalSteps > 1, `totalSteps must be an integer > 1, got ${totalSteps}`);
  check('oneCycle', pctStart > 0 && pctStart < 1, `pctStart must be in (0, 1), got ${pctStart}`);
  check('oneCycle', pctStart * totalSteps !== 1, `pctStart·totalSteps must not be 1 (the rising phase would have no length), got ${pctStart}·${totalSteps}`);
  const peak = pctStart * totalSteps - 1;
  const anneal = (from: number, to: number, frac: number) => to + ((from - to) / 2) * (Math.cos(Math.PI * frac) + 1);
  const cycle: Schedule = (t, _baseLr, group) => {
    check('oneCycle', Number.isInteger(t) && t >= 0 && t <= totalSteps, `step ${t} is outside 0…totalSteps (${totalSteps}); set totalSteps to at least the number of batches in the run`);
    const g = group ?? (maxLrs === null ? 0 : maxLrs.length - 1);
    check('oneCycle', maxLrs === null || g < maxLrs.length, `maxLr lists ${maxLrs?.length} values, one per parameter group, but the optimizer has a group ${g}; give one per group (the default group last)`);
    const top = maxLrs === null ? (maxLr as number) : maxLrs[g];
    const initial = top / divFactor;
    if (t <= peak) return anneal(initial, top, t / peak);
    return anneal(top, initial / finalDivFactor, (t - peak) / (totalSteps - 1 - peak));
  };
  return Object.assign(cycle, { interval: 'step' as const }); // applied per epoch, the lr would hardly move over a fit
}

/** Options of {@link scheduler}. */
export interface SchedulerOptions {
  /**
   * 'epoch' sets the lr at each epoch start from the epoch index; 'step' before each batch from
   * the global step. Default: the schedule's own `interval` (oneCycle's is 'step'), else 'epoch'.
   */
  interval?: 'epoch' | 'step';
}

/**
 * Drives the optimizer's lr from a {@link Schedule}, each parameter group from its own base lr
 * (its lr when training starts), as torch schedulers do: a cosine's `etaMin` is reached by every
 * group, and a group at lr 0 stays there while the others move. The base lrs are saved in the
 * plugin state.
 *
 * @example
 * new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [scheduler(cosineAnnealing({ tMax: 10 }))] });
 */
export function scheduler(schedule: Schedule, options: SchedulerOptions = {}): Plugin & { readonly lr: number } {
  const interval = options.interval ?? schedule.interval ?? 'epoch';
  if (interval !== 'epoch' && interval !== 'step') throw new ConfigError(`scheduler: interval must be 'epoch' or 'step', got ${String(interval)}`);
  let baseLrs: number[] | null = null;
  let legacyBase: number | null = null; // a state saved before per-group base lrs: one base lr for the default group
  let current = NaN;
  const apply = (ctx: BaseContext, t: number) => {
    const opt = ctx.optimizer;
    if (opt === null) return;
    baseLrs ??= baseLrsOf(opt.groups, legacyBase);
    if (baseLrs.length !== opt.groups.length) {
      throw new ConfigError(`scheduler: the saved state has base lrs for ${baseLrs.length} parameter groups but the optimizer has ${opt.groups.length}`);
    }
    const lrs = baseLrs.map((base, group) => schedule(t, base, group));
    setGroupLrs(opt, lrs, (lr) => `scheduler: the schedule returned lr ${lr} at ${interval} ${t}`);
    current = lrs[lrs.length - 1];
  };
  return {
    name: 'scheduler',
    get lr() {
      return current;
    },
    onTrainEpochStart(ctx) {
      if (interval === 'epoch') apply(ctx, ctx.epoch);
    },
    onTrainBatchStart(ctx) {
      if (interval === 'step') apply(ctx, ctx.step);
    },
    onTrainBatchEnd(ctx) {
      ctx.log('lr', current);
    },
    stateDict: () => ({ baseLr: baseLrs?.[baseLrs.length - 1] ?? null, baseLrs }),
    loadStateDict(state) {
      const s = (state ?? {}) as { baseLr?: unknown; baseLrs?: unknown };
      const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
      if (s.baseLrs !== undefined && s.baseLrs !== null && !(Array.isArray(s.baseLrs) && s.baseLrs.every(ok))) {
        throw new ConfigError(`scheduler: saved baseLrs must be a list of finite numbers ≥ 0, got ${JSON.stringify(s.baseLrs)}`);
      }
      if (s.baseLr !== undefined && s.baseLr !== null && !ok(s.baseLr)) throw new ConfigError(`scheduler: saved baseLr must be a finite number ≥ 0, got ${JSON.stringify(s.baseLr)}`);
      baseLrs = Array.isArray(s.baseLrs) ? [...(s.baseLrs as number[])] : null;
      legacyBase = (s.baseLr as number | null | undefined) ?? null;
    },
  };
}

/** The groups' current lrs, or (a state saved with one base lr) that base lr's ratios to the groups' initial lrs. */
function baseLrsOf(groups: Optimizer['groups'], legacyBase: number | null): number[] {
  if (legacyBase === null) return groups.map((g) => g.hyper.lr);
  const initial = groups[groups.length - 1].initialLr;
  return groups.map((g) => (initial === 0 ? g.initialLr : (g.initialLr * legacyBase) / initial));
}
