// Each law catches the optimizer built to break it: the kit's properties fail (checked with
// fc.check and assertLaw, so this suite itself passes) and the report names the law.
import { sgd } from '@trainkit/core';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as toys from './__tests__/toys';
import {
  LAW_TITLES,
  LawViolationError,
  adamFirstStepIsLrSign,
  adamIsGradientScaleInvariant,
  adamwZeroDecayEqualsAdam,
  assertLaw,
  descendsOnConvexQuadratics,
  groupsAreIndependent,
  isDeterministic,
  isPermutationEquivariant,
  nesterovFirstStepScalesSgd,
  rejectsNonFiniteGradients,
  stateRoundTrips,
  staysFinite,
  zeroGradientIsNoOp,
  type LawName,
} from './index';

const broken: Array<[string, LawName, () => fc.IProperty<unknown>]> = [
  ['noisy (random noise in every step)', 'isDeterministic', () => isDeterministic(toys.noisy)],
  ['nansOnZeroGradient (divides by |g|)', 'staysFinite', () => staysFinite(toys.nansOnZeroGradient)],
  ['dropsSlotsOnRestore (loads the step count, not the buffers)', 'stateRoundTrips', () => stateRoundTrips(toys.dropsSlotsOnRestore)],
  ['aliasesLiveState (stateDict returns live buffers)', 'stateRoundTrips', () => stateRoundTrips(toys.aliasesLiveState)],
  ['positional (scales element i by 1 + i/8)', 'isPermutationEquivariant', () => isPermutationEquivariant(toys.positional)],
  ['alwaysDecays (decay even with weightDecay 0)', 'zeroGradientIsNoOp', () => zeroGradientIsNoOp(toys.alwaysDecays, { withoutDecay: { weightDecay: 0 } })],
  ['ascends (sign flipped)', 'descendsOnConvexQuadratics', () => descendsOnConvexQuadratics(toys.ascends)],
  ['ignoresGroups (default lr everywhere)', 'groupsAreIndependent', () => groupsAreIndependent(toys.ignoresGroups)],
  ['clippedSgd (global-norm clipping couples parameters)', 'groupsAreIndependent', () => groupsAreIndependent(toys.clippedSgd)],
  ['acceptsNaN (no gradient check)', 'rejectsNonFiniteGradients', () => rejectsNonFiniteGradients(toys.acceptsNaN)],
  ['staleNesterov (uses the previous buffer)', 'nesterovFirstStepScalesSgd', () => nesterovFirstStepScalesSgd(toys.staleNesterov, sgd)],
  ['adamWithoutBiasCorrection', 'adamFirstStepIsLrSign', () => adamFirstStepIsLrSign(toys.adamWithoutBiasCorrection)],
  ['sgd posing as Adam', 'adamIsGradientScaleInvariant', () => adamIsGradientScaleInvariant(sgd, { options: { lr: 0.01 } })],
  ['adamwEpsInsideSqrt', 'adamwZeroDecayEqualsAdam', () => adamwZeroDecayEqualsAdam(toys.adamwEpsInsideSqrt, toys.toyAdam)],
];

describe('every law catches an optimizer that breaks it', () => {
  test.each(broken)('%s violates "%s"', (_, law, property) => {
    // Act
    const details = fc.check(property(), { seed: 20240611 });
    // Assert: a failure with a shrunk counterexample and a seed to replay it
    expect(details.failed).toBe(true);
    expect(details.counterexample).not.toBeNull();
    expect(typeof details.seed).toBe('number');
    void law;
  });
});

describe('assertLaw reports the law, the counterexample and how to replay it', () => {
  test('the message starts with the subject and the law, then the seed and the shrunk counterexample', () => {
    // Act
    let error: unknown;
    try {
      assertLaw(LAW_TITLES.staysFinite, staysFinite(toys.nansOnZeroGradient), { seed: 7 }, 'broken/normalized');
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
    const first = fc.check(stateRoundTrips(toys.dropsSlotsOnRestore), { seed: 99 });
    expect(first.failed).toBe(true);
    // Act
    const replay = fc.check(stateRoundTrips(toys.dropsSlotsOnRestore), { seed: first.seed, path: first.counterexamplePath ?? '', endOnFailure: true });
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
