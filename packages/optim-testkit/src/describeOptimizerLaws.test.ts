// The kit run the way a third party runs it: against core's sgd and against small correct
// optimizers declaring their family, so every general and family law must hold for them.
import { sgd } from '@trainkit/core';
import * as fc from 'fast-check';
import { float64Momentum, toyAdam, toyAdamw, toyMomentum } from './__tests__/toys';
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
  family: 'momentum',
});

// the documented way to test an implementation that computes in float64 (README: exactness contract)
describeOptimizerLaws('toy/float64-momentum', float64Momentum, {
  elementwise: true,
  hasWeightDecay: true,
  family: 'momentum',
  tolerance: { ulps: 4 },
});

describeOptimizerLaws('toy/adam', toyAdam, {
  elementwise: true,
  hasWeightDecay: true,
  family: 'adam',
});

describeOptimizerLaws('toy/adamw', toyAdamw, {
  elementwise: true,
  hasWeightDecay: true,
  fc: { numRuns: 50 },
  family: 'adamw',
  laws: { adamwZeroDecayEqualsAdam: { adam: toyAdam } },
});
