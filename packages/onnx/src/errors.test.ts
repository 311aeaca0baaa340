import { BatchNorm2d, Conv2d, GELU, LayerNorm, Linear, Module, Sequential, mnistCnn } from '@trainkit/nn';
import { Rng, type Tensor, add, batchNorm, conv2d, fromOp, gelu, noGrad, pow, slice, softmax, tensor } from '@trainkit/tensor';
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

  test('pow and slice of a value from the input, which no layer maps, say how to write them instead (not "through a layer")', () => {
    expect(() => exportOnnx(new Wrap((x) => pow(x, 3)), example, { opset: 17 })).toThrow(/op "pow" in the forward of Wrap has no ONNX mapping as a bare op: .* and no layer maps it: write the power with mul, square or sqrt/);
    expect(() => exportOnnx(new Wrap((x) => slice(x, 1, 0, 4)), example, { opset: 17 })).toThrow(/op "slice" in the forward of Wrap .* no layer maps it: select with matmul by a constant 0\/1 matrix/);
  });

  test('batch normalization called as a bare function points to the BatchNorm layers', () => {
    const bn = new BatchNorm2d(1);
    const model = new Wrap((x) => batchNorm(x, bn.runningMean, bn.runningVar, bn.weight, bn.bias, { training: false }));
    expect(() => exportOnnx(model, inputs(2, [1, 5, 5]), { opset: 17 })).toThrow(/op "batchNorm" in the forward of Wrap has no ONNX mapping as a bare op: .* only through the BatchNorm1d or BatchNorm2d layer/);
  });

  test('a mapped layer with forward hooks of its own (e.g. dropout added by a plugin) is an error that names the layer and the hooks', () => {
    for (const path of ['conv', 'bn']) {
      const model = new Sequential({ conv: new Conv2d(1, 2, 3, { rng }), bn: new BatchNorm2d(2) });
      model.at(path).registerForwardHook((_m, _x, y) => y);
      expect(() => exportOnnx(model, inputs(2, [1, 5, 5]), { opset: 17 })).toThrow(
        new RegExp(`layer "${path}" \\(${path === 'conv' ? 'Conv2d' : 'BatchNorm2d'}\\) has forward hooks of its own, so the export cannot write it from the layer: remove its hooks before exporting`),
      );
    }
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
    expect(() => exportOnnx(model, example, { opset: 17, dynamicBatch: 'false' as unknown as boolean })).toThrow(/dynamicBatch must be true or false, got "false"/);
  });

  test('a parameter holding NaN or ±Infinity is refused, naming it (the file would compute NaN)', () => {
    const fc = new Linear(8, 2, { rng });
    const broken = new Sequential({ fc });
    fc.weight.data[3] = Number.NaN;
    expect(() => exportOnnx(broken, example, { opset: 17 })).toThrow(/parameter "fc\.weight" holds NaN \(element 3 of 16\)/);
    fc.weight.data[3] = 0;
    (fc.bias as Tensor).data[1] = -Infinity;
    expect(() => exportOnnx(broken, example, { opset: 17 })).toThrow(/parameter "fc\.bias" holds -Infinity \(element 1 of 2\)/);
  });

  test('a buffer holding NaN (diverged running statistics) is refused, naming it; one holding -Infinity (an additive mask) exports', () => {
    const bn = new BatchNorm2d(2);
    bn.runningVar.data[1] = Number.NaN;
    const model = new Sequential({ conv: new Conv2d(1, 2, 3, { rng }), bn });
    expect(() => exportOnnx(model, inputs(2, [1, 5, 5]), { opset: 17 })).toThrow(/buffer "bn\.running_var" holds NaN \(element 1 of 2\)/);
    class Masked extends Module {
      mask = this.registerBuffer('mask', tensor([0, -Infinity, 0, 0, 0, 0, 0, 0]));
      forward(x: Tensor): Tensor {
        return softmax(add(x, this.mask), 1);
      }
    }
    expect(() => exportOnnx(new Masked(), example, { opset: 17 })).not.toThrow();
  });

  test('an exampleInput the model cannot take is an error naming its shape, with the model\'s own message', () => {
    const cnn = mnistCnn({ rng });
    expect(() => exportOnnx(cnn, inputs(2, [784]), { opset: 17 })).toThrow(OnnxExportError);
    expect(() => exportOnnx(cnn, inputs(2, [784]), { opset: 17 })).toThrow(/^exportOnnx: the model's forward failed on exampleInput \[2, 784\]: conv2d: input must be 4-D/);
    expect(cnn.namedModules().some(([, m]) => m.hasForwardHooks)).toBe(false);
  });

  test('tracing inside noGrad is refused (the graph would be empty)', () => {
    expect(() => noGrad(() => exportOnnx(model, example, { opset: 17 }))).toThrow(/called inside noGrad\(\)/);
  });

  test('an output that does not depend on the input is refused', () => {
    expect(() => exportOnnx(new Wrap((x) => x.detach()), example, { opset: 17 })).toThrow(/output does not depend on the input/);
  });
});
