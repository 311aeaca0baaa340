// The law weight decay keeps whatever form it takes (L2 added to the gradient, or decoupled).
import * as fc from 'fast-check';
import { paramName, scenarios } from '../arbitraries';
import { show } from '../float32';
import { makeParams, run } from '../trajectory';
import type { LawConfig, LawOptions, LawProperty, OptimizerFactory, Scenario } from '../types';

/** Settings of {@link weightDecayShrinksTowardZero}. */
export interface DecayConfig extends LawConfig {
  /** Options that switch weight decay on (default `{ weightDecay: 0.1 }`). */
  withDecay?: LawOptions;
  /** The small learning rate (default 1e-4; it overrides `lr` in the options). */
  lr?: number;
}

/** Parameter values: exact zeros, or magnitudes 1…10 with either sign (far from 0 compared with a small lr). */
const awayFromZero = fc.oneof(
  { arbitrary: fc.tuple(fc.float({ min: 1, max: 10, noNaN: true }), fc.boolean()).map(([v, neg]) => (neg ? -v : v)), weight: 5 },
  { arbitrary: fc.constant(0), weight: 1 },
);

/**
 * Law: with an all-zero gradient, weight decay > 0 and a small lr, every step moves each
 * parameter toward 0 — never away from it and never across it — and after the steps every
 * non-zero parameter is strictly closer to 0 than it started (a zero stays zero). Catches decay
 * with the wrong sign, and a decay option that is accepted but never applied.
 *
 * @example
 * fc.assert(weightDecayShrinksTowardZero(lion, { withDecay: { weightDecay: 0.5 } }));
 */
export function weightDecayShrinksTowardZero(make: OptimizerFactory, config: DecayConfig = {}): LawProperty<Scenario> {
  const lr = config.lr ?? 1e-4;
  const withDecay = config.withDecay ?? { weightDecay: 0.1 };
  return fc.property(scenarios({ ...config.shape, paramValues: awayFromZero, options: config.options }), (s) => {
    // Arrange
    const options = { ...s.options, ...withDecay, lr } as LawOptions;
    const zeros = s.grads.map((step) => step.map((g) => g.map(() => 0)));
    const what = `with a zero gradient, ${JSON.stringify(withDecay)} and lr ${lr}`;
    // Act
    const steps = run(make(options), makeParams(s.params), zeros);
    // Assert: each step moves toward 0 without crossing it
    steps.forEach((step, t) =>
      step.forEach((v, p) =>
        v.forEach((x, i) => {
          const before = t === 0 ? s.params[p][i] : steps[t - 1][p][i];
          if (Math.abs(x) > Math.abs(before)) throw new Error(`step ${t + 1} ${what} moved ${paramName(p)}[${i}] away from 0: ${show(before)} → ${show(x)}`);
          if (x * before < 0) throw new Error(`step ${t + 1} ${what} moved ${paramName(p)}[${i}] across 0: ${show(before)} → ${show(x)}`);
        }),
      ),
    );
    const last = steps[steps.length - 1];
    s.params.forEach((v, p) =>
      v.forEach((x0, i) => {
        if (x0 !== 0 && !(Math.abs(last[p][i]) < Math.abs(x0))) {
          throw new Error(`after ${steps.length} steps ${what}, ${paramName(p)}[${i}] is still ${show(last[p][i])}: weight decay did not move it toward 0`);
        }
      }),
    );
  });
}
