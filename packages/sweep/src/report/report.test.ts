import { describe, expect, test } from 'vitest';
import { SweepError } from '../errors';
import { choice, logUniform, uniform } from '../space';
import { SWEEP_FORMAT, type TrialRecord } from '../store';
import { renderSweepReport } from './index';
import { escapeHtml, formatNumber } from './svg';

/** A trial record with `accuracy` after each epoch. */
function record(index: number, config: TrialRecord['config'], curve: number[], status: TrialRecord['status'] = 'completed'): TrialRecord {
  const epochs = curve.map((accuracy) => ({ accuracy, loss: 1 - accuracy }));
  return {
    format: SWEEP_FORMAT,
    trialId: `trial-${String(index).padStart(4, '0')}`,
    index,
    seed: index,
    attempt: 0,
    config,
    status,
    metrics: status === 'failed' ? null : epochs.at(-1)!,
    epochs: status === 'failed' ? [] : epochs,
    error: status === 'failed' ? { name: 'Error', message: 'boom' } : null,
    worker: 'main',
    durationMs: 10,
  };
}

const records = [
  record(0, { lr: 1e-4, optimizer: 'sgd', p: 0.1 }, [0.3], 'pruned'),
  record(1, { lr: 3e-2, optimizer: 'adam', p: 0.2 }, [0.8, 0.9, 0.95]),
  record(2, { lr: 1e-3, optimizer: 'momentum', p: 0.4 }, [0.6, 0.7], 'pruned'),
  record(3, { lr: 5e-3, optimizer: 'adam', p: 0.3 }, [0.7, 0.8, 0.85]),
  record(4, { lr: 2e-3, optimizer: 'sgd', p: 0.0 }, [], 'failed'),
];
const space = { lr: logUniform(1e-4, 1e-1), optimizer: choice(['sgd', 'momentum', 'adam']), p: uniform(0, 0.5) };
const page = renderSweepReport(records, { metric: 'accuracy', mode: 'max', space });
const svgs = page.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
const curves = svgs.find((s) => s.includes('class="curves-chart"'))!;

describe('renderSweepReport', () => {
  test('draws one chart per hyperparameter and one of the learning curves, with labelled axes', () => {
    expect(svgs).toHaveLength(4);
    const labels = svgs.map((s) => [...s.matchAll(/class="axis-label"[^>]*>([^<]*)</g)].map((m) => m[1]));
    expect(labels).toEqual([
      ['lr (log scale)', 'accuracy'],
      ['optimizer', 'accuracy'],
      ['p', 'accuracy'],
      ['epoch', 'accuracy'],
    ]);
  });

  test('every trial with a curve gets one line; pruned curves are grey, the best is red, the rest blue', () => {
    const groups = [...curves.matchAll(/<g class="curve (\w+)" data-trial="([^"]+)">[\s\S]*?stroke="([^"]+)"/g)].map((m) => [m[2], m[1], m[3]]);
    expect(groups.sort()).toEqual([
      ['trial-0000', 'pruned', '#b0b4ba'],
      ['trial-0001', 'completed', '#d1242f'],
      ['trial-0002', 'pruned', '#b0b4ba'],
      ['trial-0003', 'completed', '#1f6feb'],
    ]);
  });

  test('the log-uniform parameter gets ticks at powers of ten; the choice one column per value, in the order of the space', () => {
    const [lr, optimizer] = svgs as [string, string];
    expect([...lr.matchAll(/>(1e-\d)</g)].map((m) => m[1])).toEqual(['1e-4', '1e-3', '1e-2']);
    expect([...optimizer.matchAll(/text-anchor="middle">([a-z]+)</g)].map((m) => m[1])).toEqual(['sgd', 'momentum', 'adam']);
    // without the space: in the order the trials drew them
    const inferred = renderSweepReport(records, { metric: 'accuracy', mode: 'max' }).match(/<svg[\s\S]*?<\/svg>/g)![1];
    expect([...inferred.matchAll(/text-anchor="middle">([a-z]+)</g)].map((m) => m[1])).toEqual(['sgd', 'adam', 'momentum']);
  });

  test('without the space, a positive parameter spanning 100× gets a log axis and a string one columns', () => {
    const inferred = renderSweepReport(records, { metric: 'accuracy', mode: 'max' });
    expect(inferred).toContain('lr (log scale)');
    expect(inferred).not.toContain('p (log scale)');
  });

  test('the top-k table ranks the trials that have the metric, best first, and stops at k', () => {
    const table = renderSweepReport(records, { metric: 'accuracy', mode: 'max', top: 3 }).match(/<tbody>([\s\S]*?)<\/tbody>/)![1];
    const rows = [...table.matchAll(/<tr class="(\w+)"><td>(\d+)<\/td><td>([^<]+)<\/td>/g)].map((m) => [m[2], m[3], m[1]]);
    expect(rows).toEqual([
      ['1', 'trial-0001', 'completed'],
      ['2', 'trial-0003', 'completed'],
      ['3', 'trial-0002', 'pruned'],
    ]);
  });

  test('configuration strings are HTML-escaped everywhere: no markup from a config reaches the page', () => {
    const evil = '<script>alert("x")</script>&';
    const page2 = renderSweepReport([record(0, { name: evil, lr: 0.1 }, [0.5]), record(1, { name: '<b>', lr: 0.2 }, [0.6])], { metric: 'accuracy', mode: 'max' });
    expect(page2).not.toContain('<script');
    expect(page2).not.toContain('<b>');
    expect(page2).toContain(escapeHtml(evil));
  });

  test('a metric no trial reported is an error naming the metrics there are', () => {
    expect(() => renderSweepReport(records, { metric: 'valLoss' })).toThrow(SweepError);
    expect(() => renderSweepReport(records, { metric: 'valLoss' })).toThrow('no trial reported the metric "valLoss"; the trials report "accuracy", "loss"');
    expect(() => renderSweepReport(records, { metric: 'accuracy', top: 0 })).toThrow('top must be an integer ≥ 1, got 0');
    expect(() => renderSweepReport(records, { metric: 'accuracy', scales: { learningRate: 'log' } })).toThrow('scales names "learningRate", not a parameter of the trials (lr, optimizer, p)');
  });
});

describe('escapeHtml and formatNumber', () => {
  test('escapeHtml replaces the five characters that markup gives meaning to', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
  test('formatNumber writes small and large numbers in short exponent form and others with 3 significant digits', () => {
    expect([1e-3, 2.5e-4, 0.25, 0.123456, 12, 1.5e6].map(formatNumber)).toEqual(['1e-3', '2.5e-4', '0.25', '0.123', '12', '1.5e6']);
  });
});
