/**
 * The results file of the MNIST sweep (tools/sweep/results/mnist-sweep.md): what ASHA stopped,
 * the best trial against the median one, and every trial ranked. Included by docs/guide/sweeps.md.
 */
import { type TrialRecord, renderSweepReport } from '@trainkit/sweep';
import { openSweep } from '@trainkit/sweep/node';
import { MAX_EPOCHS, TRAIN_IMAGES, VAL_IMAGES, space } from './mnistTrial';

/** The sweep's size, seed and objective. */
export const TRIALS = 24;
export const SEED = 16;
export const objective = { metric: 'valAccuracy', mode: 'max' } as const;

export interface ResultsOptions {
  metric: string;
  mode: 'min' | 'max';
  trials: number;
  seed: number;
  maxEpochs: number;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const cell = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(3) : String(v));

/** The markdown: a summary paragraph and one table row per trial, best first. */
export function resultsMarkdown(records: readonly TrialRecord[], o: ResultsOptions): string {
  const scored = records.filter((r) => typeof r.metrics?.[o.metric] === 'number');
  const value = (r: TrialRecord) => r.metrics![o.metric];
  const sign = o.mode === 'max' ? -1 : 1;
  const ranked = [...scored].sort((a, b) => sign * (value(a) - value(b)) || a.index - b.index);
  const pruned = records.filter((r) => r.status === 'pruned').length;
  const failed = records.filter((r) => r.status === 'failed').length;
  const best = ranked.find((r) => r.status === 'completed');
  const mid = median(scored.map(value));
  const epochs = records.reduce((n, r) => n + r.epochs.length, 0);
  const params = [...new Set(records.flatMap((r) => Object.keys(r.config)))];
  const lines = [
    `| | |`,
    `| --- | --- |`,
    `| trials | ${records.length} of ${o.trials} (seed ${o.seed}) |`,
    `| stopped early by ASHA | ${pruned} of ${records.length} |`,
    `| failed | ${failed} |`,
    `| epochs trained | ${epochs} of ${records.length * o.maxEpochs} without early stopping |`,
    `| best ${o.metric} (${best?.trialId ?? 'none'}) | ${best === undefined ? '–' : value(best).toFixed(4)} |`,
    `| median trial's final ${o.metric} | ${mid.toFixed(4)} |`,
    '',
    `| rank | trial | ${params.join(' | ')} | status | epochs | ${o.metric} |`,
    `| ${['---', '---', ...params.map(() => '---'), '---', '---:', '---:'].join(' | ')} |`,
    ...ranked.map((r, i) => `| ${i + 1} | ${r.trialId} | ${params.map((p) => cell(r.config[p])).join(' | ')} | ${r.status} | ${r.epochs.length} | ${value(r).toFixed(4)} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The report page and the results file of the sweep directory `dir`. */
export function sweepOutputs(dir: string): { report: string; results: string } {
  const trials = openSweep(dir, objective).trials();
  const title = `MNIST sweep: reference CNN, ${TRAIN_IMAGES} training images, ${VAL_IMAGES} validation images`;
  return {
    report: renderSweepReport(trials, { ...objective, space, title }),
    results: resultsMarkdown(trials, { ...objective, trials: TRIALS, seed: SEED, maxEpochs: MAX_EPOCHS }),
  };
}
