/**
 * @trainkit/progress/node — the Node-only half: terminal progress bars (cli-progress) and
 * the history file writer. Everything of `@trainkit/progress` is re-exported.
 * @packageDocumentation
 */
export * from './index';
export { terminalProgress } from './node/terminal';
export { historyWriter, saveHistory } from './node/files';

export type { TerminalProgressOptions, ProgressStream } from './node/terminal';
export type { HistoryFiles, HistoryWriter, CurvesExtras } from './node/files';
