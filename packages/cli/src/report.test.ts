import { describe, expect, test } from 'vitest';
import { classScores, confusionMatrix, confusionSvg, confusionTable } from './report';
import { argmaxRows } from './evaluate';

describe('confusion matrix and per-class scores', () => {
  // true:      0 0 0 1 1 2
  // predicted: 0 0 1 1 2 2
  const cm = confusionMatrix([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 2], 3);

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
    // class 1: tp 1, predicted 2, support 2 → 1/2, 1/2, 1/2
    expect(s[1]).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    // class 2: tp 1, predicted 2, support 1 → 1/2, 1, 2/3
    expect(s[2]).toEqual({ precision: 0.5, recall: 1, f1: expect.closeTo(2 / 3, 12), support: 1 });
  });

  test('a class never predicted and never present scores 0, not NaN', () => {
    expect(classScores(confusionMatrix([0], [0], 2))[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  test('the table has a row per true class and the SVG a cell per pair, with names escaped', () => {
    expect(confusionTable(cm, ['a', 'b', 'c']).split('\n')).toEqual(['true \\ predicted  a  b  c', 'a                 2  1  0', 'b                 0  1  1', 'c                 0  0  1']);
    const svg = confusionSvg(cm, ['a<b', 'b', 'c'], 'test & check');
    expect(svg.match(/<rect x=/g)).toHaveLength(9);
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('test &amp; check');
  });

  test('argmaxRows picks the first of equal maxima', () => {
    expect(Array.from(argmaxRows(Float32Array.of(0, 2, 1, 5, 5, 0), 3))).toEqual([1, 0]);
  });
});
