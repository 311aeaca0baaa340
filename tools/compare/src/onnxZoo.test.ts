// The model zoo leaves trainkit through ONNX: each model, exported with a dynamic batch axis,
// runs in ONNX Runtime and gives trainkit's outputs on 64 inputs at batch sizes 1 and 37.
import { type Module, manualSeed } from '@trainkit/nn';
import { mobilenetV2, resnet, vitTiny } from '@trainkit/models';
import { exportOnnx } from '@trainkit/onnx';
import { Rng, Tensor, noGrad, shapeSize, slice } from '@trainkit/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';

function images(count: number, shape: readonly number[], seed: number): Tensor {
  const full = [count, ...shape];
  return new Tensor(new Rng(seed).fillUniform(new Float32Array(shapeSize(full))), full);
}

/** Gives BatchNorm layers running statistics that are not the initial 0 / 1, then switches to eval. */
function warmUp(model: Module, x: Tensor): void {
  model.train();
  noGrad(() => model.call(x));
  model.eval();
}

async function expectSameOutputs(model: Module, bytes: Uint8Array, x: Tensor, batchSizes: number[]): Promise<void> {
  const expected = noGrad(() => model.call(x));
  const session = await ort.InferenceSession.create(bytes);
  try {
    for (const b of batchSizes) {
      for (let start = 0; start < x.shape[0]; start += b) {
        const end = Math.min(start + b, x.shape[0]);
        const xb = slice(x, 0, start, end);
        const out = (await session.run({ input: new ort.Tensor('float32', xb.data.slice(), [...xb.shape]) })).output;
        expect(out.dims).toEqual([end - start, ...expected.shape.slice(1)]);
        const want = slice(expected, 0, start, end).data;
        const got = out.data as Float32Array;
        for (let i = 0; i < want.length; i++) {
          const err = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1);
          if (!(err <= 1e-5)) throw new Error(`batch size ${b}, rows ${start}-${end}, value ${i}: onnx ${got[i]} vs trainkit ${want[i]}`);
        }
      }
    }
  } finally {
    await session.release();
  }
}

describe('the model zoo through ONNX Runtime', () => {
  test('resnet depth 8 (CIFAR-style, BatchNorm in eval form, projection shortcuts)', async () => {
    manualSeed(0);
    const model = resnet({ depth: 8, inChannels: 3, numClasses: 10, width: 8 });
    warmUp(model, images(16, [3, 32, 32], 2));
    await expectSameOutputs(model, exportOnnx(model, images(2, [3, 32, 32], 1), { opset: 17 }), images(64, [3, 32, 32], 0), [1, 37]);
  });

  test('mobilenetV2 (inverted residuals, depthwise convolutions, ReLU6)', async () => {
    manualSeed(0);
    const model = mobilenetV2({ inChannels: 3, numClasses: 10, widthMult: 0.25 });
    warmUp(model, images(16, [3, 32, 32], 2));
    await expectSameOutputs(model, exportOnnx(model, images(2, [3, 32, 32], 1), { opset: 17 }), images(64, [3, 32, 32], 0), [1, 37]);
  });

  test('vitTiny (patch embedding, class token, attention, GELU, LayerNorm)', async () => {
    manualSeed(0);
    const model = vitTiny({ imageSize: 28, patchSize: 7, inChannels: 1, dim: 32, depth: 2, heads: 4, numClasses: 10 });
    model.eval();
    await expectSameOutputs(model, exportOnnx(model, images(2, [1, 28, 28], 1), { opset: 20 }), images(64, [1, 28, 28], 0), [1, 37]);
  });
});
