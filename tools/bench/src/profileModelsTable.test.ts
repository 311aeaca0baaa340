// The per-op profile's tables (profileModelsTable.ts): PyTorch's names and trainkit's for the same
// op land in the same group, and the hot-spot verdict follows the share ratio.
import { describe, expect, it } from 'vitest';
import { HOT_SPOT_RATIO, type Timing, byGroup, groupOf, renderProfile } from './profileModelsTable';

describe('groupOf', () => {
  it.each([
    ['layerNorm', 'aten::layer_norm', 'NativeLayerNormBackward0', 'LayerNorm'],
    ['gelu', 'aten::gelu', 'GeluBackward0', 'GELU'],
    ['softmax', 'aten::softmax', 'SoftmaxBackward0', 'softmax'],
    ['matmul', 'aten::bmm', 'BmmBackward0', 'attention matmuls (batched)'],
    ['batchNorm', 'aten::batch_norm', 'NativeBatchNormBackward0', 'BatchNorm'],
    ['conv2d', 'aten::conv2d', 'ConvolutionBackward0', 'convolution'],
    ['linear', 'aten::linear', 'AddmmBackward0', 'linear'],
    ['globalAvgPool2d', 'aten::mean', 'MeanBackward1', 'average pooling (global)'],
    ['crossEntropy', 'aten::cross_entropy_loss', 'NllLossBackward0', 'cross-entropy'],
  ])('trainkit %s, PyTorch %s and %s are all "%s"', (tk, fwd, bwd, group) => {
    expect([groupOf(tk).group, groupOf(fwd).group, groupOf(bwd).group]).toEqual([group, group, group]);
  });

  it('puts a fused conv2d+relu with the convolutions, not with ReLU', () => {
    expect(groupOf('conv2d+relu').group).toBe('convolution');
  });
});

describe('renderProfile', () => {
  const timing = (gelu: number, rest: number): Timing => ({
    stepMs: gelu + rest,
    profiledStepMs: gelu + rest,
    describe: 'x',
    groups: [{ phase: 'forward', op: 'gelu', ms: gelu / 2 }, { phase: 'backward', op: 'GeluBackward0', ms: gelu / 2 }, { phase: 'forward', op: 'linear', ms: rest }],
  });

  it('sums each group over both phases, as a share of the whole step', () => {
    const { rows, total } = byGroup(timing(30, 70));
    expect(total).toBe(100);
    expect(rows.get('GELU')).toEqual({ forward: 15, backward: 15, total: 30 });
  });

  it(`flags a new op exactly when its share is above ${HOT_SPOT_RATIO}× PyTorch's`, () => {
    // torch: GELU 10 % of the step; trainkit 31 % (3.1×) is a hot spot, 29 % (2.9×) is not
    expect(renderProfile('m', timing(31, 69), timing(10, 90))).toContain('**Hot spots above 3× PyTorch\'s share:** GELU (31.0 %');
    expect(renderProfile('m', timing(29, 71), timing(10, 90))).toContain('Hot spots above 3× PyTorch\'s share: none.');
  });

  it('decides nothing without a PyTorch profile', () => {
    expect(renderProfile('m', timing(30, 70), 'not installed')).toContain('Hot spots: not decided (no PyTorch profile).');
  });
});
