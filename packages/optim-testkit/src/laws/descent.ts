import * as fc from 'fast-check';
import { optionsArbitrary } from '../arbitraries';
import { makeParams, stepWith } from '../trajectory';
import type { LawConfig, LawOptions, LawProperty, OptimizerFactory } from '../types';

/**
 * A convex quadratic f(x) = ½ (x − c)ᵀ A (x − c) with A = MᵀM + ½I (so every eigenvalue is at
 * least ½ and at most ½ + ‖M‖²), started at `x0`, at least 1 away from the minimum `c` in
 * every coordinate.
 */
export interface QuadraticCase {
  options: LawOptions;
  x0: number[];
  /** c − x0 */
  offset: number[];
  m: number[][];
  steps: number;
}

/** Settings of {@link descendsOnConvexQuadratics}. */
export interface DescentConfig extends LawConfig {
  /** The small learning rate (default 1e-3; it overrides `lr` in the options). */
  lr?: number;
  /** Most steps taken (default 10). */
  maxSteps?: number;
}

function quadratics(config: DescentConfig): fc.Arbitrary<QuadraticCase> {
  const coordinate = fc.tuple(fc.double({ min: 1, max: 4, noNaN: true }), fc.boolean()).map(([v, neg]) => (neg ? -v : v));
  const problem = fc.integer({ min: 1, max: 4 }).chain((n) =>
    fc.record({
      x0: fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: n, maxLength: n }),
      offset: fc.array(coordinate, { minLength: n, maxLength: n }),
      m: fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
    }),
  );
  return fc
    .record({ options: optionsArbitrary(config.options), problem, steps: fc.integer({ min: 1, max: config.maxSteps ?? 10 }) })
    .map(({ options, problem: p, steps }) => ({ options, ...p, steps }));
}

/** f and ∇f in double precision. */
function evaluate(q: QuadraticCase, x: ArrayLike<number>, grad?: Float32Array): number {
  const n = q.x0.length;
  const r = Array.from({ length: n }, (_, i) => x[i] - (q.x0[i] + q.offset[i]));
  const mr = q.m.map((row) => row.reduce((s, v, j) => s + v * r[j], 0)); // M r
  let value = 0;
  for (let i = 0; i < n; i++) {
    let ar = 0.5 * r[i]; // (MᵀM + ½I) r
    for (let k = 0; k < n; k++) ar += q.m[k][i] * mr[k];
    value += 0.5 * r[i] * ar;
    if (grad) grad[i] = ar;
  }
  return value;
}

/**
 * Law: on a random convex quadratic, a few steps with a small learning rate end with a lower
 * loss than they started from. Weight decay changes the objective, so `config.withoutDecay`
 * is merged into the options.
 *
 * @example
 * fc.assert(descendsOnConvexQuadratics(adagrad, { lr: 1e-2 }));
 */
export function descendsOnConvexQuadratics(make: OptimizerFactory, config: DescentConfig = {}): LawProperty<QuadraticCase> {
  const lr = config.lr ?? 1e-3;
  return fc.property(quadratics(config), (q) => {
    // Arrange
    const opt = make({ ...q.options, ...config.withoutDecay, lr } as LawOptions);
    const [x] = makeParams({ x: q.x0 });
    const start = evaluate(q, x.value);
    const grad = new Float32Array(q.x0.length);
    // Act
    for (let t = 0; t < q.steps; t++) {
      evaluate(q, x.value, grad);
      stepWith(opt, [x], { x: grad });
    }
    // Assert
    const end = evaluate(q, x.value);
    if (!(end < start)) {
      throw new Error(`after ${q.steps} steps with lr ${lr} the loss went from ${start} to ${end} (x went from [${q.x0.join(', ')}] to [${x.value.join(', ')}])`);
    }
  });
}
