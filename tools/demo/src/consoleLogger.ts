import type { Plugin } from '@trainkit/core';

/**
 * A minimal progress plugin (the full terminal display lives in @trainkit/progress): on a
 * TTY it redraws one status line per batch; always prints one plain line per epoch.
 */
export function consoleLogger(options: { epochs: number; batchesPerEpoch: number; out?: NodeJS.WriteStream }): Plugin {
  const out = options.out ?? process.stdout;
  let started = 0;
  let samples = 0;
  return {
    name: 'console-logger',
    onTrainEpochStart() {
      started = performance.now();
      samples = 0;
    },
    onTrainBatchEnd(ctx) {
      samples += ctx.batch.x.shape[0];
      if (!out.isTTY || ctx.batchIndex % 20 !== 0) return;
      const rate = samples / ((performance.now() - started) / 1000);
      const m = ctx.metrics;
      out.write(
        `\repoch ${ctx.epoch + 1}/${options.epochs}  batch ${ctx.batchIndex + 1}/${options.batchesPerEpoch}  ` +
          `loss ${m.loss.toFixed(4)}  acc ${(100 * m.accuracy).toFixed(2)}%  ${rate.toFixed(0)} samples/s   `,
      );
    },
    onTrainEpochEnd(ctx) {
      const m = ctx.metrics;
      if (out.isTTY) out.write('\r\x1b[2K');
      const val = m.valAccuracy === undefined ? '' : `  val loss ${m.valLoss.toFixed(4)}  val acc ${(100 * m.valAccuracy).toFixed(2)}%`;
      out.write(
        `epoch ${ctx.epoch + 1}/${options.epochs}  loss ${m.loss.toFixed(4)}  acc ${(100 * m.accuracy).toFixed(2)}%${val}  ` +
          `${m.samplesPerSec.toFixed(0)} samples/s  ${m.time.toFixed(1)} s\n`,
      );
    },
  };
}
