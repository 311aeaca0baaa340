import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { constant, finite, leaf, specOf, valuesOf } from '../__tests__/arbitraries';
import { assertGradients } from '../gradcheck';
import { Tensor } from '../tensor';
import { crossEntropy, mse } from './loss';

const batchAndClasses = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }));

/** Logits [N, C] with integer labels in [0, C). */
const labelCase = batchAndClasses.chain(([n, c]) =>
  fc.tuple(specOf([n, c], finite(-5, 5)), fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n })),
);

/** Logits [N, C] with soft targets: each row a probability vector (positive weights, normalized). */
const softCase = batchAndClasses.chain(([n, c]) =>
  fc.tuple(
    specOf([n, c], finite(-5, 5)),
    valuesOf(n * c, finite(0.01, 1)).map((w) => {
      const p = w.slice();
      for (let r = 0; r < n; r++) {
        const s = p.slice(r * c, (r + 1) * c).reduce((a, b) => a + b, 0);
        for (let k = 0; k < c; k++) p[r * c + k] /= s;
      }
      return { shape: [n, c], values: p };
    }),
  ),
);

const reduction = fc.constantFrom<'mean' | 'sum'>('mean', 'sum');

describe('crossEntropy', () => {
  test.prop([labelCase, reduction])('crossEntropy (integer labels): gradients of the logits match finite differences', ([logits, labels], r) => {
    assertGradients((x) => crossEntropy(x, labels, { reduction: r }), [leaf(logits)]);
  });

  test.prop([softCase, reduction])('crossEntropy (soft probability targets): gradients of the logits match finite differences', ([logits, probs], r) => {
    const target = constant(probs);
    assertGradients((x) => crossEntropy(x, target, { reduction: r }), [leaf(logits)]);
  });

  test.prop([labelCase])('crossEntropy with one-hot soft targets equals crossEntropy with the integer labels', ([logits, labels]) => {
    const [n, c] = logits.shape;
    const oneHot = new Tensor(new Float32Array(n * c), [n, c]);
    labels.forEach((y, r) => (oneHot.data[r * c + y] = 1));
    expect(crossEntropy(constant(logits), oneHot).item()).toBeCloseTo(crossEntropy(constant(logits), labels).item(), 5);
  });

  test.prop([labelCase])('crossEntropy is −mean log softmax(x)[y], computed in float64 from the definition', ([logits, labels]) => {
    const [n, c] = logits.shape;
    const x = logits.values.map(Math.fround);
    let total = 0;
    for (let r = 0; r < n; r++) {
      const row = x.slice(r * c, (r + 1) * c);
      const m = Math.max(...row);
      total += m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[labels[r]];
    }
    expect(crossEntropy(constant(logits), labels).item()).toBeCloseTo(total / n, 5);
  });

  test('crossEntropy hand example: uniform logits over 4 classes give log 4', () => {
    // softmax([0, 0, 0, 0]) = 1/4 each, so −log(1/4) = log 4 ≈ 1.386294
    expect(crossEntropy(new Tensor(new Float32Array(8), [2, 4]), [0, 3]).item()).toBeCloseTo(Math.log(4), 6);
  });

  test('crossEntropy with a label out of range throws a ValueError naming the label, its index and the class count', () => {
    const logits = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => crossEntropy(logits, [0, 3])).toThrow('crossEntropy: label 3 at index 1 is out of range for 3 classes (expected an integer in [0, 2])');
    expect(() => crossEntropy(logits, [-1, 0])).toThrow('crossEntropy: label -1 at index 0 is out of range');
    expect(() => crossEntropy(logits, [0.5, 0])).toThrow('crossEntropy: label 0.5 at index 0 is out of range');
  });

  test('crossEntropy\'s backward uses the labels of its forward call, even when the caller refills the label array before backward', () => {
    const labels = Int32Array.of(0, 2);
    const x = new Tensor(Float32Array.of(1, 2, 3, 3, 2, 1), [2, 3], { requiresGrad: true });
    const loss = crossEntropy(x, labels, { reduction: 'sum' });
    labels.set([1, 1]); // a data loader reusing its label buffer for the next batch
    loss.backward();
    const expected = new Tensor(Float32Array.of(1, 2, 3, 3, 2, 1), [2, 3], { requiresGrad: true });
    crossEntropy(expected, [0, 2], { reduction: 'sum' }).backward();
    expect(Array.from(x.grad ?? [])).toEqual(Array.from(expected.grad ?? []));
  });

  test('crossEntropy with a label count that differs from the batch throws a ShapeError naming both', () => {
    expect(() => crossEntropy(new Tensor(new Float32Array(6), [2, 3]), [0, 1, 2])).toThrow('crossEntropy: 3 labels for a batch of 2 logits');
  });

  test('crossEntropy with soft targets of the wrong shape, or non-2-D logits, throws a ShapeError', () => {
    expect(() => crossEntropy(new Tensor(new Float32Array(6), [2, 3]), new Tensor(new Float32Array(4), [2, 2]))).toThrow(
      'crossEntropy: soft targets [2, 2] must match logits [2, 3]',
    );
    expect(() => crossEntropy(new Tensor(new Float32Array(6), [6]), [0])).toThrow('crossEntropy: logits must be 2-D [batch, classes], got [6]');
  });
});

describe('reduction and soft-target gradients (PyTorch\'s semantics)', () => {
  test.prop([labelCase])("crossEntropy with reduction 'none' gives each sample's loss: their mean is the 'mean' loss, and backward through their sum equals 'sum'", ([logits, labels]) => {
    const rows = crossEntropy(constant(logits), labels, { reduction: 'none' });
    expect(rows.shape).toEqual([logits.shape[0]]);
    expect(rows.toArray().reduce((a, b) => a + b, 0) / logits.shape[0]).toBeCloseTo(crossEntropy(constant(logits), labels).item(), 5);
    assertGradients((x) => crossEntropy(x, labels, { reduction: 'none' }), [leaf(logits)]);
  });

  test.prop([softCase, fc.constantFrom<'mean' | 'sum' | 'none'>('mean', 'sum', 'none')])('crossEntropy: a soft target that requires gradients gets them (−log softmax(x), scaled), matching finite differences', ([logits, probs], r) => {
    assertGradients((x, t) => crossEntropy(x, t, { reduction: r }), [leaf(logits), leaf(probs)]);
  });

  test.prop([fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([n, k]) => fc.tuple(specOf([n, k]), specOf([n, k])))])(
    "mse with reduction 'none' gives each element's squared error, in the prediction's shape, with matching gradients",
    ([p, t]) => {
      const each = mse(constant(p), constant(t), { reduction: 'none' });
      expect(each.shape).toEqual(p.shape);
      each.data.forEach((v, i) => expect(v).toBeCloseTo((Math.fround(p.values[i]) - Math.fround(t.values[i])) ** 2, 4));
      assertGradients((a, b) => mse(a, b, { reduction: 'none' }), [leaf(p), leaf(t)]);
    },
  );

  test('an unknown reduction is a ValueError naming the op (it silently became mean)', () => {
    const x = new Tensor(new Float32Array(4), [2, 2]);
    expect(() => crossEntropy(x, [0, 1], { reduction: 'avg' as never })).toThrow("crossEntropy: reduction must be 'mean', 'sum' or 'none', got \"avg\"");
    expect(() => mse(x, x, { reduction: 'batchmean' as never })).toThrow("mse: reduction must be 'mean', 'sum' or 'none', got \"batchmean\"");
  });
});

describe('mse', () => {
  const pair = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })).chain(([n, k]) => fc.tuple(specOf([n, k]), specOf([n, k])));

  test.prop([pair, reduction])('mse: gradients of prediction and target match finite differences', ([p, t], r) => {
    assertGradients((a, b) => mse(a, b, { reduction: r }), [leaf(p), leaf(t)]);
  });

  test('mse hand example: mean((1 − 0)², (2 − 4)²) = (1 + 4) / 2 = 2.5', () => {
    expect(mse(new Tensor(Float32Array.of(1, 2), [2]), new Tensor(Float32Array.of(0, 4), [2])).item()).toBe(2.5);
  });

  test('mse of different shapes throws a ShapeError naming both', () => {
    expect(() => mse(new Tensor(new Float32Array(6), [2, 3]), new Tensor(new Float32Array(6), [3, 2]))).toThrow(
      'mse: prediction [2, 3] and target [3, 2] differ in shape',
    );
  });
});
