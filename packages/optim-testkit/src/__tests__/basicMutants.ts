// More deliberately wrong optimizers (see mutants.ts): nondeterminism, NaNs, order dependence,
// the wrong direction, coupled parameters.
import { chain, clipByGlobalNorm, defineOptimizer, scaleByLearningRate } from '@trainkit/core';

/** Adds a little noise to every step. */
export const noisy = defineOptimizer({
  name: 'mutant/noisy',
  defaults: { lr: 0.01 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * grad[i] * (1 + 1e-3 * Math.random());
  },
});

/** Normalizes the gradient by its magnitude: 0/0 is NaN on a zero gradient. */
export const nansOnZeroGradient = defineOptimizer({
  name: 'mutant/normalized',
  defaults: { lr: 0.01 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= (hyper.lr * grad[i]) / Math.abs(grad[i]);
  },
});

/** Scales later elements more (an index leaks into the update). */
export const positional = defineOptimizer({
  name: 'mutant/positional',
  defaults: { lr: 0.01 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] -= hyper.lr * grad[i] * (1 + i / 8);
  },
});

/** Steps uphill (the sign flipped). */
export const ascends = defineOptimizer({
  name: 'mutant/ascends',
  defaults: { lr: 0.01 },
  update({ value, grad, hyper }) {
    for (let i = 0; i < value.length; i++) value[i] += hyper.lr * grad[i];
  },
});

/** Clips by the global norm, coupling parameters: correct, but it must opt out of groupsAreIndependent. */
export const clippedSgd = chain('toy/clipped-sgd', clipByGlobalNorm({ maxNorm: 1 }), scaleByLearningRate({ lr: 0.01 }));
