import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BaseContext, EpochRecord, Plugin } from '@trainkit/core';
import { trainingCurvesSvg } from '../chart';
import { historyToCsv } from '../history';

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

/** Writes a history (epoch records) as JSON, CSV and/or an SVG chart. */
export async function saveHistory(records: readonly EpochRecord[], files: HistoryFiles): Promise<void> {
  if (files.json !== undefined) await writeAtomic(files.json, JSON.stringify({ epochs: records }, null, 2) + '\n');
  if (files.csv !== undefined) await writeAtomic(files.csv, historyToCsv(records));
  if (files.svg !== undefined) await writeAtomic(files.svg, trainingCurvesSvg(records, { title: files.title }));
}

/**
 * Keeps JSON / CSV / SVG files of the training history up to date: rewritten (atomically)
 * after every epoch, so an interrupted run still leaves its curves behind. Reads the
 * trainer's own history, so a resumed fit continues the same files.
 *
 * @example
 * plugins: [historyWriter({ json: 'runs/mnist/history.json', csv: 'runs/mnist/history.csv', svg: 'runs/mnist/curves.svg' })]
 */
export function historyWriter(files: HistoryFiles): Plugin {
  if (files.json === undefined && files.csv === undefined && files.svg === undefined) {
    throw new TypeError('historyWriter: give at least one of json, csv, svg (file paths)');
  }
  return {
    name: 'history-writer',
    async onTrainEpochEnd(ctx: BaseContext) {
      await saveHistory(ctx.history, files);
    },
  };
}
