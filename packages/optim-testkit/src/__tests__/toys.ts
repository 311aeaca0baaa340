// Correct small optimizers for the kit's own tests: the references the kind-specific laws compare
// against, written with core's public API as a third party would. (The broken ones are in mutants.ts.)
import { defineOptimizer } from '@trainkit/core';

const f = Math.fround;

/** torch.optim.SGD with momentum, in the same float32 arithmetic as core's sgd. */
export const toyMomentum = defineOptimizer({
  name: 'toy/momentum',
  defaults: { lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
  slots: ['buf'],
  update({ value, grad, slots, hyper, step }) {
    const alpha = f(-hyper.lr);
    for (let i = 0; i < value.length; i++) {
      const p = value[i];
      const d = hyper.weightDecay === 0 ? grad[i] : f(grad[i] + f(hyper.weightDecay) * p);
      const b = step === 1 ? d : f(f(slots.buf[i] * f(hyper.momentum)) + d * f(1 - hyper.dampening));
      slots.buf[i] = b;
      value[i] = p + alpha * (hyper.nesterov ? f(d + b * f(hyper.momentum)) : b);
    }
  },
});

/** What {@link adamLike} gets wrong on purpose (nothing, for the references). */
export interface AdamFlaws {
  noBiasCorrection?: boolean;
  epsInsideSqrt?: boolean;
  /** AdamW's decoupled decay p ← p·(1 − λ) instead of p·(1 − lr·λ). */
  decayWithoutLr?: boolean;
}

/** Adam (coupled weight decay) or AdamW (decoupled), following torch.optim's formulas, with optional flaws. */
export function adamLike(name: string, decoupled: boolean, flaws: AdamFlaws = {}) {
  return defineOptimizer({
    name,
    defaults: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: decoupled ? 1e-2 : 0 },
    slots: ['m', 'v'],
    update({ value, grad, slots: { m, v }, hyper: h, step }) {
      const bc1 = flaws.noBiasCorrection ? 1 : 1 - h.beta1 ** step;
      const bc2 = flaws.noBiasCorrection ? 1 : Math.sqrt(1 - h.beta2 ** step);
      const shrink = 1 - (flaws.decayWithoutLr ? 1 : h.lr) * h.weightDecay;
      for (let i = 0; i < value.length; i++) {
        if (decoupled) value[i] *= shrink;
        const g = decoupled ? grad[i] : grad[i] + h.weightDecay * value[i];
        m[i] = h.beta1 * m[i] + (1 - h.beta1) * g;
        v[i] = h.beta2 * v[i] + (1 - h.beta2) * g * g;
        const denom = flaws.epsInsideSqrt ? Math.sqrt(v[i] / bc2 ** 2 + h.eps) : Math.sqrt(v[i]) / bc2 + h.eps;
        value[i] -= ((h.lr / bc1) * m[i]) / denom;
      }
    },
  });
}
export const toyAdam = adamLike('toy/adam', false);
export const toyAdamw = adamLike('toy/adamw', true);

/**
 * Momentum SGD as one would write it first: in float64, rounded once when stored. Correct, but
 * it rounds differently from core's sgd (which rounds −lr to float32 first, as torch does).
 */
export const float64Momentum = defineOptimizer({
  name: 'toy/float64-momentum',
  defaults: { lr: 0.01, momentum: 0.9, weightDecay: 0 },
  slots: ['buf'],
  update({ value, grad, slots, hyper, step }) {
    for (let i = 0; i < value.length; i++) {
      const d = grad[i] + hyper.weightDecay * value[i];
      const b = step === 1 ? d : hyper.momentum * slots.buf[i] + d;
      slots.buf[i] = b;
      value[i] -= hyper.lr * b;
    }
  },
});

