/**
 * @trainkit/optim-momentum — SGD with momentum and Nesterov momentum, as a fused optimizer and
 * as the chainable `trace` transform.
 * @packageDocumentation
 */
export { momentum, trace } from './momentum';
export type { MomentumHyper, TraceHyper } from './momentum';
