import { Conv2d, GELU, LayerNorm, Linear, Module, Sequential, mnistCnn } from '@trainkit/nn';
import { Rng, type Tensor, conv2d, fromOp, gelu, noGrad, softmax, tensor } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { inputs } from './__tests__/roundTrip';
import { exportOnnx } from './export';
import { OnnxExportError } from './graph';

const rng = new Rng(3);
const example = inputs(4, [8], 1);

/** A user-defined op that ONNX has no operator for: x³ recorded as "cube". */
class Cube extends Module {
  forward(x: Tensor): Tensor {
    const y = new Float32Array(x.size).map((_, i) => x.data[i] ** 3);
    return fromOp('cube', y, x.shape, [x], () => () => undefined);
  }
}

class Wrap extends Module {
  constructor(readonly body: (x: Tensor) => Tensor) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.body(x);
  }
}

describe('an op without a mapping is an error naming the op and the layer it ran in', () => {
  test('a custom op inside a nested layer', () => {
    const model = new Sequential({ fc: new Linear(8, 8, { rng }), head: new Sequential({ cube: new Cube() }) });
    expect(() => exportOnnx(model, example, { opset: 17 })).toThrow(OnnxExportError);
    expect(() => exportOnnx(model, example, { opset: 17 })).toThrow(/op "cube" in layer "head\.cube" \(Cube\) has no ONNX mapping; supported ops: add, /);
  });

  test('a custom op in the model\'s own forward', () => {
    expect(() => exportOnnx(new Cube(), example, { opset: 17 })).toThrow(/op "cube" in the forward of Cube has no ONNX mapping/);
  });

  test('a convolution called as a bare function (its stride and padding are not in the graph) points to the Conv2d layer', () => {
    const conv = new Conv2d(1, 2, 3, { rng });
    const model = new Wrap((x) => conv2d(x, conv.weight, conv.bias, { padding: 1 }));
    expect(() => exportOnnx(model, inputs(2, [1, 5, 5]), { opset: 17 })).toThrow(/op "conv2d" in the forward of Wrap has no ONNX mapping as a bare op: .* only through the Conv2d layer \(call the layer with \.call\(x\)/);
  });
});

describe('an opset too old for an op is an error naming the op and the opset it needs', () => {
  test('GELU needs opset 20', () => {
    const model = new Sequential({ fc: new Linear(8, 8, { rng }), act: new Wrap((x) => gelu(x)) });
    expect(() => exportOnnx(model, example, { opset: 17 })).toThrow(/op "gelu" in layer "act" \(Wrap\) exports as the ONNX operator Gelu, which needs opset ≥ 20; got opset 17/);
  });

  test('LayerNorm needs opset 17; the GELU layer needs 20', () => {
    expect(() => exportOnnx(new Sequential({ norm: new LayerNorm(8) }), example, { opset: 16 })).toThrow(/layer "norm" \(LayerNorm\) exports as the ONNX operator LayerNormalization, which needs opset ≥ 17; got opset 16/);
    expect(() => exportOnnx(new Sequential({ act: new GELU() }), example, { opset: 19 })).toThrow(/layer "act" \(GELU\) exports as the ONNX operator Gelu, which needs opset ≥ 20; got opset 19/);
  });

  test('softmax over one axis needs opset 13', () => {
    const model = new Wrap((x) => softmax(x, 1));
    expect(() => exportOnnx(model, example, { opset: 12 })).toThrow(/op "softmax" in the forward of Wrap exports as the ONNX operator Softmax, which needs opset ≥ 13; got opset 12/);
  });

  test('opsets outside 7 to 21 are refused', () => {
    expect(() => exportOnnx(mnistCnn({ rng }), inputs(2, [1, 28, 28]), { opset: 6 })).toThrow(/opset must be an integer from 7 to 21, got 6/);
    expect(() => exportOnnx(mnistCnn({ rng }), inputs(2, [1, 28, 28]), { opset: 22 })).toThrow(/opset must be an integer from 7 to 21, got 22/);
  });
});

describe('bad arguments', () => {
  const model = new Linear(8, 2, { rng });

  test('each is an error that says what was wrong', () => {
    expect(() => exportOnnx({} as Module, example, { opset: 17 })).toThrow(/model must be a Module/);
    expect(() => exportOnnx(model, [1, 2] as unknown as Tensor, { opset: 17 })).toThrow(/exampleInput must be a Tensor/);
    expect(() => exportOnnx(model, tensor(1), { opset: 17 })).toThrow(/must have a batch axis, got a scalar/);
    expect(() => exportOnnx(model, example, {} as { opset: number })).toThrow(/opset must be an integer from 7 to 21, got undefined/);
    expect(() => exportOnnx(model, example, { opset: 17, inputName: '' })).toThrow(/inputName must be a non-empty string, got ""/);
    expect(() => exportOnnx(model, example, { opset: 17, inputName: 'x', outputName: 'x' })).toThrow(/inputName and outputName must differ, both are "x"/);
  });

  test('tracing inside noGrad is refused (the graph would be empty)', () => {
    expect(() => noGrad(() => exportOnnx(model, example, { opset: 17 }))).toThrow(/called inside noGrad\(\)/);
  });

  test('an output that does not depend on the input is refused', () => {
    expect(() => exportOnnx(new Wrap((x) => x.detach()), example, { opset: 17 })).toThrow(/output does not depend on the input/);
  });
});
