import { describeOptimizerLaws } from '@trainkit/optim-testkit';
import * as fc from 'fast-check';
import { adam, adamw } from './index';

const options = fc.record({ lr: fc.constantFrom(1e-3, 1e-2), beta1: fc.constantFrom(0.8, 0.9), amsgrad: fc.boolean() });
/** Every branch of the fused kernel: decay (coupled for Adam, decoupled for AdamW), AMSGrad, eps, β2. */
const kernelOptions = fc.record({
  lr: fc.constantFrom(1e-3, 0.1),
  beta1: fc.constantFrom(0.9, 0.5),
  beta2: fc.constantFrom(0.999, 0.9),
  eps: fc.constantFrom(1e-8, 1e-3),
  weightDecay: fc.constantFrom(0, 0.01),
  amsgrad: fc.boolean(),
});

describeOptimizerLaws('optim-adam/adam', (o) => adam(o), {
  elementwise: true,
  family: 'adam',
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options,
  laws: { adamFirstStepIsLrSign: true, adamIsGradientScaleInvariant: true, isKernelIndependent: { options: kernelOptions } },
});

describeOptimizerLaws('optim-adam/adamw', (o) => adamw(o), {
  elementwise: true,
  family: 'adamw',
  hasWeightDecay: true,
  fc: { numRuns: 40 },
  options,
  laws: { adamwZeroDecayEqualsAdam: { adam }, isKernelIndependent: { options: kernelOptions } },
});
