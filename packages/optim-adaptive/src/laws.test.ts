import { describeOptimizerLaws } from '@trainkit/optim-testkit';
import * as fc from 'fast-check';
import { adagrad, rmsprop } from './index';

describeOptimizerLaws('optim-adaptive/adagrad', (o) => adagrad(o), {
  elementwise: true,
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options: fc.record({ lr: fc.constantFrom(1e-3, 1e-2), lrDecay: fc.constantFrom(0, 0.01) }),
});

describeOptimizerLaws('optim-adaptive/rmsprop', (o) => rmsprop(o), {
  elementwise: true,
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options: fc.record({ lr: fc.constantFrom(1e-3, 1e-2), centered: fc.boolean(), momentum: fc.constantFrom(0, 0.9) }),
});
