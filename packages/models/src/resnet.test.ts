import { fc, test as fcTest } from '@fast-check/vitest';
import { Rng, ValueError, noGrad, zeros } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { type ResNetDepth, resnet } from './resnet';
import { halvesTask, sgdLosses } from './__tests__/train';

const paramNames = (depth: ResNetDepth) => resnet({ depth, width: 4, rng: new Rng(0) }).namedParameters().map(([n]) => n);

describe('resnet', () => {
  test('ResNet-8 is named like torchvision: conv1, bn1, layerK.i.{conv,bn}{1,2}, layerK.0.downsample.{0,1}, fc', () => {
    const block = (k: number, down: boolean) => [
      ...['conv1.weight', 'bn1.weight', 'bn1.bias', 'conv2.weight', 'bn2.weight', 'bn2.bias'].map((n) => `layer${k}.0.${n}`),
      ...(down ? [`layer${k}.0.downsample.0.weight`, `layer${k}.0.downsample.1.weight`, `layer${k}.0.downsample.1.bias`] : []),
    ];
    expect(paramNames(8)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', ...block(1, false), ...block(2, true), ...block(3, true), 'fc.weight', 'fc.bias']);
  });

  test.each([[8, 1], [20, 3], [32, 5]] as const)('depth %i has n = %i BasicBlocks per stage, only the first of stages 2 and 3 with a projection shortcut', (depth, n) => {
    const model = resnet({ depth, width: 4, rng: new Rng(0) });
    for (const [k, stage] of [[1, model.layer1], [2, model.layer2], [3, model.layer3]] as const) {
      expect(stage.length, `layer${k}`).toBe(n);
      const names = paramNames(depth).filter((p) => p.startsWith(`layer${k}.`) && p.includes('downsample'));
      expect(names.every((p) => p.startsWith(`layer${k}.0.`)), names.join()).toBe(true);
      expect(names.length, `layer${k} downsample parameters`).toBe(k === 1 ? 0 : 3);
    }
  });

  test('ResNet-20 with width 16 has the 0.27 M parameters of He et al.\'s Table 6', () => {
    expect(resnet({ depth: 20, inChannels: 3, numClasses: 10 }).numParameters() / 1e6).toBeCloseTo(0.27, 2);
  });

  test('convolutions start He-normal over fan-out (torchvision), BatchNorm at scale 1 and shift 0', () => {
    const model = resnet({ depth: 8, width: 16, rng: new Rng(3) });
    const w = model.layer3.stateDict()['0.conv2.weight'].data; // [64, 64, 3, 3]: fan-out 64·9
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / (64 * 9)), 2);
    expect([...model.bn1.weight!.data].every((v) => v === 1) && [...model.bn1.bias!.data].every((v) => v === 0)).toBe(true);
  });

  fcTest.prop([fc.constantFrom<ResNetDepth>(8, 20), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 4, max: 12 })], { numRuns: 8 })(
    'for any depth, width, channels, classes and image size, logits are [N, numClasses] (global pooling makes the size free)',
    (depth, width, inChannels, numClasses, size) => {
      const model = resnet({ depth, width, inChannels, numClasses, rng: new Rng(1) }).eval();
      expect(noGrad(() => model.call(zeros([2, inChannels, size, size]))).shape).toEqual([2, numClasses]);
    },
  );

  test('zeroInitResidual starts every block\'s bn2 scale at 0 (torchvision\'s zero_init_residual): each block begins as relu(shortcut(x)); nothing else changes', () => {
    const plain = resnet({ depth: 20, width: 4, rng: new Rng(5) });
    const zero = resnet({ depth: 20, width: 4, rng: new Rng(5), zeroInitResidual: true });
    const a = plain.stateDict();
    const b = zero.stateDict();
    for (const [k, t] of Object.entries(b)) {
      if (/\.bn2\.weight$/.test(k)) expect([...t.data].every((v) => v === 0), k).toBe(true);
      else expect([...t.data], k).toEqual([...a[k].data]);
    }
    expect(Object.keys(b).filter((k) => /\.bn2\.weight$/.test(k))).toHaveLength(9);
    expect(() => resnet({ depth: 8, zeroInitResidual: 'yes' as never })).toThrow('resnet: zeroInitResidual must be true or false, got "yes"');
  });

  test('bad options and inputs are errors that name the option or the expected input', () => {
    expect(() => resnet({ depth: 10 as ResNetDepth })).toThrow(/resnet: depth must be one of 8, 20, 32, 44, 56, 110 .*got 10/);
    expect(() => resnet({ depth: 8, width: 0 })).toThrow(/resnet: width must be a positive integer, got 0/);
    expect(() => resnet({ depth: 8, numClasses: 2.5 })).toThrow(/resnet: numClasses must be a positive integer, got 2.5/);
    expect(() => resnet({ depth: 8, width: 2 }).call(zeros([2, 1, 8, 8]))).toThrow(/ResNet: expected images \[N, 3, H, W\], got \[2, 1, 8, 8\]/);
  });

  test('an option it does not know (num_classes, torchvision\'s spelling) is a ValueError listing the supported ones, not ignored for the default', () => {
    const make = () => resnet({ depth: 8, num_classes: 100 } as never);
    expect(make).toThrow(ValueError);
    expect(make).toThrow('resnet: unknown option "num_classes" (supported: depth, inChannels, numClasses, width, rng, zeroInitResidual)');
    expect(() => resnet(undefined as never)).toThrow('resnet: options must be an object, got undefined');
    expect(resnet({ depth: 8, width: 2, rng: undefined }).fc.outFeatures).toBe(10);
  });

  test('a refused build draws nothing: after resnet({ zeroInitResidual: "yes" }) throws, the generator gives the weights a fresh one gives', () => {
    const rng = new Rng(3);
    expect(() => resnet({ depth: 8, width: 2, zeroInitResidual: 'yes' as never, rng })).toThrow(ValueError);
    const after = resnet({ depth: 8, width: 2, rng }).stateDict();
    const fresh = resnet({ depth: 8, width: 2, rng: new Rng(3) }).stateDict();
    for (const [k, t] of Object.entries(fresh)) expect([...after[k].data], k).toEqual([...t.data]);
  });

  test('trains: a few full-batch SGD steps on a small task lower the loss', () => {
    const { x, y } = halvesTask(16, 1, 8);
    const losses = sgdLosses(resnet({ depth: 8, inChannels: 1, numClasses: 2, width: 4, rng: new Rng(2) }), x, y, 12, 0.1);
    expect(losses.at(-1)).toBeLessThan(0.7 * losses[0]);
  });
});
