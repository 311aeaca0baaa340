import { ConfigError } from './errors';
import type { BaseContext, Plugin } from './hooks';

/**
 * A learning-rate schedule: the lr at time t (an epoch or a step, counted from 0) given the
 * optimizer's base lr. Pure, so resuming at t reproduces the uninterrupted run.
 */
export type Schedule = (t: number, baseLr: number) => number;

function check(name: string, cond: boolean, message: string): void {
  if (!cond) throw new ConfigError(`${name}: ${message}`);
}

/** lr·gamma^⌊t / stepSize⌋ (torch StepLR). */
export function stepDecay({ stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }): Schedule {
  check('stepDecay', Number.isInteger(stepSize) && stepSize > 0, `stepSize must be a positive integer, got ${stepSize}`);
  check('stepDecay', gamma > 0, `gamma must be > 0, got ${gamma}`);
  return (t, lr) => lr * gamma ** Math.floor(t / stepSize);
}

/** lr·gamma^t (torch ExponentialLR). */
export function exponentialDecay({ gamma }: { gamma: number }): Schedule {
  check('exponentialDecay', gamma > 0, `gamma must be > 0, got ${gamma}`);
  return (t, lr) => lr * gamma ** t;
}

/** Half a cosine from lr down to etaMin over tMax (torch CosineAnnealingLR, closed form); stays at etaMin after. */
export function cosineAnnealing({ tMax, etaMin = 0 }: { tMax: number; etaMin?: number }): Schedule {
  check('cosineAnnealing', tMax > 0, `tMax must be > 0, got ${tMax}`);
  check('cosineAnnealing', etaMin >= 0, `etaMin must be ≥ 0, got ${etaMin}`);
  return (t, lr) => etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * Math.min(t, tMax)) / tMax))) / 2;
}

/**
 * Cosine annealing with warm restarts (SGDR, torch CosineAnnealingWarmRestarts): cycles of
 * length t0, t0·tMult, t0·tMult², …, each restarting at lr. Snapshot ensembles take a model at
 * the end of each cycle; {@link cycleOf} tells which cycle t is in.
 * @see https://arxiv.org/abs/1608.03983
 */
export function cosineWarmRestarts({ t0, tMult = 1, etaMin = 0 }: { t0: number; tMult?: number; etaMin?: number }): Schedule {
  check('cosineWarmRestarts', t0 > 0, `t0 must be > 0, got ${t0}`);
  check('cosineWarmRestarts', Number.isInteger(tMult) && tMult >= 1, `tMult must be an integer ≥ 1, got ${tMult}`);
  return (t, lr) => {
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

/** Linear warmup from startFactor·lr to lr over `warmup` steps, then `after` (default: constant), shifted by the warmup. */
export function linearWarmup({ warmup, startFactor = 0, after }: { warmup: number; startFactor?: number; after?: Schedule }): Schedule {
  check('linearWarmup', Number.isInteger(warmup) && warmup > 0, `warmup must be a positive integer, got ${warmup}`);
  check('linearWarmup', startFactor >= 0 && startFactor <= 1, `startFactor must be in [0, 1], got ${startFactor}`);
  return (t, lr) => (t < warmup ? lr * (startFactor + ((1 - startFactor) * t) / warmup) : after ? after(t - warmup, lr) : lr);
}

/**
 * The one-cycle policy (Smith 2018; torch OneCycleLR, cosine, two phases): from maxLr/divFactor
 * up to maxLr over pctStart of totalSteps, then down to maxLr/(divFactor·finalDivFactor).
 * Ignores the optimizer's base lr. Set `interval: 'step'` on the scheduler.
 * @see https://arxiv.org/abs/1803.09820
 */
export function oneCycle({ maxLr, totalSteps, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 }: { maxLr: number; totalSteps: number; pctStart?: number; divFactor?: number; finalDivFactor?: number }): Schedule {
  check('oneCycle', maxLr > 0, `maxLr must be > 0, got ${maxLr}`);
  check('oneCycle', Number.isInteger(totalSteps) && totalSteps > 1, `totalSteps must be an integer > 1, got ${totalSteps}`);
  check('oneCycle', pctStart > 0 && pctStart < 1, `pctStart must be in (0, 1), got ${pctStart}`);
  const initial = maxLr / divFactor;
  const final = initial / finalDivFactor;
  const peak = pctStart * totalSteps - 1;
  const cos = (from: number, to: number, frac: number) => to + ((from - to) * (1 + Math.cos(Math.PI * frac))) / 2;
  return (t) => {
    if (t <= peak) return cos(initial, maxLr, t / peak);
    return cos(maxLr, final, Math.min(1, (t - peak) / (totalSteps - 1 - peak)));
  };
}

/** Options of {@link scheduler}. */
export interface SchedulerOptions {
  /** 'epoch' (default) sets the lr at each epoch start from the epoch index; 'step' before each batch from the global step. */
  interval?: 'epoch' | 'step';
}

/**
 * Drives the optimizer's lr from a {@link Schedule}. Parameter groups keep their ratios to the
 * default group (the optimizer's `lr` setter scales them all). The base lr is the optimizer's
 * lr when training starts and is saved in the plugin state.
 *
 * @example
 * new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [scheduler(cosineAnnealing({ tMax: 10 }))] });
 */
export function scheduler(schedule: Schedule, options: SchedulerOptions = {}): Plugin & { readonly lr: number } {
  const interval = options.interval ?? 'epoch';
  if (interval !== 'epoch' && interval !== 'step') throw new ConfigError(`scheduler: interval must be 'epoch' or 'step', got ${String(interval)}`);
  let baseLr: number | null = null;
  let current = NaN;
  const apply = (ctx: BaseContext, t: number) => {
    const opt = ctx.optimizer;
    if (opt === null) return;
    baseLr ??= opt.lr;
    const lr = schedule(t, baseLr);
    if (!Number.isFinite(lr) || lr < 0) throw new ConfigError(`scheduler: the schedule returned lr ${lr} at ${interval} ${t}`);
    opt.lr = current = lr;
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
    stateDict: () => ({ baseLr }),
    loadStateDict(state) {
      const s = state as { baseLr: number | null };
      baseLr = s?.baseLr ?? null;
    },
  };
}

/** Options of {@link reduceOnPlateau}; defaults follow torch ReduceLROnPlateau. */
export interface ReduceOnPlateauOptions {
  /** Metric to watch (default 'valLoss'). */
  monitor?: string;
  mode?: 'min' | 'max';
  /** lr is multiplied by this on a plateau (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Relative improvement needed to count as better (default 1e-4, torch's 'rel' mode). */
  threshold?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  minLr?: number;
}

/**
 * Multiplies the lr by `factor` when the monitored metric stops improving for `patience`
 * epochs (torch ReduceLROnPlateau, relative threshold). Needs validation data when watching
 * a `val…` metric; a missing metric is an error naming the available ones.
 */
export function reduceOnPlateau(options: ReduceOnPlateauOptions = {}): Plugin {
  const { monitor = 'valLoss', mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, cooldown = 0, minLr = 0 } = options;
  check('reduceOnPlateau', factor > 0 && factor < 1, `factor must be in (0, 1), got ${factor}`);
  check('reduceOnPlateau', Number.isInteger(patience) && patience >= 0, `patience must be an integer ≥ 0, got ${patience}`);
  check('reduceOnPlateau', mode === 'min' || mode === 'max', `mode must be 'min' or 'max', got ${String(mode)}`);
  let state = { best: mode === 'min' ? Infinity : -Infinity, bad: 0, cooldownLeft: 0 };
  const better = (v: number) => (mode === 'min' ? v < state.best * (1 - Math.sign(state.best) * threshold) : v > state.best * (1 + Math.sign(state.best) * threshold));
  return {
    name: 'reduceOnPlateau',
    stateKey: `reduceOnPlateau:${monitor}`,
    onTrainEpochEnd(ctx) {
      const v = ctx.metrics[monitor];
      if (v === undefined) {
        throw new ConfigError(`reduceOnPlateau({ monitor: '${monitor}' }) found no such metric; available: ${Object.keys(ctx.metrics).join(', ')} (pass val data to fit for val… metrics)`);
      }
      if (better(v)) {
        state.best = v;
        state.bad = 0;
      } else state.bad++;
      if (state.cooldownLeft > 0) {
        state.cooldownLeft--;
        state.bad = 0;
      }
      if (state.bad > patience && ctx.optimizer !== null) {
        ctx.optimizer.lr = Math.max(minLr, ctx.optimizer.lr * factor);
        state.cooldownLeft = cooldown;
        state.bad = 0;
      }
    },
    stateDict: () => ({ ...state }),
    loadStateDict(s) {
      state = { ...(s as typeof state) };
    },
  };
}
