/**
 * @trainkit/optim-adam — Adam, AdamW and AMSGrad as fused optimizers, and Adam's scaling as
 * the chainable `scaleByAdam` transform.
 * @packageDocumentation
 */
export { adam, adamw, scaleByAdam } from './adam';
export type { AdamHyper, ScaleByAdamHyper } from './adam';
