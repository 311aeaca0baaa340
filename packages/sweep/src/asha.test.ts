import { describe, expect, test } from 'vitest';
import { asha, ashaRungs } from './index';

/** Feeds (trial, epoch, score) reports in order and collects the decisions. */
const run = (scheduler: ReturnType<typeof asha>, reports: Array<[string, number, number]>) => reports.map(([id, epoch, score]) => scheduler.decide(id, epoch, score));

describe('asha: asynchronous successive halving', () => {
  test('rungs sit at minEpochs·η^k below maxEpochs', () => {
    expect(ashaRungs({ maxEpochs: 9 })).toEqual([1, 3]);
    expect(ashaRungs({ reductionFactor: 2, minEpochs: 1, maxEpochs: 16 })).toEqual([1, 2, 4, 8]);
    expect(ashaRungs({ reductionFactor: 4, minEpochs: 2, maxEpochs: 40 })).toEqual([2, 8, 32]);
  });

  test('with a non-integer η each rung is minEpochs·η^k rounded, not the rounded previous rung times η', () => {
    // exact 1, 2.5, 6.25, 15.625 (Math.round: 2.5 → 3); compounding the rounding gave 1, 3, 8, 20
    expect(ashaRungs({ reductionFactor: 2.5, maxEpochs: 30 })).toEqual([1, 3, 6, 16]);
    // exact 2, 3, 4.5, 6.75, 10.125
    expect(ashaRungs({ reductionFactor: 1.5, minEpochs: 2, maxEpochs: 11 })).toEqual([2, 3, 5, 7, 10]);
  });

  test('an η close to 1 still gives strictly increasing rungs below maxEpochs: rounding to the same epoch moves on by one', () => {
    // 1.2^k rounds to 1, 1, 1, 2, 2, 2, 3, 4, 4, 5, 6, 7, 9, 11, 13, 15, 18, 22: one epoch apart until the power catches up at 18
    expect(ashaRungs({ maxEpochs: 10, reductionFactor: 1.2 })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ashaRungs({ maxEpochs: 20, reductionFactor: 1.2 })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18]);
    expect(ashaRungs({ maxEpochs: 5, reductionFactor: 1.0001, minEpochs: 3 })).toEqual([3, 4]);
  });

  test('at a rung a trial continues only while fewer than max(1, ⌊n/η⌋) recorded scores beat it', () => {
    // η = 3; arrivals at rung 1 with scores 5, 3, 7, 1, 6, 8 (higher is better)
    // n=1 keep 1: first always continues; n=2 keep 1: 3 < 5 stops; n=3 keep 1: 7 best continues;
    // n=4 keep 1: 1 stops; n=5 keep 1: 6 has 7 above stops; n=6 keep 2: 8 best continues
    const s = asha({ maxEpochs: 9 });
    expect(run(s, [['a', 1, 5], ['b', 1, 3], ['c', 1, 7], ['d', 1, 1], ['e', 1, 6], ['f', 1, 8]])).toEqual(['continue', 'stop', 'continue', 'stop', 'stop', 'continue']);
  });

  test('epochs between rungs and at or past maxEpochs always continue', () => {
    const s = asha({ maxEpochs: 9 });
    run(s, [['a', 1, 10], ['b', 1, 0]]);
    expect(run(s, [['b', 2, -5], ['b', 4, -5], ['b', 9, -5], ['b', 12, -5]])).toEqual(['continue', 'continue', 'continue', 'continue']);
  });

  test('each rung ranks its own arrivals: a trial promoted at rung 1 can stop at rung 3', () => {
    const s = asha({ maxEpochs: 9 });
    // a and c both pass rung 1 (a first, c best of three); at rung 3 a arrives first (continues), c arrives worse and stops
    expect(run(s, [['a', 1, 2], ['b', 1, 1], ['c', 1, 3], ['a', 3, 9], ['c', 3, 4]])).toEqual(['continue', 'stop', 'continue', 'continue', 'stop']);
  });

  test('a retried trial reporting the same rung again replaces its score instead of counting twice', () => {
    const s = asha({ maxEpochs: 9 });
    run(s, [['a', 1, 5], ['b', 1, 4]]);
    // b again (retry) with a better score: the rung holds 2 entries, keep 1, b is now best
    expect(s.decide('b', 1, 6)).toBe('continue');
    expect(s.decide('c', 1, 5.5)).toBe('stop'); // n = 3, keep 1, b's 6 beats it
  });

  test('a NaN score ranks last', () => {
    const s = asha({ maxEpochs: 9 });
    expect(run(s, [['a', 1, -1e9], ['b', 1, Number.NaN]])).toEqual(['continue', 'stop']);
  });

  test('a NaN score at a rung stops its trial even when it is the first there, and counts at the rung as the worst score', () => {
    const s = asha({ maxEpochs: 9 });
    // n = 2 at rung 1, keep 1: b goes on, since a's NaN, kept as the worst score, does not beat it
    expect(run(s, [['a', 1, Number.NaN], ['b', 1, -1e9]])).toEqual(['stop', 'continue']);
    // between rungs NaN changes nothing: ASHA only decides at rungs
    expect(run(s, [['c', 2, Number.NaN]])).toEqual(['continue']);
  });

  test('bad options are refused with what was wrong', () => {
    expect(() => asha({ maxEpochs: 9, reductionFactor: 1 })).toThrow(/reductionFactor must be a number > 1, got 1/);
    expect(() => asha({ maxEpochs: 9, minEpochs: 0 })).toThrow(/minEpochs must be an integer ≥ 1, got 0/);
    expect(() => asha({ maxEpochs: 1 })).toThrow(/maxEpochs must be an integer above minEpochs \(1\), got 1/);
  });
});
