import { Tensor } from '@trainkit/tensor';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { InspectError, classScores, confusionCounts, confusionMatrix, confusionSvg, confusionTable } from './index';

describe('confusion matrix and per-class scores', () => {
  // true:      0 0 0 1 1 2
  // predicted: 0 0 1 1 2 2
  const cm = confusionCounts([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 2], 3);

  test('cm[true][predicted] counts each sample once', () => {
    expect(cm).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  test('precision, recall and F1 by hand', () => {
    const s = classScores(cm);
    // class 0: tp 2, predicted 2, support 3 → precision 1, recall 2/3, f1 = 2·1·(2/3) / (5/3) = 0.8
    expect(s[0]).toEqual({ precision: 1, recall: 2 / 3, f1: expect.closeTo(0.8, 12), support: 3 });
    expect(s[1]).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(s[2]).toEqual({ precision: 0.5, recall: 1, f1: expect.closeTo(2 / 3, 12), support: 1 });
  });

  test('a class never predicted and never present scores 0, not NaN', () => {
    expect(classScores(confusionCounts([0], [0], 2))[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  test('the table has a row per true class and the SVG a cell per pair, with names escaped', () => {
    expect(confusionTable(cm, ['a', 'b', 'c']).split('\n')).toEqual(['true \\ predicted  a  b  c', 'a                 2  1  0', 'b                 0  1  1', 'c                 0  0  1']);
    const svg = confusionSvg(cm, ['a<b', 'b', 'c'], 'test & check');
    expect(svg.match(/<rect x=/g)).toHaveLength(9);
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('test &amp; check');
  });

  test('law: the counts sum to the number of samples, rows to the supports, and the diagonal to the correct ones', () => {
    const pairs = fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(pairs, (ps) => {
        const r = confusionMatrix(ps.map(([p]) => p), ps.map(([, t]) => t), ['a', 'b', 'c', 'd', 'e']);
        expect(r.counts.flat().reduce((a, b) => a + b, 0)).toBe(ps.length);
        r.scores.forEach((s, k) => expect(s.support).toBe(ps.filter(([, t]) => t === k).length));
        expect(r.accuracy).toBeCloseTo(ps.filter(([p, t]) => p === t).length / ps.length, 12);
      }),
    );
  });
});

describe('confusionMatrix', () => {
  test('takes scores [N, K] and uses their row maxima, with K classes even when some never occur', () => {
    const scores = new Tensor(Float32Array.of(0.9, 0.1, 0, 0.2, 0.7, 0.1), [2, 3]);
    const r = confusionMatrix(scores, [0, 0]);
    expect(r.classes).toEqual(['0', '1', '2']);
    expect(r.counts).toEqual([[1, 1, 0], [0, 0, 0], [0, 0, 0]]);
    expect(r.accuracy).toBe(0.5);
    expect(r.text).toContain('accuracy 50.00%');
    expect(r.text).toContain('macro avg');
    expect(r.svg).toContain('accuracy 50.00%');
  });

  test('scores with a NaN row are refused naming the row, not counted as a prediction of class 0', () => {
    const scores = new Tensor(Float32Array.of(0.1, 0.9, Number.NaN, Number.NaN, 0.8, 0.2), [3, 2]);
    expect(() => confusionMatrix(scores, [1, 1, 0])).toThrow(InspectError);
    expect(() => confusionMatrix(scores, [1, 1, 0])).toThrow("confusionMatrix: scores row 1 contains NaN, so it has no predicted class; check the model's outputs");
  });

  test('class names that do not match the scores’ columns are refused, even when the extra class is never predicted', () => {
    const scores = new Tensor(Float32Array.of(0.9, 0.1, 0, 0.2, 0.7, 0.1), [2, 3]);
    expect(() => confusionMatrix(scores, [0, 1], ['cat', 'dog'])).toThrow('confusionMatrix: 2 class names for scores with 3 columns (shape [2, 3])');
  });

  test('labels or predictions outside the classes, and length mismatches, are errors naming the index', () => {
    expect(() => confusionMatrix([0, 1], [0, 2], ['a', 'b'])).toThrow(InspectError);
    expect(() => confusionMatrix([0, 1], [0, 2], ['a', 'b'])).toThrow(/label 2 at index 1 is not a class index in \[0, 1\]/);
    expect(() => confusionMatrix([0, -1], [0, 1])).toThrow(/prediction -1 at index 1/);
    expect(() => confusionMatrix([0, 1, 1], [0, 1])).toThrow(/3 predictions for 2 labels/);
    expect(() => confusionMatrix(new Tensor(new Float32Array(3), [3]), [0, 1, 1])).toThrow(/scores must be \[N, classes\], got shape \[3\]/);
  });
});
