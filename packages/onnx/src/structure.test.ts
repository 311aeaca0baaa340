import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchNorm2d, Conv2d, Linear, Module, Sequential, mnistCnn } from '@trainkit/nn';
import { Rng, type Tensor, reshape } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { inputs, runOrt } from './__tests__/roundTrip';
import { exportOnnx } from './export';
import { decodeModel } from './proto';

const example = inputs(4, [1, 28, 28], 1);

/** The float32 values of a little-endian raw_data field. */
function floatsOf(raw: Uint8Array): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

describe('the protobuf, decoded back', () => {
  const model = mnistCnn({ rng: new Rng(0) });
  const decoded = decodeModel(exportOnnx(model, example, { opset: 17, inputName: 'pixels', outputName: 'logits' }));
  const g = decoded.graph;

  test('names the producer, the default-domain opset and the IR version that goes with it', () => {
    expect(decoded.producerName).toBe('trainkit');
    expect(decoded.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(decoded.irVersion).toBe(8);
  });

  test('has the named input and output, float32, with a dynamic batch dimension "batch"', () => {
    expect(g.input.map((v) => v.name)).toEqual(['pixels']);
    expect(g.output.map((v) => v.name)).toEqual(['logits']);
    expect(g.input[0].type.tensorType.elemType).toBe(1);
    expect(g.input[0].type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 1 }, { dimValue: 28 }, { dimValue: 28 }]);
    expect(g.output[0].type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 10 }]);
  });

  test('is one node per layer, in order, each reading the previous output, the last writing the graph output', () => {
    expect(g.node.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Reshape', 'Gemm']);
    expect(g.node[0].input).toEqual(['pixels', 'conv1.weight', 'conv1.bias']);
    for (let i = 1; i < g.node.length; i++) expect(g.node[i].input[0]).toBe(g.node[i - 1].output[0]);
    expect(g.node.at(-1)?.output).toEqual(['logits']);
    const conv1 = Object.fromEntries(g.node[0].attribute.map((a) => [a.name, a.ints]));
    expect(conv1).toMatchObject({ kernel_shape: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2], dilations: [1, 1] });
  });

  test('keeps the batch in the flatten: Reshape to [0, 784] (0 copies the batch size)', () => {
    const shape = g.initializer.find((t) => t.name === g.node[6].input[1]);
    expect(shape?.dataType).toBe(7);
    const view = new DataView(shape!.rawData.buffer, shape!.rawData.byteOffset, shape!.rawData.byteLength);
    expect([view.getBigInt64(0, true), view.getBigInt64(8, true)]).toEqual([0n, 784n]);
  });

  test('stores every parameter as a float32 initializer named like the state dict, little-endian, with its shape', () => {
    const params = model.namedParameters();
    expect(g.initializer.filter((t) => t.dataType === 1).map((t) => t.name)).toEqual(params.map(([n]) => n));
    for (const [name, p] of params) {
      const t = g.initializer.find((i) => i.name === name);
      expect(t?.dims).toEqual([...p.shape]);
      expect(floatsOf(t!.rawData)).toEqual(p.data);
    }
  });

  test('with dynamicBatch: false, every dimension is the example input\'s', () => {
    const fixed = decodeModel(exportOnnx(model, example, { opset: 17, dynamicBatch: false })).graph;
    expect(fixed.input[0].type.tensorType.shape.dim[0]).toEqual({ dimValue: 4 });
    expect(fixed.output[0].type.tensorType.shape.dim[0]).toEqual({ dimValue: 4 });
  });

  test('an output whose axis 0 is not the batch (per-token logits, batch × tokens) declares that axis with no fixed size, as it changes with the batch', async () => {
    class PerToken extends Module {
      fc = new Linear(4, 3, { rng: new Rng(0) });
      forward(x: Tensor): Tensor {
        const [n, t, c] = x.shape;
        return this.fc.call(reshape(x, [n * t, c])); // [N·5, 3]
      }
    }
    const bytes = exportOnnx(new PerToken(), inputs(2, [5, 4]), { opset: 17 });
    expect(decodeModel(bytes).graph.output[0].type.tensorType.shape.dim).toEqual([{}, { dimValue: 3 }]);
    const [y] = await runOrt(bytes, [inputs(3, [5, 4])]);
    expect(y.dims).toEqual([15, 3]);
  });

  test('BatchNorm2d is one BatchNormalization node reading the running statistics, with its eps', () => {
    const bnModel = new Sequential({ conv: new Conv2d(1, 2, 3, { rng: new Rng(0) }), bn: new BatchNorm2d(2, { eps: 1e-3 }) });
    const bn = decodeModel(exportOnnx(bnModel, example, { opset: 15 })).graph.node[1];
    expect(bn.opType).toBe('BatchNormalization');
    expect(bn.input.slice(1)).toEqual(['bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var']);
    expect(bn.attribute[0].name).toBe('epsilon');
    expect(bn.attribute[0].f).toBeCloseTo(1e-3, 9);
  });
});

describe('exporting leaves the model as it was', () => {
  test('training flags are restored and the tracing hooks removed', () => {
    const model = mnistCnn({ rng: new Rng(0) });
    model.train();
    model.at('conv2').eval();
    exportOnnx(model, example, { opset: 17 });
    expect(model.namedModules().map(([, m]) => m.training)).toEqual(model.namedModules().map(([p]) => p !== 'conv2'));
    expect(model.namedModules().some(([, m]) => m.hasForwardHooks)).toBe(false);
  });
});

const hasOnnx = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('ONNX\'s own checker (Debian python3-onnx)', () => {
  if (!hasOnnx) console.log('skipping onnx.checker: /usr/bin/python3 cannot import onnx (install Debian\'s python3-onnx to run it)');
  test.skipIf(!hasOnnx)('accepts the exported reference CNN (full check, with shape inference)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainkit-onnx-'));
    try {
      const file = join(dir, 'cnn.onnx');
      writeFileSync(file, exportOnnx(mnistCnn({ rng: new Rng(0) }), example, { opset: 17 }));
      execFileSync('/usr/bin/python3', ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
