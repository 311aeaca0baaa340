/**
 * @trainkit/ensemble — model ensembles: train members with their own seeds, combine them
 * (average probabilities or logits, vote, weights), snapshot ensembles from one run, EMA
 * weight averaging, and the metrics that show whether an ensemble helps. Runs in Node and in
 * browsers; parallel training on worker threads lives in `@trainkit/ensemble/node`.
 * @packageDocumentation
 */
export { Ensemble } from './ensemble';
export { combine, VOTE_SMOOTHING } from './combine';
export { defineMember, trainMember } from './member';
export { trainMembers } from './trainMembers';
export { snapshotEnsemble, snapshotsOf } from './snapshot';
export { ema } from './ema';
export { recomputeBatchNorm } from './batchNorm';
export { classifierMetrics, expectedCalibrationError, predictedClasses, disagreement, meanPairwiseDisagreement, ECE_BINS } from './metrics';
export { evaluateEnsemble, metricsRow, formatMetricsTable } from './report';
export { copyStateDict, modelFromState } from './stateDict';
export { EnsembleError, MemberError } from './errors';

export type { EnsembleOptions } from './ensemble';
export type { CombineMethod, CombineOptions } from './combine';
export type { MemberContext, MemberDefinition, MemberSetup, MemberResult, MemberRunOptions } from './member';
export type { MembersOptions, TrainedEnsemble } from './trainMembers';
export type { MemberProgress } from './progress';
export type { SnapshotEnsembleOptions, Snapshot, SnapshotHandle } from './snapshot';
export type { EmaOptions, EmaHandle } from './ema';
export type { ClassifierMetrics } from './metrics';
export type { EnsembleReport, MetricsRow } from './report';
export type { StateDict } from './stateDict';
export { distill, distillationLoss } from './distill';
export { withIndex } from './distillCache';
export type { DistillOptions, DistillPlugin } from './distill';
export type { IndexedBatch, GatherSource } from './distillCache';
