import type { Module } from '@trainkit/nn';
import type { Tensor } from '@trainkit/tensor';
import { ConfigError } from './errors';
import type { BaseContext, Plugin } from './hooks';
import { metricMode } from './metricMode';

/** Options of {@link earlyStopping}; names and meanings follow Keras' and Lightning's EarlyStopping. */
export interface EarlyStoppingOptions {
  /** The epoch metric to watch (default `'valLoss'`; `val…` metrics need validation data). */
  monitor?: string;
  /** Epochs without improvement after which training stops (default 3, as Lightning). */
  patience?: number;
  /** An improvement must beat the best value by more than this (absolute; default 0). */
  minDelta?: number;
  /**
   * `'min'`: lower is better; `'max'`: higher is better. Default: from the metric's name
   * ({@link metricMode}: a loss or an error is `'min'`, accuracy, AUC, F1… `'max'`); a name that
   * says neither is refused, since a wrong guess would stop on the best epochs.
   */
  mode?: 'min' | 'max';
  /** A value the metric must beat: until an epoch does, every epoch counts as not improving (Keras' `baseline`). */
  baseline?: number;
  /** Epochs (from the first, 0-based) that are not watched at all, e.g. a warm-up (default 0). */
  startFromEpoch?: number;
  /**
   * Keep a copy of the weights (parameters and buffers) of the best epoch, and put them back in
   * the model when fit ends, stopped early or not (default false; Keras restores only when it
   * stops early). The copy is part of the plugin's state, so a checkpoint resumes it.
   */
  restoreBestWeights?: boolean;
  /** Stop at once when the metric is NaN or infinite (default true, as Lightning's `check_finite`). */
  checkFinite?: boolean;
}

/** What {@link earlyStopping} exposes besides its hooks. */
export interface EarlyStoppingHandle {
  /** The best value seen so far (null before the first watched epoch). */
  readonly best: number | null;
  /** The epoch (0-based, as in `history`) of the best value, or null. */
  readonly bestEpoch: number | null;
  /** The epoch in which it stopped training, or null. */
  readonly stoppedEpoch: number | null;
}

interface State {
  best: number | null;
  bestEpoch: number | null;
  wait: number;
  stoppedEpoch: number | null;
  /** The best epoch's weights, by state-dict name (only with restoreBestWeights). */
  weights: Record<string, Float32Array> | null;
}

type Rule = Required<Omit<EarlyStoppingOptions, 'baseline'>> & { baseline: number | null };

function resolve(options: EarlyStoppingOptions): Rule {
  const { monitor = 'valLoss', patience = 3, minDelta = 0, startFromEpoch = 0, restoreBestWeights = false, checkFinite = true } = options;
  const bad = (what: string, value: unknown, rule: string) => new ConfigError(`earlyStopping({ ${what}: ${JSON.stringify(value) ?? String(value)} }): ${what} ${rule}`);
  if (typeof monitor !== 'string' || monitor === '') throw bad('monitor', monitor, "must be a metric's name, such as 'valLoss'");
  if (!Number.isInteger(patience) || patience < 0) throw bad('patience', patience, 'must be an integer ≥ 0 (epochs without improvement)');
  if (typeof minDelta !== 'number' || !(minDelta >= 0) || !Number.isFinite(minDelta)) throw bad('minDelta', minDelta, 'must be a finite number ≥ 0');
  if (!Number.isInteger(startFromEpoch) || startFromEpoch < 0) throw bad('startFromEpoch', startFromEpoch, 'must be an integer ≥ 0');
  if (options.baseline !== undefined && (typeof options.baseline !== 'number' || !Number.isFinite(options.baseline))) throw bad('baseline', options.baseline, 'must be a finite number');
  for (const [what, v] of [['restoreBestWeights', restoreBestWeights], ['checkFinite', checkFinite]] as const) if (typeof v !== 'boolean') throw bad(what, v, 'must be true or false');
  const mode = options.mode ?? metricMode(monitor);
  if (mode === null) throw bad('monitor', monitor, "does not say whether lower or higher is better; pass mode: 'min' or 'max'");
  if (mode !== 'min' && mode !== 'max') throw bad('mode', mode, "must be 'min' or 'max'");
  return { monitor, patience, minDelta, mode, baseline: options.baseline ?? null, startFromEpoch, restoreBestWeights, checkFinite };
}

/** A copy of the model's state dict values (parameters and buffers). */
function snapshot(model: Module): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(model.stateDict() as Record<string, Tensor>)) out[name] = t.data.slice();
  return out;
}

function checkState(s: unknown): State {
  const o = (s ?? {}) as Partial<State>;
  const numOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));
  const epochOrNull = (v: unknown) => v === null || (Number.isSafeInteger(v) && (v as number) >= 0);
  const weightsOk = o.weights === null || (typeof o.weights === 'object' && o.weights !== undefined && Object.values(o.weights).every((w) => w instanceof Float32Array));
  if (!numOrNull(o.best) || !epochOrNull(o.bestEpoch) || !epochOrNull(o.stoppedEpoch) || !Number.isSafeInteger(o.wait) || (o.wait as number) < 0 || !weightsOk) {
    throw new ConfigError('earlyStopping: saved state must be { best: a finite number or null, bestEpoch and stoppedEpoch: integers ≥ 0 or null, wait: an integer ≥ 0, weights: Float32Arrays by name or null }');
  }
  return { best: o.best as number | null, bestEpoch: o.bestEpoch as number | null, wait: o.wait as number, stoppedEpoch: o.stoppedEpoch as number | null, weights: o.weights as State['weights'] };
}

/**
 * Stops `fit` when the monitored epoch metric has not improved for `patience` epochs (Keras'
 * and Lightning's EarlyStopping): an epoch improves when its value beats the best so far by
 * more than `minDelta` (and, with `baseline`, beats the baseline too). A NaN or infinite value
 * stops at once (`checkFinite`); a missing metric is an error naming the ones there are. With
 * `restoreBestWeights` the model ends fit with the best epoch's weights. The counters (and the
 * weights) are plugin state: a run resumed from a checkpoint keeps its patience count.
 *
 * @example
 * const stopper = earlyStopping({ monitor: 'valLoss', patience: 5, restoreBestWeights: true });
 * const trainer = new Trainer({ optimizer: adam(), plugins: [stopper] });
 * const { stopReason } = await trainer.fit(model, { train, val, epochs: 100 });
 * console.log(stopReason, stopper.bestEpoch);
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): Plugin & EarlyStoppingHandle {
  const rule = resolve(options);
  const { monitor, patience, minDelta, mode } = rule;
  const fresh = (): State => ({ best: null, bestEpoch: null, wait: 0, stoppedEpoch: null, weights: null });
  let state = fresh();
  let restored = false;
  const beats = (value: number, reference: number | null) => reference === null || (mode === 'min' ? value < reference - minDelta : value > reference + minDelta);
  const where = (epoch: number | null) => (epoch === null ? '' : ` in epoch ${epoch}`);
  return {
    name: 'earlyStopping',
    stateKey: `earlyStopping:${monitor}`,
    get best() {
      return state.best;
    },
    get bestEpoch() {
      return state.bestEpoch;
    },
    get stoppedEpoch() {
      return state.stoppedEpoch;
    },
    onFitStart() {
      // a fresh fit watches afresh; a resumed one keeps the counts it saved
      if (!restored) state = fresh();
      restored = false;
    },
    onTrainEpochEnd(ctx: BaseContext) {
      const value = ctx.metrics[monitor];
      if (value === undefined) {
        throw new ConfigError(`earlyStopping({ monitor: '${monitor}' }) found no such metric; available: ${Object.keys(ctx.metrics).join(', ')} (pass val data to fit for val… metrics)`);
      }
      if (ctx.epoch < rule.startFromEpoch) return;
      if (!Number.isFinite(value) && rule.checkFinite) {
        state.stoppedEpoch = ctx.epoch;
        ctx.stop(`earlyStopping: ${monitor} is ${value} in epoch ${ctx.epoch}`);
        return;
      }
      // Keras' rule: every epoch counts, an improvement resets the count only when it also beats the baseline
      if (rule.restoreBestWeights && state.weights === null) state.weights = snapshot(ctx.model);
      state.wait++;
      if (beats(value, state.best)) {
        state = { ...state, best: value, bestEpoch: ctx.epoch };
        if (rule.restoreBestWeights) state.weights = snapshot(ctx.model);
        if (rule.baseline === null || beats(value, rule.baseline)) state.wait = 0;
        return;
      }
      if (state.wait >= patience && ctx.epoch > 0) {
        state.stoppedEpoch = ctx.epoch;
        const beaten = rule.baseline === null || (state.best !== null && beats(state.best, rule.baseline));
        const best = beaten ? `best ${state.best}${where(state.bestEpoch)}` : `no epoch beat the baseline ${rule.baseline}`;
        ctx.stop(`earlyStopping: ${monitor} did not improve for ${state.wait} epoch${state.wait === 1 ? '' : 's'} (${best})`);
      }
    },
    onFitEnd(ctx: BaseContext) {
      if (!rule.restoreBestWeights || state.weights === null) return;
      const saved = state.weights;
      const current = Object.entries(ctx.model.stateDict() as Record<string, Tensor>);
      // all or nothing: a model whose tensors changed since the best epoch is left as it is
      const names = new Set(current.map(([name]) => name));
      const odd = current.find(([name, t]) => saved[name]?.length !== t.size)?.[0] ?? Object.keys(saved).find((name) => !names.has(name));
      if (odd !== undefined) {
        throw new ConfigError(`earlyStopping({ restoreBestWeights: true }): the model's "${odd}" does not match the copy kept from epoch ${state.bestEpoch} (its tensors changed during fit); the model keeps its final weights`);
      }
      for (const [name, t] of current) t.data.set(saved[name]);
    },
    stateDict: () => ({ ...state, weights: state.weights === null ? null : { ...state.weights } }),
    loadStateDict(s: unknown) {
      state = checkState(s);
      restored = true;
    },
  };
}
