import type { BackwardContext, BaseContext, Plugin } from '@trainkit/core';

/** A progress report of one member, sent while it trains (from a worker or the calling thread). */
export interface MemberProgress {
  /** Index of the member. */
  member: number;
  /** The member's seed. */
  seed: number;
  /** `'start'` when fit begins, `'batch'` during an epoch (throttled), `'epoch'` after each epoch, `'end'` when fit ends. */
  phase: 'start' | 'batch' | 'epoch' | 'end';
  /** Current epoch, from 0. */
  epoch: number;
  /** Total epochs. */
  epochs: number;
  /** Batches done in the current epoch. */
  batch: number;
  /** Batches per epoch, when the data knows its length. */
  batchesPerEpoch: number | undefined;
  /** Running epoch metrics (`loss`, `accuracy`, and after validation `valLoss`, `valAccuracy`). */
  metrics: Record<string, number>;
  /** Seconds since the member's fit began. */
  elapsed: number;
}

/** Minimum milliseconds between two `'batch'` reports of one member. */
export const PROGRESS_INTERVAL_MS = 250;

/** The plugin that reports a member's progress (added by trainMember when a listener is given). */
export function memberProgressPlugin(member: number, seed: number, report: (event: MemberProgress) => void): Plugin {
  let started = 0;
  let last = 0;
  const send = (ctx: BaseContext, phase: MemberProgress['phase'], batch: number) => {
    last = performance.now();
    report({
      member,
      seed,
      phase,
      epoch: ctx.epoch,
      epochs: ctx.epochs,
      batch,
      batchesPerEpoch: ctx.batchesPerEpoch,
      metrics: { ...ctx.metrics },
      elapsed: (last - started) / 1000,
    });
  };
  return {
    name: 'ensemble:progress',
    onFitStart(ctx) {
      started = performance.now();
      send(ctx, 'start', 0);
    },
    onTrainBatchEnd(ctx: BackwardContext) {
      if (performance.now() - last >= PROGRESS_INTERVAL_MS) send(ctx, 'batch', ctx.batchIndex + 1);
    },
    onTrainEpochEnd(ctx) {
      send(ctx, 'epoch', ctx.batchesPerEpoch ?? 0);
    },
    onFitEnd(ctx) {
      send(ctx, 'end', ctx.batchesPerEpoch ?? 0);
    },
  };
}
