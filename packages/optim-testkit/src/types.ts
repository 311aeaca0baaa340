import type { Hyperparams, Optimizer, OptimizerOptions } from '@trainkit/core';
import type * as fc from 'fast-check';

/** The options object an optimizer factory takes: hyperparameters plus optional parameter `groups`. */
export type LawOptions = OptimizerOptions<Hyperparams>;

/**
 * Makes a fresh optimizer from options, e.g. `(options) => lion(options)` or `lion` itself.
 * Every law calls it several times and expects independent instances.
 */
export type OptimizerFactory = (options: LawOptions) => Optimizer;

/** Fixed options, or an arbitrary that generates them (so a law explores the hyperparameter space). */
export type OptionsSource = LawOptions | fc.Arbitrary<LawOptions>;

/** Size limits of the generated problems. Small problems shrink to readable counterexamples. */
export interface ShapeConstraints {
  /** Most parameters per problem (default 3). */
  maxParams?: number;
  /** Most elements per parameter (default 6). */
  maxSize?: number;
  /** Most optimizer steps per problem (default 6). */
  maxSteps?: number;
}

/** What every generic law accepts. */
export interface LawConfig {
  /**
   * The optimizer options to test with (default `{}`, the optimizer's defaults). Pass an
   * arbitrary, e.g. `fc.record({ lr: fc.constantFrom(1e-3, 0.1), beta1: fc.double({ min: 0, max: 0.99 }) })`,
   * to check the law over a range of hyperparameters.
   */
  options?: OptionsSource;
  /**
   * Options that switch weight decay off, merged on top by the laws that need it (zero gradient
   * is a no-op, descent on quadratics). Example: `{ weightDecay: 0 }`.
   */
  withoutDecay?: LawOptions;
  /** Size limits of the generated problems. */
  shape?: ShapeConstraints;
}

/**
 * One generated problem: options, initial parameter values and a gradient per step and parameter.
 * Values are plain float32-representable numbers so counterexamples print readably; the
 * parameters are named `w0`, `w1`, ….
 */
export interface Scenario {
  options: LawOptions;
  /** Initial values, one array per parameter. */
  params: number[][];
  /** `grads[step][param]`: the gradient of each parameter at each step. */
  grads: number[][][];
}

/** A law as a fast-check property, ready for `fc.assert`, `fc.check` or {@link assertLaw}. */
export type LawProperty<T> = fc.IPropertyWithHooks<[T]>;
