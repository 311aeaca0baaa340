import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Tensor, softmax } from '@trainkit/tensor';
import { EnsembleError, VOTE_SMOOTHING, combine, predictedClasses } from './index';

/** Finite logits, bounded so softmax stays well inside float range. */
const logit = fc.double({ noNaN: true, noDefaultInfinity: true, min: -20, max: 20 });
/** [samples, classes] logits of `members` members. */
const outputs = (members: fc.Arbitrary<number> = fc.integer({ min: 1, max: 5 })) =>
  fc.tuple(members, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 6 })).chain(([m, n, c]) =>
    fc.array(fc.array(logit, { minLength: n * c, maxLength: n * c }), { minLength: m, maxLength: m }).map((rows) => rows.map((r) => new Tensor(Float32Array.from(r), [n, c]))),
  );
/** Rows whose two largest values are at least `margin` apart (a sum in another order cannot swap them). */
const clearRows = (t: Tensor, margin = 1e-3) => {
  const [n, c] = t.shape;
  return Array.from({ length: n }, (_, r) => {
    const row = [...t.data.subarray(r * c, (r + 1) * c)].sort((a, b) => b - a);
    return row[0] - row[1] >= margin;
  });
};
const samePredictionsWhereClear = (a: Tensor, b: Tensor) => {
  const pa = predictedClasses(a);
  const pb = predictedClasses(b);
  clearRows(a).forEach((clear, r) => clear && expect(pb[r]).toBe(pa[r]));
};
const rowSums = (t: Tensor) => {
  const [n, c] = t.shape;
  return Array.from({ length: n }, (_, r) => t.data.subarray(r * c, (r + 1) * c).reduce((a, b) => a + b, 0));
};

describe('combine: laws', () => {
  test.prop([outputs(fc.constant(1)), fc.integer({ min: 1, max: 6 })])('averaging identical members gives the single member (probabilities)', ([single], copies) => {
    const out = combine(Array.from({ length: copies }, () => single));
    const expected = softmax(single).data;
    softmax(out).data.forEach((p, i) => expect(p).toBeCloseTo(expected[i], 6));
  });

  test.prop([outputs(fc.constant(1)), fc.integer({ min: 1, max: 6 })])('averaging identical members gives the single member (logits, and the vote picks its class)', ([single], copies) => {
    const many = Array.from({ length: copies }, () => single);
    combine(many, { method: 'logits' }).data.forEach((z, i) => expect(z).toBeCloseTo(single.data[i], 5));
    expect(predictedClasses(combine(many, { method: 'vote' }))).toEqual(predictedClasses(single));
  });

  test.prop([outputs()])("the ensemble's averaged probabilities sum to 1 in every row (every method)", (outs) => {
    for (const method of ['probs', 'logits', 'vote'] as const) for (const s of rowSums(softmax(combine(outs, { method })))) expect(s).toBeCloseTo(1, 5);
  });

  test.prop([outputs()])('averaged probabilities are the mean of the members’ softmax outputs', (outs) => {
    const mean = new Float64Array(outs[0].size);
    for (const o of outs) softmax(o).data.forEach((p, i) => (mean[i] += p / outs.length));
    softmax(combine(outs)).data.forEach((p, i) => expect(p).toBeCloseTo(mean[i], 5));
  });

  test.prop([outputs(fc.integer({ min: 2, max: 5 })), fc.integer({ min: 0, max: 1000 })])('the result does not depend on the order of the members (vote decisions, ties included, exactly)', (outs, k) => {
    const rotated = [...outs.slice(k % outs.length), ...outs.slice(0, k % outs.length)];
    for (const method of ['probs', 'logits', 'vote'] as const) {
      const a = combine(outs, { method });
      const b = combine(rotated, { method });
      if (method === 'vote') expect(predictedClasses(b)).toEqual(predictedClasses(a)); // decisions are exact, ties included
      else samePredictionsWhereClear(a, b);
      b.data.forEach((v, i) => expect(v).toBeCloseTo(a.data[i], 5));
    }
  });

  test.prop([outputs(fc.integer({ min: 2, max: 4 })), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 4, maxLength: 4 })])('an integer weight w is the same as w copies of the member', (outs, counts) => {
    const weights = outs.map((_, i) => counts[i]);
    const copies = outs.flatMap((o, i) => Array.from({ length: counts[i] }, () => o));
    for (const method of ['probs', 'logits', 'vote'] as const) {
      const weighted = combine(outs, { method, weights });
      const copied = combine(copies, { method });
      weighted.data.forEach((v, i) => expect(v).toBeCloseTo(copied.data[i], 5));
      if (method === 'vote') expect(predictedClasses(weighted)).toEqual(predictedClasses(copied));
      else samePredictionsWhereClear(weighted, copied);
    }
  });
});

describe('combine: majority vote', () => {
  // two samples, three classes; rows are logits
  const m = (...rows: number[][]) => new Tensor(Float32Array.from(rows.flat()), [rows.length, 3]);

  test('the class with the most votes wins even against a confident minority', () => {
    const out = combine([m([0, 1, 0]), m([0, 1, 0]), m([9, 0, 0])], { method: 'vote' });
    expect(predictedClasses(out)).toEqual(Int32Array.of(1));
    // shares 1/3, 2/3, 0, smoothed: softmax(out) = (votes + ε·[1, 2, 1]) / (1 + 4ε)
    const p = softmax(out).data;
    const total = 1 + 4 * VOTE_SMOOTHING;
    expect(p[0]).toBeCloseTo((1 / 3 + VOTE_SMOOTHING) / total, 7);
    expect(p[1]).toBeCloseTo((2 / 3 + 2 * VOTE_SMOOTHING) / total, 7);
  });

  test('a tie goes to the class with the higher mean probability', () => {
    // one vote each for class 0 and class 2; member B is more sure of class 2 than A of class 0
    const out = combine([m([1, 0, 0.9]), m([0, 0, 3])], { method: 'vote' });
    expect(predictedClasses(out)).toEqual(Int32Array.of(2));
  });

  test('a tie with equal mean probabilities goes to the lower class index, in any member order', () => {
    const a = m([2, 0, 0]);
    const b = m([0, 0, 2]);
    expect(predictedClasses(combine([a, b], { method: 'vote' }))).toEqual(Int32Array.of(0));
    expect(predictedClasses(combine([b, a], { method: 'vote' }))).toEqual(Int32Array.of(0));
  });

  test('weights decide a vote: one member with weight 3 outvotes two with weight 1', () => {
    expect(predictedClasses(combine([m([5, 0, 0]), m([0, 5, 0]), m([0, 5, 0])], { method: 'vote', weights: [3, 1, 1] }))).toEqual(Int32Array.of(0));
  });
});

describe('combine: vote ties (property)', () => {
  /** Members whose logits are small integers: votes tie often, and so do mean probabilities. */
  const tieProne = fc.tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 4 })).chain(([m, c]) =>
    fc.tuple(fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: c, maxLength: c }), { minLength: m, maxLength: m }), fc.nat()),
  );

  test.prop([tieProne])('a tie is broken the same way in any member order: most votes, then highest mean probability, then lowest class', ([rows, k]) => {
    const c = rows[0].length;
    const outs = rows.map((r) => new Tensor(Float32Array.from(r), [1, c]));
    const votes = new Array<number>(c).fill(0);
    const meanProb = new Array<number>(c).fill(0);
    for (const o of outs) {
      votes[predictedClasses(o)[0]]++;
      softmax(o).data.forEach((p, j) => (meanProb[j] += p / outs.length));
    }
    // the expected winner, by the rule stated in the docs
    let expected = 0;
    for (let j = 1; j < c; j++) {
      const dv = votes[j] - votes[expected];
      const dp = meanProb[j] - meanProb[expected];
      if (dv > 0 || (dv === 0 && dp > 1e-9)) expected = j;
    }
    const shift = k % outs.length;
    for (const order of [outs, [...outs.slice(shift), ...outs.slice(0, shift)], [...outs].reverse()]) {
      expect(predictedClasses(combine(order, { method: 'vote' }))[0]).toBe(expected);
    }
  });
});

describe('combine: errors name the member and the fix', () => {
  const a = new Tensor(new Float32Array(6), [2, 3]);
  test('members with different output shapes', () => {
    expect(() => combine([a, new Tensor(new Float32Array(8), [2, 4])])).toThrow(/member 1 output has shape \[2, 4\] but member 0's has \[2, 3\]/);
  });
  test('no members, bad weights, bad method', () => {
    expect(() => combine([])).toThrow(EnsembleError);
    expect(() => combine([a, a], { weights: [1] })).toThrow(/one entry per member \(2\), got 1/);
    expect(() => combine([a, a], { weights: [1, -1] })).toThrow(/weight 1 must be a finite number ≥ 0, got -1/);
    expect(() => combine([a, a], { weights: [0, 0] })).toThrow(/sum to 0/);
    expect(() => combine([a], { method: 'median' as never })).toThrow(/'probs', 'logits' or 'vote', got "median"/);
  });
  test.each(['vote', 'probs', 'logits'] as const)('a member with a NaN or +∞ output (diverged) is refused by %s, naming the member, sample and class; −∞ (a masked class) is accepted', (method) => {
    const good = new Tensor(Float32Array.of(2, 1, 0, 0, 1, 2), [2, 3]);
    const nan = new Tensor(Float32Array.of(0, 0, 0, 1, Number.NaN, 0), [2, 3]);
    expect(() => combine([nan, nan, good], { method })).toThrow(/combine: member 0 output is NaN at sample 1, class 1; a member with non-finite outputs has diverged/);
    expect(() => combine([good, new Tensor(Float32Array.of(Infinity, 0, 0, 0, 0, 0), [2, 3])], { method })).toThrow(/member 1 output is Infinity at sample 0, class 0/);
    expect(Array.from(combine([good, new Tensor(Float32Array.of(-Infinity, 1, 0, 0, 1, 2), [2, 3])], { method }).data).some(Number.isNaN)).toBe(false);
  });

  test('a zero weight leaves a member out', () => {
    const b = new Tensor(Float32Array.of(9, 0, 0, 0, 9, 0), [2, 3]);
    expect(Array.from(combine([a, b], { weights: [1, 0] }).data)).toEqual(Array.from(combine([a]).data));
  });
});
