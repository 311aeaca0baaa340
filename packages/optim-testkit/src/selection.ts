// Which laws run for an optimizer: the general ones always, the family's when it declares one,
// the kind-specific ones when asked. describeOptimizerLaws registers exactly this list.
import { sgd as coreSgd } from '@trainkit/core';
import type * as fc from 'fast-check';
import type { Tolerance } from './compare';
import { isDeterministic, staysFinite, stateRoundTrips } from './laws/basic';
import { type DecayConfig, weightDecayShrinksTowardZero } from './laws/decay';
import { type DescentConfig, descendsOnConvexQuadratics } from './laws/descent';
import { leavesGradientsAlone } from './laws/gradients';
import { type ChangeConfig, type LinearConfig, followsHyperparameterChanges, isLinearInLr } from './laws/hyperparameters';
import { adamDecayIsCoupled, adamwDecayIsDecoupled } from './laws/adamDecay';
import { isKernelIndependent } from './laws/kernels';
import {
  type NesterovConfig,
  type ReferenceConfig,
  adamFirstStepIsLrSign,
  adamIsGradientScaleInvariant,
  adamwZeroDecayEqualsAdam,
  momentumZeroEqualsSgd,
  nesterovFirstStepScalesSgd,
} from './laws/kinds';
import { defaultHyperparameters, momentumFollowsHeavyBall } from './laws/momentum';
import { momentumDecayIsCoupled } from './laws/momentumDecay';
import { groupsAreIndependent, isPermutationEquivariant, rejectsNonFiniteGradients, zeroGradientIsNoOp } from './laws/structure';
import { LAW_TITLES, type LawName } from './laws/titles';
import type { LawConfig, LawOptions, OptimizerFactory, OptionsSource, ShapeConstraints } from './types';

/** Settings a law takes beyond the shared ones (options, shape, decay switches). */
type Own<T> = Omit<T, keyof LawConfig>;

/**
 * Which laws run, and their settings. General laws run unless set to `false`; family laws run
 * when the optimizer declares its `family` (and can be set to `false`); the rest run when given.
 */
export interface LawSelection {
  isDeterministic?: false;
  staysFinite?: false;
  stateRoundTrips?: false;
  leavesGradientsAlone?: false;
  /** Further hyperparameters to change between steps (lr always changes), or `false` to skip. */
  followsHyperparameterChanges?: false | Own<ChangeConfig>;
  /** `false` for an optimizer whose step is not lr times something (e.g. one that clips the final update). */
  isLinearInLr?: false | Own<LinearConfig>;
  zeroGradientIsNoOp?: false;
  /** Runs when the optimizer has weight decay (`hasWeightDecay` or `withDecay`); settings or `false`. */
  weightDecayShrinksTowardZero?: false | Omit<DecayConfig, keyof LawConfig | 'withDecay'>;
  rejectsNonFiniteGradients?: false;
  /** Settings (`{ lr: 1e-3, maxSteps: 10 }` by default), or `false` to skip. */
  descendsOnConvexQuadratics?: false | Own<DescentConfig>;
  /** Group hyperparameters to try, or `false` for optimizers that couple parameters (global-norm clipping). */
  groupsAreIndependent?: false | { groupOverrides?: OptionsSource };
  /** Momentum SGD (family `'momentum'`): `sgd` is plain SGD, core's `sgd` by default. */
  momentumZeroEqualsSgd?: false | ({ sgd?: OptimizerFactory } & Omit<ReferenceConfig, 'withoutDecay' | 'shape'>);
  /** Momentum SGD (family `'momentum'`): the first two steps in closed form. */
  momentumFollowsHeavyBall?: false | true | { options?: OptionsSource };
  /** Momentum SGD (family `'momentum'`) with weight decay: the decay is added to the gradient before the buffer, as in torch.optim.SGD. */
  momentumDecayIsCoupled?: false | true | { options?: OptionsSource };
  /** Nesterov-capable momentum SGD (family `'momentum'` with a `nesterov` option); `sgd` is plain SGD. */
  nesterovFirstStepScalesSgd?: false | ({ sgd?: OptimizerFactory } & Omit<NesterovConfig, 'withoutDecay' | 'shape'>);
  /** Adam-like (family `'adam'` or `'adamw'`; `true`, or settings such as the options to explore). */
  adamFirstStepIsLrSign?: false | true | { options?: OptionsSource };
  /** Adam-like (family `'adam'` or `'adamw'`). */
  adamIsGradientScaleInvariant?: false | true | { options?: OptionsSource; rtol?: number };
  /** Adam (family `'adam'`) with weight decay: the decay is L2 added to the gradient, as in torch.optim.Adam. */
  adamDecayIsCoupled?: false | true | { options?: OptionsSource };
  /** AdamW (family `'adamw'`) with weight decay: the decay multiplies the parameter by 1 − lr·λ, as in torch.optim.AdamW. */
  adamwDecayIsDecoupled?: false | true | { options?: OptionsSource };
  /** AdamW; `adam` is the reference Adam. */
  adamwZeroDecayEqualsAdam?: { adam: OptimizerFactory } & Omit<ReferenceConfig, 'withoutDecay' | 'shape'>;
  /**
   * The optimizer has fused WebAssembly kernels (`defineOptimizer({ resident: true })`): its
   * results must not depend on the kernel backend or on residency. `true` tests parameters of
   * up to 40 values (several SIMD vectors and a tail) with the common options; give `shape`
   * or `options` (e.g. a wider arbitrary that reaches every branch of the kernel) to change that.
   */
  isKernelIndependent?: true | { shape?: ShapeConstraints; options?: OptionsSource };
}

const FAMILIES = ['momentum', 'adam', 'adamw'] as const;

/** A family of optimizers whose closed-form laws the kit knows (torch.optim's semantics and option names). */
export type OptimizerFamily = (typeof FAMILIES)[number];

/** Settings of {@link describeOptimizerLaws} and {@link optimizerLaws}. */
export interface OptimizerLawsConfig extends LawConfig {
  /** The update of each element depends only on that element (runs the permutation law). */
  elementwise?: boolean;
  /**
   * The optimizer takes a `weightDecay` option: shorthand for `withoutDecay: { weightDecay: 0 }`
   * and `withDecay: { weightDecay: 0.1 }`.
   */
  hasWeightDecay?: boolean;
  /** Options that switch weight decay on, for the decay law (e.g. `{ decay: 0.1 }`). */
  withDecay?: LawOptions;
  /**
   * The optimizer's family, which switches on its closed-form laws: `'momentum'` (ρ = 0 is SGD,
   * the first two heavy-ball steps, Nesterov's first step when it takes `nesterov`), `'adam'`
   * and `'adamw'` (first step lr·sign(g), invariance to gradient scale; with weight decay, Adam's
   * decay added to the gradient and AdamW's decoupled).
   */
  family?: OptimizerFamily;
  /** How close the laws that compare against a reference optimizer must agree (default `{}`: equal as numbers). */
  tolerance?: Tolerance;
  /** fast-check parameters for every law: `numRuns` (default 100), or `seed`/`path` to replay a failure. */
  fc?: fc.Parameters<unknown>;
  laws?: LawSelection;
}

/** One law as describeOptimizerLaws registers it. */
export interface SelectedLaw {
  name: LawName;
  /** The sentence that names its test. */
  title: string;
  /** Builds the fast-check property (lazily: building one may generate nothing until run). */
  property: () => fc.IProperty<unknown>;
}

/** A law's settings object, or `{}` where the selection holds `true`, `false` or nothing. */
const on = <T extends object>(x: T | boolean | undefined): Partial<T> => (typeof x === 'object' ? x : {});

/**
 * The laws {@link describeOptimizerLaws} registers for this optimizer and configuration, in
 * order: for a test runner other than vitest, or to check one law the way the suite would.
 *
 * @example
 * for (const law of optimizerLaws(lion, { elementwise: true, hasWeightDecay: true })) fc.assert(law.property());
 */
export function optimizerLaws(make: OptimizerFactory, config: OptimizerLawsConfig = {}): SelectedLaw[] {
  const laws = config.laws ?? {};
  const withoutDecay = config.withoutDecay ?? (config.hasWeightDecay ? { weightDecay: 0 } : undefined);
  const withDecay = config.withDecay ?? (config.hasWeightDecay ? { weightDecay: 0.1 } : undefined);
  const base: LawConfig = { options: config.options, withoutDecay, shape: config.shape };
  const fixed = { ...base, options: undefined }; // laws with their own options
  const family = config.family;
  if (family !== undefined && !FAMILIES.includes(family)) {
    throw new TypeError(`optim-testkit: unknown optimizer family ${JSON.stringify(family)} in the config (known: ${FAMILIES.join(', ')})`);
  }
  const selected: SelectedLaw[] = [];
  const add = (name: LawName, run: boolean, property: () => fc.IProperty<unknown>): void => {
    if (run) selected.push({ name, title: LAW_TITLES[name], property });
  };
  const { isDeterministic: d, staysFinite: sf, stateRoundTrips: sr, leavesGradientsAlone: lg, followsHyperparameterChanges: fh, isLinearInLr: ll } = laws;
  add('isDeterministic', d !== false, () => isDeterministic(make, base));
  add('staysFinite', sf !== false, () => staysFinite(make, base));
  add('stateRoundTrips', sr !== false, () => stateRoundTrips(make, base));
  add('leavesGradientsAlone', lg !== false, () => leavesGradientsAlone(make, base));
  add('followsHyperparameterChanges', fh !== false, () => followsHyperparameterChanges(make, { ...base, ...on(fh) }));
  add('isLinearInLr', ll !== false, () => isLinearInLr(make, { ...base, ...on(ll) }));
  add('isPermutationEquivariant', config.elementwise === true, () => isPermutationEquivariant(make, base));
  add('zeroGradientIsNoOp', laws.zeroGradientIsNoOp !== false, () => zeroGradientIsNoOp(make, base));
  const wd = laws.weightDecayShrinksTowardZero;
  add('weightDecayShrinksTowardZero', withDecay !== undefined && wd !== false, () => weightDecayShrinksTowardZero(make, { ...base, withDecay, ...on(wd) }));
  add('descendsOnConvexQuadratics', laws.descendsOnConvexQuadratics !== false, () => descendsOnConvexQuadratics(make, { ...base, ...on(laws.descendsOnConvexQuadratics) }));
  add('groupsAreIndependent', laws.groupsAreIndependent !== false, () => groupsAreIndependent(make, { ...base, ...on(laws.groupsAreIndependent) }));
  add('rejectsNonFiniteGradients', laws.rejectsNonFiniteGradients !== false, () => rejectsNonFiniteGradients(make, base));

  const momentum = family === 'momentum';
  const adamLike = family === 'adam' || family === 'adamw';
  const tolerance = config.tolerance;
  const { momentumZeroEqualsSgd: mz, momentumFollowsHeavyBall: hb, nesterovFirstStepScalesSgd: nf } = laws;
  const nesterov = nf !== undefined || (momentum && 'nesterov' in defaultHyperparameters(make));
  add('momentumZeroEqualsSgd', mz !== false && (momentum || mz !== undefined), () => {
    const { sgd = coreSgd, ...rest } = on(mz);
    return momentumZeroEqualsSgd(make, sgd, { shape: base.shape, tolerance, ...rest });
  });
  add('momentumFollowsHeavyBall', hb !== false && (momentum || hb !== undefined), () => momentumFollowsHeavyBall(make, { ...fixed, ...on(hb) }));
  const md = laws.momentumDecayIsCoupled;
  add('momentumDecayIsCoupled', md !== false && ((momentum && withDecay !== undefined) || md !== undefined), () => momentumDecayIsCoupled(make, { ...fixed, withDecay, ...on(md) }));
  add('nesterovFirstStepScalesSgd', nf !== false && nesterov, () => {
    const { sgd = coreSgd, ...rest } = on(nf);
    return nesterovFirstStepScalesSgd(make, sgd, { ...fixed, ...rest });
  });
  const { adamFirstStepIsLrSign: af, adamIsGradientScaleInvariant: ai, adamwZeroDecayEqualsAdam: aw } = laws;
  add('adamFirstStepIsLrSign', af !== false && (adamLike || af !== undefined), () => adamFirstStepIsLrSign(make, { ...fixed, ...on(af) }));
  add('adamIsGradientScaleInvariant', ai !== false && (adamLike || ai !== undefined), () => adamIsGradientScaleInvariant(make, { ...fixed, ...on(ai) }));
  const { adamDecayIsCoupled: dc, adamwDecayIsDecoupled: dd } = laws;
  const decayLaw = (x: typeof dc, of: OptimizerFamily) => x !== false && ((family === of && withDecay !== undefined) || x !== undefined);
  add('adamDecayIsCoupled', decayLaw(dc, 'adam'), () => adamDecayIsCoupled(make, { ...fixed, withDecay, ...on(dc) }));
  add('adamwDecayIsDecoupled', decayLaw(dd, 'adamw'), () => adamwDecayIsDecoupled(make, { ...fixed, withDecay, ...on(dd) }));
  add('adamwZeroDecayEqualsAdam', aw !== undefined, () => adamwZeroDecayEqualsAdam(make, (aw as { adam: OptimizerFactory }).adam, { shape: base.shape, tolerance, ...aw }));
  const ki = laws.isKernelIndependent;
  add('isKernelIndependent', ki !== undefined, () => {
    const k = on(ki);
    return isKernelIndependent(make, { ...base, options: k.options ?? base.options, shape: { maxSize: 40, ...k.shape } });
  });
  return selected;
}
