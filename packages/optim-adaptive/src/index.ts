/**
 * @trainkit/optim-adaptive — AdaGrad and RMSProp as fused optimizers and as chainable
 * transforms (`scaleByAdagrad`, `scaleByRms`).
 * @packageDocumentation
 */
export { adagrad, scaleByAdagrad } from './adagrad';
export { rmsprop, scaleByRms } from './rmsprop';
export type { AdagradHyper, ScaleByAdagradHyper } from './adagrad';
export type { RmspropHyper, ScaleByRmsHyper } from './rmsprop';
