import { fc, test as fcTest } from '@fast-check/vitest';
import { expect, test } from 'vitest';
import { lineChartSvg, niceTicks } from './chart';
import { trainingCurvesSvg } from './curves';

const history = [
  { epoch: 0, metrics: { loss: 0.9, accuracy: 0.7, valLoss: 0.6, valAccuracy: 0.8 } },
  { epoch: 1, metrics: { loss: 0.4, accuracy: 0.88, valLoss: 0.35, valAccuracy: 0.9 } },
  { epoch: 2, metrics: { loss: 0.3, accuracy: 0.91, valLoss: 0.3, valAccuracy: 0.92 } },
];

test('trainingCurvesSvg draws loss and accuracy, train solid and validation dashed', () => {
  const svg = trainingCurvesSvg(history, { title: 'a <b> & c' });
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg).toContain('a &lt;b&gt; &amp; c');
  const paths = [...svg.matchAll(/<path class="series" data-label="([^"]+)" d="([^"]+)"[^>]*>/g)];
  expect(paths.map((m) => m[1])).toEqual(['train', 'validation', 'train', 'validation']);
  for (const m of paths) expect(m[2].match(/[ML]/g)).toHaveLength(3); // three epochs → three points
  expect(paths.filter((m) => m[0].includes('stroke-dasharray'))).toHaveLength(2);
  expect(svg).toContain('>loss<');
  expect(svg).toContain('>accuracy<');
  expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  // a pure function of its input: same bytes every time
  expect(trainingCurvesSvg(history, { title: 'a <b> & c' })).toBe(svg);
});

test('trainingCurvesSvg copes with no validation, one epoch and an empty history', () => {
  const one = trainingCurvesSvg([{ epoch: 0, metrics: { loss: 1, accuracy: 0.5 } }]);
  expect([...one.matchAll(/class="series"/g)]).toHaveLength(2);
  expect(one).toContain('<circle');
  const empty = trainingCurvesSvg([]);
  expect(empty).not.toMatch(/NaN|undefined|Infinity/);
  expect(empty).not.toContain('class="series"');
});

test('lineChartSvg skips non-finite points and honours a fixed y domain', () => {
  const svg = lineChartSvg({ yDomain: [0, 1], series: [{ label: 's', points: [[0, 0.5], [1, NaN], [2, 1]] }] });
  const d = /class="series" data-label="s" d="([^"]+)"/.exec(svg)?.[1] ?? '';
  expect(d.match(/[ML]/g)).toHaveLength(2);
  expect(svg).not.toMatch(/NaN/);
});

test('niceTicks: examples', () => {
  expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(niceTicks(0.13, 0.92, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
  expect(niceTicks(3, 3)).toEqual([3]);
});

fcTest.prop([fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e6, noNaN: true })])(
  'niceTicks: increasing round values inside the range, at most about twice the asked count',
  (lo, span) => {
    const hi = lo + span;
    const ticks = niceTicks(lo, hi, 5);
    expect(ticks.length).toBeGreaterThan(0);
    expect(ticks.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBeGreaterThan(ticks[i - 1]);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(lo - span * 1e-6);
      expect(t).toBeLessThanOrEqual(hi + span * 1e-6);
    }
  },
);

test('niceTicks ends for a span of a few ulps (a step below the resolution of the values) and returns increasing ticks', () => {
  const ticks = niceTicks(0.1, 0.1 + 2 ** -56);
  expect(ticks.length).toBeGreaterThan(0);
  expect(ticks.length).toBeLessThanOrEqual(11);
  for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBeGreaterThan(ticks[i - 1]);
});

test('trainingCurvesSvg draws a flat curve whose epochs differ only in the last bit (a model stuck at chance) with a labelled axis around it', () => {
  // weighted running means of the same accuracy can differ by one ulp from epoch to epoch
  const stuck = [0.1, 0.1 + 2 ** -56, 0.1].map((accuracy, epoch) => ({ epoch, metrics: { loss: 2.302585092994046, accuracy } }));
  const svg = trainingCurvesSvg(stuck);
  expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  expect(svg).toContain('>10%<'); // the accuracy axis is labelled at the curve's value
  expect(svg).toContain('>2.3<');
});
