import { type Shape, Tensor, shapeSize } from '@trainkit/tensor';

/**
 * A trainable tensor owned by a {@link Module}. Gradients are tracked by default; setting
 * `requiresGrad = false` freezes it (no gradient is computed, no optimizer update happens).
 */
export class Parameter extends Tensor {
  constructor(data: Float32Array | Shape, shape?: Shape) {
    const d = data instanceof Float32Array ? data : new Float32Array(shapeSize(data));
    super(d, shape ?? (data instanceof Float32Array ? [data.length] : data), { requiresGrad: true }, 'parameter');
  }
}
