// Laws about how an optimizer reads its hyperparameters: at every step, and lr linearly.
import * as fc from 'fast-check';
import { float32Values, optionsArbitrary, paramName, scenarios } from '../arbitraries';
import { assertSameTrajectory } from '../compare';
import { show, ulp32 } from '../float32';
import { makeParams, run } from '../trajectory';
import type { LawConfig, LawOptions, LawProperty, OptimizerFactory, OptionsSource, Scenario } from '../types';
import { assertSameSlots } from './basic';

/** A scenario, the step after which a hyperparameter changes, and how. */
export interface ChangeCase {
  scenario: Scenario;
  /** Steps taken before the change (reduced to 1 … steps − 1). */
  after: number;
  /** `lr` is set through `optimizer.lr` (as schedules do) or written into every group's hyperparameters. */
  route: 'lr setter' | 'groups';
  /** The new lr as a multiple of the old one. */
  lrFactor: number;
  /** Other hyperparameters written into every group (from `config.changes`). */
  change: LawOptions;
}

/** Settings of {@link followsHyperparameterChanges}. */
export interface ChangeConfig extends LawConfig {
  /**
   * Further hyperparameter values to switch to between steps, written into every group, e.g.
   * `fc.record({ beta1: fc.constantFrom(0.5, 0.8) })` (default: only lr changes).
   */
  changes?: OptionsSource;
}

/**
 * Law: changing a hyperparameter between steps — `lr` through the `optimizer.lr` setter (what
 * every schedule does) or any hyperparameter in the groups — changes the following steps exactly
 * as in a fresh optimizer built with the new value and restored from the state saved right after
 * the change, bit for bit. Catches an lr (or a product with it) cached at the first step or read
 * once at construction.
 *
 * @example
 * fc.assert(followsHyperparameterChanges(lion, { changes: fc.record({ beta1: fc.constantFrom(0.5) }) }));
 */
export function followsHyperparameterChanges(make: OptimizerFactory, config: ChangeConfig = {}): LawProperty<ChangeCase> {
  const cases = fc.record({
    scenario: scenarios({ ...config.shape, minSteps: 2, options: config.options }),
    after: fc.nat({ max: 15 }),
    route: fc.constantFrom('lr setter' as const, 'groups' as const),
    lrFactor: fc.constantFrom(0, 0.5, 3),
    change: optionsArbitrary(config.changes),
  });
  return fc.property(cases, ({ scenario: s, after, route, lrFactor, change }) => {
    // Arrange: k steps, then the change
    const k = 1 + (after % (s.grads.length - 1));
    const opt = make(s.options);
    const params = makeParams(s.params);
    run(opt, params, s.grads.slice(0, k));
    const lr = opt.lr * lrFactor;
    if (route === 'lr setter') opt.lr = lr;
    for (const g of opt.groups) Object.assign(g.hyper, route === 'groups' ? { lr: g.hyper.lr * lrFactor } : {}, change);
    const fresh = make({ ...s.options, lr, ...change });
    fresh.loadStateDict(opt.stateDict());
    const resumeFrom = params.map((p) => p.value.slice());
    // Act
    const changed = run(opt, params, s.grads.slice(k));
    const restored = run(fresh, makeParams(resumeFrom), s.grads.slice(k));
    // Assert
    const what = `lr ×${lrFactor} (${route})${Object.keys(change).length > 0 ? ` and ${JSON.stringify(change)}` : ''} after step ${k}`;
    const names = s.params.map((_, i) => paramName(i));
    assertSameTrajectory(changed, restored, names, { actual: `the optimizer whose ${what}`, expected: 'a fresh optimizer built with the new values and restored from the same state', stepOffset: k });
    assertSameSlots(opt.stateDict(), fresh.stateDict(), `state after the last step (${what})`);
  });
}

/** A scenario (one step), the base lr and the factor it is scaled by. */
export interface LrScaleCase {
  scenario: Scenario;
  lr: number;
  c: number;
}

const normalGradients = float32Values().map((g) => (Math.abs(g) < 1e-12 ? 0 : g));

/** Settings of {@link isLinearInLr}. */
export interface LinearConfig extends LawConfig {
  /** Relative tolerance on each displacement (default 1e-5), on top of 2·(1 + c) ulps of the parameter. */
  rtol?: number;
}

/**
 * Law: from zero state, the first step is linear in the learning rate: with lr·c every parameter
 * moves c times as far as with lr (c in {0.5, 2, 4}, lr in {1e-3, 1e-2, 0.05}), within `rtol`
 * plus a few float32 roundings. Holds for every optimizer whose update is lr times something
 * computed from the gradient and the state (SGD, momentum, Adam, AdamW's decoupled decay,
 * AdaGrad, RMSProp, Lion). Catches lr applied twice, a decoupled decay not scaled by lr, an lr
 * that is ignored. Gradients are zero or at least 1e-12 in magnitude: products with subnormal
 * float32 values keep too few bits for any proportion to hold.
 *
 * @example
 * fc.assert(isLinearInLr(lion));
 */
export function isLinearInLr(make: OptimizerFactory, config: LinearConfig = {}): LawProperty<LrScaleCase> {
  const rtol = config.rtol ?? 1e-5;
  const cases = fc.record({
    scenario: scenarios({ ...config.shape, maxSteps: 1, gradValues: normalGradients, options: config.options }),
    lr: fc.constantFrom(1e-3, 1e-2, 0.05),
    c: fc.constantFrom(2, 0.5, 4),
  });
  return fc.property(cases, ({ scenario: s, lr, c }) => {
    const [base] = run(make({ ...s.options, lr }), makeParams(s.params), s.grads);
    const [scaled] = run(make({ ...s.options, lr: lr * c }), makeParams(s.params), s.grads);
    s.params.forEach((v, p) =>
      v.forEach((p0, i) => {
        const expected = c * (base[p][i] - p0);
        const actual = scaled[p][i] - p0;
        const allowed = rtol * Math.abs(expected) + 2 * (1 + c) * ulp32(Math.max(Math.abs(p0), Math.abs(base[p][i]), Math.abs(scaled[p][i])));
        if (!(Math.abs(actual - expected) <= allowed)) {
          throw new Error(
            `${paramName(p)}[${i}] (gradient ${s.grads[0][p][i]}): lr ${lr} moved it ${p0} → ${show(base[p][i])}, lr ${lr * c} moved it to ${show(scaled[p][i])}, ` +
              `a step of ${actual}; ${c}× the first step is ${expected} (± ${allowed})`,
          );
        }
      }),
    );
  });
}
