/**
 * @trainkit/optim-testkit — the laws every trainkit optimizer must keep, as fast-check
 * properties. Call {@link describeOptimizerLaws} inside a vitest suite to get one test per law,
 * or use the property factories (named after their invariant) with `fc.assert` directly.
 * @packageDocumentation
 */
export { describeOptimizerLaws } from './describeOptimizerLaws';
export { optimizerLaws } from './selection';
export { assertLaw, LawViolationError } from './assertLaw';
export { isDeterministic, staysFinite, stateRoundTrips } from './laws/basic';
export { isPermutationEquivariant, zeroGradientIsNoOp, groupsAreIndependent, rejectsNonFiniteGradients, defaultGroupOverrides } from './laws/structure';
export { descendsOnConvexQuadratics } from './laws/descent';
export { leavesGradientsAlone } from './laws/gradients';
export { followsHyperparameterChanges, isLinearInLr } from './laws/hyperparameters';
export { weightDecayShrinksTowardZero } from './laws/decay';
export { momentumFollowsHeavyBall, defaultHyperparameters } from './laws/momentum';
export { momentumDecayIsCoupled } from './laws/momentumDecay';
export { isKernelIndependent } from './laws/kernels';
export {
  matchesReference,
  momentumZeroEqualsSgd,
  nesterovFirstStepScalesSgd,
  adamFirstStepIsLrSign,
  adamIsGradientScaleInvariant,
  adamwZeroDecayEqualsAdam,
} from './laws/kinds';
export { adamDecayIsCoupled, adamwDecayIsDecoupled } from './laws/adamDecay';
export { LAW_TITLES } from './laws/titles';
export { trajectory, makeParams, stepWith, run } from './trajectory';
export { scenarios, float32Values, wellScaledValues, optionsArbitrary, paramName } from './arbitraries';
export { assertSameTrajectory } from './compare';
export { ulp32, float32Hex } from './float32';

export type { OptimizerLawsConfig, LawSelection, OptimizerFamily, SelectedLaw } from './selection';
export type { LawConfig, LawOptions, LawProperty, OptimizerFactory, OptionsSource, Scenario, ShapeConstraints } from './types';
export type { LawName } from './laws/titles';
export type { ResumeCase } from './laws/basic';
export type { PermutedCase, GroupCase, BadGradientCase } from './laws/structure';
export type { QuadraticCase, DescentConfig } from './laws/descent';
export type { ChangeCase, ChangeConfig, LrScaleCase, LinearConfig } from './laws/hyperparameters';
export type { DecayConfig } from './laws/decay';
export type { ReferenceConfig, NesterovConfig, ScaledCase } from './laws/kinds';
export type { AdamDecayConfig } from './laws/adamDecay';
export type { ParamValues } from './trajectory';
export type { ScenarioConstraints } from './arbitraries';
export type { Tolerance, Sides } from './compare';
