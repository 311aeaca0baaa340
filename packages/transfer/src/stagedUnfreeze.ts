import { ConfigError, type BaseContext, type ParamSelector, type Plugin, freeze, isParamSelector, selectsParam, unfreeze } from '@trainkit/core';
import type { Module } from '@trainkit/nn';
import { describeValue } from './select';

/** One stage of {@link stagedUnfreeze}: from `epoch` on, the selected parameters train. */
export interface UnfreezeStage {
  /** The epoch (0-based) at whose start the parameters are unfrozen. */
  epoch: number;
  /** Which parameters: a pattern, a list of names or a predicate. */
  params: ParamSelector;
}

/**
 * Gradual unfreezing (ULMFiT, Howard & Ruder 2018): the parameters of each stage stay frozen
 * until its epoch, then train. Typical: the new head alone first, then the backbone at a
 * smaller learning rate — give the optimizer a parameter group for the backbone,
 * `adam({ lr: 1e-3, groups: [{ params: /^conv/, lr: 1e-4 }] })`, and the backbone trains at
 * 1e-4 from the epoch it is unfrozen (a frozen parameter gets no gradient and no optimizer
 * state, so Adam starts its moments then).
 *
 * Which parameters are frozen is a function of the epoch alone, applied at the start of every
 * epoch (frozen BatchNorm layers stay in eval mode, see `freeze`): a resumed run gets the same
 * freezing without any saved state.
 * A stage that selects no parameter of the model is an error when fit starts; a stage whose
 * epoch the fit never reaches gets a one-line notice (its parameters stay frozen throughout).
 *
 * @param stages - when each group of parameters starts to train.
 * @param options - `notice`: where the one-line notices go (default `console.warn`).
 * @see https://arxiv.org/abs/1801.06146
 * @example
 * const trainer = new Trainer({
 *   optimizer: adam({ lr: 1e-3, groups: [{ params: /^conv/, lr: 1e-4 }] }),
 *   plugins: [stagedUnfreeze([{ epoch: 5, params: /^conv2\./ }, { epoch: 10, params: /^conv1\./ }])],
 * });
 */
export function stagedUnfreeze(stages: readonly UnfreezeStage[], options: { notice?: (line: string) => void } = {}): Plugin & { readonly stages: readonly UnfreezeStage[] } {
  const notice = options.notice ?? ((line: string) => console.warn(line));
  if (!Array.isArray(stages) || stages.length === 0) throw new ConfigError('stagedUnfreeze: give at least one stage, e.g. stagedUnfreeze([{ epoch: 5, params: /^conv/ }])');
  for (const [i, s] of stages.entries()) {
    if (!Number.isInteger(s?.epoch) || s.epoch < 0) throw new ConfigError(`stagedUnfreeze: stages[${i}].epoch must be an integer ≥ 0, got ${String(s?.epoch)}`);
    if (!isParamSelector(s.params)) throw new ConfigError(`stagedUnfreeze: stages[${i}].params must select parameters (a RegExp, a list of names or a predicate), got ${describeValue(s.params)}`);
  }
  const apply = (ctx: BaseContext): void => {
    for (const s of stages) if (s.epoch > ctx.epoch) freeze(ctx.model, s.params);
    for (const s of stages) if (s.epoch <= ctx.epoch) unfreeze(ctx.model, s.params);
  };
  return {
    name: 'stagedUnfreeze',
    stages,
    onFitStart: (ctx) => {
      checkSelected(stages, ctx.model);
      for (const [i, s] of stages.entries()) {
        if (s.epoch >= ctx.epochs) notice(`stagedUnfreeze: stages[${i}] starts at epoch ${s.epoch}, but this fit ends after epoch ${ctx.epochs - 1}: its parameters stay frozen throughout`);
      }
    },
    onTrainEpochStart: apply,
  };
}

/** Refuses a stage that selects no parameter of `model` (a typo would leave its layers training from the start) or names one it lacks. */
function checkSelected(stages: readonly UnfreezeStage[], model: Module): void {
  const names = model.namedParameters().map(([n]) => n);
  const where = `(parameters: ${names.join(', ')})`;
  for (const [i, { params }] of stages.entries()) {
    const unknown = Array.isArray(params) ? params.filter((n: string) => !names.includes(n)) : [];
    if (unknown.length > 0) throw new ConfigError(`stagedUnfreeze: stages[${i}].params names no parameter ${unknown.map((n) => `"${n}"`).join(', ')} ${where}`);
    if (!names.some((n) => selectsParam(params, n))) {
      const what = params instanceof RegExp ? String(params) : typeof params === 'function' ? 'a predicate' : 'an empty list';
      throw new ConfigError(`stagedUnfreeze: stages[${i}].params (${what}) selects no parameter of the ${model.constructor.name} ${where}`);
    }
  }
}
