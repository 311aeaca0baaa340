// The mutation suite: wrong optimizers, each configured the way its author would configure the kit
// (no law switched on by hand unless stated), and the law that must catch it. The real optimizers
// pass the same laws: core's sgd and the toys in describeOptimizerLaws.test.ts, and adam, adamw,
// momentum, adagrad and rmsprop in their packages' laws.test.ts.
import { sgd } from '@trainkit/core';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as basic from './__tests__/basicMutants';
import * as m from './__tests__/mutants';
import { toyAdam } from './__tests__/toys';
import { type LawName, type OptimizerFactory, type OptimizerLawsConfig, optimizerLaws } from './index';

const plain: OptimizerLawsConfig = { elementwise: true };
const decay: OptimizerLawsConfig = { elementwise: true, hasWeightDecay: true };
const momentum: OptimizerLawsConfig = { ...decay, family: 'momentum' };
const adam: OptimizerLawsConfig = { ...decay, family: 'adam' };
const adamw: OptimizerLawsConfig = { ...decay, family: 'adamw' };

interface Mutant {
  /** Completes "catches an optimizer that …". */
  does: string;
  make: OptimizerFactory;
  config: OptimizerLawsConfig;
  law: LawName;
  /** What the failure message must say, where the law has more than one way to fail. */
  says?: RegExp;
}

const mutants: Mutant[] = [
  // general laws, on for every optimizer
  { does: 'writes the decayed gradient back into grad', make: m.writesDecayIntoGrad, config: decay, law: 'leavesGradientsAlone', says: /wrote into the gradient/ },
  { does: 'uses grad as scratch space', make: m.usesGradAsScratch, config: { elementwise: true, family: 'adam' }, law: 'leavesGradientsAlone', says: /wrote into the gradient/ },
  { does: "keeps a reference to last step's gradient array instead of a copy", make: m.keepsGradReference, config: plain, law: 'leavesGradientsAlone', says: /gradient array/ },
  { does: 'caches lr at its first step', make: m.cachesLr, config: plain, law: 'followsHyperparameterChanges' },
  { does: 'reads lr once, at construction', make: m.readsLrOnce, config: plain, law: 'followsHyperparameterChanges' },
  { does: 'applies lr twice (inside the momentum buffer and outside)', make: m.momentumLrTwice, config: decay, law: 'isLinearInLr' },
  { does: "forgets lr in AdamW's decoupled decay", make: m.adamwDecayWithoutLr, config: adamw, law: 'isLinearInLr' },
  { does: 'decays weights with the wrong sign', make: m.wrongSignDecay, config: decay, law: 'weightDecayShrinksTowardZero', says: /away from 0/ },
  { does: 'accepts weightDecay and never applies it', make: m.ignoresDecay, config: decay, law: 'weightDecayShrinksTowardZero', says: /did not move it toward 0/ },
  { does: 'decays even with weightDecay 0', make: m.alwaysDecays, config: decay, law: 'zeroGradientIsNoOp' },
  { does: 'keeps state outside its slots, so it is never saved', make: m.stateOutsideSlots, config: plain, law: 'stateRoundTrips' },
  { does: 'drops its buffers when the state is loaded', make: m.dropsSlotsOnRestore, config: decay, law: 'stateRoundTrips' },
  { does: 'hands out live buffers from stateDict', make: m.aliasesLiveState, config: decay, law: 'stateRoundTrips' },
  { does: 'applies a NaN gradient without checking', make: m.acceptsNaN, config: decay, law: 'rejectsNonFiniteGradients' },
  { does: 'ignores parameter groups', make: m.ignoresGroups, config: decay, law: 'groupsAreIndependent' },
  { does: 'is nondeterministic', make: basic.noisy, config: plain, law: 'isDeterministic' },
  { does: 'returns NaN on a zero gradient', make: basic.nansOnZeroGradient, config: plain, law: 'staysFinite' },
  { does: 'depends on element positions although it declares itself element-wise', make: basic.positional, config: plain, law: 'isPermutationEquivariant' },
  { does: 'steps uphill', make: basic.ascends, config: plain, law: 'descendsOnConvexQuadratics' },
  // family laws, on when the optimizer declares its family
  { does: 'is Adam without bias correction', make: m.adamWithoutBiasCorrection, config: adam, law: 'adamFirstStepIsLrSign' },
  { does: 'puts Adam’s eps inside the square root', make: m.adamEpsInsideSqrt, config: adam, law: 'adamFirstStepIsLrSign' },
  { does: 'puts AdamW’s eps inside the square root', make: m.adamwEpsInsideSqrt, config: adamw, law: 'adamFirstStepIsLrSign' },
  { does: 'is AdamW adding its decay to the gradient, as Adam does', make: m.adamwWithCoupledDecay, config: adamw, law: 'adamwDecayIsDecoupled' },
  { does: 'is Adam decoupling its decay, as AdamW does', make: m.adamWithDecoupledDecay, config: adam, law: 'adamDecayIsCoupled' },
  { does: 'dampens the first momentum step', make: m.dampensFirstStep, config: momentum, law: 'momentumFollowsHeavyBall' },
  { does: 'dampens by δ instead of 1 − δ', make: m.swapsDampening, config: momentum, law: 'momentumFollowsHeavyBall' },
  { does: 'keeps an exponential moving average as its momentum buffer', make: m.emaMomentum, config: momentum, law: 'momentumFollowsHeavyBall' },
  { does: 'applies weight decay after the momentum instead of before the buffer', make: m.decaysAfterMomentum, config: momentum, law: 'momentumDecayIsCoupled', says: /step 2/ },
  { does: 'uses the previous buffer in its Nesterov step', make: m.staleNesterov, config: { elementwise: true, family: 'momentum' }, law: 'nesterovFirstStepScalesSgd' },
  // opt-in laws
  { does: 'is SGD posing as Adam', make: sgd, config: { laws: { adamIsGradientScaleInvariant: { options: { lr: 0.01 } } } }, law: 'adamIsGradientScaleInvariant' },
  { does: 'is AdamW differing from the reference Adam at weightDecay 0', make: m.adamwEpsInsideSqrt, config: { laws: { adamwZeroDecayEqualsAdam: { adam: toyAdam } } }, law: 'adamwZeroDecayEqualsAdam' },
];

describe('the mutation suite: the laws describeOptimizerLaws runs catch every wrong optimizer', () => {
  test.each(mutants)('catches an optimizer that $does ($law)', ({ make, config, law, says }) => {
    // Arrange: the law as describeOptimizerLaws would register it for this configuration
    const selected = optimizerLaws(make, config).find((l) => l.name === law);
    expect(selected, `${law} runs for ${JSON.stringify(config)}`).toBeDefined();
    // Act
    const details = fc.check((selected as NonNullable<typeof selected>).property(), { seed: 20240611, includeErrorInReport: true });
    // Assert
    expect(details.failed).toBe(true);
    if (says) expect(String(details.errorInstance)).toMatch(says);
  });

  test('at least 15 of the wrong optimizers are caught by laws that run for every optimizer', () => {
    const general = new Set<LawName>(optimizerLaws(sgd, decay).map((l) => l.name));
    expect(mutants.filter((x) => general.has(x.law)).length).toBeGreaterThanOrEqual(15);
  });
});

describe('laws an optimizer must opt out of when it is not their kind', () => {
  test('global-norm clipping couples parameters, so groupsAreIndependent fails until set to false', () => {
    const law = optimizerLaws(basic.clippedSgd, plain).find((l) => l.name === 'groupsAreIndependent');
    expect(fc.check((law as NonNullable<typeof law>).property(), { seed: 1 }).failed).toBe(true);
    expect(optimizerLaws(basic.clippedSgd, { ...plain, laws: { groupsAreIndependent: false } }).map((l) => l.name)).not.toContain('groupsAreIndependent');
  });
});
