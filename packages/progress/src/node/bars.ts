import cliProgress from 'cli-progress';
import type { BaseContext } from '@trainkit/core';
import { formatDuration, formatMetric } from '../format';

/** The part of a writable stream the progress display uses (`process.stdout` fits). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** The epoch bar above the batch bar, redrawn in place. */
export interface Bars {
  bars: cliProgress.MultiBar;
  epochBar: cliProgress.SingleBar;
  batchBar: cliProgress.SingleBar;
}

/**
 * `stream` as cli-progress sees it: always a terminal, since the caller decided to draw bars
 * (`tty: true` forces them on a stream that does not say it is one; cli-progress would then
 * draw frames one after another with no cursor movement).
 */
function asTerminal(stream: ProgressStream): NodeJS.WritableStream {
  return {
    write: (chunk: string) => stream.write(chunk),
    isTTY: true,
    get columns() {
      return stream.columns ?? 80;
    },
  } as unknown as NodeJS.WritableStream;
}

/** The two bars (epoch above batch) drawn in place on a terminal. */
export function openBars(stream: ProgressStream, epochs: number, batches: number, epoch: number): Bars {
  const bars = new cliProgress.MultiBar(
    {
      stream: asTerminal(stream),
      format: '{label} {bar} {value}/{total}  {info}',
      barsize: 24,
      // no SIGINT/SIGTERM handler (cli-progress's gracefulExit): a handler replaces Node's exit on
      // Ctrl-C, and the trainer's loop rarely yields to run it, so Ctrl-C would not stop training;
      // so the cursor stays visible too, as nothing could show it again after Ctrl-C
      hideCursor: false,
      gracefulExit: false,
      clearOnComplete: true,
      autopadding: true,
      forceRedraw: true,
      // the trainer runs synchronously between awaits, so the bars are redrawn from the hooks
      fps: 2,
    },
    cliProgress.Presets.shades_classic,
  );
  const epochBar = bars.create(epochs, epoch, { label: 'epoch', info: '' });
  const batchBar = bars.create(batches, 0, { label: 'batch', info: '' });
  return { bars, epochBar, batchBar };
}

/**
 * The batch bar's text: running loss and accuracy, throughput and the time left in the epoch.
 * A metric the trainer does not have yet is left out: on a device the running means arrive
 * every `metricsEvery` steps, so the first batches of an epoch have none.
 */
export function batchInfo(m: BaseContext['metrics'], samplesPerSecond: number, epochLeft: number): string {
  return [
    typeof m.loss === 'number' ? `loss ${formatMetric(m.loss, 4)}` : '',
    typeof m.accuracy === 'number' ? `acc ${Number.isFinite(m.accuracy) ? `${(100 * m.accuracy).toFixed(2)}%` : formatMetric(m.accuracy, 2)}` : '',
    Number.isFinite(samplesPerSecond) ? `${samplesPerSecond.toFixed(0)} samples/s` : '',
    `eta ${formatDuration(epochLeft)}`,
  ]
    .filter(Boolean)
    .join('  ');
}
