import type { BaseContext, ForwardContext, Plugin } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { Tensor, add, isOnDevice, mul, noGrad, sameDeviceAs, sub } from '@trainkit/tensor';
import { batchNormLayers, recomputeBatchNorm } from './batchNorm';
import { EnsembleError } from './errors';

/** Options of {@link ema}. */
export interface EmaOptions {
  /** Weight of the old average at each step, in [0, 1) (default 0.999: an average over roughly the last 1000 steps). */
  decay?: number;
  /**
   * Ramp the decay up as min(decay, (1 + t) / (10 + t)) at update t (TensorFlow's
   * `num_updates`), so the initial weights do not linger in the average (default true).
   */
  warmup?: boolean;
  /**
   * Inputs to recompute BatchNorm statistics for the averaged weights (tensors or `{ x }`
   * batches, e.g. the training DataLoader). Default: the last `bnBatches` training batches.
   */
  bnData?: Iterable<Tensor | { x: Tensor }>;
  /** How many recent training batches to keep for the BatchNorm statistics when `bnData` is not given (default 32). */
  bnBatches?: number;
  /** Validate with the averaged weights (default true); training continues from the raw weights. */
  evaluate?: boolean;
  /** Leave the averaged weights (with recomputed BatchNorm statistics) in the model when fit ends (default true). */
  applyAtEnd?: boolean;
}

/** What {@link ema} exposes besides the plugin hooks. */
export interface EmaHandle {
  /** Number of averaging updates so far (one per optimizer step). */
  readonly updates: number;
  /** A copy of the averaged parameters by name, or null before training started. */
  averaged(): Record<string, Tensor> | null;
  /** Copies the averaged parameters into `model` and recomputes its BatchNorm statistics. */
  applyTo(model: Module): void;
}

interface EmaState {
  updates: number;
  shadow: Record<string, Float32Array>;
  /** The recent training inputs kept for the BatchNorm statistics (without `bnData`), so a resume recomputes the same ones. */
  recent?: Array<{ shape: number[]; data: Float32Array }>;
}

function check(options: EmaOptions): Required<Pick<EmaOptions, 'decay' | 'warmup' | 'bnBatches' | 'evaluate' | 'applyAtEnd'>> {
  const { decay = 0.999, warmup = true, bnBatches = 32, evaluate = true, applyAtEnd = true } = options;
  if (typeof decay !== 'number' || !(decay >= 0 && decay < 1)) throw new EnsembleError(`ema({ decay: ${decay} }): decay must be in [0, 1), e.g. 0.999`);
  if (!Number.isInteger(bnBatches) || bnBatches < 1) throw new EnsembleError(`ema({ bnBatches: ${bnBatches} }): bnBatches must be a positive integer`);
  return { decay, warmup, bnBatches, evaluate, applyAtEnd };
}

/**
 * Polyak averaging as an exponential moving average of the parameters: after every optimizer
 * step, avg ← d·avg + (1 − d)·θ. Validation (and, by default, the model after fit) uses the
 * average, with BatchNorm statistics recomputed for the averaged weights
 * ({@link recomputeBatchNorm}); training itself always continues from the raw weights.
 * The average (and the recent batches kept for the BatchNorm statistics) is part of the plugin
 * state, so checkpoints resume it exactly.
 *
 * @param options - `decay` (0.999), `warmup` (true), `bnData`, `bnBatches` (32), `evaluate` (true), `applyAtEnd` (true)
 * @see https://doi.org/10.1137/0330046 (Polyak & Juditsky 1992, averaging of iterates)
 * @example
 * const average = ema({ decay: 0.999 });
 * await new Trainer({ optimizer: adam({ lr: 1e-3 }), plugins: [average] }).fit(model, { train, val, epochs: 1 });
 * // valAccuracy was measured with the averaged weights; `model` now holds them
 */
export function ema(options: EmaOptions = {}): Plugin & EmaHandle {
  const { decay, warmup, bnBatches, evaluate, applyAtEnd } = check(options);
  let state: EmaState | null = null;
  let recent: Tensor[] = [];
  let restoredRecent: Tensor[] | null = null; // from loadStateDict, for the onFitStart of the resumed fit
  let hasBatchNorm = false;
  let shapes = new Map<string, readonly number[]>();
  let backup: Array<[Float32Array, Float32Array]> | null = null;
  /** The average of parameters that train on a device, kept there between syncs (`onDeviceSync` brings it into `state`). */
  let onDevice = new Map<string, Tensor>();

  const bnInputs = (): Iterable<Tensor | { x: Tensor }> => options.bnData ?? recent;
  const rate = (st: EmaState): number => (warmup ? Math.min(decay, (1 + st.updates) / (10 + st.updates)) : decay);
  const applyTo = (model: Module): void => {
    if (state === null) throw new EnsembleError('ema: nothing averaged yet; apply it after training started');
    const params = new Map(model.namedParameters());
    for (const [name, avg] of Object.entries(state.shadow)) {
      const p = params.get(name);
      if (p === undefined || p.size !== avg.length) throw new EnsembleError(`ema: the model has no parameter "${name}" of ${avg.length} values; apply the average to the model it was trained on`);
      p.data.set(avg);
    }
    recomputeBatchNorm(model, bnInputs());
  };
  const restore = (): void => {
    if (backup === null) return;
    for (const [dst, src] of backup) dst.set(src);
    backup = null;
  };

  return {
    name: 'ema',
    stateKey: `ema:${decay}`,
    get updates() {
      return state?.updates ?? 0;
    },
    averaged: () => state && copyOf(state, shapes),
    applyTo,
    onFitStart(ctx: BaseContext) {
      hasBatchNorm = batchNormLayers(ctx.model).length > 0;
      shapes = new Map(ctx.model.namedParameters().map(([k, p]) => [k, p.shape]));
      recent = restoredRecent ?? [];
      restoredRecent = null;
      state ??= { updates: 0, shadow: Object.fromEntries(ctx.model.namedParameters().map(([k, p]) => [k, p.data.slice()])) };
    },
    onAfterForward(ctx: ForwardContext) {
      if (ctx.stage !== 'fit' || !hasBatchNorm || options.bnData !== undefined) return;
      recent.push(new Tensor(ctx.batch.x.data.slice(), ctx.batch.x.shape));
      if (recent.length > bnBatches) recent.shift();
    },
    onAfterOptimizerStep(ctx) {
      if (state === null) return;
      if (ctx.model.parameters().some(isOnDevice)) updateOnDevice(state, onDevice, ctx.model, rate(state));
      else updateShadow(state, ctx.model, rate(state));
    },
    async onDeviceSync() {
      if (state !== null) for (const [name, avg] of onDevice) state.shadow[name] = await avg.read();
      onDevice = new Map();
    },
    onValidationEpochStart(ctx) {
      if (ctx.stage !== 'fit' || !evaluate || state === null) return;
      backup = Object.values(ctx.model.stateDict()).map((t) => [t.data, t.data.slice()]);
      applyTo(ctx.model);
    },
    onValidationEpochEnd: restore,
    teardown() {
      restore();
      onDevice = new Map();
    },
    onFitEnd(ctx) {
      if (applyAtEnd && state !== null) applyTo(ctx.model);
    },
    stateDict: () => savedState(state, recent),
    loadStateDict(s) {
      const st = s as EmaState | null;
      state = st === null ? null : { updates: st.updates, shadow: Object.fromEntries(Object.entries(st.shadow).map(([k, v]) => [k, Float32Array.from(v)])) };
      restoredRecent = (st?.recent ?? []).map((t) => new Tensor(Float32Array.from(t.data), t.shape));
    },
  };
}

/** Copies of the averaged parameters as tensors of their shapes. */
function copyOf(state: EmaState, shapes: ReadonlyMap<string, readonly number[]>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(state.shadow).map(([k, v]) => [k, new Tensor(v.slice(), shapes.get(k) ?? [v.length])]));
}

/** A copy of {@link ema}'s state for a checkpoint: the average, and the recent batches kept for the BatchNorm statistics. */
function savedState(state: EmaState | null, recent: readonly Tensor[]): EmaState | null {
  if (state === null) return null;
  const out: EmaState = { updates: state.updates, shadow: Object.fromEntries(Object.entries(state.shadow).map(([k, v]) => [k, v.slice()])) };
  if (recent.length > 0) out.recent = recent.map((t) => ({ shape: [...t.shape], data: t.data.slice() }));
  return out;
}

/** {@link updateShadow} for parameters on a device: the average stays there, in `avgs`, until the next sync. */
function updateOnDevice(state: EmaState, avgs: Map<string, Tensor>, model: Module, d: number): void {
  state.updates++;
  noGrad(() => {
    for (const [name, p] of model.namedParameters()) {
      const cpu = state.shadow[name];
      if (cpu === undefined) continue;
      const avg = avgs.get(name) ?? sameDeviceAs(new Tensor(cpu, p.shape), p);
      avgs.set(name, add(avg, mul(sub(p, avg), 1 - d)));
    }
  });
}

/** One averaging step: shadow ← shadow + (1 − d)·(params − shadow), and the update count. */
function updateShadow(state: EmaState, model: Module, d: number): void {
  state.updates++;
  for (const [name, p] of model.namedParameters()) {
    const avg = state.shadow[name];
    if (avg === undefined) continue;
    const x = p.data;
    for (let i = 0; i < avg.length; i++) avg[i] += (1 - d) * (x[i] - avg[i]);
  }
}
