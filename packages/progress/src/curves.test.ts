import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { domains } from './chart';
import { plural, smoothSeries, stepPositions, trainingCurvesSvg } from './curves';
import type { StepRecord } from './history';

/** A run of `epochs` × `batches` batches whose loss falls and accuracy rises, with a little zig-zag. */
function run(epochs: number, batches: number): { steps: StepRecord[]; records: Array<{ epoch: number; metrics: Record<string, number> }> } {
  const steps: StepRecord[] = [];
  for (let e = 0; e < epochs; e++) {
    for (let b = 0; b < batches; b++) {
      const t = steps.length + 1;
      steps.push({ step: t, epoch: e, batchIndex: b, batchesPerEpoch: batches, loss: 2 / Math.sqrt(t) + (t % 2) * 0.05, accuracy: 1 - 0.9 / Math.sqrt(t) });
    }
  }
  const records = Array.from({ length: epochs }, (_, e) => ({ epoch: e, metrics: { loss: 0.5, accuracy: 0.8, valLoss: 0.4, valAccuracy: 0.85 } }));
  return { steps, records };
}

/** The text of every x tick label of the first (loss) panel, in order. */
const xTickLabels = (svg: string) => [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" text-anchor="middle" fill="#4b5563">([^<]+)<\/text>/g)].filter((m) => m[1] === '276').map((m) => m[2]);
const seriesPath = (svg: string, label: string) => [...svg.matchAll(new RegExp(`class="series" data-label="${label.replace(/[()]/g, '\\$&')}" d="([^"]+)"`, 'g'))].map((m) => m[1]);

describe('trainingCurvesSvg with per-batch steps', () => {
  test('a one-epoch run is a curve over its batches on a 0–1 epoch axis, not a single dot on 0–2', () => {
    const { steps, records } = run(1, 24);
    const svg = trainingCurvesSvg(records, { steps, title: 'one epoch' });
    const [loss, accuracy] = seriesPath(svg, 'train (smoothed)');
    expect(loss.match(/[ML]/g)).toHaveLength(24);
    expect(accuracy.match(/[ML]/g)).toHaveLength(24);
    expect(xTickLabels(svg).slice(0, 6)).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
    expect(svg).toContain('>1 epoch, 24 batches, training curves smoothed over 5 batches<');
    // a curve, not 24 dots: the only dots are the one validation point, in each plot and legend
    expect(svg.match(/<circle/g)).toHaveLength(4);
    expect(svg).not.toMatch(/<circle[^>]*fill="#2563eb"/);
    expect(svg).not.toMatch(/1 epochs|NaN|undefined|Infinity/);
  });

  test('validation is one point per epoch end and a test evaluation one point at the end of training', () => {
    const { steps, records } = run(3, 10);
    const svg = trainingCurvesSvg(records, { steps, test: { loss: 0.3, accuracy: 0.9 } });
    expect(seriesPath(svg, 'validation')[0].match(/[ML]/g)).toHaveLength(3);
    const testPoints = seriesPath(svg, 'test');
    expect(testPoints).toHaveLength(2); // one in each panel
    // the test point sits at x = 3 epochs, where the last batch ends
    const lastTrainX = /L([\d.]+) [\d.]+$/.exec(seriesPath(svg, 'train (smoothed)')[0])?.[1];
    expect(testPoints[0]).toMatch(new RegExp(`^M${lastTrainX} `));
    expect(svg).toContain('>3 epochs, 30 batches,');
    // the single test point is a dot in the plot and in the legend
    expect(svg.match(/<circle[^>]*fill="#dc2626"/g)).toHaveLength(4);
  });

  test('a long run is thinned to at most about 400 points per curve, ending at the last batch', () => {
    const { steps, records } = run(2, 938);
    const [loss] = seriesPath(trainingCurvesSvg(records, { steps }), 'train (smoothed)');
    const n = loss.match(/[ML]/g)?.length ?? 0;
    expect(n).toBeGreaterThan(300);
    expect(n).toBeLessThanOrEqual(401);
  });

  test('a non-finite batch loss is skipped before smoothing: every later batch is still drawn', () => {
    const { steps, records } = run(1, 100);
    steps[9] = { ...steps[9], loss: NaN };
    steps[50] = { ...steps[50], loss: Infinity };
    const svg = trainingCurvesSvg(records, { steps });
    const [loss, accuracy] = seriesPath(svg, 'train (smoothed)');
    expect(loss.match(/[ML]/g)).toHaveLength(98);
    expect(accuracy.match(/[ML]/g)).toHaveLength(100);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  test('without steps the curves fall back to one point per epoch on an axis starting at 0', () => {
    const svg = trainingCurvesSvg([{ epoch: 0, metrics: { loss: 1, accuracy: 0.5 } }]);
    expect(xTickLabels(svg)[0]).toBe('0');
    expect(xTickLabels(svg).at(-1)).toBe('1');
    expect(svg).toContain('>1 epoch<');
  });
});

describe('the pieces', () => {
  test('plural: singular for one, plural otherwise, with thousands separators', () => {
    expect(plural(1, 'epoch')).toBe('1 epoch');
    expect(plural(0, 'epoch')).toBe('0 epochs');
    expect(plural(1876, 'batch', 'batches')).toBe('1,876 batches');
  });

  test('stepPositions: batch i of n in epoch e ends at e + (i + 1)/n; an unknown length uses the batches seen', () => {
    const known: StepRecord[] = [0, 1, 2, 3].map((b) => ({ step: b + 1, epoch: 1, batchIndex: b, batchesPerEpoch: 4, loss: 1 }));
    expect(stepPositions(known)).toEqual([1.25, 1.5, 1.75, 2]);
    const unknown: StepRecord[] = [0, 1].map((b) => ({ step: b + 1, epoch: 0, batchIndex: b, loss: 1 }));
    expect(stepPositions(unknown)).toEqual([0.5, 1]);
  });

  test('smoothSeries: window 1 is the identity, a bad window is an error naming it', () => {
    const pts: Array<[number, number]> = [[0, 3], [1, -1], [2, 8]];
    expect(smoothSeries(pts, 1)).toEqual(pts);
    expect(() => smoothSeries(pts, 0)).toThrow(/window must be at least 1, got 0/);
  });

  test('smoothSeries leaves out points whose value is not finite and averages the rest as if they were not there', () => {
    const pts: Array<[number, number]> = [[0, 1], [1, NaN], [2, 3], [3, Infinity], [4, -Infinity], [5, 5]];
    const finite: Array<[number, number]> = [[0, 1], [2, 3], [5, 5]];
    expect(smoothSeries(pts, 3)).toEqual(smoothSeries(finite, 3));
    expect(smoothSeries(pts, 1)).toEqual(finite);
    expect(smoothSeries([[0, NaN]], 2)).toEqual([]);
  });

  fcTest.prop([fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 40 })])(
    'smoothSeries: every smoothed value lies between the smallest and largest value so far (a weighted mean, no bias towards 0)',
    (ys, window) => {
      const out = smoothSeries(ys.map((y, i) => [i, y]), window);
      out.forEach(([x, y], i) => {
        expect(x).toBe(i);
        const seen = ys.slice(0, i + 1);
        expect(y).toBeGreaterThanOrEqual(Math.min(...seen) - 1e-9);
        expect(y).toBeLessThanOrEqual(Math.max(...seen) + 1e-9);
      });
    },
  );

  fcTest.prop([fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: 1e-3, max: 1e4, noNaN: true })])(
    'the y axis starts and ends on a tick, and ticks step by 1, 2 or 5 × 10^k',
    (lo, span) => {
      const { yMin, yMax, yTicks } = domains([[0, lo], [1, lo + span]], {});
      expect(yTicks[0]).toBe(yMin);
      expect(yTicks.at(-1)).toBe(yMax);
      expect(yMin).toBeLessThanOrEqual(lo + span * 1e-9);
      expect(yMax).toBeGreaterThanOrEqual(lo + span - span * 1e-9);
      const step = yTicks[1] - yTicks[0];
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
    },
  );
});
