import { type Pair, ShapeError, type Tensor, adaptiveAvgPool2d, formatShape, globalAvgPool2d } from '@trainkit/tensor';
import { Module } from '../module';
import { checkPair } from './pair';

/** Refuses an input with an empty channel or spatial axis, whose mean would be NaN (PyTorch refuses it too). */
function checkNonEmpty(layer: string, x: Tensor): void {
  if (x.rank === 4 && x.shape.slice(1).includes(0)) {
    throw new ShapeError(`${layer}: input ${formatShape(x.shape)} has an empty channel or spatial axis; only the batch may be empty (the mean of no values is NaN)`);
  }
}

/** Average pooling to a fixed output size [N, C, OH, OW] whatever the input's (PyTorch's `nn.AdaptiveAvgPool2d`). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
    checkPair('AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
  }
  forward(x: Tensor): Tensor {
    checkNonEmpty('AdaptiveAvgPool2d', x);
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
    checkNonEmpty('GlobalAvgPool', x);
    return globalAvgPool2d(x);
  }
}
