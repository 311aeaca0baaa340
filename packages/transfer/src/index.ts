/**
 * @trainkit/transfer — transfer learning: load pretrained weights into a model with a different
 * head (with a report, strict by default), replace the head, freeze and unfreeze by name
 * pattern (frozen BatchNorm stays in eval mode), staged unfreezing; per-group learning rates
 * come from the optimizer's parameter groups. Runs in Node and in browsers.
 * @packageDocumentation
 */
export { loadPretrained } from './loadPretrained';
export { replaceHead } from './replaceHead';
export { stagedUnfreeze } from './stagedUnfreeze';
export { freeze, unfreeze } from '@trainkit/core';
export { TransferError } from './errors';

export type { LoadPretrainedOptions, PretrainedSource, TransferReport } from './loadPretrained';
export type { UnfreezeStage } from './stagedUnfreeze';
