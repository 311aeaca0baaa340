import { defineOptimizer } from './optimizer';

/**
 * Plain stochastic gradient descent, the reference optimizer: `g ← g + weightDecay·p; p ← p − lr·g`
 * (torch.optim.SGD with momentum 0). Momentum and Nesterov live in `@trainkit/optim-momentum`.
 * It equals `chain('…', addDecayedWeights(), scaleByLearningRate())` (a test checks it).
 *
 * Options (all optional, plus `groups` for parameter groups):
 * - `lr`: learning rate (default 0.01)
 * - `weightDecay`: L2 penalty coefficient added to the gradient (default 0)
 *
 * @example
 * const trainer = new Trainer({ optimizer: sgd({ lr: 0.1 }) });
 */
export const sgd = defineOptimizer({
  name: 'core/sgd',
  defaults: { lr: 0.01, weightDecay: 0 },
  validate: (h) => (h.weightDecay < 0 ? `weightDecay must be ≥ 0, got ${h.weightDecay}` : undefined),
  update({ value, grad, hyper }) {
    // torch.optim.SGD's arithmetic: d = g + wd·p, then p ← p + (−lr)·d, each rounded to float32
    // (its CPU kernels fuse the multiply-add; a double product plus one rounding matches)
    const alpha = Math.fround(-hyper.lr);
    const wd = Math.fround(hyper.weightDecay);
    const n = value.length;
    if (wd === 0) for (let i = 0; i < n; i++) value[i] = value[i] + alpha * grad[i];
    else {
      for (let i = 0; i < n; i++) {
        const p = value[i];
        value[i] = p + alpha * Math.fround(grad[i] + wd * p);
      }
    }
  },
});
