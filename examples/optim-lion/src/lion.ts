import { type GradientTransform, addDecayedWeights, chain, scaleByLearningRate } from '@trainkit/core';

/**
 * Lion's direction as a chainable transform: u ← sign(β1·m + (1−β1)·g), then m ← β2·m + (1−β2)·g.
 * @param beta1 interpolation between momentum and gradient for the step (default 0.9)
 * @param beta2 decay of the momentum kept for later steps (default 0.99)
 */
export function scaleByLion({ beta1 = 0.9, beta2 = 0.99 } = {}): GradientTransform<{ beta1: number; beta2: number }> {
  return {
    name: 'scaleByLion',
    defaults: { beta1, beta2 },
    slots: ['m'],
    validate: (h) => (['beta1', 'beta2'] as const).map((k) => (h[k] >= 0 && h[k] < 1 ? '' : `${k} must be in [0, 1), got ${h[k]}`)).find(Boolean),
    update({ update, slots: { m }, hyper: { beta1: b1, beta2: b2 } }) {
      for (let i = 0; i < update.length; i++) {
        const g = update[i];
        update[i] = Math.sign(b1 * m[i] + (1 - b1) * g);
        m[i] = b2 * m[i] + (1 - b2) * g;
      }
    },
  };
}

/**
 * Lion (EvoLved Sign Momentum): p ← p − lr·(sign(β1·m + (1−β1)·g) + weightDecay·p), then
 * m ← β2·m + (1−β2)·g. Every coordinate moves by exactly lr per step (plus decay), so use an
 * lr 3–10× smaller than AdamW's and a weightDecay 3–10× larger.
 * @param lr learning rate (default 1e-4)
 * @param weightDecay decoupled weight decay λ (default 0)
 * @see https://arxiv.org/abs/2302.06675 (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms")
 * @example
 * const opt = lion({ lr: 3e-5, weightDecay: 0.1, groups: [{ params: /bias$/, weightDecay: 0 }] });
 */
export const lion = chain<{ lr: number; beta1: number; beta2: number; weightDecay: number }>('optim-lion/lion', scaleByLion(), addDecayedWeights(), scaleByLearningRate({ lr: 1e-4 }));
