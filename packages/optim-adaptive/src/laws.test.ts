import { describeOptimizerLaws } from '@trainkit/optim-testkit';
import * as fc from 'fast-check';
import { adagrad, rmsprop } from './index';

describeOptimizerLaws('optim-adaptive/adagrad', (o) => adagrad(o), {
  elementwise: true,
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options: fc.record({ lr: fc.constantFrom(1e-3, 1e-2), lrDecay: fc.constantFrom(0, 0.01) }),
  laws: {
    isKernelIndependent: {
      options: fc.record({ lr: fc.constantFrom(0.01, 0.5), lrDecay: fc.constantFrom(0, 0.1), weightDecay: fc.constantFrom(0, 0.01), initialAccumulatorValue: fc.constantFrom(0, 0.1), eps: fc.constantFrom(1e-10, 1e-3) }),
    },
  },
});

describeOptimizerLaws('optim-adaptive/rmsprop', (o) => rmsprop(o), {
  elementwise: true,
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options: fc.record({ lr: fc.constantFrom(1e-3, 1e-2), centered: fc.boolean(), momentum: fc.constantFrom(0, 0.9) }),
  laws: {
    isKernelIndependent: {
      options: fc.record({ lr: fc.constantFrom(0.01, 1e-3), alpha: fc.constantFrom(0.99, 0.5), eps: fc.constantFrom(1e-8, 1e-3), weightDecay: fc.constantFrom(0, 0.01), momentum: fc.constantFrom(0, 0.9), centered: fc.boolean() }),
    },
  },
});
