// The Adam family's weight decay in closed form: L2 added to the gradient (Adam), or decoupled
// and applied to the parameter itself (AdamW). With a zero gradient the two move a parameter
// in entirely different ways, which the other laws cannot tell apart.
import * as fc from 'fast-check';
import { paramName, scenarios } from '../arbitraries';
import { makeParams, run } from '../trajectory';
import type { LawConfig, LawOptions, LawProperty, OptimizerFactory, Scenario } from '../types';
import { adamOptions, checkDisplacement } from './kinds';

/** Settings of {@link adamDecayIsCoupled} and {@link adamwDecayIsDecoupled}. */
export interface AdamDecayConfig extends LawConfig {
  /** Options that switch weight decay on (default `{ weightDecay: 0.1 }`); their one numeric value is the coefficient λ. */
  withDecay?: LawOptions;
}

/** Parameter values far from 0 compared with eps/λ (magnitudes 1…10, either sign), or exact zeros. */
export const awayFromZero = fc.oneof(
  { arbitrary: fc.tuple(fc.float({ min: 1, max: 10, noNaN: true }), fc.boolean()).map(([v, neg]) => (neg ? -v : v)), weight: 5 },
  { arbitrary: fc.constant(0), weight: 1 },
);

/** The decay options and their coefficient λ. */
export function decayOf(config: AdamDecayConfig): { withDecay: LawOptions; lambda: number } {
  const withDecay = config.withDecay ?? { weightDecay: 0.1 };
  const lambda = Object.values(withDecay).find((v): v is number => typeof v === 'number');
  if (lambda === undefined) throw new TypeError(`optim-testkit: withDecay ${JSON.stringify(withDecay)} holds no numeric decay coefficient`);
  return { withDecay, lambda };
}

/**
 * Law: Adam's weight decay is coupled (L2 added to the gradient, torch.optim.Adam): with a zero
 * gradient, the first step from zero state sees the gradient λ·p, so it moves each coordinate by
 * −lr·λp/(|λp| + eps), lr·sign(p) up to eps, within 1e-5 plus two ulps. Catches an Adam whose
 * decay is decoupled (p·(1 − lr·λ), which moves p by lr·λ·|p|) or never applied.
 *
 * @example
 * fc.assert(adamDecayIsCoupled(adam, { withDecay: { weightDecay: 0.1 } }));
 */
export function adamDecayIsCoupled(adam: OptimizerFactory, config: AdamDecayConfig = {}): LawProperty<Scenario> {
  const { withDecay, lambda } = decayOf(config);
  const cases = scenarios({ ...config.shape, maxSteps: 1, paramValues: awayFromZero, options: config.options ?? adamOptions });
  return fc.property(cases, (s) => {
    const opt = adam({ ...s.options, ...withDecay });
    const [after] = run(opt, makeParams(s.params), [s.params.map((v) => v.map(() => 0))]);
    s.params.forEach((v, p) => {
      const { lr, eps = 0 } = opt.hyperFor(paramName(p)) as { lr: number; eps?: number };
      v.forEach((p0, i) => {
        const g = lambda * p0;
        checkDisplacement(`${paramName(p)}[${i}] with a zero gradient (λ ${lambda}, lr ${lr}, eps ${eps})`, p0, after[p][i], (-lr * g) / (Math.abs(g) + eps), 1e-5);
      });
    });
  });
}

/**
 * Law: AdamW's weight decay is decoupled (torch.optim.AdamW): with a zero gradient from zero
 * state the moments stay 0, so every step only multiplies each parameter by 1 − lr·λ, within
 * 1e-5 plus two ulps. Catches an AdamW whose decay is added to the gradient (Adam's L2, which
 * moves p by about lr·sign(p) however small λ·p is) or never applied.
 *
 * @example
 * fc.assert(adamwDecayIsDecoupled(adamw, { withDecay: { weightDecay: 0.1 } }));
 */
export function adamwDecayIsDecoupled(adamw: OptimizerFactory, config: AdamDecayConfig = {}): LawProperty<Scenario> {
  const { withDecay, lambda } = decayOf(config);
  const cases = scenarios({ ...config.shape, paramValues: awayFromZero, options: config.options ?? adamOptions });
  return fc.property(cases, (s) => {
    const opt = adamw({ ...s.options, ...withDecay });
    const steps = run(opt, makeParams(s.params), s.grads.map((step) => step.map((g) => g.map(() => 0))));
    steps.forEach((step, t) =>
      step.forEach((v, p) => {
        const { lr } = opt.hyperFor(paramName(p));
        v.forEach((x, i) => {
          const before = t === 0 ? s.params[p][i] : steps[t - 1][p][i];
          checkDisplacement(`step ${t + 1}, ${paramName(p)}[${i}] with a zero gradient (λ ${lambda}, lr ${lr})`, before, x, -lr * lambda * before, 1e-5);
        });
      }),
    );
  });
}
