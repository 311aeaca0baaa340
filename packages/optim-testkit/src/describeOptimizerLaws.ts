import { describe, test } from 'vitest';
import { assertLaw } from './assertLaw';
import { type OptimizerLawsConfig, optimizerLaws } from './selection';
import type { OptimizerFactory } from './types';

/**
 * Registers one vitest test per optimizer law, each named for its law, inside
 * `describe('<name> obeys the optimizer laws')`. Each test runs the law as a fast-check property;
 * a failure reports the law, the shrunk counterexample and the seed and path that replay it.
 *
 * General laws (every optimizer): deterministic; finite in → finite out; state save/restore;
 * the gradients are left alone; hyperparameter changes between steps take effect; the first
 * step is linear in lr; zero gradient is a no-op; descent on convex quadratics; parameter groups
 * are independent; NaN/Infinity gradients are rejected. With `elementwise`: permutation
 * equivariance. With weight decay (`hasWeightDecay` or `withDecay`): decay shrinks toward 0.
 * With a `family` (`'momentum'`, `'adam'`, `'adamw'`): that family's closed-form laws. Opt-in:
 * the reference comparisons in {@link LawSelection} and, for optimizers with WebAssembly kernels,
 * `isKernelIndependent`. {@link optimizerLaws} returns the same list without registering tests.
 *
 * @param name the optimizer's name, shown in the test titles
 * @param make makes a fresh optimizer from options, e.g. `(options) => lion(options)`
 * @param config which laws run and how (see {@link OptimizerLawsConfig})
 * @example
 * describeOptimizerLaws('my-org/lion', (options) => lion(options), {
 *   elementwise: true,
 *   hasWeightDecay: true,
 *   options: fc.record({ lr: fc.constantFrom(1e-4, 1e-3), beta1: fc.double({ min: 0, max: 0.99, noNaN: true }) }),
 * });
 */
export function describeOptimizerLaws(name: string, make: OptimizerFactory, config: OptimizerLawsConfig = {}): void {
  const params = { numRuns: 100, ...config.fc };
  describe(`${name} obeys the optimizer laws`, () => {
    for (const law of optimizerLaws(make, config)) test(law.title, () => assertLaw(law.title, law.property(), params, name));
  });
}

export type { LawSelection, OptimizerLawsConfig } from './selection';
