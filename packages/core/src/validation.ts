// The validation loop, shared by fit (after each epoch) and evaluate.
import type { Module } from '@trainkit/nn';
import { noGrad } from '@trainkit/tensor';
import type { RunContext } from './context';
import { type Data, batchSizeOf, batchStream, checkBatch, lengthOf } from './dataSource';
import { ConfigError } from './errors';
import { emitHook } from './lifecycle';
import { MetricAccumulator, accuracy, logsAccuracy } from './metrics';
import type { Trainer } from './trainer';

/**
 * Runs the validation loop of `trainer` on `data`: loss and accuracy per batch, weighted by
 * batch size, and any value a plugin logs with `ctx.log` during validation (its
 * onValidation… hooks), all returned and added to `ctx.current` as `<prefix>Name`
 * (`valLoss`, `valAccuracy`, `valF1`; without a prefix for evaluate).
 */
export async function validate(trainer: Trainer, ctx: RunContext, data: Data, prefix: string): Promise<Record<string, number>> {
  const acc = new MetricAccumulator();
  const saved = { batch: ctx.batch, batchIndex: ctx.batchIndex, batchesPerEpoch: ctx.batchesPerEpoch, logSink: ctx.logSink };
  ctx.batchesPerEpoch = lengthOf(data);
  ctx.batchIndex = 0; // not the last training batch's index
  ctx.logSink = (name, value, weight) => acc.add(name, value, weight);
  try {
    ctx.model.eval();
    await emitHook(trainer, 'onValidationEpochStart', ctx);
    let b = 0;
    for await (const batch of batchStream(data, 0, trainer.seed, 0)) {
      checkBatch(batch, `validate: batch ${b}`);
      ctx.batchIndex = b++;
      ctx.batch = batch;
      await emitHook(trainer, 'onValidationBatchStart', ctx);
      const onDevice = await trainer.device.predict(ctx.batch.x, ctx.model); // null: no device run for this model (evaluate, predict, or a CPU fit)
      const { output, loss } = noGrad(() => {
        const out = onDevice ?? ctx.model.call(ctx.batch.x);
        return { output: out, loss: trainer.lossFn(out, ctx.batch.y) };
      });
      Object.assign(ctx, { output, dataLoss: loss, loss });
      const n = batchSizeOf(ctx.batch);
      acc.add('loss', loss.data[0], n);
      if (logsAccuracy(output)) acc.add('accuracy', accuracy(output, ctx.batch.y), n);
      await emitHook(trainer, 'onValidationBatchEnd', ctx);
    }
    await trainer.device.endPredict(); // a step-by-step device fit: the model back on the cpu for the hooks below
    if (b === 0) throw new ConfigError(`${ctx.stage === 'fit' ? 'fit' : 'evaluate'}: the validation data yielded no batches`);
    ctx.current = { ...ctx.current, ...acc.means(prefix) };
    await emitHook(trainer, 'onValidationEpochEnd', ctx);
    const means = acc.means(prefix); // again: with what onValidationEpochEnd logged
    ctx.current = { ...ctx.current, ...means };
    if (ctx.stage === 'fit') ctx.model.train();
    return means;
  } finally {
    Object.assign(ctx, saved);
  }
}

/** Records the train/eval mode of every module of `model`; the function returned puts them back. */
export function keepModes(model: Module): () => void {
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  return () => {
    for (const [m, training] of modes) m.training = training;
  };
}
