import type { BackwardContext, BaseContext, Plugin } from '@trainkit/core';
import { formatDuration, formatEpochLine } from '../format';
import { type Bars, type ProgressStream, batchInfo, openBars } from './bars';

export type { ProgressStream } from './bars';

/** Options of {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Total epochs of the fit (for the epoch bar and the ETA); default: the fit's `epochs`. */
  epochs?: number;
  /** Batches per epoch; default: the training data's length, else learned from the first epoch. */
  batchesPerEpoch?: number;
  /** Where to draw; default `process.stdout`. */
  stream?: ProgressStream;
  /** Force the bar display on (`true`) or the plain lines (`false`); default: `stream.isTTY`. */
  tty?: boolean;
  /** Minimum milliseconds between two redraws of the bars; default 100. */
  redrawMs?: number;
  /** Plugin name; default `"progress"`. */
  name?: string;
}

/**
 * A terminal progress display for `Trainer.fit`.
 *
 * On a terminal it draws two bars that redraw in place (drawn with `cli-progress`): the epoch
 * bar with the time left for the whole fit, and the batch bar with the epoch's running loss,
 * accuracy, samples/s and the time left in the epoch; each finished epoch leaves one summary
 * line above the bars. When the stream is not a terminal (a CI log, a pipe, a file) it prints
 * only that summary line, once per epoch, with no control characters:
 *
 * ```text
 * epoch 1/2  loss 0.3012  acc 90.71%  val loss 0.1210  val acc 96.30%  512 samples/s  117.2 s
 * ```
 *
 * The number of epochs and of batches per epoch come from the fit (`epochs`, the training
 * data's length) unless given. A resumed fit measures its rates and times left from the batches
 * it trains itself. Ctrl-C stops training as usual: the display installs no signal handler.
 *
 * @example
 * const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [terminalProgress()] });
 * await trainer.fit(model, { train: trainLoader, epochs: 2 });
 */
export function terminalProgress(options: TerminalProgressOptions = {}): Plugin {
  const stream: ProgressStream = options.stream ?? process.stdout;
  const tty = options.tty ?? stream.isTTY === true;
  const redrawMs = options.redrawMs ?? 100;
  let fit = newFit(options, undefined, 0, 0);
  let shown: Bars | null = null;
  let lastDraw = -Infinity;

  const stopBars = () => {
    shown?.bars.stop();
    shown = null;
  };

  return {
    name: options.name ?? 'progress',
    onFitStart(ctx: BaseContext) {
      fit = newFit(options, ctx, ctx.epoch, ctx.batchIndex);
      if (!tty) return;
      shown = openBars(stream, fit.epochs ?? 0, fit.batches ?? 0, ctx.epoch);
      shown.bars.update();
    },
    onTrainEpochStart(ctx: BaseContext) {
      fit.epochStarted = performance.now();
      fit.samples = 0;
      // a resumed fit continues its first epoch where it stopped; ctx.batchIndex is not reset between epochs
      fit.epochFirstBatch = ctx.epoch === fit.firstEpoch ? fit.firstBatch : 0;
      shown?.batchBar.setTotal(fit.batches ?? 0);
      shown?.batchBar.update(fit.epochFirstBatch, { label: 'batch', info: '' });
    },
    onTrainBatchEnd(ctx: BackwardContext) {
      fit.samples += ctx.batch.x.shape[0];
      if (shown === null) return;
      const now = performance.now();
      const isLast = fit.batches !== undefined && ctx.batchIndex + 1 >= fit.batches;
      if (now - lastDraw < redrawMs && !isLast) return;
      lastDraw = now;
      drawBatch(shown, fit, ctx, now);
    },
    onTrainEpochEnd(ctx: BaseContext) {
      const line = formatEpochLine(ctx.epoch, ctx.metrics, fit.epochs);
      fit.batches ??= ctx.batchIndex + 1;
      if (shown === null) {
        stream.write(line + '\n');
        return;
      }
      const left = fit.epochs === undefined ? NaN : (fit.epochs - ctx.epoch - 1) * secondsPerEpoch(fit, ctx.epoch);
      shown.bars.log(line + '\n');
      shown.epochBar.update(ctx.epoch + 1, { label: 'epoch', info: `eta ${formatDuration(left)}  (epoch ${ctx.epoch + 1}${fit.epochs === undefined ? '' : `/${fit.epochs}`} done)` });
      shown.bars.update();
    },
    onFitEnd: stopBars,
    teardown: stopBars,
  };
}

/** What one fit's display knows: its size, where it started, and the clock of the current epoch. */
interface FitProgress {
  /** Total epochs (the option, else the fit's when finite). */
  epochs: number | undefined;
  /** Batches per epoch (the option, else the data's length, else learned at the end of the first epoch). */
  batches: number | undefined;
  fitStarted: number;
  /** Where the fit started: a resumed fit may start in the middle of an epoch. */
  firstEpoch: number;
  firstBatch: number;
  epochStarted: number;
  /** The first batch this fit trains in the current epoch (`firstBatch` in a resumed first epoch, else 0). */
  epochFirstBatch: number;
  /** Samples trained since `epochStarted`. */
  samples: number;
}

function newFit(options: TerminalProgressOptions, ctx: BaseContext | undefined, firstEpoch: number, firstBatch: number): FitProgress {
  const fitEpochs = ctx !== undefined && Number.isFinite(ctx.epochs) && ctx.epochs > 0 ? ctx.epochs : undefined;
  const epochs = options.epochs ?? fitEpochs;
  const batches = options.batchesPerEpoch ?? ctx?.batchesPerEpoch;
  const now = performance.now();
  return { epochs, batches, fitStarted: now, firstEpoch, firstBatch, epochStarted: now, epochFirstBatch: firstBatch, samples: 0 };
}

/** Seconds per epoch so far in this fit; a resumed first epoch counts for the part of it this fit trained. */
function secondsPerEpoch(fit: FitProgress, epoch: number): number {
  const skipped = fit.batches === undefined || fit.batches === 0 ? 0 : fit.firstBatch / fit.batches;
  return (performance.now() - fit.fitStarted) / 1000 / (epoch + 1 - fit.firstEpoch - skipped);
}

/** Redraws both bars after a batch: rates and times left from the batches this fit trained in this epoch. */
function drawBatch({ bars, epochBar, batchBar }: Bars, fit: FitProgress, ctx: BackwardContext, now: number): void {
  const done = ctx.batchIndex + 1;
  const seconds = (now - fit.epochStarted) / 1000;
  const perBatch = seconds / (done - fit.epochFirstBatch);
  const epochLeft = fit.batches === undefined ? NaN : (fit.batches - done) * perBatch;
  batchBar.update(done, { label: 'batch', info: batchInfo(ctx.metrics, fit.samples / seconds, epochLeft) });
  const epochSeconds = fit.batches === undefined ? NaN : perBatch * fit.batches;
  const fitLeft = fit.epochs === undefined ? NaN : epochLeft + (fit.epochs - ctx.epoch - 1) * epochSeconds;
  epochBar.update(ctx.epoch, { label: 'epoch', info: `eta ${formatDuration(fitLeft)}` });
  bars.update();
}
