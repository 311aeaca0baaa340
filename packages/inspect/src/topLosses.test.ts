import { Linear, Module, Sequential, Flatten } from '@trainkit/nn';
import { Tensor, crossEntropy } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { InspectError, topLosses } from './index';

/** A fixed linear classifier on 1×1×2 "images": logits = [x0, x1, 0]. */
function fixedModel(): Sequential {
  const fc = new Linear(2, 3);
  fc.weight.data.set([1, 0, 0, 1, 0, 0]);
  fc.bias!.data.fill(0);
  return new Sequential({ flatten: new Flatten(), fc });
}

const x = new Tensor(Float32Array.of(3, 0, 0, 3, 1, 1, 0, 0, 5, -5), [5, 1, 1, 2]);
const y = [0, 0, 2, 1, 1];

describe('topLosses', () => {
  const model = fixedModel();

  test('finds the k largest cross-entropies, largest first, each equal to crossEntropy of that example alone', () => {
    const { examples } = topLosses(model, { x, y }, 3, { batchSize: 2 });
    const alone = y.map((label, i) => crossEntropy(model.call(new Tensor(x.data.slice(2 * i, 2 * i + 2), [1, 1, 1, 2])), [label]).item());
    const order = alone.map((l, i) => [l, i]).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
    expect(examples.map((e) => e.index)).toEqual(order.slice(0, 3));
    for (const e of examples) expect(e.loss).toBeCloseTo(alone[e.index], 5);
  });

  test('reports the label, prediction, both probabilities and the image of each example', () => {
    const worst = topLosses(model, { x, y }, 1).examples[0];
    // example 4: logits [5, −5, 0], label 1 → predicted 0 with p = e⁵ / (e⁵ + e⁻⁵ + 1)
    expect(worst).toMatchObject({ index: 4, label: 1, prediction: 0 });
    const z = Math.exp(5) + Math.exp(-5) + 1;
    expect(worst.probability).toBeCloseTo(Math.exp(5) / z, 5);
    expect(worst.labelProbability).toBeCloseTo(Math.exp(-5) / z, 5);
    expect(worst.image.shape).toEqual([1, 1, 2]);
    expect(Array.from(worst.image.data)).toEqual([5, -5]);
  });

  test('takes a dataset with gather, and captions the grid with class names', () => {
    const dataset = { length: 5, gather: (idx: ArrayLike<number>) => ({ x: new Tensor(Float32Array.from(Array.from(idx).flatMap((i) => [x.data[2 * i], x.data[2 * i + 1]])), [idx.length, 1, 1, 2]), y: Array.from(idx, (i) => y[i]) }) };
    const { examples, svg } = topLosses(model, dataset, 2, { classNames: ['cat', 'dog', 'eel'] });
    expect(examples.map((e) => e.index)).toEqual(topLosses(model, { x, y }, 2).examples.map((e) => e.index));
    expect(svg).toContain('dog → cat (0.99)');
  });

  test('an example with a NaN loss ranks first (worst), and infinite losses tie in the data order', () => {
    // logits [x0, x1, 0] with label 0: losses ≈ 0.05, NaN, 3.05, +∞, 5.0, +∞
    const data = new Tensor(Float32Array.of(3, 0, Number.NaN, 0, 0, 3, -Infinity, 0, 0, 5, -Infinity, 1), [6, 1, 1, 2]);
    const { examples } = topLosses(model, { x: data, y: [0, 0, 0, 0, 0, 0] }, 6);
    expect(examples.map((e) => e.index)).toEqual([1, 3, 5, 4, 2, 0]);
    expect(topLosses(model, { x: data, y: [0, 0, 0, 0, 0, 0] }, 1).examples[0].index).toBe(1);
  });

  test('k above the number of examples gives them all', () => {
    expect(topLosses(model, { x, y }, 50).examples).toHaveLength(5);
  });

  test('bad k, a label outside the outputs, or mismatched labels are clear errors', () => {
    expect(() => topLosses(model, { x, y }, 0)).toThrow(/k must be a positive integer, got 0/);
    expect(() => topLosses(model, { x, y: [0, 0, 2, 1, 3] }, 1)).toThrow(InspectError);
    expect(() => topLosses(model, { x, y: [0, 0, 2, 1, 3] }, 1)).toThrow(/label 3 of example 4 is out of range for a model with 3 outputs/);
    expect(() => topLosses(model, { x, y: [0] }, 1)).toThrow(/1 labels for 5 examples/);
  });

  test('restores the training mode', () => {
    const m: Module = fixedModel().train();
    topLosses(m, { x, y }, 1);
    expect(m.training).toBe(true);
  });
});
