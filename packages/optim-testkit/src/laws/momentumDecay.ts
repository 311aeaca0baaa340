// Momentum SGD's weight decay in closed form: torch.optim.SGD adds λ·p to the gradient before
// the momentum buffer, so the decay of one step is carried into the next by the buffer.
import * as fc from 'fast-check';
import { paramName, scenarios } from '../arbitraries';
import { makeParams, run } from '../trajectory';
import type { LawProperty, OptimizerFactory, Scenario } from '../types';
import { type AdamDecayConfig, awayFromZero, decayOf } from './adamDecay';
import { checkDisplacement } from './kinds';
import { heavyBallOptions } from './momentum';

/**
 * Law: momentum SGD's weight decay is added to the gradient before the momentum buffer, as in
 * torch.optim.SGD. With a zero gradient from zero state the first step moves p₀ by −lr·λp₀ and
 * the second by −lr·(ρ·λp₀ + (1 − dampening)·λp₁), within 1e-5 of the terms' size plus two
 * ulps. Catches decay applied after the momentum (−lr·(buf + λp), which the heavy-ball law,
 * run without decay, and the decay-direction law cannot tell from torch's), and decay that
 * skips the buffer's dampening.
 *
 * @example
 * fc.assert(momentumDecayIsCoupled(heavyBall, { withDecay: { weightDecay: 0.1 } }));
 */
export function momentumDecayIsCoupled(make: OptimizerFactory, config: AdamDecayConfig = {}): LawProperty<Scenario> {
  const { withDecay, lambda } = decayOf(config);
  const { options, off } = heavyBallOptions(make, config);
  return fc.property(scenarios({ ...config.shape, minSteps: 2, maxSteps: 2, paramValues: awayFromZero, options }), (s) => {
    // Arrange
    const opt = make({ ...s.options, ...withDecay, ...off });
    const h = opt.hyperFor(paramName(0)) as { lr: number; momentum: number; dampening?: number };
    const [rho, keep] = [h.momentum, 1 - (h.dampening ?? 0)];
    // Act
    const [first, second] = run(opt, makeParams(s.params), s.grads.map((step) => step.map((g) => g.map(() => 0))));
    // Assert
    s.params.forEach((v, p) =>
      v.forEach((p0, i) => {
        const at = `${paramName(p)}[${i}] with a zero gradient (λ ${lambda}, lr ${h.lr}, momentum ${rho}, dampening ${1 - keep})`;
        checkDisplacement(`step 1, ${at}`, p0, first[p][i], -h.lr * lambda * p0, 1e-5);
        const terms = [h.lr * rho * lambda * p0, h.lr * keep * lambda * first[p][i]];
        checkDisplacement(`step 2, ${at}`, first[p][i], second[p][i], -(terms[0] + terms[1]), 1e-5, Math.abs(terms[0]) + Math.abs(terms[1]));
      }),
    );
  });
}
