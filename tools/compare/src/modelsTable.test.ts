// The zoo's learning-comparison table (modelsTable.ts): what it says follows from the runs in
// models.jsonl, and a table with runs missing never claims a verdict.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ModelRun, parseRuns, renderSetup, verdict } from './modelsTable';

const setup = { name: 's', title: 'S', recipe: 'a recipe', tolerance: 0.5, seeds: [0, 1, 2], samples: 180_000 };
const run = (seed: number, framework: 'trainkit' | 'torch', accuracy: number, date = '2026-12-03T00:00:00Z'): ModelRun =>
  ({ date, setup: 's', seed, framework, backend: 'b', accuracy, seconds: 10, samplesPerSecond: 100 });
const accuracy = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 10_000);

describe('verdict', () => {
  it('is within the bound exactly when |mean(trainkit) − mean(torch)| ≤ tolerance points', () => {
    fc.assert(
      fc.property(fc.array(accuracy, { minLength: 1, maxLength: 3 }), fc.array(accuracy, { minLength: 1, maxLength: 3 }), (a, b) => {
        const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
        const v = verdict(a, b, 0.5)!;
        expect(v.difference).toBeCloseTo(100 * (mean(a) - mean(b)), 9);
        expect(v.within).toBe(Math.abs(v.difference) <= 0.5);
      }),
    );
  });

  it('is absent while either framework has no run', () => {
    expect(verdict([], [0.9], 0.5)).toBeNull();
    expect(verdict([0.9], [], 0.5)).toBeNull();
  });
});

describe('renderSetup', () => {
  it('gives the verdict only when every seed of both frameworks has run', () => {
    const all = [0, 1, 2].flatMap((s) => [run(s, 'trainkit', 0.9), run(s, 'torch', 0.904)]);
    expect(renderSetup(setup, all)).toContain('trainkit − PyTorch = −0.40 points (bound ±0.5): **within the bound**');
    const partial = renderSetup(setup, all.slice(0, 4));
    expect(partial).toContain('not final: seed 2 trainkit, seed 2 PyTorch not run yet');
    expect(partial).not.toContain('within the bound');
    expect(partial).toContain('| 2 | not run yet | not run yet |');
  });

  it('uses the latest run of a seed and framework, and the sample standard deviation', () => {
    const runs = [run(0, 'trainkit', 0.5, '2026-01-01'), run(0, 'trainkit', 0.9, '2026-02-01'), run(1, 'trainkit', 0.8), run(0, 'torch', 0.85)];
    const text = renderSetup({ ...setup, seeds: [0, 1] }, runs);
    expect(text).toContain('| 0 | 90.00 % | 85.00 % |');
    expect(text).toContain('85.00 ± 7.07 % (2 seeds)'); // mean of 0.9 and 0.8, std √0.005
  });
});

describe('seeds beyond the setup', () => {
  it('leave the table and its verdict on the setup seeds, and add a line over all seeds that both frameworks finished', () => {
    const three = [0, 1, 2].flatMap((s) => [run(s, 'trainkit', 0.9), run(s, 'torch', 0.91)]);
    const runs = [...three, run(3, 'trainkit', 0.9), run(3, 'torch', 0.87), run(4, 'trainkit', 0.9)];
    const text = renderSetup(setup, runs);
    expect(text).toContain('trainkit − PyTorch = −1.00 points (bound ±0.5): **outside the bound**');
    expect(text).not.toContain('| 3 |');
    // seed 4 has no PyTorch run, so only seed 3 joins: means 0.9 and (3·0.91 + 0.87)/4 = 0.9
    expect(text).toContain('More seeds (seed 3: trainkit 90.00 %, PyTorch 87.00 %). Over all 4 seeds: trainkit 90.00 ± 0.00 %, PyTorch 90.00 ± 2.00 %, trainkit − PyTorch = +0.00 points (within ±0.5).');
    expect(renderSetup(setup, three)).not.toContain('More seeds');
  });
});

describe('missing runs', () => {
  it('are estimated from the latest measured rate per CPU second of their setup and framework', () => {
    const rates = [
      { setup: 's', framework: 'trainkit' as const, steps: 30, cpuSamplesPerSecond: 10, date: '2026-01-01' },
      { setup: 's', framework: 'trainkit' as const, steps: 30, cpuSamplesPerSecond: 100, date: '2026-02-01' },
      { setup: 'other', framework: 'torch' as const, steps: 30, cpuSamplesPerSecond: 1, date: '2026-03-01' },
    ];
    const text = renderSetup({ ...setup, seeds: [0] }, [], rates);
    // 180,000 samples at 100 per CPU second = 30 CPU minutes; no rate measured for PyTorch on this setup
    expect(text).toContain('seed 0 trainkit (about 30 CPU minutes at the 100.0 samples per CPU second measured over 30 steps), seed 0 PyTorch not run');
  });
});

describe('parseRuns', () => {
  it('names the file and line of a line that is not JSON', () => {
    expect(() => parseRuns('{"setup":"s"}\nnot json\n', 'models.jsonl')).toThrow(/^models\.jsonl:2: not a JSON line/);
  });
});
