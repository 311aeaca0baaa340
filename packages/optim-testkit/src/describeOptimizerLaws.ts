import type * as fc from 'fast-check';
import { describe, test } from 'vitest';
import { assertLaw } from './assertLaw';
import { isDeterministic, staysFinite, stateRoundTrips } from './laws/basic';
import { type DescentConfig, descendsOnConvexQuadratics } from './laws/descent';
import {
  type NesterovConfig,
  type ReferenceConfig,
  adamFirstStepIsLrSign,
  adamIsGradientScaleInvariant,
  adamwZeroDecayEqualsAdam,
  momentumZeroEqualsSgd,
  nesterovFirstStepScalesSgd,
} from './laws/kinds';
import { groupsAreIndependent, isPermutationEquivariant, rejectsNonFiniteGradients, zeroGradientIsNoOp } from './laws/structure';
import { isKernelIndependent } from './laws/kernels';
import { LAW_TITLES, type LawName } from './laws/titles';
import type { LawConfig, LawOptions, OptimizerFactory, OptionsSource, ShapeConstraints } from './types';

/** Which laws run, and their settings. Generic laws run unless set to `false`; kind-specific ones run when given. */
export interface LawSelection {
  isDeterministic?: false;
  staysFinite?: false;
  stateRoundTrips?: false;
  zeroGradientIsNoOp?: false;
  rejectsNonFiniteGradients?: false;
  /** Settings (`{ lr: 1e-3, maxSteps: 10 }` by default), or `false` to skip. */
  descendsOnConvexQuadratics?: false | Omit<DescentConfig, keyof LawConfig>;
  /** Group hyperparameters to try, or `false` for optimizers that couple parameters (global-norm clipping). */
  groupsAreIndependent?: false | { groupOverrides?: OptionsSource };
  /** The optimizer under test is momentum SGD; `sgd` is plain SGD (core's `sgd`). */
  momentumZeroEqualsSgd?: { sgd: OptimizerFactory } & Omit<ReferenceConfig, 'withoutDecay' | 'shape'>;
  /** The optimizer under test is Nesterov-capable momentum SGD; `sgd` is plain SGD. */
  nesterovFirstStepScalesSgd?: { sgd: OptimizerFactory } & Omit<NesterovConfig, 'withoutDecay' | 'shape'>;
  /** The optimizer under test is Adam-like (`true`, or settings such as the options to explore). */
  adamFirstStepIsLrSign?: true | { options?: OptionsSource };
  /** The optimizer under test is Adam-like. */
  adamIsGradientScaleInvariant?: true | { options?: OptionsSource; rtol?: number };
  /** The optimizer under test is AdamW; `adam` is the reference Adam. */
  adamwZeroDecayEqualsAdam?: { adam: OptimizerFactory } & Omit<ReferenceConfig, 'withoutDecay' | 'shape'>;
  /**
   * The optimizer has fused WebAssembly kernels (`defineOptimizer({ resident: true })`): its
   * results must not depend on the kernel backend or on residency. `true` tests parameters of
   * up to 40 values (several SIMD vectors and a tail) with the common options; give `shape`
   * or `options` (e.g. a wider arbitrary that reaches every branch of the kernel) to change that.
   */
  isKernelIndependent?: true | { shape?: ShapeConstraints; options?: OptionsSource };
}

/** Settings of {@link describeOptimizerLaws}. */
export interface OptimizerLawsConfig extends LawConfig {
  /** The update of each element depends only on that element (runs the permutation law). */
  elementwise?: boolean;
  /** The optimizer takes a `weightDecay` option; shorthand for `withoutDecay: { weightDecay: 0 }`. */
  hasWeightDecay?: boolean;
  /** fast-check parameters for every law: `numRuns` (default 100), or `seed`/`path` to replay a failure. */
  fc?: fc.Parameters<unknown>;
  laws?: LawSelection;
}

/**
 * Registers one vitest test per optimizer law, each named for its law, inside
 * `describe('<name> obeys the optimizer laws')`. Each test runs the law as a fast-check property;
 * a failure reports the law, the shrunk counterexample and the seed and path that replay it.
 *
 * Generic laws (all optimizers): deterministic; finite in → finite out; state save/restore;
 * zero gradient is a no-op; descent on convex quadratics; parameter groups are independent;
 * NaN/Infinity gradients are rejected. With `elementwise`: permutation equivariance. Opt-in:
 * the kind-specific laws in {@link LawSelection}, which take the reference factories they
 * compare against, and for optimizers with WebAssembly kernels, `isKernelIndependent`.
 *
 * @param name the optimizer's name, shown in the test titles
 * @param make makes a fresh optimizer from options, e.g. `(options) => lion(options)`
 * @param config which laws run and how (see {@link OptimizerLawsConfig})
 * @example
 * describeOptimizerLaws('my-org/lion', (options) => lion(options), {
 *   elementwise: true,
 *   hasWeightDecay: true,
 *   options: fc.record({ lr: fc.constantFrom(1e-4, 1e-3), beta1: fc.double({ min: 0, max: 0.99, noNaN: true }) }),
 * });
 */
export function describeOptimizerLaws(name: string, make: OptimizerFactory, config: OptimizerLawsConfig = {}): void {
  const laws = config.laws ?? {};
  const withoutDecay: LawOptions | undefined = config.withoutDecay ?? (config.hasWeightDecay ? { weightDecay: 0 } : undefined);
  const base: LawConfig = { options: config.options, withoutDecay, shape: config.shape };
  const params = { numRuns: 100, ...config.fc };
  const law = (key: LawName, property: () => fc.IProperty<unknown>): void => {
    test(LAW_TITLES[key], () => assertLaw(LAW_TITLES[key], property(), params, name));
  };
  const settings = <T extends object>(x: T | true): Partial<T> => (x === true ? {} : x);

  describe(`${name} obeys the optimizer laws`, () => {
    if (laws.isDeterministic !== false) law('isDeterministic', () => isDeterministic(make, base));
    if (laws.staysFinite !== false) law('staysFinite', () => staysFinite(make, base));
    if (laws.stateRoundTrips !== false) law('stateRoundTrips', () => stateRoundTrips(make, base));
    if (config.elementwise) law('isPermutationEquivariant', () => isPermutationEquivariant(make, base));
    if (laws.zeroGradientIsNoOp !== false) law('zeroGradientIsNoOp', () => zeroGradientIsNoOp(make, base));
    if (laws.descendsOnConvexQuadratics !== false) law('descendsOnConvexQuadratics', () => descendsOnConvexQuadratics(make, { ...base, ...laws.descendsOnConvexQuadratics }));
    if (laws.groupsAreIndependent !== false) law('groupsAreIndependent', () => groupsAreIndependent(make, { ...base, ...laws.groupsAreIndependent }));
    if (laws.rejectsNonFiniteGradients !== false) law('rejectsNonFiniteGradients', () => rejectsNonFiniteGradients(make, base));

    const { momentumZeroEqualsSgd: mz, nesterovFirstStepScalesSgd: nf, adamFirstStepIsLrSign: af, adamIsGradientScaleInvariant: ai, adamwZeroDecayEqualsAdam: aw } = laws;
    if (mz) law('momentumZeroEqualsSgd', () => momentumZeroEqualsSgd(make, mz.sgd, { shape: base.shape, ...mz }));
    if (nf) law('nesterovFirstStepScalesSgd', () => nesterovFirstStepScalesSgd(make, nf.sgd, { ...base, options: undefined, ...nf }));
    if (af) law('adamFirstStepIsLrSign', () => adamFirstStepIsLrSign(make, { ...base, options: undefined, ...settings(af) }));
    if (ai) law('adamIsGradientScaleInvariant', () => adamIsGradientScaleInvariant(make, { ...base, options: undefined, ...settings(ai) }));
    if (aw) law('adamwZeroDecayEqualsAdam', () => adamwZeroDecayEqualsAdam(make, aw.adam, { shape: base.shape, ...aw }));
    const ki = laws.isKernelIndependent;
    if (ki) {
      const k = ki === true ? {} : ki;
      law('isKernelIndependent', () => isKernelIndependent(make, { ...base, options: k.options ?? base.options, shape: { maxSize: 40, ...k.shape } }));
    }
  });
}
