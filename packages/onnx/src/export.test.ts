import { Identity, mnistCnn, mnistMlp } from '@trainkit/nn';
import { Rng } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { expectSameOutputs, inputs } from './__tests__/roundTrip';
import { exportOnnx } from './export';
import { decodeModel } from './proto';

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

  test('opset 8 (IR 3, where every initializer is a graph input too) loads and computes the same; the initializers are listed as inputs', async () => {
    const model = mnistCnn({ rng: new Rng(1) });
    const bytes = exportOnnx(model, example, { opset: 8 });
    const { graph } = decodeModel(bytes);
    expect(graph.input.map((i) => i.name)).toEqual(['input', ...graph.initializer.map((t) => t.name)]);
    await expectSameOutputs(model, bytes, images, [1, 37]);
    expect(decodeModel(exportOnnx(model, example, { opset: 9 })).graph.input.map((i) => i.name)).toEqual(['input']);
  });

  test('a model that returns its input exports as one Identity node whose output is the graph output, and loads', async () => {
    const model = new Identity();
    const bytes = exportOnnx(model, example, { opset: 13 });
    const { graph } = decodeModel(bytes);
    expect(graph.node.map((n) => [n.opType, n.input, n.output])).toEqual([['Identity', ['input'], ['output']]]);
    await expectSameOutputs(model, bytes, images, [5]);
  });
});
