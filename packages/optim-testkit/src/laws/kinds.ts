// Opt-in laws for particular kinds of optimizer. Each takes the reference factories it needs as
// arguments, so the kit depends on no optimizer package.
import * as fc from 'fast-check';
import { optionsArbitrary, paramName, scenarios, wellScaledValues } from '../arbitraries';
import { assertSameTrajectory, type Tolerance } from '../compare';
import { show, ulp32 } from '../float32';
import { makeParams, run } from '../trajectory';
import type { LawConfig, LawOptions, LawProperty, OptimizerFactory, Scenario } from '../types';

const namesOf = (s: Scenario): string[] => s.params.map((_, i) => paramName(i));

/** Settings of {@link matchesReference}. */
export interface ReferenceConfig extends LawConfig {
  /** Options added for the optimizer under test (e.g. `{ momentum: 0 }`). */
  extra?: LawOptions;
  /** Options added for the reference optimizer. */
  referenceExtra?: LawOptions;
  /**
   * Default `{}`: equal as float32 numbers (−0 equals 0), which holds when both sides round
   * alike (see the README's exactness contract). An implementation that computes in float64
   * and rounds once per element drifts from a float32 reference by a few roundings: pass
   * `{ ulps: 4 }`.
   */
  tolerance?: Tolerance;
}

/**
 * Law: the optimizer under test (with `extra` options) follows the same trajectory as a
 * reference optimizer (with `referenceExtra`) — how a variant is shown to reduce to a simpler one.
 *
 * @example
 * fc.assert(matchesReference(momentum, sgd, { extra: { momentum: 0 }, options: { lr: 0.1 } }));
 */
export function matchesReference(make: OptimizerFactory, reference: OptimizerFactory, config: ReferenceConfig = {}): LawProperty<Scenario> {
  return fc.property(scenarios({ ...config.shape, options: config.options }), (s) => {
    const actual = run(make({ ...s.options, ...config.extra }), makeParams(s.params), s.grads);
    const expected = run(reference({ ...s.options, ...config.referenceExtra }), makeParams(s.params), s.grads);
    assertSameTrajectory(actual, expected, namesOf(s), { actual: 'the optimizer under test', expected: 'the reference', initial: s.params }, config.tolerance ?? {});
  });
}

/** Options of plain SGD that momentum also takes. */
const sgdOptions = fc.record({ lr: fc.constantFrom(1e-3, 0.01, 0.1), weightDecay: fc.constantFrom(0, 1e-2) });

/**
 * Law: momentum ρ = 0 is plain SGD. `sgd` is the reference (core's `sgd`); `extra` defaults to
 * `{ momentum: 0 }`; options default to a few learning rates and weight decays. Core's `sgd`
 * rounds like torch (`p + fround(−lr)·d`, one rounding); a momentum that computes in float64
 * passes with `tolerance: { ulps: 4 }`.
 */
export function momentumZeroEqualsSgd(momentum: OptimizerFactory, sgd: OptimizerFactory, config: ReferenceConfig = {}): LawProperty<Scenario> {
  return matchesReference(momentum, sgd, { options: sgdOptions, extra: { momentum: 0 }, ...config });
}

/** Adam hyperparameters the Adam-family laws explore by default. */
export const adamOptions = fc.record({
  lr: fc.constantFrom(1e-4, 1e-3, 1e-2, 0.1),
  // β1 = 0 or a normal number: a subnormal β1 (7e-39 was drawn once) makes subnormal moments,
  // whose rounding is not covered by the laws' float32 tolerances and is no setting anyone uses.
  beta1: fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 0.99, noNaN: true })),
  beta2: fc.double({ min: 0.9, max: 0.999, noNaN: true }),
  eps: fc.constantFrom(1e-8, 1e-7),
});

/** Law: AdamW with weightDecay 0 is Adam. `adam` is the reference. */
export function adamwZeroDecayEqualsAdam(adamw: OptimizerFactory, adam: OptimizerFactory, config: ReferenceConfig = {}): LawProperty<Scenario> {
  return matchesReference(adamw, adam, { options: adamOptions, extra: { weightDecay: 0 }, referenceExtra: { weightDecay: 0 }, ...config });
}

/**
 * Throws when a step's displacement is off: |actual − expected| ≤ rtol·scale + 2 ulps of the
 * parameter, where `scale` is the size of the terms that make up the step (default |expected|).
 */
export function checkDisplacement(what: string, p0: number, p1: number, expected: number, rtol: number, scale = Math.abs(expected)): void {
  const actual = p1 - p0;
  const allowed = rtol * scale + 2 * ulp32(Math.max(Math.abs(p0), Math.abs(p1)));
  if (!(Math.abs(actual - expected) <= allowed)) {
    throw new Error(`${what}: moved ${p0} → ${show(p1)}, a step of ${actual}; expected a step of ${expected} (± ${allowed})`);
  }
}

/** Settings of the Nesterov law. */
export interface NesterovConfig extends LawConfig {
  /** Hyperparameter holding the momentum factor (default `'momentum'`). */
  momentumKey?: string;
  /** Options that switch Nesterov on (default `{ nesterov: true }`). */
  extra?: LawOptions;
}

/**
 * Law: from zero state, Nesterov momentum's first step is (1 + momentum) times plain SGD's
 * step with the same lr (the buffer starts as the gradient, and the step uses g + ρ·buf).
 */
export function nesterovFirstStepScalesSgd(nesterov: OptimizerFactory, sgd: OptimizerFactory, config: NesterovConfig = {}): LawProperty<Scenario> {
  const options = config.options ?? fc.record({ lr: fc.constantFrom(1e-3, 0.01, 0.1), momentum: fc.double({ min: 0.05, max: 0.99, noNaN: true }) });
  const key = config.momentumKey ?? 'momentum';
  return fc.property(scenarios({ ...config.shape, maxSteps: 1, options }), (s) => {
    const opt = nesterov({ ...s.options, ...config.withoutDecay, ...(config.extra ?? { nesterov: true }) });
    const rho = opt.hyperFor(paramName(0))[key] as number;
    const [ahead] = run(opt, makeParams(s.params), s.grads);
    const [plain] = run(sgd({ lr: opt.hyperFor(paramName(0)).lr }), makeParams(s.params), s.grads);
    s.params.forEach((v, p) =>
      v.forEach((p0, i) => checkDisplacement(`${paramName(p)}[${i}] (gradient ${s.grads[0][p][i]}, momentum ${rho})`, p0, ahead[p][i], (1 + rho) * (plain[p][i] - p0), 1e-6)),
    );
  });
}

/**
 * Law: from zero state Adam's first step is −lr·g/(|g| + eps) per coordinate — lr·sign(g)
 * up to eps — because the bias-corrected moments are exactly g and g². Gradients are zero or
 * of magnitude 1e-4…1e3 (smaller ones underflow g² in float32).
 */
export function adamFirstStepIsLrSign(adam: OptimizerFactory, config: LawConfig = {}): LawProperty<Scenario> {
  const gradValues = wellScaledValues({ min: 1e-4, max: 1e3 });
  return fc.property(scenarios({ ...config.shape, maxSteps: 1, gradValues, options: config.options ?? adamOptions }), (s) => {
    const opt = adam({ ...s.options, ...config.withoutDecay });
    const [after] = run(opt, makeParams(s.params), s.grads);
    s.params.forEach((v, p) => {
      const { lr, eps = 0 } = opt.hyperFor(paramName(p)) as { lr: number; eps?: number };
      v.forEach((p0, i) => {
        const g = s.grads[0][p][i];
        checkDisplacement(`${paramName(p)}[${i}] (gradient ${g}, lr ${lr}, eps ${eps})`, p0, after[p][i], (-lr * g) / (Math.abs(g) + eps), 1e-5);
      });
    });
  });
}

/** A scenario and the factor its gradients are scaled by. */
export interface ScaledCase {
  scenario: Scenario;
  c: number;
}

/**
 * Law: scaling every gradient by c > 0 (here 0.1…10) leaves Adam's steps unchanged up to eps:
 * each step's displacement agrees within `rtol` (default 1e-3) plus two ulps. Gradients are
 * zero or of magnitude 1e-2…1e3 and eps at most 1e-7 by default, so eps moves a step by less
 * than rtol.
 */
export function adamIsGradientScaleInvariant(adam: OptimizerFactory, config: LawConfig & { rtol?: number } = {}): LawProperty<ScaledCase> {
  const rtol = config.rtol ?? 1e-3;
  const cases = fc.record({
    scenario: scenarios({ ...config.shape, gradValues: wellScaledValues({ min: 1e-2, max: 1e3 }), options: optionsArbitrary(config.options ?? adamOptions) }),
    c: fc.double({ min: 0.1, max: 10, noNaN: true }),
  });
  return fc.property(cases, ({ scenario: s, c }) => {
    const options = { ...s.options, ...config.withoutDecay };
    const plain = run(adam(options), makeParams(s.params), s.grads);
    const scaled = run(adam(options), makeParams(s.params), s.grads.map((step) => step.map((g) => g.map((x) => x * c))));
    plain.forEach((step, t) =>
      step.forEach((v, p) => {
        const before = t === 0 ? Float32Array.from(s.params[p]) : plain[t - 1][p];
        const beforeScaled = t === 0 ? before : scaled[t - 1][p];
        v.forEach((x, i) => checkDisplacement(`step ${t + 1}, ${paramName(p)}[${i}] with gradients ×${c}`, beforeScaled[i], scaled[t][p][i], x - before[i], rtol));
      }),
    );
  });
}
