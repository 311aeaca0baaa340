// signSGD with momentum ("signum", Bernstein et al., 2018), written with core's defineOptimizer.
import { defineOptimizer } from '@trainkit/core';

// #region define
/**
 * signSGD with momentum: m ← β·m + (1 − β)·g;  p ← p − lr·sign(m).
 * Every coordinate moves by exactly lr, whatever the gradient's scale.
 */
export const signum = defineOptimizer({
  name: 'docs-example/signum', // a stable registry name: checkpoints record it
  defaults: { lr: 1e-3, beta: 0.9 },
  slots: ['m'], // zero-filled, one per parameter, saved and restored with the optimizer state
  validate: (h) => (h.beta < 0 || h.beta >= 1 ? `beta must be in [0, 1), got ${h.beta}` : undefined),
  update({ value, grad, slots, hyper }) {
    const { lr, beta } = hyper;
    const m = slots.m;
    for (let i = 0; i < value.length; i++) {
      m[i] = beta * m[i] + (1 - beta) * grad[i];
      value[i] -= lr * Math.sign(m[i]);
    }
  },
});
// #endregion define
