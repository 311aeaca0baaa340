import { type GradientTransform, defineOptimizer } from '@trainkit/core';
import { adagradStepKernel } from '@trainkit/tensor';

const f = Math.fround;

/** Hyperparameters of {@link scaleByAdagrad}. */
export type ScaleByAdagradHyper = { lrDecay: number; initialAccumulatorValue: number; eps: number };

/** Hyperparameters of {@link adagrad}. */
export type AdagradHyper = ScaleByAdagradHyper & { lr: number; weightDecay: number };

function validate(h: Readonly<ScaleByAdagradHyper & { weightDecay?: number }>): string | undefined {
  if (h.lrDecay < 0) return `lrDecay must be ≥ 0, got ${h.lrDecay}`;
  if (h.initialAccumulatorValue < 0) return `initialAccumulatorValue must be ≥ 0, got ${h.initialAccumulatorValue}`;
  if (!(h.eps > 0)) return `eps must be > 0, got ${h.eps}`;
  if (h.weightDecay !== undefined && h.weightDecay < 0) return `weightDecay must be ≥ 0, got ${h.weightDecay}`;
  return undefined;
}

/**
 * AdaGrad (Duchi et al. 2011), exactly torch.optim.Adagrad: the accumulator starts at
 * `initialAccumulatorValue`, `sum ← sum + g²`, and `p ← p − clr · g / (√sum + eps)` with
 * `clr = lr / (1 + (t − 1)·lrDecay)`. The per-coordinate step shrinks as gradients accumulate.
 *
 * Options (all optional, plus `groups` for parameter groups):
 * - `lr`: learning rate (default 1e-2)
 * - `lrDecay`: learning-rate decay per step (default 0)
 * - `weightDecay`: L2 penalty added to the gradient (default 0)
 * - `initialAccumulatorValue`: starting value of the squared-gradient sum (default 0)
 * - `eps`: added to the denominator (default 1e-10)
 *
 * @see https://jmlr.org/papers/v12/duchi11a.html
 * @example
 * const opt = adagrad({ lr: 0.01, initialAccumulatorValue: 0.1 });
 */
export const adagrad = defineOptimizer<AdagradHyper>({
  name: 'optim-adaptive/adagrad',
  defaults: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 },
  slots: ['sum'],
  resident: true,
  validate,
  update({ value, grad, slots, hyper, step }) {
    const sum = slots.sum;
    if (step === 1) sum.fill(hyper.initialAccumulatorValue);
    const clr = f(-(hyper.lr / (1 + (step - 1) * hyper.lrDecay)));
    const wd = f(hyper.weightDecay);
    const eps = f(hyper.eps);
    // the same arithmetic as the loop below, fused on the WebAssembly SIMD kernel when available
    if (adagradStepKernel(value, grad, sum, { clr, weightDecay: wd, eps })) return;
    for (let i = 0; i < value.length; i++) {
      const p = value[i];
      const g = wd === 0 ? grad[i] : f(grad[i] + wd * p);
      const s = f(sum[i] + g * g); // torch's addcmul_ is one fused multiply-add
      sum[i] = s;
      value[i] = p + f(f(clr * g) / f(f(Math.sqrt(s)) + eps));
    }
  },
});

/** AdaGrad's scaling as a chainable transform: u ← u / (√sum + eps) / (1 + (t−1)·lrDecay). */
export function scaleByAdagrad(o: Partial<ScaleByAdagradHyper> = {}): GradientTransform<ScaleByAdagradHyper> {
  return {
    name: 'scaleByAdagrad',
    defaults: { lrDecay: o.lrDecay ?? 0, initialAccumulatorValue: o.initialAccumulatorValue ?? 0, eps: o.eps ?? 1e-10 },
    slots: ['sum'],
    validate,
    update({ update, slots, hyper, step }) {
      const sum = slots.sum;
      if (step === 1) sum.fill(hyper.initialAccumulatorValue);
      const decay = 1 / (1 + (step - 1) * hyper.lrDecay);
      for (let i = 0; i < update.length; i++) {
        const g = update[i];
        sum[i] += g * g;
        update[i] = (decay * g) / (Math.sqrt(sum[i]) + hyper.eps);
      }
    },
  };
}
