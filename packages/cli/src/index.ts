/**
 * @trainkit/cli — the `trainkit` command: `train`, `eval` and `predict` on image folders, CIFAR
 * binaries, CSV files, MNIST and Fashion-MNIST. Node only. The bin is `trainkit`; `main` runs
 * the same command line from code.
 * @packageDocumentation
 */
export { main } from './main';
export { UsageError, EXIT_USAGE, EXIT_INTERRUPTED } from './errors';
export { confusionMatrix, classScores, confusionSvg } from './report';

export type { Io } from './train';
export type { RunFile, TrainingSpec } from './runFile';
export type { DataSpec, DataKind, ImageSpec } from './dataKind';
export type { ModelSpec, ModelName } from './models';
export type { ClassScores } from './report';
