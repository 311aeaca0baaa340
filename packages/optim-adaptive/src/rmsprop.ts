import { type GradientTransform, defineOptimizer } from '@trainkit/core';
import { rmspropStepKernel } from '@trainkit/tensor';

const f = Math.fround;

/** Hyperparameters of {@link scaleByRms}. */
export type ScaleByRmsHyper = { alpha: number; eps: number; momentum: number; centered: boolean };

/** Hyperparameters of {@link rmsprop}. */
export type RmspropHyper = ScaleByRmsHyper & { lr: number; weightDecay: number };

function validate(h: Readonly<ScaleByRmsHyper & { weightDecay?: number }>): string | undefined {
  if (!(h.alpha >= 0 && h.alpha < 1)) return `alpha must be in [0, 1), got ${h.alpha}`;
  if (!(h.eps > 0)) return `eps must be > 0, got ${h.eps}`;
  if (h.momentum < 0) return `momentum must be ≥ 0, got ${h.momentum}`;
  if (h.weightDecay !== undefined && h.weightDecay < 0) return `weightDecay must be ≥ 0, got ${h.weightDecay}`;
  return undefined;
}

/** Slot lists by [centered][momentum > 0], so the same configuration gets the same array. */
const SLOTS = [
  [['squareAvg'], ['squareAvg', 'momentumBuffer']],
  [['squareAvg', 'gradAvg'], ['squareAvg', 'gradAvg', 'momentumBuffer']],
] as const;
/** As torch.optim.RMSprop's state: `gradAvg` only when centered, `momentumBuffer` only with momentum > 0. */
const rmsSlots = (h: Readonly<{ centered: boolean; momentum: number }>): readonly string[] => SLOTS[h.centered ? 1 : 0][h.momentum > 0 ? 1 : 0];

/**
 * RMSProp (Hinton 2012), exactly torch.optim.RMSprop: `sq ← α·sq + (1−α)·g²`; with `centered`,
 * also `ḡ ← α·ḡ + (1−α)·g` and the denominator uses the variance `sq − ḡ²`;
 * `avg = √(…) + eps`; then `p ← p − lr·g/avg`, or with momentum `buf ← μ·buf + g/avg; p ← p − lr·buf`.
 *
 * Options (all optional, plus `groups` for parameter groups):
 * - `lr`: learning rate (default 1e-2)
 * - `alpha`: smoothing constant (default 0.99)
 * - `eps`: added to the denominator (default 1e-8)
 * - `weightDecay`: L2 penalty added to the gradient (default 0)
 * - `momentum`: momentum factor (default 0)
 * - `centered`: normalize by the estimated variance instead of the raw second moment (default false)
 *
 * @see https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf
 * @example
 * const opt = rmsprop({ lr: 1e-3, centered: true, momentum: 0.9 });
 */
export const rmsprop = defineOptimizer<RmspropHyper>({
  name: 'optim-adaptive/rmsprop',
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
  slots: rmsSlots,
  resident: true,
  validate,
  update({ value, grad, slots, hyper }) {
    const { squareAvg, gradAvg, momentumBuffer } = slots;
    const a = f(hyper.alpha);
    const c = f(1 - hyper.alpha);
    const eps = f(hyper.eps);
    const wd = f(hyper.weightDecay);
    const mu = f(hyper.momentum);
    const lr = f(-hyper.lr);
    // the same arithmetic as the loop below, fused on the WebAssembly SIMD kernel when available
    const scalars = { alpha: a, oneMinusAlpha: c, eps, weightDecay: wd, momentum: mu, negLr: lr, centered: hyper.centered };
    if (rmspropStepKernel(value, grad, squareAvg, hyper.centered ? gradAvg : null, mu > 0 ? momentumBuffer : null, scalars)) return;
    for (let i = 0; i < value.length; i++) {
      const p = value[i];
      const g = wd === 0 ? grad[i] : f(grad[i] + wd * p);
      const sq = f(f(squareAvg[i] * a) + f(c * g) * g); // torch's addcmul_ is one fused multiply-add
      squareAvg[i] = sq;
      let avg: number;
      if (hyper.centered) {
        const ga = f(f(gradAvg[i] * a) + g * c);
        gradAvg[i] = ga;
        avg = f(f(Math.sqrt(f(sq - ga * ga))) + eps);
      } else {
        avg = f(f(Math.sqrt(sq)) + eps);
      }
      if (mu > 0) {
        const b = f(f(momentumBuffer[i] * mu) + f(g / avg));
        momentumBuffer[i] = b;
        value[i] = p + b * lr;
      } else {
        value[i] = p + f(f(lr * g) / avg);
      }
    }
  },
});

/** RMSProp's scaling (plain or centered, with optional momentum) as a chainable transform. */
export function scaleByRms(o: Partial<ScaleByRmsHyper> = {}): GradientTransform<ScaleByRmsHyper> {
  return {
    name: 'scaleByRms',
    defaults: { alpha: o.alpha ?? 0.99, eps: o.eps ?? 1e-8, momentum: o.momentum ?? 0, centered: o.centered ?? false },
    slots: rmsSlots,
    validate,
    update({ update, slots, hyper }) {
      const { squareAvg, gradAvg, momentumBuffer } = slots;
      const a = hyper.alpha;
      const mu = hyper.momentum;
      for (let i = 0; i < update.length; i++) {
        const g = update[i];
        squareAvg[i] = a * squareAvg[i] + (1 - a) * g * g;
        let variance = squareAvg[i];
        if (hyper.centered) {
          gradAvg[i] = a * gradAvg[i] + (1 - a) * g;
          variance -= gradAvg[i] * gradAvg[i];
        }
        const u = g / (Math.sqrt(variance) + hyper.eps);
        if (mu > 0) update[i] = momentumBuffer[i] = mu * momentumBuffer[i] + u;
        else update[i] = u;
      }
    },
  };
}
