/**
 * @trainkit/cli — the `trainkit` command: `train`, `eval` and `predict` on image folders, CIFAR
 * binaries, CSV files, MNIST and Fashion-MNIST. Node only. The bin is `trainkit`; `main` runs
 * the same command line from code. The confusion matrix and per-class scores it prints come
 * from `@trainkit/inspect`.
 * @packageDocumentation
 */
export { main } from './main';
export { UsageError, EXIT_USAGE, EXIT_INTERRUPTED } from './errors';

export type { Io } from './train';
export type { RunFile, TrainingSpec } from './runFile';
export type { DataSpec, DataKind, ImageSpec } from './dataKind';
export type { ModelSpec, ModelName } from './models';
