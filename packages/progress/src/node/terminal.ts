import cliProgress from 'cli-progress';
import type { BackwardContext, BaseContext, Plugin } from '@trainkit/core';
import { formatDuration, formatEpochLine } from '../format';

/** The part of a writable stream the progress display uses (`process.stdout` fits). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Total epochs of the fit (for the epoch bar and the ETA). */
  epochs?: number;
  /** Batches per epoch (`trainLoader.length`); when absent it is learned from the first epoch. */
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
 * @example
 * const trainer = new Trainer({
 *   optimizer: sgd({ lr: 0.1 }),
 *   plugins: [terminalProgress({ epochs: 2, batchesPerEpoch: trainLoader.length })],
 * });
 */
export function terminalProgress(options: TerminalProgressOptions = {}): Plugin {
  const stream: ProgressStream = options.stream ?? process.stdout;
  const tty = options.tty ?? stream.isTTY === true;
  const redrawMs = options.redrawMs ?? 100;
  let batches = options.batchesPerEpoch;
  let bars: cliProgress.MultiBar | null = null;
  let epochBar: cliProgress.SingleBar | null = null;
  let batchBar: cliProgress.SingleBar | null = null;
  let epochStarted = 0;
  let fitStarted = 0;
  let firstEpoch = 0;
  let samples = 0;
  let lastDraw = 0;
  let lastEpochSeconds = NaN;

  const epochsLabel = (epoch: number) => `${epoch + 1}${options.epochs === undefined ? '' : `/${options.epochs}`}`;

  const stopBars = () => {
    if (bars !== null) bars.stop();
    bars = epochBar = batchBar = null;
  };

  return {
    name: options.name ?? 'progress',
    onFitStart(ctx: BaseContext) {
      fitStarted = performance.now();
      firstEpoch = ctx.epoch;
      if (!tty) return;
      ({ bars, epochBar, batchBar } = openBars(stream, options.epochs ?? 0, batches ?? 0, ctx.epoch));
      bars.update();
    },
    onTrainEpochStart(ctx: BaseContext) {
      epochStarted = performance.now();
      samples = 0;
      if (batchBar !== null) {
        batchBar.setTotal(batches ?? 0);
        batchBar.update(ctx.batchIndex, { label: 'batch', info: '' });
      }
    },
    onTrainBatchEnd(ctx: BackwardContext) {
      samples += ctx.batch.x.shape[0];
      if (bars === null || batchBar === null || epochBar === null) return;
      const now = performance.now();
      const done = ctx.batchIndex + 1;
      const isLast = batches !== undefined && done >= batches;
      if (now - lastDraw < redrawMs && !isLast) return;
      lastDraw = now;
      const seconds = (now - epochStarted) / 1000;
      const m = ctx.metrics;
      const perBatch = seconds / done;
      const epochLeft = batches === undefined ? NaN : (batches - done) * perBatch;
      batchBar.update(done, { label: 'batch', info: batchInfo(m, samples / seconds, epochLeft) });
      const epochSeconds = batches === undefined ? lastEpochSeconds : perBatch * batches;
      const fitLeft = options.epochs === undefined ? NaN : epochLeft + (options.epochs - ctx.epoch - 1) * epochSeconds;
      epochBar.update(ctx.epoch, { label: 'epoch', info: `eta ${formatDuration(fitLeft)}` });
      bars.update();
    },
    onTrainEpochEnd(ctx: BaseContext) {
      const line = formatEpochLine(ctx.epoch, ctx.metrics, options.epochs);
      lastEpochSeconds = (performance.now() - epochStarted) / 1000;
      if (batches === undefined) batches = ctx.batchIndex + 1;
      if (bars === null || epochBar === null) {
        stream.write(line + '\n');
        return;
      }
      const run = (performance.now() - fitStarted) / 1000;
      const perEpoch = run / (ctx.epoch + 1 - firstEpoch);
      const left = options.epochs === undefined ? NaN : (options.epochs - ctx.epoch - 1) * perEpoch;
      bars.log(line + '\n');
      epochBar.update(ctx.epoch + 1, { label: 'epoch', info: `eta ${formatDuration(left)}  (epoch ${epochsLabel(ctx.epoch)} done)` });
      bars.update();
    },
    onFitEnd: stopBars,
    teardown: stopBars,
  };
}

/** The two bars (epoch above batch) drawn in place on a terminal. */
function openBars(stream: ProgressStream, epochs: number, batches: number, epoch: number) {
  const bars = new cliProgress.MultiBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: '{label} {bar} {value}/{total}  {info}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      autopadding: true,
      forceRedraw: true,
      gracefulExit: true,
      // the trainer runs synchronously between awaits, so the bars are redrawn from the hooks
      fps: 2,
    },
    cliProgress.Presets.shades_classic,
  );
  const epochBar = bars.create(epochs, epoch, { label: 'epoch', info: '' });
  const batchBar = bars.create(batches, 0, { label: 'batch', info: '' });
  return { bars, epochBar, batchBar };
}

/** The batch bar's text: running loss and accuracy, throughput and the time left in the epoch. */
function batchInfo(m: BaseContext['metrics'], samplesPerSecond: number, epochLeft: number): string {
  return [
    `loss ${m.loss.toFixed(4)}`,
    typeof m.accuracy === 'number' ? `acc ${(100 * m.accuracy).toFixed(2)}%` : '',
    `${samplesPerSecond.toFixed(0)} samples/s`,
    `eta ${formatDuration(epochLeft)}`,
  ]
    .filter(Boolean)
    .join('  ');
}
