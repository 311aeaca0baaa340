import { describe, expect, test } from 'vitest';
import { classScores, confusionMatrix, confusionSvg, confusionTable } from './report';
import { argmaxRows } from './evaluate';

describe('confusion matrix and per-class scores', () => {
  // the functions and their tests moved to @trainkit/inspect; the CLI's names are the same functions
  test('confusionMatrix is inspect\'s confusionCounts: cm[true][predicted]', () => {
    expect(confusionMatrix([0, 1], [0, 0], 2)).toEqual([[1, 1], [0, 0]]);
    expect(classScores(confusionMatrix([0], [0], 2))[0].recall).toBe(1);
    expect(confusionTable([[1]], ['a'])).toBe('true \\ predicted  a\na                 1');
    expect(confusionSvg([[1]], ['a'], 't')).toContain('<svg');
  });

  test('argmaxRows picks the first of equal maxima', () => {
    expect(Array.from(argmaxRows(Float32Array.of(0, 2, 1, 5, 5, 0), 3))).toEqual([1, 0]);
  });
});
