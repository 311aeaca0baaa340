// Laws about how an optimizer treats the structure of its input: element order, zeros,
// parameter groups and bad gradients.
import * as fc from 'fast-check';
import type { GroupSpec, Hyperparams } from '@trainkit/core';
import { optionsArbitrary, paramName, scenarios } from '../arbitraries';
import { assertSameTrajectory } from '../compare';
import { show } from '../float32';
import { makeParams, run, stepWith } from '../trajectory';
import type { LawConfig, LawOptions, LawProperty, OptimizerFactory, OptionsSource, Scenario } from '../types';

const namesOf = (s: Scenario): string[] => s.params.map((_, i) => paramName(i));
const permute = <T>(xs: readonly T[], perm: readonly number[]): T[] => perm.map((j) => xs[j]);

/** A scenario with one permutation of the element indices per parameter. */
export interface PermutedCase {
  scenario: Scenario;
  /** `perms[p][i]`: which original element lands at position i of parameter p. */
  perms: number[][];
}

/**
 * Law (element-wise optimizers only): permuting the elements of every parameter, and its
 * gradients the same way, permutes the resulting parameters the same way, bit for bit.
 * Holds for SGD, momentum, Adam, AdaGrad, RMSProp, Lion; not for optimizers that mix
 * coordinates through anything but order-independent sums.
 */
export function isPermutationEquivariant(make: OptimizerFactory, config: LawConfig = {}): LawProperty<PermutedCase> {
  const cases = scenarios({ ...config.shape, options: config.options }).chain((scenario) =>
    fc.record({
      scenario: fc.constant(scenario),
      perms: fc.tuple(...scenario.params.map((v) => fc.shuffledSubarray([...v.keys()], { minLength: v.length, maxLength: v.length }))),
    }),
  );
  return fc.property(cases, ({ scenario: s, perms }) => {
    const plain = run(make(s.options), makeParams(s.params), s.grads);
    const permuted = run(
      make(s.options),
      makeParams(s.params.map((v, p) => permute(v, perms[p]))),
      s.grads.map((step) => step.map((g, p) => permute(g, perms[p]))),
    );
    const expected = plain.map((step) => step.map((v, p) => Float32Array.from(permute([...v], perms[p]))));
    assertSameTrajectory(permuted, expected, namesOf(s), { actual: 'the permuted problem', expected: 'the permuted result of the original problem' });
  });
}

/**
 * Law: from a fresh optimizer, steps with an all-zero gradient leave every parameter
 * unchanged. Weight decay moves parameters even without a gradient, so the law merges
 * `config.withoutDecay` (e.g. `{ weightDecay: 0 }`) into the options.
 */
export function zeroGradientIsNoOp(make: OptimizerFactory, config: LawConfig = {}): LawProperty<Scenario> {
  return fc.property(scenarios({ ...config.shape, options: config.options }), (s) => {
    const options = { ...s.options, ...config.withoutDecay };
    const params = makeParams(s.params);
    const zeros = s.grads.map((step) => step.map((g) => g.map(() => 0)));
    run(make(options), params, zeros).forEach((step, t) =>
      step.forEach((v, p) => {
        const i = v.findIndex((x, j) => x !== s.params[p][j]);
        if (i !== -1) throw new Error(`after step ${t + 1} with a zero gradient, ${paramName(p)}[${i}] moved from ${show(s.params[p][i])} to ${show(v[i])}`);
      }),
    );
  });
}

/** A scenario, the hyperparameters of one parameter group, and how that group selects its parameter. */
export interface GroupCase {
  scenario: Scenario;
  override: LawOptions;
  selector: 'list' | 'RegExp' | 'predicate';
}

/** Default per-group overrides: learning rates, including 0 (a frozen group). */
export const defaultGroupOverrides: fc.Arbitrary<LawOptions> = fc.record({ lr: fc.constantFrom(0, 1e-4, 1e-3, 0.05) });

/**
 * Law: with a parameter group `{ params: ['w0'], ...override }`, `w0` follows exactly the
 * trajectory an optimizer built with `{ ...options, ...override }` gives it alone, and the other
 * parameters follow exactly the trajectory of an optimizer built with `options` alone.
 * (This also requires parameters not to influence each other, as global-norm clipping does.)
 *
 * @param config.groupOverrides the group hyperparameters to try (default: a few learning rates)
 */
export function groupsAreIndependent(make: OptimizerFactory, config: LawConfig & { groupOverrides?: OptionsSource } = {}): LawProperty<GroupCase> {
  const overrides = config.groupOverrides === undefined ? defaultGroupOverrides : optionsArbitrary(config.groupOverrides);
  const cases = fc.record({
    scenario: scenarios({ ...config.shape, minParams: 2, options: config.options }),
    override: overrides,
    selector: fc.constantFrom('list' as const, 'RegExp' as const, 'predicate' as const),
  });
  return fc.property(cases, ({ scenario: s, override, selector }) => {
    // Arrange: the group holds w0; the rest fall into the default group
    const target = paramName(0);
    const params = { list: [target], RegExp: new RegExp(`^${target}$`), predicate: (n: string) => n === target }[selector];
    // (Object.assign: OptimizerOptions<Hyperparams> mixes an index signature with `groups`, which object literals cannot satisfy)
    const grouped = make(Object.assign({}, s.options, { groups: [Object.assign({ params }, override) as GroupSpec<Hyperparams>] }));
    // Act
    const together = run(grouped, makeParams(s.params), s.grads);
    const alone = run(make({ ...s.options, ...override }), makeParams(s.params.slice(0, 1)), s.grads.map((g) => g.slice(0, 1)));
    const rest = run(make(s.options), makeParams(s.params.slice(1)), s.grads.map((g) => g.slice(1)));
    // Assert
    const names = namesOf(s);
    const inGroup = `w0 in a group (${selector} selector) with ${JSON.stringify(override)}`;
    assertSameTrajectory(
      together.map((step) => step.slice(0, 1)),
      alone,
      names,
      { actual: inGroup, expected: 'w0 alone in an optimizer built with those hyperparameters' },
    );
    assertSameTrajectory(
      together.map((step) => step.slice(1)),
      rest,
      names.slice(1),
      { actual: 'a parameter outside the group', expected: 'the same parameter without any group' },
    );
  });
}

/** Where a non-finite value is planted: indices are reduced modulo the scenario's sizes. */
export interface BadGradientCase {
  scenario: Scenario;
  step: number;
  param: number;
  index: number;
  value: number;
}

/**
 * Law: a gradient holding NaN or ±Infinity makes `step()` throw an error whose message names
 * the parameter and the step number; no parameter and no state changes, so continuing with
 * good gradients gives the same trajectory as if the bad step had never been attempted.
 */
export function rejectsNonFiniteGradients(make: OptimizerFactory, config: LawConfig = {}): LawProperty<BadGradientCase> {
  const cases = fc.record({
    scenario: scenarios({ ...config.shape, options: config.options }),
    step: fc.nat({ max: 15 }),
    param: fc.nat({ max: 15 }),
    index: fc.nat({ max: 15 }),
    value: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  });
  return fc.property(cases, ({ scenario: s, step, param, index, value }) => {
    // Arrange
    const k = step % s.grads.length;
    const p = param % s.params.length;
    const bad = s.grads[k].map((g) => [...g]);
    bad[p][index % bad[p].length] = value;
    const opt = make(s.options);
    const params = makeParams(s.params);
    const reference = run(make(s.options), makeParams(s.params), s.grads);
    run(opt, params, s.grads.slice(0, k));
    const before = params.map((x) => x.value.slice());
    // Act
    let error: unknown;
    try {
      stepWith(opt, params, bad);
    } catch (e) {
      error = e;
    }
    // Assert
    const name = paramName(p);
    if (error === undefined) throw new Error(`step ${k + 1} accepted ${value} in the gradient of ${name} without throwing`);
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes(name) || !new RegExp(`\\b${k + 1}\\b`).test(message)) {
      throw new Error(`the error for ${value} in ${name} at step ${k + 1} should name both the parameter and the step; it says: ${message}`);
    }
    params.forEach((x, q) => {
      const i = x.value.findIndex((v, j) => !Object.is(v, before[q][j]));
      if (i !== -1) throw new Error(`the rejected step ${k + 1} still changed ${paramName(q)}[${i}] from ${show(before[q][i])} to ${show(x.value[i])}`);
    });
    const continued = run(opt, params, s.grads.slice(k));
    assertSameTrajectory(continued, reference.slice(k), namesOf(s), { actual: 'the run continued after the rejected step', expected: 'a run that never saw it', stepOffset: k });
  });
}
