/**
 * Names of the ten Fashion-MNIST classes, indexed by label
 * (`FASHION_MNIST_CLASS_NAMES[9] === 'Ankle boot'`).
 *
 * @see https://github.com/zalandoresearch/fashion-mnist#labels
 */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);
