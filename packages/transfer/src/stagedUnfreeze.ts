import { ConfigError, type BaseContext, type ParamSelector, type Plugin, freeze, unfreeze } from '@trainkit/core';

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
 *
 * @param stages - when each group of parameters starts to train.
 * @see https://arxiv.org/abs/1801.06146
 * @example
 * const trainer = new Trainer({
 *   optimizer: adam({ lr: 1e-3, groups: [{ params: /^conv/, lr: 1e-4 }] }),
 *   plugins: [stagedUnfreeze([{ epoch: 5, params: /^conv2\./ }, { epoch: 10, params: /^conv1\./ }])],
 * });
 */
export function stagedUnfreeze(stages: readonly UnfreezeStage[]): Plugin & { readonly stages: readonly UnfreezeStage[] } {
  if (!Array.isArray(stages) || stages.length === 0) throw new ConfigError('stagedUnfreeze: give at least one stage, e.g. stagedUnfreeze([{ epoch: 5, params: /^conv/ }])');
  for (const [i, s] of stages.entries()) {
    if (!Number.isInteger(s?.epoch) || s.epoch < 0) throw new ConfigError(`stagedUnfreeze: stages[${i}].epoch must be an integer ≥ 0, got ${String(s?.epoch)}`);
    if (s.params === undefined) throw new ConfigError(`stagedUnfreeze: stages[${i}].params must select parameters (a RegExp, a list of names or a predicate)`);
  }
  const apply = (ctx: BaseContext): void => {
    for (const s of stages) if (s.epoch > ctx.epoch) freeze(ctx.model, s.params);
    for (const s of stages) if (s.epoch <= ctx.epoch) unfreeze(ctx.model, s.params);
  };
  return {
    name: 'stagedUnfreeze',
    stages,
    onTrainEpochStart: apply,
  };
}
