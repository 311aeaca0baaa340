import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { SWEEP_FORMAT, type TrialRecord } from '@trainkit/sweep';
import { resultsMarkdown, sweepOutputs } from './resultsTable';

const record = (index: number, lr: number, curve: number[], status: TrialRecord['status']): TrialRecord => ({
  format: SWEEP_FORMAT,
  trialId: `trial-${String(index).padStart(4, '0')}`,
  index,
  seed: index,
  attempt: 0,
  config: { lr, optimizer: 'adam' },
  status,
  metrics: status === 'failed' ? null : { valAccuracy: curve.at(-1)! },
  epochs: curve.map((valAccuracy) => ({ valAccuracy })),
  error: status === 'failed' ? { name: 'Error', message: 'boom' } : null,
  worker: 'thread-1',
  durationMs: 1,
});

describe('the results file of the MNIST sweep', () => {
  const md = resultsMarkdown(
    [record(0, 1e-4, [0.2], 'pruned'), record(1, 0.01, [0.8, 0.9, 0.97], 'completed'), record(2, 0.1, [0.5, 0.6], 'pruned'), record(3, 0.001, [], 'failed')],
    { metric: 'valAccuracy', mode: 'max', trials: 4, seed: 16, maxEpochs: 3 },
  );

  test('the summary counts the pruned trials and the epochs, and sets the best against the median trial', () => {
    expect(md).toContain('| stopped early by ASHA | 2 of 4 |');
    expect(md).toContain('| epochs trained | 6 of 12 without early stopping |');
    expect(md).toContain('| best valAccuracy (trial-0001) | 0.9700 |');
    expect(md).toContain("| median trial's final valAccuracy | 0.6000 |");
  });

  test('the table ranks the trials with a metric, best first, with their configuration', () => {
    const rows = md.split('\n').filter((l) => /^\| \d+ \| trial-/.test(l));
    expect(rows).toEqual([
      '| 1 | trial-0001 | 0.0100 | adam | completed | 3 | 0.9700 |',
      '| 2 | trial-0002 | 0.100 | adam | pruned | 2 | 0.6000 |',
      '| 3 | trial-0000 | 0.000100 | adam | pruned | 1 | 0.2000 |',
    ]);
  });
});

test('the committed report and results file are what the committed sweep directory renders today', () => {
  const results = new URL('../results/', import.meta.url);
  const { report, results: md } = sweepOutputs(new URL('mnist-sweep', results).pathname);
  expect(report).toBe(readFileSync(new URL('mnist-sweep/report.html', results), 'utf8'));
  expect(md).toBe(readFileSync(new URL('mnist-sweep.md', results), 'utf8'));
});
