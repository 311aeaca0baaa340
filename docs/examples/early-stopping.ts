// A plugin with state: stop when the validation loss has not improved for `patience` epochs.
import type { BaseContext, Plugin } from '@trainkit/core';

// #region plugin
export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** The metric to watch (lower is better). Default `valLoss`. */
  monitor?: string;
}

export function earlyStopping({ patience, monitor = 'valLoss' }: EarlyStoppingOptions): Plugin & { best: number } {
  let best = Infinity;
  let bad = 0;
  return {
    name: 'early-stopping',
    get best() {
      return best;
    },
    onTrainEpochEnd(ctx: BaseContext) {
      const value = ctx.metrics[monitor];
      if (value === undefined) throw new Error(`metric "${monitor}" is missing; pass val data to fit()`);
      if (value < best) {
        best = value;
        bad = 0;
      } else if (++bad >= patience) {
        ctx.stop(`${monitor} did not improve for ${patience} epochs (best ${best.toFixed(4)})`);
      }
    },
    // the trainer's stateDict() collects this, so a resumed run keeps its patience count
    stateDict: () => ({ best, bad }),
    loadStateDict(state) {
      ({ best, bad } = state as { best: number; bad: number });
    },
  };
}
// #endregion plugin
