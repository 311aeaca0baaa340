// The kit run the way a third party runs it: against core's sgd and against small reference
// optimizers, with the kind-specific laws switched on where they apply.
import { sgd } from '@trainkit/core';
import * as fc from 'fast-check';
import { toyAdam, toyAdamw, toyMomentum } from './__tests__/toys';
import { describeOptimizerLaws } from './index';

describeOptimizerLaws('core/sgd', sgd, {
  elementwise: true,
  hasWeightDecay: true,
  options: fc.record({ lr: fc.constantFrom(1e-3, 0.01, 0.1), weightDecay: fc.constantFrom(0, 1e-2) }),
});

describeOptimizerLaws('toy/momentum', toyMomentum, {
  elementwise: true,
  hasWeightDecay: true,
  options: fc.record({ lr: fc.constantFrom(1e-3, 0.01), momentum: fc.double({ min: 0, max: 0.99, noNaN: true }), dampening: fc.constantFrom(0, 0.5) }),
  laws: { momentumZeroEqualsSgd: { sgd }, nesterovFirstStepScalesSgd: { sgd } },
});

describeOptimizerLaws('toy/adam', toyAdam, {
  elementwise: true,
  hasWeightDecay: true,
  laws: { adamFirstStepIsLrSign: true, adamIsGradientScaleInvariant: true },
});

describeOptimizerLaws('toy/adamw', toyAdamw, {
  elementwise: true,
  hasWeightDecay: true,
  fc: { numRuns: 50 },
  laws: { adamwZeroDecayEqualsAdam: { adam: toyAdam }, adamFirstStepIsLrSign: true },
});
