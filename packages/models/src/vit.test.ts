import { Rng, ValueError, concat, noGrad, slice, tensor, zeros } from '@trainkit/tensor';
import { describe, expect, test } from 'vitest';
import { type ViTOptions, vitTiny } from './vit';
import { halvesTask, sgdLosses } from './__tests__/train';

const small: ViTOptions = { imageSize: 8, patchSize: 4, inChannels: 1, dim: 16, depth: 2, heads: 4, numClasses: 3, mlpRatio: 2 };

describe('vitTiny', () => {
  test('is named like timm: patch_embed, cls_token, pos_embed, blocks.i.{norm1, attn, norm2, mlp.fc1, mlp.fc2}, norm, head', () => {
    const names = vitTiny({ ...small, depth: 1, rng: new Rng(0) }).namedParameters().map(([n]) => n);
    const block = ['norm1.weight', 'norm1.bias', 'attn.in_proj_weight', 'attn.in_proj_bias', 'attn.out_proj.weight', 'attn.out_proj.bias',
      'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias'].map((n) => `blocks.0.${n}`);
    expect(names).toEqual(['cls_token', 'pos_embed', 'patch_embed.weight', 'patch_embed.bias', ...block, 'norm.weight', 'norm.bias', 'head.weight', 'head.bias']);
  });

  test('one token per patch plus the class token: pos_embed is [1, (imageSize / patchSize)² + 1, dim]; the MLP is dim·mlpRatio wide', () => {
    const model = vitTiny({ ...small, imageSize: 28, patchSize: 7, rng: new Rng(0) });
    expect(model.pos_embed.shape).toEqual([1, 17, 16]);
    expect(model.patch_embed.weight.shape).toEqual([16, 1, 7, 7]);
    expect(model.stateDict()['blocks.1.mlp.fc1.weight'].shape).toEqual([32, 16]);
  });

  test.each([[5, 2.5, 12], [6, 2.25, 14], [10, 0.25, 2], [2, 0.75, 2]])(
    'dim %i · mlpRatio %f rounds like Python\'s round (ties to even), as the PyTorch definition: %i hidden features',
    (dim, mlpRatio, hidden) => {
      const model = vitTiny({ ...small, dim, heads: 1, mlpRatio, rng: new Rng(0) });
      expect(model.stateDict()['blocks.0.mlp.fc1.weight'].shape).toEqual([hidden, dim]);
    },
  );

  test('dim · mlpRatio that rounds to 0 (0.5 → 0, as Python rounds) is refused', () => {
    expect(() => vitTiny({ ...small, dim: 2, heads: 1, mlpRatio: 0.25 })).toThrow(/vitTiny: mlpRatio must be a finite number > 0 with dim · mlpRatio ≥ 1, got 0.25/);
  });

  test('each image\'s logits are its own: a batch gives what each image gives alone (the class token is per image)', () => {
    const model = vitTiny({ ...small, rng: new Rng(1) });
    const x = tensor(new Rng(2).fillNormal(new Float32Array(3 * 64)), [3, 1, 8, 8]);
    const batch = noGrad(() => model.call(x));
    const alone = noGrad(() => concat([0, 1, 2].map((i) => model.call(slice(x, 0, i, i + 1))), 0));
    for (let i = 0; i < batch.size; i++) expect(batch.data[i]).toBeCloseTo(alone.data[i], 5);
    expect(batch.shape).toEqual([3, 3]);
  });

  test('bad options and inputs are errors that say what must divide what, or the expected input', () => {
    expect(() => vitTiny({ ...small, imageSize: 30, patchSize: 4 })).toThrow(/vitTiny: imageSize \(30\) must be divisible by patchSize \(4\) so the patches tile the image; try patchSize 3 or 5/);
    expect(() => vitTiny({ ...small, dim: 30, heads: 4 })).toThrow(/vitTiny: dim \(30\) must be divisible by heads \(4\)/);
    expect(() => vitTiny({ ...small, depth: 0 })).toThrow(/vitTiny: depth must be a positive integer, got 0/);
    expect(() => vitTiny({ ...small, mlpRatio: -1 })).toThrow(/vitTiny: mlpRatio must be a finite number > 0/);
    expect(() => vitTiny(small).call(zeros([2, 1, 12, 12]))).toThrow(/VisionTransformer: expected images \[N, 1, 8, 8\], got \[2, 1, 12, 12\]/);
  });

  test('an option it does not know (dropout, or timm\'s mlp_ratio) is a ValueError listing the supported ones, not ignored', () => {
    expect(() => vitTiny({ ...small, mlp_ratio: 2 } as never)).toThrow(ValueError);
    expect(() => vitTiny({ ...small, mlp_ratio: 2 } as never)).toThrow(
      'vitTiny: unknown option "mlp_ratio" (supported: imageSize, patchSize, inChannels, dim, depth, heads, numClasses, mlpRatio, rng)',
    );
  });

  test('trains: a few full-batch SGD steps on a small task lower the loss', () => {
    const { x, y } = halvesTask(16, 1, 8);
    const losses = sgdLosses(vitTiny({ ...small, numClasses: 2, rng: new Rng(2) }), x, y, 12, 0.1);
    expect(losses.at(-1)).toBeLessThan(0.7 * losses[0]);
  });
});
