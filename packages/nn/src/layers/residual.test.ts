import { Rng, ShapeError, Tensor, ValueError, add, assertGradients, shapeSize, type Shape } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { Module } from '../module';
import { BatchNorm2d } from './batchnorm';
import { Conv2d } from './conv2d';
import { Linear } from './linear';
import { Residual } from './residual';
import { Sequential } from './sequential';

function randn(shape: Shape, seed: number, requiresGrad = false): Tensor {
  return new Tensor(new Rng(seed).fillNormal(new Float32Array(shapeSize(shape))), shape, { requiresGrad });
}

describe('Residual', () => {
  test('with no shortcut computes body(x) + x', () => {
    const body = new Linear(3, 3, { rng: new Rng(0) });
    const x = randn([2, 3], 1);
    expect(new Residual(body).call(x).toArray()).toEqual(add(body.call(x), x).toArray());
  });

  test('with a shortcut computes body(x) + shortcut(x), parameters named body.* and shortcut.*', () => {
    const r = new Residual(
      new Sequential(new Conv2d(2, 4, 3, { stride: 2, padding: 1, rng: new Rng(0) }), new BatchNorm2d(4)),
      new Sequential(new Conv2d(2, 4, 1, { stride: 2, bias: false, rng: new Rng(1) }), new BatchNorm2d(4)),
    );
    expect(r.call(randn([2, 2, 6, 6], 2)).shape).toEqual([2, 4, 3, 3]);
    expect(Object.keys(r.stateDict())).toEqual([
      'body.0.weight', 'body.0.bias', 'body.1.weight', 'body.1.bias', 'body.1.running_mean', 'body.1.running_var', 'body.1.num_batches_tracked',
      'shortcut.0.weight', 'shortcut.1.weight', 'shortcut.1.bias', 'shortcut.1.running_mean', 'shortcut.1.running_var', 'shortcut.1.num_batches_tracked',
    ]);
  });

  test('Residual: the input gradient matches finite differences (the skip adds the identity to the body\'s Jacobian)', () => {
    const r = new Residual(new Linear(3, 3, { rng: new Rng(0) }));
    assertGradients((x) => r.call(x), [randn([2, 3], 1, true)]);
  });

  test('a body that changes the shape without a shortcut is a ShapeError naming Residual, both shapes and the fix', () => {
    const r = new Residual(new Linear(3, 4, { rng: new Rng(0) }));
    expect(() => r.call(randn([2, 3], 1))).toThrow(ShapeError);
    expect(() => r.call(randn([2, 3], 1))).toThrow(
      'Residual: the body\'s output is [2, 4] but the input (identity shortcut) is [2, 3]; they must match to be added (give Residual a shortcut',
    );
  });

  test('a shortcut whose output differs from the body\'s is a ShapeError naming both', () => {
    const r = new Residual(new Linear(3, 4, { rng: new Rng(0) }), new Linear(3, 5, { rng: new Rng(1) }));
    expect(() => r.call(randn([2, 3], 1))).toThrow('Residual: the body\'s output is [2, 4] but the shortcut\'s output is [2, 5]; they must match to be added');
  });

  test('a body that is not a Module is a ValueError', () => {
    expect(() => new Residual({} as Module)).toThrow(ValueError);
  });
});
