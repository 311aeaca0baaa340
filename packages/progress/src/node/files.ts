import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BackwardContext, BaseContext, EpochRecord, Plugin } from '@trainkit/core';
import { type TrainingCurvesOptions, trainingCurvesSvg } from '../curves';
import { type StepRecord, historyToCsv, isFreshStart, stepRecord } from '../history';

/** Where {@link historyWriter} and {@link saveHistory} write; each path is optional. */
export interface HistoryFiles {
  /** `{ "epochs": [{ "epoch": 0, "metrics": { … } }, …] }` */
  json?: string;
  /** `epoch,loss,accuracy,…` (see `historyToCsv`). */
  csv?: string;
  /** The training-curves chart (see `trainingCurvesSvg`). */
  svg?: string;
  /** Title of the chart. */
  title?: string;
}

/** Writes a file atomically: a temporary file in the same folder, then a rename. */
async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** What the chart shows besides the epoch records: per-batch records and a final test evaluation. */
export type CurvesExtras = Pick<TrainingCurvesOptions, 'steps' | 'test'>;

/**
 * Writes a history as JSON (`{ epochs, steps }`), CSV (the epochs) and/or an SVG chart (per-batch
 * training curves when `steps` are given, and the `test` point when given).
 */
export async function saveHistory(records: readonly EpochRecord[], files: HistoryFiles, extras: CurvesExtras = {}): Promise<void> {
  const steps = extras.steps ?? [];
  if (files.json !== undefined) await writeAtomic(files.json, JSON.stringify({ epochs: records, steps }, null, 2) + '\n');
  if (files.csv !== undefined) await writeAtomic(files.csv, historyToCsv(records));
  if (files.svg !== undefined) await writeAtomic(files.svg, trainingCurvesSvg(records, { title: files.title, ...extras }));
}

/** The plugin returned by {@link historyWriter}. */
export interface HistoryWriter extends Plugin {
  /** Every training batch's loss and accuracy so far (drawn per batch in the SVG). */
  readonly steps: readonly StepRecord[];
  /** Rewrites the files now, e.g. after a final test evaluation: `save({ test: { loss, accuracy } })`. */
  save(extras?: Pick<TrainingCurvesOptions, 'test'>): Promise<void>;
  stateDict(): { steps: StepRecord[] };
  loadStateDict(state: unknown): void;
}

/**
 * Keeps JSON / CSV / SVG files of the training history up to date: rewritten (atomically)
 * after every epoch, so an interrupted run still leaves its curves behind. Reads the
 * trainer's own history and keeps every batch's loss and accuracy (part of the trainer
 * state), so a resumed fit continues the same files and curves.
 *
 * @example
 * plugins: [historyWriter({ json: 'runs/mnist/history.json', csv: 'runs/mnist/history.csv', svg: 'runs/mnist/curves.svg' })]
 */
export function historyWriter(files: HistoryFiles): HistoryWriter {
  if (files.json === undefined && files.csv === undefined && files.svg === undefined) {
    throw new TypeError('historyWriter: give at least one of json, csv, svg (file paths)');
  }
  let steps: StepRecord[] = [];
  let records: readonly EpochRecord[] = [];
  return {
    name: 'history-writer',
    readsBatchValues: true, // every batch's loss and accuracy: a device fit stays on the CPU
    get steps() {
      return steps;
    },
    onFitStart(ctx: BaseContext) {
      // a resumed fit restores the steps through loadStateDict (even in its first epoch); a fresh fit starts empty
      if (isFreshStart(ctx)) steps = [];
    },
    onTrainBatchEnd(ctx: BackwardContext) {
      steps.push(stepRecord(ctx));
    },
    async onTrainEpochEnd(ctx: BaseContext) {
      records = ctx.history;
      await saveHistory(records, files, { steps });
    },
    onFitEnd(ctx: BaseContext) {
      records = ctx.history;
    },
    async save(extras = {}) {
      await saveHistory(records, files, { steps, ...extras });
    },
    stateDict() {
      return { steps: steps.map((s) => ({ ...s })) };
    },
    loadStateDict(state: unknown) {
      const s = state as { steps?: unknown } | null;
      if (s === null || typeof s !== 'object' || !Array.isArray(s.steps)) throw new TypeError('historyWriter.loadStateDict: expected { steps: [...] }');
      steps = (s.steps as StepRecord[]).map((r) => ({ ...r }));
    },
  };
}
