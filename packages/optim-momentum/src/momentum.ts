import { type GradientTransform, defineOptimizer } from '@trainkit/core';
import { momentumStepKernel } from '@trainkit/tensor';

const f = Math.fround;

function validate(h: Readonly<TraceHyper & { weightDecay?: number }>): string | undefined {
  if (h.momentum < 0) return `momentum must be ≥ 0, got ${h.momentum}`;
  if (h.dampening < 0 || h.dampening > 1) return `dampening must be in [0, 1], got ${h.dampening}`;
  if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
    return `nesterov requires momentum > 0 and dampening 0, got momentum ${h.momentum} and dampening ${h.dampening}`;
  }
  if (h.weightDecay !== undefined && h.weightDecay < 0) return `weightDecay must be ≥ 0, got ${h.weightDecay}`;
  return undefined;
}

/** Hyperparameters of {@link momentum}. */
export type MomentumHyper = { lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number };

/** Hyperparameters of {@link trace}. */
export type TraceHyper = { momentum: number; dampening: number; nesterov: boolean };

const BUFFER = ['momentumBuffer'] as const;
const NONE = [] as const;
/** As torch.optim.SGD's state: a momentum buffer only when momentum is not 0 (momentum 0 is plain SGD). */
const momentumSlots = (h: Readonly<{ momentum: number }>): readonly string[] => (h.momentum === 0 ? NONE : BUFFER);

/**
 * SGD with momentum, exactly torch.optim.SGD: with d = g + weightDecay·p,
 * `buf ← momentum·buf + (1 − dampening)·d` (the first step sets `buf ← d`, skipping dampening),
 * then `p ← p − lr·buf`, or with Nesterov `p ← p − lr·(d + momentum·buf)`. Momentum 0 is plain SGD:
 * no buffer is kept and dampening does not apply, as in torch.
 *
 * Where it departs from torch: the buffer starts as d on a parameter's first step only. Momentum
 * switched from 0 to ρ > 0 mid-training starts the buffer at zero, so that step moves by
 * (1 − dampening)·d where torch moves by d (the same when dampening is 0); momentum set to 0 and
 * back drops the buffer, where torch keeps the old one and resumes from it.
 *
 * Equals `chain(name, addDecayedWeights(), trace(), scaleByLearningRate())` (tested).
 *
 * Options (all optional, plus `groups` for parameter groups):
 * - `lr`: learning rate (default 0.01)
 * - `momentum`: momentum factor ρ (default 0.9)
 * - `dampening`: dampening for momentum (default 0)
 * - `nesterov`: use Nesterov momentum (default false; needs momentum > 0 and dampening 0)
 * - `weightDecay`: L2 penalty added to the gradient (default 0)
 *
 * @see Sutskever et al. 2013, "On the importance of initialization and momentum in deep learning"
 * @example
 * const trainer = new Trainer({ optimizer: momentum({ lr: 0.01, momentum: 0.9, nesterov: true }) });
 */
export const momentum = defineOptimizer<MomentumHyper>({
  name: 'optim-momentum/momentum',
  defaults: { lr: 0.01, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
  slots: momentumSlots,
  resident: true,
  validate,
  update({ value, grad, slots, hyper, step }) {
    const alpha = f(-hyper.lr);
    const wd = f(hyper.weightDecay);
    if (hyper.momentum === 0) return sgdStep(value, grad, alpha, wd); // torch skips the buffer (and dampening) entirely
    const buf = slots.momentumBuffer;
    const mu = f(hyper.momentum);
    const keep = f(1 - hyper.dampening);
    const first = step === 1;
    const nesterov = hyper.nesterov;
    // the same arithmetic as the loop below, fused on the WebAssembly SIMD kernel when available
    if (momentumStepKernel(value, grad, buf, { alpha, momentum: mu, keep, weightDecay: wd, first, nesterov })) return;
    for (let i = 0; i < value.length; i++) {
      const p = value[i];
      const d = wd === 0 ? grad[i] : f(grad[i] + wd * p);
      const b = first ? d : f(f(buf[i] * mu) + d * keep);
      buf[i] = b;
      value[i] = p + alpha * (nesterov ? f(d + b * mu) : b);
    }
  },
});

/** p ← p + alpha·d with d = g + wd·p: torch.optim.SGD's step when momentum is 0. */
function sgdStep(value: Float32Array, grad: Float32Array, alpha: number, wd: number): void {
  for (let i = 0; i < value.length; i++) {
    const p = value[i];
    value[i] = p + alpha * (wd === 0 ? grad[i] : f(grad[i] + wd * p));
  }
}

/**
 * The momentum trace as a chainable transform: `buf ← momentum·buf + (1 − dampening)·u`
 * (first step `buf ← u`), then `u ← buf`, or `u ← u + momentum·buf` with Nesterov.
 */
export function trace(defaults: Partial<TraceHyper> = {}): GradientTransform<TraceHyper> {
  return {
    name: 'trace',
    defaults: { momentum: defaults.momentum ?? 0.9, dampening: defaults.dampening ?? 0, nesterov: defaults.nesterov ?? false },
    slots: momentumSlots,
    validate,
    update({ update, slots, hyper, step }) {
      if (hyper.momentum === 0) return; // u is the gradient, as torch.optim.SGD with momentum 0
      const buf = slots.momentumBuffer;
      const mu = f(hyper.momentum);
      const keep = f(1 - hyper.dampening);
      for (let i = 0; i < update.length; i++) {
        const d = update[i];
        const b = step === 1 ? d : f(f(buf[i] * mu) + d * keep);
        buf[i] = b;
        update[i] = hyper.nesterov ? f(d + b * mu) : b;
      }
    },
  };
}
