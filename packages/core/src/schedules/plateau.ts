import { ConfigError } from '../errors';
import type { Plugin } from '../hooks';
import { metricMode } from '../metricMode';
import { setGroupLrs } from '../optimizer/groups';

/** Options of {@link reduceOnPlateau}; names and defaults follow torch ReduceLROnPlateau. */
export interface ReduceOnPlateauOptions {
  /** Metric to watch (default 'valLoss'). */
  monitor?: string;
  /**
   * 'min': lower is better; 'max': higher is better. reduceOnPlateau takes the default from the
   * monitor's name as Keras' 'auto' does (accuracy-like names 'max', see metricMode), else 'min'
   * (torch's default, and plateauTracker's).
   */
  mode?: 'min' | 'max';
  /** lr is multiplied by this on a plateau (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** How much better a value must be than the best so far to count (default 1e-4); see `thresholdMode`. */
  threshold?: number;
  /**
   * 'rel' (default): better means below best·(1 − threshold) in 'min' mode, above
   * best·(1 + threshold) in 'max' mode. 'abs': below best − threshold, above best + threshold.
   * As in torch, 'rel' scales by the best value itself, sign included: with a negative best,
   * a value slightly worse than it can still count as better. Use 'abs' for metrics near or
   * below zero.
   */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** The lr never goes below this (default 0). */
  minLr?: number;
  /** A reduction smaller than this is skipped (default 1e-8). */
  eps?: number;
}

interface PlateauState {
  best: number;
  bad: number;
  cooldownLeft: number;
}

type Rule = Required<Omit<ReduceOnPlateauOptions, 'monitor'>>;

function validate(options: ReduceOnPlateauOptions): Rule {
  const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = options;
  const check = (cond: boolean, message: string) => {
    if (!cond) throw new ConfigError(`reduceOnPlateau: ${message}`);
  };
  check(mode === 'min' || mode === 'max', `mode must be 'min' or 'max', got ${String(mode)}`);
  check(thresholdMode === 'rel' || thresholdMode === 'abs', `thresholdMode must be 'rel' or 'abs', got ${String(thresholdMode)}`);
  check(factor > 0 && factor < 1, `factor must be in (0, 1), got ${factor}`);
  check(Number.isInteger(patience) && patience >= 0, `patience must be an integer ≥ 0, got ${patience}`);
  check(Number.isInteger(cooldown) && cooldown >= 0, `cooldown must be an integer ≥ 0, got ${cooldown}`);
  check(threshold >= 0, `threshold must be ≥ 0, got ${threshold}`);
  check(minLr >= 0, `minLr must be ≥ 0, got ${minLr}`);
  check(eps >= 0, `eps must be ≥ 0, got ${eps}`);
  return { mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps };
}

/**
 * torch ReduceLROnPlateau's step(metric) on one lr, as a small state machine: `step` takes the
 * epoch's metric and the current lr and returns the lr for the next epoch.
 */
export function plateauTracker(options: ReduceOnPlateauOptions = {}) {
  const { mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps } = validate(options);
  const worst = mode === 'min' ? Infinity : -Infinity;
  let state: PlateauState = { best: worst, bad: 0, cooldownLeft: 0 };
  const isBetter = (a: number, best: number): boolean => {
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  };
  /** One group's lr after a reduction: ×factor, not below minLr, unchanged when the cut would be at most eps. */
  const reduce = (lr: number): number => {
    const reduced = Math.max(lr * factor, minLr);
    return lr - reduced > eps ? reduced : lr;
  };
  /** Takes the epoch's metric; true when the lrs are to be reduced now. */
  const decide = (metric: number): boolean => {
    if (isBetter(metric, state.best)) {
      state.best = metric;
      state.bad = 0;
    } else state.bad++;
    if (state.cooldownLeft > 0) {
      state.cooldownLeft--;
      state.bad = 0; // bad epochs in cooldown do not count
    }
    if (state.bad <= patience) return false;
    state.cooldownLeft = cooldown;
    state.bad = 0;
    return true;
  };
  return {
    decide,
    reduce,
    /** decide and reduce for a single lr. */
    step(metric: number, lr: number): number {
      return decide(metric) ? reduce(lr) : lr;
    },
    /** Forgets the best value, the bad epochs and the cooldown (a fresh fit). */
    reset() {
      state = { best: worst, bad: 0, cooldownLeft: 0 };
    },
    /** JSON-safe: an infinite best (nothing seen yet) is saved as null. */
    stateDict: () => ({ ...state, best: Number.isFinite(state.best) ? state.best : null }),
    loadStateDict(s: unknown) {
      const saved = (s ?? {}) as { best?: unknown; bad?: unknown; cooldownLeft?: unknown };
      const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
      if (!(saved.best === null || (typeof saved.best === 'number' && Number.isFinite(saved.best))) || !count(saved.bad) || !count(saved.cooldownLeft)) {
        throw new ConfigError(`reduceOnPlateau: saved state must be { best: a finite number or null, bad and cooldownLeft: integers ≥ 0 }, got ${JSON.stringify(s)}`);
      }
      state = { best: (saved.best as number | null) ?? worst, bad: saved.bad as number, cooldownLeft: saved.cooldownLeft as number };
    },
  };
}

/**
 * Multiplies the lr by `factor` when the monitored metric has not improved for more than
 * `patience` epochs (each parameter group's own lr, each clamped at `minLr`): torch ReduceLROnPlateau exactly, both modes and both threshold modes
 * (relative thresholds scale by the signed best value, as torch's do), with cooldown, minLr
 * and eps. Needs validation data when watching a `val…` metric; a missing metric is an error
 * naming the available ones. A fresh fit starts counting afresh; a resumed one continues the saved
 * count (the lrs themselves are the optimizer's and stay as they are).
 */
export function reduceOnPlateau(options: ReduceOnPlateauOptions = {}): Plugin {
  const monitor = options.monitor ?? 'valLoss';
  // the default mode from the name: with torch's fixed 'min', monitor 'valAccuracy' cut the lr while it improved
  const tracker = plateauTracker({ ...options, mode: options.mode ?? metricMode(monitor) ?? 'min' });
  let restored = false;
  return {
    name: 'reduceOnPlateau',
    stateKey: `reduceOnPlateau:${monitor}`,
    onFitStart() {
      // a fresh fit watches afresh (an earlier fit's best is no reference for it); a resumed one keeps what it saved
      if (!restored) tracker.reset();
      restored = false;
    },
    onTrainEpochEnd(ctx) {
      const v = ctx.metrics[monitor];
      if (v === undefined) {
        throw new ConfigError(`reduceOnPlateau({ monitor: '${monitor}' }) found no such metric; available: ${Object.keys(ctx.metrics).join(', ')} (pass val data to fit for val… metrics)`);
      }
      if (ctx.optimizer === null || !tracker.decide(v)) return;
      // each group on its own, as torch does: ×factor, clamped at minLr, skipped when the cut is ≤ eps
      const lrs = ctx.optimizer.groups.map((g) => tracker.reduce(g.hyper.lr));
      setGroupLrs(ctx.optimizer, lrs, (lr, i) => `reduceOnPlateau: the lr of parameter group ${i} would be ${lr}; it must be a finite number ≥ 0`);
    },
    stateDict: tracker.stateDict,
    loadStateDict(state) {
      tracker.loadStateDict(state);
      restored = true;
    },
  };
}
