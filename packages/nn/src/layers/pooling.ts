import { type Pair, type Tensor, adaptiveAvgPool2d, globalAvgPool2d } from '@trainkit/tensor';
import { Module } from '../module';
import { checkPair } from './pair';

/** Average pooling to a fixed output size [N, C, OH, OW] whatever the input's (PyTorch's `nn.AdaptiveAvgPool2d`). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
    checkPair('AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  protected override extraRepr(): string {
    return `outputSize=${String(this.outputSize)}`;
  }
}

/**
 * The mean of each channel, [N, C, H, W] → [N, C]: a ResNet's head before its Linear. The same
 * numbers as `AdaptiveAvgPool2d(1)` followed by `Flatten`, in one op.
 */
export class GlobalAvgPool extends Module {
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
}
