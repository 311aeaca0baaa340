import { defineOptimizer } from '@trainkit/core';
import { assertLaw, describeOptimizerLaws, matchesReference, trajectory } from '@trainkit/optim-testkit';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { lion } from './index.js';

describe('lion', () => {
  test('two steps by hand: every coordinate moves by lr·sign(c), decay is decoupled', () => {
    // Arrange: lr 0.1, β1 0.9, β2 0.99, weightDecay 0.5, p = [1, −2], m = 0
    const options = { lr: 0.1, weightDecay: 0.5 };
    // Act
    const [first, second] = trajectory(lion, options, [[1, -2]], [[[3, -0.5]], [[-1, 0]]]);
    // Assert
    // step 1: c = 0.1·g = [0.3, −0.05] → sign [1, −1]; p −= 0.1·([1, −1] + 0.5·[1, −2]) → [0.85, −1.8]
    //         m = 0.01·g = [0.03, −0.005]
    expect([...first[0]]).toEqual([0.85, -1.8].map(Math.fround));
    // step 2: c = 0.9·m + 0.1·g = [0.027 − 0.1, −0.0045] → sign [−1, −1]
    //         p −= 0.1·([−1, −1] + 0.5·[0.85, −1.8]) → [0.85 + 0.0575, −1.8 + 0.19]
    expect(second[0][0]).toBeCloseTo(0.9075, 6);
    expect(second[0][1]).toBeCloseTo(-1.61, 6);
  });

  test('rejects β outside [0, 1) with the optimizer name and the value', () => {
    expect(() => lion({ beta2: 1 })).toThrow('optim-lion/lion: beta2 must be in [0, 1), got 1');
  });

  test('with β1 = β2 = 0 and no decay it is signSGD (p ← p − lr·sign(g))', () => {
    const signSgd = defineOptimizer({
      name: 'test/sign-sgd',
      defaults: { lr: 0.01 },
      update({ value, grad, hyper }) {
        const lr = Math.fround(hyper.lr); // the chain's update buffer holds lr·sign(g) as float32
        for (let i = 0; i < value.length; i++) value[i] -= lr * Math.sign(grad[i]);
      },
    });
    const law = matchesReference(lion, signSgd, { options: { lr: 0.01 }, extra: { beta1: 0, beta2: 0 } });
    assertLaw('lion with β1 = β2 = 0 is signSGD', law);
  });
});

describeOptimizerLaws('optim-lion/lion', (options) => lion(options), {
  elementwise: true,
  hasWeightDecay: true,
  options: fc.record({
    lr: fc.constantFrom(1e-4, 1e-3, 1e-2),
    beta1: fc.double({ min: 0, max: 0.99, noNaN: true }),
    beta2: fc.double({ min: 0, max: 0.999, noNaN: true }),
    weightDecay: fc.constantFrom(0, 0.1),
  }),
});
