import { mnistCnn, mnistMlp } from '@trainkit/nn';
import { Rng } from '@trainkit/tensor';
import { describe, test } from 'vitest';
import { expectSameOutputs, inputs } from './__tests__/roundTrip';
import { exportOnnx } from './export';

const images = inputs(64, [1, 28, 28]);
const example = inputs(4, [1, 28, 28], 1);

describe('reference models: ONNX Runtime computes what trainkit computes', () => {
  test('mnistCnn (conv, ReLU, max-pool, flatten, linear) on 64 images, batch sizes 1 and 37', async () => {
    const model = mnistCnn({ rng: new Rng(0) });
    await expectSameOutputs(model, exportOnnx(model, example, { opset: 17 }), images, [1, 37]);
  });

  test('mnistMlp (flatten, linear, ReLU, linear) on 64 images, batch sizes 1 and 37', async () => {
    const model = mnistMlp({ rng: new Rng(0) });
    await expectSameOutputs(model, exportOnnx(model, example, { opset: 17 }), images, [1, 37]);
  });
});
