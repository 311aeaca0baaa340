import { sgd } from '@trainkit/core';
import { describeOptimizerLaws } from '@trainkit/optim-testkit';
import * as fc from 'fast-check';
import { momentum } from './index';

describeOptimizerLaws('optim-momentum/momentum', (o) => momentum(o), {
  elementwise: true,
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options: fc.record({ lr: fc.constantFrom(1e-3, 1e-2), momentum: fc.constantFrom(0, 0.5, 0.9), nesterov: fc.boolean() }).map((o) => (o.momentum === 0 ? { ...o, nesterov: false } : o)),
  laws: { momentumZeroEqualsSgd: { sgd }, nesterovFirstStepScalesSgd: { sgd } },
});
