import { AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Flatten, Identity, Linear, MaxPool2d, Module, ReLU, Sequential, Sigmoid, Tanh } from '@trainkit/nn';
import { Rng, type Tensor, add, concat, crossEntropy, gelu, globalAvgPool2d, adaptiveAvgPool2d, logSoftmax, matmul, max, mean, permute, relu, reshape, silu, softmax, sum, transpose } from '@trainkit/tensor';
import { describe, test } from 'vitest';
import { expectSameOutputs, inputs } from './__tests__/roundTrip';
import { exportOnnx } from './export';

const rng = new Rng(7);
const images = inputs(64, [3, 12, 12], 2);
const example = inputs(5, [3, 12, 12], 3);

/** Trains `model` a few steps in training mode so BatchNorm's running statistics are not the initial 0 and 1. */
function warmUp(model: Module): void {
  model.train();
  for (let i = 0; i < 3; i++) {
    const y = model.call(inputs(8, [3, 12, 12], 10 + i));
    crossEntropy(reshape(y, [8, -1]), new Int32Array(8)).backward();
  }
}

/** A block with a skip connection: relu(x + body(x)), the shape of a ResNet block. */
class Residual extends Module {
  body = new Sequential(new Conv2d(4, 4, 3, { padding: 1, rng }), new BatchNorm2d(4), new ReLU(), new Conv2d(4, 4, 3, { padding: 1, rng }));
  forward(x: Tensor): Tensor {
    return relu(add(x, this.body.call(x)));
  }
}

/** Dropout's contract: random in training mode, the identity in evaluation mode (what the export sees). */
class EvalIdentity extends Module {
  forward(x: Tensor): Tensor {
    return this.training ? add(x, 1) : x;
  }
}

describe('layers: the exported file computes what trainkit computes (64 inputs, batch sizes 1 and 37)', () => {
  test('Conv2d with stride, padding, dilation and no bias; BatchNorm2d with running statistics; max and average pooling with padding', async () => {
    const model = new Sequential({
      conv: new Conv2d(3, 6, 3, { stride: 2, padding: [1, 2], dilation: [1, 2], bias: false, rng }),
      bn: new BatchNorm2d(6, { eps: 1e-3 }),
      tanh: new Tanh(),
      pool: new MaxPool2d(3, { stride: 1, padding: 1 }),
      avg: new AvgPool2d(2, { stride: 2, padding: 1 }),
      flatten: new Flatten(),
    });
    warmUp(model);
    await expectSameOutputs(model, exportOnnx(model, example, { opset: 13 }), images, [1, 37]);
  });

  test('BatchNorm1d on [N, C] in evaluation form, Sigmoid, a bias-free Linear, Identity and a dropout-like layer leave only their eval computation', async () => {
    const model = new Sequential(new Flatten(), new Linear(432, 16, { rng }), new BatchNorm1d(16, { affine: false }), new Sigmoid(), new EvalIdentity(), new Identity(), new Linear(16, 5, { bias: false, rng }));
    warmUp(model);
    await expectSameOutputs(model, exportOnnx(model, example, { opset: 9 }), images, [1, 37]);
  });

  test('a custom Module with a skip connection (residual block), then global average pooling', async () => {
    const model = new Sequential({ stem: new Conv2d(3, 4, 3, { padding: 1, rng }), block: new Residual(), pool: new Pool(), fc: new Linear(4, 3, { rng }) });
    warmUp(model);
    await expectSameOutputs(model, exportOnnx(model, example, { opset: 17 }), images, [1, 37]);
  });
});

class Pool extends Module {
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
}

/** A transformer-flavoured forward built from bare ops: their hyperparameters are recovered from the traced values. */
class Ops extends Module {
  proj = new Linear(12, 12, { rng });
  forward(x: Tensor): Tensor {
    const [n, c] = x.shape;
    const tokens = permute(reshape(adaptiveAvgPool2d(x, [2, 2]), [n, c, 4]), [0, 2, 1]); // [N, 4, 3]
    const wide = concat([tokens, silu(tokens), softmax(tokens, 1), logSoftmax(tokens)], 2); // [N, 4, 12]
    const h = reshape(this.proj.call(reshape(wide, [n * 4, 12])), [n, 4, 12]);
    const scores = softmax(matmul(h, transpose(h, 1, 2)), -1); // [N, 4, 4]
    const mixed = gelu(matmul(scores, h), 'tanh');
    return add(mean(mixed, 1), reshape(sum(gelu(h), [1, 2], true), [n, 1])); // [N, 12]
  }
}

describe('bare ops in a custom forward: hyperparameters recovered from the traced values', () => {
  test('adaptive pooling, permute, transpose, concat, SiLU, softmax and log-softmax over chosen axes, batched matmul, GELU (exact and tanh), mean and sum', async () => {
    const model = new Ops();
    await expectSameOutputs(model, exportOnnx(model, example, { opset: 20 }), images, [1, 37]);
  });

  test('reductions write their axes as an attribute before opset 13 (ReduceSum) and 18 (ReduceMean, ReduceMax), as an input from then on', async () => {
    const model = new Reductions();
    for (const opset of [12, 13, 18]) await expectSameOutputs(model, exportOnnx(model, example, { opset }), images, [37]);
  });
});

class Reductions extends Module {
  forward(x: Tensor): Tensor {
    return add(add(sum(x, [2, 3]), mean(x, [2, 3])), reshape(max(x, [1, 2, 3], true), [-1, 1]));
  }
}
