/**
 * @trainkit/reg-penalty — "add a term to the loss" regularizers: L2, L1 and elastic net,
 * as a plugin on the loss hook, weights only by default.
 * @packageDocumentation
 */
export { penalty, l2Penalty, l1Penalty, elasticNet, weightsOnly } from './penalty';
export type { PenaltyOptions, ParamFilter } from './penalty';
