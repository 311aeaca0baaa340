import { type BackwardContext, type BaseContext, type EpochRecord, type Plugin, accuracy } from '@trainkit/core';

/** The loss (and accuracy) of one training batch, with where it sits in the run. */
export interface StepRecord {
  /** Global optimizer step after this batch (1 for the first batch of a fit). */
  step: number;
  /** 0-based epoch. */
  epoch: number;
  /** 0-based index of the batch within its epoch. */
  batchIndex: number;
  /** Batches per epoch, when the data source knows its length. */
  batchesPerEpoch?: number;
  /** The batch's own loss (not the epoch's running mean). */
  loss: number;
  /** The batch's own accuracy, for a classifier's `[batch, classes]` output. */
  accuracy?: number;
}

/** The step record of the batch a hook sees: its own loss and accuracy, not the epoch's running means. */
export function stepRecord(ctx: BackwardContext): StepRecord {
  const record: StepRecord = { step: ctx.step, epoch: ctx.epoch, batchIndex: ctx.batchIndex, loss: ctx.loss.data[0] };
  if (ctx.batchesPerEpoch !== undefined) record.batchesPerEpoch = ctx.batchesPerEpoch;
  if (ctx.output.rank === 2) record.accuracy = accuracy(ctx.output, ctx.batch.y);
  return record;
}

/** Options of {@link metricHistory}. */
export interface MetricHistoryOptions {
  /** Also record every `everySteps`-th batch's loss and accuracy in {@link MetricHistory.steps} (1: every batch, for per-batch curves). Default 0 (off). */
  everySteps?: number;
  /** Called after each epoch with the whole history so far (to save it, or redraw a chart). */
  onEpochEnd?: (history: MetricHistory) => void | Promise<void>;
  /** Plugin name (and state key); default `"metric-history"`. */
  name?: string;
}

/** The plugin returned by {@link metricHistory}: the records plus JSON/CSV export. */
export interface MetricHistory extends Plugin {
  /** One record per finished epoch: 0-based `epoch` and its metrics (`loss`, `accuracy`, `valLoss`, …). */
  readonly records: readonly EpochRecord[];
  /** Per-batch losses and accuracies, when `everySteps` is set (`trainingCurvesSvg`'s `steps`). */
  readonly steps: readonly StepRecord[];
  /** `{ epochs: records, steps }`, ready for `JSON.stringify`. */
  toJSON(): { epochs: EpochRecord[]; steps: StepRecord[] };
  /** The epoch records as CSV (see {@link historyToCsv}). */
  toCSV(): string;
  /** Forgets every record. */
  clear(): void;
  stateDict(): { epochs: EpochRecord[]; steps: StepRecord[] };
  loadStateDict(state: unknown): void;
}

/**
 * Records the metrics of every epoch (and optionally every n-th batch loss), in Node and in
 * browsers; to keep files on disk in Node see `historyWriter` in `@trainkit/progress/node`.
 * The records are part of the trainer's state, so a resumed run keeps its earlier epochs.
 *
 * @example
 * const history = metricHistory({ everySteps: 10 });
 * await new Trainer({ optimizer: sgd({ lr: 0.1 }), plugins: [history] }).fit(model, { train, epochs: 3 });
 * console.log(history.toCSV());
 */
export function metricHistory(options: MetricHistoryOptions = {}): MetricHistory {
  const every = options.everySteps ?? 0;
  if (!Number.isInteger(every) || every < 0) throw new RangeError(`metricHistory: everySteps must be a non-negative integer, got ${every}`);
  let records: EpochRecord[] = [];
  let steps: StepRecord[] = [];
  const plugin: MetricHistory = {
    name: options.name ?? 'metric-history',
    readsBatchValues: every > 0, // per-batch records: a device fit stays on the CPU
    get records() {
      return records;
    },
    get steps() {
      return steps;
    },
    onFitStart(ctx: BaseContext) {
      // a resumed fit restores the records through loadStateDict (even in its first epoch, with no epoch done yet); a fresh fit starts empty
      if (isFreshStart(ctx)) {
        records = [];
        steps = [];
      }
    },
    onTrainBatchEnd(ctx: BackwardContext) {
      if (every > 0 && ctx.step % every === 0) steps.push(stepRecord(ctx));
    },
    async onTrainEpochEnd(ctx: BaseContext) {
      records.push({ epoch: ctx.epoch, metrics: { ...ctx.metrics } });
      await options.onEpochEnd?.(plugin);
    },
    toJSON() {
      return { epochs: structuredClone(records), steps: steps.map((s) => ({ ...s })) };
    },
    toCSV() {
      return historyToCsv(records);
    },
    clear() {
      records = [];
      steps = [];
    },
    stateDict() {
      return plugin.toJSON();
    },
    loadStateDict(state: unknown) {
      const s = state as { epochs?: unknown; steps?: unknown } | null;
      if (s === null || typeof s !== 'object' || !Array.isArray(s.epochs) || !Array.isArray(s.steps)) {
        throw new TypeError('metricHistory.loadStateDict: expected { epochs: [...], steps: [...] }');
      }
      records = structuredClone(s.epochs as EpochRecord[]);
      steps = (s.steps as StepRecord[]).map((r) => ({ ...r }));
    },
  };
  return plugin;
}

/** Whether a fit starts from the beginning (not resumed, or resumed from a state saved before its first batch). */
export function isFreshStart(ctx: BaseContext): boolean {
  return ctx.epoch === 0 && ctx.batchIndex === 0;
}

/** The metric names that occur in `records`, in a stable order: loss, accuracy, val…, then the rest A–Z. */
export function metricNames(records: readonly EpochRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r.metrics)) seen.add(k);
  const first = ['loss', 'accuracy', 'valLoss', 'valAccuracy'].filter((k) => seen.has(k));
  const rest = [...seen].filter((k) => !first.includes(k)).sort();
  return [...first, ...rest];
}

/** A CSV field per RFC 4180: quoted (inner quotes doubled) when it holds a comma, a quote, CR or LF. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Epoch records as CSV: a header `epoch,loss,accuracy,…` (0-based epochs, one column per
 * metric that occurs anywhere), one row per epoch, an empty cell where a metric is missing.
 * A metric name holding a comma, quote or line break is quoted as RFC 4180 says.
 */
export function historyToCsv(records: readonly EpochRecord[]): string {
  const names = metricNames(records);
  const lines = [['epoch', ...names].map(csvField).join(',')];
  for (const r of records) {
    lines.push([String(r.epoch), ...names.map((k) => (typeof r.metrics[k] === 'number' ? String(r.metrics[k]) : ''))].join(','));
  }
  return lines.join('\n') + '\n';
}
