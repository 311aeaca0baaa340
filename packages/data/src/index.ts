/**
 * @trainkit/data — datasets, a seeded resumable DataLoader and an IDX parser. Runs in Node
 * and in browsers; the MNIST and Fashion-MNIST file loaders live in `@trainkit/data/node`.
 * @packageDocumentation
 */
export { TensorDataset } from './dataset';
export { subset, take, splitDataset } from './subset';
export { DataLoader } from './dataLoader';
export { parseIdx, IdxError } from './idx';
export { FASHION_MNIST_CLASS_NAMES } from './fashionMnistClasses';

export type { Batch, Dataset, TensorDatasetOptions } from './dataset';
export type { Subset, SplitOptions } from './subset';
export type { DataLoaderOptions, EpochOptions } from './dataLoader';
export type { IdxArray, IdxType } from './idx';
