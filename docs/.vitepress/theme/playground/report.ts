/**
 * What the training worker reports after each batch, as a pure function of the hook's context
 * (no worker globals), so a Node test can check it against a real Trainer.
 */
import { type BackwardContext, accuracy } from '@trainkit/core';
import type { FromWorker } from './protocol';

/**
 * The batch's own loss and accuracy. Not `ctx.metrics.accuracy`: that is the epoch's running
 * mean, which restarts at every epoch and made the curve jump at each epoch boundary.
 */
export function batchReport(ctx: BackwardContext, samplesPerSec: number): Extract<FromWorker, { type: 'batch' }> {
  return { type: 'batch', step: ctx.step, epoch: ctx.epoch, loss: ctx.loss.data[0], accuracy: accuracy(ctx.output, ctx.batch.y), samplesPerSec };
}

/**
 * On the GPU a batch's own loss and output stay there; the Trainer reads loss and accuracy back
 * every `metricsEvery` steps into the epoch's running means. The report after such a read
 * carries those means (null between reads: nothing new to draw).
 */
export function gpuBatchReport(ctx: BackwardContext, samplesPerSec: number, metricsEvery: number): Extract<FromWorker, { type: 'batch' }> | null {
  if (ctx.step % metricsEvery !== 0 || ctx.metrics.loss === undefined) return null;
  return { type: 'batch', step: ctx.step, epoch: ctx.epoch, loss: ctx.metrics.loss, accuracy: ctx.metrics.accuracy, samplesPerSec };
}
