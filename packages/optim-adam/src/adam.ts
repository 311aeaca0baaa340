import { type GradientTransform, type UpdateArgs, defineOptimizer } from '@trainkit/core';
import { adamStepKernel } from '@trainkit/tensor';

const f = Math.fround;

/** Hyperparameters of {@link adam} and {@link adamw}. */
export type AdamHyper = { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; amsgrad: boolean };

/** Hyperparameters of {@link scaleByAdam}. */
export type ScaleByAdamHyper = { beta1: number; beta2: number; eps: number; amsgrad: boolean };

function validate(h: Readonly<ScaleByAdamHyper & { weightDecay?: number }>): string | undefined {
  for (const k of ['beta1', 'beta2'] as const) {
    const b = h[k];
    if (!(b >= 0 && b < 1)) return `${k} must be in [0, 1), got ${b}`;
  }
  if (!(h.eps > 0)) return `eps must be > 0, got ${h.eps}`;
  if (h.weightDecay !== undefined && h.weightDecay < 0) return `weightDecay must be ≥ 0, got ${h.weightDecay}`;
  return undefined;
}

const MOMENTS = ['m', 'v'] as const;
const MOMENTS_AND_MAX = ['m', 'v', 'vmax'] as const;
/** Adam's slots, as torch.optim.Adam's state: the running maximum `vmax` (max_exp_avg_sq) only with AMSGrad. */
const adamSlots = (h: Readonly<{ amsgrad: boolean }>): readonly string[] => (h.amsgrad ? MOMENTS_AND_MAX : MOMENTS);

/**
 * The Adam moment update shared by adam and adamw, in torch.optim's float32 arithmetic:
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², (AMSGrad: v̂max ← max(v̂max, v)),
 * denom = √v / √(1−β2ᵗ) + eps, p ← p − lr/(1−β1ᵗ) · m / denom.
 */
function adamUpdate(a: UpdateArgs<AdamHyper>, coupledDecay: boolean): void {
  const { value, grad, slots, hyper, step } = a;
  const { m, v, vmax } = slots; // vmax exists only with amsgrad
  const b1 = f(hyper.beta1);
  const b2 = f(hyper.beta2);
  const c1 = f(1 - hyper.beta1);
  const c2 = f(1 - hyper.beta2);
  const eps = f(hyper.eps);
  const wd = f(hyper.weightDecay);
  const stepSize = f(-(hyper.lr / (1 - hyper.beta1 ** step)));
  const bc2 = f(Math.sqrt(1 - hyper.beta2 ** step));
  const amsgrad = hyper.amsgrad;
  const decoupled = !coupledDecay && hyper.weightDecay !== 0;
  const shrink = decoupled ? f(1 - hyper.lr * hyper.weightDecay) : 1; // AdamW: p ← p·(1 − lr·λ) first
  // the same arithmetic as the loops below, fused on the WebAssembly SIMD kernel when available
  const scalars = { beta1: b1, beta2: b2, oneMinusBeta1: c1, oneMinusBeta2: c2, eps, weightDecay: coupledDecay ? wd : 0, stepSize, biasCorrection2: bc2, shrink };
  if (adamStepKernel(value, grad, m, v, amsgrad ? vmax : null, scalars)) return;
  if (decoupled) for (let i = 0; i < value.length; i++) value[i] = value[i] * shrink;
  for (let i = 0; i < value.length; i++) {
    const p = value[i];
    const g = coupledDecay && wd !== 0 ? f(grad[i] + wd * p) : grad[i];
    const mi = f(f(m[i] * b1) + g * c1);
    const vi = f(f(v[i] * b2) + f(c2 * g) * g); // torch's addcmul_ is one fused multiply-add
    m[i] = mi;
    v[i] = vi;
    let s = vi;
    if (amsgrad) {
      s = Math.max(vmax[i], vi);
      vmax[i] = s;
    }
    const denom = f(f(f(Math.sqrt(s)) / bc2) + eps);
    value[i] = p + f(f(stepSize * mi) / denom);
  }
}

const defaults = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false };

/**
 * Adam (Kingma & Ba 2015), exactly torch.optim.Adam: bias-corrected first and second moments,
 * eps added after the bias-corrected square root (`√v̂ + eps`), `weightDecay` coupled (added
 * to the gradient), `amsgrad` taking the running maximum of the uncorrected second moment.
 * Defaults are the "great starting point": lr 1e-3, β1 0.9, β2 0.999, eps 1e-8.
 *
 * Equals `chain(name, addDecayedWeights(), scaleByAdam(), scaleByLearningRate())` (tested).
 *
 * Options (all optional, plus `groups` for parameter groups):
 * - `lr`: learning rate (default 1e-3)
 * - `beta1`: decay of the first moment (default 0.9)
 * - `beta2`: decay of the second moment (default 0.999)
 * - `eps`: added to the denominator for stability (default 1e-8)
 * - `weightDecay`: L2 penalty added to the gradient (default 0)
 * - `amsgrad`: use the AMSGrad variant (default false)
 *
 * @see https://arxiv.org/abs/1412.6980
 * @example
 * const trainer = new Trainer({ optimizer: adam({ lr: 1e-3 }) });
 */
export const adam = defineOptimizer<AdamHyper>({
  name: 'optim-adam/adam',
  defaults,
  slots: adamSlots,
  resident: true,
  validate,
  update: (a) => adamUpdate(a, true),
});

/**
 * AdamW (Loshchilov & Hutter 2019), exactly torch.optim.AdamW: decoupled weight decay
 * `p ← p·(1 − lr·weightDecay)` first, then the Adam step. Default weightDecay 1e-2.
 * With weightDecay 0 it equals {@link adam}.
 *
 * @see https://arxiv.org/abs/1711.05101
 * @example
 * const opt = adamw({ lr: 1e-3, weightDecay: 0.01, groups: [{ params: /bias$/, weightDecay: 0 }] });
 */
export const adamw = defineOptimizer<AdamHyper>({
  name: 'optim-adam/adamw',
  defaults: { ...defaults, weightDecay: 1e-2 },
  slots: adamSlots,
  resident: true,
  validate,
  update: (a) => adamUpdate(a, false),
});

/**
 * Adam's scaling as a chainable transform: u ← m̂ / (√v̂ + eps) with bias corrections
 * (AMSGrad optional). Follow it with `scaleByLearningRate()`.
 */
export function scaleByAdam(o: Partial<ScaleByAdamHyper> = {}): GradientTransform<ScaleByAdamHyper> {
  return {
    name: 'scaleByAdam',
    defaults: { beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.eps ?? 1e-8, amsgrad: o.amsgrad ?? false },
    slots: adamSlots,
    validate,
    update({ update, slots, hyper, step }) {
      const { m, v, vmax } = slots;
      const b1 = hyper.beta1;
      const b2 = hyper.beta2;
      const bc1 = 1 - b1 ** step;
      const bc2 = Math.sqrt(1 - b2 ** step);
      for (let i = 0; i < update.length; i++) {
        const g = update[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        let s = v[i];
        if (hyper.amsgrad) s = vmax[i] = Math.max(vmax[i], s);
        update[i] = m[i] / bc1 / (Math.sqrt(s) / bc2 + hyper.eps);
      }
    },
  };
}
