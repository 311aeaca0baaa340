import { fc, test } from '@fast-check/vitest';
import { ShapeError, Tensor, ValueError } from '@trainkit/tensor';
import { describe, expect } from 'vitest';
import { indexDataset, sampleIds } from './__tests__/indexDataset';
import { TensorDataset } from './dataset';

describe('TensorDataset', () => {
  test.prop([fc.integer({ min: 1, max: 30 }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 })])(
    'gather(indices) returns rows indices[i] in order, x shaped [indices.length, ...sampleShape], y the matching labels',
    (n, sampleShape) => {
      const ds = indexDataset(n, sampleShape);
      const indices = Array.from({ length: 7 }, (_, i) => (i * 5) % n); // may repeat
      const { x, y } = ds.gather(indices);
      expect(x.shape).toEqual([indices.length, ...sampleShape]);
      expect(sampleIds(x)).toEqual(indices);
      expect(Array.from(y)).toEqual(indices.map((i) => i % 3));
    },
  );

  test('a gathered batch is a copy: writing to it leaves the dataset unchanged', () => {
    const ds = indexDataset(3);
    ds.gather([1]).x.data.fill(-1);
    expect(Array.from(ds.gather([1]).x.data)).toEqual([1, 1]);
  });

  test('gather([]) is an empty batch of shape [0, ...sampleShape]', () => {
    expect(indexDataset(2, [1, 2]).gather([]).x.shape).toEqual([0, 1, 2]);
  });

  test('a Tensor x gives the sample shape from its trailing dimensions', () => {
    const ds = new TensorDataset({ x: new Tensor(new Float32Array(12), [2, 3, 2]), y: Int32Array.of(0, 1) });
    expect(ds.sampleShape).toEqual([3, 2]);
    expect(ds.length).toBe(2);
    expect(ds.numClasses).toBeUndefined();
  });

  test('gather rejects indices out of range or not integers', () => {
    const ds = indexDataset(3);
    expect(() => ds.gather([3])).toThrow(new ValueError('TensorDataset.gather: index 3 is out of range for a dataset of length 3'));
    expect(() => ds.gather([-1])).toThrow(/index -1 is out of range/);
    expect(() => ds.gather([0.5])).toThrow(/index 0.5 is out of range/);
  });

  test('the constructor names what is wrong', () => {
    const x = new Float32Array(6);
    expect(() => new TensorDataset({ x, y: Int32Array.of(0, 1), sampleShape: [2] })).toThrow(
      new ShapeError('TensorDataset: x has 6 values but 2 labels × sampleShape [2] need 4'),
    );
    expect(() => new TensorDataset({ x, y: Int32Array.of(0, 1, 2) })).toThrow('sampleShape is required when x is a flat Float32Array');
    expect(() => new TensorDataset({ x, y: Int32Array.of(0, 1, 2), sampleShape: [0, 2] })).toThrow('must contain positive integers');
    expect(() => new TensorDataset({ x, y: Int32Array.of(0, 1, 2), sampleShape: [2], numClasses: 2 })).toThrow(
      new ValueError('TensorDataset: label 2 at index 2 must be in [0, 2)'),
    );
    expect(() => new TensorDataset({ x, y: Int32Array.of(0, -1, 2), sampleShape: [2] })).toThrow('label -1 at index 1 must be non-negative');
    expect(() => new TensorDataset({ x, y: Int32Array.of(0, 1, 2), sampleShape: [2], numClasses: 0 })).toThrow('numClasses must be a positive integer, got 0');
    expect(() => new TensorDataset({ x, y: [0, 1, 2] as unknown as Int32Array, sampleShape: [2] })).toThrow('y must be an Int32Array');
    const t = new Tensor(new Float32Array(6), [3, 2]);
    expect(() => new TensorDataset({ x: t, y: Int32Array.of(0, 1, 2), sampleShape: [3] })).toThrow('sampleShape [3] does not match x.shape [3, 2]');
  });

  test('a sampleShape that is a number instead of an array is named, not a TypeError about iterables', () => {
    const x = new Float32Array(6);
    expect(() => new TensorDataset({ x, y: Int32Array.of(0, 1, 2), sampleShape: 2 as unknown as number[] })).toThrow(
      new ShapeError('TensorDataset: sampleShape must be an array of positive integers (e.g. [1, 28, 28]), got 2'),
    );
  });
});
