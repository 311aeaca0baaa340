// How a failing law reports, how exact the reference laws are, and group independence.
// (Which law catches which wrong optimizer: mutation.test.ts.)
import { sgd } from '@trainkit/core';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as basic from './__tests__/basicMutants';
import * as m from './__tests__/mutants';
import { float64Momentum, toyMomentum } from './__tests__/toys';
import {
  LAW_TITLES,
  LawViolationError,
  type LawOptions,
  assertLaw,
  assertSameTrajectory,
  followsHyperparameterChanges,
  groupsAreIndependent,
  isDeterministic,
  momentumZeroEqualsSgd,
  optimizerLaws,
  stateRoundTrips,
  staysFinite,
} from './index';

describe('assertLaw reports the law, the counterexample and how to replay it', () => {
  test('the message starts with the subject and the law, then the seed and the shrunk counterexample', () => {
    // Act
    let error: unknown;
    try {
      assertLaw(LAW_TITLES.staysFinite, staysFinite(basic.nansOnZeroGradient), { seed: 7 }, 'broken/normalized');
    } catch (e) {
      error = e;
    }
    // Assert
    expect(error).toBeInstanceOf(LawViolationError);
    const violation = error as LawViolationError;
    expect(violation.message).toMatch(/^broken\/normalized violates the law "finite in, finite out/);
    expect(violation.message).toContain('Counterexample:');
    expect(violation.message).toContain(`seed: ${violation.seed}`);
    expect(violation.message).toContain('is NaN although every input was finite');
    expect(violation.law).toBe(LAW_TITLES.staysFinite);
  });

  test('replaying with the reported seed and path fails on the same counterexample at once', () => {
    // Arrange
    const first = fc.check(stateRoundTrips(m.dropsSlotsOnRestore), { seed: 99 });
    expect(first.failed).toBe(true);
    // Act
    const replay = fc.check(stateRoundTrips(m.dropsSlotsOnRestore), { seed: first.seed, path: first.counterexamplePath ?? '', endOnFailure: true });
    // Assert
    expect(replay.failed).toBe(true);
    expect(fc.stringify(replay.counterexample)).toBe(fc.stringify(first.counterexample));
  });

  test('a law that holds does not throw', () => {
    expect(() => assertLaw(LAW_TITLES.isDeterministic, isDeterministic(sgd), { numRuns: 20 })).not.toThrow();
  });
});

describe('groupsAreIndependent', () => {
  test('holds for a chained optimizer without cross-parameter transforms, with any group selector', () => {
    expect(fc.check(groupsAreIndependent(sgd, { groupOverrides: fc.record({ lr: fc.constantFrom(0, 0.5), weightDecay: fc.constantFrom(0, 0.1) }) })).failed).toBe(false);
  });
});

describe('the exactness contract of the reference laws', () => {
  test('a float64 momentum fails "momentum 0 = SGD" bit for bit against the float32 reference, and passes with tolerance { ulps: 4 }', () => {
    // Act
    const exact = fc.check(momentumZeroEqualsSgd(float64Momentum, sgd), { seed: 3, includeErrorInReport: true });
    const tolerant = fc.check(momentumZeroEqualsSgd(float64Momentum, sgd, { tolerance: { ulps: 4 } }), { seed: 3, numRuns: 300 });
    // Assert
    expect(exact.failed).toBe(true);
    expect(String(exact.errorInstance)).toMatch(/expected agreement within rtol 0, atol 0\)/);
    expect(tolerant.failed).toBe(false);
  });

  test('{ ulps: n } measures ulps at the largest magnitude the element has had, its initial value included', () => {
    // Arrange: the element goes 1 → 2⁻¹⁰; the two sides differ by 1 ulp of 1 (2⁻²³) at the end
    const names = ['w0'];
    const a = [[Float32Array.of(2 ** -10)]];
    const b = [[Float32Array.of(2 ** -10 + 2 ** -23)]];
    const sides = { actual: 'a', expected: 'b', initial: [[1]] };
    // Act / Assert
    expect(() => assertSameTrajectory(a, b, names, sides, { ulps: 1 })).not.toThrow();
    expect(() => assertSameTrajectory(a, b, names, { ...sides, initial: undefined }, { ulps: 1 })).toThrow('1 ulps of the largest magnitude so far');
  });
});

describe('followsHyperparameterChanges with further hyperparameters', () => {
  const changes = fc.record({ momentum: fc.constantFrom(0, 0.5), dampening: fc.constantFrom(0, 0.25) });

  test('holds for a momentum that reads momentum and dampening at every step', () => {
    expect(fc.check(followsHyperparameterChanges(toyMomentum, { changes }), { seed: 5 }).failed).toBe(false);
  });

  test('catches a momentum that reads its momentum factor once, at construction', () => {
    // Arrange: toyMomentum, but its groups' momentum is frozen at the constructed value
    const readsMomentumOnce = (options: LawOptions) => {
      const opt = toyMomentum(options);
      const rho = opt.hyperFor('w0').momentum;
      const step = opt.step;
      opt.step = (params) => {
        for (const g of opt.groups) g.hyper.momentum = rho;
        step(params);
      };
      return opt;
    };
    // Act
    const details = fc.check(followsHyperparameterChanges(readsMomentumOnce, { changes }), { seed: 5 });
    // Assert
    expect(details.failed).toBe(true);
  });
});

describe('optimizerLaws', () => {
  test('rejects an unknown family, naming it and the known ones', () => {
    expect(() => optimizerLaws(sgd, { family: 'adamx' as never })).toThrow('unknown optimizer family "adamx" in the config (known: momentum, adam, adamw)');
  });

  test('a general law set to false is not registered', () => {
    const names = optimizerLaws(sgd, { laws: { isLinearInLr: false, leavesGradientsAlone: false } }).map((l) => l.name);
    expect(names).not.toContain('isLinearInLr');
    expect(names).not.toContain('leavesGradientsAlone');
    expect(names).toContain('followsHyperparameterChanges');
  });
});
