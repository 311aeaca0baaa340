import { ValueError, zeros } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { GELU } from './activations';
import { MultiheadAttention } from './attention';
import { Conv2d } from './conv2d';
import { Embedding } from './embedding';
import { Linear } from './linear';
import { GroupNorm, LayerNorm } from './norm';
import { AvgPool2d, MaxPool2d } from './simple';

// Options are given as untyped records, as from JavaScript or a config file: TypeScript would
// reject an unknown key in a literal, but nothing at run time did, and the layer ignored it.
const loose = (o: Record<string, unknown>): never => o as never;

describe('layers refuse options they do not support instead of ignoring them', () => {
  test.each([
    ['MaxPool2d', () => new MaxPool2d(2, loose({ ceilMode: true })), 'MaxPool2d: unknown option "ceilMode" (supported: stride, padding)'],
    ['AvgPool2d', () => new AvgPool2d(3, loose({ stride: 2, countIncludePad: false })), 'AvgPool2d: unknown option "countIncludePad" (supported: stride, padding)'],
    ['Conv2d', () => new Conv2d(1, 2, 3, loose({ padding: 1, paddingMode: 'reflect' })), 'Conv2d: unknown option "paddingMode"'],
    ['Linear', () => new Linear(2, 3, loose({ bais: false })), 'Linear: unknown option "bais" (supported: bias, rng)'],
    ['LayerNorm', () => new LayerNorm(4, loose({ elementwise_affine: false })), 'LayerNorm: unknown option "elementwise_affine" (supported: eps, affine)'],
    ['GroupNorm', () => new GroupNorm(2, 4, loose({ epsilon: 1e-3 })), 'GroupNorm: unknown option "epsilon" (supported: eps, affine)'],
    ['Embedding', () => new Embedding(5, 2, loose({ maxNorm: 1 })), 'Embedding: unknown option "maxNorm" (supported: paddingIdx, rng)'],
    ['MultiheadAttention', () => new MultiheadAttention(4, 2, loose({ dropout: 0.1, kdim: 3 })), 'MultiheadAttention: unknown options "dropout", "kdim" (supported: bias, causal, rng)'],
    ['GELU', () => new GELU(loose({ approx: 'tanh' })), 'GELU: unknown option "approx" (supported: approximate)'],
  ])('%s: an unknown option is a ValueError naming it and the supported ones', (_layer, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });

  test('a pooling layer whose option PyTorch would honour no longer computes another shape: MaxPool2d(2, { ceilMode: true }) on 5×5 is refused, not 2×2', () => {
    // torch.nn.MaxPool2d(2, ceil_mode=True) maps 5×5 to 3×3; ignoring the option gave 2×2
    expect(() => new MaxPool2d(2, loose({ ceilMode: true })).call(zeros([1, 1, 5, 5]))).toThrow(ValueError);
  });

  test('MultiheadAttention.attend refuses a per-call option it lacks (keyPaddingMask) instead of attending to the padding', () => {
    const attn = new MultiheadAttention(4, 2);
    const x = zeros([1, 3, 4]);
    expect(() => attn.attend(x, x, x, loose({ keyPaddingMask: zeros([1, 3]) }))).toThrow('MultiheadAttention.attend: unknown option "keyPaddingMask" (supported: mask, causal)');
    expect(attn.attend(x, x, x, { mask: null, causal: true }).shape).toEqual([1, 3, 4]);
  });

  test('options that are undefined are let through, and options that are not an object are refused', () => {
    expect(() => new Conv2d(1, 2, 3, { padding: undefined, rng: undefined })).not.toThrow();
    expect(() => new MaxPool2d(2, loose({ stride: undefined, dilation: undefined }))).not.toThrow();
    expect(() => new MaxPool2d(2, null as never)).toThrow('MaxPool2d: options must be an object, got null');
    expect(() => new Linear(2, 3, 'bias' as never)).toThrow('Linear: options must be an object, got string');
  });

  test('a pooling padding above half the kernel is refused where the layer is built, naming it (PyTorch refuses it too)', () => {
    expect(() => new MaxPool2d(2, { padding: 2 })).toThrow(ValueError);
    expect(() => new MaxPool2d(2, { padding: 2 })).toThrow('MaxPool2d: padding must be at most half the kernel size (as in PyTorch), got padding 2 for kernel 2');
    expect(() => new AvgPool2d([3, 2], { padding: [1, 2] })).toThrow('AvgPool2d: padding must be at most half the kernel size');
    expect(new MaxPool2d(3, { padding: 1, stride: 1 }).call(zeros([1, 1, 4, 4])).shape).toEqual([1, 1, 4, 4]);
  });
});
