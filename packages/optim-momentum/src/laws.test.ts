import { sgd } from '@trainkit/core';
import { describeOptimizerLaws } from '@trainkit/optim-testkit';
import * as fc from 'fast-check';
import { momentum } from './index';

describeOptimizerLaws('optim-momentum/momentum', (o) => momentum(o), {
  elementwise: true,
  family: 'momentum',
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options: fc.record({ lr: fc.constantFrom(1e-3, 1e-2), momentum: fc.constantFrom(0, 0.5, 0.9), nesterov: fc.boolean() }).map((o) => (o.momentum === 0 ? { ...o, nesterov: false } : o)),
  laws: {
    momentumZeroEqualsSgd: { sgd },
    nesterovFirstStepScalesSgd: { sgd },
    // every branch of the fused kernel: the default fast path, dampening, Nesterov, weight decay
    isKernelIndependent: {
      options: fc.oneof(
        fc.record({ lr: fc.constantFrom(0.01, 0.1), momentum: fc.constantFrom(0, 0.9), dampening: fc.constantFrom(0, 0.5), weightDecay: fc.constantFrom(0, 1e-2) }),
        fc.record({ lr: fc.constantFrom(0.01, 0.1), momentum: fc.constantFrom(0.5, 0.9), nesterov: fc.constant(true), weightDecay: fc.constantFrom(0, 1e-2) }),
      ),
    },
  },
});
