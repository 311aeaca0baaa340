// A law for momentum SGD that needs no reference optimizer: its first two steps in closed form.
import * as fc from 'fast-check';
import { paramName, scenarios } from '../arbitraries';
import { makeParams, run } from '../trajectory';
import type { LawConfig, LawOptions, LawProperty, OptimizerFactory, Scenario } from '../types';
import { checkDisplacement } from './kinds';

/**
 * The hyperparameter names (with their default values) of the optimizer a factory makes with
 * no options, or `{}` when it needs options. Lets family laws pass only the options it takes.
 */
export function defaultHyperparameters(make: OptimizerFactory): Readonly<Record<string, number | boolean>> {
  try {
    return { ...make({}).hyperFor(paramName(0)) };
  } catch {
    return {};
  }
}

/**
 * Law: torch.optim.SGD's heavy ball, from zero state and without weight decay. The first step
 * sets the buffer to the gradient (no dampening) and moves −lr·g₁; the second moves
 * −lr·(ρ·g₁ + (1 − dampening)·g₂). Checked per coordinate within 1e-5 of the terms' size plus
 * two ulps. Dampening is explored when the optimizer takes a `dampening` option, and `nesterov`
 * is switched off when it takes one. Catches dampening on the first step, dampening by δ
 * instead of 1 − δ, a buffer that is not kept, an exponential-moving-average buffer
 * ((1 − ρ)·g), and lr applied inside the buffer as well as outside.
 *
 * @example
 * fc.assert(momentumFollowsHeavyBall(heavyBall, { withoutDecay: { weightDecay: 0 } }));
 */
export function momentumFollowsHeavyBall(make: OptimizerFactory, config: LawConfig = {}): LawProperty<Scenario> {
  const { options, off } = heavyBallOptions(make, config);
  return fc.property(scenarios({ ...config.shape, minSteps: 2, maxSteps: 2, options }), (s) => {
    // Arrange
    const opt = make({ ...s.options, ...config.withoutDecay, ...off });
    const h = opt.hyperFor(paramName(0)) as { lr: number; momentum: number; dampening?: number };
    const [rho, keep] = [h.momentum, 1 - (h.dampening ?? 0)];
    // Act
    const [first, second] = run(opt, makeParams(s.params), s.grads);
    // Assert
    s.params.forEach((v, p) =>
      v.forEach((p0, i) => {
        const [g1, g2] = [s.grads[0][p][i], s.grads[1][p][i]];
        const at = `${paramName(p)}[${i}] (gradients ${g1}, ${g2}; lr ${h.lr}, momentum ${rho}, dampening ${1 - keep})`;
        checkDisplacement(`step 1, ${at}`, p0, first[p][i], -h.lr * g1, 1e-5);
        const terms = [h.lr * rho * g1, h.lr * keep * g2];
        checkDisplacement(`step 2, ${at}`, first[p][i], second[p][i], -(terms[0] + terms[1]), 1e-5, Math.abs(terms[0]) + Math.abs(terms[1]));
      }),
    );
  });
}

/**
 * @internal the heavy-ball laws' hyperparameters: `config.options`, else lr, momentum and (when the
 * optimizer has it) dampening drawn; `off` switches Nesterov off where the optimizer offers it.
 */
export function heavyBallOptions(make: OptimizerFactory, config: Pick<LawConfig, 'options'>): { options: NonNullable<LawConfig['options']>; off: LawOptions } {
  const known = defaultHyperparameters(make);
  const options =
    config.options ??
    fc.record({
      lr: fc.constantFrom(1e-3, 0.01, 0.1),
      momentum: fc.double({ min: 0.05, max: 0.99, noNaN: true }),
      ...('dampening' in known ? { dampening: fc.constantFrom(0, 0.25, 0.5) } : {}),
    });
  return { options, off: 'nesterov' in known ? { nesterov: false } : {} };
}
