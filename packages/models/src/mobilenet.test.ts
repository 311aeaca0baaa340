import { Conv2d } from '@trainkit/nn';
import { Rng, ValueError, noGrad, tensor, zeros } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { InvertedResidual, MOBILENET_V2_SMALL_CONFIG, MobileNetV2, type MobileNetV2Options, mobilenetV2 } from './mobilenet';
import { ReLU6 } from './relu6';
import { halvesTask, sgdLosses } from './__tests__/train';

const tiny: MobileNetV2Options = {
  widthMult: 0.5,
  lastChannels: 64,
  config: [
    { expansion: 1, channels: 16, blocks: 1, stride: 1 },
    { expansion: 6, channels: 24, blocks: 2, stride: 2 },
  ],
  rng: new Rng(0),
};

describe('ReLU6', () => {
  test('is min(max(x, 0), 6), with gradient 1 inside (0, 6) and 0 outside', () => {
    const x = tensor([-3, -0, 1e-7, 0.5, 5.999, 7, 1e6], [7], { requiresGrad: true });
    const y = new ReLU6().call(x);
    expect([...y.data].map((v) => v + 0)).toEqual([0, 0, Math.fround(1e-7), 0.5, Math.fround(5.999), 6, 6]);
    y.backward(new Float32Array(7).fill(1));
    expect([...(x.grad as Float32Array)]).toEqual([0, 0, 1, 1, 1, 0, 0]);
  });

  test('is exact for ±∞ and values past 2²⁴ (6 above, 0 below), and its gradient at exactly 6 is 0 as in PyTorch', () => {
    const x = tensor([-Infinity, 2 ** 25, 3e38, Infinity, 6], [5], { requiresGrad: true });
    const y = new ReLU6().call(x);
    expect([...y.data]).toEqual([0, 6, 6, 6, 6]);
    y.backward(new Float32Array(5).fill(1));
    expect([...(x.grad as Float32Array)]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('mobilenetV2', () => {
  test('blocks are named like torchvision\'s InvertedResidual: conv.0 expand, conv.1 depthwise, conv.2 project, conv.3 BatchNorm', () => {
    const names = new Set(mobilenetV2(tiny).namedParameters().map(([n]) => n));
    for (const n of ['features.0.0.weight', 'features.0.1.weight', 'features.1.conv.0.0.weight', 'features.1.conv.1.weight', 'features.1.conv.2.bias',
      'features.2.conv.0.0.weight', 'features.2.conv.1.0.weight', 'features.2.conv.2.weight', 'features.2.conv.3.weight', 'features.4.0.weight', 'classifier.weight']) {
      expect(names.has(n), n).toBe(true);
    }
  });

  test('the 3×3 convolutions are depthwise (groups = channels) and a block adds its input only with stride 1 and unchanged channels', () => {
    const model = mobilenetV2(tiny);
    const blocks = model.features.namedChildren().map(([, m]) => m).filter((m): m is InvertedResidual => m instanceof InvertedResidual);
    expect(blocks.map((b) => b.useResidual)).toEqual([false, false, true]); // 16→8, 8→16 stride 2, 16→16 stride 1
    for (const b of blocks) {
      const dw = b.conv.namedModules().map(([, m]) => m).filter((m): m is Conv2d => m instanceof Conv2d && m.kernelSize[0] === 3);
      expect(dw).toHaveLength(1);
      expect(dw[0].options.groups).toBe(dw[0].inChannels);
    }
  });

  test('widths are multiplied and rounded to multiples of 8 like torchvision (32·0.5 → 16, 24·0.5 → 16, last 1280 unscaled below 1)', () => {
    const model = mobilenetV2({ widthMult: 0.5, rng: new Rng(0) });
    expect(model.features.stateDict()['0.0.weight'].shape).toEqual([16, 3, 3, 3]);
    expect(model.features.stateDict()['2.conv.3.weight'].shape).toEqual([16]);
    expect(model.classifier.inFeatures).toBe(1280);
  });

  test('the default (small-image) network has MobileNetV2\'s 2.2 M parameters and 17 inverted residuals', () => {
    const model = mobilenetV2({ numClasses: 10 });
    expect(model.numParameters() / 1e6).toBeCloseTo(2.24, 2);
    expect(MOBILENET_V2_SMALL_CONFIG.reduce((s, r) => s + r.blocks, 0)).toBe(17);
    expect(noGrad(() => model.eval().call(zeros([1, 3, 32, 32]))).shape).toEqual([1, 10]);
  });

  test('bad options and inputs are errors that name the option or the expected input', () => {
    const config = [{ expansion: 1, channels: 16, blocks: 1, stride: 1 }, { expansion: 6, channels: 24, blocks: 2, stride: 3 }];
    expect(() => mobilenetV2({ config })).toThrow(/mobilenetV2: config\[1\]\.stride must be 1 or 2, got 3/);
    expect(() => mobilenetV2({ config: [{ ...config[0], blocks: 0 }] })).toThrow(/mobilenetV2: config\[0\]\.blocks must be a positive integer, got 0/);
    expect(() => mobilenetV2({ config: [] })).toThrow(/mobilenetV2: config must be a non-empty array/);
    expect(() => mobilenetV2({ widthMult: 0 })).toThrow(/mobilenetV2: widthMult must be a finite number > 0, got 0/);
    expect(() => new MobileNetV2(tiny).call(zeros([2, 1, 8, 8]))).toThrow(/MobileNetV2: expected images \[N, 3, H, W\], got \[2, 1, 8, 8\]/);
  });

  test('an option it does not know (torchvision\'s dropout, width_mult) is a ValueError listing the supported ones, not ignored', () => {
    expect(() => mobilenetV2({ ...tiny, dropout: 0.2 } as never)).toThrow(ValueError);
    expect(() => mobilenetV2({ ...tiny, dropout: 0.2, width_mult: 0.5 } as never)).toThrow(
      'mobilenetV2: unknown options "dropout", "width_mult" (supported: inChannels, numClasses, widthMult, config, stemChannels, lastChannels, rng)',
    );
  });

  test('a refused build draws nothing: after mobilenetV2({ lastChannels: 0 }) throws, the generator gives the weights a fresh one gives', () => {
    const rng = new Rng(4);
    expect(() => mobilenetV2({ ...tiny, lastChannels: 0, rng })).toThrow('mobilenetV2: lastChannels must be a positive integer, got 0');
    const after = mobilenetV2({ ...tiny, rng }).stateDict();
    const fresh = mobilenetV2({ ...tiny, rng: new Rng(4) }).stateDict();
    for (const [k, t] of Object.entries(fresh)) expect([...after[k].data], k).toEqual([...t.data]);
  });

  test('trains: a few full-batch SGD steps on a small task lower the loss', () => {
    const { x, y } = halvesTask(16, 1, 8);
    const losses = sgdLosses(mobilenetV2({ ...tiny, inChannels: 1, numClasses: 2, rng: new Rng(2) }), x, y, 12, 0.1);
    expect(losses.at(-1)).toBeLessThan(0.7 * losses[0]);
  });
});
