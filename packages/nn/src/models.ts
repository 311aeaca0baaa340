import { type Rng } from '@trainkit/tensor';
import { Conv2d } from './layers/conv2d';
import { Linear } from './layers/linear';
import { Flatten, MaxPool2d, ReLU } from './layers/simple';
import { Sequential } from './layers/sequential';

/**
 * The reference CNN for 28×28 grayscale digits used throughout trainkit's docs, tests and
 * benchmarks: conv 5×5 1→8 pad 2, ReLU, max-pool 2; conv 5×5 8→16 pad 2, ReLU, max-pool 2;
 * flatten (C, H, W order) → linear 784→10. Children are named like the PyTorch reference.
 */
export function mnistCnn(options: { rng?: Rng } = {}): Sequential {
  const { rng } = options;
  return new Sequential({
    conv1: new Conv2d(1, 8, 5, { padding: 2, rng }),
    relu1: new ReLU(),
    pool1: new MaxPool2d(2),
    conv2: new Conv2d(8, 16, 5, { padding: 2, rng }),
    relu2: new ReLU(),
    pool2: new MaxPool2d(2),
    flatten: new Flatten(),
    fc: new Linear(16 * 7 * 7, 10, { rng }),
  });
}

/** A 784-`hidden`-10 ReLU MLP for flattened 28×28 images (input [N, 1, 28, 28] or [N, 784]). */
export function mnistMlp(options: { hidden?: number; rng?: Rng } = {}): Sequential {
  const { rng, hidden = 256 } = options;
  return new Sequential({
    flatten: new Flatten(),
    fc1: new Linear(784, hidden, { rng }),
    relu: new ReLU(),
    fc2: new Linear(hidden, 10, { rng }),
  });
}
