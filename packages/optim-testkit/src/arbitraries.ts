import * as fc from 'fast-check';
import type { LawOptions, OptionsSource, Scenario, ShapeConstraints } from './types';

const f = Math.fround;

/**
 * Float32 values the way training produces them: short decimals from 1e-12 to `max` (first,
 * so counterexamples shrink to readable numbers), exact zeros, tiny (±1e-8) and large (±max)
 * values, and arbitrary float32 bit patterns in [−max, max]. Never NaN or ±Infinity.
 *
 * @param max largest magnitude (rounded to float32), default 1e3
 * @example
 * fc.array(float32Values({ max: 10 }), { minLength: 4, maxLength: 4 })
 */
export function float32Values({ max = 1e3 }: { max?: number } = {}): fc.Arbitrary<number> {
  const m = f(max);
  const decimal = fc
    .tuple(fc.integer({ min: -9999, max: 9999 }), fc.integer({ min: -12, max: 3 }))
    .map(([digits, exponent]) => Math.max(-m, Math.min(m, f(digits * 10 ** exponent))));
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: decimal, weight: 4 },
    { arbitrary: fc.constantFrom(0, f(1e-8), f(-1e-8), m, -m), weight: 1 },
    { arbitrary: fc.float({ min: -m, max: m, noNaN: true }), weight: 3 },
  );
}

/**
 * Non-zero gradient magnitudes between `min` and `max` with a random sign, or exact zeros:
 * values for which eps-dependent laws (Adam's) hold to a tight tolerance.
 */
export function wellScaledValues({ min = 1e-2, max = 1e3 }: { min?: number; max?: number } = {}): fc.Arbitrary<number> {
  const [lo, hi] = [f(min), f(max)];
  const decimal = fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: -12, max: 6 })).map(([d, e]) => Math.max(lo, Math.min(hi, f(d * 10 ** e))));
  const magnitude = fc.oneof({ withCrossShrink: true }, decimal, fc.float({ min: lo, max: hi, noNaN: true }));
  return fc.oneof({ arbitrary: fc.tuple(magnitude, fc.boolean()).map(([v, neg]) => (neg ? -v : v)), weight: 5 }, { arbitrary: fc.constant(0), weight: 1 });
}

/** Turns fixed options into a constant arbitrary; passes arbitraries through. */
export function optionsArbitrary(source: OptionsSource | undefined): fc.Arbitrary<LawOptions> {
  if (source === undefined) return fc.constant({});
  return isArbitrary(source) ? source : fc.constant(source);
}

// duck-typed: a user's fast-check copy may differ from ours, so `instanceof` is not reliable
function isArbitrary(x: OptionsSource): x is fc.Arbitrary<LawOptions> {
  return typeof (x as { generate?: unknown }).generate === 'function' && typeof (x as { shrink?: unknown }).shrink === 'function';
}

/** Name of the i-th generated parameter. */
export const paramName = (i: number): string => `w${i}`;

/** What {@link scenarios} generates beyond the shape limits. */
export interface ScenarioConstraints extends ShapeConstraints {
  options?: OptionsSource;
  minParams?: number;
  minSteps?: number;
  /** Initial parameter values (default {@link float32Values} up to 10). */
  paramValues?: fc.Arbitrary<number>;
  /** Gradient values (default {@link float32Values} up to 1e3). */
  gradValues?: fc.Arbitrary<number>;
}

const vector = (n: number, values: fc.Arbitrary<number>) => fc.array(values, { minLength: n, maxLength: n });

/**
 * Random optimization problems: options, one to `maxParams` parameters of one to `maxSize`
 * elements, and a gradient for every parameter at each of one to `maxSteps` steps.
 *
 * @example
 * fc.assert(fc.property(scenarios({ maxSteps: 3 }), (s) => trajectory(sgd, s.options, s.params, s.grads).length === s.grads.length));
 */
export function scenarios(c: ScenarioConstraints = {}): fc.Arbitrary<Scenario> {
  const { maxParams = 3, maxSize = 6, maxSteps = 6, minParams = 1, minSteps = 1 } = c;
  const paramValues = c.paramValues ?? float32Values({ max: 10 });
  const gradValues = c.gradValues ?? float32Values();
  const sizes = fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: minParams, maxLength: Math.max(minParams, maxParams) });
  const problem = sizes.chain((s) =>
    fc.record({
      params: fc.tuple(...s.map((n) => vector(n, paramValues))),
      grads: fc.array(fc.tuple(...s.map((n) => vector(n, gradValues))), { minLength: minSteps, maxLength: Math.max(minSteps, maxSteps) }),
    }),
  );
  return fc.tuple(optionsArbitrary(c.options), problem).map(([options, p]) => ({ options, params: p.params, grads: p.grads }));
}
