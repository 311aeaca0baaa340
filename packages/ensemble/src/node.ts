/**
 * @trainkit/ensemble/node — the Node-only half: members trained in parallel on worker
 * threads (`trainEnsemble`), member checkpoints (safetensors) and a terminal progress display
 * with one line per member. Everything of `@trainkit/ensemble` is re-exported.
 * @packageDocumentation
 */
export * from './index';
export { trainEnsemble } from './node/trainEnsemble';
export { saveMember, loadMember, loadMemberState, loadEnsemble, memberFileName, MEMBER_FORMAT } from './node/memberCheckpoint';
export { memberProgressPrinter } from './node/memberProgressPrinter';

export type { TrainEnsembleOptions } from './node/trainEnsemble';
export type { MemberInfo } from './node/memberCheckpoint';
export type { MemberProgressPrinterOptions } from './node/memberProgressPrinter';
