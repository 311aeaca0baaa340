import { type Pair, type Pool2dOptions, type Tensor, ValueError, avgPool2d, flatten, maxPool2d, relu, sigmoid, tanh } from '@trainkit/tensor';
import { Module } from '../module';
import { checkOptions } from './options';
import { checkPair } from './pair';

function checkPoolOptions(layer: string, kernelSize: Pair, options: Pool2dOptions): void {
  checkOptions(layer, options, ['stride', 'padding']);
  checkPair(layer, 'kernelSize', kernelSize, 1);
  if (options.stride !== undefined) checkPair(layer, 'stride', options.stride, 1);
  if (options.padding !== undefined) checkPair(layer, 'padding', options.padding, 0);
  const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
  const [ph, pw] = typeof options.padding === 'number' ? [options.padding, options.padding] : (options.padding ?? [0, 0]);
  if (2 * ph > kh || 2 * pw > kw) {
    throw new ValueError(`${layer}: padding must be at most half the kernel size (as in PyTorch), got padding ${JSON.stringify(options.padding)} for kernel ${JSON.stringify(kernelSize)}`);
  }
}

/** max(x, 0) element-wise. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** The logistic function 1/(1 + e^−x) element-wise. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** The hyperbolic tangent element-wise. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Returns its input (a placeholder, e.g. for a removed head). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens all dimensions from `startDim` (default 1, keeping the batch): [N, C, H, W] → [N, C·H·W]. */
export class Flatten extends Module {
  constructor(readonly startDim = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim);
  }
}

/** Max pooling over [N, C, H, W]; stride defaults to the kernel size. */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: Pool2dOptions = {}) {
    super();
    checkPoolOptions('MaxPool2d', kernelSize, options);
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
  protected override extraRepr(): string {
    return `kernel=${String(this.kernelSize)}`;
  }
}

/** Average pooling over [N, C, H, W]; stride defaults to the kernel size. */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: Pool2dOptions = {}) {
    super();
    checkPoolOptions('AvgPool2d', kernelSize, options);
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
  protected override extraRepr(): string {
    return `kernel=${String(this.kernelSize)}`;
  }
}
