import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { auroc } from './auroc';

/** The definition: the share of (positive, negative) pairs in which the positive scores higher, ties counting half. */
function byPairs(score: number[], positive: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < score.length; i++) {
    for (let j = 0; j < score.length; j++) {
      if (!positive[i] || positive[j]) continue;
      pairs++;
      wins += score[i] > score[j] ? 1 : score[i] === score[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

const scored = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.boolean()), { minLength: 2, maxLength: 40 })
  .filter((rows) => rows.some(([, p]) => p) && rows.some(([, p]) => !p));

test.prop([scored])('auroc equals the share of positive–negative pairs ranked right (ties half)', (rows) => {
  const score = rows.map(([s]) => s);
  const positive = rows.map(([, p]) => p);
  expect(auroc(score, positive)).toBeCloseTo(byPairs(score, positive), 12);
});

test('auroc is 1 when every positive scores above every negative, 0 when below, and names a missing class', () => {
  expect(auroc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
  expect(auroc([0.1, 0.2, 0.8, 0.9], [true, true, false, false])).toBe(0);
  expect(() => auroc([1, 2], [true, true])).toThrow('auroc: needs positives and negatives, got 2 and 0');
});
