// The laws every optimizer keeps whatever its kind: determinism, finiteness, exact resume.
import * as fc from 'fast-check';
import { paramName, scenarios } from '../arbitraries';
import { assertSameTrajectory } from '../compare';
import { firstBitDifference, firstNonFinite, show } from '../float32';
import { makeParams, run } from '../trajectory';
import type { LawConfig, LawProperty, OptimizerFactory, Scenario } from '../types';
import type { OptimizerState } from '@trainkit/core';

const namesOf = (s: Scenario): string[] => s.params.map((_, i) => paramName(i));

/** Throws at the first slot value that differs between two optimizer states. */
export function assertSameSlots(a: OptimizerState, b: OptimizerState, what: string): void {
  for (const [param, slots] of Object.entries(a.slots)) {
    for (const [slot, values] of Object.entries(slots)) {
      const other = b.slots[param]?.[slot];
      if (!(other instanceof Float32Array)) throw new Error(`${what}: slot "${slot}" of "${param}" is missing from the second state`);
      const i = firstBitDifference(values, other);
      if (i !== -1) throw new Error(`${what}: slot "${slot}" of "${param}"[${i}] is ${show(values[i])} in the first state and ${show(other[i])} in the second`);
    }
  }
}

/**
 * Law: two fresh optimizers with the same options, fed the same parameters and gradients,
 * produce bit-identical parameters after every step and bit-identical state.
 *
 * @example
 * fc.assert(isDeterministic(lion, { options: { lr: 1e-3 } }));
 */
export function isDeterministic(make: OptimizerFactory, config: LawConfig = {}): LawProperty<Scenario> {
  return fc.property(scenarios({ ...config.shape, options: config.options }), (s) => {
    // Arrange
    const first = make(s.options);
    const second = make(s.options);
    // Act
    const a = run(first, makeParams(s.params), s.grads);
    const b = run(second, makeParams(s.params), s.grads);
    // Assert
    assertSameTrajectory(b, a, namesOf(s), { actual: 'the second run', expected: 'the first' });
    assertSameSlots(first.stateDict(), second.stateDict(), 'state after the last step');
  });
}

/**
 * Law: finite parameters and finite gradients (with zeros, ±1e-8 and ±1e3 among them) never
 * produce NaN or ±Infinity, neither in the parameters nor in the optimizer state.
 */
export function staysFinite(make: OptimizerFactory, config: LawConfig = {}): LawProperty<Scenario> {
  return fc.property(scenarios({ ...config.shape, options: config.options }), (s) => {
    const opt = make(s.options);
    const steps = run(opt, makeParams(s.params), s.grads);
    steps.forEach((params, t) =>
      params.forEach((v, p) => {
        const i = firstNonFinite(v);
        if (i !== -1) throw new Error(`after step ${t + 1}, ${paramName(p)}[${i}] is ${v[i]} although every input was finite`);
      }),
    );
    for (const [param, slots] of Object.entries(opt.stateDict().slots)) {
      for (const [slot, values] of Object.entries(slots)) {
        const i = firstNonFinite(values);
        if (i !== -1) throw new Error(`slot "${slot}" of "${param}"[${i}] is ${values[i]} although every input was finite`);
      }
    }
  });
}

/** A scenario split in two: `saveAfter` steps run before the state is saved. */
export interface ResumeCase {
  scenario: Scenario;
  saveAfter: number;
  via: 'direct' | 'structuredClone';
}

/**
 * Law: saving the state after some steps and loading it into a fresh optimizer (the saved
 * object itself, or a `structuredClone` of it, as a worker or IndexedDB would hand it back)
 * continues the bit-identical trajectory. Loading the same saved object twice must work too,
 * which catches states that alias live buffers in either direction.
 */
export function stateRoundTrips(make: OptimizerFactory, config: LawConfig = {}): LawProperty<ResumeCase> {
  const cases = fc.record({
    scenario: scenarios({ ...config.shape, minSteps: 2, options: config.options }),
    saveAfter: fc.nat({ max: 15 }),
    via: fc.constantFrom('direct' as const, 'structuredClone' as const),
  });
  return fc.property(cases, ({ scenario: s, saveAfter, via }) => {
    // Arrange: run k steps, save, then finish the run uninterrupted
    const k = saveAfter % s.grads.length;
    const original = make(s.options);
    const params = makeParams(s.params);
    run(original, params, s.grads.slice(0, k));
    const saved = original.stateDict();
    const resumeFrom = params.map((p) => p.value.slice());
    const uninterrupted = run(original, params, s.grads.slice(k));
    // Act: two fresh optimizers resume from the saved state
    const resumed = [0, 1].map(() => {
      const opt = make(s.options);
      opt.loadStateDict(via === 'direct' ? saved : structuredClone(saved));
      if (opt.stepCount !== k) throw new Error(`stepCount is ${opt.stepCount} after loading a state saved after ${k} steps`);
      return run(opt, makeParams(resumeFrom), s.grads.slice(k));
    });
    // Assert
    const names = namesOf(s);
    const label = `the optimizer resumed after step ${k} (${via === 'direct' ? 'state loaded as saved' : 'state passed through structuredClone'})`;
    assertSameTrajectory(resumed[0], uninterrupted, names, { actual: label, expected: 'the uninterrupted run', stepOffset: k });
    assertSameTrajectory(resumed[1], uninterrupted, names, { actual: 'a second optimizer loading the same saved state', expected: 'the uninterrupted run', stepOffset: k });
  });
}
