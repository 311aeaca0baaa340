import { describeOptimizerLaws } from '@trainkit/optim-testkit';
import * as fc from 'fast-check';
import { adam, adamw } from './index';

const options = fc.record({ lr: fc.constantFrom(1e-3, 1e-2), beta1: fc.constantFrom(0.8, 0.9), amsgrad: fc.boolean() });

describeOptimizerLaws('optim-adam/adam', (o) => adam(o), {
  elementwise: true,
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options,
  laws: { adamFirstStepIsLrSign: true, adamIsGradientScaleInvariant: true },
});

describeOptimizerLaws('optim-adam/adamw', (o) => adamw(o), {
  elementwise: true,
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options,
  laws: { adamwZeroDecayEqualsAdam: { adam } },
});
