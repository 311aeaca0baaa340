import type { Optimizer, ParamRef } from '@trainkit/core';
import { paramName } from './arbitraries';

/** Values per parameter: an array (parameters named `w0`, `w1`, …) or a record keyed by parameter name. */
export type ParamValues = ReadonlyArray<ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>;

function namesOf(values: ParamValues): string[] {
  return Array.isArray(values) ? values.map((_, i) => paramName(i)) : Object.keys(values);
}

function valuesOf(values: ParamValues, names: readonly string[]): ArrayLike<number>[] {
  return Array.isArray(values) ? [...values] : names.map((n) => (values as Record<string, ArrayLike<number>>)[n]);
}

/** Fresh parameter buffers (copies, so callers' arrays are never mutated). */
export function makeParams(params0: ParamValues): ParamRef[] {
  const names = namesOf(params0);
  return valuesOf(params0, names).map((v, i) => ({ name: names[i], value: Float32Array.from(v), grad: new Float32Array(v.length) }));
}

/** Copies one step's gradients into the parameters' grad buffers and steps the optimizer. */
export function stepWith(opt: Optimizer, params: readonly ParamRef[], grads: ParamValues): void {
  const given = valuesOf(grads, params.map((p) => p.name));
  if (given.length !== params.length) throw new Error(`optim-testkit: got gradients for ${given.length} parameters, expected ${params.length}`);
  params.forEach((p, i) => {
    const g = given[i];
    if (g === undefined || g.length !== p.grad.length) {
      throw new Error(`optim-testkit: the gradient of "${p.name}" has ${g?.length ?? 'no'} values, the parameter has ${p.grad.length}`);
    }
    p.grad.set(g);
  });
  opt.step(params);
}

/** Runs the steps and returns a copy of every parameter after each one. */
export function run(opt: Optimizer, params: readonly ParamRef[], grads: ReadonlyArray<ParamValues>): Float32Array[][] {
  return grads.map((g) => {
    stepWith(opt, params, g);
    return params.map((p) => p.value.slice());
  });
}

/**
 * The parameter values after every step of a fresh optimizer fed a fixed gradient sequence:
 * `result[t][i]` is parameter `i` after step `t + 1`. Inputs are copied, never mutated. The
 * building block of equivalence tests (against PyTorch, or a fused optimizer against its chain).
 *
 * @param factory makes the optimizer, e.g. `adam`
 * @param options the factory's options, e.g. `{ lr: 1e-3 }`
 * @param params0 initial values, positional (`w0`, `w1`, …) or keyed by parameter name
 * @param grads `grads[t]` holds every parameter's gradient at step `t + 1`, in the same form as `params0`
 * @example
 * const steps = trajectory(adam, { lr: 0.1 }, [[1, 2]], [[[0.5, -1]], [[0.25, 0]]]);
 * steps[1][0]; // Float32Array of w0 after two steps
 */
export function trajectory<O>(factory: (options: O) => Optimizer, options: O, params0: ParamValues, grads: ReadonlyArray<ParamValues>): Float32Array[][] {
  return run(factory(options), makeParams(params0), grads);
}
