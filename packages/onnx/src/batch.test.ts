import { Linear, Module } from '@trainkit/nn';
import { Rng, Tensor, add, matmul, mean, permute, reshape } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectSameOutputs, inputs } from './__tests__/roundTrip';
import { exportOnnx } from './export';
import { OnnxExportError } from './graph';
import { decodeModel } from './proto';

const rng = new Rng(11);

class Wrap extends Module {
  fc = new Linear(6, 4, { rng });
  constructor(readonly body: (y: Tensor) => Tensor) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.body(this.fc.call(x));
  }
}

/** The Reshape targets the file holds, in order. */
function reshapeTargets(bytes: Uint8Array): number[][] {
  const g = decodeModel(bytes).graph;
  return g.node.filter((n) => n.opType === 'Reshape').map((n) => {
    const t = g.initializer.find((i) => i.name === n.input[1]);
    const view = new DataView(t!.rawData.buffer, t!.rawData.byteOffset, t!.rawData.byteLength);
    return Array.from({ length: t!.rawData.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  });
}

describe('dynamic batch: a reshape that keeps the batch on an axis other than 0 runs on any batch size', () => {
  test('[N, 4] → [1, N, 4] (a sequence axis in front) → [N, 4] writes −1 on the batch axis, not the example batch size, and matches trainkit at batch sizes 1 and 37', async () => {
    const model = new Wrap((y) => reshape(mean(reshape(y, [1, y.shape[0], 4]), [0], true), [y.shape[0], 4]));
    const bytes = exportOnnx(model, inputs(5, [6], 1), { opset: 17 });
    expect(reshapeTargets(bytes)).toEqual([[1, -1, 4], [-1, 4]]);
    await expectSameOutputs(model, bytes, inputs(64, [6], 2), [1, 37]);
  });

  test('[N, 4] → permute → [4, N] → [4, N, 1]: the batch on axis 1 is inferred (−1), the leading 4 kept', async () => {
    const model = new Wrap((y) => permute(reshape(permute(y, [1, 0]), [4, y.shape[0], 1]), [1, 0, 2]));
    const bytes = exportOnnx(model, inputs(5, [6], 1), { opset: 17 });
    expect(reshapeTargets(bytes)).toEqual([[4, -1, 1]]);
    await expectSameOutputs(model, bytes, inputs(64, [6], 2), [1, 37]);
  });
});

describe('dynamic batch: what cannot run on another batch size is refused, naming why', () => {
  test('a reshape where two axes grow with the batch (an N × N product) is refused: ONNX infers one axis', () => {
    const model = new Wrap((y) => reshape(matmul(y, permute(y, [1, 0])), [y.shape[0], y.shape[0], 1]));
    expect(() => exportOnnx(model, inputs(5, [6], 1), { opset: 17 })).toThrow(/axes 0 and 1 all grow with the batch size/);
    expect(() => exportOnnx(model, inputs(5, [6], 1), { opset: 17, dynamicBatch: false })).not.toThrow();
  });

  test('a value built from the batch size but not from the input (zeros([N, 4])) is refused instead of frozen at the example batch size', () => {
    const model = new Wrap((y) => add(y, new Tensor(new Float32Array(y.shape[0] * 4), [y.shape[0], 4])));
    expect(() => exportOnnx(model, inputs(5, [6], 1), { opset: 17 })).toThrow(OnnxExportError);
    expect(() => exportOnnx(model, inputs(5, [6], 1), { opset: 17 })).toThrow(/shape \[5, 4\] from the batch size but not from the input's values/);
  });

  test('a forward that only runs at the example batch size (a hard-coded reshape) is refused with dynamicBatch, pointing to dynamicBatch: false', () => {
    const model = new Wrap((y) => reshape(y, [5, 2, 2]));
    expect(() => exportOnnx(model, inputs(5, [6], 1), { opset: 17 })).toThrow(/fails on a batch of 6 .*dynamicBatch: false/);
    expect(() => exportOnnx(model, inputs(5, [6], 1), { opset: 17, dynamicBatch: false })).not.toThrow();
  });
});
