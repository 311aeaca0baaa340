import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Rng, Tensor } from '@trainkit/tensor';
import { ECE_BINS, classifierMetrics, disagreement, expectedCalibrationError, meanPairwiseDisagreement } from './index';

/** Log-probabilities of rows of probabilities. */
const logOf = (rows: number[][]) => new Tensor(Float32Array.from(rows.flat().map(Math.log)), [rows.length, rows[0].length]);

/**
 * A synthetic predictor over `classes` classes that is calibrated by construction: it draws a
 * confidence c, puts c on a predicted class and spreads the rest, and the label equals the
 * predicted class with probability exactly c (`gap` makes it overconfident by that much).
 */
function syntheticPredictor(seed: number, n: number, classes: number, gap = 0): { scores: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const rows: number[][] = [];
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.uniform(1 / classes + 0.02, 0.99);
    const pred = rng.int(classes);
    rows.push(Array.from({ length: classes }, (_, k) => (k === pred ? c : (1 - c) / (classes - 1))));
    const right = rng.uniform() < c - gap;
    labels[i] = right ? pred : (pred + 1 + rng.int(classes - 1)) % classes;
  }
  return { scores: logOf(rows), labels };
}

describe('classifierMetrics', () => {
  test('a hand-computed example', () => {
    // sample 0: p = [0.7, 0.2, 0.1], label 0 → right, conf 0.7 (bin 10 of 15)
    // sample 1: p = [0.6, 0.3, 0.1], label 1 → wrong, conf 0.6 (bin 8)
    const m = classifierMetrics(logOf([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1]]), [0, 1]);
    expect(m.accuracy).toBe(0.5);
    expect(m.nll).toBeCloseTo(-(Math.log(0.7) + Math.log(0.3)) / 2, 6);
    // Brier: (0.09 + 0.04 + 0.01) and (0.36 + 0.49 + 0.01), averaged
    expect(m.brier).toBeCloseTo((0.14 + 0.86) / 2, 6);
    // ECE: two one-sample bins, |1 − 0.7|·½ + |0 − 0.6|·½
    expect(m.ece).toBeCloseTo(0.45, 6);
  });

  test('a confident, always-right predictor scores accuracy 1, NLL ≈ 0, Brier ≈ 0, ECE ≈ 0', () => {
    const m = classifierMetrics(new Tensor(Float32Array.of(30, 0, 0, 0, 30, 0), [2, 3]), [0, 1]);
    expect(m).toEqual({ accuracy: 1, nll: expect.closeTo(0, 9), brier: expect.closeTo(0, 9), ece: expect.closeTo(0, 9) });
  });

  test('accepts logits: only softmax of a row matters', () => {
    const logits = new Tensor(Float32Array.of(2, 1, 0, 0, 3, 1), [2, 3]);
    const shifted = new Tensor(logits.data.map((v, i) => v + (i < 3 ? 5 : -7)), [2, 3]);
    expect(classifierMetrics(shifted, [0, 2])).toEqual(classifierMetrics(logits, [0, 2]));
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 2, max: 10 })], { numRuns: 8 })(
    'ECE of a perfectly calibrated synthetic predictor is ~0 (sampling noise only)',
    (seed, classes) => {
      const { scores, labels } = syntheticPredictor(seed, 20_000, classes);
      expect(expectedCalibrationError(scores, labels)).toBeLessThan(0.025);
    },
  );

  test('ECE of a predictor overconfident by 0.1 is ≈ 0.1', () => {
    const { scores, labels } = syntheticPredictor(7, 20_000, 10, 0.1);
    expect(expectedCalibrationError(scores, labels)).toBeCloseTo(0.1, 1);
  });

  test('samples in one bin pool their accuracy and confidence; different bins count separately', () => {
    expect(ECE_BINS).toBe(15);
    // 0.62 and 0.66 share the bin (9/15, 10/15]: one right, one wrong → |1 − (0.62 + 0.66)| / 2
    expect(classifierMetrics(logOf([[0.62, 0.38], [0.66, 0.34]]), [0, 1]).ece).toBeCloseTo(0.14, 6);
    // 0.62 and 0.9 do not: |1 − 0.62| / 2 + |0 − 0.9| / 2
    expect(classifierMetrics(logOf([[0.62, 0.38], [0.9, 0.1]]), [0, 1]).ece).toBeCloseTo(0.64, 6);
  });

  test('errors: wrong label, label count, shape', () => {
    const s = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => classifierMetrics(s, [0, 3])).toThrow(/label 3 at index 1 is not a class in \[0, 2\]/);
    expect(() => classifierMetrics(s, [0])).toThrow(/1 labels for 2 samples/);
    expect(() => classifierMetrics(new Tensor(new Float32Array(6), [6]), [0])).toThrow(/\[samples, classes\]/);
  });

  test('NaN or +∞ scores are refused naming the sample (they scored ECE 0, "perfectly calibrated"); a −∞ score (a class ruled out) is fine', () => {
    expect(() => classifierMetrics(new Tensor(Float32Array.of(1, 0, 0, 0, Number.NaN, 0), [2, 3]), [0, 1])).toThrow(/classifierMetrics: the scores of sample 1 are not finite \(0, NaN, 0\)/);
    expect(() => expectedCalibrationError(new Tensor(Float32Array.of(Infinity, 0, 0), [1, 3]), [0])).toThrow(/sample 0 are not finite/);
    expect(classifierMetrics(new Tensor(Float32Array.of(-Infinity, 2, 0), [1, 3]), [1]).accuracy).toBe(1);
  });
});

describe('disagreement', () => {
  test('fraction of differing predictions, and its mean over pairs', () => {
    expect(disagreement([0, 1, 2, 3], [0, 1, 0, 0])).toBe(0.5);
    // pairs (a,b) 0.25, (a,c) 0.5, (b,c) 0.25
    expect(meanPairwiseDisagreement([[0, 1, 2, 3], [0, 1, 2, 0], [0, 1, 0, 0]])).toBeCloseTo((0.25 + 0.5 + 0.25) / 3, 12);
    expect(meanPairwiseDisagreement([[1, 2]])).toBe(0);
  });
});
