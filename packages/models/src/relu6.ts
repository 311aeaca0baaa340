import { Module } from '@trainkit/nn';
import { type Tensor, relu, sub } from '@trainkit/tensor';

/**
 * min(max(x, 0), 6), PyTorch's `nn.ReLU6`: MobileNet's activation, bounded so it stays precise
 * in low-precision arithmetic. Written as relu(x) − relu(x − 6), so its gradient (1 on (0, 6),
 * 0 elsewhere) and its ONNX export come from existing ops.
 */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return sub(relu(x), relu(sub(x, 6))); // exact: x − (x − 6) = 6 for every float32 x in (6, 2²⁴)
  }
}
