// The training-curves picture: loss and accuracy side by side, training per batch (smoothed)
// or per epoch, validation and test as points.
import type { EpochRecord } from '@trainkit/core';
import { type ChartSeries, chartBody, esc, px } from './chart';
import type { StepRecord } from './history';

/** Options of {@link trainingCurvesSvg}. */
export interface TrainingCurvesOptions {
  /** Chart title shown above both panels. */
  title?: string;
  /** Pixel width of the whole picture; default 760. */
  width?: number;
  /** Pixel height; default 300. */
  height?: number;
  /**
   * Per-batch records (`metricHistory({ everySteps: 1 }).steps`, or what `historyWriter`
   * keeps): the training curves are then drawn per batch, smoothed, instead of one point per epoch.
   */
  steps?: readonly StepRecord[];
  /** Batches in the smoothing window of the per-batch curves; default about √(number of batches). */
  smoothing?: number;
  /** A final evaluation (e.g. on the test set), drawn as one point at the end of training. */
  test?: { loss?: number; accuracy?: number; label?: string };
}

/** `1 epoch`, `2 epochs`, `1,876 batches`: the count and the noun in the right number. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : nouns}`;
}

/**
 * Exponential moving average with window `window` (α = 2 / (window + 1)), bias-corrected
 * like Adam's moments so the first points are not pulled towards zero. Window 1 returns
 * the values unchanged. Points whose y is not finite (a NaN or infinite batch loss) are
 * left out, so that one of them does not poison every later average.
 */
export function smoothSeries(points: ReadonlyArray<readonly [number, number]>, window: number): Array<[number, number]> {
  if (!(window >= 1)) throw new RangeError(`smoothSeries: window must be at least 1, got ${window}`);
  const alpha = 2 / (window + 1);
  let ema = 0;
  let weight = 0;
  return points.flatMap(([x, y]): Array<[number, number]> => {
    if (!Number.isFinite(y)) return [];
    ema = (1 - alpha) * ema + alpha * y;
    weight = (1 - alpha) * weight + alpha;
    return [[x, ema / weight]];
  });
}

/**
 * Where each batch ends, in epochs: `epoch + (batchIndex + 1) / batchesPerEpoch`. Without a
 * known length the epoch's batches seen so far stand in for it.
 */
export function stepPositions(steps: readonly StepRecord[]): number[] {
  const seen = new Map<number, number>();
  for (const s of steps) seen.set(s.epoch, Math.max(seen.get(s.epoch) ?? 0, s.batchIndex + 1));
  return steps.map((s) => s.epoch + (s.batchIndex + 1) / (s.batchesPerEpoch ?? seen.get(s.epoch) ?? 1));
}

/** Keeps about `max` evenly spaced points, always the first and the last (compact SVG for long runs). */
function thin<T>(points: readonly T[], max = 400): T[] {
  if (points.length <= max) return [...points];
  const every = Math.ceil(points.length / max);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}

interface Panel {
  train: Array<[number, number]>;
  validation: Array<[number, number]>;
  test: Array<[number, number]>;
}

/** The loss or accuracy panel's points. */
function panel(records: readonly EpochRecord[], steps: readonly StepRecord[], key: 'loss' | 'accuracy', window: number, end: number, test?: number): Panel {
  const valKey = key === 'loss' ? 'valLoss' : 'valAccuracy';
  const at = stepPositions(steps);
  const batches = steps.flatMap((s, i): Array<[number, number]> => (typeof s[key] === 'number' ? [[at[i], s[key]]] : []));
  const epochs = (k: string) => records.filter((r) => typeof r.metrics[k] === 'number').map((r): [number, number] => [r.epoch + 1, r.metrics[k]]);
  return {
    train: batches.length > 0 ? thin(smoothSeries(batches, window)) : epochs(key),
    validation: epochs(valKey),
    test: test === undefined ? [] : [[end, test]],
  };
}

function seriesOf(p: Panel, perBatch: boolean, testLabel: string): ChartSeries[] {
  const all: ChartSeries[] = [
    { label: perBatch ? 'train (smoothed)' : 'train', points: p.train, dots: !perBatch && p.train.length <= 30 },
    { label: 'validation', points: p.validation, dashed: true },
    { label: testLabel, points: p.test, color: '#dc2626' },
  ];
  return all.filter((s) => s.points.length > 0);
}

/**
 * The training-curves picture: loss (left) and accuracy (right). Training is drawn per batch
 * (smoothed) when `steps` are given, else one point per epoch; validation is one point per
 * epoch (dashed), a final `test` evaluation one point at the end. The x axis counts epochs
 * from 0; a caption under the title says how many epochs and batches the curves cover.
 *
 * @example
 * const history = metricHistory({ everySteps: 1 });
 * const { history: records } = await trainer.fit(model, { train, val, epochs: 5 }); // plugins: [history]
 * writeFileSync('curves.svg', trainingCurvesSvg(records, { title: 'MNIST CNN', steps: history.steps }));
 */
export function trainingCurvesSvg(records: readonly EpochRecord[], options: TrainingCurvesOptions = {}): string {
  const width = options.width ?? 760;
  const height = options.height ?? 300;
  const steps = options.steps ?? [];
  const perBatch = steps.length > 0;
  const window = options.smoothing ?? Math.max(1, Math.round(Math.sqrt(steps.length)));
  const positions = stepPositions(steps);
  const end = Math.max(0, ...records.map((r) => r.epoch + 1), ...positions);
  const epochCount = Math.ceil(end - 1e-9);
  const caption = [
    plural(epochCount, 'epoch'),
    perBatch ? plural(steps.length, 'batch', 'batches') : '',
    perBatch && window > 1 ? `training curves smoothed over ${window} batches` : '',
  ].filter(Boolean).join(', ');
  const head = options.title ? 44 : 24;
  const half = width / 2;
  const draw = (key: 'loss' | 'accuracy', x0: number) =>
    chartBody(
      {
        title: key,
        xLabel: 'epoch',
        xDomain: [0, Math.max(end, 1)],
        formatY: key === 'accuracy' ? (y) => `${Number((100 * y).toPrecision(3))}%` : undefined,
        legend: key === 'accuracy' ? 'bottom-right' : 'top-right',
        series: seriesOf(panel(records, steps, key, window, end, options.test?.[key]), perBatch, options.test?.label ?? 'test'),
      },
      x0,
      head,
      half,
      height - head,
    );
  const title = options.title ? `<text x="${px(half)}" y="18" text-anchor="middle" font-size="14" font-weight="700" fill="#111827">${esc(options.title)}</text>\n` : '';
  const sub = `<text class="caption" x="${px(half)}" y="${head - 8}" text-anchor="middle" fill="#4b5563">${esc(caption)}</text>\n`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">\n<rect width="${width}" height="${head}" fill="#ffffff"/>\n${title}${sub}${draw('loss', 0)}${draw('accuracy', half)}</svg>\n`;
}
